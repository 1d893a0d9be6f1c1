#include "svg/svg_library.hpp"

#include <algorithm>

#include "config/system_config.hpp"

namespace weir::svg {

namespace fs = std::filesystem;

const SvgFile* SvgLibrary::find(std::string_view name) const {
  for (const auto& f : files)
    if (f.name == name) return &f;
  return nullptr;
}

bool valid_svg_name(std::string_view name) {
  if (name.size() < 5 || name.size() > 128 || name.front() == '.' || !name.ends_with(".svg"))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

namespace {

std::string element_label(const std::string& id) {
  return id.empty() ? std::string("(an element without id)") : "element " + id;
}

void check_references(const SvgFile& f, const SvgReferences& refs,
                      std::vector<std::string>& warnings) {
  const std::string where = "svg/" + f.name + ": ";
  for (const auto& b : f.svg.bindings) {
    if (refs.datapoint && !refs.datapoint(b.datapoint, false))
      warnings.push_back(where + element_label(b.element) + ": unknown datapoint \"" + b.datapoint +
                         "\"");
    if (!b.animation.empty() && refs.animation && !refs.animation(b.animation))
      warnings.push_back(where + element_label(b.element) + ": unknown animation \"" + b.animation +
                         "\"");
  }
  for (const auto& c : f.svg.commands)
    if (!c.driver && refs.datapoint && !refs.datapoint(c.datapoint, true))
      warnings.push_back(where + element_label(c.element) + ": unknown command datapoint \"" +
                         c.datapoint + "\"");
}

}  // namespace

SvgLibrary load_svg_library(const fs::path& dir, const SvgReferences& refs,
                            const SvgLibraryLimits& limits) {
  SvgLibrary lib;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return lib;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (!name.ends_with(".svg")) continue;
    if (!valid_svg_name(name)) {
      lib.warnings.push_back("svg/" + name + ": not served (file names: letters, digits, . _ -)");
      continue;
    }
    if (!e.is_regular_file(ec)) continue;
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  if (names.size() > limits.max_files) {
    lib.warnings.push_back("svg/: " + std::to_string(names.size()) + " files; only the first " +
                           std::to_string(limits.max_files) + " are served");
    names.resize(limits.max_files);
  }
  for (const auto& name : names) {
    auto text = config::read_text_file((dir / name).string(), limits.file.max_bytes);
    if (!text) {
      lib.warnings.push_back("svg/" + name + ": not served: " + text.error().message);
      continue;
    }
    auto svg = sanitize_svg(*text, limits.file);
    if (!svg) {
      lib.warnings.push_back("svg/" + name + ": not served: " + svg.error().message);
      continue;
    }
    lib.files.push_back({name, std::move(*svg)});
    check_references(lib.files.back(), refs, lib.warnings);
  }
  return lib;
}

}  // namespace weir::svg
