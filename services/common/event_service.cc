#include "services/common/event_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace kam {
namespace {

constexpr int kMaxTypePrefixes = 10;
constexpr size_t kMaxTypePrefixChars = 64;
// The widths of audit_log.resource_type and resource_id.
constexpr size_t kMaxResourceChars = 64;

bool IsTypePrefixChar(char c) { return (c >= 'a' && c <= 'z') || c == '_' || c == '.'; }

}  // namespace

absl::Status CheckWatchRequest(int64_t after_sequence,
                               const google::protobuf::RepeatedPtrField<std::string>& prefixes) {
  if (after_sequence < 0) return InvalidField("after_sequence", "must not be negative");
  if (prefixes.size() > kMaxTypePrefixes) {
    return InvalidField("type_prefixes", absl::StrCat("at most ", kMaxTypePrefixes, " entries"));
  }
  for (int i = 0; i < prefixes.size(); ++i) {
    const std::string& prefix = prefixes.Get(i);
    if (prefix.empty() || prefix.size() > kMaxTypePrefixChars ||
        !std::all_of(prefix.begin(), prefix.end(), IsTypePrefixChar)) {
      return InvalidField(absl::StrCat("type_prefixes[", i, "]"),
                          "1-64 characters of a-z, '_' and '.'");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckWatcher(const Principal& caller) {
  if (caller.HasAnyRole({"system", "admin"})) return absl::OkStatus();
  return absl::PermissionDeniedError("the event stream is for system callers and admins");
}

absl::Status CheckAuditReader(const Principal& caller) {
  if (caller.HasAnyRole({"director", "admin"})) return absl::OkStatus();
  return absl::PermissionDeniedError("the audit trail is for directors and admins");
}

absl::StatusOr<AuditFilter> CheckAuditFilter(std::string resource_type, std::string resource_id,
                                             std::string actor,
                                             const google::protobuf::Timestamp& start_time,
                                             bool has_start, const google::protobuf::Timestamp& end,
                                             bool has_end) {
  AuditFilter filter;
  filter.resource_type = std::move(resource_type);
  filter.resource_id = std::move(resource_id);
  filter.actor = std::move(actor);
  if (auto s = CheckText("resource_type", filter.resource_type, kMaxResourceChars, false);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckText("resource_id", filter.resource_id, kMaxResourceChars, false); !s.ok()) {
    return s;
  }
  // resource_id alone would scan the whole trail: the index leads with the type.
  if (!filter.resource_id.empty() && filter.resource_type.empty()) {
    return InvalidField("resource_type", "required with resource_id");
  }
  if (auto s = CheckToken("actor", filter.actor, kMaxSubjectChars, false); !s.ok()) return s;
  absl::StatusOr<std::optional<absl::Time>> start =
      CheckTime("start_time", start_time, has_start, false);
  if (!start.ok()) return start.status();
  absl::StatusOr<std::optional<absl::Time>> finish = CheckTime("end_time", end, has_end, false);
  if (!finish.ok()) return finish.status();
  if (*start && *finish && **finish < **start) {
    return InvalidField("end_time", "before start_time");
  }
  filter.start_time = *start;
  filter.end_time = *finish;
  return filter;
}

}  // namespace kam
