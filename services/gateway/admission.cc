#include "services/gateway/admission.h"

#include "services/common/log.h"

namespace kam::gateway {
namespace {

// The gateway has no audit table: its policy denials are audit lines in its log (never the
// token), found by "msg":"audit" and the request id.
void AuditDenial(const Caller& caller, std::string_view full_method, const absl::Status& denial) {
  LogInfo("audit", {{"action", "denied"},
                    {"subject", caller.principal.subject},
                    {"roles", caller.principal.roles},
                    {"method", full_method},
                    {"request_id", caller.request_id},
                    {"reason", denial.message()}});
}

}  // namespace

absl::StatusOr<Caller> Admission::Admit(const Metadata& metadata, std::string_view full_method,
                                        absl::Time now) const {
  absl::StatusOr<Caller> caller = authenticator_.Authenticate(metadata, now);
  if (!caller.ok()) return caller;
  if (absl::Status allowed = policy_.Check(full_method, caller->principal); !allowed.ok()) {
    AuditDenial(*caller, full_method, allowed);
    return allowed;
  }
  if (absl::Status admitted = rate_limiter_.Admit(caller->principal, now); !admitted.ok()) {
    return admitted;
  }
  return caller;
}

}  // namespace kam::gateway
