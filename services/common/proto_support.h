#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/call_handler.h"
#include "services/common/digest.h"
#include "services/common/idempotency.h"
#include "services/common/store_support.h"

// What every service's handlers share at the proto edge: times, ids, the idempotency key of
// a mutating call and the digest page tokens are bound to.
namespace kam {

void ToTimestamp(absl::Time t, google::protobuf::Timestamp* out);
absl::Time FromTimestamp(const google::protobuf::Timestamp& t);
// A timestamp from a request: INVALID_ARGUMENT naming `field` when out of range, and when
// unset if `required`; nullopt when unset and optional.
absl::StatusOr<std::optional<absl::Time>> CheckTime(std::string_view field,
                                                    const google::protobuf::Timestamp& t,
                                                    bool present, bool required);

// INVALID_ARGUMENT unless id > 0.
absl::Status CheckId(std::string_view field, int64_t id);

// The idempotency key and audit context of a mutating call. `method` is the short name
// ("CreateAccount"): it is part of the fingerprint, so one request_id cannot serve two
// methods.
Mutation MutationFor(const CallContext& call, std::string_view method,
                     const google::protobuf::Message& request, const std::string& request_id);

// A list request minus its paging fields (the same for every caller: a cache key).
template <typename Request>
std::string QueryDigest(std::string_view method, Request request) {
  request.clear_page_token();
  request.clear_page_size();
  return RequestFingerprint(method, request);
}

// The key a list's page tokens are sealed with (SealPageToken): the query under the caller's
// page_token_key. A token opens only for the same method, filters and caller.
template <typename Request>
std::string PageTokenKey(const CallContext& call, std::string_view method, Request request) {
  return HmacSha256(call.page_token_key, QueryDigest(method, std::move(request)));
}

}  // namespace kam
