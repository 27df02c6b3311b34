// The SLA sweeper at scale: a private MariaDB (tests/support) holding N open complaints,
// and the time SlaStore takes to find and fire what is due. Prints one JSON line.
//   sweep_bench [--complaints 1000000] [--due 10000]
// Measured: a pass when nothing is due (what every replica does every few seconds), and
// the full sweep of `due` complaints whose warning came due at once (the worst case after
// an outage), with one sweeper and with two concurrent sweepers (which must fire each
// alert exactly once between them).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "embedded_migrations.h"
#include "services/common/db.h"
#include "services/common/migrations.h"
#include "services/complaints/sla.h"
#include "services/complaints/sla_store.h"
#include "tests/support/mariadb_server.h"

namespace {

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// 0..99,999 from five digit tables, without a numbers table (MySQL has no seq engine).
constexpr char kHundredThousand[] =
    "(SELECT a.n + 10 * b.n + 100 * c.n + 1000 * d.n + 10000 * e.n AS n FROM "
    "(SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "
    "UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL "
    "SELECT 9) a CROSS JOIN (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 "
    "UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL "
    "SELECT 8 UNION ALL SELECT 9) b CROSS JOIN (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 "
    "UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL "
    "SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c CROSS JOIN (SELECT 0 n UNION ALL SELECT 1 "
    "UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL "
    "SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) d CROSS JOIN (SELECT 0 n "
    "UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL "
    "SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) e)";

// Open complaints being handled (ASSIGNED, judged in time), spread over tiers, categories
// and handlers; their resolution warnings fall due over the next ten days.
// Inserts min(100,000, @remaining) complaints.
std::string SeedChunk() {
  return absl::StrCat(
      "INSERT INTO complaints (account_id, contact_id, account_name, account_tier, "
      "account_owner_id, channel, category, subcategory, description, severity, manner, state, "
      "recorded_by, create_time, update_time, invalid_reason, department, handler_id, cause, "
      "resolution, rejection_reason, implementation_note, follow_up_json, summary, evaluation, "
      "close_time, reopen_count, judge_budget_seconds, judge_warn_at, judge_due_at, "
      "judge_met_at, judge_warned, judge_breached, resolve_budget_seconds, resolve_warn_at, "
      "resolve_due_at, resolve_met_at, resolve_warned, resolve_breached, waiting_on_customer, "
      "paused_at, next_sla_at, queue_due_at, version) "
      "SELECT 1 + t.n % 5000, 0, CONCAT('Bench account ', t.n % 5000), 1 + t.n % 4, "
      "CONCAT('manager-', t.n % 12), 1 + t.n % 5, 1 + t.n % 5, '', 'Bench complaint', "
      "1 + t.n % 4, 1 + t.n % 4, 3, 'bench-agent', @now, @now, '', 'quality', "
      "CONCAT('handler-', t.n % 20), '', '', '', '', NULL, '', '', NULL, 0, 3600, @now, @now, "
      "@now, 0, 0, 864000, @now + INTERVAL 1 DAY + INTERVAL (t.n % 691200) SECOND, "
      "@now + INTERVAL 11 DAY, NULL, 0, 0, 0, NULL, "
      "@now + INTERVAL 1 DAY + INTERVAL (t.n % 691200) SECOND, @now + INTERVAL 11 DAY, 1 "
      "FROM ",
      kHundredThousand, " t WHERE t.n < @remaining");
}

// The first `count` complaints with nothing due yet get their resolution warning due now.
std::string MakeDue(int64_t first_id, int64_t count) {
  return absl::StrCat(
      "UPDATE complaints SET resolve_warn_at = UTC_TIMESTAMP(6) - INTERVAL 1 "
      "MINUTE, next_sla_at = UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE WHERE id >= ",
      first_id, " AND id < ", first_id + count);
}

// Sweeps until nothing is due; returns the alerts fired.
int64_t SweepAll(kam::complaints::SlaStore& store) {
  int64_t fired = 0;
  for (;;) {
    absl::StatusOr<kam::complaints::SweepResult> result = store.SweepDue(absl::Now(), 200);
    if (!result.ok()) {
      std::cerr << "sweep: " << result.status() << std::endl;
      std::exit(1);
    }
    fired += static_cast<int64_t>(result->fired.size());
    if (!result->more) return fired;
  }
}

}  // namespace

int main(int argc, char** argv) {
  int64_t total = 1000000;
  int64_t due = 10000;
  CLI::App app("sweep_bench");
  app.add_option("--complaints", total, "open complaints to seed")->check(CLI::PositiveNumber);
  app.add_option("--due", due, "complaints made due for the full sweep")
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  auto server = kam::test_support::MariaDbServer::Start();
  if (!server.ok()) {
    std::cerr << "mariadb: " << server.status() << std::endl;
    return 1;
  }
  kam::test_support::MariaDbServer& db = **server;
  // The whole table and its indexes in memory, as a production server would have them.
  (void)db.ExecAsRoot("SET GLOBAL innodb_buffer_pool_size = 2147483648");
  if (absl::Status s = db.CreateSchemaWithUser("kam_complaints", "kam_complaints", "bench-pw");
      !s.ok()) {
    std::cerr << s << std::endl;
    return 1;
  }
  kam::DbSettings settings{db.host(), db.port(), "kam_complaints", "bench-pw", "kam_complaints"};
  settings.io_timeout = absl::Minutes(5);
  kam::DbPool pool(settings, nullptr);
  if (absl::Status s = kam::ApplyMigrations(pool, kam::complaints::Migrations()); !s.ok()) {
    std::cerr << s << std::endl;
    return 1;
  }

  const Clock::time_point seed_start = Clock::now();
  for (int64_t offset = 0; offset < total; offset += 100000) {
    const std::string sql = absl::StrCat(
        "SET @now = UTC_TIMESTAMP(6), @remaining = ", total - offset, ";", SeedChunk());
    if (absl::Status s = db.ExecAsRoot("USE kam_complaints; " + sql); !s.ok()) {
      std::cerr << "seed: " << s << std::endl;
      return 1;
    }
  }
  (void)db.ExecAsRoot("ANALYZE TABLE kam_complaints.complaints");
  const double seed_ms = MillisSince(seed_start);

  absl::StatusOr<kam::complaints::SlaPolicy> policy = kam::complaints::LoadSlaPolicy("");
  if (!policy.ok()) return 1;
  kam::complaints::SlaStore store(pool, *policy);

  // Nothing due: the pass every replica makes every few seconds.
  std::vector<double> idle_ms;
  for (int i = 0; i < 50; ++i) {
    const Clock::time_point start = Clock::now();
    if (SweepAll(store) != 0) std::cerr << "unexpected alerts in the idle pass" << std::endl;
    idle_ms.push_back(MillisSince(start));
  }
  std::sort(idle_ms.begin(), idle_ms.end());

  if (absl::Status s = db.ExecAsRoot("USE kam_complaints; " + MakeDue(1, due)); !s.ok()) {
    std::cerr << s << std::endl;
    return 1;
  }
  const Clock::time_point one_start = Clock::now();
  const int64_t fired_one = SweepAll(store);
  const double one_ms = MillisSince(one_start);

  // Two sweepers at once over the next batch: together they fire each alert once.
  if (absl::Status s = db.ExecAsRoot("USE kam_complaints; " + MakeDue(1 + due, due)); !s.ok()) {
    std::cerr << s << std::endl;
    return 1;
  }
  kam::complaints::SlaStore second(pool, *policy);
  int64_t fired_a = 0;
  int64_t fired_b = 0;
  const Clock::time_point two_start = Clock::now();
  std::thread other([&] { fired_b = SweepAll(second); });
  fired_a = SweepAll(store);
  other.join();
  const double two_ms = MillisSince(two_start);

  const nlohmann::ordered_json result = {
      {"complaints", total},
      {"seed_s", seed_ms / 1000},
      {"idle_pass_p50_ms", idle_ms[idle_ms.size() / 2]},
      {"idle_pass_max_ms", idle_ms.back()},
      {"due", due},
      {"one_sweeper_fired", fired_one},
      {"one_sweeper_s", one_ms / 1000},
      {"one_sweeper_alerts_per_s", fired_one / (one_ms / 1000)},
      {"two_sweepers_fired", fired_a + fired_b},
      {"two_sweepers_s", two_ms / 1000},
      {"two_sweepers_alerts_per_s", (fired_a + fired_b) / (two_ms / 1000)}};
  std::cout << result.dump() << std::endl;
  const bool exact = fired_one == due && fired_a + fired_b == due;
  if (!exact) std::cerr << "sweep_bench: alerts fired != complaints due" << std::endl;
  return exact ? 0 : 1;
}
