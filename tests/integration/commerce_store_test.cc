// CommerceStore against a private MariaDB with the shipped migrations: orders, payments and
// contracts as the ERP and the account team would see them (idempotency, receivables, the
// credit gate under concurrency) and the group summary over real hierarchies.
#include "services/accounts/commerce_store.h"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "embedded_migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/accounts/commerce.h"
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
using ::testing::HasSubstr;

const Principal kDirector{"dir-zhao", {"director"}, ""};
const Principal kErp{"erp-feed", {"system"}, ""};
// Microseconds on purpose: DATETIME(6) must keep them.
const absl::Time kNow = absl::FromUnixMicros(1'700'000'000'123'456);
const SalesPeriod kThisMonth{kNow - absl::Hours(24 * 15), kNow + absl::Hours(24 * 15)};

absl::Time Utc(int year, int month, int day, int hour = 0) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, 0, 0), absl::UTCTimeZone());
}

// An order of `revenue` in two lines (3/4 and 1/4), its cost 60% of the revenue.
Order DraftOrder(int64_t account, const std::string& external_id, int64_t revenue,
                 absl::Time at = kNow - absl::Hours(1)) {
  Order o;
  o.account_id = account;
  o.external_id = external_id;
  o.order_time = at;
  const int64_t second = revenue / 4;
  o.lines = {{"P-100", "steel pipe", 20, revenue - second, (revenue - second) * 6 / 10},
             {"V/200.b", "阀门", 3, second, second * 6 / 10}};
  return o;
}

Payment DraftPayment(int64_t account, const std::string& external_id, int64_t amount,
                     absl::Time at = kNow - absl::Minutes(5)) {
  Payment p;
  p.account_id = account;
  p.external_id = external_id;
  p.amount_minor = amount;
  p.pay_time = at;
  return p;
}

class CommerceStoreTest : public test_support::SchemaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenSchema("commerce", Migrations(), absl::Seconds(10)));
    accounts_ = std::make_unique<AccountStore>(*pool_);
    commerce_ = std::make_unique<CommerceStore>(*pool_);
  }

  // A mutation by `actor`; the fingerprint follows the request id.
  static Mutation Request(const std::string& request_id, const std::string& actor = "erp-feed",
                          absl::Time now = kNow) {
    return {actor, request_id, "fp-" + request_id, "trace-" + request_id, now, /*note=*/""};
  }
  Mutation NextRequest(const std::string& actor = "erp-feed") {
    return Request(absl::StrCat("req-", ++requests_), actor);
  }

  // An account owned by `owner`, below `parent` (0: none), with a credit limit (0: none).
  int64_t MakeAccount(const std::string& owner = "mgr-li", int64_t parent = 0, int64_t limit = 0) {
    Account draft;
    draft.name = absl::StrCat("华东客户 ", ++accounts_made_);
    draft.registration_number = absl::StrCat("REG-", accounts_made_);
    draft.nature = Nature::kOrdinaryCompany;
    draft.owner_id = owner;
    draft.parent_id = parent;
    absl::StatusOr<Account> valid = NewAccount(draft, kDirector, kNow);
    EXPECT_TRUE(Ok(valid));
    absl::StatusOr<Account> created = accounts_->Create(NextRequest("dir-zhao"), *valid);
    EXPECT_TRUE(Ok(created));
    if (limit != 0) SetLimit(created->id, limit);
    return created.value_or(Account{}).id;
  }
  void SetLimit(int64_t account, int64_t limit) {
    Exec(absl::StrCat("UPDATE accounts SET credit_limit_minor = ", limit, " WHERE id = ", account));
  }
  // What the archive's UpdateAccount will do; direct SQL until it is built.
  void Move(int64_t account, int64_t parent) {
    Exec(absl::StrCat("UPDATE accounts SET parent_id = ", parent, " WHERE id = ", account));
  }

  static CommerceStore::AccountRule AdmitAs(const Principal& caller) {
    return [caller](const AccountView& v) { return MayRecordSales(caller, v.works_on); };
  }
  static CommerceStore::CreditRule GateFor(int64_t revenue, absl::Time now) {
    return [=](const CreditPosition& p) { return CheckCreditGate(p, revenue, now, "CNY"); };
  }

  // RecordOrder as the service calls it.
  absl::StatusOr<Order> Record(const Order& draft, const Mutation& m,
                               const Principal& caller = kErp) {
    absl::StatusOr<Order> valid = NewOrder(draft, m.now);
    if (!valid.ok()) return valid.status();
    return commerce_->RecordOrder(m, *valid, AdmitAs(caller), GateFor(valid->revenue_minor, m.now));
  }
  absl::StatusOr<Order> Record(const Order& draft) { return Record(draft, NextRequest()); }
  absl::StatusOr<Recorded<Order>> Import(const Order& draft, absl::Time now = kNow) {
    absl::StatusOr<Order> valid = NewOrder(draft, now);
    if (!valid.ok()) return valid.status();
    return commerce_->ImportOrder(Request("", "erp-feed", now), *valid, AdmitAs(kErp),
                                  GateFor(valid->revenue_minor, now));
  }
  absl::StatusOr<Payment> Pay(const Payment& draft, const Mutation& m) {
    absl::StatusOr<Payment> valid = NewPayment(draft, m.now);
    if (!valid.ok()) return valid.status();
    return commerce_->RecordPayment(m, *valid, AdmitAs(kErp));
  }
  absl::StatusOr<Payment> Pay(const Payment& draft) { return Pay(draft, NextRequest()); }
  absl::StatusOr<CreditOverride> Grant(int64_t account, int64_t allowance,
                                       absl::Time expires = kNow + absl::Hours(24)) {
    CreditOverride o;
    o.account_id = account;
    o.allowance_minor = allowance;
    o.reason = "年底备货, 总监批准";
    o.expire_time = expires;
    absl::StatusOr<CreditOverride> valid = NewCreditOverride(o, "dir-zhao", kNow);
    if (!valid.ok()) return valid.status();
    return commerce_->GrantCreditOverride(
        NextRequest("dir-zhao"), *valid,
        [](const AccountView& v) { return MayWorkOn(kDirector, v.works_on, v.account); });
  }

  GroupSummary Summary(int64_t account, const SalesPeriod& period = kThisMonth,
                       const std::string& member = "") {
    absl::StatusOr<GroupTotals> totals = commerce_->GroupTotalsOf(account, period, member);
    EXPECT_TRUE(Ok(totals));
    absl::StatusOr<GroupSummary> summary = Summarize(totals.value_or(GroupTotals{}));
    EXPECT_TRUE(Ok(summary));
    return summary.value_or(GroupSummary{});
  }

  void Exec(const std::string& sql) const {
    ASSERT_TRUE(Ok(server_->ExecAsRoot(absl::StrCat("USE ", schema_, "; ", sql)))) << sql;
  }
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
  int64_t Number(const std::string& sql) const {
    auto rows = Rows(sql);
    return rows.empty() ? -1 : std::atoll(rows[0][0].c_str());
  }
  int64_t Count(const std::string& table, const std::string& where = "TRUE") const {
    return Number(absl::StrCat("SELECT COUNT(*) FROM ", table, " WHERE ", where));
  }
  int64_t Receivable(int64_t account) const {
    return Number(absl::StrCat("SELECT receivable_minor FROM accounts WHERE id = ", account));
  }
  // Rows a sale writes: orders, lines, payments, audit rows, events.
  std::vector<int64_t> Written() const {
    auto rows = Rows(
        "SELECT (SELECT COUNT(*) FROM orders), (SELECT COUNT(*) FROM order_lines), "
        "(SELECT COUNT(*) FROM payments), (SELECT COUNT(*) FROM audit_log), "
        "(SELECT COUNT(*) FROM outbox)");
    std::vector<int64_t> counts;
    for (const std::string& field : rows.empty() ? std::vector<std::string>{} : rows[0]) {
      counts.push_back(std::atoll(field.c_str()));
    }
    return counts;
  }

  std::unique_ptr<AccountStore> accounts_;
  std::unique_ptr<CommerceStore> commerce_;
  int requests_ = 0;
  int accounts_made_ = 0;
};

// --- orders ---------------------------------------------------------------------------------

TEST_F(CommerceStoreTest, OrderReadsBackWithItsLinesAuditAndEvent) {
  const int64_t account = MakeAccount();
  absl::StatusOr<Order> recorded =
      Record(DraftOrder(account, "ERP-0001", 1'000'00), Request("req-order"));
  ASSERT_TRUE(Ok(recorded));
  EXPECT_GT(recorded->id, 0);
  EXPECT_EQ(recorded->revenue_minor, 1'000'00);
  EXPECT_EQ(recorded->cost_minor, 600'00);
  EXPECT_EQ(Receivable(account), 1'000'00);

  absl::StatusOr<Page<Order>> page = commerce_->ListOrders(account, std::nullopt, 0, 10);
  ASSERT_TRUE(Ok(page));
  ASSERT_EQ(page->items.size(), 1u);
  const Order& read = page->items[0];
  EXPECT_EQ(read.id, recorded->id);
  EXPECT_EQ(read.external_id, "ERP-0001");
  EXPECT_EQ(read.order_time, kNow - absl::Hours(1));
  EXPECT_EQ(read.create_time, kNow);
  ASSERT_EQ(read.lines.size(), 2u);
  EXPECT_EQ(read.lines[1].product_code, "V/200.b");
  EXPECT_EQ(read.lines[1].product_category, "阀门");
  EXPECT_EQ(read.lines[1].quantity, 3);
  EXPECT_EQ(read.lines[0].revenue_minor + read.lines[1].revenue_minor, 1'000'00);

  const std::string id = absl::StrCat(recorded->id);
  EXPECT_THAT(Rows("SELECT actor, action, resource_id, request_id FROM audit_log "
                   "WHERE resource_type = 'order'"),
              ElementsAre(ElementsAre("erp-feed", "order.recorded", id, "trace-req-order")));
  auto events = Rows("SELECT event_type, payload FROM outbox WHERE aggregate_type = 'order'");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0][0], "order.recorded");
  const Order from_event = OrderFromJson(nlohmann::json::parse(events[0][1]));
  EXPECT_EQ(from_event.lines.size(), 2u);
  EXPECT_EQ(from_event.revenue_minor, 1'000'00);

  // 77 lines are written in chunks of 64, 8, 4 and 1 and read back in their order.
  Order many = DraftOrder(account, "ERP-0002", 0);
  many.lines.clear();
  for (int i = 0; i < 77; ++i) many.lines.push_back({absl::StrCat("P-", i), "pipe", 1, i, 0});
  ASSERT_TRUE(Ok(Record(many)));
  page = commerce_->ListOrders(account, std::nullopt, 0, 1);
  ASSERT_TRUE(Ok(page));
  ASSERT_EQ(page->items.size(), 1u);
  ASSERT_EQ(page->items[0].lines.size(), 77u);
  for (int i = 0; i < 77; ++i) {
    EXPECT_EQ(page->items[0].lines[i].product_code, absl::StrCat("P-", i));
  }
  EXPECT_EQ(page->items[0].revenue_minor, 77 * 76 / 2);
}

TEST_F(CommerceStoreTest, SameExternalIdSameContentIsTheEarlierOrder) {
  const int64_t account = MakeAccount();
  absl::StatusOr<Order> first = Record(DraftOrder(account, "ERP-1", 500'00));
  ASSERT_TRUE(Ok(first));
  const std::vector<int64_t> after_first = Written();

  absl::StatusOr<Order> again = Record(DraftOrder(account, "ERP-1", 500'00));  // new request id
  ASSERT_TRUE(Ok(again));
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(again->lines.size(), 2u);
  absl::StatusOr<Recorded<Order>> imported = Import(DraftOrder(account, "ERP-1", 500'00));
  ASSERT_TRUE(Ok(imported));
  EXPECT_TRUE(imported->duplicate);
  EXPECT_EQ(imported->record.id, first->id);

  EXPECT_EQ(Written(), after_first);
  EXPECT_EQ(Receivable(account), 500'00);  // counted once
}

TEST_F(CommerceStoreTest, SameExternalIdOtherContentIsRefused) {
  const int64_t account = MakeAccount();
  ASSERT_TRUE(Ok(Record(DraftOrder(account, "ERP-1", 500'00))));
  const int64_t other_account = MakeAccount();
  const std::vector<int64_t> before = Written();

  Order changed = DraftOrder(account, "ERP-1", 500'00);
  changed.lines[0].quantity += 1;
  absl::StatusOr<Order> refused = Record(changed);
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << refused.status();
  EXPECT_EQ(refused.status().message(), "order.external_id: already used for a different order");
  EXPECT_EQ(Written(), before);
  EXPECT_EQ(Receivable(account), 500'00);

  // External ids are scoped to their account: another account's "ERP-1" is its own order,
  // so nobody can probe or block the ids of accounts they cannot see.
  absl::StatusOr<Recorded<Order>> imported = Import(DraftOrder(other_account, "ERP-1", 500'00));
  ASSERT_TRUE(Ok(imported));
  EXPECT_FALSE(imported->duplicate);
  EXPECT_EQ(Receivable(other_account), 500'00);
  EXPECT_EQ(Receivable(account), 500'00);
}

TEST_F(CommerceStoreTest, RetryWithTheSameRequestIdReturnsTheFirstResult) {
  const int64_t account = MakeAccount();
  absl::StatusOr<Order> first = Record(DraftOrder(account, "ERP-1", 500'00), Request("req-o"));
  ASSERT_TRUE(Ok(first));
  // Meanwhile supply was suspended: the retry still answers what was done.
  Exec(absl::StrCat("UPDATE accounts SET status = 2 WHERE id = ", account));
  const std::vector<int64_t> before = Written();
  absl::StatusOr<Order> retry = Record(DraftOrder(account, "ERP-1", 500'00),
                                       Request("req-o", "erp-feed", kNow + absl::Seconds(30)));
  ASSERT_TRUE(Ok(retry));
  EXPECT_EQ(retry->id, first->id);
  EXPECT_EQ(retry->create_time, kNow);
  EXPECT_EQ(Written(), before);
  // A new order is refused now.
  absl::StatusOr<Order> refused = Record(DraftOrder(account, "ERP-2", 1));
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()));
  EXPECT_EQ(refused.status().message(),
            absl::StrCat("supply to account ", account, " is suspended"));
}

TEST_F(CommerceStoreTest, ConcurrentSendsOfOneOrderRecordItOnce) {
  const int64_t group = MakeAccount();
  const int64_t a = MakeAccount("mgr-li", group);
  constexpr int kSenders = 6;
  std::vector<absl::StatusOr<Recorded<Order>>> results(kSenders, absl::UnknownError("unset"));
  RunConcurrently(kSenders, [&](int i) { results[i] = Import(DraftOrder(a, "ERP-RACE", 100'00)); });
  int fresh = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(r->record.id, results[0]->record.id);
    fresh += r->duplicate ? 0 : 1;
  }
  EXPECT_EQ(fresh, 1);
  EXPECT_EQ(Count("orders"), 1);
  EXPECT_EQ(Receivable(a), 100'00);
}

TEST_F(CommerceStoreTest, ContractMustBeOfTheAccount) {
  const int64_t a = MakeAccount();
  const int64_t b = MakeAccount();
  Contract draft;
  draft.account_id = b;
  draft.number = "HT-B-1";
  draft.value_minor = 1'000'00;
  draft.start_time = kNow;
  draft.end_time = kNow + absl::Hours(24 * 365);
  absl::StatusOr<Contract> contract = commerce_->CreateContract(
      NextRequest("dir-zhao"), *NewContract(draft, kNow),
      [](const AccountView& v) { return MayWorkOn(kDirector, v.works_on, v.account); });
  ASSERT_TRUE(Ok(contract));
  Order order = DraftOrder(a, "ERP-1", 100'00);
  order.contract_id = contract->id;
  absl::StatusOr<Order> refused = Record(order);
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status()));
  EXPECT_THAT(refused.status().message(), HasSubstr("order.contract_id"));
  order.account_id = b;
  absl::StatusOr<Order> recorded = Record(order);
  ASSERT_TRUE(Ok(recorded));
  EXPECT_EQ(recorded->contract_id, contract->id);
}

TEST_F(CommerceStoreTest, MissingAndArchivedAccountsTakeNoOrders) {
  absl::StatusOr<Order> missing = Record(DraftOrder(987654, "ERP-1", 1));
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  const int64_t a = MakeAccount();
  Exec(absl::StrCat("UPDATE accounts SET archived = TRUE WHERE id = ", a));
  absl::StatusOr<Order> archived = Record(DraftOrder(a, "ERP-1", 1));
  EXPECT_TRUE(absl::IsFailedPrecondition(archived.status())) << archived.status();
  absl::StatusOr<Payment> payment = Pay(DraftPayment(a, "PAY-1", 1));
  EXPECT_TRUE(absl::IsFailedPrecondition(payment.status())) << payment.status();
  EXPECT_EQ(Written()[0], 0);
}

TEST_F(CommerceStoreTest, ManagersRecordOnlyOnAccountsTheyWorkOn) {
  const int64_t theirs = MakeAccount("mgr-li");
  const int64_t others = MakeAccount("mgr-wang");
  const Principal li{"mgr-li", {"account_manager"}, ""};
  EXPECT_TRUE(Ok(Record(DraftOrder(theirs, "ERP-1", 1), NextRequest("mgr-li"), li)));
  absl::StatusOr<Order> denied = Record(DraftOrder(others, "ERP-2", 1), NextRequest("mgr-li"), li);
  EXPECT_TRUE(absl::IsPermissionDenied(denied.status())) << denied.status();
}

TEST_F(CommerceStoreTest, ReceivablesThatWouldLeaveInt64AreRefusedNamingTheField) {
  const int64_t a = MakeAccount();
  Exec(absl::StrCat("UPDATE accounts SET receivable_minor = 9223372036854775800 WHERE id = ", a));
  const std::vector<int64_t> before = Written();
  absl::StatusOr<Order> refused = Record(DraftOrder(a, "ERP-1", 100));
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("order.revenue"));
  EXPECT_EQ(Written(), before);
}

// --- payments and receivables ---------------------------------------------------------------

TEST_F(CommerceStoreTest, ReceivablesFollowOrdersAndPayments) {
  const int64_t a = MakeAccount();
  absl::StatusOr<Order> order = Record(DraftOrder(a, "ERP-1", 10'000'00));
  ASSERT_TRUE(Ok(order));
  ASSERT_TRUE(Ok(Record(DraftOrder(a, "ERP-2", 2'000'00))));
  Payment settles = DraftPayment(a, "BANK-1", 3'000'00);
  settles.order_id = order->id;
  absl::StatusOr<Payment> paid = Pay(settles, Request("req-pay"));
  ASSERT_TRUE(Ok(paid));
  EXPECT_EQ(paid->order_id, order->id);
  EXPECT_EQ(Receivable(a), 9'000'00);

  // The same payment again changes nothing; other content under its id is refused.
  absl::StatusOr<Payment> again = Pay(settles);
  ASSERT_TRUE(Ok(again));
  EXPECT_EQ(again->id, paid->id);
  Payment other = settles;
  other.amount_minor += 1;
  absl::StatusOr<Payment> refused = Pay(other);
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status()));
  EXPECT_EQ(refused.status().message(),
            "payment.external_id: already used for a different payment");
  // An order of another account cannot be settled here.
  const int64_t b = MakeAccount();
  Payment wrong = DraftPayment(b, "BANK-2", 1'00);
  wrong.order_id = order->id;
  EXPECT_THAT(Pay(wrong).status().message(), HasSubstr("payment.order_id"));
  // Overpaying leaves a credit balance.
  ASSERT_TRUE(Ok(Pay(DraftPayment(a, "BANK-3", 10'000'00))));
  EXPECT_EQ(Receivable(a), -1'000'00);
  EXPECT_EQ(Count("payments"), 2);
  EXPECT_THAT(Rows("SELECT action, request_id FROM audit_log WHERE resource_type = 'payment' "
                   "ORDER BY id LIMIT 1"),
              ElementsAre(ElementsAre("payment.recorded", "trace-req-pay")));
}

TEST_F(CommerceStoreTest, ListsPageNewestFirstWithinAPeriod) {
  const int64_t a = MakeAccount();
  const absl::Time t0 = kNow - absl::Hours(100);
  // Seven orders, three of them at the same time (ties break by id).
  const absl::Time times[] = {t0,
                              t0 + absl::Hours(1),
                              t0 + absl::Hours(1),
                              t0 + absl::Hours(1),
                              t0 + absl::Hours(2),
                              t0 + absl::Hours(3),
                              t0 + absl::Hours(4)};
  std::vector<int64_t> ids;
  for (int i = 0; i < 7; ++i) {
    absl::StatusOr<Order> o = Record(DraftOrder(a, absl::StrCat("ERP-", i), 100, times[i]));
    ASSERT_TRUE(Ok(o));
    ids.push_back(o->id);
  }
  ASSERT_TRUE(Ok(Record(DraftOrder(MakeAccount(), "ERP-OTHER", 100, t0))));
  std::vector<int64_t> seen;
  int64_t after = 0;
  int pages = 0;
  do {
    absl::StatusOr<Page<Order>> page = commerce_->ListOrders(a, std::nullopt, after, 3);
    ASSERT_TRUE(Ok(page));
    for (const Order& o : page->items) {
      seen.push_back(o.id);
      EXPECT_EQ(o.lines.size(), 2u);
    }
    ++pages;
    if (!page->more) break;
    after = page->items.back().id;
  } while (pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, ElementsAre(ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]));

  // [t0 + 1h, t0 + 3h): the three ties and the one at +2h.
  absl::StatusOr<Page<Order>> period =
      commerce_->ListOrders(a, SalesPeriod{t0 + absl::Hours(1), t0 + absl::Hours(3)}, 0, 50);
  ASSERT_TRUE(Ok(period));
  std::vector<int64_t> in_period;
  for (const Order& o : period->items) in_period.push_back(o.id);
  EXPECT_THAT(in_period, ElementsAre(ids[4], ids[3], ids[2], ids[1]));
  EXPECT_FALSE(period->more);
  // A cursor from another account's list is refused.
  EXPECT_TRUE(absl::IsInvalidArgument(
      commerce_->ListOrders(MakeAccount(), std::nullopt, ids[0], 3).status()));

  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Ok(Pay(DraftPayment(a, absl::StrCat("BANK-", i), 100, t0 + absl::Hours(i)))));
  }
  absl::StatusOr<Page<Payment>> first = commerce_->ListPayments(a, 0, 2);
  ASSERT_TRUE(Ok(first));
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_TRUE(first->more);
  EXPECT_EQ(first->items[0].external_id, "BANK-2");
  absl::StatusOr<Page<Payment>> second = commerce_->ListPayments(a, first->items[1].id, 2);
  ASSERT_TRUE(Ok(second));
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0].external_id, "BANK-0");
  EXPECT_FALSE(second->more);
}

// --- the credit gate ------------------------------------------------------------------------

TEST_F(CommerceStoreTest, GroupLimitRefusesASubsidiaryAndAnOverrideLetsItThrough) {
  const int64_t group = MakeAccount("mgr-li", 0, 10'000'00);
  const int64_t a = MakeAccount("mgr-li", group);
  const int64_t b = MakeAccount("mgr-li", group);
  ASSERT_TRUE(Ok(Record(DraftOrder(b, "ERP-B", 6'000'00))));
  const std::vector<int64_t> before = Written();

  absl::StatusOr<Order> refused = Record(DraftOrder(a, "ERP-A", 5'000'00));
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
  EXPECT_EQ(refused.status().message(),
            absl::StrCat("order of 5,000.00 CNY would take receivables of group ", group,
                         " to 11,000.00 CNY, past its credit limit 10,000.00 CNY"));
  EXPECT_EQ(Written(), before);

  // An override of another account (even the group's) does not help a.
  ASSERT_TRUE(Ok(Grant(group, 5'000'00)));
  EXPECT_TRUE(absl::IsFailedPrecondition(Record(DraftOrder(a, "ERP-A", 5'000'00)).status()));
  absl::StatusOr<CreditOverride> override = Grant(a, 2'000'00);
  ASSERT_TRUE(Ok(override));
  EXPECT_EQ(Rows("SELECT event_type FROM outbox ORDER BY id DESC LIMIT 1")[0][0],
            "credit_override.granted");
  absl::StatusOr<Order> through = Record(DraftOrder(a, "ERP-A", 5'000'00));
  ASSERT_TRUE(Ok(through));
  EXPECT_EQ(through->credit_override_id, override->id);
  EXPECT_EQ(Number(absl::StrCat("SELECT credit_override_id FROM orders WHERE id = ", through->id)),
            override->id);
  // Beyond limit + allowance: refused even with it.
  EXPECT_TRUE(absl::IsFailedPrecondition(Record(DraftOrder(a, "ERP-A2", 1'000'01)).status()));
  // After it expires, nothing more gets through.
  absl::StatusOr<Order> expired =
      Record(DraftOrder(a, "ERP-A3", 1), Request("req-late", "erp-feed", kNow + absl::Hours(25)));
  EXPECT_TRUE(absl::IsFailedPrecondition(expired.status())) << expired.status();
}

TEST_F(CommerceStoreTest, OwnLimitCountsTheAccountsOwnSubsidiaries) {
  const int64_t group = MakeAccount("mgr-li", 0, 0);
  const int64_t middle = MakeAccount("mgr-li", group, 1'000'00);
  const int64_t leaf = MakeAccount("mgr-li", middle);
  ASSERT_TRUE(Ok(Record(DraftOrder(leaf, "ERP-1", 800'00))));
  absl::StatusOr<Order> refused = Record(DraftOrder(middle, "ERP-2", 300'00));
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()));
  EXPECT_THAT(refused.status().message(), HasSubstr(absl::StrCat("account ", middle, " to")));
  // Payments make room again.
  ASSERT_TRUE(Ok(Pay(DraftPayment(leaf, "BANK-1", 200'00))));
  EXPECT_TRUE(Ok(Record(DraftOrder(middle, "ERP-2", 300'00))));
  // The group without a limit takes anything.
  EXPECT_TRUE(Ok(Record(DraftOrder(group, "ERP-3", 1'000'000'00))));
}

TEST_F(CommerceStoreTest, SuspendedSupplyIsWaivedByAnOverride) {
  const int64_t a = MakeAccount();
  Exec(absl::StrCat("UPDATE accounts SET status = 2 WHERE id = ", a));
  EXPECT_TRUE(absl::IsFailedPrecondition(Record(DraftOrder(a, "ERP-1", 1'00)).status()));
  absl::StatusOr<CreditOverride> override = Grant(a, 1);
  ASSERT_TRUE(Ok(override));
  absl::StatusOr<Order> through = Record(DraftOrder(a, "ERP-1", 1'00));
  ASSERT_TRUE(Ok(through));
  EXPECT_EQ(through->credit_override_id, override->id);
}

TEST_F(CommerceStoreTest, TwoOrdersRacingForTheLastHeadroomOnlyOneWins) {
  // Headroom 8,000 under the group's limit; each order wants 5,000, from different
  // subsidiaries, so only the group's row lock can keep them apart.
  const int64_t group = MakeAccount("mgr-li", 0, 10'000'00);
  std::vector<int64_t> subs;
  for (int i = 0; i < 3; ++i) subs.push_back(MakeAccount("mgr-li", group));
  ASSERT_TRUE(Ok(Record(DraftOrder(subs[0], "ERP-SEED", 2'000'00))));
  for (int round = 0; round < 3; ++round) {
    constexpr int kRacers = 6;
    std::vector<absl::Status> results(kRacers);
    RunConcurrently(kRacers, [&](int i) {
      results[i] =
          Record(DraftOrder(subs[i % 3], absl::StrCat("ERP-", round, "-", i), 5'000'00)).status();
    });
    int won = 0;
    for (const absl::Status& s : results) {
      if (s.ok()) {
        ++won;
      } else {
        EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
      }
    }
    EXPECT_EQ(won, 1) << "round " << round;
    EXPECT_LE(Summary(group).totals.receivables_minor, 10'000'00);
    // Make the same headroom again for the next round.
    ASSERT_TRUE(Ok(Pay(DraftPayment(subs[0], absl::StrCat("BANK-", round), 5'000'00))));
  }
}

// --- contracts ------------------------------------------------------------------------------

TEST_F(CommerceStoreTest, ContractsAreUniqueSignedOnceAndListed) {
  const int64_t a = MakeAccount();
  const CommerceStore::AccountRule admit = [](const AccountView& v) {
    return MayWorkOn(kDirector, v.works_on, v.account);
  };
  Contract draft;
  draft.account_id = a;
  draft.number = "HT-2024/001";
  draft.value_minor = 5'000'000'00;
  draft.start_time = Utc(2024, 1, 1);
  draft.end_time = Utc(2025, 1, 1);
  absl::StatusOr<Contract> created =
      commerce_->CreateContract(NextRequest("dir-zhao"), *NewContract(draft, kNow), admit);
  ASSERT_TRUE(Ok(created));
  absl::StatusOr<Contract> duplicate =
      commerce_->CreateContract(NextRequest("dir-zhao"), *NewContract(draft, kNow), admit);
  EXPECT_TRUE(absl::IsAlreadyExists(duplicate.status()));
  EXPECT_THAT(duplicate.status().message(), HasSubstr("contract.number"));
  Contract with_opportunity = draft;
  with_opportunity.number = "HT-2024/002";
  with_opportunity.opportunity_id = 4242;
  absl::StatusOr<Contract> no_such = commerce_->CreateContract(
      NextRequest("dir-zhao"), *NewContract(with_opportunity, kNow), admit);
  EXPECT_THAT(no_such.status().message(), HasSubstr("contract.opportunity_id"));

  auto sign = [&](absl::Time at) {
    return commerce_->SignContract(NextRequest("dir-zhao"), created->id, admit,
                                   [&](const Contract& c) { return Sign(c, at, kNow); });
  };
  absl::StatusOr<Contract> signed_contract = sign(kNow - absl::Hours(2));
  ASSERT_TRUE(Ok(signed_contract));
  EXPECT_EQ(signed_contract->sign_time, kNow - absl::Hours(2));
  EXPECT_TRUE(absl::IsFailedPrecondition(sign(kNow).status()));
  EXPECT_TRUE(
      absl::IsNotFound(commerce_
                           ->SignContract(NextRequest("dir-zhao"), 999, admit,
                                          [&](const Contract& c) { return Sign(c, kNow, kNow); })
                           .status()));

  absl::StatusOr<Page<Contract>> listed = commerce_->ListContracts(a, 0, 10);
  ASSERT_TRUE(Ok(listed));
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].number, "HT-2024/001");
  EXPECT_EQ(listed->items[0].sign_time, kNow - absl::Hours(2));
  EXPECT_EQ(listed->items[0].start_time, Utc(2024, 1, 1));
  EXPECT_THAT(Rows("SELECT event_type FROM outbox WHERE aggregate_type = 'contract' ORDER BY id"),
              ElementsAre(ElementsAre("contract.created"), ElementsAre("contract.signed")));
}

TEST_F(CommerceStoreTest, CreditReportsListNewestFirst) {
  const int64_t a = MakeAccount();
  for (int i = 0; i < 3; ++i) {
    CreditReport r;
    r.account_id = a;
    r.kind = i == 2 ? CreditReportKind::kUrgent : CreditReportKind::kRoutine;
    r.source = CreditSource::kBank;
    r.summary = absl::StrCat("报告 ", i);
    r.suggested_rating = CreditRating::kBBB;
    ASSERT_TRUE(
        Ok(commerce_->CreateCreditReport(NextRequest("mgr-li"), *NewCreditReport(r, "mgr-li", kNow),
                                         [](const AccountView&) { return absl::OkStatus(); })));
  }
  absl::StatusOr<Page<CreditReport>> first = commerce_->ListCreditReports(a, 0, 2);
  ASSERT_TRUE(Ok(first));
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->items[0].summary, "报告 2");
  EXPECT_EQ(first->items[0].kind, CreditReportKind::kUrgent);
  EXPECT_EQ(first->items[0].author_id, "mgr-li");
  EXPECT_TRUE(first->more);
  absl::StatusOr<Page<CreditReport>> rest = commerce_->ListCreditReports(a, first->items[1].id, 2);
  ASSERT_TRUE(Ok(rest));
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_EQ(rest->items[0].summary, "报告 0");
  EXPECT_EQ(Count("outbox", "event_type = 'credit_report.created'"), 3);
}

// --- group summary --------------------------------------------------------------------------

TEST_F(CommerceStoreTest, GroupSummaryIsExactForAThreeLevelGroupAndFollowsAMove) {
  // group -> {east -> {east1, east2}, west}
  const int64_t group = MakeAccount();
  const int64_t east = MakeAccount("mgr-li", group);
  const int64_t east1 = MakeAccount("mgr-li", east);
  const int64_t east2 = MakeAccount("mgr-li", east);
  const int64_t west = MakeAccount("mgr-li", group);
  const int64_t outsider = MakeAccount();
  const absl::Time before_period = kThisMonth.start - absl::Hours(1);
  struct Sale {
    int64_t account;
    int64_t revenue;
    absl::Time at;
  };
  const Sale sales[] = {{group, 1'000'00, kNow},    {east, 2'000'00, kNow},
                        {east1, 4'000'00, kNow},    {east2, 8'000'00, kNow},
                        {west, 16'000'00, kNow},    {east1, 32'000'00, before_period},
                        {outsider, 64'000'00, kNow}};
  int n = 0;
  for (const Sale& s : sales) {
    ASSERT_TRUE(Ok(Record(DraftOrder(s.account, absl::StrCat("ERP-", ++n), s.revenue, s.at))));
  }
  ASSERT_TRUE(Ok(Pay(DraftPayment(east1, "BANK-1", 3'000'00))));
  ASSERT_TRUE(Ok(Pay(DraftPayment(west, "BANK-2", 6'000'00, before_period))));
  ASSERT_TRUE(Ok(Pay(DraftPayment(outsider, "BANK-3", 1'00))));
  Exec(absl::StrCat(
      "INSERT INTO opportunities (account_id, name, owner_id, stage, amount_minor, "
      "probability_percent, needs, timetable, competition, decision_makers, "
      "relationship_progress, create_time, update_time) VALUES ",
      "(", east1, ", 'o1', 'mgr-li', 1, 100000, 10, '', '', '', '', '', NOW(6), NOW(6)), ", "(",
      east2, ", 'o2', 'mgr-li', 6, 333, 90, '', '', '', '', '', NOW(6), NOW(6)), ", "(", west,
      ", 'won', 'mgr-li', 7, 999999, 100, '', '', '', '', '', NOW(6), NOW(6)), ", "(", west,
      ", 'lost', 'mgr-li', 8, 999999, 0, '', '', '', '', '', NOW(6), NOW(6)), ", "(", outsider,
      ", 'o3', 'mgr-li', 3, 777, 50, '', '', '', '', '', NOW(6), NOW(6))"));
  SetLimit(group, 50'000'00);  // set after the sales, which it would have stopped

  const GroupSummary s = Summary(group);
  EXPECT_EQ(s.totals.accounts_total, 5);
  EXPECT_EQ(s.totals.accounts_included, 5);
  EXPECT_FALSE(s.partial);
  EXPECT_EQ(s.totals.revenue_minor, 31'000'00);
  EXPECT_EQ(s.totals.cost_minor, 18'600'00);
  EXPECT_EQ(s.gross_profit_minor, 12'400'00);
  EXPECT_EQ(s.totals.payments_minor, 3'000'00);
  EXPECT_EQ(s.collection_rate_bp, 967);  // 3,000 / 31,000
  EXPECT_EQ(s.totals.open_pipeline_minor, 100333);
  EXPECT_EQ(s.totals.weighted_pipeline_minor, (100000 * 10 + 333 * 90) / 100);
  EXPECT_EQ(s.totals.receivables_minor, (63'000 - 9'000) * 100);
  EXPECT_EQ(s.totals.credit_limit_minor, 50'000'00);
  EXPECT_EQ(s.credit_exposure_minor, 54'000'00);
  EXPECT_EQ(s.credit_available_minor, -4'000'00);
  EXPECT_TRUE(s.over_limit);

  const GroupSummary e = Summary(east);
  EXPECT_EQ(e.totals.accounts_total, 3);
  EXPECT_EQ(e.totals.revenue_minor, 14'000'00);
  EXPECT_EQ(e.totals.credit_limit_minor, 0);
  EXPECT_EQ(e.credit_available_minor, 0);
  EXPECT_FALSE(e.over_limit);

  // east1 moves to west: its totals move with it; the group's stay.
  Move(east1, west);
  const GroupSummary e2 = Summary(east);
  const GroupSummary w2 = Summary(west);
  EXPECT_EQ(e2.totals.accounts_total, 2);
  EXPECT_EQ(e2.totals.revenue_minor, 10'000'00);
  EXPECT_EQ(e2.totals.open_pipeline_minor, 333);
  EXPECT_EQ(w2.totals.accounts_total, 2);
  EXPECT_EQ(w2.totals.revenue_minor, 20'000'00);
  EXPECT_EQ(w2.totals.payments_minor, 3'000'00);
  EXPECT_EQ(w2.totals.receivables_minor, (16'000 - 6'000 + 36'000 - 3'000) * 100);
  const GroupSummary g2 = Summary(group);
  EXPECT_EQ(g2.totals.revenue_minor, s.totals.revenue_minor);
  EXPECT_EQ(g2.totals.receivables_minor, s.totals.receivables_minor);
}

TEST_F(CommerceStoreTest, ManagerSummaryCountsOnlyTheirAccounts) {
  const int64_t group = MakeAccount("mgr-li", 0, 0);
  const int64_t theirs = MakeAccount("mgr-li", group);
  const int64_t others = MakeAccount("mgr-wang", group);
  const int64_t team = MakeAccount("mgr-wang", others);
  Exec(absl::StrCat("INSERT INTO account_access (member_id, account_id, via) VALUES ('mgr-li', ",
                    team, ", 2)"));
  ASSERT_TRUE(Ok(Record(DraftOrder(group, "ERP-1", 1'00))));
  ASSERT_TRUE(Ok(Record(DraftOrder(theirs, "ERP-2", 10'00))));
  ASSERT_TRUE(Ok(Record(DraftOrder(others, "ERP-3", 100'00))));
  ASSERT_TRUE(Ok(Record(DraftOrder(team, "ERP-4", 1'000'00))));

  const GroupSummary li = Summary(group, kThisMonth, "mgr-li");
  EXPECT_EQ(li.totals.accounts_total, 4);
  EXPECT_EQ(li.totals.accounts_included, 3);
  EXPECT_TRUE(li.partial);
  EXPECT_EQ(li.totals.revenue_minor, 1'011'00);
  EXPECT_EQ(li.totals.receivables_minor, 1'011'00);
  const GroupSummary all = Summary(group);
  EXPECT_FALSE(all.partial);
  EXPECT_EQ(all.totals.revenue_minor, 1'111'00);
}

TEST_F(CommerceStoreTest, TwentyLevelChainSummarisesAndItsRootLimitHolds) {
  std::vector<int64_t> chain = {MakeAccount("mgr-li", 0, 1'000'000'00)};
  for (int level = 1; level <= 20; ++level) chain.push_back(MakeAccount("mgr-li", chain.back()));
  for (size_t i = 0; i < chain.size(); ++i) {
    ASSERT_TRUE(Ok(
        Record(DraftOrder(chain[i], absl::StrCat("ERP-", i), static_cast<int64_t>(i + 1) * 100))));
  }
  const GroupSummary root = Summary(chain[0]);
  EXPECT_EQ(root.totals.accounts_total, 21);
  EXPECT_EQ(root.totals.revenue_minor, 100 * 231);  // 1 + 2 + ... + 21
  const GroupSummary middle = Summary(chain[10]);
  EXPECT_EQ(middle.totals.accounts_total, 11);
  EXPECT_EQ(middle.totals.revenue_minor, 100 * 176);  // 11 + ... + 21
  const GroupSummary leaf = Summary(chain[20]);
  EXPECT_EQ(leaf.totals.accounts_total, 1);
  EXPECT_EQ(leaf.totals.revenue_minor, 2100);

  // The root's limit, twenty levels up, stops an order at the bottom.
  SetLimit(chain[0], 100 * 231 + 50);
  absl::StatusOr<Order> refused = Record(DraftOrder(chain[20], "ERP-DEEP", 100));
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()));
  EXPECT_EQ(refused.status().message(),
            absl::StrCat("order of 1.00 CNY would take receivables of group ", chain[0],
                         " to 232.00 CNY, past its credit limit 231.50 CNY"));
  EXPECT_TRUE(Ok(Record(DraftOrder(chain[20], "ERP-DEEP", 50))));
}

TEST_F(CommerceStoreTest, ThousandSubsidiariesWithAHundredThousandOrdersSummariseQuickly) {
  const int64_t group = MakeAccount("mgr-li", 0, 60'000'000);
  // Bulk rows straight into the tables (the store's paths are tested above): 1,000
  // subsidiaries, 100 orders each an hour apart from 2024-01-01 01:00, one payment each.
  Exec(absl::StrCat(
      "INSERT INTO accounts (name, registration_number, nature, status, owner_id, create_time, "
      "update_time, business_json, parent_id, receivable_minor) "
      "SELECT CONCAT('子公司 ', seq), CONCAT('SUB-', seq), 3, 1, 'mgr-li', NOW(6), NOW(6), '', ",
      group,
      ", seq * 100 FROM seq_1_to_1000; "
      "INSERT INTO orders (account_id, external_id, fingerprint, ordered_at, revenue_minor, "
      "cost_minor, create_time) "
      "SELECT a.id, CONCAT('BULK-', a.id, '-', s.seq), REPEAT('0', 64), "
      "TIMESTAMPADD(HOUR, s.seq, '2024-01-01'), 1000 + s.seq, 600 + s.seq, NOW(6) "
      "FROM accounts a JOIN seq_1_to_100 s WHERE a.parent_id = ",
      group,
      "; "
      "INSERT INTO payments (account_id, external_id, fingerprint, amount_minor, paid_at, "
      "create_time) SELECT id, CONCAT('PAY-', id), REPEAT('0', 64), 500, '2024-01-02', NOW(6) "
      "FROM accounts WHERE parent_id = ",
      group, "; ANALYZE TABLE accounts, orders, payments;"));
  ASSERT_EQ(Count("orders"), 100'000);

  // Orders at hours 1..47 fall in [Jan 1, Jan 3); the one at hour 48 is on the end bound.
  const SalesPeriod two_days{Utc(2024, 1, 1), Utc(2024, 1, 3)};
  const absl::Time start = absl::Now();
  const GroupSummary s = Summary(group, two_days);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(s.totals.accounts_total, 1001);
  EXPECT_EQ(s.totals.revenue_minor, 1000 * (47 * 1000 + 47 * 48 / 2));
  EXPECT_EQ(s.totals.cost_minor, 1000 * (47 * 600 + 47 * 48 / 2));
  EXPECT_EQ(s.totals.payments_minor, 1000 * 500);
  EXPECT_EQ(s.totals.receivables_minor, 100 * 1000 * 1001 / 2);
  EXPECT_EQ(s.credit_available_minor, 60'000'000 - 50'050'000);
  // The aim is well under a second; the bound leaves room for a busy shared machine.
  EXPECT_LT(took, absl::Seconds(2)) << took;
  std::cout << "group summary of 1,001 accounts and 100,000 orders: " << took << "\n";
}

}  // namespace
}  // namespace kam::accounts
