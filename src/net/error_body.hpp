#pragma once
// The SPEC §7 error shape for answers the network layer gives on its own (413, 408, 400, ...):
// {"error":{"code":"too_large","message":"request body exceeds 1048576 bytes"}}
#include <string>
#include <string_view>

#include "core/http_message.hpp"

namespace weir::net {

std::string error_body(std::string_view code, std::string_view message);
HttpResponse error_response(int status, std::string_view code, std::string_view message);

}  // namespace weir::net
