#include "services/common/denial_audit.h"

#include <nlohmann/json.hpp>
#include <string>

#include "services/common/log.h"

namespace kam {
namespace {

// The widths of the audit_log columns the entry fills from the call.
constexpr size_t kActorWidth = 128;
constexpr size_t kResourceIdWidth = 64;
constexpr size_t kRequestIdWidth = 128;
constexpr size_t kNoteWidth = 1000;

DenialAudit& Hook() {
  static DenialAudit* const hook = new DenialAudit;
  return *hook;
}

std::string_view ShortName(std::string_view full_method) {
  const size_t slash = full_method.rfind('/');
  return slash == std::string_view::npos ? full_method : full_method.substr(slash + 1);
}

}  // namespace

void AuditDenials(DenialAudit audit) { Hook() = std::move(audit); }

void AuditDenial(const CallContext& call, std::string_view full_method,
                 const absl::Status& denial) {
  if (Hook()) Hook()(call, full_method, denial);
}

AuditEntry DenialEntry(const CallContext& call, std::string_view full_method,
                       const absl::Status& denial) {
  AuditEntry entry;
  entry.actor = call.principal.subject.substr(0, kActorWidth);
  entry.action = "denied";
  entry.resource_type = "method";
  entry.resource_id = std::string(ShortName(full_method).substr(0, kResourceIdWidth));
  entry.request_id = call.request_id.substr(0, kRequestIdWidth);
  entry.time = call.now;
  entry.before_json = "null";
  entry.after_json = nlohmann::json{{"method", full_method},
                                    {"roles", call.principal.roles},
                                    {"code", "PERMISSION_DENIED"}}
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  entry.note = std::string(denial.message().substr(0, kNoteWidth));
  return entry;
}

DenialAudit AuditDenialsTo(DbPool& pool) {
  return [&pool](const CallContext& call, std::string_view full_method,
                 const absl::Status& denial) {
    const AuditEntry entry = DenialEntry(call, full_method, denial);
    const absl::Status written = InTransaction(pool, "audit.denied", [&](DbConnection& db) {
      WriteAudit(db, entry);
      return absl::OkStatus();
    });
    if (!written.ok()) {
      LogWarn("denial not audited", {{"request_id", entry.request_id},
                                     {"method", entry.resource_id},
                                     {"error", std::string(written.message())}});
    }
  };
}

}  // namespace kam
