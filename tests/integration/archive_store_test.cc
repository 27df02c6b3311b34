// The archive's AccountStore against a private MariaDB with the shipped migrations: group
// hierarchies, the access list, transfers, tier and credit with their history, tags and
// contacts' personal notes. The store is called as the service calls it: the pure rule of
// workflow.h decides inside the store's callback, under the row lock.
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "embedded_migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/accounts/store.h"
#include "services/accounts/workflow.h"
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
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const Principal kDirector{"dir-zhao", {"director"}, ""};
const Principal kTierReview{"tier-review", {"system"}, ""};
const absl::Time kNow = absl::FromUnixMicros(1'700'000'000'123'456);

Account Draft(const std::string& registration_number, const std::string& name = "华东化工",
              const std::string& owner = "mgr-li", int64_t parent_id = 0) {
  Account a;
  a.name = name;
  a.registration_number = registration_number;
  a.nature = Nature::kOrdinaryCompany;
  a.industry = "chemicals";
  a.region = "east";
  a.owner_id = owner;
  a.parent_id = parent_id;
  return a;
}

// (account id, parent id, depth) of every node, in the order Tree returned them.
std::vector<std::tuple<int64_t, int64_t, int>> Shape(const GroupTree& tree) {
  std::vector<std::tuple<int64_t, int64_t, int>> shape;
  for (const GroupNode& node : tree.nodes) {
    shape.emplace_back(node.account_id, node.parent_id, node.depth);
  }
  return shape;
}

class ArchiveStoreTest : public test_support::SchemaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenSchema("archive", Migrations(), absl::Seconds(5)));
    store_ = std::make_unique<AccountStore>(*pool_);
  }

  // A request of `actor` (the director unless said otherwise); the trace id is what history
  // rows keep as their request id.
  static Mutation Request(const std::string& request_id, const Principal& actor = kDirector) {
    return {actor.subject, request_id, "fp-" + request_id, "trace-" + request_id, kNow,
            /*note=*/""};
  }
  Mutation NextRequest(const Principal& actor = kDirector) {
    return Request(absl::StrCat("req-", ++requests_), actor);
  }

  // ---- the archive, as the service drives it ----

  absl::StatusOr<Account> Create(const Account& draft) {
    const Mutation m = NextRequest();
    absl::StatusOr<Account> valid = NewAccount(draft, kDirector, m.now);
    if (!valid.ok()) return valid.status();
    return store_->Create(m, *valid);
  }
  Account MustCreate(const Account& draft) {
    absl::StatusOr<Account> created = Create(draft);
    EXPECT_TRUE(Ok(created)) << draft.registration_number;
    return created.value_or(Account{});
  }

  absl::StatusOr<Account> Read(int64_t id) {
    absl::StatusOr<AccountView> view = store_->Get(id, kDirector.subject);
    if (!view.ok()) return view.status();
    return view->account;
  }
  bool WorksOn(int64_t id, const std::string& subject) {
    absl::StatusOr<AccountView> view = store_->Get(id, subject);
    EXPECT_TRUE(Ok(view));
    return view.ok() && view->works_on;
  }

  // UpdateAccount by the director with `etag` (empty: the current one) and `reason`.
  absl::StatusOr<Account> Change(int64_t id, const Account& patch,
                                 const std::vector<std::string>& paths,
                                 const std::string& reason = "", std::string etag = "",
                                 std::optional<Mutation> request = std::nullopt) {
    if (etag.empty()) {
      absl::StatusOr<Account> current = Read(id);
      if (!current.ok()) return current.status();
      etag = Etag(*current);
    }
    Mutation m = request ? *request : NextRequest();
    m.note = reason;
    return store_->Update(m, id, kDirector.subject, "updated", [&](const AccountView& current) {
      return ApplyUpdate(current.account, current.works_on, patch, paths, etag, kDirector, m.now);
    });
  }
  absl::StatusOr<Account> Move(int64_t id, int64_t parent_id, const std::string& etag = "") {
    Account patch;
    patch.parent_id = parent_id;
    return Change(id, patch, {"parent_id"}, "group restructured", etag);
  }
  absl::StatusOr<Account> ChangeOwner(int64_t id, const std::string& owner) {
    Account patch;
    patch.owner_id = owner;
    return Change(id, patch, {"owner_id"}, "manager rotation");
  }

  absl::StatusOr<Account> ArchiveAccount(int64_t id) {
    Mutation m = NextRequest();
    m.note = "customer closed";
    return store_->Archive(m, id, kDirector.subject, [&](const AccountView& current, int live) {
      return Archive(current.account, m.note, live, kDirector, m.now);
    });
  }

  // SetTier as the service runs it: the review id goes into the note with the reason.
  absl::StatusOr<Account> SetTier(int64_t id, Tier tier, const std::string& reason,
                                  const std::string& review_id, Mutation m) {
    m.note = review_id.empty() ? reason : absl::StrCat(reason, " (review ", review_id, ")");
    const Principal caller = m.actor == kTierReview.subject ? kTierReview : kDirector;
    return store_->Update(m, id, caller.subject, "tier_changed", [&](const AccountView& current) {
      return ApplyTier(current.account, tier, reason, review_id, caller, m.now);
    });
  }
  absl::StatusOr<Account> SetCredit(int64_t id, const CreditChange& change, Mutation m) {
    m.note = change.reason;
    return store_->Update(m, id, kDirector.subject, "credit_changed",
                          [&](const AccountView& current) {
                            return ApplyCredit(current.account, change, kDirector, m.now);
                          });
  }

  absl::StatusOr<TeamMember> AddMember(int64_t account_id, const std::string& member,
                                       TeamRole role) {
    const Mutation m = NextRequest();
    TeamMember draft;
    draft.member_id = member;
    draft.role = role;
    return store_->AddTeamMember(m, account_id, kDirector.subject, [&](const AccountView& a) {
      return NewTeamMember(draft, a.account, kDirector, m.now);
    });
  }
  absl::StatusOr<TeamMember> RemoveMember(int64_t account_id, const std::string& member) {
    return store_->RemoveTeamMember(NextRequest(), account_id, member, kDirector.subject,
                                    [&](const AccountView& a) -> absl::Status {
                                      if (!ManagesTeam(kDirector, a.account)) {
                                        return absl::PermissionDeniedError("not the team's");
                                      }
                                      return absl::OkStatus();
                                    });
  }

  absl::StatusOr<TransferResult> Transfer(const kam::accounts::Transfer& transfer, Mutation m) {
    if (auto s = CheckTransfer(transfer, kDirector); !s.ok()) return s;
    m.note = transfer.reason;
    return store_->TransferAccounts(m, transfer);
  }

  // Ids the store lists for `filter` (one big page).
  std::vector<int64_t> Listed(const AccountFilter& filter) {
    absl::StatusOr<Page<Account>> page = store_->List(filter, 0, 1000);
    EXPECT_TRUE(Ok(page));
    std::vector<int64_t> ids;
    if (page.ok()) {
      for (const Account& a : page->items) ids.push_back(a.id);
    }
    return ids;
  }
  std::vector<int64_t> ListedFor(const std::string& member) {
    AccountFilter filter;
    filter.member_id = member;
    return Listed(filter);
  }

  // ---- what is in the database, as root sees it ----

  std::vector<std::vector<std::string>> Rows(const std::string& sql) const {
    absl::StatusOr<std::string> out =
        server_->QueryAsRoot(absl::StrCat("USE ", schema_, "; ", sql));
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
  void Exec(const std::string& sql) const {
    ASSERT_TRUE(Ok(server_->ExecAsRoot(absl::StrCat("USE ", schema_, "; ", sql)))) << sql;
  }
  // What a change writes: accounts and their parents/owners, history, audit, events, access.
  std::vector<std::vector<std::string>> Footprint() const {
    return Rows(
        "SELECT (SELECT COUNT(*) FROM accounts), "
        "(SELECT GROUP_CONCAT(id, ':', IFNULL(parent_id, 0), ':', owner_id, ':', archived "
        "ORDER BY id) FROM accounts), (SELECT COUNT(*) FROM account_history), "
        "(SELECT COUNT(*) FROM audit_log), (SELECT COUNT(*) FROM outbox), "
        "(SELECT GROUP_CONCAT(member_id, ':', account_id, ':', via ORDER BY member_id, "
        "account_id) FROM account_access)");
  }
  std::map<int64_t, int64_t> Parents() const {
    std::map<int64_t, int64_t> parents;
    for (const auto& row : Rows("SELECT id, IFNULL(parent_id, 0) FROM accounts")) {
      parents[std::atoll(row[0].c_str())] = std::atoll(row[1].c_str());
    }
    return parents;
  }
  // Events of one type, oldest first, as (aggregate id, payload).
  std::vector<std::pair<std::string, nlohmann::json>> Events(const std::string& type) const {
    std::vector<std::pair<std::string, nlohmann::json>> events;
    for (const auto& row :
         Rows(absl::StrCat("SELECT aggregate_id, payload FROM outbox WHERE event_type = '", type,
                           "' ORDER BY id"))) {
      events.emplace_back(row[0], nlohmann::json::parse(row[1]));
    }
    return events;
  }

  // `n` subsidiaries of `parent` owned by `owner`, inserted in one statement (the store's
  // Create is tested elsewhere; this keeps a thousand-account group fast). Returns their ids.
  std::vector<int64_t> InsertAccounts(int n, int64_t parent, const std::string& owner,
                                      const std::string& tag) const {
    const std::string parent_sql = parent == 0 ? "NULL" : absl::StrCat(parent);
    Exec(absl::StrCat(
        "INSERT INTO accounts (name, registration_number, nature, status, owner_id, "
        "create_time, update_time, parent_id, business_json) "
        "SELECT CONCAT('Subsidiary ', seq), CONCAT('",
        tag, "-', seq), 3, 1, '", owner, "', '2023-11-14 22:13:20', '2023-11-14 22:13:20', ",
        parent_sql, ", '' FROM seq_1_to_", n,
        "; INSERT INTO account_access (member_id, account_id, via) SELECT owner_id, id, 1 "
        "FROM accounts WHERE registration_number LIKE '",
        tag, "-%';"));
    std::vector<int64_t> ids;
    for (const auto& row : Rows(absl::StrCat(
             "SELECT id FROM accounts WHERE registration_number LIKE '", tag, "-%' ORDER BY id"))) {
      ids.push_back(std::atoll(row[0].c_str()));
    }
    EXPECT_EQ(static_cast<int>(ids.size()), n);
    return ids;
  }

  // ---- the pipeline's and engagement's rows a transfer moves ----

  // An opportunity at `stage` (1-6 open, 7 won, 8 lost) and a visit plan with `status`
  // (1 planned, 2 completed, 3 cancelled), written as the pipeline and engagement parts do.
  void AddOpportunity(int64_t account_id, const std::string& owner, int stage) {
    Exec(
        absl::StrCat("INSERT INTO opportunities (account_id, name, owner_id, stage, "
                     "probability_percent, needs, timetable, competition, decision_makers, "
                     "relationship_progress, create_time, update_time) VALUES (",
                     account_id, ", 'deal', '", owner, "', ", stage,
                     ", 50, '', '', '', '', '', NOW(6), NOW(6))"));
  }
  void AddVisitPlan(int64_t account_id, const std::string& owner, int status) {
    Exec(absl::StrCat(
        "INSERT INTO visit_plans (account_id, owner_id, planned_at, objective, "
        "status, create_time, update_time) VALUES (",
        account_id, ", '", owner, "', '2023-12-01', 'visit', ", status, ", NOW(6), NOW(6))"));
  }
  // (account id, owner, stage or status) of the pipeline's and engagement's rows.
  std::vector<std::vector<std::string>> Opportunities() const {
    return Rows("SELECT account_id, owner_id, stage FROM opportunities ORDER BY id");
  }
  std::vector<std::vector<std::string>> VisitPlans() const {
    return Rows("SELECT account_id, owner_id, status FROM visit_plans ORDER BY id");
  }
  static kam::accounts::Transfer Of(const std::string& from, const std::string& to,
                                    std::vector<int64_t> ids) {
    kam::accounts::Transfer t;
    t.from_owner_id = from;
    t.to_owner_id = to;
    t.account_ids = std::move(ids);
    t.reason = "李伟 left the company";
    return t;
  }

  std::unique_ptr<AccountStore> store_;
  std::atomic<int> requests_{0};  // concurrent tests make requests from several threads
};

// --- group hierarchy -----------------------------------------------------------------------

TEST_F(ArchiveStoreTest, GroupTreeIsDepthFirstWithChildrenById) {
  //  root ── a ── a1 ── a11
  //     │     └── a2
  //     └── b ── b1
  const Account root = MustCreate(Draft("ROOT", "集团总部"));
  const Account a = MustCreate(Draft("A", "华东分公司", "mgr-li", root.id));
  const Account b = MustCreate(Draft("B", "华北分公司", "mgr-wang", root.id));
  const Account a1 = MustCreate(Draft("A1", "上海工厂", "mgr-li", a.id));
  const Account b1 = MustCreate(Draft("B1", "天津工厂", "mgr-wang", b.id));
  const Account a2 = MustCreate(Draft("A2", "南京工厂", "mgr-li", a.id));
  const Account a11 = MustCreate(Draft("A11", "浦东车间", "mgr-li", a1.id));
  EXPECT_EQ(a.parent_id, root.id);
  EXPECT_EQ(Parents().at(a11.id), a1.id);

  absl::StatusOr<GroupTree> tree = store_->Tree(root.id, 0, 100, "");
  ASSERT_TRUE(Ok(tree));
  EXPECT_FALSE(tree->truncated);
  using Node = std::tuple<int64_t, int64_t, int>;
  EXPECT_THAT(Shape(*tree),
              ElementsAre(Node{root.id, 0, 0}, Node{a.id, root.id, 1}, Node{a1.id, a.id, 2},
                          Node{a11.id, a1.id, 3}, Node{a2.id, a.id, 2}, Node{b.id, root.id, 1},
                          Node{b1.id, b.id, 2}));
  EXPECT_EQ(tree->nodes[3].name, "浦东车间");

  // max_depth counts levels below the requested account.
  tree = store_->Tree(root.id, 1, 100, "");
  ASSERT_TRUE(Ok(tree));
  EXPECT_THAT(Shape(*tree),
              ElementsAre(Node{root.id, 0, 0}, Node{a.id, root.id, 1}, Node{b.id, root.id, 1}));
  tree = store_->Tree(root.id, 2, 100, "");
  ASSERT_TRUE(Ok(tree));
  EXPECT_EQ(tree->nodes.size(), 6u) << "all but a11";

  // From a subsidiary down: it is depth 0.
  tree = store_->Tree(a.id, 0, 100, "");
  ASSERT_TRUE(Ok(tree));
  EXPECT_THAT(Shape(*tree), ElementsAre(Node{a.id, root.id, 0}, Node{a1.id, a.id, 1},
                                        Node{a11.id, a1.id, 2}, Node{a2.id, a.id, 1}));

  // A manager sees the shape of the group and the names of the accounts they work on.
  tree = store_->Tree(root.id, 0, 100, "mgr-wang");
  ASSERT_TRUE(Ok(tree));
  std::vector<std::string> names;
  for (const GroupNode& node : tree->nodes) names.push_back(node.name);
  EXPECT_THAT(names, ElementsAre("", "", "", "", "", "华北分公司", "天津工厂"));

  EXPECT_TRUE(absl::IsNotFound(store_->Tree(a11.id + 100, 0, 100, "").status()));

  // Ancestors: root first, -1 for the parent; a root has none; names as in the tree.
  absl::StatusOr<std::vector<GroupNode>> ancestors = store_->Ancestors(a11.id, "");
  ASSERT_TRUE(Ok(ancestors));
  EXPECT_THAT(Shape(GroupTree{*ancestors, false}),
              ElementsAre(Node{root.id, 0, -3}, Node{a.id, root.id, -2}, Node{a1.id, a.id, -1}));
  EXPECT_EQ((*ancestors)[0].name, "集团总部");
  EXPECT_EQ((*ancestors)[2].name, "上海工厂");
  ancestors = store_->Ancestors(root.id, "");
  ASSERT_TRUE(Ok(ancestors));
  EXPECT_TRUE(ancestors->empty());
  // mgr-li owns the root but not 华北分公司; mgr-wang owns neither of a1's ancestors.
  ancestors = store_->Ancestors(b1.id, "mgr-li");
  ASSERT_TRUE(Ok(ancestors));
  ASSERT_EQ(ancestors->size(), 2u);
  EXPECT_EQ((*ancestors)[0].name, "集团总部");
  EXPECT_EQ((*ancestors)[1].name, "");
  ancestors = store_->Ancestors(a1.id, "mgr-wang");
  ASSERT_TRUE(Ok(ancestors));
  ASSERT_EQ(ancestors->size(), 2u);
  EXPECT_EQ((*ancestors)[0].name, "");
  EXPECT_EQ((*ancestors)[1].name, "");
}

TEST_F(ArchiveStoreTest, DeepChainAndAThousandSubsidiaries) {
  // A chain of 25 levels, each created under the previous one through the store.
  constexpr int kLevels = 25;
  std::vector<int64_t> chain = {MustCreate(Draft("CHAIN-0", "集团")).id};
  for (int level = 1; level <= kLevels; ++level) {
    chain.push_back(
        MustCreate(Draft(absl::StrCat("CHAIN-", level), "层级", "mgr-li", chain.back())).id);
  }
  absl::StatusOr<GroupTree> tree = store_->Tree(chain[0], 0, 10000, "");
  ASSERT_TRUE(Ok(tree));
  ASSERT_EQ(tree->nodes.size(), chain.size());
  for (size_t i = 0; i < chain.size(); ++i) {
    EXPECT_EQ(tree->nodes[i].account_id, chain[i]);
    EXPECT_EQ(tree->nodes[i].depth, static_cast<int>(i));
    EXPECT_EQ(tree->nodes[i].parent_id, i == 0 ? 0 : chain[i - 1]);
  }
  tree = store_->Tree(chain[0], 10, 10000, "");
  ASSERT_TRUE(Ok(tree));
  EXPECT_EQ(tree->nodes.size(), 11u);
  EXPECT_EQ(tree->nodes.back().account_id, chain[10]);
  EXPECT_FALSE(tree->truncated) << "a depth limit is not truncation";

  // A thousand subsidiaries directly under the top of the chain.
  const std::vector<int64_t> subsidiaries = InsertAccounts(1000, chain[0], "mgr-li", "SUB");
  const size_t total = chain.size() + subsidiaries.size();
  tree = store_->Tree(chain[0], 0, 10000, "");
  ASSERT_TRUE(Ok(tree));
  ASSERT_EQ(tree->nodes.size(), total);
  EXPECT_FALSE(tree->truncated);
  // Depth first, children by id: the chain (its first link has the lowest id), then the rest.
  for (size_t i = 0; i < chain.size(); ++i) EXPECT_EQ(tree->nodes[i].account_id, chain[i]);
  for (size_t i = 0; i < subsidiaries.size(); ++i) {
    const GroupNode& node = tree->nodes[chain.size() + i];
    EXPECT_EQ(node.account_id, subsidiaries[i]);
    EXPECT_EQ(node.depth, 1);
    EXPECT_EQ(node.parent_id, chain[0]);
  }

  // Exactly as many nodes as the limit: complete. One fewer: truncated, still a tree.
  tree = store_->Tree(chain[0], 0, static_cast<int>(total), "");
  ASSERT_TRUE(Ok(tree));
  EXPECT_EQ(tree->nodes.size(), total);
  EXPECT_FALSE(tree->truncated);
  tree = store_->Tree(chain[0], 0, 500, "");
  ASSERT_TRUE(Ok(tree));
  EXPECT_EQ(tree->nodes.size(), 500u);
  EXPECT_TRUE(tree->truncated);
  std::set<int64_t> seen;
  for (const GroupNode& node : tree->nodes) {
    if (node.depth > 0) {
      EXPECT_EQ(seen.count(node.parent_id), 1u) << node.account_id << " before its parent";
    }
    EXPECT_TRUE(seen.insert(node.account_id).second) << node.account_id << " twice";
  }

  // The group's top cannot be archived while its subsidiaries are live.
  const auto before = Footprint();
  absl::StatusOr<Account> archived = ArchiveAccount(chain[0]);
  EXPECT_TRUE(absl::IsFailedPrecondition(archived.status())) << archived.status();
  EXPECT_THAT(archived.status().message(), HasSubstr("1001 subsidiaries"));
  EXPECT_EQ(Footprint(), before);
}

TEST_F(ArchiveStoreTest, MovingUnderItselfOrADescendantIsRefusedAndChangesNothing) {
  const Account top = MustCreate(Draft("TOP"));
  const Account mid = MustCreate(Draft("MID", "中层", "mgr-li", top.id));
  const Account low = MustCreate(Draft("LOW", "底层", "mgr-li", mid.id));
  const Account other = MustCreate(Draft("OTHER"));
  const auto before = Footprint();

  for (const auto& [id, parent] : std::vector<std::pair<int64_t, int64_t>>{
           {top.id, low.id}, {top.id, mid.id}, {mid.id, low.id}, {mid.id, mid.id}}) {
    absl::StatusOr<Account> moved = Move(id, parent);
    EXPECT_TRUE(absl::IsFailedPrecondition(moved.status()))
        << id << " under " << parent << ": " << moved.status();
    EXPECT_THAT(moved.status().message(), HasSubstr("parent_id"));
  }
  EXPECT_EQ(Footprint(), before);
  EXPECT_EQ(Count("idempotency_keys"), 4) << "only the four creations";

  // Legal moves still work: `low` to another group, then `top` under it.
  ASSERT_TRUE(Ok(Move(low.id, other.id)));
  ASSERT_TRUE(Ok(Move(top.id, low.id)));
  EXPECT_EQ(Parents().at(top.id), low.id);
}

TEST_F(ArchiveStoreTest, ConcurrentOppositeMovesNeverMakeACycle) {
  // Each round: accounts legal to move under each other, moved so at the same moment.
  constexpr int kPairs = 4;
  for (int round = 0; round < kPairs + 1; ++round) {
    const int size = round < kPairs ? 2 : 3;  // the last round closes a triangle
    std::vector<Account> ring;
    for (int i = 0; i < size; ++i) {
      ring.push_back(MustCreate(Draft(absl::StrCat("R", round, "-", i))));
    }
    std::vector<absl::StatusOr<Account>> results(size, absl::UnknownError("not run"));
    RunConcurrently(size, [&](int i) {
      results[i] = Move(ring[i].id, ring[(i + 1) % size].id, Etag(ring[i]));
    });
    int succeeded = 0;
    for (const auto& result : results) {
      if (result.ok()) {
        ++succeeded;
        continue;
      }
      EXPECT_TRUE(absl::IsFailedPrecondition(result.status()) || absl::IsAborted(result.status()))
          << result.status();
    }
    EXPECT_GE(succeeded, 1) << "round " << round << ": the first move is legal";
    EXPECT_LT(succeeded, size) << "round " << round << ": all moves succeeded";
  }
  // Walking up from every account reaches a top.
  const std::map<int64_t, int64_t> parents = Parents();
  for (const auto& [id, parent] : parents) {
    int64_t at = id;
    int steps = 0;
    while (at != 0 && steps <= static_cast<int>(parents.size())) {
      at = parents.at(at);
      ++steps;
    }
    EXPECT_EQ(at, 0) << "account " << id << " is in a cycle";
  }
}

TEST_F(ArchiveStoreTest, ParentMustExistAndBeLive) {
  const Account closed = MustCreate(Draft("CLOSED"));
  ASSERT_TRUE(Ok(ArchiveAccount(closed.id)));
  const Account child = MustCreate(Draft("CHILD"));
  const auto before = Footprint();

  absl::StatusOr<Account> created = Create(Draft("NEW-1", "新公司", "mgr-li", 987654));
  EXPECT_TRUE(absl::IsInvalidArgument(created.status())) << created.status();
  EXPECT_THAT(created.status().message(), HasSubstr("account.parent_id"));
  absl::StatusOr<Account> moved = Move(child.id, 987654);
  EXPECT_TRUE(absl::IsInvalidArgument(moved.status())) << moved.status();
  EXPECT_THAT(moved.status().message(), HasSubstr("account.parent_id"));

  created = Create(Draft("NEW-2", "新公司", "mgr-li", closed.id));
  EXPECT_TRUE(absl::IsFailedPrecondition(created.status())) << created.status();
  EXPECT_THAT(created.status().message(), HasSubstr("archived"));
  moved = Move(child.id, closed.id);
  EXPECT_TRUE(absl::IsFailedPrecondition(moved.status())) << moved.status();
  EXPECT_EQ(Footprint(), before);
}

TEST_F(ArchiveStoreTest, ArchivingWaitsForSubsidiariesToBeArchivedOrMoved) {
  const Account parent = MustCreate(Draft("PARENT"));
  const Account kept = MustCreate(Draft("KEPT", "分公司甲", "mgr-li", parent.id));
  const Account moved = MustCreate(Draft("MOVED", "分公司乙", "mgr-li", parent.id));
  absl::StatusOr<Account> refused = ArchiveAccount(parent.id);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("2 subsidiaries"));

  ASSERT_TRUE(Ok(ArchiveAccount(kept.id)));
  ASSERT_TRUE(Ok(Move(moved.id, 0)));
  absl::StatusOr<Account> archived = ArchiveAccount(parent.id);
  ASSERT_TRUE(Ok(archived));
  EXPECT_TRUE(archived->archived);
  EXPECT_THAT(Rows(absl::StrCat("SELECT archived FROM accounts WHERE id = ", parent.id)),
              ElementsAre(ElementsAre("1")));
}

// An archive and a move under the same parent at the same moment: whichever commits first
// wins, and no live account is ever left under an archived one.
TEST_F(ArchiveStoreTest, ArchiveRacingAMoveUnderItLeavesNoLiveSubsidiary) {
  constexpr int kRounds = 6;
  for (int round = 0; round < kRounds; ++round) {
    const Account parent = MustCreate(Draft(absl::StrCat("P-", round)));
    const Account child = MustCreate(Draft(absl::StrCat("C-", round)));
    absl::StatusOr<Account> results[2];
    RunConcurrently(2, [&](int i) {
      results[i] = i == 0 ? ArchiveAccount(parent.id) : Move(child.id, parent.id, Etag(child));
    });
    EXPECT_FALSE(results[0].ok() && results[1].ok())
        << "round " << round << ": archived the parent and moved a live account under it";
  }
  EXPECT_EQ(Count("accounts c JOIN accounts p ON p.id = c.parent_id",
                  "p.archived = TRUE AND c.archived = FALSE"),
            0);
}

TEST_F(ArchiveStoreTest, ParentChangesAreKeptInHistoryAndAnnounced) {
  const Account group = MustCreate(Draft("GROUP", "集团"));
  const Account unit = MustCreate(Draft("UNIT", "分公司"));
  Mutation m = Request("req-move");
  Account patch;
  patch.parent_id = group.id;
  absl::StatusOr<Account> moved =
      Change(unit.id, patch, {"parent_id"}, "acquired by the group", Etag(unit), m);
  ASSERT_TRUE(Ok(moved));
  EXPECT_EQ(moved->parent_id, group.id);

  const std::string id = absl::StrCat(unit.id);
  EXPECT_THAT(Rows("SELECT account_id, kind, from_value, to_value, actor, reason, request_id "
                   "FROM account_history"),
              ElementsAre(ElementsAre(id, "5", "0", absl::StrCat(group.id), "dir-zhao",
                                      "acquired by the group", "trace-req-move")));
  // The update itself and the parent change, both with the history entry.
  for (const char* type : {"account.updated", "account.parent_changed"}) {
    auto events = Events(type);
    ASSERT_EQ(events.size(), 1u) << type;
    EXPECT_EQ(events[0].first, id);
    const nlohmann::json& payload = events[0].second;
    EXPECT_EQ(payload.at("parent_id"), group.id) << type;
    ASSERT_EQ(payload.at("changes").size(), 1u) << type;
    EXPECT_EQ(payload["changes"][0].at("kind"), 5);
    EXPECT_EQ(payload["changes"][0].at("to_value"), absl::StrCat(group.id));
  }

  // Leaving the group is a parent change too.
  ASSERT_TRUE(Ok(Move(unit.id, 0)));
  EXPECT_THAT(Rows("SELECT from_value, to_value FROM account_history ORDER BY id"),
              ElementsAre(ElementsAre("0", absl::StrCat(group.id)),
                          ElementsAre(absl::StrCat(group.id), "0")));
  EXPECT_EQ(Events("account.parent_changed").size(), 2u);
  // A change of something else writes no history and no parent event.
  Account rename;
  rename.name = "分公司（新）";
  ASSERT_TRUE(Ok(Change(unit.id, rename, {"name"})));
  EXPECT_EQ(Count("account_history"), 2);
  EXPECT_EQ(Events("account.parent_changed").size(), 2u);
}

// --- access list ---------------------------------------------------------------------------

TEST_F(ArchiveStoreTest, TeamMembersGetAndLoseAccessAtOnce) {
  const Account account = MustCreate(Draft("REG-1"));
  const Account unrelated = MustCreate(Draft("REG-2", "别家", "mgr-zhou"));
  EXPECT_THAT(Rows(absl::StrCat("SELECT member_id, via FROM account_access WHERE account_id = ",
                                account.id)),
              ElementsAre(ElementsAre("mgr-li", "1")));
  EXPECT_TRUE(WorksOn(account.id, "mgr-li"));
  EXPECT_FALSE(WorksOn(account.id, "mgr-wang"));
  EXPECT_THAT(ListedFor("mgr-li"), ElementsAre(account.id));

  absl::StatusOr<TeamMember> added = AddMember(account.id, "mgr-wang", TeamRole::kSales);
  ASSERT_TRUE(Ok(added));
  EXPECT_TRUE(WorksOn(account.id, "mgr-wang"));
  EXPECT_THAT(ListedFor("mgr-wang"), ElementsAre(account.id));
  EXPECT_FALSE(WorksOn(unrelated.id, "mgr-wang"));

  // Adding again changes the role; still one seat and one access row.
  ASSERT_TRUE(Ok(AddMember(account.id, "mgr-wang", TeamRole::kTechnical)));
  absl::StatusOr<std::vector<TeamMember>> team = store_->ListTeamMembers(account.id);
  ASSERT_TRUE(Ok(team));
  ASSERT_EQ(team->size(), 1u);
  EXPECT_EQ((*team)[0].member_id, "mgr-wang");
  EXPECT_EQ((*team)[0].role, TeamRole::kTechnical);
  EXPECT_EQ(Count("account_access", "member_id = 'mgr-wang'"), 1);
  EXPECT_THAT(ListedFor("mgr-wang"), ElementsAre(account.id));

  absl::StatusOr<TeamMember> removed = RemoveMember(account.id, "mgr-wang");
  ASSERT_TRUE(Ok(removed));
  EXPECT_FALSE(WorksOn(account.id, "mgr-wang"));
  EXPECT_THAT(ListedFor("mgr-wang"), IsEmpty());
  EXPECT_EQ(Count("account_access", "member_id = 'mgr-wang'"), 0);
  team = store_->ListTeamMembers(account.id);
  ASSERT_TRUE(Ok(team));
  EXPECT_THAT(*team, IsEmpty());
  EXPECT_TRUE(WorksOn(account.id, "mgr-li")) << "the owner keeps access";

  const auto before = Footprint();
  absl::StatusOr<TeamMember> again = RemoveMember(account.id, "mgr-wang");
  EXPECT_TRUE(absl::IsNotFound(again.status())) << again.status();
  EXPECT_THAT(again.status().message(), HasSubstr("mgr-wang"));
  EXPECT_EQ(Footprint(), before);

  EXPECT_EQ(Events("team.member_added").size(), 2u);
  EXPECT_EQ(Events("team.member_removed").size(), 1u);
}

TEST_F(ArchiveStoreTest, OwnerChangeMovesAccessAndATeamSeatDoesNotOutliveIt) {
  const Account account = MustCreate(Draft("REG-1"));
  ASSERT_TRUE(Ok(AddMember(account.id, "mgr-wang", TeamRole::kService)));

  // The team member becomes the owner; the old owner loses access at once.
  absl::StatusOr<Account> changed = ChangeOwner(account.id, "mgr-wang");
  ASSERT_TRUE(Ok(changed));
  EXPECT_EQ(changed->owner_id, "mgr-wang");
  EXPECT_FALSE(WorksOn(account.id, "mgr-li"));
  EXPECT_THAT(ListedFor("mgr-li"), IsEmpty());
  EXPECT_TRUE(WorksOn(account.id, "mgr-wang"));
  EXPECT_THAT(Rows(absl::StrCat("SELECT member_id, via FROM account_access WHERE account_id = ",
                                account.id)),
              ElementsAre(ElementsAre("mgr-wang", "3")));
  EXPECT_THAT(Rows("SELECT kind, from_value, to_value, reason FROM account_history"),
              ElementsAre(ElementsAre("2", "mgr-li", "mgr-wang", "manager rotation")));
  EXPECT_EQ(Events("account.owner_changed").size(), 1u);

  // Leaving the team does not take the owner's access.
  ASSERT_TRUE(Ok(RemoveMember(account.id, "mgr-wang")));
  EXPECT_TRUE(WorksOn(account.id, "mgr-wang"));
  EXPECT_THAT(ListedFor("mgr-wang"), ElementsAre(account.id));

  // Another owner: mgr-wang, no longer on the team, loses access.
  ASSERT_TRUE(Ok(ChangeOwner(account.id, "mgr-chen")));
  EXPECT_FALSE(WorksOn(account.id, "mgr-wang"));
  EXPECT_TRUE(WorksOn(account.id, "mgr-chen"));
  EXPECT_THAT(Rows(absl::StrCat("SELECT member_id, via FROM account_access WHERE account_id = ",
                                account.id)),
              ElementsAre(ElementsAre("mgr-chen", "1")));
}

// --- transfers -----------------------------------------------------------------------------

TEST_F(ArchiveStoreTest, TransferMovesTheAccountsWithTheirOpenWork) {
  const Account a1 = MustCreate(Draft("A1"));
  const Account a2 = MustCreate(Draft("A2"));
  const Account a3 = MustCreate(Draft("A3"));
  const std::string s1 = absl::StrCat(a1.id), s2 = absl::StrCat(a2.id), s3 = absl::StrCat(a3.id);
  for (int stage : {1, 6, 7, 8}) AddOpportunity(a1.id, "mgr-li", stage);
  AddOpportunity(a1.id, "mgr-zhou", 3);  // a colleague's deal on the account stays theirs
  AddOpportunity(a2.id, "mgr-li", 4);
  AddOpportunity(a3.id, "mgr-li", 2);  // not transferred now
  for (int status : {1, 2, 3}) AddVisitPlan(a1.id, "mgr-li", status);
  AddVisitPlan(a2.id, "mgr-li", 1);
  AddVisitPlan(a2.id, "mgr-zhou", 1);
  AddVisitPlan(a3.id, "mgr-li", 1);

  const Mutation m = Request("req-transfer");
  absl::StatusOr<TransferResult> moved = Transfer(Of("mgr-li", "mgr-chen", {a2.id, a1.id}), m);
  ASSERT_TRUE(Ok(moved));
  EXPECT_EQ(moved->accounts, 2);
  EXPECT_EQ(moved->opportunities, 3);
  EXPECT_EQ(moved->visit_plans, 2);

  EXPECT_THAT(Rows("SELECT id, owner_id FROM accounts ORDER BY id"),
              ElementsAre(ElementsAre(s1, "mgr-chen"), ElementsAre(s2, "mgr-chen"),
                          ElementsAre(s3, "mgr-li")));
  EXPECT_THAT(Opportunities(),
              ElementsAre(ElementsAre(s1, "mgr-chen", "1"), ElementsAre(s1, "mgr-chen", "6"),
                          ElementsAre(s1, "mgr-li", "7"), ElementsAre(s1, "mgr-li", "8"),
                          ElementsAre(s1, "mgr-zhou", "3"), ElementsAre(s2, "mgr-chen", "4"),
                          ElementsAre(s3, "mgr-li", "2")));
  EXPECT_THAT(VisitPlans(),
              ElementsAre(ElementsAre(s1, "mgr-chen", "1"), ElementsAre(s1, "mgr-li", "2"),
                          ElementsAre(s1, "mgr-li", "3"), ElementsAre(s2, "mgr-chen", "1"),
                          ElementsAre(s2, "mgr-zhou", "1"), ElementsAre(s3, "mgr-li", "1")));

  EXPECT_THAT(Rows("SELECT account_id, kind, from_value, to_value, actor, reason, request_id "
                   "FROM account_history ORDER BY account_id"),
              ElementsAre(ElementsAre(s1, "2", "mgr-li", "mgr-chen", "dir-zhao",
                                      "李伟 left the company", "trace-req-transfer"),
                          ElementsAre(s2, "2", "mgr-li", "mgr-chen", "dir-zhao",
                                      "李伟 left the company", "trace-req-transfer")));
  auto events = Events("account.owner_changed");
  ASSERT_EQ(events.size(), 2u);
  for (const auto& [id, payload] : events) {
    EXPECT_EQ(payload.at("owner_id"), "mgr-chen") << id;
    ASSERT_EQ(payload.at("changes").size(), 1u);
    EXPECT_EQ(payload["changes"][0].at("kind"), 2);
  }
  EXPECT_EQ(Count("audit_log", "action = 'account.owner_changed'"), 2);

  EXPECT_FALSE(WorksOn(a1.id, "mgr-li"));
  EXPECT_FALSE(WorksOn(a2.id, "mgr-li"));
  EXPECT_TRUE(WorksOn(a3.id, "mgr-li"));
  EXPECT_TRUE(WorksOn(a1.id, "mgr-chen"));
  EXPECT_THAT(ListedFor("mgr-li"), ElementsAre(a3.id));
  EXPECT_THAT(ListedFor("mgr-chen"), ElementsAre(a1.id, a2.id));

  // A retry returns the first result and moves nothing more, even though mgr-li still owns a3.
  const auto before = Footprint();
  const auto opportunities = Opportunities();
  absl::StatusOr<TransferResult> retry = Transfer(Of("mgr-li", "mgr-chen", {a2.id, a1.id}), m);
  ASSERT_TRUE(Ok(retry));
  EXPECT_EQ(retry->accounts, 2);
  EXPECT_EQ(retry->opportunities, 3);
  EXPECT_EQ(retry->visit_plans, 2);
  EXPECT_EQ(Footprint(), before);
  EXPECT_EQ(Opportunities(), opportunities);
}

TEST_F(ArchiveStoreTest, TransferOfAllOfAManagersAccountsInOneStep) {
  // More accounts than one IN list holds; the open deal sits on the last one.
  const Account first = MustCreate(Draft("FIRST"));
  const std::vector<int64_t> many = InsertAccounts(150, 0, "mgr-li", "BULK");
  const Account theirs = MustCreate(Draft("THEIRS", "别家", "mgr-zhou"));
  AddOpportunity(many.back(), "mgr-li", 5);
  AddOpportunity(first.id, "mgr-li", 1);
  AddVisitPlan(many.back(), "mgr-li", 1);

  absl::StatusOr<TransferResult> moved = Transfer(Of("mgr-li", "mgr-chen", {}), Request("req-all"));
  ASSERT_TRUE(Ok(moved));
  EXPECT_EQ(moved->accounts, 151);
  EXPECT_EQ(moved->opportunities, 2);
  EXPECT_EQ(moved->visit_plans, 1);
  EXPECT_EQ(Count("accounts", "owner_id = 'mgr-li'"), 0);
  EXPECT_EQ(Count("accounts", "owner_id = 'mgr-chen'"), 151);
  EXPECT_EQ(Count("opportunities", "owner_id = 'mgr-chen'"), 2);
  EXPECT_EQ(Count("account_history", "kind = 2"), 151);
  EXPECT_EQ(Count("outbox", "event_type = 'account.owner_changed'"), 151);
  EXPECT_THAT(ListedFor("mgr-li"), IsEmpty());
  EXPECT_EQ(ListedFor("mgr-chen").size(), 151u);
  EXPECT_TRUE(WorksOn(theirs.id, "mgr-zhou"));

  // Nothing left to move: a transfer of all is then empty, not an error.
  absl::StatusOr<TransferResult> empty =
      Transfer(Of("mgr-li", "mgr-chen", {}), Request("req-all-again"));
  ASSERT_TRUE(Ok(empty));
  EXPECT_EQ(empty->accounts, 0);
}

TEST_F(ArchiveStoreTest, TransferNamingAnotherManagersAccountMovesNothing) {
  const Account mine = MustCreate(Draft("MINE"));
  const Account theirs = MustCreate(Draft("THEIRS", "别家", "mgr-zhou"));
  AddOpportunity(mine.id, "mgr-li", 2);
  AddVisitPlan(mine.id, "mgr-li", 1);
  const auto before = Footprint();
  const auto opportunities = Opportunities();
  const auto plans = VisitPlans();

  for (int64_t stray : {theirs.id, theirs.id + 1000}) {
    absl::StatusOr<TransferResult> moved =
        Transfer(Of("mgr-li", "mgr-chen", {mine.id, stray}), NextRequest());
    EXPECT_TRUE(absl::IsFailedPrecondition(moved.status())) << moved.status();
    EXPECT_THAT(moved.status().message(), HasSubstr(absl::StrCat(stray)));
  }
  EXPECT_EQ(Footprint(), before);
  EXPECT_EQ(Opportunities(), opportunities);
  EXPECT_EQ(VisitPlans(), plans);
  EXPECT_TRUE(WorksOn(mine.id, "mgr-li"));
  EXPECT_FALSE(WorksOn(mine.id, "mgr-chen"));
}

// --- tier, credit and history --------------------------------------------------------------

TEST_F(ArchiveStoreTest, TierAndCreditChangesAreKeptWithWhoWhyAndWhichRequest) {
  const Account account = MustCreate(Draft("REG-1"));
  const std::string id = absl::StrCat(account.id);

  absl::StatusOr<Account> tiered =
      SetTier(account.id, Tier::kA, "score 92", "rev-2024", Request("req-tier", kTierReview));
  ASSERT_TRUE(Ok(tiered));
  EXPECT_EQ(tiered->tier, Tier::kA);
  EXPECT_EQ(tiered->version, 2);
  EXPECT_THAT(Rows("SELECT account_id, kind, from_value, to_value, actor, reason, request_id "
                   "FROM account_history"),
              ElementsAre(ElementsAre(id, "1", "TIER_UNSPECIFIED", "TIER_A", "tier-review",
                                      "score 92 (review rev-2024)", "trace-req-tier")));
  auto events = Events("account.tier_changed");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].first, id);
  EXPECT_EQ(events[0].second.at("tier"), 1);
  ASSERT_EQ(events[0].second.at("changes").size(), 1u);
  const nlohmann::json& change = events[0].second["changes"][0];
  EXPECT_EQ(change.at("kind"), 1);
  EXPECT_EQ(change.at("from_value"), "TIER_UNSPECIFIED");
  EXPECT_EQ(change.at("to_value"), "TIER_A");
  EXPECT_EQ(change.at("actor"), "tier-review");
  EXPECT_EQ(change.at("request_id"), "trace-req-tier");
  EXPECT_EQ(Count("outbox"), 2) << "account.created and account.tier_changed only";

  // The same tier again: nothing new anywhere.
  const auto before = Footprint();
  absl::StatusOr<Account> same =
      SetTier(account.id, Tier::kA, "score 93", "rev-2025", NextRequest(kTierReview));
  ASSERT_TRUE(Ok(same));
  EXPECT_EQ(same->version, 2);
  EXPECT_EQ(Footprint(), before);
  absl::StatusOr<Account> read = Read(account.id);
  ASSERT_TRUE(Ok(read));
  EXPECT_EQ(read->version, 2);

  CreditChange credit;
  credit.rating = CreditRating::kAA;
  credit.limit_minor = 500'000'00;
  credit.reason = "bank report 2023-11";
  absl::StatusOr<Account> credited = SetCredit(account.id, credit, Request("req-credit"));
  ASSERT_TRUE(Ok(credited));
  read = Read(account.id);
  ASSERT_TRUE(Ok(read));
  EXPECT_EQ(read->credit_rating, CreditRating::kAA);
  EXPECT_EQ(read->credit_limit_minor, 500'000'00);
  EXPECT_THAT(
      Rows("SELECT kind, from_value, to_value, actor, reason, request_id FROM account_history "
           "WHERE kind IN (3, 4) ORDER BY id"),
      ElementsAre(ElementsAre("3", "CREDIT_RATING_UNSPECIFIED", "CREDIT_RATING_AA", "dir-zhao",
                              "bank report 2023-11", "trace-req-credit"),
                  ElementsAre("4", "0", "50000000", "dir-zhao", "bank report 2023-11",
                              "trace-req-credit")));
  events = Events("account.credit_changed");
  ASSERT_EQ(events.size(), 1u) << "one event for the rating and the limit together";
  EXPECT_EQ(events[0].second.at("changes").size(), 2u);
  EXPECT_EQ(events[0].second.at("credit_limit_minor"), 500'000'00);
  EXPECT_EQ(Count("outbox", "event_type = 'account.updated'"), 0);
}

TEST_F(ArchiveStoreTest, HistoryListsNewestFirstByKindInPages) {
  const Account account = MustCreate(Draft("REG-1"));
  const Account group = MustCreate(Draft("GROUP"));
  const Account other = MustCreate(Draft("REG-2"));
  ASSERT_TRUE(Ok(SetTier(other.id, Tier::kD, "noise", "", NextRequest())));
  ASSERT_TRUE(Ok(SetTier(account.id, Tier::kB, "first review", "", NextRequest())));
  ASSERT_TRUE(Ok(SetTier(account.id, Tier::kA, "upgrade", "", NextRequest())));
  CreditChange credit;
  credit.rating = CreditRating::kBBB;
  credit.reason = "late payments";
  ASSERT_TRUE(Ok(SetCredit(account.id, credit, NextRequest())));
  ASSERT_TRUE(Ok(Move(account.id, group.id)));
  ASSERT_TRUE(Ok(SetTier(account.id, Tier::kC, "downgrade", "", NextRequest())));
  ASSERT_TRUE(Ok(ChangeOwner(account.id, "mgr-wang")));

  absl::StatusOr<Page<AccountChange>> all =
      store_->ListHistory(account.id, HistoryKind::kUnspecified, 0, 50);
  ASSERT_TRUE(Ok(all));
  EXPECT_FALSE(all->more);
  std::vector<std::pair<HistoryKind, std::string>> entries;
  for (const AccountChange& c : all->items) entries.emplace_back(c.kind, c.to_value);
  EXPECT_THAT(entries,
              ElementsAre(std::pair{HistoryKind::kOwner, std::string("mgr-wang")},
                          std::pair{HistoryKind::kTier, std::string("TIER_C")},
                          std::pair{HistoryKind::kParent, absl::StrCat(group.id)},
                          std::pair{HistoryKind::kCreditRating, std::string("CREDIT_RATING_BBB")},
                          std::pair{HistoryKind::kTier, std::string("TIER_A")},
                          std::pair{HistoryKind::kTier, std::string("TIER_B")}));
  EXPECT_EQ(all->items[1].reason, "downgrade");
  EXPECT_EQ(all->items[1].from_value, "TIER_A");
  EXPECT_EQ(all->items[1].actor, "dir-zhao");
  EXPECT_EQ(all->items[1].time, kNow);

  absl::StatusOr<Page<AccountChange>> tiers =
      store_->ListHistory(account.id, HistoryKind::kTier, 0, 50);
  ASSERT_TRUE(Ok(tiers));
  std::vector<std::string> tier_values;
  for (const AccountChange& c : tiers->items) tier_values.push_back(c.to_value);
  EXPECT_THAT(tier_values, ElementsAre("TIER_C", "TIER_A", "TIER_B"));

  // Pages of two, each continuing below the last id of the one before.
  std::vector<int64_t> paged;
  std::vector<size_t> sizes;
  int64_t before = 0;
  for (bool more = true; more && sizes.size() < 10;) {
    absl::StatusOr<Page<AccountChange>> page =
        store_->ListHistory(account.id, HistoryKind::kUnspecified, before, 2);
    ASSERT_TRUE(Ok(page));
    for (const AccountChange& c : page->items) paged.push_back(c.id);
    sizes.push_back(page->items.size());
    before = page->items.empty() ? before : page->items.back().id;
    more = page->more;
  }
  std::vector<int64_t> all_ids;
  for (const AccountChange& c : all->items) all_ids.push_back(c.id);
  EXPECT_THAT(sizes, ElementsAre(2u, 2u, 2u));
  EXPECT_EQ(paged, all_ids);
  absl::StatusOr<Page<AccountChange>> tier_page =
      store_->ListHistory(account.id, HistoryKind::kTier, tiers->items[0].id, 1);
  ASSERT_TRUE(Ok(tier_page));
  ASSERT_EQ(tier_page->items.size(), 1u);
  EXPECT_EQ(tier_page->items[0].to_value, "TIER_A");
  EXPECT_TRUE(tier_page->more);
}

// --- tags ----------------------------------------------------------------------------------

TEST_F(ArchiveStoreTest, TagsAreSortedFilterableAndRewritten) {
  Account draft = Draft("REG-1");
  draft.tags = {"重点客户", "vip", "Alpha"};
  const Account tagged = MustCreate(draft);
  EXPECT_THAT(tagged.tags, ElementsAre("Alpha", "vip", "重点客户"));
  Account other_draft = Draft("REG-2");
  other_draft.tags = {"vip"};
  const Account other = MustCreate(other_draft);
  MustCreate(Draft("REG-3"));

  absl::StatusOr<Account> read = Read(tagged.id);
  ASSERT_TRUE(Ok(read));
  EXPECT_THAT(read->tags, ElementsAre("Alpha", "vip", "重点客户"));
  EXPECT_THAT(
      Rows(absl::StrCat("SELECT tag FROM account_tags WHERE account_id = ", tagged.id,
                        " ORDER BY tag")),
      UnorderedElementsAre(ElementsAre("Alpha"), ElementsAre("vip"), ElementsAre("重点客户")));
  auto with_tag = [&](const std::string& tag) {
    AccountFilter filter;
    filter.tag = tag;
    return Listed(filter);
  };
  EXPECT_THAT(with_tag("vip"), ElementsAre(tagged.id, other.id));
  EXPECT_THAT(with_tag("重点客户"), ElementsAre(tagged.id));
  EXPECT_THAT(with_tag("none"), IsEmpty());

  Account patch;
  patch.tags = {"战略", "strategic"};
  absl::StatusOr<Account> retagged = Change(tagged.id, patch, {"tags"});
  ASSERT_TRUE(Ok(retagged));
  EXPECT_THAT(retagged->tags, ElementsAre("strategic", "战略"));
  EXPECT_THAT(Rows(absl::StrCat("SELECT tag FROM account_tags WHERE account_id = ", tagged.id)),
              UnorderedElementsAre(ElementsAre("strategic"), ElementsAre("战略")));
  EXPECT_THAT(with_tag("vip"), ElementsAre(other.id));
  EXPECT_THAT(with_tag("strategic"), ElementsAre(tagged.id));
  read = Read(tagged.id);
  ASSERT_TRUE(Ok(read));
  EXPECT_THAT(read->tags, ElementsAre("strategic", "战略"));

  // Tags are free labels compared exactly: ones that differ in case or accents are distinct.
  patch.tags = {"VIP", "vip", "café", "cafe"};
  retagged = Change(tagged.id, patch, {"tags"});
  ASSERT_TRUE(Ok(retagged));
  EXPECT_THAT(retagged->tags, ElementsAre("VIP", "cafe", "café", "vip"));
  EXPECT_EQ(Count("account_tags", absl::StrCat("account_id = ", tagged.id)), 4);
  EXPECT_THAT(with_tag("VIP"), ElementsAre(tagged.id));
  EXPECT_THAT(with_tag("café"), ElementsAre(tagged.id));

  // Clearing them leaves no rows.
  patch.tags.clear();
  ASSERT_TRUE(Ok(Change(tagged.id, patch, {"tags"})));
  EXPECT_EQ(Count("account_tags", absl::StrCat("account_id = ", tagged.id)), 0);
}

// --- contacts ------------------------------------------------------------------------------

TEST_F(ArchiveStoreTest, PersonalNotesAreKeptButNeverAuditedOrPublished) {
  const Account account = MustCreate(Draft("REG-1"));
  Contact draft;
  draft.name = "张伟";
  draft.title = "采购总监";
  draft.email = "zhang.wei@example.cn";
  draft.buying_role = BuyingRole::kDecisionMaker;
  draft.notes.character = "SECRET-character 性格开朗";
  draft.notes.interests = "SECRET-interests 高尔夫";
  draft.notes.family = "SECRET-family 两个孩子";
  draft.notes.education = "SECRET-education 清华大学";
  draft.notes.birth_year = 1971;
  const Mutation create = NextRequest();
  absl::StatusOr<Contact> created =
      store_->CreateContact(create, account.id, kDirector.subject, [&](const AccountView& a) {
        return NewContact(draft, a.account, a.works_on, kDirector, create.now);
      });
  ASSERT_TRUE(Ok(created));
  EXPECT_EQ(created->notes.interests, "SECRET-interests 高尔夫");

  absl::StatusOr<Page<Contact>> listed = store_->ListContacts(account.id, 0, 10);
  ASSERT_TRUE(Ok(listed));
  ASSERT_EQ(listed->items.size(), 1u);
  const Contact& stored = listed->items[0];
  EXPECT_EQ(stored.notes.character, "SECRET-character 性格开朗");
  EXPECT_EQ(stored.notes.interests, "SECRET-interests 高尔夫");
  EXPECT_EQ(stored.notes.family, "SECRET-family 两个孩子");
  EXPECT_EQ(stored.notes.education, "SECRET-education 清华大学");
  EXPECT_EQ(stored.notes.birth_year, 1971);
  absl::StatusOr<std::pair<Contact, AccountView>> got = store_->GetContact(created->id, "mgr-li");
  ASSERT_TRUE(Ok(got));
  EXPECT_EQ(got->first.notes.family, "SECRET-family 两个孩子");
  EXPECT_EQ(got->first.notes.birth_year, 1971);
  EXPECT_EQ(got->second.account.id, account.id);
  EXPECT_TRUE(got->second.works_on);
  EXPECT_TRUE(absl::IsNotFound(store_->GetContact(created->id + 100, "mgr-li").status()));

  // An update of the title and the family note.
  Contact patch;
  patch.title = "副总经理";
  patch.notes.family = "SECRET-family 三个孩子";
  auto update = [&](const std::string& etag, const Mutation& m) {
    return store_->UpdateContact(
        m, created->id, kDirector.subject, [&](const Contact& current, const AccountView& a) {
          return ApplyContactUpdate(current, a.account, a.works_on, patch,
                                    {"title", "personal_notes.family"}, etag, kDirector, m.now);
        });
  };
  absl::StatusOr<Contact> updated = update(Etag(*created), NextRequest());
  ASSERT_TRUE(Ok(updated));
  EXPECT_EQ(updated->version, 2);
  got = store_->GetContact(created->id, "mgr-li");
  ASSERT_TRUE(Ok(got));
  EXPECT_EQ(got->first.title, "副总经理");
  EXPECT_EQ(got->first.notes.family, "SECRET-family 三个孩子");
  EXPECT_EQ(got->first.notes.character, "SECRET-character 性格开朗");

  // The audit trail and the events have the contact, never the notes.
  auto audit = Rows(
      "SELECT action, before_json, after_json, note FROM audit_log "
      "WHERE resource_type = 'contact' ORDER BY id");
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0][0], "contact.created");
  EXPECT_EQ(audit[1][0], "contact.updated");
  EXPECT_EQ(nlohmann::json::parse(audit[1][1]).at("title"), "采购总监");
  EXPECT_EQ(nlohmann::json::parse(audit[1][2]).at("title"), "副总经理");
  auto events =
      Rows("SELECT event_type, payload FROM outbox WHERE aggregate_type = 'contact' ORDER BY id");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0][0], "contact.created");
  EXPECT_EQ(events[1][0], "contact.updated");
  EXPECT_EQ(nlohmann::json::parse(events[0][1]).at("name"), "张伟");
  for (const auto& row : audit) {
    for (const std::string& text : row) {
      EXPECT_THAT(text, ::testing::Not(HasSubstr("SECRET"))) << row[0];
      EXPECT_THAT(text, ::testing::Not(HasSubstr("1971"))) << row[0];
      EXPECT_THAT(text, ::testing::Not(HasSubstr("personal_notes"))) << row[0];
    }
  }
  for (const auto& row : events) {
    EXPECT_THAT(row[1], ::testing::Not(HasSubstr("SECRET"))) << row[0];
    EXPECT_THAT(row[1], ::testing::Not(HasSubstr("1971"))) << row[0];
    EXPECT_THAT(row[1], ::testing::Not(HasSubstr("personal_notes"))) << row[0];
  }

  // A stale etag is refused and changes nothing.
  patch.title = "总经理";
  const auto before = Footprint();
  absl::StatusOr<Contact> stale = update(Etag(*created), NextRequest());
  EXPECT_TRUE(absl::IsAborted(stale.status())) << stale.status();
  got = store_->GetContact(created->id, "mgr-li");
  ASSERT_TRUE(Ok(got));
  EXPECT_EQ(got->first.title, "副总经理");
  EXPECT_EQ(got->first.version, 2);
  EXPECT_EQ(Footprint(), before);
}

}  // namespace
}  // namespace kam::accounts
