// The `stream` module: streams[] (HLS video) listed with a ready-to-play URL at GET /api/streams,
// each with its reachability (an HTTP HEAD of its playlist, bounded in time and size, at most
// `max_probes` at once, cached for `refresh_s`) on GET /api/streams and the live feed `stream`.
// Weir also serves a local clip directory at /api/streams/local/{file} (the demo's HLS clip,
// generated at build time with ffmpeg): a stream whose path is there is checked on disk.
#include <algorithm>
#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "api/system_routes.hpp"
#include "module/module.hpp"
#include "module/module_registry.hpp"
#include "stream/head_probe.hpp"
#include "stream/stream_list.hpp"

#ifndef WEIR_STREAM_CLIP_DIR
#define WEIR_STREAM_CLIP_DIR ""
#endif

namespace weir::stream {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kLocalPrefix = "/api/streams/local/";
constexpr std::uintmax_t kMaxLocalFile = 32u << 20;

struct StreamSettings {
  std::uint32_t refresh_s = 30;     // a stream's status is checked again after this (5 .. 3600)
  std::uint32_t timeout_ms = 3000;  // one check at most this long (100 .. 30000)
  std::uint32_t max_probes = 3;     // checks running at once (1 .. 16)
  std::string local_dir;            // served at /api/streams/local/ ("": the clip built with weir)
};
BOOST_DESCRIBE_STRUCT(StreamSettings, (), (refresh_s, timeout_ms, max_probes, local_dir))

bool local_name_ok(std::string_view f) {
  return !f.empty() && f.size() <= 128 && f.front() != '.' &&
         std::all_of(f.begin(), f.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
         });
}

std::string content_type(std::string_view f) {
  if (f.ends_with(".m3u8")) return "application/vnd.apple.mpegurl";
  if (f.ends_with(".ts")) return "video/mp2t";
  if (f.ends_with(".mp4") || f.ends_with(".m4s")) return "video/mp4";
  return "application/octet-stream";
}

class StreamModule final : public module::ModuleWith<StreamSettings> {
 public:
  StreamModule(module::ModuleHost& host, const config::SystemConfig& config,
               const StreamSettings& s)
      : host_(host), tls_(boost::asio::ssl::context::tls_client) {
    tls_.set_default_verify_paths();
    tls_.set_verify_mode(boost::asio::ssl::verify_peer);
    feed_ = host_.hub.add_feed({"stream", "view",
                                [this](std::string& out) {
                                  for (std::size_t i = 0; i < list_.items.size(); ++i) {
                                    if (i) out.push_back(',');
                                    json::dump_to(out, json::to_json(item(i)));
                                  }
                                },
                                [this](std::uint64_t key, std::string& out) {
                                  if (key >= list_.items.size())
                                    out += "null";
                                  else
                                    json::dump_to(out, json::to_json(item(key)));
                                }});
    add_routes();
    (void)apply(config, s);
  }
  static Result<std::unique_ptr<StreamModule>> create(module::ModuleHost& host,
                                                      const config::SystemConfig& config,
                                                      const StreamSettings& s) {
    return std::make_unique<StreamModule>(host, config, s);
  }
  static void check(const module::ModuleRegistry&, const config::SystemConfig& config,
                    const StreamSettings& s, const std::string& path,
                    std::vector<config::ConfigIssue>& issues) {
    read_streams(config.streams, issues);
    auto error = [&](const char* field, const char* why) {
      issues.push_back({"system_config.json", path + "." + field, why, true});
    };
    if (s.refresh_s < 5 || s.refresh_s > 3600) error("refresh_s", "must be between 5 and 3600");
    if (s.timeout_ms < 100 || s.timeout_ms > 30000)
      error("timeout_ms", "must be between 100 and 30000");
    if (s.max_probes < 1 || s.max_probes > 16) error("max_probes", "must be between 1 and 16");
  }
  Status apply(const config::SystemConfig& config, const StreamSettings& s) override {
    std::vector<config::ConfigIssue> ignored;  // reported by check()
    list_ = read_streams(config.streams, ignored);
    settings_ = s;
    ++generation_;  // answers of probes started before this are for the old list
    schedule_ = std::make_unique<ProbeSchedule>(list_.items.size(),
                                                std::chrono::seconds(s.refresh_s), s.max_probes);
    local_dir_ = s.local_dir.empty() ? fs::path(WEIR_STREAM_CLIP_DIR)
                 : fs::path(s.local_dir).is_absolute()
                     ? fs::path(s.local_dir)
                     : fs::path(host_.options.config_dir) / s.local_dir;
    return {};
  }
  void stop() override { alive_.reset(); }
  void tick() override {
    if (!alive_) return;
    for (std::size_t i : schedule_->due(host_.clock.mono())) start_probe(i);
  }
  void metrics(std::string& out) const override {
    std::size_t up = 0;
    for (std::size_t i = 0; i < schedule_->size(); ++i)
      up += schedule_->status(i) == Reachability::reachable ? 1 : 0;
    api::metric(out, "weir_streams", "gauge", "Streams listed", double(list_.items.size()));
    api::metric(out, "weir_streams_reachable", "gauge", "Streams whose playlist answered",
                double(up));
    api::metric(out, "weir_stream_probes_total", "counter", "Reachability checks made",
                double(probes_));
  }

 private:
  StreamDto item(std::size_t i) const {
    StreamDto d = list_.items[i];
    d.status = schedule_->status(i);
    d.detail = schedule_->detail(i);
    if (schedule_->checked(i) != WallTime{}) d.checked = to_iso8601(schedule_->checked(i));
    return d;
  }

  void start_probe(std::size_t i) {
    ++probes_;
    const auto gen = generation_;
    auto done = [this, i, gen, alive = std::weak_ptr<int>(alive_)](ProbeResult r) {
      if (alive.expired() || gen != generation_) return;  // gone, or for the previous list
      if (schedule_->finish(i, r, host_.clock.now(), host_.clock.mono())) host_.hub.mark(feed_, i);
    };
    const auto& url = list_.items[i].url;
    auto target = probe_target(url);
    if (!target) return done({false, "not an http(s) URL"});
    if (target->host.empty() && target->path.starts_with(kLocalPrefix)) {
      // Weir's own clip: on disk (a stat, no request to ourselves through the permission check).
      const std::string name = target->path.substr(kLocalPrefix.size());
      std::error_code ec;
      const bool there = local_name_ok(name) && fs::is_regular_file(local_dir_ / name, ec);
      return done({there, there ? "local file" : "no local file " + name});
    }
    if (target->host.empty()) {
      target->host = "127.0.0.1";
      target->tls = !host_.options.tls_cert.empty();
      target->port = host_.http_port();
    }
    if (!host_.io) return done({false, "no network here"});
    head_probe(*host_.io, tls_, *target, std::chrono::milliseconds(settings_.timeout_ms),
               std::move(done));
  }

  void add_routes() {
    host_.router.add({"GET",
                      "/api/streams",
                      "view",
                      false,
                      "streams",
                      "The video streams (streams[]) with a URL the browser can play and whether "
                      "their playlist answers",
                      {},
                      api::schema_of<StreamList>(),
                      "application/json",
                      200,
                      {},
                      {},
                      [this](const api::RequestContext&) {
                        StreamList out;
                        for (std::size_t i = 0; i < list_.items.size(); ++i)
                          out.items.push_back(item(i));
                        return api::dto_response(200, out);
                      }});
    host_.router.add({"GET",
                      std::string(kLocalPrefix) + "{file}",
                      "view",
                      false,
                      "streams",
                      "A file of the local clip directory (HLS playlist and segments)",
                      {},
                      {},
                      "application/octet-stream",
                      200,
                      {},
                      {404},
                      [this](const api::RequestContext& ctx) {
                        const std::string name(ctx.param("file"));
                        auto missing = [&] {
                          return api::error_response(not_found(
                              "unknown_file", "no local stream file \"" + name + "\"", "file"));
                        };
                        if (!local_name_ok(name)) return missing();
                        std::error_code ec;
                        const fs::path p = local_dir_ / name;
                        if (!fs::is_regular_file(p, ec) || fs::file_size(p, ec) > kMaxLocalFile)
                          return missing();
                        std::ifstream in(p, std::ios::binary);
                        std::ostringstream body;
                        body << in.rdbuf();
                        HttpResponse r;
                        r.status = 200;
                        r.content_type = content_type(name);
                        r.body = std::move(body).str();
                        r.headers.emplace_back("Cache-Control", "no-cache");
                        return r;
                      }});
  }

  module::ModuleHost& host_;
  boost::asio::ssl::context tls_;
  StreamSettings settings_;
  StreamList list_;
  std::unique_ptr<ProbeSchedule> schedule_;
  fs::path local_dir_;
  std::uint64_t generation_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // probes finishing after us: ignored
  std::uint64_t probes_ = 0;
  api::LiveFeedHub::FeedId feed_ = 0;
};

}  // namespace

}  // namespace weir::stream

void weir_register_stream_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::stream::StreamModule>(
      "stream",
      "Video streams (HLS): streams[] with a ready-to-play URL and reachability; a local clip"));
}
