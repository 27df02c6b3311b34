#include "services/complaints/sla_store.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/store_support.h"
#include "services/complaints/complaint_records.h"

namespace kam::complaints {
namespace {

// Complaints per transaction: short enough to keep row locks and the outbox lock brief,
// long enough that a backlog of a million is a few thousand transactions.
constexpr int kBatch = 100;

std::string DueQuery() {
  // ix_complaints_sla. SKIP LOCKED: another sweeper's batch is its work, not ours to wait
  // for; a row it committed no longer matches (next_sla_at moved on).
  return absl::StrCat("SELECT ", kComplaintColumns,
                      " FROM complaints c WHERE c.next_sla_at <= ? ORDER BY c.next_sla_at "
                      "LIMIT ? FOR UPDATE SKIP LOCKED");
}

std::vector<Complaint> LockDue(DbConnection& db, absl::Time now, int limit) {
  sql::PreparedStatement& select = db.Prepare(DueQuery());
  BindAll(select, {now, static_cast<int64_t>(limit)});
  std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
  std::vector<Complaint> due;
  while (rows->next()) due.push_back(ReadComplaint(*rows));
  return due;
}

// The managers of the batch's departments (level-1 recipients), in one query. Read without
// a lock: a manager changed concurrently gets this escalation or the next, both fine.
std::map<std::string, std::string> ManagersOf(DbConnection& db,
                                              const std::vector<Complaint>& complaints) {
  std::set<std::string> codes;
  for (const Complaint& c : complaints) {
    if (!c.department.empty()) codes.insert(c.department);
  }
  std::map<std::string, std::string> managers;
  if (codes.empty()) return managers;
  std::vector<std::string> marks(codes.size(), "?");
  sql::PreparedStatement& select = db.Prepare(absl::StrCat(
      "SELECT code, manager_id FROM departments WHERE code IN (", absl::StrJoin(marks, ", "), ")"));
  std::vector<SqlParam> params(codes.begin(), codes.end());
  BindAll(select, params);
  std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
  while (rows->next()) managers[rows->getString(1)] = rows->getString(2);
  return managers;
}

std::string ActionOf(const SlaAlert& alert) {
  if (alert.level == "warning") return "sla_warning";
  if (alert.level == "breach") return "sla_breached";
  return "escalated";
}

std::string NoteOf(const SlaAlert& alert) {
  const std::string due = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", alert.due_at, absl::UTCTimeZone());
  if (alert.level == "warning") return absl::StrCat(alert.kind, " deadline at risk: due ", due);
  if (alert.level == "breach") return absl::StrCat(alert.kind, " deadline breached: due ", due);
  return absl::StrCat("escalated to level ", alert.escalation_level, " (", alert.escalated_to,
                      ") after the ", alert.kind, " breach");
}

// One complaint whose alerts fired in this batch.
struct Fired {
  Complaint before;
  Complaint after;
  std::vector<SlaAlert> alerts;
};

void RecordAlerts(DbConnection& db, absl::Time now, const Fired& fired) {
  Mutation m;
  m.actor = kSweeperActor;
  m.now = now;
  for (const SlaAlert& alert : fired.alerts) {
    Transition t;
    t.complaint_id = fired.after.id;
    t.action = ActionOf(alert);
    t.from = fired.after.state;
    t.to = fired.after.state;
    t.actor = kSweeperActor;
    t.time = now;
    t.note = NoteOf(alert);
    m.note = t.note;
    RecordTransition(db, m, fired.before, fired.after, std::move(t), alert);
  }
}

// One transaction: lock up to `limit` due complaints, fire, write them back, then record
// every alert (the outbox last).
absl::StatusOr<SweepResult> SweepBatch(DbPool& pool, const SlaPolicy& policy, absl::Time now,
                                       int limit) {
  SweepResult result;
  absl::Status status = InTransaction(pool, "sweep SLA", [&](DbConnection& db) -> absl::Status {
    result = SweepResult();
    std::vector<Complaint> due = LockDue(db, now, limit);
    result.complaints = static_cast<int>(due.size());
    result.more = result.complaints == limit;
    const std::map<std::string, std::string> managers = ManagersOf(db, due);
    std::vector<Fired> fired;
    for (Complaint& complaint : due) {
      Complaint before = complaint;
      auto manager = managers.find(complaint.department);
      std::vector<SlaAlert> alerts =
          FireDueAlerts(now, policy, manager == managers.end() ? "" : manager->second, complaint);
      // Written even when nothing fired, so that a stale next_sla_at is recomputed.
      UpdateComplaintRow(db, complaint);
      if (!alerts.empty()) fired.push_back({std::move(before), complaint, std::move(alerts)});
    }
    for (const Fired& f : fired) {
      RecordAlerts(db, now, f);
      for (const SlaAlert& alert : f.alerts) {
        result.fired.push_back({alert, f.after.account_tier, f.after.category});
      }
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

// The open states, for the range scan of ix_complaints_open.
std::string OpenStates() {
  std::vector<std::string> states;
  for (int s = static_cast<int>(State::kRecorded); s <= static_cast<int>(State::kClosed); ++s) {
    if (!IsFinal(static_cast<State>(s))) states.push_back(std::to_string(s));
  }
  return absl::StrJoin(states, ", ");
}

}  // namespace

SlaStore::SlaStore(DbPool& pool, const SlaPolicy& policy) : pool_(pool), policy_(policy) {}

absl::StatusOr<SweepResult> SlaStore::SweepDue(absl::Time now, int limit) {
  // DATETIME(6) keeps microseconds: compare at that precision in SQL and in FireDueAlerts
  // alike, or a deadline a few nanoseconds ahead would be selected again and again.
  now = absl::FromUnixMicros(absl::ToUnixMicros(now));
  SweepResult total;
  while (total.complaints < limit) {
    const int batch = std::min(kBatch, limit - total.complaints);
    absl::StatusOr<SweepResult> done = SweepBatch(pool_, policy_, now, batch);
    if (!done.ok()) {
      if (total.complaints == 0) return done.status();
      // What committed stands and must be counted; the caller's next call meets the error.
      total.more = true;
      return total;
    }
    total.complaints += done->complaints;
    for (SweepResult::Fired& f : done->fired) total.fired.push_back(std::move(f));
    total.more = done->more;
    if (!done->more) break;
  }
  return total;
}

absl::StatusOr<std::vector<OpenCount>> SlaStore::CountOpen() {
  std::vector<OpenCount> counts;
  absl::Status status = WithConnection(pool_, "count open complaints", [&](DbConnection& db) {
    counts.clear();
    sql::PreparedStatement& select = db.Prepare(absl::StrCat(
        "SELECT c.state, c.account_tier, c.category, COUNT(*) FROM complaints c WHERE c.state IN (",
        OpenStates(), ") GROUP BY c.state, c.account_tier, c.category"));
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) {
      OpenCount count;
      count.state = static_cast<State>(rows->getInt(1));
      count.tier = rows->getInt(2);
      count.category = static_cast<Category>(rows->getInt(3));
      count.count = rows->getInt64(4);
      counts.push_back(count);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return counts;
}

}  // namespace kam::complaints
