// The `stream` module: streams[] (HLS video) listed with a ready-to-play URL at GET /api/streams.
#include <memory>

#include "module/module.hpp"
#include "module/module_registry.hpp"
#include "stream/stream_list.hpp"

namespace weir::stream {

namespace {

class StreamModule final : public module::ModuleWith<module::NoSettings> {
 public:
  StreamModule(module::ModuleHost& host, const config::SystemConfig& config) {
    std::vector<config::ConfigIssue> ignored;  // reported by check()
    list_ = read_streams(config.streams, ignored);
    host.router.add({"GET",
                     "/api/streams",
                     "view",
                     false,
                     "streams",
                     "The video streams (streams[]) with a URL the browser can play",
                     {},
                     api::schema_of<StreamList>(),
                     "application/json",
                     200,
                     {},
                     {},
                     [this](const api::RequestContext&) { return api::dto_response(200, list_); }});
  }
  static Result<std::unique_ptr<StreamModule>> create(module::ModuleHost& host,
                                                      const config::SystemConfig& config,
                                                      const module::NoSettings&) {
    return std::make_unique<StreamModule>(host, config);
  }
  static void check(const module::ModuleRegistry&, const config::SystemConfig& config,
                    const module::NoSettings&, const std::string&,
                    std::vector<config::ConfigIssue>& issues) {
    read_streams(config.streams, issues);
  }
  Status apply(const config::SystemConfig& config, const module::NoSettings&) override {
    std::vector<config::ConfigIssue> ignored;
    list_ = read_streams(config.streams, ignored);
    return {};
  }

 private:
  StreamList list_;
};

}  // namespace

}  // namespace weir::stream

void weir_register_stream_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::stream::StreamModule>(
      "stream", "Video streams (HLS): streams[] listed with a ready-to-play URL"));
}
