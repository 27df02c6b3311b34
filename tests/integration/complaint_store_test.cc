// ComplaintStore against a private MariaDB with the shipped migrations: intake from the
// account replica, the whole handling procedure with its register (transitions, audit rows,
// outbox events), routing and round-robin, idempotent retries, lists, queues, departments.
#include "services/complaints/complaint_store.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "embedded_migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/complaints/complaint_records.h"
#include "services/complaints/procedure.h"
#include "services/complaints/queue_query.h"
#include "tests/support/schema_test.h"
#include "tests/support/test_helpers.h"

namespace kam::complaints {
namespace {

using test_support::Ok;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const Principal kAgent{"agent-wu", {"service_agent"}, ""};
const Principal kDirector{"dir-zhao", {"director"}, ""};
const Principal kAdmin{"admin-1", {"admin"}, ""};
const Principal kOwner{"mgr-li", {"account_manager"}, ""};
const Principal kOtherManager{"mgr-wang", {"account_manager"}, ""};
const Principal kAnalyst{"ana-1", {"analyst"}, ""};
Principal QualityHandler(const std::string& subject) { return {subject, {"handler"}, "quality"}; }
const Principal kQa1 = QualityHandler("qa-1");
const Principal kQa2 = QualityHandler("qa-2");
const Principal kQa3 = QualityHandler("qa-3");
const Principal kLogistics{"log-1", {"handler"}, "logistics"};

// 2026-11-16 09:00:00.123456 UTC: microseconds on purpose, DATETIME(6) must keep them.
const absl::Time kNow = absl::FromUnixMicros(1'794'819'600'123'456);

// Around the clock in UTC, so business time is wall time; judge 1h / resolve 10h, except
// tier A: judge 30m / resolve 4h (queues order by these deadlines).
SlaPolicy TestPolicy() {
  nlohmann::json targets = nlohmann::json::array();
  for (const char* tier : {"A", "B", "C", "D", "untiered"}) {
    for (const char* severity : {"low", "medium", "high", "critical"}) {
      const bool a = std::string(tier) == "A";
      targets.push_back({{"tier", tier},
                         {"severity", severity},
                         {"judge", a ? "30m" : "1h"},
                         {"resolve", a ? "4h" : "10h"}});
    }
  }
  nlohmann::json hours = nlohmann::json::array();
  hours.push_back(nlohmann::json::array({"00:00", "24:00"}));
  const nlohmann::json doc = {{"calendar",
                               {{"time_zone", "UTC"},
                                {"working_days", {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}},
                                {"working_hours", hours}}},
                              {"escalation_delay", "4h"},
                              {"targets", targets}};
  return ParseSlaPolicy(doc.dump()).value();
}

std::vector<int64_t> Ids(const std::vector<Complaint>& items) {
  std::vector<int64_t> ids;
  for (const Complaint& c : items) ids.push_back(c.id);
  return ids;
}

class ComplaintStoreTest : public test_support::SchemaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenSchema("complaints", Migrations(), absl::Seconds(5)));
    store_ = std::make_unique<ComplaintStore>(*pool_, policy_);
    InsertAccount(100, "mgr-li", /*tier=*/2);
    InsertAccount(200, "mgr-wang", /*tier=*/1);
    InsertAccount(300, "mgr-li", /*tier=*/2, /*archived=*/true);
    Department quality = Quality({"qa-1", "qa-2", "qa-3"});
    ASSERT_TRUE(Ok(store_->PutDepartment(Next(kDirector), quality, "v1")));
  }

  // The replica rows the accounts feed would write.
  void InsertAccount(int64_t id, const std::string& owner, int tier, bool archived = false) {
    Exec(
        absl::StrCat("INSERT INTO account_replica (account_id, name, tier, owner_id, status, "
                     "archived, source_sequence, updated_at) VALUES (",
                     id, ", 'Account ", id, "', ", tier, ", '", owner, "', 1, ", archived,
                     ", 1, UTC_TIMESTAMP(6))"));
  }

  void Exec(const std::string& statement) {
    ASSERT_TRUE(Ok(WithConnection(*pool_, "test", [&](DbConnection& db) {
      db.raw().createStatement()->execute(statement);
      return absl::OkStatus();
    })));
  }

  int64_t Count(const std::string& query) {
    int64_t n = -1;
    EXPECT_TRUE(Ok(WithConnection(*pool_, "test", [&](DbConnection& db) {
      std::unique_ptr<sql::Statement> stmt(db.raw().createStatement());
      std::unique_ptr<sql::ResultSet> rows(stmt->executeQuery(query));
      rows->next();
      n = rows->getInt64(1);
      return absl::OkStatus();
    })));
    return n;
  }

  // Rows a complaint left in the register: transitions, audit rows, outbox events.
  struct Register {
    int64_t transitions, audit, outbox;
  };
  Register RegisterOf(int64_t id) {
    return {
        Count(absl::StrCat("SELECT COUNT(*) FROM complaint_transitions WHERE complaint_id = ", id)),
        Count(absl::StrCat("SELECT COUNT(*) FROM audit_log WHERE resource_type = 'complaint' "
                           "AND resource_id = '",
                           id, "'")),
        Count(absl::StrCat("SELECT COUNT(*) FROM outbox WHERE aggregate_type = 'complaint' "
                           "AND aggregate_id = '",
                           id, "'"))};
  }
  std::vector<std::string> EventTypes(int64_t id) {
    std::vector<std::string> types;
    EXPECT_TRUE(Ok(WithConnection(*pool_, "test", [&](DbConnection& db) {
      std::unique_ptr<sql::Statement> stmt(db.raw().createStatement());
      std::unique_ptr<sql::ResultSet> rows(
          stmt->executeQuery(absl::StrCat("SELECT event_type FROM outbox WHERE aggregate_id = '",
                                          id, "' AND aggregate_type = 'complaint' ORDER BY id")));
      while (rows->next()) types.push_back(rows->getString(1));
      return absl::OkStatus();
    })));
    return types;
  }

  static Department Quality(std::vector<std::string> handlers) {
    Department d;
    d.code = "quality";
    d.name = "Quality";
    d.categories = {Category::kProductQuality};
    d.handler_ids = std::move(handlers);
    d.manager_id = "qa-boss";
    return d;
  }

  Mutation Request(const std::string& request_id, const Principal& actor, absl::Time now = kNow) {
    return {actor.subject, request_id, "fp-" + request_id, "trace-" + request_id, now, ""};
  }
  Mutation Next(const Principal& actor, absl::Time now = kNow) {
    return Request(absl::StrCat("req-", ++requests_), actor, now);
  }

  static Complaint Draft(int64_t account_id, Category category = Category::kProductQuality) {
    Complaint c;
    c.account_id = account_id;
    c.channel = Channel::kPhone;
    c.category = category;
    c.subcategory = "out of tolerance";
    c.description = "Flanges 3 mm over spec.\nSecond delivery in a row.";
    c.severity = Severity::kHigh;
    c.manner = Manner::kAngry;
    return c;
  }

  absl::StatusOr<Complaint> Create(const Principal& who = kAgent, int64_t account_id = 100,
                                   Category category = Category::kProductQuality) {
    return store_->Create(Next(who), who, Draft(account_id, category));
  }

  absl::StatusOr<Complaint> Step(const Principal& who, int64_t id, Action action,
                                 const std::string& text = "because", absl::Time now = kNow) {
    StepInput in;
    in.action = action;
    in.text = text;
    if (action == Action::kFollowUp || action == Action::kReopen) {
      in.follow_up = {action == Action::kFollowUp ? 5 : 2,
                      4,
                      action == Action::kFollowUp,
                      "called back",
                      "",
                      absl::Time()};
    }
    if (action == Action::kClose) in.evaluation = "well handled";
    return store_->Step(Next(who, now), who, id, in);
  }

  // A complaint judged valid (assigned to the next quality handler in turn).
  Complaint Assigned(const Principal& who = kAgent, int64_t account_id = 100) {
    Complaint c = Create(who, account_id).value();
    return Step(kAgent, c.id, Action::kJudgeValid).value();
  }

  SlaPolicy policy_ = TestPolicy();
  std::unique_ptr<ComplaintStore> store_;
  int requests_ = 0;
};

TEST_F(ComplaintStoreTest, TheWholeProcedureWithOneRejectedProposal) {
  absl::StatusOr<Complaint> created = Create();
  ASSERT_TRUE(Ok(created));
  const int64_t id = created->id;
  EXPECT_GT(id, 0);
  EXPECT_EQ(created->state, State::kRecorded);
  EXPECT_EQ(created->account_name, "Account 100");
  EXPECT_EQ(created->account_tier, 2);
  EXPECT_EQ(created->account_owner_id, "mgr-li");
  EXPECT_EQ(created->recorded_by, "agent-wu");
  EXPECT_EQ(created->create_time, kNow);
  EXPECT_EQ(created->judgment.deadline.due_at, kNow + absl::Hours(1));
  EXPECT_EQ(created->resolution_clock.deadline.due_at, kNow + absl::Hours(10));

  absl::StatusOr<Complaint> read = store_->Get(id);
  ASSERT_TRUE(Ok(read));
  EXPECT_EQ(ComplaintJson(*read), ComplaintJson(*created)) << "what was returned was stored";

  auto at = [](int minutes) { return kNow + absl::Minutes(minutes); };
  Complaint c = Step(kAgent, id, Action::kJudgeValid, "", at(10)).value();
  EXPECT_EQ(c.state, State::kAssigned);
  EXPECT_EQ(c.department, "quality");
  EXPECT_EQ(c.handler_id, "qa-1");
  EXPECT_EQ(c.judgment.met_at, at(10));
  ASSERT_TRUE(Ok(Step(kQa1, id, Action::kAnalyzeCause, "worn die", at(20))));
  ASSERT_TRUE(Ok(Step(kQa1, id, Action::kProposeResolution, "credit note", at(30))));
  c = Step(kDirector, id, Action::kRejectResolution, "replace the parts", at(40)).value();
  EXPECT_EQ(c.state, State::kCauseAnalyzed);
  EXPECT_EQ(c.rejection_reason, "replace the parts");
  ASSERT_TRUE(Ok(Step(kQa1, id, Action::kProposeResolution, "replace 200 flanges", at(50))));
  c = Step(kDirector, id, Action::kApproveResolution, "", at(60)).value();
  EXPECT_EQ(c.rejection_reason, "");
  c = Step(kQa1, id, Action::kImplementResolution, "shipped", at(70)).value();
  EXPECT_EQ(c.resolution_clock.met_at, at(70));
  c = Step(kAgent, id, Action::kFollowUp, "", at(80)).value();
  ASSERT_TRUE(c.follow_up.has_value());
  EXPECT_EQ(c.follow_up->Gap(), 1);
  c = Step(kDirector, id, Action::kClose, "replaced; die changed", at(90)).value();
  EXPECT_EQ(c.state, State::kClosed);
  EXPECT_EQ(c.close_time, at(90));
  EXPECT_EQ(c.version, 10) << "one version per change";

  read = store_->Get(id);
  ASSERT_TRUE(Ok(read));
  EXPECT_EQ(ComplaintJson(*read), ComplaintJson(c));
  EXPECT_EQ(read->resolution, "replace 200 flanges");
  EXPECT_EQ(read->cause, "worn die");
  EXPECT_EQ(read->evaluation, "well handled");

  absl::StatusOr<std::vector<Transition>> history = store_->History(id);
  ASSERT_TRUE(Ok(history));
  std::vector<std::string> actions;
  for (const Transition& t : *history) actions.push_back(t.action);
  const std::vector<std::string> expected = {"recorded",
                                             "judged_valid",
                                             "cause_analyzed",
                                             "resolution_proposed",
                                             "resolution_rejected",
                                             "resolution_proposed",
                                             "resolution_approved",
                                             "resolution_implemented",
                                             "followed_up",
                                             "closed"};
  EXPECT_EQ(actions, expected);
  EXPECT_EQ(history->at(4).note, "replace the parts");
  EXPECT_EQ(history->at(4).actor, "dir-zhao");
  EXPECT_EQ(history->at(4).from, State::kResolutionProposed);
  EXPECT_EQ(history->at(4).to, State::kCauseAnalyzed);
  EXPECT_EQ(history->at(4).time, at(40));

  // Every change: exactly one transition, one audit row, one outbox event.
  const Register r = RegisterOf(id);
  EXPECT_EQ(r.transitions, 10);
  EXPECT_EQ(r.audit, 10);
  EXPECT_EQ(r.outbox, 10);
  std::vector<std::string> types;
  for (const std::string& a : expected) types.push_back("complaint." + a);
  EXPECT_EQ(EventTypes(id), types);
}

TEST_F(ComplaintStoreTest, EventsCarryTheComplaintAndTheStep) {
  const Complaint c = Assigned();
  const int64_t n = Count(
      absl::StrCat("SELECT COUNT(*) FROM outbox WHERE event_type = 'complaint.judged_valid' AND "
                   "aggregate_id = '",
                   c.id, "'"));
  ASSERT_EQ(n, 1);
  std::string payload;
  ASSERT_TRUE(Ok(WithConnection(*pool_, "test", [&](DbConnection& db) {
    std::unique_ptr<sql::Statement> stmt(db.raw().createStatement());
    std::unique_ptr<sql::ResultSet> rows(stmt->executeQuery(
        "SELECT payload FROM outbox WHERE event_type = 'complaint.judged_valid'"));
    rows->next();
    payload = rows->getString(1);
    return absl::OkStatus();
  })));
  const nlohmann::json j = nlohmann::json::parse(payload);
  EXPECT_EQ(ComplaintFromJson(j.at("complaint")).handler_id, "qa-1");
  const Transition t = TransitionFromJson(j.at("transition"));
  EXPECT_EQ(t.action, "judged_valid");
  EXPECT_GT(t.id, 0);
  EXPECT_TRUE(j.at("alert").is_null());
}

TEST_F(ComplaintStoreTest, AnInvalidComplaintIsFinal) {
  const Complaint c = Create().value();
  absl::StatusOr<Complaint> invalid = Step(kAgent, c.id, Action::kJudgeInvalid, "not ours");
  ASSERT_TRUE(Ok(invalid));
  EXPECT_EQ(invalid->state, State::kInvalid);
  EXPECT_EQ(invalid->invalid_reason, "not ours");
  EXPECT_TRUE(invalid->resolution_clock.met_at.has_value());
  absl::StatusOr<Complaint> again = Step(kAgent, c.id, Action::kJudgeValid);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(again.status().message(), HasSubstr("INVALID"));
  EXPECT_EQ(RegisterOf(c.id).transitions, 2);
}

TEST_F(ComplaintStoreTest, AnIllegalJumpChangesNothing) {
  const Complaint c = Assigned();
  const Register before = RegisterOf(c.id);
  absl::StatusOr<Complaint> jump = Step(kDirector, c.id, Action::kApproveResolution);
  EXPECT_EQ(jump.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(jump.status().message(),
            "complaint is ASSIGNED; DecideResolution needs RESOLUTION_PROPOSED");
  jump = Step(kAgent, c.id, Action::kAnalyzeCause);
  EXPECT_EQ(jump.status().code(), absl::StatusCode::kPermissionDenied);
  const Register after = RegisterOf(c.id);
  EXPECT_EQ(after.transitions, before.transitions);
  EXPECT_EQ(after.audit, before.audit);
  EXPECT_EQ(after.outbox, before.outbox);
  EXPECT_EQ(store_->Get(c.id)->version, c.version);
}

TEST_F(ComplaintStoreTest, ARetryReturnsTheFirstResultAndWritesNothingTwice) {
  const Mutation m = Request("create-1", kAgent);
  absl::StatusOr<Complaint> first = store_->Create(m, kAgent, Draft(100));
  ASSERT_TRUE(Ok(first));
  Mutation later = m;
  later.now = kNow + absl::Minutes(5);  // the retry arrives later
  absl::StatusOr<Complaint> retry = store_->Create(later, kAgent, Draft(100));
  ASSERT_TRUE(Ok(retry));
  EXPECT_EQ(ComplaintJson(*retry), ComplaintJson(*first));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM complaints"), 1);

  StepInput judge;
  judge.action = Action::kJudgeValid;
  const Mutation step = Request("judge-1", kAgent);
  absl::StatusOr<Complaint> judged = store_->Step(step, kAgent, first->id, judge);
  ASSERT_TRUE(Ok(judged));
  absl::StatusOr<Complaint> rejudged = store_->Step(step, kAgent, first->id, judge);
  ASSERT_TRUE(Ok(rejudged)) << "a retry is not an illegal second judgment";
  EXPECT_EQ(ComplaintJson(*rejudged), ComplaintJson(*judged));
  const Register r = RegisterOf(first->id);
  EXPECT_EQ(r.transitions, 2);
  EXPECT_EQ(r.audit, 2);
  EXPECT_EQ(r.outbox, 2);
  // The round-robin turn was taken once: the next complaint goes to qa-2.
  EXPECT_EQ(Assigned().handler_id, "qa-2");

  Mutation reused = Request("judge-1", kAgent);
  reused.fingerprint = "another request";
  absl::StatusOr<Complaint> clash = store_->Step(reused, kAgent, first->id, judge);
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ComplaintStoreTest, HandlersTakeTurnsAcrossComplaints) {
  std::vector<std::string> handlers;
  for (int i = 0; i < 5; ++i) handlers.push_back(Assigned().handler_id);
  EXPECT_THAT(handlers, ElementsAre("qa-1", "qa-2", "qa-3", "qa-1", "qa-2"));
}

TEST_F(ComplaintStoreTest, ConcurrentJudgmentsShareTheTurnsFairly) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(Create().value().id);
  std::vector<std::string> handlers(ids.size());
  test_support::RunConcurrently(static_cast<int>(ids.size()), [&](int i) {
    StepInput judge;
    judge.action = Action::kJudgeValid;
    const Mutation m = Request(absl::StrCat("judge-", i), kAgent);
    absl::StatusOr<Complaint> c = store_->Step(m, kAgent, ids[i], judge);
    if (c.ok()) handlers[i] = c->handler_id;
  });
  std::multiset<std::string> counted(handlers.begin(), handlers.end());
  EXPECT_EQ(counted.count("qa-1"), 2u);
  EXPECT_EQ(counted.count("qa-2"), 2u);
  EXPECT_EQ(counted.count("qa-3"), 2u);
}

TEST_F(ComplaintStoreTest, ADepartmentWithoutHandlersQueuesComplaintsUnassigned) {
  // Transport goes to logistics, which the migration seeds with no handlers.
  const Complaint c = Create(kAgent, 100, Category::kTransport).value();
  const Complaint judged = Step(kAgent, c.id, Action::kJudgeValid).value();
  EXPECT_EQ(judged.department, "logistics");
  EXPECT_EQ(judged.handler_id, "");
  absl::StatusOr<Page<Complaint>> queue = store_->Queue(kLogistics, {}, 10);
  ASSERT_TRUE(Ok(queue));
  EXPECT_THAT(Ids(queue->items), ElementsAre(c.id));
  EXPECT_TRUE(Ok(Step(kLogistics, c.id, Action::kAnalyzeCause, "crushed pallet")));
}

TEST_F(ComplaintStoreTest, ReassignmentMovesTheComplaintToAnotherDepartment) {
  Department logistics;
  logistics.code = "logistics";
  logistics.name = "Logistics";
  logistics.categories = {Category::kTransport};
  logistics.handler_ids = {"log-1", "log-2"};
  logistics.manager_id = "log-boss";
  ASSERT_TRUE(Ok(store_->PutDepartment(Next(kDirector), logistics, "v1")));
  const Complaint c = Assigned();

  StepInput in;
  in.action = Action::kReassign;
  in.text = "a transport problem after all";
  in.department = "nowhere";
  absl::StatusOr<Complaint> bad = store_->Step(Next(kDirector), kDirector, c.id, in);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("department"));
  in.department = "logistics";
  in.handler_id = "qa-2";
  bad = store_->Step(Next(kDirector), kDirector, c.id, in);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("handler_id"));

  in.handler_id = "";
  absl::StatusOr<Complaint> moved = store_->Step(Next(kAdmin), kAdmin, c.id, in);
  ASSERT_TRUE(Ok(moved));
  EXPECT_EQ(moved->department, "logistics");
  EXPECT_EQ(moved->handler_id, "log-1");
  EXPECT_EQ(moved->state, State::kAssigned);
  EXPECT_EQ(Step(kQa1, c.id, Action::kAnalyzeCause).status().code(),
            absl::StatusCode::kPermissionDenied)
      << "the quality handler lost it";
  EXPECT_TRUE(Ok(Step(kLogistics, c.id, Action::kAnalyzeCause, "crushed pallet")));

  // Within the department, to a named handler.
  in.department = "";
  in.handler_id = "log-2";
  moved = store_->Step(Next(kDirector), kDirector, c.id, in);
  ASSERT_TRUE(Ok(moved));
  EXPECT_EQ(moved->handler_id, "log-2");
  EXPECT_EQ(moved->state, State::kCauseAnalyzed);
  EXPECT_EQ(store_->History(c.id)->back().note, "a transport problem after all");
}

TEST_F(ComplaintStoreTest, IntakeChecksTheAccountReplica) {
  absl::StatusOr<Complaint> missing = Create(kAgent, 999);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "account 999 not found");
  absl::StatusOr<Complaint> archived = Create(kAgent, 300);
  EXPECT_EQ(archived.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(archived.status().message(), HasSubstr("archived"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM complaints"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox WHERE aggregate_type = 'complaint'"), 0);
}

TEST_F(ComplaintStoreTest, AManagerRecordsOnlyForTheirOwnAccounts) {
  absl::StatusOr<Complaint> denied = Create(kOtherManager, 100);
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  absl::StatusOr<Complaint> own = Create(kOwner, 100);
  ASSERT_TRUE(Ok(own));
  EXPECT_EQ(own->recorded_by, "mgr-li");
  EXPECT_EQ(Create(kOtherManager, 200)->account_tier, 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM complaints"), 2);
}

TEST_F(ComplaintStoreTest, CallersLimitedToSomeComplaintsCannotProbeTheOthers) {
  const Complaint c = Assigned();
  EXPECT_EQ(Step(kAgent, 12345, Action::kJudgeValid).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Step(kQa1, 12345, Action::kAnalyzeCause).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Step(kLogistics, c.id, Action::kAnalyzeCause).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Step(kOtherManager, c.id, Action::kPauseClock).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(ComplaintStoreTest, WaitingOnTheCustomerMovesTheDeadlinesAndTheQueue) {
  const Complaint c = Assigned();  // resolution due kNow + 10h
  absl::StatusOr<Complaint> paused =
      Step(kQa1, c.id, Action::kPauseClock, "waiting for samples", kNow + absl::Hours(1));
  ASSERT_TRUE(Ok(paused));
  EXPECT_TRUE(paused->waiting_on_customer);
  EXPECT_EQ(Step(kAgent, c.id, Action::kPauseClock).status().code(),
            absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<Complaint> resumed =
      Step(kAgent, c.id, Action::kResumeClock, "samples arrived", kNow + absl::Hours(4));
  ASSERT_TRUE(Ok(resumed));
  EXPECT_EQ(resumed->resolution_clock.deadline.due_at, kNow + absl::Hours(13));
  EXPECT_EQ(store_->Get(c.id)->resolution_clock.deadline.due_at, kNow + absl::Hours(13));
  EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM complaints WHERE queue_due_at = '",
                               ToSqlTime(kNow + absl::Hours(13)), "'")),
            1);
}

TEST_F(ComplaintStoreTest, AnUnsatisfiedFollowUpReopensTheComplaint) {
  const Complaint c = Assigned();
  for (auto [who, action] :
       std::vector<std::pair<Principal, Action>>{{kQa1, Action::kAnalyzeCause},
                                                 {kQa1, Action::kProposeResolution},
                                                 {kDirector, Action::kApproveResolution},
                                                 {kQa1, Action::kImplementResolution}}) {
    ASSERT_TRUE(Ok(Step(who, c.id, action)));
  }
  absl::StatusOr<Complaint> reopened = Step(kAgent, c.id, Action::kReopen);
  ASSERT_TRUE(Ok(reopened));
  EXPECT_EQ(reopened->state, State::kAssigned);
  EXPECT_EQ(reopened->reopen_count, 1);
  EXPECT_FALSE(reopened->resolution_clock.met_at.has_value());
  EXPECT_EQ(store_->Get(c.id)->reopen_count, 1);
  EXPECT_EQ(EventTypes(c.id).back(), "complaint.reopened");
  EXPECT_THAT(Ids(store_->Queue(kQa1, {}, 10)->items), ElementsAre(c.id));
}

TEST_F(ComplaintStoreTest, ListFiltersAndPagesWithoutDuplicates) {
  std::vector<int64_t> all;
  for (int i = 0; i < 4; ++i) all.push_back(Create(kAgent, 100).value().id);
  for (int i = 0; i < 3; ++i) all.push_back(Create(kAgent, 200, Category::kService).value().id);
  const int64_t judged = all[1];
  ASSERT_TRUE(Ok(Step(kAgent, judged, Action::kJudgeValid)));
  std::vector<int64_t> newest_first(all.rbegin(), all.rend());

  std::vector<int64_t> seen;
  int64_t before = 0;
  for (int pages = 0; pages < 10; ++pages) {
    absl::StatusOr<Page<Complaint>> page = store_->List({}, before, 3);
    ASSERT_TRUE(Ok(page));
    for (const Complaint& c : page->items) seen.push_back(c.id);
    if (!page->more) break;
    EXPECT_EQ(page->items.size(), 3u);
    before = page->items.back().id;
  }
  EXPECT_EQ(seen, newest_first);

  ComplaintFilter by_account;
  by_account.account_id = 200;
  EXPECT_THAT(Ids(store_->List(by_account, 0, 50)->items), ElementsAre(all[6], all[5], all[4]));
  ComplaintFilter by_category;
  by_category.category = Category::kProductQuality;
  EXPECT_EQ(store_->List(by_category, 0, 50)->items.size(), 4u);
  ComplaintFilter by_state;
  by_state.states = {State::kAssigned, State::kClosed};
  EXPECT_THAT(Ids(store_->List(by_state, 0, 50)->items), ElementsAre(judged));
  ComplaintFilter by_handler;
  by_handler.department = "quality";
  by_handler.handler_id = "qa-1";
  EXPECT_THAT(Ids(store_->List(by_handler, 0, 50)->items), ElementsAre(judged));
  ComplaintFilter by_time;
  by_time.created_from = kNow;
  by_time.created_before = kNow + absl::Seconds(1);
  EXPECT_EQ(store_->List(by_time, 0, 50)->items.size(), 7u);
  by_time.created_from = kNow + absl::Seconds(1);
  EXPECT_THAT(store_->List(by_time, 0, 50)->items, IsEmpty());

  // Access limits from the caller.
  ComplaintFilter owner;
  owner.visible_to_owner = "mgr-wang";
  EXPECT_THAT(Ids(store_->List(owner, 0, 50)->items), ElementsAre(all[6], all[5], all[4]));
  ComplaintFilter department;
  department.visible_department = "quality";
  EXPECT_THAT(Ids(store_->List(department, 0, 50)->items), ElementsAre(judged));
}

TEST_F(ComplaintStoreTest, SlaFiltersFindAtRiskAndBreachedComplaints) {
  const int64_t on_track = Create().value().id;
  const int64_t at_risk = Create().value().id;
  const int64_t breached = Create().value().id;
  const int64_t met_late = Create().value().id;
  // What the sweeper would have recorded.
  Exec(absl::StrCat("UPDATE complaints SET judge_warned = TRUE WHERE id = ", at_risk));
  Exec(absl::StrCat("UPDATE complaints SET judge_warned = TRUE, judge_breached = TRUE WHERE id = ",
                    breached));
  ASSERT_TRUE(Ok(Step(kAgent, met_late, Action::kJudgeValid, "", kNow + absl::Hours(2))));

  ComplaintFilter f;
  f.sla = ComplaintFilter::Sla::kAtRisk;
  EXPECT_THAT(Ids(store_->List(f, 0, 50)->items), ElementsAre(at_risk));
  f.sla = ComplaintFilter::Sla::kBreached;
  EXPECT_THAT(Ids(store_->List(f, 0, 50)->items), ElementsAre(met_late, breached));
  f.sla = ComplaintFilter::Sla::kAny;
  EXPECT_THAT(Ids(store_->List(f, 0, 50)->items),
              ElementsAre(met_late, breached, at_risk, on_track));
}

TEST_F(ComplaintStoreTest, EachRoleSeesWhatWaitsOnIt) {
  // Tier A (account 200) has the tighter deadlines, so it comes first in the queue.
  const Complaint b1 = Assigned(kAgent, 100);  // qa-1
  const Complaint a1 = Assigned(kAgent, 200);  // qa-2
  const Complaint b2 = Assigned(kAgent, 100);  // qa-3
  const Complaint b3 = Assigned(kAgent, 100);  // qa-1
  const Complaint recorded_b = Create(kAgent, 100).value();
  const Complaint recorded_a = Create(kAgent, 200).value();
  ASSERT_TRUE(Ok(Step(kQa1, b3.id, Action::kAnalyzeCause)));
  ASSERT_TRUE(Ok(Step(kQa1, b3.id, Action::kProposeResolution)));
  (void)b2;

  EXPECT_THAT(Ids(store_->Queue(kQa1, {}, 10)->items), ElementsAre(b1.id));
  EXPECT_THAT(Ids(store_->Queue(kQa2, {}, 10)->items), ElementsAre(a1.id));
  EXPECT_THAT(Ids(store_->Queue(kAgent, {}, 10)->items), ElementsAre(recorded_a.id, recorded_b.id));
  EXPECT_THAT(Ids(store_->Queue(kDirector, {}, 10)->items), ElementsAre(b3.id));
  EXPECT_THAT(store_->Queue(kAnalyst, {}, 10)->items, IsEmpty());
  EXPECT_THAT(store_->Queue(kOwner, {}, 10)->items, IsEmpty());

  // An unassigned complaint of the department shows in every handler's queue.
  Exec(absl::StrCat("UPDATE complaints SET handler_id = '' WHERE id = ", b1.id));
  EXPECT_THAT(Ids(store_->Queue(kQa2, {}, 10)->items), ElementsAre(a1.id, b1.id));

  // Paging by (due, id): a director who is also a service agent pages through both.
  const Principal both{"dir-qian", {"director", "service_agent"}, ""};
  std::vector<int64_t> seen;
  QueueCursor cursor;
  for (int pages = 0; pages < 5; ++pages) {
    absl::StatusOr<Page<Complaint>> page = store_->Queue(both, cursor, 1);
    ASSERT_TRUE(Ok(page));
    for (const Complaint& c : page->items) seen.push_back(c.id);
    if (!page->more) break;
    const Complaint& last = page->items.back();
    cursor = {last.state == State::kRecorded ? last.judgment.deadline.due_at
                                             : last.resolution_clock.deadline.due_at,
              last.id};
  }
  EXPECT_THAT(seen, ElementsAre(recorded_a.id, recorded_b.id, b3.id));
}

// ListMyQueue reads a UNION ALL of one ordered, limited branch per (state, role): the pages
// must be exactly those of the plain query "every row any role waits on, by (due, id)",
// with ties in due (copied rows) broken by id, for any page size.
class QueueQueryTest : public ComplaintStoreTest {
 protected:
  // A handler, service agent and director at once: every branch of the queue.
  const Principal kAllRoles{"qa-1", {"handler", "service_agent", "director"}, "quality"};

  // Complaints in every state the queue knows (two tiers, so two deadlines per state), then
  // copied `doublings` times (same deadlines, new ids), some unassigned or elsewhere.
  void Fill(int doublings) {
    for (int64_t account : {100, 200}) {
      Create(kAgent, account).value();  // RECORDED
      Assigned(kAgent, account);        // ASSIGNED
      const Complaint p = Assigned(kAgent, account);
      const Principal handler = QualityHandler(p.handler_id);
      ASSERT_TRUE(Ok(Step(handler, p.id, Action::kAnalyzeCause)));  // CAUSE_ANALYZED
      const Complaint q = Assigned(kAgent, account);
      const Principal handler_q = QualityHandler(q.handler_id);
      ASSERT_TRUE(Ok(Step(handler_q, q.id, Action::kAnalyzeCause)));
      ASSERT_TRUE(Ok(Step(handler_q, q.id, Action::kProposeResolution)));  // PROPOSED
      const Complaint x = Create(kAgent, account).value();
      ASSERT_TRUE(Ok(Step(kAgent, x.id, Action::kJudgeInvalid)));  // INVALID: in no queue
    }
    std::string columns;
    for (const std::vector<std::string>& row :
         Rows("SELECT column_name FROM information_schema.columns WHERE table_schema = "
              "DATABASE() AND table_name = 'complaints' AND column_name <> 'id' "
              "ORDER BY ordinal_position")) {
      absl::StrAppend(&columns, columns.empty() ? "" : ", ", row[0]);
    }
    for (int i = 0; i < doublings; ++i) {
      Exec(absl::StrCat("INSERT INTO complaints (", columns, ") SELECT ", columns,
                        " FROM complaints"));
    }
    Exec("UPDATE complaints SET handler_id = '' WHERE id % 3 = 0 AND state <> 1");
    Exec("UPDATE complaints SET department = 'logistics' WHERE id % 7 = 0 AND state <> 1");
    Exec("UPDATE complaints SET state = 7 WHERE id % 11 = 0");  // RESOLUTION_IMPLEMENTED
    Exec("UPDATE complaints SET state = 8 WHERE id % 13 = 0");  // FOLLOWED_UP
    Exec("UPDATE complaints SET state = 6 WHERE id % 17 = 0 AND state <> 1");  // APPROVED
    // As the store keeps it (QueueDue): the running deadline of the new state.
    Exec("UPDATE complaints SET queue_due_at = IF(state = 1, judge_due_at, resolve_due_at)");
    Exec("ANALYZE TABLE complaints");
  }

  // The plain query the queue must equal: every role's clause OR'd, one sort.
  std::vector<int64_t> Expected() {
    std::vector<int64_t> ids;
    for (const std::vector<std::string>& row :
         Rows("SELECT id FROM complaints c WHERE (c.department = 'quality' AND "
              "(c.handler_id = 'qa-1' OR c.handler_id = '') AND c.state IN (3, 4, 6)) OR "
              "c.state IN (1, 7) OR c.state IN (5, 8) ORDER BY c.queue_due_at, c.id")) {
      ids.push_back(std::stoll(row[0]));
    }
    return ids;
  }

  // Pages through the queue as ListMyQueue does (the token carries QueueDue and id).
  std::vector<int64_t> PageThrough(int page_size) {
    std::vector<int64_t> seen;
    QueueCursor cursor;
    for (int pages = 0; pages < 10'000; ++pages) {
      absl::StatusOr<Page<Complaint>> page = store_->Queue(kAllRoles, cursor, page_size);
      EXPECT_TRUE(Ok(page));
      if (!page.ok()) break;
      EXPECT_LE(page->items.size(), static_cast<size_t>(page_size));
      for (const Complaint& c : page->items) seen.push_back(c.id);
      if (!page->more) break;
      cursor = {QueueDue(page->items.back()), page->items.back().id};
    }
    return seen;
  }

  // The JSON plan of a statement, through the service's own connection.
  std::string Plan(const std::string& statement) {
    std::string plan;
    EXPECT_TRUE(Ok(WithConnection(*pool_, "test", [&](DbConnection& db) {
      std::unique_ptr<sql::Statement> stmt(db.raw().createStatement());
      std::unique_ptr<sql::ResultSet> rows(stmt->executeQuery(statement));
      if (rows->next()) plan = rows->getString(1);
      return absl::OkStatus();
    })));
    return plan;
  }

  // The query blocks of UNION branches (query_specifications), and the "table" objects
  // outside them.
  static void Walk(const nlohmann::json& node, std::vector<const nlohmann::json*>& branches,
                   std::vector<const nlohmann::json*>& tables) {
    if (node.is_array()) {
      for (const nlohmann::json& item : node) Walk(item, branches, tables);
      return;
    }
    if (!node.is_object()) return;
    for (const auto& [key, value] : node.items()) {
      if (key == "query_specifications" && value.is_array()) {
        for (const nlohmann::json& spec : value) {
          if (spec.contains("query_block")) branches.push_back(&spec.at("query_block"));
        }
        continue;
      }
      if (key == "table" && value.is_object()) tables.push_back(&value);
      Walk(value, branches, tables);
    }
  }

  // The query as the store sends it, the values written in (for ANALYZE).
  std::string Inlined(const SqlQuery& query) {
    std::vector<std::string> parts = absl::StrSplit(query.sql, '?');
    EXPECT_EQ(parts.size(), query.params.size() + 1);
    std::string out = parts[0];
    for (size_t i = 0; i < query.params.size() && i + 1 < parts.size(); ++i) {
      const SqlParam& p = query.params[i];
      if (const int64_t* n = std::get_if<int64_t>(&p)) absl::StrAppend(&out, *n);
      if (const std::string* text = std::get_if<std::string>(&p)) {
        absl::StrAppend(&out, "'", *text, "'");
      }
      if (const absl::Time* t = std::get_if<absl::Time>(&p)) {
        absl::StrAppend(&out, "'", ToSqlTime(*t), "'");
      }
      absl::StrAppend(&out, parts[i + 1]);
    }
    return out;
  }
};

TEST_F(QueueQueryTest, PagesAreThoseOfThePlainQueryForAnyPageSize) {
  ASSERT_NO_FATAL_FAILURE(Fill(4));  // 160 rows
  const std::vector<int64_t> expected = Expected();
  ASSERT_GT(expected.size(), 80u);
  for (int page_size : {1, 7, 500}) {
    EXPECT_EQ(PageThrough(page_size), expected) << "page size " << page_size;
  }
}

// Each branch reads its index in (queue_due_at, id) order and stops after page_size + 1 rows:
// no filesort over the open complaints, and (ANALYZE, MariaDB) no branch reads more.
TEST_F(QueueQueryTest, APageReadsAboutAPageOfRowsPerBranchWithoutAFilesort) {
  ASSERT_NO_FATAL_FAILURE(Fill(9));  // 5120 rows
  ASSERT_GT(Count("SELECT COUNT(*) FROM complaints"), 3000);
  constexpr int kPageSize = 20;
  const std::vector<int64_t> expected = Expected();
  ASSERT_GT(expected.size(), 200u);
  // The first page, and one from the middle (the cursor's range condition).
  const int64_t middle_id = expected[expected.size() / 2];
  const Complaint middle = store_->Get(middle_id).value();
  for (const QueueCursor& cursor : {QueueCursor{}, QueueCursor{QueueDue(middle), middle_id}}) {
    std::optional<SqlQuery> query = QueueQuery(kAllRoles, cursor, kPageSize);
    ASSERT_TRUE(query.has_value());
    const std::string plan_text = Plan("ANALYZE FORMAT=JSON " + Inlined(*query));
    const nlohmann::json plan = nlohmann::json::parse(plan_text);
    std::vector<const nlohmann::json*> branches;
    std::vector<const nlohmann::json*> outer_tables;
    Walk(plan, branches, outer_tables);
    ASSERT_EQ(branches.size(), 10u) << plan_text;  // 2 handlers x 3 + 2 + 2 states
    for (const nlohmann::json* branch : branches) {
      const std::string text = branch->dump();
      EXPECT_EQ(text.find("filesort"), std::string::npos) << text;
      std::vector<const nlohmann::json*> tables;
      std::vector<const nlohmann::json*> none;
      Walk(*branch, none, tables);
      ASSERT_EQ(tables.size(), 1u) << text;
      EXPECT_THAT(tables[0]->value("key", ""),
                  ::testing::AnyOf("ix_complaints_team_queue", "ix_complaints_queue"))
          << text;
      EXPECT_LE(tables[0]->value("r_rows", 1e9), kPageSize + 1) << text;
    }
    // Outside the branches: the merged rows, then each complaint by its primary key.
    for (const nlohmann::json* table : outer_tables) {
      if (table->value("table_name", "") != "c") continue;
      EXPECT_EQ(table->value("access_type", ""), "eq_ref") << plan_text;
    }
  }
}

TEST_F(ComplaintStoreTest, DepartmentsAreCreatedReplacedAndListed) {
  absl::StatusOr<std::vector<Department>> listed = store_->ListDepartments();
  ASSERT_TRUE(Ok(listed));
  ASSERT_EQ(listed->size(), 4u);
  const Department& quality = listed->at(2);
  EXPECT_EQ(quality.code, "quality");
  EXPECT_THAT(quality.handler_ids, ElementsAre("qa-1", "qa-2", "qa-3"));
  EXPECT_THAT(quality.categories, ElementsAre(Category::kProductQuality));
  EXPECT_EQ(quality.manager_id, "qa-boss");
  EXPECT_EQ(Etag(quality), "v2");
  EXPECT_THAT(listed->at(3).categories, ElementsAre(Category::kService, Category::kOther));

  Department d = Quality({"qa-9"});
  absl::StatusOr<Department> put = store_->PutDepartment(Next(kDirector), d, "");
  EXPECT_EQ(put.status().code(), absl::StatusCode::kAlreadyExists);
  put = store_->PutDepartment(Next(kDirector), d, "v1");
  EXPECT_EQ(put.status().code(), absl::StatusCode::kAborted);
  d.categories = {Category::kProductQuality, Category::kTransport};
  put = store_->PutDepartment(Next(kDirector), d, "v2");
  EXPECT_EQ(put.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(put.status().message(), HasSubstr("logistics"));

  Department returns;
  returns.code = "returns";
  returns.name = "Returns";
  returns.handler_ids = {"ret-1"};
  returns.manager_id = "ret-boss";
  put = store_->PutDepartment(Next(kDirector), returns, "");
  ASSERT_TRUE(Ok(put));
  EXPECT_EQ(Etag(*put), "v1");
  // Other complaints move from service to returns.
  Department service = listed->at(3);
  service.categories = {Category::kService};
  ASSERT_TRUE(Ok(store_->PutDepartment(Next(kDirector), service, Etag(service))));
  returns.categories = {Category::kOther};
  put = store_->PutDepartment(Next(kDirector), returns, "v1");
  ASSERT_TRUE(Ok(put));
  EXPECT_EQ(Etag(*put), "v2");
  const Complaint other = Create(kAgent, 100, Category::kOther).value();
  const Complaint routed = Step(kAgent, other.id, Action::kJudgeValid).value();
  EXPECT_EQ(routed.department, "returns");
  EXPECT_EQ(routed.handler_id, "ret-1");

  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox WHERE event_type = 'department.updated'"), 4);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE action = 'department.updated'"), 4);
}

}  // namespace
}  // namespace kam::complaints
