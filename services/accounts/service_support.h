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
#include "services/common/proto_support.h"

// What every handler of AccountService shares at the proto edge.
namespace kam::accounts {

// The deployment's one currency (ARCHITECTURE.md: money is minor units + ISO-4217 code).
inline constexpr char kCurrency[] = "CNY";

void ToMoney(int64_t minor_units, v1::Money* out);
// Minor units of an amount from a request: INVALID_ARGUMENT naming `field` for another
// currency, or a negative amount unless `allow_negative`.
absl::StatusOr<int64_t> CheckMoney(std::string_view field, const v1::Money& money,
                                   bool allow_negative = false);

// ---- The archive's records on the wire ----
// Redact first (RedactAccount / RedactContact): these convert what they are given.
void ToProto(const Account& account, v1::Account* out);
// The writable fields of an account; output-only ones are ignored.
Account FromProto(const v1::Account& proto);
// `notes_hidden`: the caller may not see personal notes (they are unset and flagged).
void ToProto(const Contact& contact, bool notes_hidden, v1::Contact* out);
Contact FromProto(const v1::Contact& proto);
void ToProto(const TeamMember& member, v1::TeamMember* out);
void ToProto(const AccountChange& change, v1::AccountChange* out);

// Callers who could not see every account learn nothing from NOT_FOUND (AIP-211).
absl::Status HideExistence(absl::Status status, const Principal& caller);
absl::Status NoAccess();

}  // namespace kam::accounts
