#include "services/gateway/admission.h"

namespace kam::gateway {

absl::StatusOr<Caller> Admission::Admit(const Metadata& metadata, std::string_view full_method,
                                        absl::Time now) const {
  absl::StatusOr<Caller> caller = authenticator_.Authenticate(metadata, now);
  if (!caller.ok()) return caller;
  if (absl::Status allowed = policy_.Check(full_method, caller->principal); !allowed.ok()) {
    return allowed;
  }
  if (absl::Status admitted = rate_limiter_.Admit(caller->principal, now); !admitted.ok()) {
    return admitted;
  }
  return caller;
}

}  // namespace kam::gateway
