#include "editor/json_diff.hpp"

#include "core/json.hpp"

namespace weir::editor {
namespace {

struct Differ {
  JsonDiff& out;
  std::size_t max;

  bool full() {
    if (out.changes.size() < max) return false;
    out.truncated = true;
    return true;
  }
  void add(const std::string& path, const char* op, const boost::json::value* from,
           const boost::json::value* to) {
    if (full()) return;
    JsonChange c{path, op, std::nullopt, std::nullopt};
    if (from) c.from = *from;
    if (to) c.to = *to;
    out.changes.push_back(std::move(c));
  }
  void walk(const std::string& path, const boost::json::value& a, const boost::json::value& b) {
    if (full()) return;
    if (a.is_object() && b.is_object()) {
      const auto& oa = a.get_object();
      const auto& ob = b.get_object();
      for (const auto& kv : oa) {
        const auto key = std::string(kv.key());
        if (auto it = ob.find(kv.key()); it != ob.end())
          walk(json::join_path(path, key), kv.value(), it->value());
        else
          add(json::join_path(path, key), "removed", &kv.value(), nullptr);
      }
      for (const auto& kv : ob)
        if (!oa.contains(kv.key()))
          add(json::join_path(path, std::string(kv.key())), "added", nullptr, &kv.value());
      return;
    }
    if (a.is_array() && b.is_array()) {
      const auto& xa = a.get_array();
      const auto& xb = b.get_array();
      const std::size_t common = std::min(xa.size(), xb.size());
      for (std::size_t i = 0; i < common; ++i) walk(json::index_path(path, i), xa[i], xb[i]);
      for (std::size_t i = common; i < xa.size(); ++i)
        add(json::index_path(path, i), "removed", &xa[i], nullptr);
      for (std::size_t i = common; i < xb.size(); ++i)
        add(json::index_path(path, i), "added", nullptr, &xb[i]);
      return;
    }
    // Numbers compare by value (1 and 1.0 are the same setting).
    if (a.is_number() && b.is_number() && a.to_number<double>() == b.to_number<double>()) return;
    if (a != b) add(path, "changed", &a, &b);
  }
};

}  // namespace

JsonDiff diff_json(const boost::json::value& from, const boost::json::value& to,
                   std::size_t max_changes) {
  JsonDiff out;
  Differ{out, max_changes}.walk("", from, to);
  return out;
}

}  // namespace weir::editor
