#pragma once

#include <google/protobuf/message.h>

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/common/db.h"

namespace kam {

// A stable digest of a request (deterministic serialization + SHA-256, hex), so a reused
// request_id can be told apart from a retry.
std::string RequestFingerprint(std::string_view method, const google::protobuf::Message& request);

// Checks request_id syntax: 1-128 printable ASCII characters.
absl::Status ValidateRequestId(std::string_view request_id);

// Inside a transaction, claims (actor, request_id) in the idempotency_keys table:
//  - first use: reserves it and returns nullopt; the caller performs the effect and calls
//    RecordResponse in the same transaction;
//  - a retry of the same request: returns the response recorded the first time;
//  - the same request_id with a different request: INVALID_ARGUMENT on request_id.
// A concurrent duplicate waits on the row lock and then sees the committed first result.
absl::StatusOr<std::optional<std::string>> ClaimRequest(DbConnection& db, std::string_view actor,
                                                        std::string_view request_id,
                                                        std::string_view fingerprint);
void RecordResponse(DbConnection& db, std::string_view actor, std::string_view request_id,
                    std::string_view response);

}  // namespace kam
