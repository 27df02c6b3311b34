#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "kam/accounts/v1/archive.pb.h"
#include "services/accounts/store_support.h"
#include "services/common/call_handler.h"
#include "services/common/idempotency.h"

// What every handler of AccountService shares at the proto edge.
namespace kam::accounts {

// The deployment's one currency (ARCHITECTURE.md: money is minor units + ISO-4217 code).
inline constexpr char kCurrency[] = "CNY";

void ToTimestamp(absl::Time t, google::protobuf::Timestamp* out);
absl::Time FromTimestamp(const google::protobuf::Timestamp& t);
// A timestamp from a request: INVALID_ARGUMENT naming `field` when out of range, and when
// unset if `required`; nullopt when unset and optional.
absl::StatusOr<std::optional<absl::Time>> CheckTime(std::string_view field,
                                                    const google::protobuf::Timestamp& t,
                                                    bool present, bool required);

// The account as the API returns it (also the payload of account.* events).
void ToProto(const Account& account, v1::Account* out);

void ToMoney(int64_t minor_units, v1::Money* out);
// Minor units of an amount from a request: INVALID_ARGUMENT naming `field` for another
// currency, or a negative amount unless `allow_negative`.
absl::StatusOr<int64_t> CheckMoney(std::string_view field, const v1::Money& money,
                                   bool allow_negative = false);

// INVALID_ARGUMENT unless id > 0.
absl::Status CheckId(std::string_view field, int64_t id);

// Callers who could not see every account learn nothing from NOT_FOUND (AIP-211).
absl::Status HideExistence(absl::Status status, const Principal& caller);
absl::Status NoAccess();

// The idempotency key and audit context of a mutating call. `method` is the short name
// ("CreateAccount"): it is part of the fingerprint, so one request_id cannot serve two
// methods.
Mutation MutationFor(const CallContext& call, std::string_view method,
                     const google::protobuf::Message& request, const std::string& request_id);

// A list request minus its paging fields: what a page token is bound to.
template <typename Request>
std::string QueryDigest(std::string_view method, Request request) {
  request.clear_page_token();
  request.clear_page_size();
  return RequestFingerprint(method, request);
}

}  // namespace kam::accounts
