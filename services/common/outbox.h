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
//
// WriteOutbox first takes the row lock of outbox_lock (one row, id 1) and keeps it until the
// transaction ends. Outbox ids are therefore allocated in commit order, and a stream reader
// that has read every event up to id N will never later see a committed event below N (with
// a plain AUTO_INCREMENT a slow transaction could commit a lower id after a reader moved on).
// The cost is that event-writing transactions serialise from their first event to commit:
// write events last. The schema needs: CREATE TABLE outbox_lock (id TINYINT PRIMARY KEY,
// events BIGINT NOT NULL); INSERT INTO outbox_lock VALUES (1, 0).
void WriteAudit(DbConnection& db, const AuditEntry& entry);
void WriteOutbox(DbConnection& db, const OutboxEvent& event);

}  // namespace kam
