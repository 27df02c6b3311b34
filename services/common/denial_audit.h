#pragma once

#include <functional>
#include <string_view>

#include "absl/status/status.h"
#include "services/common/call_handler.h"
#include "services/common/db.h"
#include "services/common/outbox.h"

namespace kam {

// Denied calls in the audit trail: every PERMISSION_DENIED a verified caller is answered
// (CallHandler::Run, and the event streams' admission) is handed to one process-wide hook
// before the caller hears it, outside any transaction of the call. One process serves one
// service with one audit trail, so the hook is per process; set it once, before serving.
using DenialAudit = std::function<void(const CallContext& call, std::string_view full_method,
                                       const absl::Status& denial)>;
void AuditDenials(DenialAudit audit);

// Hands one denial to the hook set by AuditDenials (none set: nothing happens).
void AuditDenial(const CallContext& call, std::string_view full_method,
                 const absl::Status& denial);

// The audit row of one refused call: actor (the verified subject), action "denied",
// resource "method" / its short name (the object asked for is not known at the edge), the
// request id and time; the reason in note, and {"method","roles","code"} in after_json.
AuditEntry DenialEntry(const CallContext& call, std::string_view full_method,
                       const absl::Status& denial);

// A hook that writes DenialEntry rows into the service's audit_log, each in a transaction of
// its own. A failed write is logged and never changes the caller's answer.
DenialAudit AuditDenialsTo(DbPool& pool);

}  // namespace kam
