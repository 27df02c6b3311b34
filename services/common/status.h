#pragma once

#include <grpcpp/support/status.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace kam {

// The one conversion from internal status to the wire. INTERNAL and UNKNOWN details are
// logged, never sent: a client sees "internal error" only.
grpc::Status ToGrpcStatus(const absl::Status& status);

// CamelCase name of a gRPC code as used in the grpc_code metric label ("NotFound").
std::string_view GrpcCodeName(grpc::StatusCode code);

// INVALID_ARGUMENT whose message starts with the offending field: "account.name: required".
absl::Status InvalidField(std::string_view field, std::string_view problem);

}  // namespace kam
