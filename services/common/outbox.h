#pragma once

#include <string>

#include "absl/time/time.h"
#include "services/common/db.h"

namespace kam {

// One row of the audit trail (ARCHITECTURE.md: every state change writes one).
struct AuditEntry {
  std::string actor;
  std::string action;         // e.g. "account.create"
  std::string resource_type;  // e.g. "account"
  std::string resource_id;
  std::string request_id;
  absl::Time time;
  std::string before_json;  // "null" when nothing existed before
  std::string after_json;
  std::string note;  // why, in the actor's words (e.g. an archive reason); may be empty
};

// One event for the service's outbox; streamed to consumers in id order.
struct OutboxEvent {
  std::string event_type;  // e.g. "account.created"
  std::string aggregate_type;
  std::string aggregate_id;
  std::string payload_json;
  absl::Time time;
};

// Both write within the caller's transaction, so the change, its audit row and its event
// commit or vanish together. Tables: audit_log and outbox in the service's own schema.
void WriteAudit(DbConnection& db, const AuditEntry& entry);
void WriteOutbox(DbConnection& db, const OutboxEvent& event);

}  // namespace kam
