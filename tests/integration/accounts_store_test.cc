// AccountStore against a private MariaDB with the shipped migrations: what a client of the
// accounts service would see from storage (fields, idempotency, paging, etags, the audit
// trail and the outbox).
#include <cstdlib>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
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
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

const Principal kDirector{"dir-zhao", {"director"}, ""};
// Microseconds on purpose: DATETIME(6) must keep them.
const absl::Time kNow = absl::FromUnixMicros(1'700'000'000'123'456);
constexpr char kChineseName[] = "华东精细化工集团有限公司";

// Every field, so that EXPECT_EQ on two of these compares whole accounts.
auto Fields(const Account& a) {
  return std::make_tuple(a.id, a.name, a.registration_number, static_cast<int>(a.nature),
                         a.industry, a.region, static_cast<int>(a.scale),
                         static_cast<int>(a.lifecycle_stage), static_cast<int>(a.status),
                         static_cast<int>(a.tier), a.owner_id, a.archived, a.version, a.create_time,
                         a.update_time, a.archive_time);
}

Account Draft(const std::string& registration_number, const std::string& name = kChineseName) {
  Account a;
  a.name = name;
  a.registration_number = registration_number;
  a.nature = Nature::kOrdinaryCompany;
  a.industry = "chemicals";
  a.region = "east";
  a.scale = Scale::kLarge;
  a.lifecycle_stage = LifecycleStage::kRepeat;
  a.tier = Tier::kB;
  a.owner_id = "mgr-li";
  return a;
}

template <typename T>
std::vector<int64_t> Ids(const std::vector<T>& items) {
  std::vector<int64_t> ids;
  ids.reserve(items.size());
  for (const T& item : items) {
    ids.push_back(item.id);
  }
  return ids;
}

class AccountStoreTest : public test_support::SchemaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenSchema("accounts", Migrations(), absl::Seconds(5)));
    store_ = std::make_unique<AccountStore>(*pool_);
  }

  // A mutation by the director; the fingerprint follows the request id unless changed.
  static Mutation Request(const std::string& request_id, absl::Time now = kNow) {
    return {kDirector.subject, request_id, "fp-" + request_id, "trace-" + request_id, now,
            /*note=*/""};
  }
  Mutation NextRequest() { return Request(absl::StrCat("req-", ++requests_)); }

  absl::StatusOr<Account> Create(const Account& draft, const Mutation& m) {
    absl::StatusOr<Account> valid = NewAccount(draft, kDirector, m.now);
    if (!valid.ok()) {
      return valid.status();
    }
    return store_->Create(m, *valid);
  }
  Account MustCreate(const Account& draft) {
    absl::StatusOr<Account> created = Create(draft, NextRequest());
    EXPECT_TRUE(Ok(created)) << draft.registration_number;
    return created.value_or(Account{});
  }
  std::vector<int64_t> CreateMany(int n, const std::string& prefix) {
    std::vector<int64_t> ids;
    ids.reserve(n);
    for (int i = 0; i < n; ++i) {
      ids.push_back(MustCreate(Draft(absl::StrCat(prefix, i))).id);
    }
    return ids;
  }

  // Sets the name the way UpdateAccount does: the pure rule decides under the row lock.
  absl::StatusOr<Account> Rename(int64_t id, const std::string& name, const std::string& etag,
                                 const Mutation& m) {
    Account patch;
    patch.name = name;
    return store_->Update(m, id, kDirector.subject, "updated", [&](const AccountView& current) {
      return ApplyUpdate(current.account, current.works_on, patch, {"name"}, etag, kDirector,
                         m.now);
    });
  }

  absl::StatusOr<Account> Read(int64_t id) {
    absl::StatusOr<AccountView> view = store_->Get(id, "director-1");
    if (!view.ok()) return view.status();
    return view->account;
  }

  absl::StatusOr<Contact> AddContact(int64_t account_id, const std::string& name) {
    const Mutation m = NextRequest();
    Contact draft;
    draft.name = name;
    draft.email = "zhang.wei@example.cn";
    draft.buying_role = BuyingRole::kDecisionMaker;
    return store_->CreateContact(m, account_id, kDirector.subject, [&](const AccountView& account) {
      return NewContact(draft, account.account, account.works_on, kDirector, m.now);
    });
  }

  // Reads every page from the start; `between` runs after each page but the last.
  std::vector<Page<Account>> AllPages(
      const AccountFilter& filter, int page_size, const std::function<void()>& between = [] {}) {
    std::vector<Page<Account>> pages;
    int64_t after = 0;
    do {
      absl::StatusOr<Page<Account>> page = store_->List(filter, after, page_size);
      if (!page.ok() || pages.size() > 100) {
        ADD_FAILURE() << page.status() << " after " << pages.size() << " pages";
        break;
      }
      pages.push_back(*page);
      after = page->items.empty() ? after : page->items.back().id;
      if (page->more) {
        between();
      }
    } while (pages.back().more);
    return pages;
  }

  // The rows as root sees them, one vector of fields per row.
  std::vector<std::vector<std::string>> Rows(const std::string& sql) const {
    absl::StatusOr<std::string> out =
        server_->QueryAsRoot(absl::StrCat("USE ", schema_, "; ", sql));
    EXPECT_TRUE(Ok(out)) << sql;
    std::vector<std::vector<std::string>> rows;
    if (!out.ok()) {
      return rows;
    }
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
  // Rows written by a request: the account, its audit row, its event and its request id.
  std::vector<int> Written() const {
    return {Count("accounts"), Count("audit_log"), Count("outbox"), Count("idempotency_keys")};
  }

  std::unique_ptr<AccountStore> store_;
  int requests_ = 0;
};

// --- create and get ------------------------------------------------------------------------

TEST_F(AccountStoreTest, CreatedAccountReadsBackUnchanged) {
  absl::StatusOr<Account> created = Create(Draft("91310000MA1K"), NextRequest());
  ASSERT_TRUE(Ok(created));
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->version, 1);
  EXPECT_EQ(created->name, kChineseName);
  EXPECT_EQ(created->status, AccountStatus::kActive);
  EXPECT_EQ(created->create_time, kNow);

  absl::StatusOr<Account> read = Read(created->id);
  ASSERT_TRUE(Ok(read));
  EXPECT_EQ(Fields(*read), Fields(*created));
  EXPECT_TRUE(absl::IsNotFound(Read(created->id + 1000).status()));
}

TEST_F(AccountStoreTest, CreateWritesOneAuditRowAndOneEventWithTheAccount) {
  absl::StatusOr<Account> created = Create(Draft("REG-1"), Request("req-create"));
  ASSERT_TRUE(Ok(created));
  const std::string id = absl::StrCat(created->id);
  EXPECT_THAT(
      Rows("SELECT actor, action, resource_type, resource_id, request_id FROM audit_log"),
      ElementsAre(ElementsAre("dir-zhao", "account.created", "account", id, "trace-req-create")));
  auto events = Rows("SELECT event_type, aggregate_id, payload FROM outbox");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0][0], "account.created");
  EXPECT_EQ(events[0][1], id);
  const nlohmann::json payload = nlohmann::json::parse(events[0][2]);
  EXPECT_EQ(payload.at("name"), kChineseName);
  EXPECT_EQ(payload.at("id"), created->id);
}

TEST_F(AccountStoreTest, DuplicateRegistrationNumberWritesNothing) {
  ASSERT_TRUE(Ok(Create(Draft("REG-1"), NextRequest())));
  const std::vector<int> before = Written();

  absl::StatusOr<Account> duplicate = Create(Draft("REG-1", "另一家公司"), NextRequest());
  EXPECT_TRUE(absl::IsAlreadyExists(duplicate.status())) << duplicate.status();
  EXPECT_THAT(duplicate.status().message(), HasSubstr("account.registration_number"));
  EXPECT_EQ(Written(), before);
}

// --- idempotency ---------------------------------------------------------------------------

TEST_F(AccountStoreTest, RetriedRequestReturnsTheFirstResult) {
  absl::StatusOr<Account> first = Create(Draft("REG-1"), Request("req-retry"));
  ASSERT_TRUE(Ok(first));
  absl::StatusOr<Account> retry =
      Create(Draft("REG-1"), Request("req-retry", kNow + absl::Seconds(5)));
  ASSERT_TRUE(Ok(retry));
  EXPECT_EQ(Fields(*retry), Fields(*first));
  EXPECT_EQ(Count("accounts"), 1);
  EXPECT_EQ(Count("outbox"), 1);
}

TEST_F(AccountStoreTest, RequestIdReusedForAnotherRequestIsRefused) {
  ASSERT_TRUE(Ok(Create(Draft("REG-1"), Request("req-shared"))));
  Mutation other = Request("req-shared");
  other.fingerprint = "fp-some-other-request";
  absl::StatusOr<Account> refused = Create(Draft("REG-2"), other);
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("request_id"));
  EXPECT_EQ(Count("accounts"), 1);
}

TEST_F(AccountStoreTest, SameRequestIdFromAnotherActorIsASeparateRequest) {
  absl::StatusOr<Account> mine = Create(Draft("REG-1"), Request("req-1"));
  Mutation theirs = Request("req-1");
  theirs.actor = "erp-feed";
  absl::StatusOr<Account> other = Create(Draft("REG-2"), theirs);
  ASSERT_TRUE(Ok(mine));
  ASSERT_TRUE(Ok(other));
  EXPECT_NE(other->id, mine->id);
  EXPECT_EQ(Count("accounts"), 2);
}

// Subjects and request ids are case-sensitive identifiers: a case-insensitive collation would
// let "Bob" read bob's accounts and merge two requests that differ only in case.
TEST_F(AccountStoreTest, IdentifiersCompareExactly) {
  Mutation upper = Request("REQ-CASE");
  Mutation lower = Request("req-case");
  lower.actor = "DIR-ZHAO";
  ASSERT_TRUE(Ok(Create(Draft("REG-1"), upper)));
  ASSERT_TRUE(Ok(Create(Draft("REG-2"), lower)));
  EXPECT_EQ(Count("accounts"), 2);

  Account bobs = Draft("REG-3");
  bobs.owner_id = "Bob";
  MustCreate(bobs);
  // (Trailing spaces still compare equal under utf8mb4_bin, a PAD SPACE collation on both
  // MariaDB and MySQL; subjects and owner ids with spaces are refused before SQL.)
  for (const char* lookalike : {"bob", "BOB", "bOb"}) {
    AccountFilter filter;
    filter.owner_id = lookalike;
    absl::StatusOr<Page<Account>> page = store_->List(filter, 0, 50);
    ASSERT_TRUE(Ok(page));
    EXPECT_TRUE(page->items.empty()) << "\"" << lookalike << "\" sees Bob's account";
  }
}

TEST_F(AccountStoreTest, MutationNoteIsKeptInTheAuditTrail) {
  const Account account = MustCreate(Draft("REG-1"));
  Mutation archive = NextRequest();
  archive.note = "merged into 华东 group";
  ASSERT_TRUE(Ok(store_->Archive(
      archive, account.id, kDirector.subject, [&](const AccountView& current, int live) {
        return Archive(current.account, archive.note, live, kDirector, archive.now);
      })));
  EXPECT_THAT(Rows("SELECT note FROM audit_log WHERE action = 'account.archived'"),
              ElementsAre(ElementsAre("merged into 华东 group")));
}

TEST_F(AccountStoreTest, ConcurrentDuplicatesCreateOneAccount) {
  constexpr int kClients = 8;
  std::vector<absl::StatusOr<Account>> results(kClients, absl::UnknownError("not run"));
  RunConcurrently(kClients,
                  [&](int i) { results[i] = Create(Draft("REG-1"), Request("req-race")); });
  for (const auto& result : results) {
    ASSERT_TRUE(Ok(result));
    EXPECT_EQ(result->id, results[0]->id);
    EXPECT_EQ(result->create_time, kNow);
  }
  EXPECT_EQ(Written(), (std::vector<int>{1, 1, 1, 1}));
}

// --- list ----------------------------------------------------------------------------------

TEST_F(AccountStoreTest, ListFiltersMatchLiterally) {
  auto seed = [&](const std::string& name, const std::string& owner, Tier tier,
                  const std::string& industry, const std::string& region) {
    Account draft = Draft(absl::StrCat("REG-", Count("accounts")), name);
    draft.owner_id = owner;
    draft.industry = industry;
    draft.region = region;
    const Account created = MustCreate(draft);
    absl::StatusOr<Account> tiered = store_->Update(
        NextRequest(), created.id, kDirector.subject, "tier_changed", [&](const AccountView& a) {
          return ApplyTier(a.account, tier, "seed", "", kDirector, kNow);
        });
    EXPECT_TRUE(Ok(tiered));
    return tiered.value_or(created);
  };
  seed("Alpha 化工", "mgr-li", Tier::kA, "chemicals", "east");
  seed("Beta Steel", "mgr-wang", Tier::kB, "steel", "north");
  seed("100% Pure Co", "mgr-li", Tier::kB, "steel", "east");
  seed("100 Percent", "mgr-wang", Tier::kA, "food", "south");
  seed("A_B Corp", "mgr-wang", Tier::kC, "food", "north");
  seed("AXB Corp", "mgr-wang", Tier::kC, "food", "north");
  const Account archived = seed("Alpha Archived", "mgr-li", Tier::kA, "chemicals", "east");
  ASSERT_TRUE(Ok(store_->Archive(
      NextRequest(), archived.id, kDirector.subject, [](const AccountView& a, int live) {
        return Archive(a.account, "customer closed", live, kDirector, kNow);
      })));

  // Names of the accounts a filter lets through, in id order.
  auto names = [&](const std::function<void(AccountFilter&)>& set) {
    AccountFilter filter;
    set(filter);
    absl::StatusOr<Page<Account>> page = store_->List(filter, 0, 500);
    EXPECT_TRUE(Ok(page));
    std::vector<std::string> out;
    for (const Account& a : page.value_or(Page<Account>{}).items) {
      out.push_back(a.name);
    }
    return out;
  };
  EXPECT_THAT(names([](AccountFilter& f) { f.owner_id = "mgr-li"; }),
              ElementsAre("Alpha 化工", "100% Pure Co"));
  EXPECT_THAT(names([](AccountFilter& f) {
                f.owner_id = "mgr-li";
                f.include_archived = true;
              }),
              ElementsAre("Alpha 化工", "100% Pure Co", "Alpha Archived"));
  EXPECT_THAT(names([](AccountFilter& f) { f.tier = Tier::kA; }),
              ElementsAre("Alpha 化工", "100 Percent"));
  EXPECT_THAT(names([](AccountFilter& f) { f.industry = "steel"; }),
              ElementsAre("Beta Steel", "100% Pure Co"));
  EXPECT_THAT(names([](AccountFilter& f) { f.region = "north"; }),
              ElementsAre("Beta Steel", "A_B Corp", "AXB Corp"));
  EXPECT_THAT(names([](AccountFilter& f) {
                f.owner_id = "mgr-li";
                f.tier = Tier::kB;
              }),
              ElementsAre("100% Pure Co"));
  // '%' and '_' in a prefix are characters, not LIKE wildcards.
  const std::vector<std::pair<std::string, std::vector<std::string>>> prefixes = {
      {"Alpha", {"Alpha 化工"}},
      {"100", {"100% Pure Co", "100 Percent"}},
      {"100%", {"100% Pure Co"}},
      {"A_B", {"A_B Corp"}},
      {"%", {}},
      {"nobody", {}},
  };
  for (const auto& [prefix, expected] : prefixes) {
    const std::string literal = prefix;  // a lambda may not capture a structured binding
    EXPECT_EQ(names([&](AccountFilter& f) { f.name_prefix = literal; }), expected) << prefix;
  }
}

TEST_F(AccountStoreTest, KeysetPagingServesEveryAccountOnce) {
  const std::vector<int64_t> ids = CreateMany(120, "REG-");
  const std::vector<Page<Account>> pages = AllPages({}, 50);
  std::vector<size_t> sizes;
  std::vector<int64_t> seen;
  for (const Page<Account>& page : pages) {
    sizes.push_back(page.items.size());
    const std::vector<int64_t> page_ids = Ids(page.items);
    seen.insert(seen.end(), page_ids.begin(), page_ids.end());
  }
  EXPECT_THAT(sizes, ElementsAre(50u, 50u, 20u));
  EXPECT_EQ(seen, ids) << "ascending ids, none skipped or repeated";
}

TEST_F(AccountStoreTest, PagesStayStableWhileAccountsAreAdded) {
  const std::vector<int64_t> originals = CreateMany(120, "OLD-");
  std::vector<int64_t> added;
  const std::vector<Page<Account>> pages = AllPages({}, 50, [&] {
    const std::vector<int64_t> batch = CreateMany(7, absl::StrCat("NEW-", added.size(), "-"));
    added.insert(added.end(), batch.begin(), batch.end());
  });
  std::vector<int64_t> seen;
  for (const Page<Account>& page : pages) {
    const std::vector<int64_t> page_ids = Ids(page.items);
    seen.insert(seen.end(), page_ids.begin(), page_ids.end());
  }
  std::vector<int64_t> expected = originals;
  expected.insert(expected.end(), added.begin(), added.end());
  EXPECT_EQ(added.size(), 14u);
  EXPECT_EQ(seen, expected) << "originals once each, in order; new accounts only at the end";
}

// --- update --------------------------------------------------------------------------------

TEST_F(AccountStoreTest, StaleEtagIsAbortedAndChangesNothing) {
  const Account created = MustCreate(Draft("REG-1"));
  const std::vector<int> before = Written();
  absl::StatusOr<Account> stale = Rename(created.id, "新名称", "v0", NextRequest());
  EXPECT_TRUE(absl::IsAborted(stale.status())) << stale.status();
  absl::StatusOr<Account> read = Read(created.id);
  ASSERT_TRUE(Ok(read));
  EXPECT_EQ(Fields(*read), Fields(created));
  EXPECT_EQ(Written(), before);
}

TEST_F(AccountStoreTest, UpdateBumpsVersionAndRecordsBeforeAndAfter) {
  const Account created = MustCreate(Draft("REG-1"));
  const absl::Time later = kNow + absl::Milliseconds(1500);
  absl::StatusOr<Account> updated =
      Rename(created.id, "新名称", Etag(created), Request("req-up", later));
  ASSERT_TRUE(Ok(updated));
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->name, "新名称");
  EXPECT_EQ(updated->update_time, later);
  EXPECT_EQ(updated->create_time, created.create_time);
  absl::StatusOr<Account> read = Read(created.id);
  ASSERT_TRUE(Ok(read));
  EXPECT_EQ(Fields(*read), Fields(*updated));

  const std::string id = absl::StrCat(created.id);
  auto audit =
      Rows("SELECT before_json, after_json FROM audit_log WHERE action = 'account.updated'");
  ASSERT_EQ(audit.size(), 1u);
  const nlohmann::json before = nlohmann::json::parse(audit[0][0]);
  const nlohmann::json after = nlohmann::json::parse(audit[0][1]);
  EXPECT_EQ(before.at("name"), kChineseName);
  EXPECT_EQ(before.at("version"), 1);
  EXPECT_EQ(after.at("name"), "新名称");
  EXPECT_EQ(after.at("version"), 2);
  EXPECT_THAT(Rows("SELECT aggregate_id FROM outbox WHERE event_type = 'account.updated'"),
              ElementsAre(ElementsAre(id)));
}

TEST_F(AccountStoreTest, ConcurrentUpdatesWithOneEtagLetExactlyOneWin) {
  const Account created = MustCreate(Draft("REG-1"));
  const std::string names[2] = {"甲公司", "乙公司"};
  absl::StatusOr<Account> results[2];
  RunConcurrently(2, [&](int i) {
    results[i] =
        Rename(created.id, names[i], Etag(created), Request(absl::StrCat("req-", names[i])));
  });
  ASSERT_NE(results[0].ok(), results[1].ok())
      << results[0].status() << " / " << results[1].status();
  const int winner = results[0].ok() ? 0 : 1;
  EXPECT_TRUE(absl::IsAborted(results[1 - winner].status())) << results[1 - winner].status();
  absl::StatusOr<Account> read = Read(created.id);
  ASSERT_TRUE(Ok(read));
  EXPECT_EQ(read->name, names[winner]);
  EXPECT_EQ(read->version, 2);
  EXPECT_EQ(Count("audit_log", "action = 'account.updated'"), 1);
}

// --- contacts ------------------------------------------------------------------------------

TEST_F(AccountStoreTest, ContactsPageInCreationOrder) {
  const Account account = MustCreate(Draft("REG-1"));
  const Account other = MustCreate(Draft("REG-2"));
  ASSERT_TRUE(Ok(AddContact(other.id, "不相关")));
  std::vector<int64_t> added;
  for (const char* name : {"张伟", "王芳", "李娜", "刘洋", "陈静"}) {
    absl::StatusOr<Contact> contact = AddContact(account.id, name);
    ASSERT_TRUE(Ok(contact));
    added.push_back(contact->id);
  }

  std::vector<int64_t> seen;
  std::vector<size_t> sizes;
  int64_t after = 0;
  for (bool more = true; more && sizes.size() < 10;) {
    absl::StatusOr<Page<Contact>> page = store_->ListContacts(account.id, after, 2);
    ASSERT_TRUE(Ok(page));
    for (const Contact& c : page->items) {
      EXPECT_EQ(c.account_id, account.id);
      seen.push_back(c.id);
    }
    sizes.push_back(page->items.size());
    after = page->items.empty() ? after : page->items.back().id;
    more = page->more;
  }
  EXPECT_THAT(sizes, ElementsAre(2u, 2u, 1u));
  EXPECT_EQ(seen, added);

  absl::StatusOr<Page<Contact>> first = store_->ListContacts(account.id, 0, 1);
  ASSERT_TRUE(Ok(first));
  ASSERT_EQ(first->items.size(), 1u);
  EXPECT_EQ(first->items[0].name, "张伟");
  EXPECT_EQ(first->items[0].email, "zhang.wei@example.cn");
  EXPECT_EQ(first->items[0].buying_role, BuyingRole::kDecisionMaker);
  EXPECT_EQ(first->items[0].create_time, kNow);
}

TEST_F(AccountStoreTest, ContactOnMissingAccountIsNotFoundAndWritesNothing) {
  absl::StatusOr<Contact> contact = AddContact(424242, "张伟");
  EXPECT_TRUE(absl::IsNotFound(contact.status())) << contact.status();
  EXPECT_EQ(Count("contacts"), 0);
  EXPECT_EQ(Written(), (std::vector<int>{0, 0, 0, 0}));
}

}  // namespace
}  // namespace kam::accounts
