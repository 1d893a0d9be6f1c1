#include "core/json.hpp"

#include <charconv>
#include <cmath>

namespace weir::json {

std::string join_path(std::string_view base, std::string_view member) {
  if (base.empty()) return std::string(member);
  std::string r;
  r.reserve(base.size() + member.size() + 1);
  r.append(base).push_back('.');
  r.append(member);
  return r;
}

std::string index_path(std::string_view base, std::size_t i) {
  return std::string(base) + "[" + std::to_string(i) + "]";
}

const char* kind_name(boost::json::kind k) {
  switch (k) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
      return "an integer";
    case boost::json::kind::double_:
      return "a number";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::array:
      return "an array";
    case boost::json::kind::object:
      return "an object";
  }
  return "unknown";
}

void append_escaped(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void append_number(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, r.ptr);
}

void dump_to(std::string& out, const boost::json::value& v) {
  char buf[32];
  switch (v.kind()) {
    case boost::json::kind::null:
      out += "null";
      break;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case boost::json::kind::int64: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.get_int64());
      out.append(buf, r.ptr);
      break;
    }
    case boost::json::kind::uint64: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.get_uint64());
      out.append(buf, r.ptr);
      break;
    }
    case boost::json::kind::double_:
      append_number(out, v.get_double());
      break;
    case boost::json::kind::string:
      append_escaped(out, v.get_string());
      break;
    case boost::json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        dump_to(out, e);
      }
      out.push_back(']');
      break;
    }
    case boost::json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        append_escaped(out, kv.key());
        out.push_back(':');
        dump_to(out, kv.value());
      }
      out.push_back('}');
      break;
    }
  }
}

std::string dump(const boost::json::value& v) {
  std::string out;
  dump_to(out, v);
  return out;
}

Result<boost::json::value> parse(std::string_view text, std::size_t max_depth) {
  boost::json::parse_options opt;
  opt.max_depth = max_depth;
  boost::json::stream_parser p({}, opt);
  boost::system::error_code ec;
  std::size_t n = p.write_some(text.data(), text.size(), ec);
  if (!ec) p.finish(ec);
  if (ec) {
    // Locate the failure: count lines up to the consumed offset.
    std::size_t off = ec ? n : text.size();
    if (off > text.size()) off = text.size();
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < off; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return bad_request("invalid_json", "invalid JSON at line " + std::to_string(line) +
                                           ", column " + std::to_string(col) + ": " + ec.message());
  }
  return p.release();
}

}  // namespace weir::json
