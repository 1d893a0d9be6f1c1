#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <string>

#include "api/router.hpp"

namespace weir::demo::testing {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("weir-demo-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// Grants what the header x-test-permissions lists ("*" = everything) to user "operator".
class FakeAccess final : public api::AccessControl {
 public:
  Result<api::Caller> authorize(const HttpRequest& req, std::string_view permission) override {
    auto granted = req.header("x-test-permissions");
    if (granted.empty()) return Error::make(ErrorKind::unauthorized, "unauthorized", "no session");
    if (!permission.empty() && granted != "*" && granted.find(permission) == std::string_view::npos)
      return Error::make(ErrorKind::forbidden, "permission_required",
                         "needs " + std::string(permission));
    api::Caller c;
    c.user = "operator";
    c.address = req.remote_address;
    return c;
  }
};

inline HttpRequest request(std::string method, std::string path, std::string permissions = "*") {
  HttpRequest r;
  r.method = std::move(method);
  auto q = path.find('?');
  r.target = path;
  r.path = path.substr(0, q);
  if (q != std::string::npos) {
    std::string query = path.substr(q + 1);
    std::size_t i = 0;
    while (i < query.size()) {
      auto amp = query.find('&', i);
      auto kv = query.substr(i, amp == std::string::npos ? std::string::npos : amp - i);
      auto eq = kv.find('=');
      r.query.emplace(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
      if (amp == std::string::npos) break;
      i = amp + 1;
    }
  }
  r.remote_address = "127.0.0.1";
  if (!permissions.empty()) r.headers.emplace_back("x-test-permissions", permissions);
  return r;
}

// The answer of a route, waited for when it comes later (HttpResponse::later: a read on the
// device log's thread answers there when the log has no Post).
inline HttpResponse settle(HttpResponse r) {
  if (!r.deferred) return r;
  std::promise<HttpResponse> answer;
  auto out = answer.get_future();
  r.deferred([&answer](HttpResponse a) { answer.set_value(std::move(a)); });
  return out.get();
}

}  // namespace weir::demo::testing
