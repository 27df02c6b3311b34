// The SLA sweep against a private MariaDB with the shipped migrations: alerts written as
// transitions, audit rows and events; escalations to the department's manager and then the
// director; each alert fired and counted exactly once, also with several sweepers at once;
// the open-complaints gauge.
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <atomic>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "embedded_migrations.h"
#include "gtest/gtest.h"
#include "services/complaints/complaint_store.h"
#include "services/complaints/sla.h"
#include "services/complaints/sla_store.h"
#include "services/complaints/sla_sweeper.h"
#include "tests/support/schema_test.h"
#include "tests/support/test_helpers.h"

namespace kam::complaints {
namespace {

using ::nlohmann::json;
using test_support::Ok;
using test_support::RunConcurrently;

const Principal kAgent{"agent-chen", {"service_agent"}, ""};
constexpr int64_t kTierAAccount = 101;
constexpr int64_t kTierBAccount = 102;

// Monday 2026-11-16 09:00 UTC, microseconds on purpose (DATETIME(6) keeps them).
const absl::Time kIntake = absl::FromUnixMicros(1'794'819'600'000'000 + 123'456);
absl::Time At(int hours) { return kIntake + absl::Hours(hours); }

// Round the clock, so business time is wall time: judge 10h (warning at 8h), resolve 50h
// (warning at 40h), level 2 four hours after level 1.
SlaPolicy RoundTheClockPolicy() {
  json targets = json::array();
  for (const char* tier : {"A", "B", "C", "D", "untiered"}) {
    for (const char* severity : {"low", "medium", "high", "critical"}) {
      targets.push_back(
          {{"tier", tier}, {"severity", severity}, {"judge", "10h"}, {"resolve", "50h"}});
    }
  }
  json doc = {{"calendar",
               {{"time_zone", "UTC"},
                {"working_days", {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}},
                {"working_hours", json::array({json::array({"00:00", "24:00"})})}}},
              {"escalation_delay", "4h"},
              {"targets", targets}};
  return ParseSlaPolicy(doc.dump()).value();
}

// The value of one series of a counter or gauge; 0 when the series does not exist.
double ValueOf(prometheus::Registry& registry, const std::string& name,
               const std::map<std::string, std::string>& labels) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      std::map<std::string, std::string> have;
      for (const auto& label : metric.label) have[label.name] = label.value;
      if (have != labels) continue;
      return family.type == prometheus::MetricType::Gauge ? metric.gauge.value
                                                          : metric.counter.value;
    }
  }
  return 0;
}

class SlaSweepTest : public test_support::SchemaTest {
 protected:
  SlaSweepTest() : policy_(RoundTheClockPolicy()) {}

  void SetUp() override {
    OpenSchema("sla", Migrations(), absl::Seconds(30));
    complaints_ = std::make_unique<ComplaintStore>(*pool_, policy_);
    sla_ = std::make_unique<SlaStore>(*pool_, policy_);
    metrics_ = std::make_unique<ComplaintMetrics>(registry_);
    Exec(
        "INSERT INTO account_replica (account_id, name, tier, owner_id, status, archived, "
        "source_sequence, updated_at) VALUES (101, 'Huaxin Steel', 1, 'mgr-li', 1, 0, 1, ?), "
        "(102, 'Donghai Foods', 2, 'mgr-li', 1, 0, 2, ?)",
        {kIntake, kIntake});
    Exec(
        "INSERT INTO consumer_cursors (stream, cursor_position, head_sequence, updated_at) "
        "VALUES ('accounts', 2, 2, ?)",
        {kIntake});
  }

  void Exec(const std::string& statement, const std::vector<SqlParam>& params = {}) {
    ASSERT_TRUE(Ok(WithConnection(*pool_, "test", [&](DbConnection& db) {
      sql::PreparedStatement& stmt = db.Prepare(statement);
      BindAll(stmt, params);
      stmt.execute();
      return absl::OkStatus();
    })));
  }

  int64_t Count(const std::string& query) {
    int64_t n = -1;
    EXPECT_TRUE(Ok(WithConnection(*pool_, "test", [&](DbConnection& db) {
      std::unique_ptr<sql::ResultSet> rows(db.Prepare(query).executeQuery());
      if (rows->next()) n = rows->getInt64(1);
      return absl::OkStatus();
    })));
    return n;
  }

  Mutation MutationAt(absl::Time now) {
    Mutation m;
    m.actor = kAgent.subject;
    m.request_id = absl::StrCat("req-", ++requests_);
    m.fingerprint = m.request_id;
    m.now = now;
    return m;
  }

  int64_t CreateComplaint(int64_t account, Category category) {
    Complaint draft;
    draft.account_id = account;
    draft.contact_id = 1;
    draft.channel = Channel::kPhone;
    draft.category = category;
    draft.description = "Coils delivered out of tolerance";
    draft.severity = Severity::kHigh;
    draft.manner = Manner::kAssertive;
    absl::StatusOr<Complaint> created = complaints_->Create(MutationAt(kIntake), kAgent, draft);
    EXPECT_TRUE(Ok(created));
    return created.ok() ? created->id : 0;
  }

  void Judge(int64_t id, Action action, absl::Time now) {
    StepInput input;
    input.action = action;
    input.text = "not our product";
    ASSERT_TRUE(Ok(complaints_->Step(MutationAt(now), kAgent, id, input)));
  }

  SweepResult SweepAt(absl::Time now) {
    SlaSweeper sweeper(*sla_, *metrics_, SweeperOptions{}, [now] { return now; });
    absl::StatusOr<SweepResult> result = sweeper.SweepNow();
    EXPECT_TRUE(Ok(result));
    return result.ok() ? *result : SweepResult{};
  }

  static std::vector<std::string> Levels(const SweepResult& result) {
    std::vector<std::string> out;
    for (const SweepResult::Fired& f : result.fired) {
      out.push_back(absl::StrCat(f.alert.kind, "/", f.alert.level,
                                 f.alert.escalated_to.empty() ? "" : ":", f.alert.escalated_to));
    }
    return out;
  }

  double Breaches(const std::string& tier, const std::string& category, const std::string& kind) {
    return ValueOf(registry_, "kam_complaint_sla_breaches_total",
                   {{"tier", tier}, {"category", category}, {"kind", kind}});
  }
  double Escalations(int level) {
    return ValueOf(registry_, "kam_complaint_escalations_total",
                   {{"level", std::to_string(level)}});
  }

  SlaPolicy policy_;
  prometheus::Registry registry_;
  std::unique_ptr<ComplaintStore> complaints_;
  std::unique_ptr<SlaStore> sla_;
  std::unique_ptr<ComplaintMetrics> metrics_;
  int requests_ = 0;
};

TEST_F(SlaSweepTest, ABreachThatEscalatesTwiceIsCountedOnce) {
  Exec("UPDATE departments SET manager_id = 'mgr-quality' WHERE code = 'quality'");
  const int64_t id = CreateComplaint(kTierAAccount, Category::kProductQuality);
  Judge(id, Action::kJudgeValid, At(1));  // on time: the judgment clock is done

  EXPECT_TRUE(SweepAt(At(39)).fired.empty());
  EXPECT_EQ(Levels(SweepAt(At(40))), std::vector<std::string>{"resolution/warning"});
  EXPECT_EQ(Levels(SweepAt(At(50))),
            (std::vector<std::string>{"resolution/breach", "resolution/escalation:mgr-quality"}));
  EXPECT_TRUE(SweepAt(At(53)).fired.empty());
  EXPECT_EQ(Levels(SweepAt(At(54))), std::vector<std::string>{"resolution/escalation:director"});
  EXPECT_TRUE(SweepAt(At(60)).fired.empty());
  EXPECT_TRUE(SweepAt(At(500)).fired.empty());

  EXPECT_EQ(Breaches("A", "product_quality", "resolution"), 1);
  EXPECT_EQ(Breaches("A", "product_quality", "judgment"), 0);
  EXPECT_EQ(Escalations(1), 1);
  EXPECT_EQ(Escalations(2), 1);
  EXPECT_EQ(ValueOf(registry_, "kam_complaint_sla_warnings_total",
                    {{"tier", "A"}, {"category", "product_quality"}, {"kind", "resolution"}}),
            1);

  // The complaint's own record: history, audit and events, by the sweeper.
  absl::StatusOr<std::vector<Transition>> history = complaints_->History(id);
  ASSERT_TRUE(Ok(history));
  std::vector<std::string> actions;
  for (const Transition& t : *history) {
    if (t.actor == kSweeperActor) {
      actions.push_back(t.action);
      EXPECT_EQ(t.from, State::kAssigned);
      EXPECT_EQ(t.to, State::kAssigned);
    }
  }
  EXPECT_EQ(actions,
            (std::vector<std::string>{"sla_warning", "sla_breached", "escalated", "escalated"}));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox WHERE event_type IN ('complaint.sla_warning', "
                  "'complaint.sla_breached', 'complaint.escalated')"),
            4);
  absl::StatusOr<Complaint> after = complaints_->Get(id);
  ASSERT_TRUE(Ok(after));
  EXPECT_EQ(after->escalation_level, 2);
  EXPECT_TRUE(after->resolution_clock.breached);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM complaints WHERE next_sla_at IS NOT NULL"), 0);
}

TEST_F(SlaSweepTest, AComplaintClosedAsInvalidGetsNoLevelTwo) {
  const int64_t id = CreateComplaint(kTierBAccount, Category::kTransport);
  // Not judged in time: the judgment breach escalates; no manager -> the director.
  EXPECT_EQ(Levels(SweepAt(At(10))),
            (std::vector<std::string>{"judgment/breach", "judgment/escalation:director"}));
  Judge(id, Action::kJudgeInvalid, At(11));
  EXPECT_TRUE(SweepAt(At(100)).fired.empty());
  EXPECT_EQ(Breaches("B", "transport", "judgment"), 1);
  EXPECT_EQ(Escalations(2), 0);
}

TEST_F(SlaSweepTest, ConcurrentSweepersFireEveryAlertExactlyOnce) {
  constexpr int kComplaints = 60;
  for (int i = 0; i < kComplaints; ++i) CreateComplaint(kTierAAccount, Category::kService);

  // Four replicas woken at once, long after everything was due, in small batches so that
  // they contend for the same rows.
  constexpr int kSweepers = 4;
  std::atomic<int> fired{0};
  RunConcurrently(kSweepers, [&](int) {
    SweeperOptions options;
    options.batch = 7;
    SlaSweeper sweeper(*sla_, *metrics_, options, [] { return At(100); });
    absl::StatusOr<SweepResult> result = sweeper.SweepNow();
    EXPECT_TRUE(Ok(result));
    if (result.ok()) fired += static_cast<int>(result->fired.size());
  });
  // Whatever a sweeper skipped as locked, another finished: nothing is left.
  EXPECT_TRUE(SweepAt(At(100)).fired.empty());

  // Per complaint: judgment breach, level 1, resolution breach, level 2.
  EXPECT_EQ(fired.load(), 4 * kComplaints);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM complaint_transitions WHERE action IN "
                  "('sla_warning', 'sla_breached', 'escalated')"),
            4 * kComplaints);
  EXPECT_EQ(Count("SELECT COUNT(DISTINCT complaint_id, action, note) FROM complaint_transitions "
                  "WHERE action IN ('sla_warning', 'sla_breached', 'escalated')"),
            4 * kComplaints);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox WHERE event_type IN ('complaint.sla_warning', "
                  "'complaint.sla_breached', 'complaint.escalated')"),
            4 * kComplaints);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE action IN ('complaint.sla_warning', "
                  "'complaint.sla_breached', 'complaint.escalated')"),
            4 * kComplaints);
  EXPECT_EQ(Breaches("A", "service", "judgment"), kComplaints);
  EXPECT_EQ(Breaches("A", "service", "resolution"), kComplaints);
  EXPECT_EQ(Escalations(1), kComplaints);
  EXPECT_EQ(Escalations(2), kComplaints);
}

TEST_F(SlaSweepTest, TheOpenGaugeFollowsTheComplaints) {
  const int64_t first = CreateComplaint(kTierAAccount, Category::kProductQuality);
  const int64_t second = CreateComplaint(kTierAAccount, Category::kProductQuality);
  CreateComplaint(kTierBAccount, Category::kContract);
  const std::map<std::string, std::string> recorded_a = {
      {"state", "recorded"}, {"tier", "A"}, {"category", "product_quality"}};
  const std::map<std::string, std::string> recorded_b = {
      {"state", "recorded"}, {"tier", "B"}, {"category", "contract"}};
  const std::map<std::string, std::string> assigned_a = {
      {"state", "assigned"}, {"tier", "A"}, {"category", "product_quality"}};

  auto refresh = [&] {
    absl::StatusOr<std::vector<OpenCount>> open = sla_->CountOpen();
    ASSERT_TRUE(Ok(open));
    metrics_->SetOpen(*open);
  };
  refresh();
  EXPECT_EQ(ValueOf(registry_, "kam_complaints_open", recorded_a), 2);
  EXPECT_EQ(ValueOf(registry_, "kam_complaints_open", recorded_b), 1);

  Judge(first, Action::kJudgeValid, At(1));
  Judge(second, Action::kJudgeInvalid, At(1));  // final: no longer open
  refresh();
  EXPECT_EQ(ValueOf(registry_, "kam_complaints_open", recorded_a), 0);
  EXPECT_EQ(ValueOf(registry_, "kam_complaints_open", assigned_a), 1);
  EXPECT_EQ(ValueOf(registry_, "kam_complaints_open", recorded_b), 1);
  EXPECT_EQ(ValueOf(registry_, "kam_complaints_open",
                    {{"state", "invalid"}, {"tier", "A"}, {"category", "product_quality"}}),
            0);
}

TEST_F(SlaSweepTest, TheSweeperThreadSweepsAndStopsPromptly) {
  CreateComplaint(kTierAAccount, Category::kOther);
  SweeperOptions options;
  options.interval = absl::Milliseconds(20);
  options.open_gauge_interval = absl::Milliseconds(20);
  SlaSweeper sweeper(*sla_, *metrics_, options, [] { return At(8); });
  sweeper.Start();
  // Polls what a user would see: the warning metric (no fixed sleep for the sweep itself).
  const std::map<std::string, std::string> open = {
      {"state", "recorded"}, {"tier", "A"}, {"category", "other"}};
  const std::map<std::string, std::string> warned = {
      {"tier", "A"}, {"category", "other"}, {"kind", "judgment"}};
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while ((ValueOf(registry_, "kam_complaint_sla_warnings_total", warned) < 1 ||
          ValueOf(registry_, "kam_complaints_open", open) < 1) &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  const absl::Time stop_at = absl::Now();
  sweeper.Stop();
  EXPECT_LT(absl::Now() - stop_at, absl::Seconds(2));
  EXPECT_EQ(ValueOf(registry_, "kam_complaint_sla_warnings_total", warned), 1);
  EXPECT_EQ(ValueOf(registry_, "kam_complaints_open", open), 1);
}

}  // namespace
}  // namespace kam::complaints

namespace kam::complaints {
namespace {

// A counter series born at 1 is invisible to Prometheus's increase(): the first breach of a
// tier and category would never fire KamComplaintSlaBreaches. Every series exists at 0.
TEST(ComplaintMetricsTest, EverySlaSeriesExistsAtZeroBeforeTheFirstAlert) {
  prometheus::Registry registry;
  ComplaintMetrics metrics(registry);
  std::map<std::string, int> series;
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    for (const prometheus::ClientMetric& metric : family.metric) {
      if (family.type == prometheus::MetricType::Counter) {
        EXPECT_EQ(metric.counter.value, 0) << family.name;
      }
      ++series[family.name];
    }
  }
  // 5 tiers (untiered, A..D) x 5 categories x 2 clocks; levels 1 and 2.
  EXPECT_EQ(series["kam_complaint_sla_breaches_total"], 50);
  EXPECT_EQ(series["kam_complaint_sla_warnings_total"], 50);
  EXPECT_EQ(series["kam_complaint_escalations_total"], 2);
}

}  // namespace
}  // namespace kam::complaints
