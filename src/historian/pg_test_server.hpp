#pragma once
// A throw-away PostgreSQL 15 for tests and benchmarks: starts tests/lib/pgserver.py (the one
// helper the wire tests use too: initdb into a temporary directory, postgres on a free loopback
// port, as the `postgres` user when we are root) and stops it in the destructor.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace weir::historian::testing {

class PgTestServer {
 public:
  // `script`: tests/lib/pgserver.py. Empty url() when the server could not be started (no
  // PostgreSQL 15 installed): the caller skips.
  explicit PgTestServer(const std::string& script, bool durable = false) : script_(script) {
    const std::string cmd =
        "python3 '" + script + "' start" + (durable ? " --durable" : "") + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return;
    std::string out;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    const int rc = ::pclose(p);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    const auto space = out.find(' ');
    if (rc != 0 || space == std::string::npos || out.rfind("/", 0) != 0) {
      error_ = out;
      return;
    }
    dir_ = out.substr(0, space);
    url_ = out.substr(space + 1);
  }
  ~PgTestServer() {
    if (!dir_.empty()) (void)std::system(("python3 '" + script_ + "' stop '" + dir_ + "'").c_str());
  }
  PgTestServer(const PgTestServer&) = delete;
  PgTestServer& operator=(const PgTestServer&) = delete;

  const std::string& url() const { return url_; }
  const std::string& error() const { return error_; }

 private:
  std::string script_, dir_, url_, error_;
};

}  // namespace weir::historian::testing
