// EngagementStore against a private MariaDB with the shipped migrations: contact records and
// the timeline, visit plans, and the five-visits rule as a key account manager and a
// director would see them (rows, audit trail and outbox events included).
#include "services/accounts/engagement_store.h"

#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "embedded_migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/accounts/engagement.h"
#include "services/accounts/store.h"
#include "services/common/migrations.h"
#include "services/common/validation.h"
#include "tests/support/mariadb_server.h"
#include "tests/support/test_helpers.h"

namespace kam::accounts {
namespace {

using test_support::MariaDbServer;
using test_support::Ok;
using test_support::RunConcurrently;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

const Principal kDirector{"dir-zhao", {"director"}, ""};
const Principal kOwner{"mgr-li", {"account_manager"}, ""};
const Principal kOutsider{"mgr-wang", {"account_manager"}, ""};
const Principal kTeamMember{"mgr-zhou", {"account_manager"}, ""};
// 2023-11-14 22:13:20.123456 UTC; microseconds on purpose: DATETIME(6) must keep them.
const absl::Time kNow = absl::FromUnixMicros(1'700'000'000'123'456);
const absl::Time kToday = StartOfDayUtc(kNow);

template <typename T>
std::vector<int64_t> Ids(const std::vector<T>& items) {
  std::vector<int64_t> ids;
  for (const T& item : items) ids.push_back(item.id);
  return ids;
}

class EngagementStoreTest : public ::testing::Test {
 protected:
  // One server and one migrated schema for the suite; each test starts from empty tables
  // (migrating a fresh schema per test would take most of the binary's run time).
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<MariaDbServer>> server = MariaDbServer::Start();
    ASSERT_TRUE(Ok(server));
    server_ = server->release();
    ASSERT_TRUE(Ok(server_->CreateSchemaWithUser(kSchema, kSchema, "pw-engagement")));
    DbSettings db{server_->host(), server_->port(), kSchema, "pw-engagement", kSchema};
    db.pool_size = 12;
    db.pool_wait = absl::Seconds(5);  // concurrent tests queue for connections
    db.io_timeout = absl::Seconds(5);
    pool_ = new DbPool(std::move(db), nullptr);
    ASSERT_TRUE(Ok(ApplyMigrations(*pool_, Migrations())));
  }
  static void TearDownTestSuite() {
    delete pool_;
    pool_ = nullptr;
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(pool_, nullptr) << "the private MariaDB did not start";
    Exec(
        "SET FOREIGN_KEY_CHECKS = 0; DELETE FROM contact_records; DELETE FROM visit_plans; "
        "DELETE FROM contacts; DELETE FROM account_team; DELETE FROM account_access; "
        "DELETE FROM account_tags; DELETE FROM account_history; DELETE FROM audit_log; "
        "DELETE FROM outbox; DELETE FROM idempotency_keys; DELETE FROM accounts");
    accounts_ = std::make_unique<AccountStore>(*pool_);
    store_ = std::make_unique<EngagementStore>(*pool_);
    account_ = MakeAccount("REG-1");
  }

  // A mutation by `caller`, fingerprinted by its request id.
  static Mutation As(const Principal& caller, const std::string& request_id,
                     absl::Time now = kNow) {
    return {caller.subject, request_id, "fp-" + request_id, "trace-" + request_id, now,
            /*note=*/""};
  }
  std::string NextId() { return absl::StrCat("req-", ++requests_); }

  // An account owned by mgr-li, with mgr-zhou on its team.
  int64_t MakeAccount(const std::string& registration_number) {
    Account draft;
    draft.name = "华东精细化工集团有限公司";
    draft.registration_number = registration_number;
    draft.nature = Nature::kOrdinaryCompany;
    draft.owner_id = kOwner.subject;
    absl::StatusOr<Account> created =
        accounts_->Create(As(kDirector, NextId()), *NewAccount(draft, kDirector, kNow));
    EXPECT_TRUE(Ok(created));
    const int64_t id = created.value_or(Account{}).id;
    Exec(absl::StrCat("INSERT INTO account_team (account_id, member_id, role, add_time) VALUES (",
                      id, ", 'mgr-zhou', 1, NOW(6)); INSERT INTO account_access (member_id, ",
                      "account_id, via) VALUES ('mgr-zhou', ", id, ", 2)"));
    return id;
  }

  int64_t AddContact(int64_t account_id) {
    Contact draft;
    draft.name = "张伟";
    const Mutation m = As(kDirector, NextId());
    absl::StatusOr<Contact> created =
        accounts_->CreateContact(m, account_id, kDirector.subject, [&](const AccountView& account) {
          return NewContact(draft, account.account, account.works_on, kDirector, m.now);
        });
    EXPECT_TRUE(Ok(created));
    return created.value_or(Contact{}).id;
  }

  ContactRecord Draft(ContactKind kind, ContactOutcome outcome, absl::Time occurred_at) const {
    ContactRecord r;
    r.account_id = account_;
    r.kind = kind;
    r.outcome = outcome;
    r.occurred_at = occurred_at;
    r.summary = "介绍了新的质量改进方案";
    return r;
  }

  absl::StatusOr<EngagementStore::RecordResult> Save(ContactRecord draft, const Mutation& m,
                                                     const Principal& caller = kOwner) {
    absl::StatusOr<ContactRecord> valid = NewContactRecord(std::move(draft), caller, m.now);
    if (!valid.ok()) return valid.status();
    return store_->CreateContactRecord(m, caller, *valid);
  }
  // A visit by the owner `minutes_ago` before `now`, recorded at `now`.
  absl::StatusOr<EngagementStore::RecordResult> SaveVisit(ContactOutcome outcome, int minutes_ago,
                                                          absl::Time now = kNow,
                                                          int64_t visit_plan_id = 0) {
    ContactRecord draft = Draft(ContactKind::kVisit, outcome, now - absl::Minutes(minutes_ago));
    draft.visit_plan_id = visit_plan_id;
    return Save(draft, As(kOwner, NextId(), now));
  }
  // Visits without result, one a minute, the newest `first_minutes_ago` before `now`.
  // Returns whether one of them took the account off the visit plan.
  bool SaveVisitsWithoutResult(int n, int first_minutes_ago = 1, absl::Time now = kNow) {
    bool suspended = false;
    for (int i = n - 1; i >= 0; --i) {
      absl::StatusOr<EngagementStore::RecordResult> saved =
          SaveVisit(ContactOutcome::kNoResult, first_minutes_ago + i, now);
      EXPECT_TRUE(Ok(saved));
      suspended = suspended || (saved.ok() && saved->visit_plan_suspended);
    }
    return suspended;
  }

  absl::StatusOr<VisitPlan> Plan(absl::Time day, const Principal& caller = kOwner,
                                 const std::string& owner_id = "", absl::Time now = kNow) {
    VisitPlan draft;
    draft.account_id = account_;
    draft.planned_at = day;
    draft.objective = "年度合作回顾";
    draft.owner_id = owner_id;
    absl::StatusOr<VisitPlan> valid = NewVisitPlan(draft, now);
    if (!valid.ok()) return valid.status();
    return store_->CreateVisitPlan(As(caller, NextId(), now), caller, *valid);
  }

  Account ReadAccount() {
    absl::StatusOr<AccountView> view = accounts_->Get(account_, kDirector.subject);
    EXPECT_TRUE(Ok(view));
    return view.ok() ? view->account : Account{};
  }

  // Every page of the timeline from the start; `between` runs after each page but the last.
  std::vector<ContactRecord> WholeTimeline(
      int page_size, const std::function<void()>& between = [] {}) {
    std::vector<ContactRecord> all;
    int64_t after = 0;
    for (int pages = 0; pages < 100; ++pages) {
      absl::StatusOr<Page<ContactRecord>> page = store_->ListTimeline(account_, after, page_size);
      if (!page.ok()) {
        ADD_FAILURE() << page.status();
        break;
      }
      all.insert(all.end(), page->items.begin(), page->items.end());
      if (!page->more) break;
      after = page->items.back().id;
      between();
    }
    return all;
  }

  std::vector<VisitPlan> AllPlans(const VisitPlanFilter& filter, int page_size) {
    std::vector<VisitPlan> all;
    int64_t after = 0;
    for (int pages = 0; pages < 100; ++pages) {
      absl::StatusOr<Page<VisitPlan>> page = store_->ListVisitPlans(filter, after, page_size);
      if (!page.ok()) {
        ADD_FAILURE() << page.status();
        break;
      }
      all.insert(all.end(), page->items.begin(), page->items.end());
      if (!page->more) break;
      after = page->items.back().id;
    }
    return all;
  }

  void Exec(const std::string& sql) const {
    EXPECT_TRUE(Ok(server_->ExecAsRoot(absl::StrCat("USE ", kSchema, "; ", sql)))) << sql;
  }
  std::vector<std::vector<std::string>> Rows(const std::string& sql) const {
    absl::StatusOr<std::string> out =
        server_->QueryAsRoot(absl::StrCat("USE ", kSchema, "; ", sql));
    EXPECT_TRUE(Ok(out)) << sql;
    std::vector<std::vector<std::string>> rows;
    if (!out.ok()) return rows;
    for (absl::string_view line :
         absl::StrSplit(absl::StripSuffix(*out, "\n"), '\n', absl::SkipEmpty())) {
      rows.push_back(absl::StrSplit(line, '\t'));
    }
    return rows;
  }
  int Count(const std::string& table, const std::string& where = "TRUE") const {
    auto rows = Rows(absl::StrCat("SELECT COUNT(*) FROM ", table, " WHERE ", where));
    return rows.empty() ? -1 : std::atoi(rows[0][0].c_str());
  }
  // What a request may write: records, plans, audit rows, events, idempotency keys.
  std::vector<int> Written() const {
    return {Count("contact_records"), Count("visit_plans"), Count("audit_log"), Count("outbox"),
            Count("idempotency_keys")};
  }
  std::vector<std::string> EventTypes(const std::string& where = "TRUE") const {
    std::vector<std::string> types;
    for (const auto& row :
         Rows(absl::StrCat("SELECT event_type FROM outbox WHERE ", where, " ORDER BY id"))) {
      types.push_back(row[0]);
    }
    return types;
  }

  static constexpr char kSchema[] = "engagement";
  static MariaDbServer* server_;
  static DbPool* pool_;
  std::unique_ptr<AccountStore> accounts_;
  std::unique_ptr<EngagementStore> store_;
  int64_t account_ = 0;
  int requests_ = 0;
};
MariaDbServer* EngagementStoreTest::server_ = nullptr;
DbPool* EngagementStoreTest::pool_ = nullptr;

// --- contact records and the timeline ------------------------------------------------------

TEST_F(EngagementStoreTest, RecordReadsBackWithEveryFieldAndItsEvent) {
  const int64_t zhang = AddContact(account_);
  const int64_t wang = AddContact(account_);
  ContactRecord draft =
      Draft(ContactKind::kMeeting, ContactOutcome::kEffective, kNow - absl::Hours(3));
  draft.contact_ids = {wang, zhang};
  draft.attendees = "技术部 陈工";
  draft.next_step = "下周寄样品";
  absl::StatusOr<EngagementStore::RecordResult> saved = Save(draft, As(kOwner, "req-meeting"));
  ASSERT_TRUE(Ok(saved));
  EXPECT_FALSE(saved->visit_plan_suspended);

  absl::StatusOr<Page<ContactRecord>> page = store_->ListTimeline(account_, 0, 10);
  ASSERT_TRUE(Ok(page));
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(ContactRecordJson(page->items[0]), ContactRecordJson(saved->record));
  EXPECT_EQ(page->items[0].occurred_at, kNow - absl::Hours(3));
  EXPECT_THAT(page->items[0].contact_ids, ElementsAre(wang, zhang));
  EXPECT_EQ(page->items[0].author_id, "mgr-li");

  auto events = Rows(
      "SELECT event_type, aggregate_id, payload FROM outbox "
      "WHERE aggregate_type = 'contact_record'");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0][0], "contact_record.created");
  EXPECT_EQ(events[0][1], absl::StrCat(saved->record.id));
  EXPECT_EQ(nlohmann::json::parse(events[0][2]), ContactRecordJson(saved->record));
  EXPECT_EQ(Count("audit_log",
                  "action = 'contact_record.created' AND actor = 'mgr-li' AND "
                  "request_id = 'trace-req-meeting'"),
            1);
}

TEST_F(EngagementStoreTest, TimelineIsNewestFirstInPagesWithoutDuplicatesOrGaps) {
  // Ties on occurred_at and a backdated record recorded last.
  const absl::Time t = kNow - absl::Hours(24 * 3);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(
        Ok(Save(Draft(ContactKind::kCall, ContactOutcome::kEffective, t + absl::Hours(i / 3)),
                As(kOwner, NextId()))));
  }
  ASSERT_TRUE(
      Ok(Save(Draft(ContactKind::kEmail, ContactOutcome::kEffective, t - absl::Hours(24 * 30)),
              As(kOwner, NextId()))));

  const std::vector<ContactRecord> all = WholeTimeline(100);
  ASSERT_EQ(all.size(), 11u);
  for (size_t i = 1; i < all.size(); ++i) {
    const bool newer_first =
        all[i - 1].occurred_at > all[i].occurred_at ||
        (all[i - 1].occurred_at == all[i].occurred_at && all[i - 1].id > all[i].id);
    EXPECT_TRUE(newer_first) << "at " << i;
  }
  EXPECT_EQ(all.back().kind, ContactKind::kEmail);  // the backdated one is oldest
  for (int page_size : {1, 2, 3, 4}) {
    EXPECT_EQ(Ids(WholeTimeline(page_size)), Ids(all)) << "page size " << page_size;
  }
}

TEST_F(EngagementStoreTest, TimelinePagesStayStableWhileRecordsAreAdded) {
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(
        Ok(Save(Draft(ContactKind::kCall, ContactOutcome::kEffective, kNow - absl::Hours(10 + i)),
                As(kOwner, NextId()))));
  }
  const std::vector<ContactRecord> before = WholeTimeline(100);
  // Newer records arriving while a client pages do not shift the pages it has not read.
  const std::vector<ContactRecord> paged = WholeTimeline(2, [&] {
    ASSERT_TRUE(Ok(
        Save(Draft(ContactKind::kCall, ContactOutcome::kEffective, kNow), As(kOwner, NextId()))));
  });
  EXPECT_EQ(Ids(paged), Ids(before));
}

TEST_F(EngagementStoreTest, ForeignOrTamperedPageTokensAreRefused) {
  ASSERT_TRUE(Ok(SaveVisit(ContactOutcome::kEffective, 5)));
  const int64_t other = MakeAccount("REG-2");
  ContactRecord elsewhere = Draft(ContactKind::kCall, ContactOutcome::kEffective, kNow);
  elsewhere.account_id = other;
  absl::StatusOr<EngagementStore::RecordResult> foreign =
      Save(elsewhere, As(kDirector, NextId()), kDirector);
  ASSERT_TRUE(Ok(foreign));
  // A cursor naming another account's record (a forged token) is not a page of this list.
  absl::StatusOr<Page<ContactRecord>> page = store_->ListTimeline(account_, foreign->record.id, 10);
  EXPECT_TRUE(absl::IsInvalidArgument(page.status())) << page.status();
  EXPECT_THAT(page.status().message(), HasSubstr("page_token"));
  // The edge refuses altered tokens before they reach the store.
  std::string token = EncodePageToken(foreign->record.id, "digest-of-this-query");
  token[token.size() / 2] = token[token.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_TRUE(absl::IsInvalidArgument(DecodePageToken(token, "digest-of-this-query").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      DecodePageToken(EncodePageToken(1, "digest-of-another-query"), "digest-of-this-query")
          .status()));
}

TEST_F(EngagementStoreTest, ContactsMustBelongToTheAccount) {
  const int64_t ours = AddContact(account_);
  const int64_t theirs = AddContact(MakeAccount("REG-2"));
  const std::vector<int> before = Written();
  ContactRecord draft = Draft(ContactKind::kCall, ContactOutcome::kEffective, kNow);
  draft.contact_ids = {ours, theirs};
  absl::StatusOr<EngagementStore::RecordResult> saved = Save(draft, As(kOwner, NextId()));
  EXPECT_TRUE(absl::IsInvalidArgument(saved.status())) << saved.status();
  EXPECT_THAT(saved.status().message(), HasSubstr("record.contact_ids"));
  EXPECT_THAT(saved.status().message(), HasSubstr(absl::StrCat(theirs)));
  EXPECT_EQ(Written(), before);
}

TEST_F(EngagementStoreTest, OnlyThoseWhoWorkOnTheAccountMayRecord) {
  const std::vector<int> before = Written();
  ContactRecord draft = Draft(ContactKind::kVisit, ContactOutcome::kEffective, kNow);
  EXPECT_TRUE(absl::IsPermissionDenied(Save(draft, As(kOutsider, NextId()), kOutsider).status()));
  const Principal analyst{"ana-sun", {"analyst"}, ""};
  EXPECT_TRUE(absl::IsPermissionDenied(Save(draft, As(analyst, NextId()), analyst).status()));
  absl::StatusOr<VisitPlan> plan = Plan(kToday, kOutsider);
  EXPECT_TRUE(absl::IsPermissionDenied(plan.status())) << plan.status();
  EXPECT_EQ(Written(), before);
  // The team member and a director may.
  EXPECT_TRUE(Ok(Save(draft, As(kTeamMember, NextId()), kTeamMember)));
  EXPECT_TRUE(Ok(Save(draft, As(kDirector, NextId()), kDirector)));
  // A missing account is NOT_FOUND here; the edge hides it from managers.
  draft.account_id = account_ + 1000;
  EXPECT_TRUE(absl::IsNotFound(Save(draft, As(kOwner, NextId())).status()));
}

TEST_F(EngagementStoreTest, ArchivedAccountTakesNoRecordsOrPlans) {
  ASSERT_TRUE(Ok(accounts_->Archive(As(kDirector, NextId()), account_, kDirector.subject,
                                    [](const AccountView& a, int live) {
                                      return Archive(a.account, "merged", live, kDirector, kNow);
                                    })));
  absl::StatusOr<EngagementStore::RecordResult> saved = SaveVisit(ContactOutcome::kEffective, 1);
  EXPECT_TRUE(absl::IsFailedPrecondition(saved.status())) << saved.status();
  EXPECT_TRUE(absl::IsFailedPrecondition(Plan(kToday).status()));
}

// --- visit plans ---------------------------------------------------------------------------

TEST_F(EngagementStoreTest, PlanOwnerIsTheAccountOwnerOrATeamMember) {
  absl::StatusOr<VisitPlan> defaulted = Plan(kToday + absl::Hours(30));
  ASSERT_TRUE(Ok(defaulted));
  EXPECT_EQ(defaulted->owner_id, "mgr-li");
  EXPECT_EQ(defaulted->planned_at, kToday + absl::Hours(24));  // the day, 00:00 UTC
  EXPECT_EQ(defaulted->status, VisitPlanStatus::kPlanned);
  absl::StatusOr<VisitPlan> by_team = Plan(kToday, kDirector, "mgr-zhou");
  ASSERT_TRUE(Ok(by_team));
  EXPECT_EQ(by_team->owner_id, "mgr-zhou");
  absl::StatusOr<VisitPlan> outsider = Plan(kToday, kDirector, "mgr-wang");
  EXPECT_TRUE(absl::IsInvalidArgument(outsider.status())) << outsider.status();
  EXPECT_THAT(outsider.status().message(), HasSubstr("plan.owner_id"));
  EXPECT_EQ(EventTypes(), (std::vector<std::string>{"account.created", "visit_plan.created",
                                                    "visit_plan.created"}));
}

TEST_F(EngagementStoreTest, VisitCompletesItsPlannedVisitOnce) {
  absl::StatusOr<VisitPlan> plan = Plan(kToday);
  ASSERT_TRUE(Ok(plan));
  absl::StatusOr<EngagementStore::RecordResult> visit =
      SaveVisit(ContactOutcome::kEffective, 10, kNow, plan->id);
  ASSERT_TRUE(Ok(visit));
  EXPECT_EQ(visit->record.visit_plan_id, plan->id);

  VisitPlanFilter all;
  const std::vector<VisitPlan> plans = AllPlans(all, 10);
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(plans[0].status, VisitPlanStatus::kCompleted);
  EXPECT_EQ(plans[0].contact_record_id, visit->record.id);
  EXPECT_EQ(EventTypes("aggregate_type <> 'account'"),
            (std::vector<std::string>{"visit_plan.created", "contact_record.created",
                                      "visit_plan.completed"}));

  // A completed plan cannot be completed again, nor by another account's visit.
  const std::vector<int> before = Written();
  absl::StatusOr<EngagementStore::RecordResult> again =
      SaveVisit(ContactOutcome::kEffective, 5, kNow, plan->id);
  EXPECT_TRUE(absl::IsFailedPrecondition(again.status())) << again.status();
  EXPECT_THAT(again.status().message(), HasSubstr("record.visit_plan_id"));
  absl::StatusOr<VisitPlan> open = Plan(kToday);
  ASSERT_TRUE(Ok(open));
  ContactRecord elsewhere = Draft(ContactKind::kVisit, ContactOutcome::kEffective, kNow);
  elsewhere.account_id = MakeAccount("REG-2");
  elsewhere.visit_plan_id = open->id;
  EXPECT_TRUE(
      absl::IsFailedPrecondition(Save(elsewhere, As(kDirector, NextId()), kDirector).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(
      SaveVisit(ContactOutcome::kEffective, 5, kNow, open->id + 1000).status()));
  EXPECT_EQ(Count("contact_records"), before[0]);
}

TEST_F(EngagementStoreTest, CancelNeedsAPlannedVisitAndKeepsTheReason) {
  absl::StatusOr<VisitPlan> plan = Plan(kToday);
  ASSERT_TRUE(Ok(plan));
  EXPECT_TRUE(absl::IsPermissionDenied(
      store_->CancelVisitPlan(As(kOutsider, NextId()), kOutsider, plan->id, "not mine").status()));
  EXPECT_TRUE(absl::IsNotFound(
      store_->CancelVisitPlan(As(kOwner, NextId()), kOwner, plan->id + 1000, "x").status()));
  absl::StatusOr<VisitPlan> cancelled =
      store_->CancelVisitPlan(As(kOwner, "req-cancel"), kOwner, plan->id, "客户临时出差");
  ASSERT_TRUE(Ok(cancelled));
  EXPECT_EQ(cancelled->status, VisitPlanStatus::kCancelled);
  EXPECT_EQ(cancelled->cancel_reason, "客户临时出差");
  EXPECT_THAT(Rows("SELECT note FROM audit_log WHERE action = 'visit_plan.cancelled'"),
              ElementsAre(ElementsAre("客户临时出差")));
  absl::StatusOr<VisitPlan> twice =
      store_->CancelVisitPlan(As(kOwner, NextId()), kOwner, plan->id, "again");
  EXPECT_TRUE(absl::IsFailedPrecondition(twice.status())) << twice.status();
  // The retry of the first cancel returns its result.
  absl::StatusOr<VisitPlan> retry =
      store_->CancelVisitPlan(As(kOwner, "req-cancel"), kOwner, plan->id, "客户临时出差");
  ASSERT_TRUE(Ok(retry));
  EXPECT_EQ(VisitPlanJson(*retry), VisitPlanJson(*cancelled));
  EXPECT_EQ(Count("outbox", "event_type = 'visit_plan.cancelled'"), 1);
}

TEST_F(EngagementStoreTest, ListVisitPlansByDayWithFiltersOverdueAndManagerScope) {
  const absl::Time earlier = kNow - absl::Hours(24 * 3);  // plans made three days ago
  std::vector<int64_t> expected;
  for (int day : {-2, -1, 0, 0, 1, 1, 2}) {  // days from today
    absl::StatusOr<VisitPlan> plan = Plan(kToday + absl::Hours(24 * day), kOwner, "", earlier);
    ASSERT_TRUE(Ok(plan));
    expected.push_back(plan->id);
  }
  absl::StatusOr<VisitPlan> by_zhou = Plan(kToday + absl::Hours(24 * 5), kDirector, "mgr-zhou");
  ASSERT_TRUE(Ok(by_zhou));
  expected.push_back(by_zhou->id);
  ASSERT_TRUE(Ok(store_->CancelVisitPlan(As(kOwner, NextId()), kOwner, expected[1], "moved")));
  // Another account that mgr-li does not work on.
  const int64_t other = MakeAccount("REG-2");
  Exec(absl::StrCat("UPDATE accounts SET owner_id = 'mgr-wang' WHERE id = ", other,
                    "; DELETE FROM account_access WHERE account_id = ", other,
                    "; INSERT INTO account_access VALUES ('mgr-wang', ", other, ", 1)"));
  account_ = other;
  absl::StatusOr<VisitPlan> wangs = Plan(kToday, kDirector);
  ASSERT_TRUE(Ok(wangs));

  auto list = [&](const Principal& caller, VisitPlanFilter requested) {
    absl::StatusOr<VisitPlanFilter> filter = ScopeVisitPlans(requested, caller, kNow);
    EXPECT_TRUE(Ok(filter));
    return Ids(AllPlans(filter.value_or(VisitPlanFilter{}), 3));
  };
  // Managers see the accounts they work on, in (day, id) order, every page once.
  EXPECT_EQ(list(kOwner, {}), expected);
  EXPECT_THAT(list(kOutsider, {}), ElementsAre(wangs->id));
  EXPECT_EQ(list(kDirector, {}).size(), expected.size() + 1);
  // A manager asking for another owner gets only what they may see.
  VisitPlanFilter wang_owned;
  wang_owned.owner_id = "mgr-wang";
  EXPECT_TRUE(list(kOwner, wang_owned).empty());
  EXPECT_THAT(list(kDirector, wang_owned), ElementsAre(wangs->id));
  VisitPlanFilter zhou_owned;
  zhou_owned.owner_id = "mgr-zhou";
  EXPECT_THAT(list(kOwner, zhou_owned), ElementsAre(by_zhou->id));
  // Overdue: still planned and the day is over (the cancelled one is not overdue).
  VisitPlanFilter overdue;
  overdue.overdue_only = true;
  EXPECT_THAT(list(kOwner, overdue), ElementsAre(expected[0]));
  VisitPlanFilter cancelled;
  cancelled.status = VisitPlanStatus::kCancelled;
  EXPECT_THAT(list(kDirector, cancelled), ElementsAre(expected[1]));
  VisitPlanFilter one_account;
  one_account.account_id = other;
  EXPECT_TRUE(list(kOwner, one_account).empty());
  // A forged cursor naming a plan the manager may not see is refused.
  EXPECT_TRUE(absl::IsInvalidArgument(
      store_->ListVisitPlans(*ScopeVisitPlans({}, kOwner, kNow), wangs->id, 3).status()));
}

// --- the five-visits rule ------------------------------------------------------------------

TEST_F(EngagementStoreTest, FiveVisitsWithoutResultTakeTheAccountOffTheVisitPlanOnce) {
  ASSERT_TRUE(Ok(Plan(kToday)));
  ASSERT_TRUE(Ok(Plan(kToday + absl::Hours(24 * 7), kDirector, "mgr-zhou")));
  // Other kinds of contact without result do not count.
  ASSERT_TRUE(
      Ok(Save(Draft(ContactKind::kCall, ContactOutcome::kNoResult, kNow), As(kOwner, NextId()))));
  EXPECT_FALSE(SaveVisitsWithoutResult(4, 10));
  EXPECT_FALSE(ReadAccount().visit_plan_suspended);
  const int64_t version = ReadAccount().version;

  absl::StatusOr<EngagementStore::RecordResult> fifth = SaveVisit(ContactOutcome::kNoResult, 5);
  ASSERT_TRUE(Ok(fifth));
  EXPECT_TRUE(fifth->visit_plan_suspended);
  const Account account = ReadAccount();
  EXPECT_TRUE(account.visit_plan_suspended);
  EXPECT_EQ(account.version, version + 1);
  EXPECT_EQ(account.update_time, kNow);
  EXPECT_EQ(Count("visit_plans",
                  "status = 3 AND cancel_reason = "
                  "'five visits in a row without result'"),
            2);
  EXPECT_EQ(Count("visit_plans", "status <> 3"), 0);

  // The fifth visit's transaction wrote its record, the cancellations and the suspension.
  const std::string fifth_id = absl::StrCat(fifth->record.id);
  auto events =
      Rows(absl::StrCat("SELECT event_type, payload FROM outbox WHERE id >= (SELECT id "
                        "FROM outbox WHERE event_type = 'contact_record.created' AND "
                        "aggregate_id = '",
                        fifth_id, "') ORDER BY id"));
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0][0], "contact_record.created");
  EXPECT_EQ(events[1][0], "visit_plan.cancelled");
  EXPECT_EQ(events[2][0], "visit_plan.cancelled");
  EXPECT_EQ(events[3][0], "account.visit_plan_suspended");
  EXPECT_EQ(nlohmann::json::parse(events[1][1]).at("cancel_reason"),
            "five visits in a row without result");
  const nlohmann::json suspended = nlohmann::json::parse(events[3][1]);
  EXPECT_EQ(suspended.at("visit_plan_suspended"), true);
  EXPECT_EQ(suspended.at("version"), version + 1);
  EXPECT_EQ(Count("audit_log",
                  "action = 'account.visit_plan_suspended' AND "
                  "note = 'five visits in a row without result'"),
            1);

  // A sixth visit without result changes nothing more.
  absl::StatusOr<EngagementStore::RecordResult> sixth = SaveVisit(ContactOutcome::kNoResult, 1);
  ASSERT_TRUE(Ok(sixth));
  EXPECT_FALSE(sixth->visit_plan_suspended);
  EXPECT_EQ(ReadAccount().version, version + 1);
  EXPECT_EQ(Count("outbox", "event_type = 'account.visit_plan_suspended'"), 1);

  // And the account takes no new plans until a director restores it.
  absl::StatusOr<VisitPlan> refused = Plan(kToday);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("off the visit plan"));
}

TEST_F(EngagementStoreTest, ConcurrentVisitsSuspendExactlyOnce) {
  ASSERT_TRUE(Ok(Plan(kToday)));
  constexpr int kVisits = 8;
  std::vector<absl::StatusOr<EngagementStore::RecordResult>> results(kVisits);
  RunConcurrently(kVisits,
                  [&](int i) { results[i] = SaveVisit(ContactOutcome::kNoResult, 100 - i, kNow); });
  int suspended = 0;
  for (const auto& result : results) {
    ASSERT_TRUE(Ok(result));
    suspended += result->visit_plan_suspended ? 1 : 0;
  }
  EXPECT_EQ(suspended, 1);
  EXPECT_EQ(Count("outbox", "event_type = 'account.visit_plan_suspended'"), 1);
  EXPECT_EQ(Count("outbox", "event_type = 'visit_plan.cancelled'"), 1);
  EXPECT_TRUE(ReadAccount().visit_plan_suspended);
}

TEST_F(EngagementStoreTest, AnEffectiveVisitInBetweenStartsTheCountAgain) {
  EXPECT_FALSE(SaveVisitsWithoutResult(4, 100));
  ASSERT_TRUE(Ok(SaveVisit(ContactOutcome::kEffective, 90)));
  EXPECT_FALSE(SaveVisitsWithoutResult(4, 50));
  EXPECT_FALSE(ReadAccount().visit_plan_suspended);
  // A backdated visit lands where it happened: behind the effective one, it does not count.
  EXPECT_FALSE(SaveVisit(ContactOutcome::kNoResult, 95)->visit_plan_suspended);
  EXPECT_TRUE(SaveVisit(ContactOutcome::kNoResult, 10)->visit_plan_suspended);
}

TEST_F(EngagementStoreTest, RestoredAccountNeedsFiveMoreVisitsWithoutResult) {
  ASSERT_TRUE(SaveVisitsWithoutResult(5, 60));
  const Account suspended = ReadAccount();
  EXPECT_TRUE(absl::IsPermissionDenied(
      store_->RestoreVisitPlan(As(kOwner, NextId()), kOwner, account_, "please").status()));

  const absl::Time later = kNow + absl::Hours(1);
  absl::StatusOr<Account> restored = store_->RestoreVisitPlan(
      As(kDirector, "req-restore", later), kDirector, account_, "新的采购负责人已到任");
  ASSERT_TRUE(Ok(restored));
  EXPECT_FALSE(restored->visit_plan_suspended);
  EXPECT_EQ(restored->visit_streak_since, later);
  EXPECT_EQ(restored->version, suspended.version + 1);
  EXPECT_EQ(AccountJson(ReadAccount()), AccountJson(*restored));
  EXPECT_THAT(Rows("SELECT note FROM audit_log WHERE action = 'account.visit_plan_restored'"),
              ElementsAre(ElementsAre("新的采购负责人已到任")));
  EXPECT_EQ(nlohmann::json::parse(Rows("SELECT payload FROM outbox WHERE event_type = "
                                       "'account.visit_plan_restored'")[0][0])
                .at("visit_plan_suspended"),
            false);
  // Restoring an account that is on the visit plan is refused; the retry is not.
  EXPECT_TRUE(absl::IsFailedPrecondition(
      store_->RestoreVisitPlan(As(kDirector, NextId(), later), kDirector, account_, "again")
          .status()));
  EXPECT_TRUE(Ok(store_->RestoreVisitPlan(As(kDirector, "req-restore", later), kDirector, account_,
                                          "新的采购负责人已到任")));

  // Plans can be made again; visits recorded late but made before the restore do not count.
  ASSERT_TRUE(Ok(Plan(kToday, kOwner, "", later)));
  EXPECT_FALSE(SaveVisit(ContactOutcome::kNoResult, 30, later)->visit_plan_suspended);
  EXPECT_FALSE(SaveVisitsWithoutResult(4, 20, later + absl::Hours(1)));
  EXPECT_TRUE(
      SaveVisit(ContactOutcome::kNoResult, 5, later + absl::Hours(1))->visit_plan_suspended);
  EXPECT_EQ(Count("outbox", "event_type = 'account.visit_plan_suspended'"), 2);
}

TEST_F(EngagementStoreTest, RetriesWithTheSameRequestIdChangeNothing) {
  ASSERT_TRUE(Ok(Plan(kToday)));
  EXPECT_FALSE(SaveVisitsWithoutResult(4, 10));
  const ContactRecord fifth = Draft(ContactKind::kVisit, ContactOutcome::kNoResult, kNow);
  absl::StatusOr<EngagementStore::RecordResult> first = Save(fifth, As(kOwner, "req-fifth"));
  ASSERT_TRUE(Ok(first));
  ASSERT_TRUE(first->visit_plan_suspended);
  const std::vector<int> written = Written();
  const Account account = ReadAccount();

  absl::StatusOr<EngagementStore::RecordResult> retry =
      Save(fifth, As(kOwner, "req-fifth", kNow + absl::Seconds(30)));
  ASSERT_TRUE(Ok(retry));
  EXPECT_TRUE(retry->visit_plan_suspended);
  EXPECT_EQ(ContactRecordJson(retry->record), ContactRecordJson(first->record));
  EXPECT_EQ(Written(), written);
  EXPECT_EQ(AccountJson(ReadAccount()), AccountJson(account));

  // The same id for another request is refused.
  Mutation reused = As(kOwner, "req-fifth");
  reused.fingerprint = "fp-something-else";
  absl::StatusOr<ContactRecord> other = NewContactRecord(fifth, kOwner, kNow);
  ASSERT_TRUE(Ok(other));
  EXPECT_TRUE(
      absl::IsInvalidArgument(store_->CreateContactRecord(reused, kOwner, *other).status()));

  // Plan creation is idempotent too.
  ASSERT_TRUE(Ok(store_->RestoreVisitPlan(As(kDirector, NextId()), kDirector, account_, "back")));
  VisitPlan draft;
  draft.account_id = account_;
  draft.planned_at = kToday;
  draft.objective = "回访";
  draft = *NewVisitPlan(draft, kNow);
  absl::StatusOr<VisitPlan> plan = store_->CreateVisitPlan(As(kOwner, "req-plan"), kOwner, draft);
  ASSERT_TRUE(Ok(plan));
  const std::vector<int> after_plan = Written();
  absl::StatusOr<VisitPlan> plan_retry =
      store_->CreateVisitPlan(As(kOwner, "req-plan", kNow + absl::Seconds(5)), kOwner, draft);
  ASSERT_TRUE(Ok(plan_retry));
  EXPECT_EQ(VisitPlanJson(*plan_retry), VisitPlanJson(*plan));
  EXPECT_EQ(Written(), after_plan);
}

}  // namespace
}  // namespace kam::accounts
