// PipelineStore against a private MariaDB with the shipped migrations, driven through the pure
// rules exactly as the handlers drive it: the six-stage walk and its history, events, etags,
// idempotent retries, lists and the weighted pipeline per owner, account and group.
#include "services/accounts/pipeline_store.h"

#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "embedded_migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kam/accounts/v1/events.pb.h"
#include "services/accounts/pipeline.h"
#include "services/accounts/service.h"
#include "services/accounts/store.h"
#include "services/common/migrations.h"
#include "tests/support/mariadb_server.h"
#include "tests/support/schema_test.h"
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
const Principal kLi{"mgr-li", {"account_manager"}, ""};
const Principal kWang{"mgr-wang", {"account_manager"}, ""};
// Microseconds on purpose: DATETIME(6) must keep them.
const absl::Time kStart = absl::FromUnixMicros(1'700'000'000'123'456);

// Every field, so that EXPECT_EQ on two of these compares whole opportunities.
auto Fields(const Opportunity& o) {
  return std::make_tuple(
      o.id, o.account_id, o.name, o.owner_id, static_cast<int>(o.stage), o.amount_minor,
      o.probability_percent, o.expected_close_time, o.needs, o.budget_minor, o.timetable,
      o.competition, o.decision_makers, static_cast<int>(o.account_tier), o.presales_approval,
      o.relationship_progress, o.bid_submit_time, o.contract_id, o.acceptance_time, o.lost_reason,
      o.close_time, o.create_time, o.update_time, o.version);
}

auto Fields(const StageChange& c) {
  return std::make_tuple(c.opportunity_id, static_cast<int>(c.from_stage),
                         static_cast<int>(c.to_stage), c.actor, c.reason, c.change_time);
}

// An opportunity with the first key node (accurate project information) recorded.
Opportunity Draft(int64_t account_id, int64_t amount_minor, const std::string& name = "二期扩建") {
  Opportunity o;
  o.account_id = account_id;
  o.name = name;
  o.amount_minor = amount_minor;
  o.needs = "两条新产线";
  o.budget_minor = 1'200'000;
  o.timetable = "Q3 招标, Q4 交付";
  o.expected_close_time = kStart + absl::Hours(24 * 90);
  return o;
}

class PipelineStoreTest : public test_support::SchemaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenSchema("pipeline", Migrations(), absl::Seconds(5)));
    accounts_ = std::make_unique<AccountStore>(*pool_);
    store_ = std::make_unique<PipelineStore>(*pool_, StageProbabilities{});
  }

  // A mutation by `caller` at the next tick of the test clock (one second per request).
  Mutation Request(const Principal& caller, const std::string& request_id) {
    now_ += absl::Seconds(1);
    return {caller.subject, request_id, "fp-" + request_id, "trace-" + request_id, now_, ""};
  }
  Mutation Next(const Principal& caller) {
    return Request(caller, absl::StrCat("req-", ++requests_));
  }

  int64_t MakeAccount(const std::string& owner, int64_t parent_id = 0) {
    Account draft;
    draft.name = absl::StrCat("客户 ", ++accounts_made_);
    draft.registration_number = absl::StrCat("REG-", accounts_made_);
    draft.nature = Nature::kOrdinaryCompany;
    draft.owner_id = owner;
    draft.parent_id = parent_id;
    const Mutation m = Next(kDirector);
    absl::StatusOr<Account> created = accounts_->Create(m, *NewAccount(draft, kDirector, m.now));
    EXPECT_TRUE(Ok(created));
    if (!created.ok()) return 0;
    // Opportunities remember the account's tier; the tier review would have set it.
    const Mutation tier = Next(kDirector);
    EXPECT_TRUE(Ok(accounts_->Update(
        tier, created->id, kDirector.subject, "tier_changed", [&](const AccountView& a) {
          return ApplyTier(a.account, Tier::kB, "review", "", kDirector, tier.now);
        })));
    return created->id;
  }
  void AddToTeam(const std::string& member, int64_t account_id) {
    Exec(absl::StrCat("INSERT INTO account_access (member_id, account_id, via) VALUES ('", member,
                      "', ", account_id, ", 2)"));
  }
  // Contracts are another part's; the pipeline only reads them.
  int64_t InsertContract(int64_t account_id, bool is_signed) {
    Exec(absl::StrCat(
        "INSERT INTO contracts (account_id, number, value_minor, start_at, end_at, "
        "signed_at, create_time) VALUES (",
        account_id, ", 'HT-", ++contracts_made_, "', 1000000, '2024-01-01', '2025-01-01', ",
        is_signed ? "'2024-01-02'" : "NULL", ", '2024-01-01')"));
    return std::atoll(Rows("SELECT MAX(id) FROM contracts")[0][0].c_str());
  }
  void SignContract(int64_t contract_id) {
    Exec(absl::StrCat("UPDATE contracts SET signed_at = '2024-02-01' WHERE id = ", contract_id));
  }

  absl::StatusOr<Opportunity> Create(const Opportunity& draft, const Principal& caller,
                                     const Mutation& m) {
    return store_->Create(m, draft.account_id,
                          [&](const AccountView& account, const PipelineStore::ContractLookup& c) {
                            return NewOpportunity(draft, account.account, account.works_on,
                                                  c(draft.contract_id), caller,
                                                  store_->probabilities(), m.now);
                          });
  }
  Opportunity MustCreate(const Opportunity& draft, const Principal& caller = kDirector) {
    absl::StatusOr<Opportunity> created = Create(draft, caller, Next(caller));
    EXPECT_TRUE(Ok(created));
    return created.value_or(Opportunity{});
  }

  absl::StatusOr<Opportunity> MoveWith(PipelineStore& store, const Opportunity& seen, Stage to,
                                       const std::string& reason, const Principal& caller,
                                       const Mutation& m) {
    const MoveRequest move{to, reason, Etag(seen)};
    return store.Move(m, seen.id, reason,
                      [&](const Opportunity& current, const AccountView& account,
                          const PipelineStore::ContractLookup& c) {
                        return MoveToStage(current, move, account.account, account.works_on,
                                           c(current.contract_id), caller, store.probabilities(),
                                           m.now);
                      });
  }
  absl::StatusOr<Opportunity> MoveTo(const Opportunity& seen, Stage to,
                                     const std::string& reason = "",
                                     const Principal& caller = kDirector) {
    return MoveWith(*store_, seen, to, reason, caller, Next(caller));
  }
  // Moves and asserts success; the caller continues from the result.
  Opportunity MustMove(const Opportunity& seen, Stage to, const std::string& reason = "") {
    absl::StatusOr<Opportunity> moved = MoveTo(seen, to, reason);
    EXPECT_TRUE(Ok(moved)) << StageName(seen.stage) << " -> " << StageName(to);
    return moved.value_or(seen);
  }

  absl::StatusOr<Opportunity> Update(const Opportunity& seen, const Opportunity& patch,
                                     const std::vector<std::string>& paths, const Principal& caller,
                                     const Mutation& m) {
    return store_->Update(m, seen.id,
                          [&](const Opportunity& current, const AccountView& account,
                              const PipelineStore::ContractLookup& c) {
                            return ApplyOpportunityUpdate(current, patch, paths, Etag(seen),
                                                          account.account, account.works_on,
                                                          c(patch.contract_id), caller, m.now);
                          });
  }
  Opportunity MustUpdate(const Opportunity& seen, const Opportunity& patch,
                         const std::vector<std::string>& paths) {
    absl::StatusOr<Opportunity> updated = Update(seen, patch, paths, kDirector, Next(kDirector));
    EXPECT_TRUE(Ok(updated)) << paths[0];
    return updated.value_or(seen);
  }

  // Walks a fresh opportunity (key nodes all given, a signed contract) forward to `to`.
  Opportunity Advance(Opportunity o, Stage to) {
    if (o.contract_id == 0 && to > Stage::kCommercialNegotiation) {
      Opportunity patch;
      patch.contract_id = InsertContract(o.account_id, /*is_signed=*/true);
      patch.acceptance_time = kStart;
      o = MustUpdate(o, patch, {"contract_id", "acceptance_time"});
    }
    while (o.stage < to && !IsClosed(o.stage)) {
      o = MustMove(o, static_cast<Stage>(static_cast<int>(o.stage) + 1));
    }
    return o;
  }
  Opportunity Ready(int64_t account_id, int64_t amount_minor) {
    Opportunity o = Draft(account_id, amount_minor);
    o.presales_approval = "PS-1";
    o.relationship_progress = "met the plant director";
    o.bid_submit_time = kStart;
    return o;
  }

  absl::StatusOr<OpportunityView> Get(int64_t id, const std::string& subject = "dir-zhao") {
    return store_->Get(id, subject);
  }

  // Test-only SQL on the schema's own pool: much faster than a client process per query.
  void Exec(const std::string& sql) {
    ASSERT_TRUE(Ok(WithConnection(*pool_, "test.exec", [&](DbConnection& db) {
      std::unique_ptr<sql::Statement> statement(db.raw().createStatement());
      statement->execute(sql);
      return absl::OkStatus();
    }))) << sql;
  }
  std::vector<std::vector<std::string>> Rows(const std::string& sql) const {
    std::vector<std::vector<std::string>> rows;
    EXPECT_TRUE(Ok(WithConnection(*pool_, "test.rows", [&](DbConnection& db) {
      std::unique_ptr<sql::Statement> statement(db.raw().createStatement());
      std::unique_ptr<sql::ResultSet> result(statement->executeQuery(sql));
      const unsigned int columns = result->getMetaData()->getColumnCount();
      while (result->next()) {
        std::vector<std::string> row;
        for (unsigned int i = 1; i <= columns; ++i) row.push_back(result->getString(i));
        rows.push_back(std::move(row));
      }
      return absl::OkStatus();
    }))) << sql;
    return rows;
  }
  int Count(const std::string& table, const std::string& where = "TRUE") const {
    auto rows = Rows(absl::StrCat("SELECT COUNT(*) FROM ", table, " WHERE ", where));
    return rows.empty() ? -1 : std::atoi(rows[0][0].c_str());
  }
  // What a change writes: opportunities, stage changes, audit rows, events, request ids.
  std::vector<int> Written() const {
    return {Count("opportunities"), Count("stage_changes"), Count("audit_log"), Count("outbox"),
            Count("idempotency_keys")};
  }

  std::unique_ptr<AccountStore> accounts_;
  std::unique_ptr<PipelineStore> store_;
  absl::Time now_ = kStart;
  int requests_ = 0;
  int accounts_made_ = 0;
  int contracts_made_ = 0;
};

// --- the six stages ------------------------------------------------------------------------

TEST_F(PipelineStoreTest, FullWalkThroughAllSixStagesWithOneRollbackToWon) {
  const int64_t account = MakeAccount("mgr-li");
  Opportunity o = MustCreate(Draft(account, 1'000'000), kLi);
  EXPECT_EQ(o.stage, Stage::kCustomerDevelopment);
  EXPECT_EQ(o.owner_id, "mgr-li");
  EXPECT_EQ(o.account_tier, Tier::kB);
  EXPECT_EQ(o.probability_percent, 10);
  std::vector<std::tuple<Stage, Stage, std::string>> expected = {
      {Stage::kUnspecified, Stage::kCustomerDevelopment, ""}};
  std::vector<absl::Time> times = {o.create_time};
  auto move = [&](Stage to, const std::string& reason = "") {
    absl::StatusOr<Opportunity> moved = MoveTo(o, to, reason, kLi);
    ASSERT_TRUE(Ok(moved)) << StageName(o.stage) << " -> " << StageName(to);
    expected.emplace_back(o.stage, to, reason);
    times.push_back(moved->update_time);
    o = *moved;
  };
  auto refused = [&](Stage to, const std::string& missing) {
    absl::StatusOr<Opportunity> moved = MoveTo(o, to, "", kLi);
    EXPECT_TRUE(absl::IsFailedPrecondition(moved.status())) << moved.status();
    EXPECT_THAT(moved.status().message(), HasSubstr(missing));
  };
  auto record = [&](const std::vector<std::string>& paths, const Opportunity& patch) {
    absl::StatusOr<Opportunity> updated = Update(o, patch, paths, kLi, Next(kLi));
    ASSERT_TRUE(Ok(updated)) << paths[0];
    o = *updated;
  };
  Opportunity patch;

  move(Stage::kProjectInitiation);
  EXPECT_EQ(o.probability_percent, 20);
  refused(Stage::kProposal, "stage PROJECT_INITIATION needs presales_approval before PROPOSAL");
  patch.presales_approval = "approved by 王总, PS-2024-17";
  record({"presales_approval"}, patch);
  move(Stage::kProposal);
  refused(Stage::kBidding, "stage PROPOSAL needs relationship_progress before BIDDING");
  patch.relationship_progress = "technical exchange with the plant director";
  record({"relationship_progress"}, patch);
  move(Stage::kBidding);
  patch.bid_submit_time = now_;
  record({"bid_submit_time"}, patch);
  move(Stage::kCommercialNegotiation);
  EXPECT_EQ(o.probability_percent, 80);

  // The customer reopens the requirements: back two stages, then forward again.
  move(Stage::kProposal, "customer reopened the technical requirements");
  EXPECT_EQ(o.probability_percent, 40);
  move(Stage::kBidding);
  move(Stage::kCommercialNegotiation);

  const int64_t contract = InsertContract(account, /*is_signed=*/false);
  patch.contract_id = contract;
  record({"contract_id"}, patch);
  refused(Stage::kImplementation, absl::StrCat("contract ", contract, " is not signed"));
  SignContract(contract);
  move(Stage::kImplementation);
  EXPECT_EQ(o.probability_percent, 90);
  refused(Stage::kWon, "stage IMPLEMENTATION needs acceptance_time before WON");
  patch.acceptance_time = now_;
  record({"acceptance_time"}, patch);
  move(Stage::kWon);
  EXPECT_EQ(o.probability_percent, 100);
  EXPECT_EQ(o.close_time, o.update_time);
  refused(Stage::kLost, "cannot move");

  // The stored row and its history are what the calls returned.
  absl::StatusOr<OpportunityView> read = Get(o.id);
  ASSERT_TRUE(Ok(read));
  EXPECT_EQ(Fields(read->opportunity), Fields(o));
  absl::StatusOr<std::vector<StageChange>> history = store_->ListStageChanges(o.id);
  ASSERT_TRUE(Ok(history));
  ASSERT_EQ(history->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& [from, to, reason] = expected[i];
    EXPECT_EQ(Fields((*history)[i]),
              Fields(StageChange{o.id, from, to, "mgr-li", reason, times[i]}))
        << "change " << i;
  }

  // One event per change, in order, each carrying the opportunity as it became.
  const auto events = Rows(
      "SELECT event_type, aggregate_type, aggregate_id, payload FROM outbox "
      "WHERE aggregate_type = 'opportunity' ORDER BY id");
  std::vector<std::string> types;
  for (const auto& e : events) {
    types.push_back(e[0]);
    EXPECT_EQ(e[1], "opportunity");
    EXPECT_EQ(e[2], absl::StrCat(o.id));
  }
  EXPECT_EQ(std::count(types.begin(), types.end(), "opportunity.created"), 1);
  EXPECT_EQ(std::count(types.begin(), types.end(), "opportunity.stage_changed"),
            static_cast<long>(expected.size() - 1));
  EXPECT_EQ(std::count(types.begin(), types.end(), "opportunity.updated"), 5);
  EXPECT_EQ(types.front(), "opportunity.created");
  v1::Event last;
  ASSERT_TRUE(FillPipelineEvent("opportunity", nlohmann::json::parse(events.back()[3]), &last));
  EXPECT_EQ(events.back()[0], "opportunity.stage_changed");
  EXPECT_EQ(last.opportunity().stage(), v1::STAGE_WON);
  EXPECT_EQ(last.opportunity().contract_id(), contract);
  EXPECT_EQ(last.opportunity().etag(), Etag(o));
  EXPECT_EQ(Count("audit_log", "resource_type = 'opportunity'"), static_cast<int>(events.size()));
}

TEST_F(PipelineStoreTest, RefusedMovesWriteNothing) {
  const int64_t account = MakeAccount("mgr-li");
  Opportunity o = MustCreate(Draft(account, 5'000));
  const std::vector<int> before = Written();
  EXPECT_TRUE(absl::IsFailedPrecondition(MoveTo(o, Stage::kProposal).status()));  // skip
  EXPECT_TRUE(absl::IsFailedPrecondition(MoveTo(o, Stage::kLost).status()));      // no reason
  EXPECT_TRUE(absl::IsInvalidArgument(MoveTo(o, Stage::kCustomerDevelopment).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(MoveTo(o, Stage::kProjectInitiation, "", kWang).status()));
  EXPECT_EQ(Written(), before);

  o = MustMove(o, Stage::kLost, "budget frozen for the year");
  EXPECT_EQ(o.lost_reason, "budget frozen for the year");
  EXPECT_EQ(o.probability_percent, 0);
  EXPECT_TRUE(o.close_time.has_value());
  Opportunity patch;
  patch.name = "revived";
  const absl::Status read_only = Update(o, patch, {"name"}, kDirector, Next(kDirector)).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(read_only)) << read_only;
}

TEST_F(PipelineStoreTest, MissingOpportunityOrAccountIsNotFound) {
  Opportunity ghost;
  ghost.id = 4242;
  EXPECT_TRUE(absl::IsNotFound(MoveTo(ghost, Stage::kProjectInitiation).status()));
  EXPECT_TRUE(absl::IsNotFound(Get(4242).status()));
  EXPECT_TRUE(absl::IsNotFound(Create(Draft(4242, 1), kDirector, Next(kDirector)).status()));
}

// --- concurrency and retries ---------------------------------------------------------------

TEST_F(PipelineStoreTest, StaleEtagIsAbortedAndWritesNothing) {
  const Opportunity seen = MustCreate(Draft(MakeAccount("mgr-li"), 5'000));
  ASSERT_TRUE(Ok(MoveTo(seen, Stage::kProjectInitiation)));
  const std::vector<int> before = Written();
  const absl::Status stale = MoveTo(seen, Stage::kProjectInitiation).status();
  EXPECT_TRUE(absl::IsAborted(stale)) << stale;
  Opportunity patch;
  patch.name = "renamed";
  EXPECT_TRUE(absl::IsAborted(Update(seen, patch, {"name"}, kDirector, Next(kDirector)).status()));
  EXPECT_EQ(Written(), before);
}

TEST_F(PipelineStoreTest, ConcurrentMovesFromOneEtagLetExactlyOneThrough) {
  const Opportunity seen = MustCreate(Draft(MakeAccount("mgr-li"), 5'000));
  constexpr int kClients = 6;
  std::vector<absl::Status> results(kClients);
  std::vector<Mutation> requests;
  for (int i = 0; i < kClients; ++i) requests.push_back(Next(kDirector));
  RunConcurrently(kClients, [&](int i) {
    results[i] =
        MoveWith(*store_, seen, Stage::kProjectInitiation, "", kDirector, requests[i]).status();
  });
  int ok = 0;
  for (const absl::Status& status : results) {
    if (status.ok()) {
      ++ok;
    } else {
      EXPECT_TRUE(absl::IsAborted(status)) << status;
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(Count("stage_changes"), 2);
  EXPECT_EQ(Count("outbox", "event_type = 'opportunity.stage_changed'"), 1);
}

TEST_F(PipelineStoreTest, RetriesReturnTheFirstResultAndChangeNothing) {
  const int64_t account = MakeAccount("mgr-li");
  const Mutation create = Request(kLi, "create-1");
  absl::StatusOr<Opportunity> first = Create(Draft(account, 7'000), kLi, create);
  ASSERT_TRUE(Ok(first));
  absl::StatusOr<Opportunity> again = Create(Draft(account, 7'000), kLi, create);
  ASSERT_TRUE(Ok(again));
  EXPECT_EQ(Fields(*again), Fields(*first));

  const Mutation move = Request(kLi, "move-1");
  absl::StatusOr<Opportunity> moved =
      MoveWith(*store_, *first, Stage::kProjectInitiation, "", kLi, move);
  ASSERT_TRUE(Ok(moved));
  const std::vector<int> after_first = Written();
  // The retry carries the old etag: it must replay, not fail as stale, and not move again.
  absl::StatusOr<Opportunity> retried =
      MoveWith(*store_, *first, Stage::kProjectInitiation, "", kLi, move);
  ASSERT_TRUE(Ok(retried));
  EXPECT_EQ(Fields(*retried), Fields(*moved));
  EXPECT_EQ(Written(), after_first);
  EXPECT_EQ(Count("opportunities"), 1);
  EXPECT_EQ(Count("stage_changes"), 2);

  Mutation reused = Request(kLi, "move-1");
  reused.fingerprint = "fp-another-request";
  const absl::Status refused =
      MoveWith(*store_, *moved, Stage::kProposal, "", kLi, reused).status();
  EXPECT_TRUE(absl::IsInvalidArgument(refused)) << refused;
  EXPECT_EQ(Written(), after_first);
}

// --- creation checks -----------------------------------------------------------------------

TEST_F(PipelineStoreTest, CreationChecksTheAccountAndTheContract) {
  const int64_t account = MakeAccount("mgr-li");
  const int64_t other = MakeAccount("mgr-wang");
  const int64_t foreign_contract = InsertContract(other, true);
  const std::vector<int> before = Written();

  Opportunity draft = Draft(account, 1);
  draft.contract_id = foreign_contract;
  const absl::Status foreign = Create(draft, kDirector, Next(kDirector)).status();
  EXPECT_TRUE(absl::IsInvalidArgument(foreign)) << foreign;
  EXPECT_THAT(foreign.message(), HasSubstr("opportunity.contract_id"));
  EXPECT_TRUE(absl::IsPermissionDenied(
      Create(Draft(account, 1), kWang, Next(kWang)).status()));  // not his account
  ASSERT_TRUE(Ok(accounts_->Archive(
      Next(kDirector), other, kDirector.subject, [](const AccountView& a, int live) {
        return Archive(a.account, "closed down", live, kDirector, a.account.update_time);
      })));
  const absl::Status archived = Create(Draft(other, 1), kDirector, Next(kDirector)).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(archived)) << archived;
  EXPECT_EQ(Count("opportunities"), before[0]);
  EXPECT_EQ(Count("stage_changes"), before[1]);

  // An unsigned contract of the account may be named at once; budget stays unknown if absent.
  draft = Draft(account, 1);
  draft.contract_id = InsertContract(account, false);
  draft.budget_minor.reset();
  const Opportunity created = MustCreate(draft, kLi);
  EXPECT_EQ(created.contract_id, draft.contract_id);
  EXPECT_EQ(Rows(absl::StrCat("SELECT budget_minor IS NULL FROM opportunities WHERE id = ",
                              created.id))[0][0],
            "1");
  EXPECT_FALSE(Get(created.id)->opportunity.budget_minor.has_value());
}

TEST_F(PipelineStoreTest, TeamMembersWorkOnTheAccountOthersDoNot) {
  const int64_t account = MakeAccount("mgr-li");
  const Opportunity o = MustCreate(Draft(account, 1));
  EXPECT_TRUE(Get(o.id, "mgr-li")->works_on);
  EXPECT_FALSE(Get(o.id, "mgr-wang")->works_on);
  EXPECT_TRUE(absl::IsPermissionDenied(MoveTo(o, Stage::kProjectInitiation, "", kWang).status()));
  AddToTeam("mgr-wang", account);
  EXPECT_TRUE(Get(o.id, "mgr-wang")->works_on);
  EXPECT_TRUE(Ok(MoveTo(o, Stage::kProjectInitiation, "", kWang)));
}

// --- lists ---------------------------------------------------------------------------------

std::vector<int64_t> Ids(const std::vector<Opportunity>& items) {
  std::vector<int64_t> ids;
  for (const Opportunity& o : items) ids.push_back(o.id);
  return ids;
}

TEST_F(PipelineStoreTest, ListPagesAreStableWhileOpportunitiesAreCreated) {
  const int64_t a = MakeAccount("mgr-li");
  std::vector<int64_t> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(MustCreate(Draft(a, 100 + i)).id);
  std::vector<int64_t> seen;
  int64_t after = 0;
  for (int pages = 0; pages < 20; ++pages) {
    absl::StatusOr<Page<Opportunity>> page = store_->List({}, after, 3);
    ASSERT_TRUE(Ok(page));
    for (int64_t id : Ids(page->items)) seen.push_back(id);
    if (!page->more) break;
    after = page->items.back().id;
    // Created between pages: appears once, at the end, and nothing shifts.
    ids.push_back(MustCreate(Draft(a, 999)).id);
  }
  EXPECT_EQ(seen, ids);
}

TEST_F(PipelineStoreTest, ListFiltersAndManagersSeeOnlyAccountsTheyWorkOn) {
  const int64_t lis = MakeAccount("mgr-li");
  const int64_t wangs = MakeAccount("mgr-wang");
  const int64_t shared = MakeAccount("mgr-wang");
  AddToTeam("mgr-li", shared);
  const Opportunity l1 = MustCreate(Draft(lis, 1));
  const Opportunity w1 = MustCreate(Draft(wangs, 2));
  const Opportunity s1 = MustCreate(Draft(shared, 3));
  Opportunity l2 = MustMove(MustCreate(Draft(lis, 4)), Stage::kProjectInitiation);
  const Opportunity l3 = MustMove(MustCreate(Draft(lis, 5)), Stage::kLost, "no budget");

  auto list = [&](OpportunityFilter filter) {
    absl::StatusOr<Page<Opportunity>> page = store_->List(filter, 0, 50);
    EXPECT_TRUE(Ok(page));
    return Ids(page.value_or(Page<Opportunity>{}).items);
  };
  EXPECT_THAT(list({}), ElementsAre(l1.id, w1.id, s1.id, l2.id, l3.id));
  EXPECT_THAT(list({"mgr-li", 0, Stage::kUnspecified, false, ""}),
              ElementsAre(l1.id, l2.id, l3.id));
  EXPECT_THAT(list({"", wangs, Stage::kUnspecified, false, ""}), ElementsAre(w1.id));
  EXPECT_THAT(list({"", 0, Stage::kProjectInitiation, false, ""}), ElementsAre(l2.id));
  EXPECT_THAT(list({"", 0, Stage::kUnspecified, true, ""}),
              ElementsAre(l1.id, w1.id, s1.id, l2.id));
  EXPECT_THAT(list({"", 0, Stage::kLost, false, ""}), ElementsAre(l3.id));
  // mgr-li: his own accounts and the one he serves on the team of; mgr-wang not the others.
  EXPECT_THAT(list({"", 0, Stage::kUnspecified, false, "mgr-li"}),
              ElementsAre(l1.id, s1.id, l2.id, l3.id));
  EXPECT_THAT(list({"", 0, Stage::kUnspecified, true, "mgr-wang"}), ElementsAre(w1.id, s1.id));
  EXPECT_THAT(list({"mgr-li", 0, Stage::kUnspecified, false, "mgr-wang"}), ElementsAre());
  EXPECT_THAT(list({"", 0, Stage::kUnspecified, false, "MGR-LI"}), ElementsAre());
}

// --- summary -------------------------------------------------------------------------------

struct Totals {
  std::vector<int> counts;  // per open stage
  std::vector<int64_t> amounts;
  std::vector<int64_t> weighted;
  int64_t open = 0;
  int64_t weighted_total = 0;
  int won = 0;
  int lost = 0;
  bool partial = false;
};

Totals Flatten(const PipelineSummary& s) {
  Totals t;
  for (const StageTotal& stage : s.stages) {
    t.counts.push_back(stage.opportunities);
    t.amounts.push_back(stage.amount_minor);
    t.weighted.push_back(stage.weighted_minor);
  }
  t.open = s.open_amount_minor;
  t.weighted_total = s.weighted_minor;
  t.won = s.won;
  t.lost = s.lost;
  t.partial = s.partial;
  return t;
}

TEST_F(PipelineStoreTest, SummaryNumbersAreExactPerOwnerAccountAndGroup) {
  // Group G (mgr-li) > S1 (mgr-li), S2 (mgr-wang) > S2a (mgr-wang, mgr-li on its team).
  const int64_t group = MakeAccount("mgr-li");
  const int64_t s1 = MakeAccount("mgr-li", group);
  const int64_t s2 = MakeAccount("mgr-wang", group);
  const int64_t s2a = MakeAccount("mgr-wang", s2);
  AddToTeam("mgr-li", s2a);
  const int64_t elsewhere = MakeAccount("mgr-li");

  MustCreate(Draft(group, 12'345));                                       // CD 10%: 1234.5 -> 1235
  Advance(MustCreate(Ready(group, 100'001)), Stage::kProjectInitiation);  // 20%: 20000.2 -> 20000
  MustCreate(Draft(s1, 99));                                              // CD 10%: 9.9 -> 10
  Advance(MustCreate(Ready(s1, 500'000)), Stage::kWon);
  MustMove(MustCreate(Draft(s1, 8'000)), Stage::kLost, "lost to a competitor");
  Advance(MustCreate(Ready(s2, 50'005)), Stage::kBidding);          // 60%: 30003
  Advance(MustCreate(Ready(s2a, 70'007)), Stage::kImplementation);  // 90%: 63006.3 -> 63006
  Advance(MustCreate(Ready(elsewhere, 1'000)), Stage::kProposal);   // 40%: 400

  // A stored probability counts, not today's setting: this move uses other defaults.
  PipelineStore other_defaults(*pool_, *ParseStageProbabilities("15,25,45,65,85,95"));
  const Opportunity cd = MustCreate(Draft(s2a, 10'001));
  ASSERT_TRUE(Ok(MoveWith(other_defaults, cd, Stage::kProjectInitiation, "", kDirector,
                          Next(kDirector))));  // 25%: 2500.25 -> 2500

  auto summary = [&](const SummaryScope& scope) {
    absl::StatusOr<PipelineSummary> s = store_->Summarize(scope);
    EXPECT_TRUE(Ok(s));
    return Flatten(s.value_or(PipelineSummary{}));
  };
  using Kind = SummaryScope::Kind;

  const Totals li_owner = summary(*OwnerSummaryScope("mgr-li", kDirector));
  EXPECT_THAT(li_owner.counts, ElementsAre(2, 1, 1, 0, 0, 0));
  EXPECT_THAT(li_owner.amounts, ElementsAre(12'444, 100'001, 1'000, 0, 0, 0));
  EXPECT_THAT(li_owner.weighted, ElementsAre(1'245, 20'000, 400, 0, 0, 0));
  EXPECT_EQ(li_owner.open, 113'445);
  EXPECT_EQ(li_owner.weighted_total, 21'645);
  EXPECT_EQ(li_owner.won, 1);
  EXPECT_EQ(li_owner.lost, 1);
  EXPECT_FALSE(li_owner.partial);
  // He sees the same asking for himself: he works on every account he owns.
  const Totals li_self = summary(*OwnerSummaryScope("mgr-li", kLi));
  EXPECT_EQ(li_self.amounts, li_owner.amounts);
  EXPECT_EQ(li_self.won, 1);

  const Totals account = summary(AccountSummaryScope(Kind::kAccount, s2a, kDirector));
  EXPECT_THAT(account.counts, ElementsAre(0, 1, 0, 0, 0, 1));
  EXPECT_THAT(account.amounts, ElementsAre(0, 10'001, 0, 0, 0, 70'007));
  EXPECT_THAT(account.weighted, ElementsAre(0, 2'500, 0, 0, 0, 63'006));
  EXPECT_EQ(account.weighted_total, 65'506);

  const Totals whole = summary(AccountSummaryScope(Kind::kGroup, group, kDirector));
  EXPECT_THAT(whole.counts, ElementsAre(2, 2, 0, 1, 0, 1));
  EXPECT_THAT(whole.amounts, ElementsAre(12'444, 110'002, 0, 50'005, 0, 70'007));
  EXPECT_THAT(whole.weighted, ElementsAre(1'245, 22'500, 0, 30'003, 0, 63'006));
  EXPECT_EQ(whole.open, 242'458);
  EXPECT_EQ(whole.weighted_total, 116'754);
  EXPECT_EQ(whole.won, 1);
  EXPECT_EQ(whole.lost, 1);
  EXPECT_FALSE(whole.partial);

  // mgr-li does not work on S2: its opportunity is left out, S2a (his team) counts.
  const Totals li_group = summary(AccountSummaryScope(Kind::kGroup, group, kLi));
  EXPECT_THAT(li_group.counts, ElementsAre(2, 2, 0, 0, 0, 1));
  EXPECT_EQ(li_group.open, 242'458 - 50'005);
  EXPECT_EQ(li_group.weighted_total, 116'754 - 30'003);
  EXPECT_TRUE(li_group.partial);
  // Every account of a subtree he works on: nothing left out.
  EXPECT_FALSE(summary(AccountSummaryScope(Kind::kGroup, s1, kLi)).partial);
  // A subtree whose accounts have no opportunities still says what it left out.
  const int64_t empty_group = MakeAccount("mgr-li");
  MakeAccount("mgr-wang", empty_group);
  const Totals empty = summary(AccountSummaryScope(Kind::kGroup, empty_group, kLi));
  EXPECT_THAT(empty.counts, ElementsAre(0, 0, 0, 0, 0, 0));
  EXPECT_TRUE(empty.partial);

  // A manager's own pipeline leaves out accounts he no longer works on.
  Exec(absl::StrCat("DELETE FROM account_access WHERE member_id = 'mgr-li' AND account_id = ",
                    elsewhere));
  const Totals li_after = summary(*OwnerSummaryScope("mgr-li", kLi));
  EXPECT_EQ(li_after.open, 113'445 - 1'000);
  EXPECT_EQ(summary(*OwnerSummaryScope("mgr-li", kDirector)).open, 113'445);
}

TEST_F(PipelineStoreTest, SummaryOfHugeAmountsSaturatesInsteadOfFailing) {
  const int64_t account = MakeAccount("mgr-li");
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  MustCreate(Draft(account, kMax));
  MustCreate(Draft(account, kMax));
  absl::StatusOr<PipelineSummary> s =
      store_->Summarize(AccountSummaryScope(SummaryScope::Kind::kAccount, account, kDirector));
  ASSERT_TRUE(Ok(s));
  EXPECT_EQ(s->stages[0].opportunities, 2);
  EXPECT_EQ(s->open_amount_minor, kMax);
  EXPECT_EQ(s->weighted_minor, 2 * WeightedAmount(kMax, 10));
}

}  // namespace
}  // namespace kam::accounts
