#include "services/common/outbox.h"

#include "services/common/identity.h"

namespace kam {
namespace {

constexpr char kInsertAudit[] =
    "INSERT INTO audit_log (actor, action, resource_type, resource_id, request_id, "
    "occurred_at, before_json, after_json, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kTakeOutboxLock[] = "UPDATE outbox_lock SET events = events + 1 WHERE id = 1";
constexpr char kInsertOutbox[] =
    "INSERT INTO outbox (event_id, event_type, aggregate_type, aggregate_id, payload, "
    "occurred_at) VALUES (?, ?, ?, ?, ?, ?)";

}  // namespace

void WriteAudit(DbConnection& db, const AuditEntry& entry) {
  sql::PreparedStatement& insert = db.Prepare(kInsertAudit);
  BindAll(insert, {entry.actor, entry.action, entry.resource_type, entry.resource_id,
                   entry.request_id, entry.time, entry.before_json, entry.after_json, entry.note});
  insert.executeUpdate();
}

void WriteOutbox(DbConnection& db, const OutboxEvent& event) {
  // Held until commit, so outbox ids are handed out in commit order: a reader that has seen
  // id N has seen every committed event below N (see outbox.h).
  db.Prepare(kTakeOutboxLock).executeUpdate();
  sql::PreparedStatement& insert = db.Prepare(kInsertOutbox);
  BindAll(insert, {NewUuid(), event.event_type, event.aggregate_type, event.aggregate_id,
                   event.payload_json, event.time});
  insert.executeUpdate();
}

}  // namespace kam
