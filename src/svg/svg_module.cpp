// The `svg` module: the process images of config/svg/, sanitised, listed with their bindings
// (GET /api/svg) and served (GET /api/svg/{name}). Clickable elements are listed with whether
// the caller may send their command. Reloads re-read the directory.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/describe.hpp>
#include <filesystem>
#include <memory>

#include "api/system_routes.hpp"
#include "datapoint/datapoint_service.hpp"
#include "module/module.hpp"
#include "module/module_registry.hpp"
#include "svg/svg_library.hpp"

namespace weir::svg {

struct SvgSettings {
  std::string dir = "svg";  // relative to the configuration directory
  std::uint32_t max_file_bytes = 8u << 20;
};
BOOST_DESCRIBE_STRUCT(SvgSettings, (), (dir, max_file_bytes))

struct SvgBindingDto {
  std::string element;
  std::string datapoint;
  std::string animation;
};
BOOST_DESCRIBE_STRUCT(SvgBindingDto, (), (element, datapoint, animation))

struct SvgCommandDto {
  std::string element;
  std::string datapoint;  // kind driver: the driver's name
  std::string value;
  bool allowed = false;  // the caller may send it (send_command, and a known command datapoint;
                         // kind driver: control_driver, and a known driver)
  std::string kind = "command";  // "command": POST /api/commands {datapoint, value};
                                 // "driver": POST /api/drivers/{datapoint}/{value} (lower case)
};
BOOST_DESCRIBE_STRUCT(SvgCommandDto, (), (element, datapoint, value, allowed, kind))

struct SvgFileDto {
  std::string name;
  std::string url;  // /api/svg/{name}
  std::uint64_t bytes = 0;
  std::uint64_t removed_elements = 0;
  std::uint64_t removed_attributes = 0;
  std::vector<SvgBindingDto> bindings;
  std::vector<SvgCommandDto> commands;
};
BOOST_DESCRIBE_STRUCT(SvgFileDto, (),
                      (name, url, bytes, removed_elements, removed_attributes, bindings, commands))

struct SvgListDto {
  std::vector<SvgFileDto> items;
  std::vector<std::string> warnings;  // load warnings: file and element id
};
BOOST_DESCRIBE_STRUCT(SvgListDto, (), (items, warnings))

namespace {

class SvgModule final : public module::ModuleWith<SvgSettings> {
 public:
  SvgModule(module::ModuleHost& host, const config::SystemConfig& config, const SvgSettings& s)
      : host_(host), values_(host.services.get<datapoint::DatapointService>()) {
    load(config, s);
    add_routes();
    host_.services.provide<SvgLibrary>(lib_);  // the animation module binds its elements
  }
  ~SvgModule() override { host_.services.withdraw<SvgLibrary>(); }

  static Result<std::unique_ptr<SvgModule>> create(module::ModuleHost& host,
                                                   const config::SystemConfig& config,
                                                   const SvgSettings& s) {
    return std::make_unique<SvgModule>(host, config, s);
  }
  static void check(const module::ModuleRegistry&, const config::SystemConfig&,
                    const SvgSettings& s, const std::string& path,
                    std::vector<config::ConfigIssue>& issues) {
    if (s.max_file_bytes < 1024 || s.max_file_bytes > (64u << 20))
      issues.push_back({"system_config.json", path + ".max_file_bytes",
                        "must be between 1024 and 67108864 (bytes)", true});
    if (s.dir.empty() || s.dir.find("..") != std::string::npos ||
        std::filesystem::path(s.dir).is_absolute())
      issues.push_back({"system_config.json", path + ".dir",
                        "must name a folder inside the configuration directory", true});
  }
  Status apply(const config::SystemConfig& config, const SvgSettings& s) override {
    load(config, s);
    return {};
  }
  void metrics(std::string& out) const override {
    api::metric(out, "weir_svg_files", "gauge", "Process images served",
                static_cast<double>(lib_.files.size()));
  }

 private:
  void load(const config::SystemConfig& config, const SvgSettings& s) {
    SvgReferences refs;
    refs.datapoint = [this, &config](std::string_view id, bool command) {
      auto i = values_.registry().find(id);
      if (i) return !command || values_.registry().info(*i).is_command;
      // A connection animation binds a driver's name.
      return !command && known_driver(config, id);
    };
    refs.animation = [&config](std::string_view name) { return config.animations.contains(name); };
    SvgLibraryLimits limits;
    limits.file.max_bytes = s.max_file_bytes;
    drivers_.clear();
    for (const auto& d : config.drivers) drivers_.push_back(d.name);
    lib_ = load_svg_library(std::filesystem::path(host_.options.config_dir) / s.dir, refs, limits);
    for (const auto& w : lib_.warnings) spdlog::warn("{}", w);
  }

  static bool known_driver(const config::SystemConfig& config, std::string_view name) {
    for (const auto& d : config.drivers)
      if (d.name == name) return true;
    return false;
  }

  SvgFileDto to_dto(const SvgFile& f, const api::Caller& caller) const {
    SvgFileDto d;
    d.name = f.name;
    d.url = "/api/svg/" + f.name;
    d.bytes = f.svg.text.size();
    d.removed_elements = f.svg.removed_elements;
    d.removed_attributes = f.svg.removed_attributes;
    for (const auto& b : f.svg.bindings)
      d.bindings.push_back({b.element, b.datapoint, b.animation});
    const bool may_send = caller.can("send_command");
    for (const auto& c : f.svg.commands) {
      if (c.driver) {
        const bool known =
            std::find(drivers_.begin(), drivers_.end(), c.datapoint) != drivers_.end();
        d.commands.push_back(
            {c.element, c.datapoint, c.value, caller.can("control_driver") && known, "driver"});
        continue;
      }
      auto i = values_.registry().find(c.datapoint);
      const bool known = i && values_.registry().info(*i).is_command;
      d.commands.push_back({c.element, c.datapoint, c.value, may_send && known, "command"});
    }
    return d;
  }

  void add_routes();

  module::ModuleHost& host_;
  datapoint::DatapointService& values_;
  SvgLibrary lib_;
  std::vector<std::string> drivers_;  // configured driver names
};

void SvgModule::add_routes() {
  host_.router.add({"GET",
                    "/api/svg",
                    "view",
                    false,
                    "svg",
                    "The process images (config/svg/) with their datapoint bindings and "
                    "clickable commands (allowed: the caller may send it), and load warnings",
                    {},
                    api::schema_of<SvgListDto>(),
                    "application/json",
                    200,
                    {},
                    {},
                    [this](const api::RequestContext& ctx) {
                      SvgListDto out;
                      for (const auto& f : lib_.files) out.items.push_back(to_dto(f, ctx.caller));
                      out.warnings = lib_.warnings;
                      return api::dto_response(200, out);
                    }});
  host_.router.add(
      {"GET",
       "/api/svg/{name}",
       "view",
       false,
       "svg",
       "One process image, sanitised: no script, event attribute, external reference or "
       "foreignObject",
       {},
       {},
       "image/svg+xml",
       200,
       {},
       {404},
       [this](const api::RequestContext& ctx) {
         const auto name = ctx.param("name");
         const auto* f = valid_svg_name(name) ? lib_.find(name) : nullptr;
         if (!f)
           return api::error_response(
               not_found("unknown_svg", "no process image \"" + std::string(name) + "\""));
         HttpResponse r;
         r.content_type = "image/svg+xml";
         r.body = f->svg.text;
         // Opened on its own, the file still runs and fetches nothing.
         r.headers.emplace_back("Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
         return r;
       }});
}

}  // namespace

}  // namespace weir::svg

void weir_register_svg_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::svg::SvgModule>(
      "svg", "Process images: config/svg/ sanitised, listed with their bindings, served",
      {"datapoint", "command"}, true));
}
