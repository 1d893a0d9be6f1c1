#pragma once
// streams[] of system_config.json (SPEC §6: {id, description, server, port, protocol, path}, HLS)
// read into a list with a ready-to-play URL. Entries the browser could not play (no id, a
// protocol other than http/https, a path leaving the server) are skipped with a warning naming
// their JSON path; the Python platform's port "" means the protocol's default.
#include <boost/describe.hpp>
#include <boost/json/array.hpp>
#include <string>
#include <vector>

#include "config/system_config.hpp"
#include "stream/stream_status.hpp"

namespace weir::stream {

struct StreamDto {
  std::string id;
  std::string description;
  std::string protocol;
  std::string url;  // https://host[:port]/path, or /path for a clip Weir serves itself (server "")
  Reachability status = Reachability::unknown;  // of the playlist (HTTP HEAD), cached
  std::string detail;                           // "HTTP 200", "cannot connect: ...", ...
  std::string checked;                          // ISO 8601 of the last check ("" before)
};
BOOST_DESCRIBE_STRUCT(StreamDto, (), (id, description, protocol, url, status, detail, checked))

struct StreamList {
  std::vector<StreamDto> items;
};
BOOST_DESCRIBE_STRUCT(StreamList, (), (items))

StreamList read_streams(const boost::json::array& streams,
                        std::vector<config::ConfigIssue>& issues);

}  // namespace weir::stream
