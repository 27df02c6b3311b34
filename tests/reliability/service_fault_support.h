#pragma once

#include <cstdint>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "tests/reliability/scenario_report.h"

// What the service-fault scenarios (service_faults_test.cc) check in the database after a
// crash or a drain, and the row lock they use to hold a transaction open mid-way.
namespace kam::reliability {

// A root session holding row locks in an open transaction, so that a service transaction
// needing one of those rows waits in the middle (after its earlier writes), where a test can
// kill the service or send it SIGTERM. The session sleeps at most 50 s.
class RowLockHolder {
 public:
  // Starts the session: START TRANSACTION, `lock_sql` (e.g. "SELECT ... FOR UPDATE"), sleep.
  explicit RowLockHolder(const std::string& lock_sql);
  ~RowLockHolder() { Release(); }
  RowLockHolder(const RowLockHolder&) = delete;
  RowLockHolder& operator=(const RowLockHolder&) = delete;

  // Waits until the session holds its locks (it has reached its sleep).
  bool Held(absl::Duration timeout) const;
  // Ends the session (KILL), which rolls its transaction back and frees the rows.
  void Release();

 private:
  std::thread session_;
};

// The one number a root query returns (COUNT(*), MAX(...)); -1 and a failed check when the
// query fails, so that a broken query can never read as "nothing found".
int64_t QueryNumber(ScenarioReport& report, const std::string& sql);

// Rows of `table` (say "kam_accounts.orders", "order") holding at least one transaction of a
// service's `schema`: each row has its creation audit row and outbox event (`created`, e.g.
// "order.recorded") exactly once, and no audit row or event of `type` names a missing row.
struct Trail {
  std::string schema;   // "kam_accounts"
  std::string table;    // "orders"
  std::string type;     // audit resource_type and outbox aggregate_type: "order"
  std::string created;  // the creation's audit action and event type: "order.recorded"
};
// Gates "rows_without_audit_or_event", "audit_or_events_without_row" and
// "duplicated_effects" (a creation audited or published twice) for `trail`.
void GateTrail(ScenarioReport& report, const Trail& trail);
// GateTrail for accounts and orders in kam_accounts.
void GateAccountsTrails(ScenarioReport& report);
// GateTrail for complaints, plus: each complaint has as many audit rows and events as
// procedure transitions (every step writes the three together).
void GateComplaintsTrails(ScenarioReport& report);

// Whether analytics (both streams) and complaints' replica have stored cursors at or past
// their producers' newest outbox events; waits up to `timeout` and adds the figure
// "<label>_catch_up_s".
bool WaitForConsumers(ScenarioReport& report, const std::string& label, absl::Duration timeout);

// After WaitForConsumers: every producer event applied exactly once in effect.
//  - lost_events: an accounts or complaints event of a projected type that analytics has not
//    recorded as applied; an account whose analytics row or complaints replica row differs
//    from accounts (owner, tier, name); a complaint whose analytics fact differs (state,
//    tier); a complaint whose owner did not follow its account's transfer; an account with
//    fewer orders or less revenue in analytics' rollups than in accounts.
//  - duplicated_effects: an account with more orders or revenue in the rollups than in
//    accounts.
// Figures: events_applied_accounts, events_applied_complaints.
void GateConsumers(ScenarioReport& report);

}  // namespace kam::reliability
