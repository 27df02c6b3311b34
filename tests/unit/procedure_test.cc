// The complaint handling procedure (procedure.h) as the people in it meet it: who may take
// each step from which state, what each step changes, and how the SLA clocks stop, pause,
// resume and run again after a reopen.
#include "services/complaints/procedure.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace kam::complaints {
namespace {

using ::testing::HasSubstr;

const Principal kAgent{"agent-wu", {"service_agent"}, ""};
const Principal kQualityHandler{"qa-chen", {"handler"}, "quality"};
const Principal kLogisticsHandler{"log-sun", {"handler"}, "logistics"};
const Principal kDirector{"dir-zhao", {"director"}, ""};
const Principal kAdmin{"admin-1", {"admin"}, ""};
const Principal kOwner{"mgr-li", {"account_manager"}, ""};
const Principal kAnalyst{"ana-1", {"analyst"}, ""};
const Principal kSystem{"erp", {"system"}, ""};

// 2026-11-16 00:00 UTC; the test policy's calendar works around the clock, so business
// time is wall time and the arithmetic below is plain.
const absl::Time kT0 =
    absl::FromCivil(absl::CivilSecond(2026, 11, 16, 0, 0, 0), absl::UTCTimeZone());

SlaPolicy TestPolicy() {
  nlohmann::json targets = nlohmann::json::array();
  for (const char* tier : {"A", "B", "C", "D", "untiered"}) {
    for (const char* severity : {"low", "medium", "high", "critical"}) {
      const bool tight = std::string(tier) == "A" && std::string(severity) == "critical";
      targets.push_back({{"tier", tier},
                         {"severity", severity},
                         {"judge", tight ? "30m" : "1h"},
                         {"resolve", tight ? "4h" : "10h"}});
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

const SlaPolicy& Policy() {
  static const SlaPolicy* policy = new SlaPolicy(TestPolicy());
  return *policy;
}

Complaint Recorded(absl::Time now = kT0) {
  Complaint c;
  c.id = 7;
  c.account_id = 42;
  c.account_tier = 2;
  c.account_owner_id = "mgr-li";
  c.category = Category::kProductQuality;
  c.severity = Severity::kHigh;
  c.manner = Manner::kAngry;
  c.description = "burrs on the flanges";
  c.recorded_by = "agent-wu";
  c.create_time = c.update_time = now;
  StartClocks(Policy(), now, c);
  return c;
}

// A complaint as it stands in `state`, assigned to the quality department where that
// applies (the fields the procedure would have filled are not needed by the rules).
Complaint InState(State state) {
  Complaint c = Recorded();
  c.state = state;
  if (state != State::kRecorded && state != State::kInvalid) {
    c.department = "quality";
    c.handler_id = "qa-chen";
  }
  return c;
}

StepInput Input(Action action, std::string text = "because") {
  StepInput in;
  in.action = action;
  in.text = std::move(text);
  if (action == Action::kFollowUp || action == Action::kReopen) {
    in.follow_up.perceived = action == Action::kFollowUp ? 4 : 2;
    in.follow_up.expected = 4;
    in.follow_up.satisfied = action == Action::kFollowUp;
    in.follow_up.note = "called back";
  }
  if (action == Action::kClose) in.evaluation = "handled well";
  if (action == Action::kJudgeValid || action == Action::kReassign) {
    in.department = "quality";
    in.handler_id = "qa-chen";
  }
  return in;
}

// Checks, then applies: what the store does under the row lock.
Transition Take(const Principal& who, Action action, absl::Time now, Complaint& c, StepInput in) {
  EXPECT_TRUE(CheckStep(action, c, who).ok()) << CheckStep(action, c, who);
  in.action = action;
  return ApplyStep(in, who.subject, now, Policy(), c);
}
Transition Take(const Principal& who, Action action, absl::Time now, Complaint& c) {
  return Take(who, action, now, c, Input(action));
}

TEST(ProcedureTest, TheWholeProcedureWithOneRejectedProposal) {
  Complaint c = Recorded();
  EXPECT_EQ(c.state, State::kRecorded);
  EXPECT_EQ(c.judgment.deadline.due_at, kT0 + absl::Hours(1));
  EXPECT_EQ(c.resolution_clock.deadline.due_at, kT0 + absl::Hours(10));

  Transition t = Take(kAgent, Action::kJudgeValid, kT0 + absl::Minutes(20), c);
  EXPECT_EQ(t.action, "judged_valid");
  EXPECT_EQ(t.from, State::kRecorded);
  EXPECT_EQ(t.to, State::kAssigned);
  EXPECT_EQ(t.actor, "agent-wu");
  EXPECT_EQ(t.complaint_id, 7);
  EXPECT_EQ(c.department, "quality");
  EXPECT_EQ(c.handler_id, "qa-chen");
  EXPECT_EQ(c.judgment.met_at, kT0 + absl::Minutes(20));
  EXPECT_FALSE(c.resolution_clock.met_at.has_value());

  Take(kQualityHandler, Action::kAnalyzeCause, kT0 + absl::Hours(1), c,
       Input(Action::kAnalyzeCause, "worn die"));
  EXPECT_EQ(c.state, State::kCauseAnalyzed);
  EXPECT_EQ(c.cause, "worn die");
  Take(kQualityHandler, Action::kProposeResolution, kT0 + absl::Hours(2), c,
       Input(Action::kProposeResolution, "credit note"));
  EXPECT_EQ(c.state, State::kResolutionProposed);
  EXPECT_EQ(c.resolution, "credit note");

  t = Take(kDirector, Action::kRejectResolution, kT0 + absl::Hours(3), c,
           Input(Action::kRejectResolution, "replace the parts instead"));
  EXPECT_EQ(t.action, "resolution_rejected");
  EXPECT_EQ(t.note, "replace the parts instead");
  EXPECT_EQ(c.state, State::kCauseAnalyzed);
  EXPECT_EQ(c.rejection_reason, "replace the parts instead");

  Take(kQualityHandler, Action::kProposeResolution, kT0 + absl::Hours(4), c,
       Input(Action::kProposeResolution, "replace 200 flanges"));
  Take(kDirector, Action::kApproveResolution, kT0 + absl::Hours(5), c);
  EXPECT_EQ(c.state, State::kResolutionApproved);
  EXPECT_EQ(c.rejection_reason, "") << "an approval clears the last rejection";

  Take(kQualityHandler, Action::kImplementResolution, kT0 + absl::Hours(6), c,
       Input(Action::kImplementResolution, "shipped"));
  EXPECT_EQ(c.state, State::kResolutionImplemented);
  EXPECT_EQ(c.implementation_note, "shipped");
  EXPECT_EQ(c.resolution_clock.met_at, kT0 + absl::Hours(6));

  t = Take(kAgent, Action::kFollowUp, kT0 + absl::Hours(7), c);
  EXPECT_EQ(t.note, "called back");
  EXPECT_EQ(c.state, State::kFollowedUp);
  ASSERT_TRUE(c.follow_up.has_value());
  EXPECT_EQ(c.follow_up->Gap(), 0);
  EXPECT_EQ(c.follow_up->recorded_by, "agent-wu");
  EXPECT_EQ(c.follow_up->time, kT0 + absl::Hours(7));

  t = Take(kDirector, Action::kClose, kT0 + absl::Hours(8), c, Input(Action::kClose, "done"));
  EXPECT_EQ(t.to, State::kClosed);
  EXPECT_EQ(c.summary, "done");
  EXPECT_EQ(c.evaluation, "handled well");
  EXPECT_EQ(c.close_time, kT0 + absl::Hours(8));
  EXPECT_EQ(c.version, 10) << "one version per step";
  EXPECT_EQ(c.update_time, kT0 + absl::Hours(8));
  EXPECT_TRUE(IsFinal(c.state));
}

TEST(ProcedureTest, AnInvalidComplaintStopsBothClocks) {
  Complaint c = Recorded();
  Transition t = Take(kAgent, Action::kJudgeInvalid, kT0 + absl::Minutes(5), c,
                      Input(Action::kJudgeInvalid, "not our product"));
  EXPECT_EQ(t.action, "judged_invalid");
  EXPECT_EQ(c.state, State::kInvalid);
  EXPECT_EQ(c.invalid_reason, "not our product");
  EXPECT_EQ(c.judgment.met_at, kT0 + absl::Minutes(5));
  EXPECT_EQ(c.resolution_clock.met_at, kT0 + absl::Minutes(5));
  EXPECT_EQ(c.department, "");
}

TEST(ProcedureTest, TargetsFollowTierAndSeverity) {
  Complaint c;
  c.account_tier = 1;
  c.severity = Severity::kCritical;
  StartClocks(Policy(), kT0, c);
  EXPECT_EQ(c.judgment.budget, absl::Minutes(30));
  EXPECT_EQ(c.judgment.deadline.due_at, kT0 + absl::Minutes(30));
  EXPECT_EQ(c.judgment.deadline.warn_at, kT0 + absl::Minutes(24));
  EXPECT_EQ(c.resolution_clock.budget, absl::Hours(4));
  EXPECT_EQ(c.resolution_clock.deadline.due_at, kT0 + absl::Hours(4));
  EXPECT_EQ(c.state, State::kRecorded);
}

TEST(ProcedureTest, ATierChangeRetargetsTheClocksStillRunning) {
  // Tier B, critical: judge 1h, resolve 10h from kT0. Judged valid after 20 minutes.
  Complaint c = Recorded();
  c.severity = Severity::kCritical;
  StartClocks(Policy(), kT0, c);
  Take(kAgent, Action::kJudgeValid, kT0 + absl::Minutes(20), c);
  const int64_t version = c.version;

  // Promoted to A two hours in: the resolution clock takes A's 4h, 2h already used -> due
  // kT0 + 4h; warning at 80 % (3h12m). The judgment clock, met, keeps its figures.
  std::optional<Transition> t =
      RetargetClocks(Policy(), 1, "system:accounts", kT0 + absl::Hours(2), c);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->action, "sla_retargeted");
  EXPECT_EQ(t->from, State::kAssigned);
  EXPECT_EQ(t->to, State::kAssigned);
  EXPECT_EQ(t->note, "account tier B -> A: SLA targets of the new tier, time already used kept");
  EXPECT_EQ(c.account_tier, 1);
  EXPECT_EQ(c.resolution_clock.budget, absl::Hours(4));
  EXPECT_EQ(c.resolution_clock.deadline.due_at, kT0 + absl::Hours(4));
  EXPECT_EQ(c.resolution_clock.deadline.warn_at, kT0 + absl::Minutes(192));
  EXPECT_EQ(c.judgment.budget, absl::Hours(1));
  EXPECT_EQ(c.version, version + 1);

  // Past its deadline (breached) when demoted to C: the breach stands, the budget too.
  Complaint late = Recorded();
  RetargetClocks(Policy(), 3, "system:accounts", kT0 + absl::Hours(12), late);
  EXPECT_EQ(late.resolution_clock.deadline.due_at, kT0 + absl::Hours(10));
  EXPECT_EQ(late.resolution_clock.budget, absl::Hours(10));

  // The same tier again, or a closed complaint: nothing to do.
  EXPECT_FALSE(RetargetClocks(Policy(), 1, "system:accounts", kT0 + absl::Hours(3), c));
  Complaint closed = InState(State::kClosed);
  EXPECT_FALSE(RetargetClocks(Policy(), 1, "system:accounts", kT0, closed));
  EXPECT_EQ(closed.account_tier, 2);
}

TEST(ProcedureTest, ReassignmentMovesTheComplaintAndKeepsItsStep) {
  Complaint c = InState(State::kCauseAnalyzed);
  StepInput in = Input(Action::kReassign, "needs the logistics view");
  in.department = "logistics";
  in.handler_id = "log-sun";
  Transition t = Take(kAdmin, Action::kReassign, kT0 + absl::Hours(1), c, in);
  EXPECT_EQ(t.action, "reassigned");
  EXPECT_EQ(t.from, State::kCauseAnalyzed);
  EXPECT_EQ(t.to, State::kCauseAnalyzed);
  EXPECT_EQ(c.department, "logistics");
  EXPECT_EQ(c.handler_id, "log-sun");
  EXPECT_EQ(CheckStep(Action::kProposeResolution, c, kQualityHandler).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CheckStep(Action::kProposeResolution, c, kLogisticsHandler).ok());
}

TEST(ProcedureTest, AnUnsatisfiedFollowUpReopensAgainstTheOriginalDeadline) {
  Complaint c = InState(State::kResolutionApproved);
  c.resolution_clock.warned = true;  // the warning fired before the implementation
  Take(kQualityHandler, Action::kImplementResolution, kT0 + absl::Hours(9), c);
  ASSERT_TRUE(c.resolution_clock.met_at.has_value());

  Transition t = Take(kAgent, Action::kReopen, kT0 + absl::Hours(9) + absl::Minutes(30), c);
  EXPECT_EQ(t.action, "reopened");
  EXPECT_EQ(t.to, State::kAssigned);
  EXPECT_EQ(c.state, State::kAssigned);
  EXPECT_EQ(c.reopen_count, 1);
  EXPECT_FALSE(c.resolution_clock.met_at.has_value()) << "the resolution clock runs again";
  EXPECT_EQ(c.resolution_clock.deadline.due_at, kT0 + absl::Hours(10)) << "deadline stands";
  EXPECT_FALSE(c.resolution_clock.warned) << "the warning is armed again";
  ASSERT_TRUE(c.follow_up.has_value());
  EXPECT_FALSE(c.follow_up->satisfied);
  EXPECT_EQ(c.follow_up->Gap(), -2);
  EXPECT_EQ(c.department, "quality") << "the same department analyses again";

  // A clock that breached keeps its breach: it fired (and escalated) once.
  Complaint late = InState(State::kResolutionImplemented);
  late.resolution_clock.met_at = kT0 + absl::Hours(11);
  late.resolution_clock.warned = late.resolution_clock.breached = true;
  Take(kAgent, Action::kReopen, kT0 + absl::Hours(12), late);
  EXPECT_TRUE(late.resolution_clock.breached);
  EXPECT_TRUE(late.resolution_clock.warned);
  EXPECT_EQ(late.reopen_count, 1);
}

// A complaint whose resolution breached, escalated to level 1 (the director's turn due at
// `second`) and was implemented at T0+4h.
Complaint ImplementedAtLevelOne(absl::Time second) {
  Complaint c = InState(State::kResolutionImplemented);
  c.resolution_clock.met_at = kT0 + absl::Hours(4);
  c.resolution_clock.warned = c.resolution_clock.breached = true;
  c.resolution_clock.escalation_level = 1;
  c.resolution_clock.second_escalation_at = second;
  return c;
}

TEST(ProcedureTest, AReopenedClockAtLevelOneGivesTheDirectorTheWholeDelayAgain) {
  // The director's turn came while the clock was met.
  Complaint c = ImplementedAtLevelOne(kT0 + absl::Hours(5));
  Take(kAgent, Action::kReopen, kT0 + absl::Hours(12), c);
  EXPECT_EQ(c.resolution_clock.second_escalation_at, kT0 + absl::Hours(16)) << "4h delay";

  // Still ahead at the reopening: it stays.
  Complaint soon = ImplementedAtLevelOne(kT0 + absl::Hours(13));
  Take(kAgent, Action::kReopen, kT0 + absl::Hours(12), soon);
  EXPECT_EQ(soon.resolution_clock.second_escalation_at, kT0 + absl::Hours(13));
}

TEST(ProcedureTest, WaitingOnTheCustomerShiftsTheRunningDeadlines) {
  Complaint c = Recorded();  // judge due T0+1h (warn 48m), resolve due T0+10h (warn 8h)
  Transition t = Take(kAgent, Action::kPauseClock, kT0 + absl::Minutes(30), c,
                      Input(Action::kPauseClock, "waiting for photos"));
  EXPECT_EQ(t.action, "clock_paused");
  EXPECT_EQ(t.note, "waiting for photos");
  EXPECT_EQ(t.from, State::kRecorded);
  EXPECT_EQ(t.to, State::kRecorded);
  EXPECT_TRUE(c.waiting_on_customer);
  EXPECT_EQ(c.paused_at, kT0 + absl::Minutes(30));
  EXPECT_EQ(c.judgment.deadline.due_at, kT0 + absl::Hours(1)) << "unchanged while paused";

  t = Take(kAgent, Action::kResumeClock, kT0 + absl::Hours(2), c);
  EXPECT_EQ(t.action, "clock_resumed");
  EXPECT_FALSE(c.waiting_on_customer);
  EXPECT_FALSE(c.paused_at.has_value());
  // 30 minutes of the judgment budget were left at the pause, granted again from T0+2h.
  EXPECT_EQ(c.judgment.deadline.due_at, kT0 + absl::Hours(2) + absl::Minutes(30));
  EXPECT_EQ(c.judgment.deadline.warn_at, kT0 + absl::Hours(2) + absl::Minutes(18));
  EXPECT_EQ(c.resolution_clock.deadline.due_at, kT0 + absl::Hours(11) + absl::Minutes(30));
  EXPECT_EQ(c.version, 3);
}

TEST(ProcedureTest, AResumeArmsAWarningWhosePointMovedAheadAndKeepsOneThatFired) {
  Complaint c = Recorded();
  Take(kAgent, Action::kPauseClock, kT0 + absl::Minutes(50), c);  // after the 48m warning
  c.judgment.warned = true;                                       // the sweeper fired it
  c.resolution_clock.warned = true;  // as if fired; its point (8h) is ahead at the pause
  Take(kAgent, Action::kResumeClock, kT0 + absl::Hours(3), c);
  EXPECT_EQ(c.judgment.deadline.warn_at, kT0 + absl::Minutes(48)) << "already fired";
  EXPECT_EQ(c.judgment.deadline.due_at, kT0 + absl::Hours(3) + absl::Minutes(10));
  EXPECT_TRUE(c.judgment.warned);
  EXPECT_GT(c.resolution_clock.deadline.warn_at, kT0 + absl::Hours(3));
  EXPECT_FALSE(c.resolution_clock.warned);
}

TEST(ProcedureTest, APendingSecondEscalationWaitsOutThePause) {
  Complaint c = Recorded();
  // As the sweeper leaves it after the judgment breach: that clock's ladder at level 1.
  c.judgment.breached = true;
  c.judgment.escalation_level = 1;
  c.judgment.second_escalation_at = kT0 + absl::Hours(5);
  Take(kAgent, Action::kPauseClock, kT0 + absl::Hours(2), c);
  Take(kAgent, Action::kResumeClock, kT0 + absl::Hours(4), c);
  // Three (round-the-clock test calendar) hours were left at the pause.
  EXPECT_EQ(c.judgment.second_escalation_at, kT0 + absl::Hours(7));
  EXPECT_EQ(c.resolution_clock.second_escalation_at, std::nullopt) << "its own ladder";
}

TEST(ProcedureTest, AStepWhileWaitingEndsTheWaitFirst) {
  Complaint c = InState(State::kResolutionApproved);
  Take(kQualityHandler, Action::kPauseClock, kT0 + absl::Hours(1), c);
  // The handler implements three hours later: the resolution deadline moved by the pause
  // before the clock stops.
  Take(kQualityHandler, Action::kImplementResolution, kT0 + absl::Hours(4), c);
  EXPECT_FALSE(c.waiting_on_customer);
  EXPECT_FALSE(c.paused_at.has_value());
  EXPECT_EQ(c.resolution_clock.deadline.due_at, kT0 + absl::Hours(13));
  EXPECT_EQ(c.resolution_clock.met_at, kT0 + absl::Hours(4));

  // A reassignment is not news from the customer: the wait goes on.
  Complaint waiting = InState(State::kAssigned);
  Take(kQualityHandler, Action::kPauseClock, kT0 + absl::Hours(1), waiting);
  Take(kDirector, Action::kReassign, kT0 + absl::Hours(2), waiting);
  EXPECT_TRUE(waiting.waiting_on_customer);
  EXPECT_EQ(waiting.paused_at, kT0 + absl::Hours(1));
}

TEST(ProcedureTest, PausingTwiceOrResumingARunningClockIsRefused) {
  Complaint c = InState(State::kAssigned);
  absl::Status s = CheckStep(Action::kResumeClock, c, kAgent);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("not waiting"));
  Take(kAgent, Action::kPauseClock, kT0, c);
  s = CheckStep(Action::kPauseClock, c, kQualityHandler);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("already waiting"));
}

TEST(ProcedureTest, TheRefusalNamesTheCurrentStateAndTheOneNeeded) {
  absl::Status s =
      CheckStep(Action::kAnalyzeCause, InState(State::kResolutionProposed), kQualityHandler);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "complaint is RESOLUTION_PROPOSED; AnalyzeCause needs ASSIGNED");
  s = CheckStep(Action::kClose, InState(State::kClosed), kDirector);
  EXPECT_THAT(s.message(), HasSubstr("CLOSED (final)"));
  s = CheckStep(Action::kAnalyzeCause, InState(State::kAssigned), kDirector);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
}

// ---- every action from every state by every role ----

enum class Who {
  kAgent,
  kDeptHandler,
  kOtherHandler,
  kDirector,
  kAdmin,
  kOwner,
  kAnalyst,
  kSystem
};

const std::map<Who, Principal>& People() {
  static const auto* people = new std::map<Who, Principal>{{Who::kAgent, kAgent},
                                                           {Who::kDeptHandler, kQualityHandler},
                                                           {Who::kOtherHandler, kLogisticsHandler},
                                                           {Who::kDirector, kDirector},
                                                           {Who::kAdmin, kAdmin},
                                                           {Who::kOwner, kOwner},
                                                           {Who::kAnalyst, kAnalyst},
                                                           {Who::kSystem, kSystem}};
  return *people;
}

// complaints.proto, written out: who may take each step and from which states.
struct Expected {
  std::set<Who> roles;
  std::set<State> from;
};

const std::map<Action, Expected>& Rules() {
  const std::set<State> open = {State::kRecorded, State::kAssigned, State::kCauseAnalyzed,
                                State::kResolutionProposed, State::kResolutionApproved};
  const std::set<State> assigned = {State::kAssigned, State::kCauseAnalyzed,
                                    State::kResolutionProposed, State::kResolutionApproved};
  static const auto* rules = new std::map<Action, Expected>{
      {Action::kJudgeValid, {{Who::kAgent}, {State::kRecorded}}},
      {Action::kJudgeInvalid, {{Who::kAgent}, {State::kRecorded}}},
      {Action::kReassign, {{Who::kDirector, Who::kAdmin}, assigned}},
      {Action::kAnalyzeCause, {{Who::kDeptHandler}, {State::kAssigned}}},
      {Action::kProposeResolution, {{Who::kDeptHandler}, {State::kCauseAnalyzed}}},
      {Action::kApproveResolution, {{Who::kDirector}, {State::kResolutionProposed}}},
      {Action::kRejectResolution, {{Who::kDirector}, {State::kResolutionProposed}}},
      {Action::kImplementResolution, {{Who::kDeptHandler}, {State::kResolutionApproved}}},
      {Action::kFollowUp, {{Who::kAgent}, {State::kResolutionImplemented}}},
      {Action::kReopen, {{Who::kAgent}, {State::kResolutionImplemented}}},
      {Action::kClose, {{Who::kDirector}, {State::kFollowedUp}}},
      {Action::kPauseClock, {{Who::kAgent, Who::kDeptHandler}, open}},
      {Action::kResumeClock, {{Who::kAgent, Who::kDeptHandler}, open}}};
  return *rules;
}

constexpr State kAllStates[] = {State::kRecorded,
                                State::kInvalid,
                                State::kAssigned,
                                State::kCauseAnalyzed,
                                State::kResolutionProposed,
                                State::kResolutionApproved,
                                State::kResolutionImplemented,
                                State::kFollowedUp,
                                State::kClosed};

TEST(ProcedureTest, EveryActionFromEveryStateByEveryRole) {
  int allowed = 0;
  for (const auto& [action, rule] : Rules()) {
    for (State state : kAllStates) {
      Complaint c = InState(state);
      if (action == Action::kResumeClock) {
        c.waiting_on_customer = true;
        c.paused_at = kT0;
      }
      for (const auto& [who, person] : People()) {
        const std::string where =
            absl::StrCat(std::string(ActionName(action)), " from ", std::string(StateName(state)),
                         " by ", person.subject);
        // A department handler only exists for complaints routed to a department.
        const bool role_ok =
            rule.roles.count(who) > 0 && !(who == Who::kDeptHandler && c.department.empty());
        const absl::Status s = CheckStep(action, c, person);
        if (!role_ok) {
          EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << where << ": " << s;
        } else if (rule.from.count(state) == 0) {
          EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << where << ": " << s;
          EXPECT_THAT(s.message(), HasSubstr(std::string(StateName(state)))) << where;
        } else {
          EXPECT_TRUE(s.ok()) << where << ": " << s;
          ++allowed;
        }
      }
    }
  }
  EXPECT_GT(allowed, 20) << "the table must allow something";
}

TEST(ProcedureTest, EveryAllowedStepLandsWhereTheStateMachineSays) {
  const std::map<Action, State> to = {{Action::kJudgeValid, State::kAssigned},
                                      {Action::kJudgeInvalid, State::kInvalid},
                                      {Action::kAnalyzeCause, State::kCauseAnalyzed},
                                      {Action::kProposeResolution, State::kResolutionProposed},
                                      {Action::kApproveResolution, State::kResolutionApproved},
                                      {Action::kRejectResolution, State::kCauseAnalyzed},
                                      {Action::kImplementResolution, State::kResolutionImplemented},
                                      {Action::kFollowUp, State::kFollowedUp},
                                      {Action::kReopen, State::kAssigned},
                                      {Action::kClose, State::kClosed}};
  for (const auto& [action, rule] : Rules()) {
    for (State from : rule.from) {
      Complaint c = InState(from);
      if (action == Action::kResumeClock) {
        c.waiting_on_customer = true;
        c.paused_at = kT0;
      }
      const Principal& who = People().at(*rule.roles.begin());
      if (who.HasRole("handler") && c.department.empty()) continue;
      Transition t = Take(who, action, kT0 + absl::Minutes(1), c);
      const State expected = to.count(action) ? to.at(action) : from;
      EXPECT_EQ(t.from, from) << ActionName(action);
      EXPECT_EQ(t.to, expected) << ActionName(action) << " from " << StateName(from);
      EXPECT_EQ(c.state, expected);
      EXPECT_EQ(t.action, ActionName(action));
      EXPECT_EQ(c.version, 2);
    }
  }
}

// ---- access, departments, guidance ----

TEST(ProcedureTest, WhoSeesAComplaint) {
  Complaint c = InState(State::kAssigned);
  for (const Principal& p : {kAgent, kDirector, kAdmin, kAnalyst, kSystem, kQualityHandler}) {
    EXPECT_TRUE(CanSee(p, c)) << p.subject;
  }
  EXPECT_TRUE(CanSee(kOwner, c)) << "owner of the account";
  EXPECT_FALSE(CanSee(kLogisticsHandler, c)) << "another department";
  const Principal other_manager{"mgr-wang", {"account_manager"}, ""};
  EXPECT_FALSE(CanSee(other_manager, c));
  c.recorded_by = "mgr-wang";
  EXPECT_TRUE(CanSee(other_manager, c)) << "recorded it";
  EXPECT_FALSE(CanSee(kQualityHandler, InState(State::kRecorded))) << "not routed yet";
  EXPECT_FALSE(CanSee(Principal{"nobody", {}, ""}, c));
}

TEST(ProcedureTest, HandlersTakeTurnsAndTheTurnWraps) {
  Department d;
  d.handler_ids = {"a", "b", "c"};
  std::vector<std::string> taken;
  for (int i = 0; i < 7; ++i) taken.push_back(TakeNextHandler(d));
  EXPECT_EQ(taken, (std::vector<std::string>{"a", "b", "c", "a", "b", "c", "a"}));
  d.handler_ids = {"x"};  // shortened since the last turn
  EXPECT_EQ(TakeNextHandler(d), "x");
  EXPECT_EQ(TakeNextHandler(d), "x");
  Department empty;
  EXPECT_EQ(TakeNextHandler(empty), "");
}

TEST(ProcedureTest, EtagsChangeWithEveryVersion) {
  Complaint c = Recorded();
  const std::string first = Etag(c);
  Take(kAgent, Action::kPauseClock, kT0, c);
  EXPECT_NE(Etag(c), first);
  Department d;
  const std::string before = Etag(d);
  ++d.version;
  EXPECT_NE(Etag(d), before);
}

TEST(ProcedureTest, EveryMannerHasItsOwnGuidance) {
  std::set<std::string> seen;
  for (Manner m : {Manner::kAssertive, Manner::kHesitant, Manner::kFriendly, Manner::kAngry}) {
    const std::string guidance(HandlingGuidance(m));
    EXPECT_GT(guidance.size(), 40u);
    EXPECT_TRUE(seen.insert(guidance).second) << "the same advice twice";
  }
  EXPECT_THAT(std::string(HandlingGuidance(Manner::kAngry)), HasSubstr("never argue"));
  EXPECT_FALSE(HandlingGuidance(Manner::kUnspecified).empty());
}

TEST(ProcedureTest, NamesForMessagesAndLabels) {
  EXPECT_EQ(StateName(State::kResolutionImplemented), "RESOLUTION_IMPLEMENTED");
  EXPECT_EQ(CategoryName(Category::kProductQuality), "product_quality");
  EXPECT_EQ(ActionName(Action::kReopen), "reopened");
  EXPECT_EQ(ActionName(Action::kPauseClock), "clock_paused");
}

}  // namespace
}  // namespace kam::complaints
