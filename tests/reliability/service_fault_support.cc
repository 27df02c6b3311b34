#include "tests/reliability/service_fault_support.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "tests/e2e/e2e_client.h"
#include "tests/e2e/kam_stack.h"

namespace kam::reliability {
namespace {

test_support::MariaDbServer& Db() { return e2e::KamStack::Get().db(); }

// The holder's sleep, found in the process list by its exact text.
constexpr char kHolderSleep[] = "SELECT SLEEP(50)";

std::string HolderSessionId() {
  absl::StatusOr<std::string> id = Db().QueryAsRoot(absl::StrCat(
      "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO = '", kHolderSleep, "'"));
  return id.ok() ? std::string(absl::StripAsciiWhitespace(*id)) : "";
}

// "{s}" in `sql` replaced by the schema.
std::string InSchema(const std::string& sql, const std::string& schema) {
  return absl::StrReplaceAll(sql, {{"{s}", schema}});
}

// The event types analytics projects from accounts (Projection::AccountsFeedOptions).
constexpr char kProjectedAccountsTypes[] =
    "(o.event_type LIKE 'account.%' OR o.event_type LIKE 'order.%' OR "
    "o.event_type LIKE 'payment.%' OR o.event_type LIKE 'contract.%' OR "
    "o.event_type LIKE 'opportunity.%' OR o.event_type LIKE 'visit_plan.%')";

// Per account: orders and revenue in accounts (a) and in analytics' rollups (f).
constexpr char kOrderTotals[] =
    "FROM (SELECT account_id, COUNT(*) AS n, SUM(revenue_minor) AS r FROM kam_accounts.orders "
    "GROUP BY account_id) a LEFT JOIN (SELECT account_id, SUM(orders) AS n, "
    "SUM(revenue_minor) AS r FROM kam_analytics.account_month GROUP BY account_id) f "
    "ON f.account_id = a.account_id ";

}  // namespace

RowLockHolder::RowLockHolder(const std::string& lock_sql) {
  const std::string script =
      absl::StrCat("START TRANSACTION; ", lock_sql, "; ", kHolderSleep, "; COMMIT;");
  // Ends with an error when Release() kills the session; nothing to report then.
  session_ = std::thread([script] { (void)Db().ExecAsRoot(script); });
}

bool RowLockHolder::Held(absl::Duration timeout) const {
  return e2e::Eventually([] { return !HolderSessionId().empty(); }, timeout);
}

void RowLockHolder::Release() {
  if (!session_.joinable()) return;
  // The session may not have reached its sleep yet; keep looking until it has ended.
  while (true) {
    const std::string id = HolderSessionId();
    if (!id.empty()) {
      (void)Db().ExecAsRoot(absl::StrCat("KILL ", id));
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  session_.join();
}

int64_t QueryNumber(ScenarioReport& report, const std::string& sql) {
  absl::StatusOr<std::string> out = Db().QueryAsRoot(sql);
  int64_t value = 0;
  if (out.ok() && absl::SimpleAtoi(absl::StripAsciiWhitespace(*out), &value)) return value;
  report.Check("database query", false,
               absl::StrCat(sql, " -> ", out.ok() ? *out : out.status().ToString()));
  return -1;
}

void GateTrail(ScenarioReport& report, const Trail& t) {
  // Creation audit rows and events per row id; ids compared as numbers (resource ids are
  // text).
  const std::string per_row = absl::StrCat(
      "FROM ", t.schema, ".", t.table, " r LEFT JOIN (SELECT CAST(resource_id AS SIGNED) AS id, ",
      "COUNT(*) AS n FROM ", t.schema, ".audit_log WHERE resource_type = '", t.type,
      "' AND action = '", t.created, "' GROUP BY resource_id) l ON l.id = r.id ",
      "LEFT JOIN (SELECT CAST(aggregate_id AS SIGNED) AS id, COUNT(*) AS n FROM ", t.schema,
      ".outbox WHERE aggregate_type = '", t.type, "' AND event_type = '", t.created,
      "' GROUP BY aggregate_id) o ON o.id = r.id ");
  report.Gate("rows_without_audit_or_event",
              QueryNumber(report, absl::StrCat("SELECT COUNT(*) ", per_row,
                                               "WHERE l.n IS NULL OR o.n IS NULL")));
  report.Gate("duplicated_effects", QueryNumber(report, absl::StrCat("SELECT COUNT(*) ", per_row,
                                                                     "WHERE l.n > 1 OR o.n > 1")));
  const std::string orphans = absl::StrCat(
      "SELECT (SELECT COUNT(*) FROM {s}.audit_log x WHERE x.resource_type = '", t.type,
      "' AND NOT EXISTS (SELECT 1 FROM {s}.", t.table,
      " r WHERE r.id = CAST(x.resource_id AS SIGNED))) + (SELECT COUNT(*) FROM {s}.outbox x "
      "WHERE x.aggregate_type = '",
      t.type, "' AND NOT EXISTS (SELECT 1 FROM {s}.", t.table,
      " r WHERE r.id = CAST(x.aggregate_id AS SIGNED)))");
  report.Gate("audit_or_events_without_row", QueryNumber(report, InSchema(orphans, t.schema)));
}

void GateAccountsTrails(ScenarioReport& report) {
  GateTrail(report, {"kam_accounts", "accounts", "account", "account.created"});
  GateTrail(report, {"kam_accounts", "orders", "order", "order.recorded"});
}

void GateComplaintsTrails(ScenarioReport& report) {
  GateTrail(report, {"kam_complaints", "complaints", "complaint", "complaint.recorded"});
  report.Gate(
      "rows_without_audit_or_event",
      QueryNumber(
          report,
          "SELECT COUNT(*) FROM (SELECT complaint_id AS id, COUNT(*) AS n FROM "
          "kam_complaints.complaint_transitions GROUP BY complaint_id) t LEFT JOIN (SELECT "
          "CAST(resource_id AS SIGNED) AS id, COUNT(*) AS n FROM kam_complaints.audit_log WHERE "
          "resource_type = 'complaint' GROUP BY resource_id) l ON l.id = t.id LEFT JOIN (SELECT "
          "CAST(aggregate_id AS SIGNED) AS id, COUNT(*) AS n FROM kam_complaints.outbox WHERE "
          "aggregate_type = 'complaint' GROUP BY aggregate_id) o ON o.id = t.id "
          "WHERE l.n IS NULL OR o.n IS NULL OR l.n <> t.n OR o.n <> t.n"));
}

bool WaitForConsumers(ScenarioReport& report, const std::string& label, absl::Duration timeout) {
  const std::string caught_up =
      "SELECT (SELECT COALESCE(MAX(id), 0) FROM kam_accounts.outbox) <= "
      "(SELECT COALESCE(MAX(cursor_position), 0) FROM kam_analytics.consumer_cursors WHERE "
      "stream = 'accounts') AND (SELECT COALESCE(MAX(id), 0) FROM kam_complaints.outbox) <= "
      "(SELECT COALESCE(MAX(cursor_position), 0) FROM kam_analytics.consumer_cursors WHERE "
      "stream = 'complaints') AND (SELECT COALESCE(MAX(id), 0) FROM kam_accounts.outbox) <= "
      "(SELECT COALESCE(MAX(cursor_position), 0) FROM kam_complaints.consumer_cursors WHERE "
      "stream = 'accounts')";
  const absl::Time start = absl::Now();
  const bool done = e2e::Eventually(
      [&] {
        absl::StatusOr<std::string> out = Db().QueryAsRoot(caught_up);
        return out.ok() && absl::StripAsciiWhitespace(*out) == "1";
      },
      timeout);
  report.Figure(label + "_catch_up_s", absl::ToDoubleSeconds(absl::Now() - start));
  report.Check(label + ": consumers caught up", done,
               absl::StrCat("not within ", absl::FormatDuration(timeout)));
  return done;
}

void GateConsumers(ScenarioReport& report) {
  report.Gate("lost_events",
              QueryNumber(report, absl::StrCat("SELECT COUNT(*) FROM kam_accounts.outbox o LEFT "
                                               "JOIN kam_analytics.applied_events a ON "
                                               "a.event_id = o.event_id WHERE a.event_id IS NULL "
                                               "AND ",
                                               kProjectedAccountsTypes)));
  report.Gate("lost_events",
              QueryNumber(report,
                          "SELECT COUNT(*) FROM kam_complaints.outbox o LEFT JOIN "
                          "kam_analytics.applied_events a ON a.event_id = o.event_id WHERE "
                          "a.event_id IS NULL AND o.event_type LIKE 'complaint.%'"));
  for (const char* facts : {"kam_analytics.accounts", "kam_complaints.account_replica"}) {
    report.Gate("lost_events",
                QueryNumber(report, absl::StrCat("SELECT COUNT(*) FROM kam_accounts.accounts a "
                                                 "LEFT JOIN ",
                                                 facts,
                                                 " f ON f.account_id = a.id WHERE f.account_id "
                                                 "IS NULL OR f.owner_id <> a.owner_id OR "
                                                 "f.tier <> a.tier OR BINARY f.name <> a.name")));
  }
  report.Gate("lost_events",
              QueryNumber(report,
                          "SELECT COUNT(*) FROM kam_complaints.complaints c LEFT JOIN "
                          "kam_analytics.complaint_facts f ON f.complaint_id = c.id WHERE "
                          "f.complaint_id IS NULL OR f.state <> c.state OR "
                          "f.account_tier <> c.account_tier"));
  report.Gate("lost_events", QueryNumber(report,
                                         "SELECT COUNT(*) FROM kam_complaints.complaints c JOIN "
                                         "kam_accounts.accounts a ON a.id = c.account_id WHERE "
                                         "c.account_owner_id <> a.owner_id"));
  report.Gate("lost_events",
              QueryNumber(report, absl::StrCat("SELECT COUNT(*) ", kOrderTotals,
                                               "WHERE f.n IS NULL OR f.n < a.n OR f.r < a.r")));
  report.Gate("duplicated_effects",
              QueryNumber(report, absl::StrCat("SELECT COUNT(*) ", kOrderTotals,
                                               "WHERE f.n > a.n OR f.r > a.r")));
  report.Figure("events_applied_accounts",
                static_cast<double>(QueryNumber(report,
                                                "SELECT COUNT(*) FROM kam_analytics.applied_events "
                                                "WHERE stream = 'accounts'")));
  report.Figure("events_applied_complaints",
                static_cast<double>(QueryNumber(report,
                                                "SELECT COUNT(*) FROM kam_analytics.applied_events "
                                                "WHERE stream = 'complaints'")));
}

}  // namespace kam::reliability
