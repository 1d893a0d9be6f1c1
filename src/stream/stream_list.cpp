#include "stream/stream_list.hpp"

#include <algorithm>

namespace weir::stream {

namespace {

std::string string_field(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return {};
  if (it->value().is_string()) return std::string(it->value().get_string());
  if (it->value().is_int64()) return std::to_string(it->value().get_int64());
  return {};
}

bool host_ok(const std::string& h) {
  return !h.empty() && h.size() <= 253 && std::all_of(h.begin(), h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  });
}

bool path_ok(const std::string& p) {
  return p.size() <= 1024 && p.find("..") == std::string::npos &&
         std::all_of(p.begin(), p.end(), [](char c) {
           return c > ' ' && c < 0x7f && c != '"' && c != '<' && c != '>' && c != '\\';
         });
}

}  // namespace

StreamList read_streams(const boost::json::array& streams,
                        std::vector<config::ConfigIssue>& issues) {
  StreamList out;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    const std::string path = "streams[" + std::to_string(i) + "]";
    auto warn = [&](const std::string& field, const std::string& why) {
      issues.push_back({"system_config.json", path + field, why + " (stream not listed)", false});
    };
    if (!streams[i].is_object()) {
      warn("", "expected an object");
      continue;
    }
    const auto& o = streams[i].get_object();
    StreamDto s;
    s.id = string_field(o, "id");
    s.description = string_field(o, "description");
    s.protocol = string_field(o, "protocol");
    const auto server = string_field(o, "server");
    const auto port = string_field(o, "port");
    auto file = string_field(o, "path");
    if (s.id.empty()) {
      warn(".id", "required");
      continue;
    }
    if (std::any_of(out.items.begin(), out.items.end(),
                    [&](const auto& x) { return x.id == s.id; })) {
      warn(".id", "\"" + s.id + "\" is listed twice");
      continue;
    }
    if (s.protocol.empty()) s.protocol = "https";
    if (s.protocol != "http" && s.protocol != "https") {
      warn(".protocol", "\"" + s.protocol + "\": only http and https (HLS) play in a browser");
      continue;
    }
    if (!server.empty() && !host_ok(server)) {
      warn(".server", "\"" + server + "\" is not a host name");
      continue;
    }
    if (!port.empty() &&
        (port.size() > 5 ||
         !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
         std::stoi(port) == 0 || std::stoi(port) > 65535)) {
      warn(".port", "\"" + port + "\" is not a port number");
      continue;
    }
    if (file.empty() || !path_ok(file)) {
      warn(".path", "\"" + file + "\": expected a path on the server, without \"..\"");
      continue;
    }
    if (file.front() != '/') file.insert(file.begin(), '/');
    s.url = server.empty() ? file
                           : s.protocol + "://" + server + (port.empty() ? "" : ":" + port) + file;
    out.items.push_back(std::move(s));
  }
  return out;
}

}  // namespace weir::stream
