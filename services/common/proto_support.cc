#include "services/common/proto_support.h"

#include "services/common/status.h"

namespace kam {
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

absl::Status CheckId(std::string_view field, int64_t id) {
  return id > 0 ? absl::OkStatus() : InvalidField(field, "must be a positive id");
}

Mutation MutationFor(const CallContext& call, std::string_view method,
                     const google::protobuf::Message& request, const std::string& request_id) {
  return {call.principal.subject, request_id, RequestFingerprint(method, request),
          call.request_id,        call.now,   /*note=*/""};
}

}  // namespace kam
