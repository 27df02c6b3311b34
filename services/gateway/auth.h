#pragma once

#include <grpcpp/support/string_ref.h>

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/jwt.h"

namespace kam::gateway {

using Metadata = std::multimap<grpc::string_ref, grpc::string_ref>;

// An authenticated caller of one call.
struct Caller {
  Principal principal;
  std::string request_id;
};

// Reads "authorization: Bearer <JWT>" and verifies it (UNAUTHENTICATED otherwise, with a
// message that never contains the token). The request id is the caller's x-request-id when
// it is 1-64 characters of [A-Za-z0-9._-], a fresh UUID otherwise.
absl::StatusOr<Caller> Authenticate(const Metadata& metadata, const JwtVerifier& verifier,
                                    absl::Time now);

}  // namespace kam::gateway
