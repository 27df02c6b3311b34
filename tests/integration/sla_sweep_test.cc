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
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
    OpenStores();
  }

  void OpenStores() {
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

  using SchemaTest::Exec;
  void Exec(const std::string& statement, const std::vector<SqlParam>& params) {
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
  // A tier A quality complaint judged in time (resolution due at 50h, warned at 40h), swept
  // from 39h to 54h: the warning, the breach with level 1 to the department's manager, and
  // level 2 to the director four hours later.
  void SweepTheResolutionLadder() {
    EXPECT_TRUE(SweepAt(At(39)).fired.empty());
    EXPECT_EQ(Levels(SweepAt(At(40))), std::vector<std::string>{"resolution/warning"});
    EXPECT_EQ(Levels(SweepAt(At(50))),
              (std::vector<std::string>{"resolution/breach", "resolution/escalation:mgr-quality"}));
    EXPECT_TRUE(SweepAt(At(53)).fired.empty());
    EXPECT_EQ(Levels(SweepAt(At(54))), std::vector<std::string>{"resolution/escalation:director"});
  }

  std::unique_ptr<ComplaintStore> complaints_;
  std::unique_ptr<SlaStore> sla_;
  std::unique_ptr<ComplaintMetrics> metrics_;
  int requests_ = 0;
};

TEST_F(SlaSweepTest, ABreachThatEscalatesTwiceIsCountedOnce) {
  Exec("UPDATE departments SET manager_id = 'mgr-quality' WHERE code = 'quality'");
  const int64_t id = CreateComplaint(kTierAAccount, Category::kProductQuality);
  Judge(id, Action::kJudgeValid, At(1));  // on time: the judgment clock is done

  SweepTheResolutionLadder();
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
  EXPECT_EQ(EscalationLevel(*after), 2);
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

// The review's scenario, step by step, as the complaint's history, audit log and event feed
// show it: the judgment breach escalates, the complaint is judged, so that ladder stops (no
// level 2 for it); the resolution breach later climbs its own ladder.
TEST_F(SlaSweepTest, EachClockEscalatesOnItsOwnLadderAndAMetClockStopsItsLadder) {
  Exec("UPDATE departments SET manager_id = 'mgr-quality' WHERE code = 'quality'");
  const int64_t id = CreateComplaint(kTierAAccount, Category::kProductQuality);

  EXPECT_EQ(Levels(SweepAt(At(8))), std::vector<std::string>{"judgment/warning"});
  // Not judged yet, so no department: level 1 of the judgment goes to the director.
  EXPECT_EQ(Levels(SweepAt(At(10))),
            (std::vector<std::string>{"judgment/breach", "judgment/escalation:director"}));
  Judge(id, Action::kJudgeValid, At(11));
  // 4 h after the judgment breach: that clock is met, its ladder stopped.
  EXPECT_TRUE(SweepAt(At(14)).fired.empty());
  SweepTheResolutionLadder();
  EXPECT_TRUE(SweepAt(At(500)).fired.empty());
  EXPECT_EQ(Escalations(1), 2);
  EXPECT_EQ(Escalations(2), 1);

  absl::StatusOr<std::vector<Transition>> history = complaints_->History(id);
  ASSERT_TRUE(Ok(history));
  std::vector<std::string> steps;
  for (const Transition& t : *history) {
    steps.push_back(t.action == "escalated" ? t.note : t.action);
  }
  EXPECT_EQ(steps, (std::vector<std::string>{
                       "recorded", "sla_warning", "sla_breached",
                       "escalated to level 1 (director) after the judgment breach", "judged_valid",
                       "sla_warning", "sla_breached",
                       "escalated to level 1 (mgr-quality) after the resolution breach",
                       "escalated to level 2 (director) after the resolution breach"}));
  std::vector<std::string> audit;
  for (const std::vector<std::string>& row :
       Rows(absl::StrCat("SELECT actor, note FROM audit_log WHERE action = 'complaint.escalated' "
                         "AND resource_id = '",
                         id, "' ORDER BY id"))) {
    audit.push_back(absl::StrJoin(row, " "));
  }
  EXPECT_EQ(audit, (std::vector<std::string>{
                       "system:sla escalated to level 1 (director) after the judgment breach",
                       "system:sla escalated to level 1 (mgr-quality) after the resolution breach",
                       "system:sla escalated to level 2 (director) after the resolution breach"}));

  // The feed: each escalation event names its clock, level and recipient, and carries the
  // complaint with each clock's ladder as it stood.
  std::vector<std::string> feed;
  int64_t last_judgment_level = -1;
  int64_t last_resolution_level = -1;
  ASSERT_TRUE(Ok(WithConnection(*pool_, "test", [&](DbConnection& db) {
    std::unique_ptr<sql::ResultSet> rows(
        db.Prepare("SELECT payload FROM outbox WHERE event_type = 'complaint.escalated' "
                   "ORDER BY id")
            .executeQuery());
    while (rows->next()) {
      const json payload = json::parse(std::string(rows->getString(1)));
      const json& alert = payload.at("alert");
      feed.push_back(absl::StrCat(alert.at("kind").get<std::string>(), "/",
                                  alert.at("escalation_level").get<int>(), ":",
                                  alert.at("escalated_to").get<std::string>()));
      last_judgment_level = payload.at("complaint").at("judgment").at("escalation_level");
      last_resolution_level = payload.at("complaint").at("resolution_clock").at("escalation_level");
    }
    return absl::OkStatus();
  })));
  EXPECT_EQ(feed, (std::vector<std::string>{"judgment/1:director", "resolution/1:mgr-quality",
                                            "resolution/2:director"}));
  EXPECT_EQ(last_judgment_level, 1);
  EXPECT_EQ(last_resolution_level, 2);

  absl::StatusOr<Complaint> after = complaints_->Get(id);
  ASSERT_TRUE(Ok(after));
  EXPECT_EQ(after->judgment.escalation_level, 1);
  EXPECT_EQ(after->resolution_clock.escalation_level, 2);
  EXPECT_EQ(EscalationLevel(*after), 2);
}

// Rows escalated under the one-level-per-complaint schema (migrations 0001-0002) carried
// over by 0003: the level goes to every clock that had breached (no breach from before the
// upgrade escalates again), and the sweeper goes on from there on each clock's ladder.
class EscalationCarryOverTest : public SlaSweepTest {
 protected:
  void SetUp() override {
    const std::vector<Migration>& all = Migrations();
    ASSERT_GE(all.size(), 3u);
    OpenSchema("carry", std::vector<Migration>(all.begin(), all.begin() + 2), absl::Seconds(30));
  }

  struct OldRow {
    State state = State::kAssigned;
    std::optional<absl::Time> judge_met;
    bool judge_breached = false;
    bool resolve_breached = false;
    int escalation_level = 0;
    std::optional<absl::Time> second_escalation_at;
    std::optional<absl::Time> next_sla_at;
  };

  // A complaint row as the old code wrote it: judge 10h, resolve 50h from kIntake.
  int64_t InsertOld(const OldRow& r) {
    const bool recorded = r.state == State::kRecorded;
    Exec(
        "INSERT INTO complaints SET account_id = 101, contact_id = 1, account_name = 'Huaxin "
        "Steel', account_tier = 1, account_owner_id = 'mgr-li', channel = 1, category = 1, "
        "subcategory = '', description = 'old row', severity = 3, manner = 1, state = ?, "
        "recorded_by = 'agent-chen', create_time = ?, update_time = ?, invalid_reason = '', "
        "department = ?, handler_id = '', cause = '', resolution = '', rejection_reason = '', "
        "implementation_note = '', summary = '', evaluation = '', reopen_count = 0, "
        "judge_budget_seconds = 36000, judge_warn_at = ?, judge_due_at = ?, judge_met_at = ?, "
        "judge_warned = 1, judge_breached = ?, resolve_budget_seconds = 180000, "
        "resolve_warn_at = ?, resolve_due_at = ?, resolve_met_at = NULL, resolve_warned = ?, "
        "resolve_breached = ?, waiting_on_customer = 0, escalation_level = ?, "
        "second_escalation_at = ?, next_sla_at = ?, queue_due_at = ?, version = 5",
        {int64_t{static_cast<int>(r.state)}, kIntake, kIntake,
         std::string(recorded ? "" : "quality"), At(8), At(10), OptionalTimeParam(r.judge_met),
         r.judge_breached, At(40), At(50), r.resolve_breached, r.resolve_breached,
         int64_t{r.escalation_level}, OptionalTimeParam(r.second_escalation_at),
         OptionalTimeParam(r.next_sla_at), recorded ? At(10) : At(50)});
    return Count("SELECT MAX(id) FROM complaints");
  }

  // What the sweeper wrote on the complaint: actions, escalations by their note.
  std::vector<std::string> SweeperSteps(int64_t id) {
    std::vector<std::string> steps;
    for (const std::vector<std::string>& row : Rows(absl::StrCat(
             "SELECT action, note FROM complaint_transitions WHERE complaint_id = ", id,
             " ORDER BY id"))) {
      steps.push_back(row[0] == "escalated" ? row[1] : row[0]);
    }
    return steps;
  }
};

TEST_F(EscalationCarryOverTest, EachClockGoesOnFromTheLevelItReached) {
  // The review's case: the judgment breach escalated (level 2 pending at 14h), then judged.
  const int64_t judged = InsertOld({State::kAssigned, At(11), true, false, 1, At(14), At(14)});
  // Never judged: the ladder reached 2 and both clocks have breached.
  const int64_t unjudged =
      InsertOld({State::kRecorded, std::nullopt, true, true, 2, At(14), std::nullopt});
  // Judged on time; the resolution breach escalated (level 2 pending at 54h).
  const int64_t late = InsertOld({State::kAssigned, At(5), false, true, 1, At(54), At(54)});
  // Judged late but before the sweeper saw the judgment's breach (breached, never escalated);
  // the resolution breach escalated (level 2 pending at 54h).
  const int64_t judged_late = InsertOld({State::kAssigned, At(11), true, true, 1, At(54), At(54)});
  ASSERT_TRUE(Ok(ApplyMigrations(*pool_, Migrations())));
  Exec("UPDATE departments SET manager_id = 'mgr-quality' WHERE code = 'quality'");
  OpenStores();

  EXPECT_EQ(Rows("SELECT id, judge_escalation_level, resolve_escalation_level FROM complaints "
                 "ORDER BY id"),
            (std::vector<std::vector<std::string>>{{std::to_string(judged), "1", "0"},
                                                   {std::to_string(unjudged), "2", "2"},
                                                   {std::to_string(late), "0", "1"},
                                                   {std::to_string(judged_late), "1", "1"}}));

  EXPECT_TRUE(SweepAt(At(14)).fired.empty()) << "the met judgment's level 2 is off";
  SweepAt(At(50));
  SweepAt(At(54));
  EXPECT_TRUE(SweepAt(At(500)).fired.empty());

  EXPECT_EQ(SweeperSteps(judged),
            (std::vector<std::string>{
                "sla_breached", "escalated to level 1 (mgr-quality) after the resolution breach",
                "escalated to level 2 (director) after the resolution breach"}));
  EXPECT_TRUE(SweeperSteps(unjudged).empty()) << "both ladders were already at the top";
  for (int64_t id : {late, judged_late}) {
    EXPECT_EQ(
        SweeperSteps(id),
        std::vector<std::string>{"escalated to level 2 (director) after the resolution breach"})
        << "complaint " << id;
  }
  EXPECT_EQ(Escalations(1), 1);
  EXPECT_EQ(Escalations(2), 3);
}

// During a rolling update the replicas not yet upgraded still write the old columns: they
// stay, so an old replica's insert works (the new code's rows get their default).
TEST_F(EscalationCarryOverTest, TheOldColumnsStayForReplicasNotYetUpgraded) {
  ASSERT_TRUE(Ok(ApplyMigrations(*pool_, Migrations())));
  const int64_t id = InsertOld({State::kAssigned, At(5), false, true, 1, At(54), At(54)});
  EXPECT_EQ(Rows(absl::StrCat("SELECT escalation_level, second_escalation_at IS NOT NULL FROM "
                              "complaints WHERE id = ",
                              id)),
            (std::vector<std::vector<std::string>>{{"1", "1"}}));
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

  // Per complaint and clock (judgment, resolution): the breach, level 1 and level 2.
  constexpr int kAlerts = 6 * kComplaints;
  EXPECT_EQ(fired.load(), kAlerts);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM complaint_transitions WHERE action IN "
                  "('sla_warning', 'sla_breached', 'escalated')"),
            kAlerts);
  EXPECT_EQ(Count("SELECT COUNT(DISTINCT complaint_id, action, note) FROM complaint_transitions "
                  "WHERE action IN ('sla_warning', 'sla_breached', 'escalated')"),
            kAlerts);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox WHERE event_type IN ('complaint.sla_warning', "
                  "'complaint.sla_breached', 'complaint.escalated')"),
            kAlerts);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE action IN ('complaint.sla_warning', "
                  "'complaint.sla_breached', 'complaint.escalated')"),
            kAlerts);
  EXPECT_EQ(Breaches("A", "service", "judgment"), kComplaints);
  EXPECT_EQ(Breaches("A", "service", "resolution"), kComplaints);
  EXPECT_EQ(Escalations(1), 2 * kComplaints);
  EXPECT_EQ(Escalations(2), 2 * kComplaints);
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
