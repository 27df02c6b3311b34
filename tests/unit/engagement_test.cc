#include "services/accounts/engagement.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace kam::accounts {
namespace {

using ::testing::HasSubstr;

// 2027-01-15 08:00:00 UTC.
const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const absl::Time kToday =
    absl::FromCivil(absl::ToCivilDay(kNow, absl::UTCTimeZone()), absl::UTCTimeZone());

Principal Manager(const std::string& subject) { return {subject, {"account_manager"}, ""}; }
Principal WithRole(const std::string& role) { return {"someone", {role}, ""}; }

std::string Message(const absl::Status& status) { return std::string(status.message()); }

ContactRecord Draft() {
  ContactRecord r;
  r.account_id = 7;
  r.kind = ContactKind::kVisit;
  r.occurred_at = kNow - absl::Hours(2);
  r.contact_ids = {3, 4};
  r.summary = "讨论了明年的采购计划";
  r.outcome = ContactOutcome::kEffective;
  return r;
}

Account Owned(const std::string& owner) {
  Account a;
  a.id = 7;
  a.owner_id = owner;
  a.version = 3;
  return a;
}

// A record of the timeline, `hours_ago` before kNow.
ContactRecord Contact(ContactKind kind, ContactOutcome outcome, int hours_ago) {
  ContactRecord r;
  r.kind = kind;
  r.outcome = outcome;
  r.occurred_at = kNow - absl::Hours(hours_ago);
  return r;
}
ContactRecord Visit(ContactOutcome outcome, int hours_ago) {
  return Contact(ContactKind::kVisit, outcome, hours_ago);
}
std::vector<ContactRecord> VisitsWithoutResult(int n, int first_hours_ago = 1) {
  std::vector<ContactRecord> visits;
  for (int i = 0; i < n; ++i) {
    visits.push_back(Visit(ContactOutcome::kNoResult, first_hours_ago + i));
  }
  return visits;
}

// ---- contact records ----

TEST(NewContactRecord, SetsAuthorAndCreationTime) {
  absl::StatusOr<ContactRecord> r = NewContactRecord(Draft(), Manager("li"), kNow);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->author_id, "li");
  EXPECT_EQ(r->create_time, kNow);
  EXPECT_EQ(r->id, 0);
}

TEST(NewContactRecord, CutsOccurTimeToMicroseconds) {
  ContactRecord draft = Draft();
  draft.occurred_at = absl::FromUnixMicros(1'700'000'000'123'456) + absl::Nanoseconds(789);
  EXPECT_EQ(NewContactRecord(draft, Manager("li"), kNow)->occurred_at,
            absl::FromUnixMicros(1'700'000'000'123'456));
}

TEST(NewContactRecord, RequiresKindSummaryAndOutcome) {
  ContactRecord no_kind = Draft();
  no_kind.kind = ContactKind::kUnspecified;
  EXPECT_THAT(Message(NewContactRecord(no_kind, Manager("li"), kNow).status()),
              HasSubstr("record.kind"));
  ContactRecord bad_kind = Draft();
  bad_kind.kind = static_cast<ContactKind>(6);
  EXPECT_THAT(Message(NewContactRecord(bad_kind, Manager("li"), kNow).status()),
              HasSubstr("record.kind"));
  ContactRecord no_summary = Draft();
  no_summary.summary = "";
  EXPECT_THAT(Message(NewContactRecord(no_summary, Manager("li"), kNow).status()),
              HasSubstr("record.summary"));
  ContactRecord no_outcome = Draft();
  no_outcome.outcome = ContactOutcome::kUnspecified;
  EXPECT_THAT(Message(NewContactRecord(no_outcome, Manager("li"), kNow).status()),
              HasSubstr("record.outcome"));
}

TEST(NewContactRecord, LimitsTextLengthsInCharacters) {
  ContactRecord long_summary = Draft();
  long_summary.summary = std::string(2001, 'x');
  EXPECT_THAT(Message(NewContactRecord(long_summary, Manager("li"), kNow).status()),
              HasSubstr("record.summary"));
  ContactRecord chinese_summary = Draft();
  std::string summary;
  for (int i = 0; i < 2000; ++i) summary += "谈";  // 2000 characters, 6000 bytes
  chinese_summary.summary = summary;
  EXPECT_TRUE(NewContactRecord(chinese_summary, Manager("li"), kNow).ok());
  ContactRecord long_attendees = Draft();
  long_attendees.attendees = std::string(501, 'a');
  EXPECT_THAT(Message(NewContactRecord(long_attendees, Manager("li"), kNow).status()),
              HasSubstr("record.attendees"));
  ContactRecord long_next_step = Draft();
  long_next_step.next_step = std::string(501, 'n');
  EXPECT_THAT(Message(NewContactRecord(long_next_step, Manager("li"), kNow).status()),
              HasSubstr("record.next_step"));
}

TEST(NewContactRecord, OccurTimeMayNotBeInTheFutureBeyondClockSkew) {
  ContactRecord skewed = Draft();
  skewed.occurred_at = kNow + absl::Minutes(5);
  EXPECT_TRUE(NewContactRecord(skewed, Manager("li"), kNow).ok());
  ContactRecord future = Draft();
  future.occurred_at = kNow + absl::Minutes(5) + absl::Seconds(1);
  absl::Status status = NewContactRecord(future, Manager("li"), kNow).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), HasSubstr("record.occur_time"));
}

TEST(NewContactRecord, AtMostTwentyDistinctContacts) {
  ContactRecord twenty = Draft();
  twenty.contact_ids.clear();
  for (int64_t id = 1; id <= 20; ++id) twenty.contact_ids.push_back(id);
  EXPECT_TRUE(NewContactRecord(twenty, Manager("li"), kNow).ok());
  ContactRecord too_many = twenty;
  too_many.contact_ids.push_back(21);
  EXPECT_THAT(Message(NewContactRecord(too_many, Manager("li"), kNow).status()),
              HasSubstr("record.contact_ids"));
  ContactRecord twice = Draft();
  twice.contact_ids = {3, 3};
  EXPECT_THAT(Message(NewContactRecord(twice, Manager("li"), kNow).status()),
              HasSubstr("record.contact_ids"));
  ContactRecord negative = Draft();
  negative.contact_ids = {-1};
  EXPECT_THAT(Message(NewContactRecord(negative, Manager("li"), kNow).status()),
              HasSubstr("record.contact_ids"));
}

TEST(NewContactRecord, OnlyAVisitCompletesAPlannedVisit) {
  ContactRecord visit = Draft();
  visit.visit_plan_id = 9;
  EXPECT_TRUE(NewContactRecord(visit, Manager("li"), kNow).ok());
  ContactRecord call = Draft();
  call.kind = ContactKind::kCall;
  call.visit_plan_id = 9;
  absl::Status status = NewContactRecord(call, Manager("li"), kNow).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), HasSubstr("record.visit_plan_id"));
}

TEST(CheckContactsMet, NamesTheContactThatIsNotOfTheAccount) {
  EXPECT_TRUE(CheckContactsMet({3, 4}, {4, 3}).ok());
  EXPECT_TRUE(CheckContactsMet({}, {}).ok());
  absl::Status status = CheckContactsMet({3, 99}, {3});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), HasSubstr("record.contact_ids"));
  EXPECT_THAT(Message(status), HasSubstr("99"));
}

TEST(CheckCanWork, OwnerTeamDirectorAndAdminOnly) {
  const Account account = Owned("li");
  EXPECT_TRUE(CheckCanWork(Manager("li"), account, /*works_on=*/true).ok());
  EXPECT_TRUE(CheckCanWork(WithRole("director"), account, false).ok());
  EXPECT_TRUE(CheckCanWork(WithRole("admin"), account, false).ok());
  EXPECT_EQ(CheckCanWork(Manager("wang"), account, false).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckCanWork(WithRole("analyst"), account, false).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckCanWork(WithRole("service_agent"), account, false).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(CheckCanWork, ArchivedAccountIsAFailedPreconditionForThoseWithAccess) {
  Account archived = Owned("li");
  archived.archived = true;
  EXPECT_EQ(CheckCanWork(Manager("li"), archived, true).code(),
            absl::StatusCode::kFailedPrecondition);
  // Access is decided first: an outsider learns nothing about the account's state.
  EXPECT_EQ(CheckCanWork(Manager("wang"), archived, false).code(),
            absl::StatusCode::kPermissionDenied);
}

// ---- completing a planned visit ----

VisitPlan Planned(int64_t id, int64_t account_id) {
  VisitPlan p;
  p.id = id;
  p.account_id = account_id;
  p.owner_id = "li";
  p.planned_at = kToday;
  p.objective = "年度回访";
  p.status = VisitPlanStatus::kPlanned;
  return p;
}

TEST(CompletePlan, LinksTheRecordAndMarksThePlanCompleted) {
  ContactRecord record = Draft();
  record.id = 42;
  absl::StatusOr<VisitPlan> done = CompletePlan(Planned(9, 7), record, kNow);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->status, VisitPlanStatus::kCompleted);
  EXPECT_EQ(done->contact_record_id, 42);
  EXPECT_EQ(done->update_time, kNow);
}

TEST(CompletePlan, OnlyAPlannedVisitOfTheSameAccount) {
  ContactRecord record = Draft();
  record.id = 42;
  absl::Status other_account = CompletePlan(Planned(9, 8), record, kNow).status();
  EXPECT_EQ(other_account.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(other_account), HasSubstr("record.visit_plan_id"));
  VisitPlan completed = Planned(9, 7);
  completed.status = VisitPlanStatus::kCompleted;
  EXPECT_EQ(CompletePlan(completed, record, kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
  VisitPlan cancelled = Planned(9, 7);
  cancelled.status = VisitPlanStatus::kCancelled;
  EXPECT_THAT(Message(CompletePlan(cancelled, record, kNow).status()), HasSubstr("cancelled"));
}

// ---- the five-visits rule ----

TEST(ShouldSuspend, FiveVisitsInARowWithoutResult) {
  EXPECT_EQ(kVisitsWithoutResult, 5);
  EXPECT_TRUE(ShouldSuspend(Owned("li"), VisitsWithoutResult(5)));
}

TEST(ShouldSuspend, FewerThanFiveVisitsNeverSuspend) {
  EXPECT_FALSE(ShouldSuspend(Owned("li"), {}));
  EXPECT_FALSE(ShouldSuspend(Owned("li"), VisitsWithoutResult(4)));
}

TEST(ShouldSuspend, AnEffectiveVisitBreaksTheStreak) {
  std::vector<ContactRecord> visits = VisitsWithoutResult(4);
  visits.push_back(Visit(ContactOutcome::kEffective, 10));
  visits.push_back(Visit(ContactOutcome::kNoResult, 11));  // older ones do not matter
  EXPECT_FALSE(ShouldSuspend(Owned("li"), visits));
  // An effective visit as the newest one also resets the count.
  std::vector<ContactRecord> newest_effective = {Visit(ContactOutcome::kEffective, 0)};
  for (const ContactRecord& v : VisitsWithoutResult(5, 1)) newest_effective.push_back(v);
  EXPECT_FALSE(ShouldSuspend(Owned("li"), newest_effective));
}

TEST(ShouldSuspend, OtherKindsOfContactAreIgnored) {
  // Calls, meetings and e-mails in between neither count nor break the streak.
  std::vector<ContactRecord> timeline = {
      Visit(ContactOutcome::kNoResult, 1),
      Contact(ContactKind::kCall, ContactOutcome::kEffective, 2),
      Visit(ContactOutcome::kNoResult, 3),
      Contact(ContactKind::kMeeting, ContactOutcome::kEffective, 4),
      Visit(ContactOutcome::kNoResult, 5),
      Contact(ContactKind::kEmail, ContactOutcome::kNoResult, 6),
      Visit(ContactOutcome::kNoResult, 7),
      Contact(ContactKind::kEvent, ContactOutcome::kNoResult, 8),
  };
  EXPECT_FALSE(ShouldSuspend(Owned("li"), timeline));  // only four visits
  timeline.push_back(Visit(ContactOutcome::kNoResult, 9));
  EXPECT_TRUE(ShouldSuspend(Owned("li"), timeline));
}

TEST(ShouldSuspend, VisitsBeforeARestoreDoNotCount) {
  Account restored = Owned("li");
  restored.visit_streak_since = kNow - absl::Hours(3);
  // Three visits since the restore, the older ones before it.
  EXPECT_FALSE(ShouldSuspend(restored, VisitsWithoutResult(8)));
  restored.visit_streak_since = kNow - absl::Hours(5);  // at the fifth visit exactly
  EXPECT_TRUE(ShouldSuspend(restored, VisitsWithoutResult(8)));
}

TEST(ShouldSuspend, AnAccountAlreadyOffTheVisitPlanIsNotSuspendedAgain) {
  Account suspended = Owned("li");
  suspended.visit_plan_suspended = true;
  EXPECT_FALSE(ShouldSuspend(suspended, VisitsWithoutResult(6)));
}

TEST(SuspendVisitPlan, FlagsTheAccountWithANewVersion) {
  const Account a = SuspendVisitPlan(Owned("li"), kNow);
  EXPECT_TRUE(a.visit_plan_suspended);
  EXPECT_EQ(a.version, 4);
  EXPECT_EQ(a.update_time, kNow);
}

TEST(PutBackOnVisitPlan, DirectorRestoresAndTheCountStartsOver) {
  const Account suspended = SuspendVisitPlan(Owned("li"), kNow - absl::Hours(1));
  absl::StatusOr<Account> a =
      PutBackOnVisitPlan(suspended, WithRole("director"), "customer changed buyer", kNow);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FALSE(a->visit_plan_suspended);
  EXPECT_EQ(a->visit_streak_since, kNow);
  EXPECT_EQ(a->version, suspended.version + 1);
  EXPECT_EQ(a->update_time, kNow);
  // The five visits that suspended it no longer count.
  EXPECT_FALSE(ShouldSuspend(*a, VisitsWithoutResult(5)));
  EXPECT_TRUE(PutBackOnVisitPlan(suspended, WithRole("admin"), "ok", kNow).ok());
}

TEST(PutBackOnVisitPlan, OnlyDirectorsAndOnlyASuspendedAccount) {
  const Account suspended = SuspendVisitPlan(Owned("li"), kNow);
  EXPECT_EQ(PutBackOnVisitPlan(suspended, Manager("li"), "please", kNow).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(PutBackOnVisitPlan(Owned("li"), WithRole("director"), "why", kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(PutBackOnVisitPlan(suspended, WithRole("director"), "", kNow).status()),
              HasSubstr("reason"));
  EXPECT_THAT(
      Message(PutBackOnVisitPlan(suspended, WithRole("director"), std::string(501, 'r'), kNow)
                  .status()),
      HasSubstr("reason"));
  Account archived = suspended;
  archived.archived = true;
  EXPECT_EQ(PutBackOnVisitPlan(archived, WithRole("director"), "why", kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// ---- visit plans ----

VisitPlan PlanDraft(absl::Time planned_at) {
  VisitPlan p;
  p.account_id = 7;
  p.planned_at = planned_at;
  p.objective = "介绍新产品线";
  return p;
}

TEST(NewVisitPlan, StoresTheUtcDayTodayOrLater) {
  absl::StatusOr<VisitPlan> today = NewVisitPlan(PlanDraft(kToday + absl::Hours(23)), kNow);
  ASSERT_TRUE(today.ok()) << today.status();
  EXPECT_EQ(today->planned_at, kToday);
  EXPECT_EQ(today->status, VisitPlanStatus::kPlanned);
  EXPECT_EQ(today->create_time, kNow);
  // Earlier today than now is still today.
  EXPECT_TRUE(NewVisitPlan(PlanDraft(kToday), kNow).ok());
  EXPECT_EQ(NewVisitPlan(PlanDraft(kToday + absl::Hours(24 * 30 + 5)), kNow)->planned_at,
            kToday + absl::Hours(24 * 30));
  absl::Status yesterday = NewVisitPlan(PlanDraft(kToday - absl::Seconds(1)), kNow).status();
  EXPECT_EQ(yesterday.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(yesterday), HasSubstr("plan.planned_time"));
}

TEST(NewVisitPlan, ObjectiveIsOneToFiveHundredCharacters) {
  VisitPlan empty = PlanDraft(kToday);
  empty.objective = "";
  EXPECT_THAT(Message(NewVisitPlan(empty, kNow).status()), HasSubstr("plan.objective"));
  VisitPlan long_objective = PlanDraft(kToday);
  long_objective.objective = std::string(501, 'o');
  EXPECT_THAT(Message(NewVisitPlan(long_objective, kNow).status()), HasSubstr("plan.objective"));
  VisitPlan bad_owner = PlanDraft(kToday);
  bad_owner.owner_id = "li wei";
  EXPECT_THAT(Message(NewVisitPlan(bad_owner, kNow).status()), HasSubstr("plan.owner_id"));
}

TEST(CheckCanPlan, AnAccountOffTheVisitPlanTakesNoNewPlans) {
  const Account suspended = SuspendVisitPlan(Owned("li"), kNow);
  absl::Status status = CheckCanPlan(Manager("li"), suspended, true);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(status), HasSubstr("a director can restore it"));
  EXPECT_TRUE(CheckCanPlan(Manager("li"), Owned("li"), true).ok());
  EXPECT_EQ(CheckCanPlan(Manager("wang"), Owned("li"), false).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(ChoosePlanOwner, DefaultsToTheOwnerAndAcceptsTeamMembers) {
  const Account account = Owned("li");
  EXPECT_EQ(*ChoosePlanOwner("", account, false), "li");
  EXPECT_EQ(*ChoosePlanOwner("li", account, false), "li");
  EXPECT_EQ(*ChoosePlanOwner("zhou", account, /*on_team=*/true), "zhou");
  absl::Status outsider = ChoosePlanOwner("wang", account, false).status();
  EXPECT_EQ(outsider.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(outsider), HasSubstr("plan.owner_id"));
}

TEST(CancelPlan, OnlyAPlannedVisitWithAReason) {
  absl::StatusOr<VisitPlan> cancelled = CancelPlan(Planned(9, 7), "客户出差", kNow);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->status, VisitPlanStatus::kCancelled);
  EXPECT_EQ(cancelled->cancel_reason, "客户出差");
  EXPECT_THAT(Message(CancelPlan(Planned(9, 7), "", kNow).status()), HasSubstr("reason"));
  EXPECT_THAT(Message(CancelPlan(Planned(9, 7), std::string(501, 'r'), kNow).status()),
              HasSubstr("reason"));
  VisitPlan completed = Planned(9, 7);
  completed.status = VisitPlanStatus::kCompleted;
  EXPECT_EQ(CancelPlan(completed, "late", kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CancelPlan(*cancelled, "again", kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(IsOverdue, PlannedAndItsUtcDayIsOver) {
  VisitPlan plan = Planned(9, 7);
  plan.planned_at = kToday;
  EXPECT_FALSE(IsOverdue(plan, kNow));  // today is not over yet
  EXPECT_FALSE(IsOverdue(plan, kToday + absl::Hours(24) - absl::Microseconds(1)));
  EXPECT_TRUE(IsOverdue(plan, kToday + absl::Hours(24)));  // midnight UTC
  plan.planned_at = kToday - absl::Hours(24);
  EXPECT_TRUE(IsOverdue(plan, kNow));
  plan.status = VisitPlanStatus::kCompleted;
  EXPECT_FALSE(IsOverdue(plan, kNow));
  plan.status = VisitPlanStatus::kCancelled;
  EXPECT_FALSE(IsOverdue(plan, kNow));
}

TEST(StartOfDayUtc, IsMidnightUtcWhateverTheTimeOfDay) {
  EXPECT_EQ(StartOfDayUtc(kToday), kToday);
  EXPECT_EQ(StartOfDayUtc(kToday + absl::Hours(23) + absl::Minutes(59)), kToday);
  EXPECT_EQ(absl::FormatTime("%Y-%m-%d %H:%M:%S", kToday, absl::UTCTimeZone()),
            "2027-01-15 00:00:00");
}

TEST(ScopeVisitPlans, ManagersSeeTheAccountsTheyWorkOn) {
  VisitPlanFilter other_owner;
  other_owner.owner_id = "wang";
  absl::StatusOr<VisitPlanFilter> scoped = ScopeVisitPlans(other_owner, Manager("li"), kNow);
  ASSERT_TRUE(scoped.ok()) << scoped.status();
  EXPECT_EQ(scoped->visible_to, "li");
  EXPECT_EQ(scoped->owner_id, "wang");  // narrowed, not refused
  EXPECT_EQ(scoped->today, kToday);
  for (const char* role : {"director", "admin", "analyst"}) {
    EXPECT_EQ(ScopeVisitPlans({}, WithRole(role), kNow)->visible_to, "") << role;
  }
  VisitPlanFilter forged;
  forged.visible_to = "wang";
  EXPECT_EQ(ScopeVisitPlans(forged, WithRole("director"), kNow)->visible_to, "");
}

TEST(ScopeVisitPlans, ValidatesTheFilters) {
  VisitPlanFilter bad_status;
  bad_status.status = static_cast<VisitPlanStatus>(4);
  EXPECT_THAT(Message(ScopeVisitPlans(bad_status, Manager("li"), kNow).status()),
              HasSubstr("status"));
  VisitPlanFilter bad_owner;
  bad_owner.owner_id = "li wei";
  EXPECT_THAT(Message(ScopeVisitPlans(bad_owner, Manager("li"), kNow).status()),
              HasSubstr("owner_id"));
  VisitPlanFilter bad_account;
  bad_account.account_id = -1;
  EXPECT_THAT(Message(ScopeVisitPlans(bad_account, Manager("li"), kNow).status()),
              HasSubstr("account_id"));
  EXPECT_EQ(ScopeVisitPlans({}, WithRole("handler_of_nothing"), kNow).status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace kam::accounts
