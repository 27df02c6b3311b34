#include "services/accounts/service_support.h"

#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace kam::accounts {
namespace {

// google.protobuf.Timestamp's valid range: 0001-01-01 to 9999-12-31.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;

}  // namespace

void ToTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t micros = absl::ToUnixMicros(t);
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest) * 1000);
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

absl::StatusOr<std::optional<absl::Time>> CheckTime(std::string_view field,
                                                    const google::protobuf::Timestamp& t,
                                                    bool present, bool required) {
  if (!present) {
    if (required) return InvalidField(field, "required");
    return std::optional<absl::Time>();
  }
  if (t.seconds() < kMinSeconds || t.seconds() > kMaxSeconds || t.nanos() < 0 ||
      t.nanos() > 999999999) {
    return InvalidField(field, "not a valid timestamp");
  }
  // Stored with microsecond precision; DATETIME(6) holds years 1000-9999.
  if (t.seconds() < -30610224000) return InvalidField(field, "before the year 1000");
  return std::optional<absl::Time>(FromTimestamp(t));
}

void ToProto(const Account& a, v1::Account* out) {
  out->set_id(a.id);
  out->set_name(a.name);
  out->set_registration_number(a.registration_number);
  out->set_nature(static_cast<v1::Nature>(a.nature));
  out->set_industry(a.industry);
  out->set_region(a.region);
  out->set_scale(static_cast<v1::Scale>(a.scale));
  out->set_lifecycle_stage(static_cast<v1::LifecycleStage>(a.lifecycle_stage));
  out->set_status(static_cast<v1::AccountStatus>(a.status));
  out->set_tier(static_cast<v1::Tier>(a.tier));
  out->set_owner_id(a.owner_id);
  out->set_archived(a.archived);
  ToTimestamp(a.create_time, out->mutable_create_time());
  ToTimestamp(a.update_time, out->mutable_update_time());
  if (a.archive_time) ToTimestamp(*a.archive_time, out->mutable_archive_time());
  out->set_etag(Etag(a));
  out->set_visit_plan_suspended(a.visit_plan_suspended);
}

void ToMoney(int64_t minor_units, v1::Money* out) {
  out->set_currency_code(kCurrency);
  out->set_minor_units(minor_units);
}

absl::StatusOr<int64_t> CheckMoney(std::string_view field, const v1::Money& money,
                                   bool allow_negative) {
  if (!money.currency_code().empty() && money.currency_code() != kCurrency) {
    return InvalidField(absl::StrCat(std::string(field), ".currency_code"),
                        absl::StrCat("must be ", kCurrency, ", the company's currency"));
  }
  if (!allow_negative && money.minor_units() < 0) {
    return InvalidField(absl::StrCat(std::string(field), ".minor_units"), "must not be negative");
  }
  return money.minor_units();
}

absl::Status CheckId(std::string_view field, int64_t id) {
  return id > 0 ? absl::OkStatus() : InvalidField(field, "must be a positive id");
}

absl::Status NoAccess() { return absl::PermissionDeniedError("no access to this account"); }

absl::Status HideExistence(absl::Status status, const Principal& caller) {
  if (absl::IsNotFound(status) && !SeesAllAccounts(caller)) return NoAccess();
  return status;
}

Mutation MutationFor(const CallContext& call, std::string_view method,
                     const google::protobuf::Message& request, const std::string& request_id) {
  return {call.principal.subject, request_id, RequestFingerprint(method, request),
          call.request_id,        call.now,   /*note=*/""};
}

}  // namespace kam::accounts
