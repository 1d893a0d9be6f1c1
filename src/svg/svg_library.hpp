#pragma once
// The process images of a configuration directory (config/svg/*.svg), each sanitised once at
// load (svg_sanitizer.hpp) and checked against the configuration: a binding to an unknown
// datapoint, an unknown animation name or a command on an unknown command datapoint is a load
// warning naming the file and the element id. A file that cannot be sanitised is not served;
// its error is a warning too. Pure: files in, data out (no routes, no clock).
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "svg/svg_sanitizer.hpp"

namespace weir::svg {

struct SvgFile {
  std::string name;  // "1.tank.svg"
  SanitizedSvg svg;
};

struct SvgLibraryLimits {
  std::size_t max_files = 256;
  SvgLimits file;
};

// What the configuration knows: is this a datapoint (command: a command datapoint)? an
// animation name?
struct SvgReferences {
  std::function<bool(std::string_view id, bool command)> datapoint;
  std::function<bool(std::string_view name)> animation;
};

struct SvgLibrary {
  std::vector<SvgFile> files;         // sorted by name
  std::vector<std::string> warnings;  // "svg/1.tank.svg: element tank_fill: unknown datapoint ..."
  const SvgFile* find(std::string_view name) const;
};

// A safe file name: letters, digits, '.', '_', '-', ending in ".svg", no leading dot.
bool valid_svg_name(std::string_view name);

// Loads every *.svg in dir (a missing dir is an empty library).
SvgLibrary load_svg_library(const std::filesystem::path& dir, const SvgReferences& refs,
                            const SvgLibraryLimits& limits = {});

}  // namespace weir::svg
