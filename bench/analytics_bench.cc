// Analytics at scale (issue 5): N accounts and M order lines through the projection, then the
// analyses over the full set against the plain SQL a user would otherwise write over the raw
// lines, in the same run and the same database. Prints one JSON line and a small table.
//   analytics_bench [--accounts 1000000] [--lines 10000000] [--period 2025] [--repeat 3]
//                   [--db-port P --db-user U --db-password W --db-name S]  (else a private
//                   MariaDB, as the integration tests start one)
//
// Load: the generator (analytics_data.h) produces the accounts and complaints streams in
// WatchEventsResponse messages of 500 events, and each message goes through
// Projection::ApplyAccounts / ApplyComplaints: the code the live feed runs, minus the
// network; timed per kind of message, with this process's CPU and the server's counters.
// Then the same order lines (the generator again, same seed) go into a plain table,
// bench_order_lines, with bulk INSERTs, timed apart.
//
// Timed, each the median of --repeat runs: SalesAnalyses::Abc (all accounts, the period),
// Composition by region, Scorer::Score, TierReviews::Run as a dry run, and once applying
// every change through a TierWriter that accepts everything (then once more: an unchanged
// review changes nothing). Plain SQL over bench_order_lines: SUM(revenue) GROUP BY account,
// ABC with window functions, composition by region with window shares, and the line-only
// inputs of the score with PERCENT_RANK; first as loaded (primary key only), then with the
// best covering index a user could add.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/analytics_data.h"
#include "embedded_migrations.h"
#include "services/analytics/projection.h"
#include "services/analytics/sales_analysis.h"
#include "services/analytics/score.h"
#include "services/analytics/tier_review.h"
#include "services/common/db.h"
#include "services/common/idempotency.h"
#include "services/common/migrations.h"
#include "tests/support/mariadb_server.h"

namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::ordered_json;
namespace an = kam::analytics;
namespace v1 = kam::analytics::v1;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] void Fail(const std::string& what, const absl::Status& status) {
  std::cerr << "analytics_bench: " << what << ": " << status << std::endl;
  std::exit(1);
}

struct Options {
  int64_t accounts = 1000000;
  int64_t lines = 10000000;
  uint64_t seed = 20261122;
  std::string period = "2025";
  int repeat = 3;
  int64_t buffer_pool_mb = 4096;
  bool covering = true;
  bool explain = false;
  // A given schema (empty migrations state) instead of a private server.
  std::string db_host = "127.0.0.1";
  int db_port = 0;
  std::string db_user;
  std::string db_password;
  std::string db_name;
};

// ---- Database ----------------------------------------------------------------------------

// Runs one statement on a pooled connection (DDL, SET, ANALYZE: all preparable).
void Exec(kam::DbPool& pool, const std::string& sql) {
  absl::Status s = kam::WithConnection(pool, "bench", [&](kam::DbConnection& db) {
    db.Prepare(sql).execute();
    return absl::OkStatus();
  });
  if (!s.ok()) Fail(sql.substr(0, 60), s);
}

// The first column of the first row, as text ("" for none).
std::string One(kam::DbPool& pool, const std::string& sql) {
  std::string value;
  absl::Status s = kam::WithConnection(pool, "bench", [&](kam::DbConnection& db) {
    std::unique_ptr<sql::ResultSet> rows(db.Prepare(sql).executeQuery());
    if (rows->next()) value = rows->getString(1);
    return absl::OkStatus();
  });
  if (!s.ok()) Fail(sql.substr(0, 60), s);
  return value;
}

// A private MariaDB sized for the data (buffer pool, redo log, temp tables), or nothing when
// the caller gave a schema.
std::unique_ptr<kam::test_support::MariaDbServer> StartPrivateServer(Options& options) {
  if (options.db_port != 0) return nullptr;
  auto server = kam::test_support::MariaDbServer::Start();
  if (!server.ok()) Fail("mariadb", server.status());
  kam::test_support::MariaDbServer& db = **server;
  // Every table and index in memory, as a production server would hold them; a redo log
  // that does not checkpoint every few seconds under bulk load; temp tables large enough
  // that the plain GROUP BY does not spill to disk (PERFORMANCE.md: 64 s -> 6.8 s).
  const std::string settings = absl::StrCat(
      "SET GLOBAL innodb_buffer_pool_size = ", options.buffer_pool_mb * 1024 * 1024,
      "; SET GLOBAL innodb_log_file_size = 1073741824; SET GLOBAL tmp_table_size = 1073741824; "
      "SET GLOBAL max_heap_table_size = 1073741824");
  if (absl::Status s = db.ExecAsRoot(settings); !s.ok()) Fail("server settings", s);
  if (absl::Status s = db.CreateSchemaWithUser("kam_analytics", "kam_analytics", "bench-pw");
      !s.ok()) {
    Fail("schema", s);
  }
  options.db_host = db.host();
  options.db_port = db.port();
  options.db_user = options.db_name = "kam_analytics";
  options.db_password = "bench-pw";
  return std::move(*server);
}

kam::DbSettings SettingsFor(const Options& options, int pool_size) {
  kam::DbSettings settings{options.db_host, options.db_port, options.db_user, options.db_password,
                           options.db_name};
  settings.pool_size = pool_size;
  settings.pool_wait = absl::Seconds(30);
  settings.io_timeout = absl::Minutes(30);
  return settings;
}

constexpr char kCreateRawLines[] =
    "CREATE TABLE bench_order_lines ("
    " id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " account_id BIGINT NOT NULL,"
    " order_time DATETIME(6) NOT NULL,"
    " product_code VARCHAR(64) NOT NULL,"
    " revenue_minor BIGINT NOT NULL,"
    " cost_minor BIGINT NOT NULL,"
    " quantity BIGINT NOT NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";

// The best index a user could give the plain queries: groups by account, ranges on time,
// covers every column they read.
constexpr char kAddCoveringIndex[] =
    "ALTER TABLE bench_order_lines ADD INDEX ix_bench_cover "
    "(account_id, order_time, revenue_minor, cost_minor, quantity)";

// Writes the raw lines in multi-row INSERTs of kBatch rows (one prepared statement each),
// kBatchesPerCommit statements per transaction: a commit is an fsync, which costs several
// milliseconds on a busy disk.
class RawLineWriter {
 public:
  explicit RawLineWriter(kam::DbPool& pool) : pool_(pool) {}

  void Add(std::vector<kam::bench::RawLine>& lines) {
    pending_.insert(pending_.end(), lines.begin(), lines.end());
    lines.clear();
    if (pending_.size() >= kBatch * kBatchesPerCommit) Write(false);
  }
  void Finish() { Write(true); }
  double seconds() const { return seconds_; }

 private:
  static constexpr size_t kBatch = 1000;
  static constexpr size_t kBatchesPerCommit = 20;

  static std::string InsertSql(size_t rows) {
    std::string sql =
        "INSERT INTO bench_order_lines (account_id, order_time, product_code, revenue_minor, "
        "cost_minor, quantity) VALUES ";
    for (size_t i = 0; i < rows; ++i) absl::StrAppend(&sql, i == 0 ? "" : ",", "(?,?,?,?,?,?)");
    return sql;
  }

  static void Insert(kam::DbConnection& db, const kam::bench::RawLine* lines, size_t rows,
                     const std::string& sql) {
    std::vector<kam::SqlParam> params;
    params.reserve(rows * 6);
    for (size_t i = 0; i < rows; ++i) {
      params.insert(params.end(), {lines[i].account_id, lines[i].order_time,
                                   kam::bench::ProductCode(lines[i].product),
                                   lines[i].revenue_minor, lines[i].cost_minor, lines[i].quantity});
    }
    sql::PreparedStatement& stmt = db.Prepare(sql);
    kam::BindAll(stmt, params);
    stmt.executeUpdate();
  }

  // The full batches pending (and the rest too when `all`), in one transaction. Only the
  // last statement of the run has another size: one more statement to prepare, not one per
  // size.
  void Write(bool all) {
    const size_t count = all ? pending_.size() : pending_.size() / kBatch * kBatch;
    if (count == 0) return;
    const Clock::time_point start = Clock::now();
    absl::Status s = kam::InTransaction(pool_, "bench raw lines", [&](kam::DbConnection& db) {
      for (size_t at = 0; at < count; at += kBatch) {
        const size_t rows = std::min(kBatch, count - at);
        Insert(db, pending_.data() + at, rows, rows == kBatch ? batch_sql_ : InsertSql(rows));
      }
      return absl::OkStatus();
    });
    if (!s.ok()) Fail("raw lines", s);
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(count));
    seconds_ += SecondsSince(start);
  }

  kam::DbPool& pool_;
  const std::string batch_sql_ = InsertSql(kBatch);
  std::vector<kam::bench::RawLine> pending_;
  double seconds_ = 0;
};

// ---- Load --------------------------------------------------------------------------------

// The projection's time on one kind of message.
struct PhaseTime {
  int64_t messages = 0;
  int64_t events = 0;
  double seconds = 0;       // wall, inside Apply*
  double client_cpu_s = 0;  // this process's CPU in there (the rest: the server, waits)
};

struct LoadResult {
  kam::bench::StreamCounts accounts;
  kam::bench::StreamCounts complaints;
  // "accounts" (account.created/archived), "commerce" (orders, payments, contracts),
  // "complaints".
  std::map<std::string, PhaseTime> phases;
  double generate_s = 0;  // building the messages (not the projection's cost)
  double apply_s = 0;     // inside ApplyAccounts / ApplyComplaints
  double wall_s = 0;
  int64_t messages = 0;
};

double ProcessCpuSeconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// Times `apply` as one message of `phase`.
void Apply(LoadResult& result, const std::string& phase, int events,
           const std::function<absl::StatusOr<kam::FeedProgress>()>& apply) {
  const Clock::time_point start = Clock::now();
  const double cpu = ProcessCpuSeconds();
  absl::StatusOr<kam::FeedProgress> progress = apply();
  if (!progress.ok()) Fail(absl::StrCat("apply (", phase, ")"), progress.status());
  PhaseTime& time = result.phases[phase];
  time.seconds += SecondsSince(start);
  time.client_cpu_s += ProcessCpuSeconds() - cpu;
  time.events += events;
  ++time.messages;
  ++result.messages;
}

// Every message through the projection.
LoadResult Load(const kam::bench::DataShape& shape, an::Projection& projection) {
  LoadResult result;
  const Clock::time_point wall = Clock::now();
  kam::bench::AccountsStream accounts(shape);
  kam::accounts::v1::WatchEventsResponse message;
  std::vector<kam::bench::RawLine> lines;
  int64_t next_report = 0;
  for (;;) {
    const Clock::time_point step = Clock::now();
    if (!accounts.Next(message, lines)) break;
    lines.clear();
    result.generate_s += SecondsSince(step);
    const bool commerce = message.events(0).type().rfind("account.", 0) != 0;
    Apply(result, commerce ? "commerce" : "accounts", message.events_size(),
          [&] { return projection.ApplyAccounts(message); });
    if (accounts.counts().events >= next_report) {
      std::cerr << "load: " << accounts.counts().events << " events, " << accounts.counts().lines
                << " lines, " << static_cast<int64_t>(SecondsSince(wall)) << " s" << std::endl;
      next_report += 250000;
    }
  }

  kam::bench::ComplaintsStream complaints(shape, accounts.cumulative_weights());
  kam::complaints::v1::WatchEventsResponse complaint_message;
  for (;;) {
    const Clock::time_point step = Clock::now();
    if (!complaints.Next(complaint_message)) break;
    result.generate_s += SecondsSince(step);
    Apply(result, "complaints", complaint_message.events_size(),
          [&] { return projection.ApplyComplaints(complaint_message); });
  }
  for (const auto& [phase, time] : result.phases) result.apply_s += time.seconds;
  result.accounts = accounts.counts();
  result.complaints = complaints.counts();
  result.wall_s = SecondsSince(wall);
  return result;
}

// The same lines again (the generator is deterministic) into bench_order_lines; seconds.
double LoadRawLines(const kam::bench::DataShape& shape, kam::DbPool& pool) {
  RawLineWriter raw(pool);
  kam::bench::AccountsStream accounts(shape);
  kam::accounts::v1::WatchEventsResponse message;
  std::vector<kam::bench::RawLine> lines;
  while (accounts.Next(message, lines)) raw.Add(lines);
  raw.Finish();
  return raw.seconds();
}

// Server counters (MariaDB's information_schema.GLOBAL_STATUS; empty elsewhere), to see what
// the load cost the server: statements, rows written (Handler_write/update/delete), index
// lookups, fsyncs, redo bytes.
std::map<std::string, int64_t> ServerCounters(kam::DbPool& pool) {
  std::map<std::string, int64_t> counters;
  (void)kam::WithConnection(pool, "status", [&](kam::DbConnection& db) {
    try {
      std::unique_ptr<sql::ResultSet> rows(
          db.Prepare(
                "SELECT VARIABLE_NAME AS n, VARIABLE_VALUE AS v FROM "
                "information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('COM_STMT_EXECUTE', "
                "'HANDLER_WRITE', "
                "'HANDLER_UPDATE', 'HANDLER_DELETE', 'HANDLER_READ_KEY', 'INNODB_DATA_FSYNCS', "
                "'INNODB_OS_LOG_WRITTEN', 'INNODB_BUFFER_POOL_READS')")
              .executeQuery());
      while (rows->next()) counters[rows->getString("n")] = rows->getInt64("v");
    } catch (const sql::SQLException&) {
    }
    return absl::OkStatus();
  });
  return counters;
}

Json CounterDelta(const std::map<std::string, int64_t>& before,
                  const std::map<std::string, int64_t>& after) {
  Json out = Json::object();
  for (const auto& [name, value] : after) {
    const auto it = before.find(name);
    std::string key = name;
    std::transform(key.begin(), key.end(), key.begin(), ::tolower);
    out[key] = value - (it == before.end() ? 0 : it->second);
  }
  return out;
}

Json PhasesJson(const LoadResult& load) {
  Json out = Json::object();
  for (const auto& [phase, time] : load.phases) {
    out[phase] = {{"messages", time.messages},
                  {"events", time.events},
                  {"apply_s", std::round(time.seconds * 10) / 10},
                  {"events_per_s", std::llround(time.events / time.seconds)},
                  {"client_cpu_s", std::round(time.client_cpu_s * 10) / 10}};
  }
  return out;
}

// ---- Timing ------------------------------------------------------------------------------

// Figures by key: the median wall time of `repeat` runs and this process's CPU time in the
// same run (sorting, classifying, building protos, reading rows in the connector; the rest of
// the wall time is the server, or waiting for a core). A failure prints its error and leaves
// nulls: a module still provisional must not stop the rest of the run.
class Timings {
 public:
  // `label` prefixes the keys in progress lines on stderr.
  explicit Timings(std::string label = "") : label_(std::move(label)) {}

  bool Time(const std::string& key, int repeat, const std::function<absl::Status()>& body) {
    std::vector<std::pair<double, double>> runs;  // (wall, cpu)
    for (int i = 0; i < repeat; ++i) {
      const Clock::time_point start = Clock::now();
      const double cpu = ProcessCpuSeconds();
      if (absl::Status s = body(); !s.ok()) {
        std::cerr << label_ << key << ": " << s << std::endl;
        seconds_[key] = nullptr;
        client_cpu_[key] = nullptr;
        return false;
      }
      runs.emplace_back(SecondsSince(start), ProcessCpuSeconds() - cpu);
      std::cerr << label_ << key << ": " << runs.back().first << " s" << std::endl;
    }
    std::sort(runs.begin(), runs.end());
    seconds_[key] = Rounded(runs[runs.size() / 2].first);
    client_cpu_[key] = Rounded(runs[runs.size() / 2].second);
    return true;
  }
  const Json& seconds() const { return seconds_; }
  const Json& client_cpu() const { return client_cpu_; }

 private:
  static double Rounded(double seconds) { return std::round(seconds * 1000) / 1000; }
  std::string label_;
  Json seconds_ = Json::object();
  Json client_cpu_ = Json::object();
};

// A TierWriter that accepts every change at once (the accounts service out of the picture).
// Thread-safe: the review calls it from several threads at once.
class AcceptingTierWriter : public an::TierWriter {
 public:
  absl::Status SetTier(int64_t, kam::accounts::v1::Tier, const std::string&, const std::string&,
                       const std::string&) override {
    calls_.fetch_add(1, std::memory_order_relaxed);
    return absl::OkStatus();
  }
  int64_t calls() const { return calls_.load(); }

 private:
  std::atomic<int64_t> calls_{0};
};

kam::Mutation ReviewMutation(const v1::TierReviewParameters& parameters, bool dry_run,
                             const std::string& request_id) {
  v1::RunTierReviewRequest request;
  request.set_request_id(request_id);
  *request.mutable_parameters() = parameters;
  request.set_dry_run(dry_run);
  kam::Mutation m;
  m.actor = "bench";
  m.request_id = request_id;
  m.fingerprint = kam::RequestFingerprint("RunTierReview", request);
  m.now = absl::Now();
  return m;
}

// ---- The analyses ------------------------------------------------------------------------

struct AnalysisResults {
  Timings timings;
  Json facts = Json::object();  // what they returned, for the cross-checks
};

AnalysisResults TimeAnalyses(kam::DbPool& pool, an::Projection& projection,
                             const an::AnalyticsConfig& config, const an::Scope& scope,
                             int repeat) {
  AnalysisResults out;
  an::SalesAnalyses sales(pool, config);
  an::Scorer scorer(pool, config);
  AcceptingTierWriter writer;
  an::TierReviews reviews(pool, sales, scorer, projection, writer);

  absl::StatusOr<v1::AbcThresholds> thresholds = an::CheckAbcThresholds(v1::AbcThresholds());
  absl::StatusOr<v1::ScoreWeights> weights = an::CheckWeights(v1::ScoreWeights());
  v1::TierReviewParameters given;
  given.set_period(scope.period.label);
  absl::StatusOr<v1::TierReviewParameters> parameters = an::CheckReviewParameters(given);
  if (!thresholds.ok() || !weights.ok() || !parameters.ok()) {
    Fail("defaults", absl::InternalError("thresholds, weights or parameters refused"));
  }

  out.timings.Time("abc", repeat, [&]() -> absl::Status {
    absl::StatusOr<v1::AnalyzeAbcResponse> r = sales.Abc(scope, *thresholds);
    if (!r.ok()) return r.status();
    out.facts["abc_rows"] = r->rows_size();
    out.facts["abc_customers"] = r->customers();
    out.facts["abc_total_revenue"] = r->total_revenue().minor_units();
    out.facts["pareto_top20_share"] = r->pareto_top20_share();
    for (const v1::AbcClassSummary& c : r->classes()) {
      out.facts[absl::StrCat("abc_class_", v1::AbcClass_Name(c.abc_class()))] = c.customers();
    }
    return absl::OkStatus();
  });
  out.timings.Time("composition_region", repeat, [&]() -> absl::Status {
    absl::StatusOr<v1::AnalyzeCompositionResponse> r =
        sales.Composition(scope, v1::DIMENSION_REGION);
    if (!r.ok()) return r.status();
    out.facts["composition_rows"] = r->rows_size();
    out.facts["composition_classes"] = r->classes_size();
    out.facts["composition_total_revenue"] = r->total_revenue().minor_units();
    return absl::OkStatus();
  });
  out.timings.Time("score", repeat, [&]() -> absl::Status {
    absl::StatusOr<v1::ScoreAccountsResponse> r = scorer.Score(scope, *weights);
    if (!r.ok()) return r.status();
    out.facts["score_rows"] = r->rows_size();
    return absl::OkStatus();
  });
  int run = 0;
  out.timings.Time("tier_review_dry_run", repeat, [&]() -> absl::Status {
    const std::string id = absl::StrCat("bench-dry-", ++run);
    absl::StatusOr<v1::TierReview> r =
        reviews.Run(ReviewMutation(*parameters, true, id), *parameters, true);
    if (!r.ok()) return r.status();
    out.facts["review_accounts"] = r->accounts_reviewed();
    out.facts["review_promotions"] = r->promotions();
    out.facts["review_demotions"] = r->demotions();
    return absl::OkStatus();
  });
  // Applying changes tiers: once, last, then once more (an unchanged review changes nothing).
  for (const char* name : {"tier_review_apply", "tier_review_apply_again"}) {
    const int64_t calls_before = writer.calls();
    out.timings.Time(name, 1, [&]() -> absl::Status {
      absl::StatusOr<v1::TierReview> r =
          reviews.Run(ReviewMutation(*parameters, false, name), *parameters, false);
      if (!r.ok()) return r.status();
      out.facts[absl::StrCat(name, "_state")] = v1::ReviewState_Name(r->state());
      return absl::OkStatus();
    });
    out.facts[absl::StrCat(name, "_set_tier_calls")] = writer.calls() - calls_before;
  }
  return out;
}

// ---- Plain SQL over the raw lines ---------------------------------------------------------

constexpr char kRevenueByAccount[] =
    "SELECT l.account_id, SUM(l.revenue_minor) AS revenue FROM bench_order_lines l "
    "WHERE l.order_time >= ? AND l.order_time < ? GROUP BY l.account_id";

// Per account in the period, archived accounts left out (as the analyses do).
constexpr char kGroupedSubquery[] =
    "SELECT l.account_id, SUM(l.revenue_minor) AS revenue FROM bench_order_lines l "
    "JOIN accounts a ON a.account_id = l.account_id AND NOT a.archived "
    "WHERE l.order_time >= ? AND l.order_time < ? GROUP BY l.account_id";

// Rank, cumulative share and class (A while the share before the customer is below 75 %,
// B below 95 %), all in SQL.
const std::string kAbcWindow = absl::StrCat(
    "SELECT account_id, revenue, rank_no, running / total AS cumulative_share, "
    "CASE WHEN (running - revenue) * 10000 < 7500 * total THEN 1 "
    "WHEN (running - revenue) * 10000 < 9500 * total THEN 2 ELSE 3 END AS abc_class "
    "FROM (SELECT account_id, revenue, RANK() OVER (ORDER BY revenue DESC) AS rank_no, "
    "SUM(revenue) OVER (ORDER BY revenue DESC, account_id ROWS UNBOUNDED PRECEDING) AS running, "
    "SUM(revenue) OVER () AS total FROM (",
    kGroupedSubquery, ") t) w ORDER BY revenue DESC, account_id");

constexpr char kCompositionRegion[] =
    "SELECT region, account_id, revenue, revenue / SUM(revenue) OVER (PARTITION BY region) "
    "AS share_in_class FROM (SELECT a.region, l.account_id, SUM(l.revenue_minor) AS revenue "
    "FROM bench_order_lines l JOIN accounts a ON a.account_id = l.account_id AND NOT a.archived "
    "WHERE l.order_time >= ? AND l.order_time < ? GROUP BY a.region, l.account_id) t "
    "ORDER BY region, revenue DESC, account_id";

// The part of the score the lines alone give (revenue, profit, unit price, each ranked):
// a lower bound, the real score also reads payments, contracts and complaints.
constexpr char kScoreLineInputs[] =
    "SELECT account_id, revenue, profit, unit_price, PERCENT_RANK() OVER (ORDER BY revenue), "
    "PERCENT_RANK() OVER (ORDER BY profit), PERCENT_RANK() OVER (ORDER BY unit_price) "
    "FROM (SELECT l.account_id, SUM(l.revenue_minor) AS revenue, "
    "SUM(l.revenue_minor - l.cost_minor) AS profit, SUM(l.revenue_minor) / SUM(l.quantity) "
    "AS unit_price FROM bench_order_lines l JOIN accounts a ON a.account_id = l.account_id "
    "AND NOT a.archived WHERE l.order_time >= ? AND l.order_time < ? GROUP BY l.account_id) t";

// Runs `sql` with the period's bounds and reads every row into the client (as the analyses
// return every row): the row count and the sum of the `revenue` column.
struct PlainResult {
  int64_t rows = 0;
  int64_t revenue = 0;
};
absl::Status RunPlain(kam::DbPool& pool, const std::string& sql, absl::Time start, absl::Time end,
                      PlainResult& out) {
  return kam::WithConnection(pool, "plain sql", [&](kam::DbConnection& db) {
    sql::PreparedStatement& stmt = db.Prepare(sql);
    kam::BindAll(stmt, {start, end});
    std::unique_ptr<sql::ResultSet> rows(stmt.executeQuery());
    out = PlainResult();
    while (rows->next()) {
      ++out.rows;
      out.revenue += rows->getInt64("revenue");
    }
    return absl::OkStatus();
  });
}

// EXPLAIN `sql` to stderr: one line per table (what it reads, by which key, how many rows).
void Explain(kam::DbPool& pool, const std::string& name, const std::string& sql, absl::Time start,
             absl::Time end) {
  absl::Status s = kam::WithConnection(pool, "explain", [&](kam::DbConnection& db) {
    sql::PreparedStatement& stmt = db.Prepare("EXPLAIN " + sql);
    kam::BindAll(stmt, {start, end});
    std::unique_ptr<sql::ResultSet> rows(stmt.executeQuery());
    while (rows->next()) {
      std::cerr << "explain " << name << ": " << rows->getString("select_type") << " "
                << rows->getString("table") << " type=" << rows->getString("type")
                << " key=" << rows->getString("key") << " rows=" << rows->getString("rows") << " "
                << rows->getString("Extra") << std::endl;
    }
    return absl::OkStatus();
  });
  if (!s.ok()) std::cerr << "explain " << name << ": " << s << std::endl;
}

Timings TimePlain(kam::DbPool& pool, const an::Scope& scope, const an::AnalyticsConfig& config,
                  int repeat, bool explain, Json& facts, const std::string& suffix) {
  const absl::Time start = scope.period.Start(config.zone);
  const absl::Time end = scope.period.End(config.zone);
  const std::vector<std::pair<std::string, std::string>> queries = {
      {"revenue_by_account", kRevenueByAccount},
      {"abc_window", kAbcWindow},
      {"composition_region", kCompositionRegion},
      {"score_line_inputs", kScoreLineInputs}};
  Timings timings(absl::StrCat("plain", suffix, " "));
  for (const auto& [name, sql] : queries) {
    if (explain) Explain(pool, name + suffix, sql, start, end);
    PlainResult result;
    timings.Time(name, repeat, [&] { return RunPlain(pool, sql, start, end, result); });
    facts[absl::StrCat("plain_", name, suffix, "_rows")] = result.rows;
    facts[absl::StrCat("plain_", name, suffix, "_revenue")] = result.revenue;
  }
  return timings;
}

// ---- Report ------------------------------------------------------------------------------

int64_t CursorOf(an::Projection& projection, const char* stream) {
  absl::StatusOr<int64_t> cursor = projection.Cursor(stream);
  return cursor.ok() ? *cursor : -1;
}

Json TableSizes(kam::DbPool& pool, const std::string& schema) {
  Json sizes = Json::object();
  absl::Status s = kam::WithConnection(pool, "sizes", [&](kam::DbConnection& db) {
    sql::PreparedStatement& stmt = db.Prepare(
        "SELECT table_name AS t, table_rows AS n, data_length + index_length AS b FROM "
        "information_schema.tables WHERE table_schema = ? AND data_length + index_length > "
        "1048576 ORDER BY b DESC");
    kam::BindAll(stmt, {schema});
    std::unique_ptr<sql::ResultSet> rows(stmt.executeQuery());
    while (rows->next()) {
      sizes[rows->getString("t")] = {{"rows_estimate", rows->getInt64("n")},
                                     {"mib", rows->getInt64("b") / 1048576}};
    }
    return absl::OkStatus();
  });
  if (!s.ok()) Fail("sizes", s);
  return sizes;
}

std::string Cell(const Json& seconds) {
  if (seconds.is_null()) return "n/a";
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f s", seconds.get<double>());
  return text;
}

void PrintTable(const Json& report) {
  const Json& a = report["analyses_s"];
  const Json& p = report["plain_s"];
  const Json& c = report.contains("plain_covering_s") ? report["plain_covering_s"] : Json::object();
  auto covered = [&](const char* key) { return c.contains(key) ? Cell(c[key]) : "n/a"; };
  std::printf("\n| analysis | analytics | plain SQL | plain SQL + covering index |\n");
  std::printf("|---|---|---|---|\n");
  std::printf("| revenue per account (GROUP BY only) | - | %s | %s |\n",
              Cell(p["revenue_by_account"]).c_str(), covered("revenue_by_account").c_str());
  std::printf("| ABC, all accounts | %s | %s | %s |\n", Cell(a["abc"]).c_str(),
              Cell(p["abc_window"]).c_str(), covered("abc_window").c_str());
  std::printf("| composition by region | %s | %s | %s |\n", Cell(a["composition_region"]).c_str(),
              Cell(p["composition_region"]).c_str(), covered("composition_region").c_str());
  std::printf("| score, all accounts | %s | %s (lines only) | %s (lines only) |\n",
              Cell(a["score"]).c_str(), Cell(p["score_line_inputs"]).c_str(),
              covered("score_line_inputs").c_str());
  std::printf("| tier review, dry run | %s | - | - |\n", Cell(a["tier_review_dry_run"]).c_str());
  std::printf("| tier review, applying | %s | - | - |\n", Cell(a["tier_review_apply"]).c_str());
  std::printf("| tier review, applying again | %s | - | - |\n",
              Cell(a["tier_review_apply_again"]).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app("analytics_bench");
  app.add_option("--accounts", options.accounts, "accounts to generate")
      ->check(CLI::PositiveNumber);
  app.add_option("--lines", options.lines, "order lines to generate")->check(CLI::PositiveNumber);
  app.add_option("--seed", options.seed, "generator seed");
  app.add_option("--period", options.period, "the analysed period (data covers 2024-2025)");
  app.add_option("--repeat", options.repeat, "runs per figure (median)")
      ->check(CLI::PositiveNumber);
  app.add_option("--buffer-pool-mb", options.buffer_pool_mb, "private server's buffer pool");
  app.add_flag("!--no-covering", options.covering, "skip the covering-index round");
  app.add_flag("--explain", options.explain, "print the plain queries' plans to stderr");
  app.add_option("--db-host", options.db_host, "a given server instead of a private one");
  app.add_option("--db-port", options.db_port, "a given server's port (0: private server)");
  app.add_option("--db-user", options.db_user, "");
  app.add_option("--db-password", options.db_password, "");
  app.add_option("--db-name", options.db_name, "an empty schema the bench may fill");
  CLI11_PARSE(app, argc, argv);

  std::unique_ptr<kam::test_support::MariaDbServer> server = StartPrivateServer(options);
  kam::DbPool pool(SettingsFor(options, 4), nullptr);
  if (absl::Status s = kam::ApplyMigrations(pool, kam::analytics::Migrations()); !s.ok()) {
    Fail("migrations", s);
  }
  if (One(pool, "SELECT COUNT(*) FROM accounts") != "0") {
    Fail("schema", absl::FailedPreconditionError("the schema already holds accounts"));
  }
  Exec(pool, kCreateRawLines);

  an::AnalyticsConfig config;
  if (!absl::LoadTimeZone("Asia/Shanghai", &config.zone)) {
    Fail("zone", absl::InternalError("no tzdata for Asia/Shanghai"));
  }
  kam::bench::DataShape shape;
  shape.accounts = options.accounts;
  shape.lines = options.lines;
  shape.seed = options.seed;
  shape.zone = config.zone;

  an::Projection projection(pool, config, nullptr);
  const std::map<std::string, int64_t> counters_before = ServerCounters(pool);
  const LoadResult load = Load(shape, projection);
  const Json load_counters = CounterDelta(counters_before, ServerCounters(pool));
  std::cerr << "raw lines: inserting " << options.lines << std::endl;
  const double raw_insert_s = LoadRawLines(shape, pool);
  const Clock::time_point analyze_start = Clock::now();
  for (const char* table :
       {"accounts", "account_groups", "account_activity", "account_month", "account_product_month",
        "product_month", "complaint_facts", "bench_order_lines"}) {
    Exec(pool, absl::StrCat("ANALYZE TABLE ", table));
  }
  const double analyze_s = SecondsSince(analyze_start);

  absl::StatusOr<an::Period> period = an::ParsePeriod("period", options.period);
  if (!period.ok()) Fail("period", period.status());
  const an::Scope scope{*period, v1::AnalysisFilter()};

  Json report;
  report["bench"] = "analytics";
  report["server"] = One(pool, "SELECT VERSION()");
  report["accounts"] = options.accounts;
  report["order_lines"] = options.lines;
  report["period"] = period->label;
  report["repeat"] = options.repeat;
  report["load"] = {{"messages", load.messages},
                    {"events", load.accounts.events + load.complaints.events},
                    {"orders", load.accounts.orders},
                    {"payments", load.accounts.payments},
                    {"contracts", load.accounts.contracts},
                    {"archived", load.accounts.archived},
                    {"complaints", load.complaints.complaints},
                    {"apply_s", std::round(load.apply_s * 10) / 10},
                    {"events_per_s",
                     std::llround((load.accounts.events + load.complaints.events) / load.apply_s)},
                    {"lines_per_s", std::llround(load.accounts.lines / load.apply_s)},
                    {"generate_s", std::round(load.generate_s * 10) / 10},
                    {"raw_insert_s", std::round(raw_insert_s * 10) / 10},
                    {"raw_lines_per_s", std::llround(load.accounts.lines / raw_insert_s)},
                    {"wall_s", std::round(load.wall_s * 10) / 10},
                    {"phases", PhasesJson(load)},
                    {"server_counters", load_counters},
                    {"analyze_tables_s", std::round(analyze_s * 10) / 10}};
  report["projected"] = {{"accounts_cursor", CursorOf(projection, an::kAccountsStream)},
                         {"complaints_cursor", CursorOf(projection, an::kComplaintsStream)},
                         {"accounts_events", load.accounts.events},
                         {"complaints_events", load.complaints.events},
                         {"order_lines_in_account_month",
                          One(pool, "SELECT COALESCE(SUM(order_lines), 0) FROM account_month")}};
  report["sizes"] = TableSizes(pool, options.db_name);

  AnalysisResults analyses = TimeAnalyses(pool, projection, config, scope, options.repeat);
  // Plain SQL on its own connection, with the optimizer switch a user who read the plan
  // would set (PERFORMANCE.md: split_materialized probed the index once per customer); MySQL
  // has no such switch, and refuses the SET harmlessly.
  kam::DbPool plain_pool(SettingsFor(options, 1), nullptr);
  (void)kam::WithConnection(plain_pool, "switch", [](kam::DbConnection& db) {
    try {
      db.Prepare("SET SESSION optimizer_switch = 'split_materialized=off'").execute();
    } catch (const sql::SQLException&) {
    }
    return absl::OkStatus();
  });
  const Timings plain =
      TimePlain(plain_pool, scope, config, options.repeat, options.explain, analyses.facts, "");
  report["analyses_s"] = analyses.timings.seconds();
  report["plain_s"] = plain.seconds();
  if (options.covering) {
    const Clock::time_point index_start = Clock::now();
    Exec(pool, kAddCoveringIndex);
    report["covering_index_build_s"] = std::round(SecondsSince(index_start) * 10) / 10;
    const Timings covering = TimePlain(plain_pool, scope, config, options.repeat, options.explain,
                                       analyses.facts, "_covering");
    report["plain_covering_s"] = covering.seconds();
    report["plain_covering_client_cpu_s"] = covering.client_cpu();
  }
  report["analyses_client_cpu_s"] = analyses.timings.client_cpu();
  report["plain_client_cpu_s"] = plain.client_cpu();
  report["results"] = analyses.facts;
  std::cout << report.dump() << std::endl;
  PrintTable(report);
  return 0;
}
