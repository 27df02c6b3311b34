// The pure rules of contracts, orders, payments and credit: the credit gate above all.
#include "services/accounts/commerce.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace kam::accounts {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kAccount = 12;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// ---- the credit gate ----------------------------------------------------------------------

CreditPosition Active() {
  CreditPosition p;
  p.account_id = kAccount;
  p.status = AccountStatus::kActive;
  return p;
}

CreditPosition WithLimits(std::vector<CreditLimit> limits) {
  CreditPosition p = Active();
  p.limits = std::move(limits);
  return p;
}

CreditOverride Override(int64_t id, int64_t allowance, absl::Time expires) {
  CreditOverride o;
  o.id = id;
  o.account_id = kAccount;
  o.allowance_minor = allowance;
  o.reason = "year-end stocking agreed with the CFO";
  o.expire_time = expires;
  o.director_id = "dir-zhao";
  o.create_time = kNow - absl::Hours(1);
  return o;
}

absl::StatusOr<int64_t> Gate(const CreditPosition& p, int64_t revenue) {
  return CheckCreditGate(p, revenue, kNow, "CNY");
}

TEST(CreditGate, ActiveAccountWithoutLimitsTakesAnyOrder) {
  absl::StatusOr<int64_t> gate = Gate(Active(), 1'000'000'000'00);
  ASSERT_TRUE(gate.ok()) << gate.status();
  EXPECT_EQ(*gate, 0);
}

TEST(CreditGate, ZeroLimitMeansNoLimit) {
  EXPECT_EQ(*Gate(WithLimits({{kAccount, 0, 999'999'00}}), 500'000'00), 0);
}

TEST(CreditGate, SuspendedSupplyIsRefusedAndSaysSo) {
  CreditPosition p = Active();
  p.status = AccountStatus::kSupplySuspended;
  absl::StatusOr<int64_t> gate = Gate(p, 100);
  EXPECT_TRUE(absl::IsFailedPrecondition(gate.status())) << gate.status();
  EXPECT_EQ(Message(gate.status()), "supply to account 12 is suspended");
}

TEST(CreditGate, ArchivedAccountIsRefused) {
  CreditPosition p = Active();
  p.archived = true;
  absl::StatusOr<int64_t> gate = Gate(p, 100);
  EXPECT_TRUE(absl::IsFailedPrecondition(gate.status()));
  EXPECT_THAT(Message(gate.status()), HasSubstr("archived"));
}

TEST(CreditGate, OwnLimitAdmitsUpToTheLimitExactly) {
  const CreditPosition p = WithLimits({{kAccount, 10'000'00, 6'000'00}});
  EXPECT_EQ(*Gate(p, 4'000'00), 0);  // lands exactly on the limit
  absl::StatusOr<int64_t> over = Gate(p, 4'000'01);
  EXPECT_TRUE(absl::IsFailedPrecondition(over.status()));
  EXPECT_EQ(Message(over.status()),
            "order of 4,000.01 CNY would take receivables of account 12 to 10,000.01 CNY, past "
            "its credit limit 10,000.00 CNY");
}

TEST(CreditGate, GroupLimitRefusesAndNamesTheGroup) {
  // Own limit roomy, the parent's too, the grandparent (group 3) is nearly used up.
  const CreditPosition p = WithLimits(
      {{kAccount, 100'000'00, 0}, {7, 100'000'00, 20'000'00}, {3, 50'000'00, 48'000'00}});
  EXPECT_EQ(*Gate(p, 2'000'00), 0);
  absl::StatusOr<int64_t> over = Gate(p, 5'000'00);
  EXPECT_TRUE(absl::IsFailedPrecondition(over.status()));
  EXPECT_EQ(Message(over.status()),
            "order of 5,000.00 CNY would take receivables of group 3 to 53,000.00 CNY, past its "
            "credit limit 50,000.00 CNY");
}

TEST(CreditGate, EveryLevelCounts) {
  // Each level in turn is the one that is full.
  for (size_t full = 0; full < 4; ++full) {
    std::vector<CreditLimit> limits = {
        {kAccount, 1'000'00, 0}, {20, 1'000'00, 0}, {30, 1'000'00, 0}, {40, 1'000'00, 0}};
    limits[full].exposure_minor = 900'00;
    const CreditPosition p = WithLimits(limits);
    EXPECT_EQ(*Gate(p, 100'00), 0) << "level " << full;
    absl::StatusOr<int64_t> over = Gate(p, 100'01);
    EXPECT_TRUE(absl::IsFailedPrecondition(over.status())) << "level " << full;
    EXPECT_THAT(Message(over.status()), HasSubstr(absl::StrCat(limits[full].account_id, " to ")));
  }
}

TEST(CreditGate, ExposureAlreadyOverTheLimitRefusesEvenAFreeOrderOfNothingMore) {
  const CreditPosition p = WithLimits({{3, 1'000'00, 1'500'00}});
  EXPECT_TRUE(absl::IsFailedPrecondition(Gate(p, 0).status()));
}

TEST(CreditGate, NegativeExposureFromPrepaymentsGivesRoom) {
  EXPECT_EQ(*Gate(WithLimits({{kAccount, 1'000'00, -500'00}}), 1'500'00), 0);
}

TEST(CreditGate, OverrideRaisesEveryLimitByItsAllowanceAndIsRecorded) {
  CreditPosition p = WithLimits({{kAccount, 10'000'00, 0}, {3, 50'000'00, 48'000'00}});
  p.overrides = {Override(91, 10'000'00, kNow + absl::Hours(24))};
  absl::StatusOr<int64_t> gate = Gate(p, 5'000'00);
  ASSERT_TRUE(gate.ok()) << gate.status();
  EXPECT_EQ(*gate, 91);
  // Past the raised limit: still refused, and the message mentions the allowance.
  absl::StatusOr<int64_t> over = Gate(p, 12'000'01);
  EXPECT_TRUE(absl::IsFailedPrecondition(over.status()));
  EXPECT_THAT(Message(over.status()), HasSubstr("allowance of 10,000.00 CNY"));
}

TEST(CreditGate, OverrideIsNotRecordedWhenTheOrderPassesWithoutIt) {
  CreditPosition p = WithLimits({{kAccount, 10'000'00, 0}});
  p.overrides = {Override(91, 10'000'00, kNow + absl::Hours(24))};
  EXPECT_EQ(*Gate(p, 1'000'00), 0);
}

TEST(CreditGate, LargestAllowanceInForceWins) {
  CreditPosition p = WithLimits({{kAccount, 1'000'00, 1'000'00}});
  p.overrides = {Override(1, 500'00, kNow + absl::Hours(1)),
                 Override(2, 5'000'00, kNow + absl::Hours(1)),
                 Override(3, 9'000'00, kNow - absl::Seconds(1)),  // expired
                 Override(4, 2'000'00, kNow + absl::Hours(1))};
  EXPECT_EQ(*Gate(p, 4'000'00), 2);
  EXPECT_TRUE(absl::IsFailedPrecondition(Gate(p, 5'000'01).status()));
}

TEST(CreditGate, OverrideWaivesSuspension) {
  CreditPosition p = Active();
  p.status = AccountStatus::kSupplySuspended;
  p.overrides = {Override(91, 1, kNow + absl::Hours(1))};
  EXPECT_EQ(*Gate(p, 1'000'000'00), 91);
}

TEST(CreditGate, ExpiredOverrideHelpsNothing) {
  CreditPosition suspended = Active();
  suspended.status = AccountStatus::kSupplySuspended;
  suspended.overrides = {Override(91, 1'000'000'00, kNow)};  // expires exactly now
  EXPECT_TRUE(absl::IsFailedPrecondition(Gate(suspended, 1).status()));

  CreditPosition limited = WithLimits({{kAccount, 1'000'00, 1'000'00}});
  limited.overrides = {Override(91, 1'000'000'00, kNow - absl::Minutes(1))};
  EXPECT_TRUE(absl::IsFailedPrecondition(Gate(limited, 1).status()));
}

TEST(CreditGate, OverflowingSumsAreRefusedNotWrapped) {
  const CreditPosition p = WithLimits({{kAccount, kMax, kMax - 10}});
  EXPECT_TRUE(absl::IsFailedPrecondition(Gate(p, kMax).status()));
  CreditPosition huge_override = WithLimits({{kAccount, kMax - 5, kMax - 5}});
  huge_override.overrides = {Override(91, kMax, kNow + absl::Hours(1))};
  EXPECT_EQ(*Gate(huge_override, 10), 91);  // limit + allowance beyond int64 is no limit
}

// ---- money ---------------------------------------------------------------------------------

TEST(Money, FormatsWithThousandsAndTwoDecimals) {
  EXPECT_EQ(FormatMoney(0, "CNY"), "0.00 CNY");
  EXPECT_EQ(FormatMoney(5, "CNY"), "0.05 CNY");
  EXPECT_EQ(FormatMoney(500000, "CNY"), "5,000.00 CNY");
  EXPECT_EQ(FormatMoney(123456789012, "CNY"), "1,234,567,890.12 CNY");
  EXPECT_EQ(FormatMoney(-100001, "CNY"), "-1,000.01 CNY");
  EXPECT_EQ(FormatMoney(std::numeric_limits<int64_t>::min(), "CNY"),
            "-92,233,720,368,547,758.08 CNY");
}

TEST(Money, SumsThatLeaveInt64NameTheField) {
  EXPECT_EQ(*AddMoney("x", kMax - 1, 1), kMax);
  absl::StatusOr<int64_t> over = AddMoney("order.revenue", kMax, 1);
  EXPECT_TRUE(absl::IsInvalidArgument(over.status()));
  EXPECT_THAT(Message(over.status()), HasSubstr("order.revenue"));
  EXPECT_TRUE(
      absl::IsInvalidArgument(SubtractMoney("s", std::numeric_limits<int64_t>::min(), 1).status()));
  EXPECT_EQ(*SubtractMoney("s", 10, 25), -15);
}

TEST(CollectionRate, BasisPointsRoundedDown) {
  EXPECT_EQ(CollectionRateBp(0, 0), 0);
  EXPECT_EQ(CollectionRateBp(500, 0), 0);  // no revenue: 0
  EXPECT_EQ(CollectionRateBp(0, 1000), 0);
  EXPECT_EQ(CollectionRateBp(1000, 1000), 10000);
  EXPECT_EQ(CollectionRateBp(1, 3), 3333);
  EXPECT_EQ(CollectionRateBp(2500, 1000), 25000);  // old debts paid in the period
}

TEST(CollectionRate, LargeAmountsNeitherOverflowNorWrap) {
  // payments * 10000 is beyond int64 here.
  EXPECT_EQ(CollectionRateBp(kMax / 2, kMax), 4999);
  EXPECT_EQ(CollectionRateBp(kMax, 1), std::numeric_limits<int32_t>::max());
}

// ---- summary -------------------------------------------------------------------------------

GroupTotals Totals() {
  GroupTotals t;
  t.account_id = 3;
  t.accounts_total = 5;
  t.accounts_included = 5;
  t.revenue_minor = 10'000'00;
  t.cost_minor = 7'500'00;
  t.payments_minor = 8'000'00;
  t.receivables_minor = 30'000'00;
  t.credit_limit_minor = 25'000'00;
  return t;
}

TEST(Summarize, DerivesProfitRateAndCredit) {
  const GroupSummary s = *Summarize(Totals());
  EXPECT_EQ(s.gross_profit_minor, 2'500'00);
  EXPECT_EQ(s.collection_rate_bp, 8000);
  EXPECT_EQ(s.credit_exposure_minor, 30'000'00);
  EXPECT_EQ(s.credit_available_minor, -5'000'00);
  EXPECT_TRUE(s.over_limit);
  EXPECT_FALSE(s.partial);
}

TEST(Summarize, NoLimitMeansNothingAvailableAndNeverOver) {
  GroupTotals t = Totals();
  t.credit_limit_minor = 0;
  const GroupSummary s = *Summarize(t);
  EXPECT_EQ(s.credit_available_minor, 0);
  EXPECT_FALSE(s.over_limit);
}

TEST(Summarize, PartialWhenFewerAccountsIncluded) {
  GroupTotals t = Totals();
  t.accounts_included = 2;
  EXPECT_TRUE(Summarize(t)->partial);
}

TEST(Summarize, OverflowNamesTheFigure) {
  GroupTotals t = Totals();
  t.revenue_minor = kMax;
  t.cost_minor = -1;  // cannot come from the database, but the guard must hold
  EXPECT_THAT(Message(Summarize(t).status()), HasSubstr("summary.gross_profit"));
  t = Totals();
  t.receivables_minor = std::numeric_limits<int64_t>::min();
  EXPECT_THAT(Message(Summarize(t).status()), HasSubstr("summary.credit_available"));
}

// ---- orders --------------------------------------------------------------------------------

OrderLine Line(const std::string& code, int64_t revenue, int64_t cost) {
  return {code, "steel pipe", 10, revenue, cost};
}

Order DraftOrder() {
  Order o;
  o.account_id = kAccount;
  o.external_id = "ERP-2024/000123";
  o.order_time = kNow - absl::Hours(2);
  o.lines = {Line("P-100.A", 1'000'00, 800'00), Line("P_200/B", 2'500'50, 1'000'25)};
  return o;
}

TEST(NewOrder, SumsTheLinesAndResetsOutputFields) {
  Order draft = DraftOrder();
  draft.id = 99;
  draft.revenue_minor = 1;
  draft.credit_override_id = 5;
  const Order o = *NewOrder(draft, kNow);
  EXPECT_EQ(o.id, 0);
  EXPECT_EQ(o.revenue_minor, 3'500'50);
  EXPECT_EQ(o.cost_minor, 1'800'25);
  EXPECT_EQ(o.credit_override_id, 0);
  EXPECT_EQ(o.create_time, kNow);
}

TEST(NewOrder, NamesTheOffendingField) {
  auto error = [](const std::function<void(Order&)>& change) {
    Order o = DraftOrder();
    change(o);
    absl::Status s = NewOrder(o, kNow).status();
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    return Message(s);
  };
  EXPECT_THAT(error([](Order& o) { o.external_id = ""; }), HasSubstr("order.external_id"));
  EXPECT_THAT(error([](Order& o) { o.external_id = "ERP 1"; }), HasSubstr("order.external_id"));
  EXPECT_THAT(error([](Order& o) { o.external_id = "订单1"; }), HasSubstr("order.external_id"));
  EXPECT_THAT(error([](Order& o) { o.external_id = std::string(65, 'x'); }),
              HasSubstr("order.external_id"));
  EXPECT_THAT(error([](Order& o) { o.contract_id = -1; }), HasSubstr("order.contract_id"));
  EXPECT_THAT(error([](Order& o) { o.lines.clear(); }), HasSubstr("order.lines"));
  EXPECT_THAT(error([](Order& o) { o.lines.resize(501, o.lines[0]); }), HasSubstr("order.lines"));
  EXPECT_THAT(error([](Order& o) { o.lines[1].product_code = "P 1"; }),
              HasSubstr("order.lines[1].product_code"));
  EXPECT_THAT(error([](Order& o) { o.lines[1].product_code = std::string(65, 'P'); }),
              HasSubstr("order.lines[1].product_code"));
  EXPECT_THAT(error([](Order& o) { o.lines[0].product_category = ""; }),
              HasSubstr("order.lines[0].product_category"));
  EXPECT_THAT(error([](Order& o) { o.lines[0].product_category = std::string(101, 'c'); }),
              HasSubstr("order.lines[0].product_category"));
  EXPECT_THAT(error([](Order& o) { o.lines[0].quantity = 0; }),
              HasSubstr("order.lines[0].quantity"));
  EXPECT_THAT(error([](Order& o) { o.lines[0].revenue_minor = -1; }),
              HasSubstr("order.lines[0].revenue"));
  EXPECT_THAT(error([](Order& o) { o.lines[1].cost_minor = -1; }),
              HasSubstr("order.lines[1].cost"));
}

TEST(NewOrder, FiveHundredLinesAreFine) {
  Order o = DraftOrder();
  o.lines.resize(500, o.lines[0]);
  EXPECT_TRUE(NewOrder(o, kNow).ok());
}

TEST(NewOrder, LineSumsThatOverflowAreRefusedNamingTheLine) {
  Order o = DraftOrder();
  o.lines = {Line("A", kMax, 0), Line("B", 1, 0)};
  EXPECT_THAT(Message(NewOrder(o, kNow).status()), HasSubstr("order.lines[1].revenue"));
  o.lines = {Line("A", 0, kMax), Line("B", 0, kMax)};
  EXPECT_THAT(Message(NewOrder(o, kNow).status()), HasSubstr("order.lines[1].cost"));
}

TEST(OrderFingerprint, SameContentSameFingerprintAnyChangeAnother) {
  const Order o = *NewOrder(DraftOrder(), kNow);
  Order later = *NewOrder(DraftOrder(), kNow + absl::Hours(5));  // output fields differ
  later.id = 77;
  EXPECT_EQ(OrderFingerprint(o), OrderFingerprint(later));
  EXPECT_EQ(OrderFingerprint(o).size(), 64u);
  std::vector<std::function<void(Order&)>> changes = {
      [](Order& x) { x.account_id = 13; },
      [](Order& x) { x.external_id += "X"; },
      [](Order& x) { x.contract_id = 4; },
      [](Order& x) { x.order_time += absl::Microseconds(1); },
      [](Order& x) { x.lines[0].quantity = 11; },
      [](Order& x) { x.lines[1].product_category = "valves"; },
      [](Order& x) { std::swap(x.lines[0], x.lines[1]); },
      [](Order& x) { x.lines.pop_back(); }};
  for (size_t i = 0; i < changes.size(); ++i) {
    Order changed = o;
    changes[i](changed);
    EXPECT_NE(OrderFingerprint(changed), OrderFingerprint(o)) << "change " << i;
  }
}

// ---- payments ------------------------------------------------------------------------------

TEST(NewPayment, ChecksFieldsAndFingerprintsContent) {
  Payment p;
  p.account_id = kAccount;
  p.external_id = "BANK-77";
  p.amount_minor = 1'000'00;
  p.pay_time = kNow;
  ASSERT_TRUE(NewPayment(p, kNow).ok());
  Payment zero = p;
  zero.amount_minor = 0;
  EXPECT_THAT(Message(NewPayment(zero, kNow).status()), HasSubstr("payment.amount"));
  Payment no_id = p;
  no_id.external_id = "";
  EXPECT_THAT(Message(NewPayment(no_id, kNow).status()), HasSubstr("payment.external_id"));
  Payment bad_order = p;
  bad_order.order_id = -3;
  EXPECT_THAT(Message(NewPayment(bad_order, kNow).status()), HasSubstr("payment.order_id"));
  Payment other = p;
  other.amount_minor += 1;
  EXPECT_NE(PaymentFingerprint(p), PaymentFingerprint(other));
  EXPECT_EQ(PaymentFingerprint(p), PaymentFingerprint(*NewPayment(p, kNow)));
}

// ---- contracts -----------------------------------------------------------------------------

Contract DraftContract() {
  Contract c;
  c.account_id = kAccount;
  c.number = "HT-2024/001_a";
  c.value_minor = 1'000'000'00;
  c.start_time = kNow;
  c.end_time = kNow + absl::Hours(24 * 365);
  return c;
}

TEST(NewContract, ValidatesNumberValueAndTerm) {
  EXPECT_TRUE(NewContract(DraftContract(), kNow).ok());
  Contract bad = DraftContract();
  bad.number = "HT 1";
  EXPECT_THAT(Message(NewContract(bad, kNow).status()), HasSubstr("contract.number"));
  bad.number = std::string(65, '1');
  EXPECT_THAT(Message(NewContract(bad, kNow).status()), HasSubstr("contract.number"));
  bad = DraftContract();
  bad.value_minor = -1;
  EXPECT_THAT(Message(NewContract(bad, kNow).status()), HasSubstr("contract.value"));
  bad = DraftContract();
  bad.end_time = bad.start_time;
  EXPECT_THAT(Message(NewContract(bad, kNow).status()), HasSubstr("contract.end_time"));
  Contract zero = DraftContract();
  zero.value_minor = 0;
  EXPECT_TRUE(NewContract(zero, kNow).ok());
}

TEST(SignContract, OnceAndNotInTheFuture) {
  const Contract draft = *NewContract(DraftContract(), kNow);
  absl::StatusOr<Contract> signed_once = Sign(draft, kNow - absl::Hours(1), kNow);
  ASSERT_TRUE(signed_once.ok());
  EXPECT_EQ(signed_once->sign_time, kNow - absl::Hours(1));
  EXPECT_TRUE(absl::IsFailedPrecondition(Sign(*signed_once, kNow, kNow).status()));
  EXPECT_TRUE(Sign(draft, kNow + absl::Minutes(4), kNow).ok());  // clock skew
  EXPECT_THAT(Message(Sign(draft, kNow + absl::Minutes(6), kNow).status()), HasSubstr("sign_time"));
}

// ---- credit reports and overrides ----------------------------------------------------------

TEST(NewCreditReport, RequiresKindSourceAndSummary) {
  CreditReport r;
  r.account_id = kAccount;
  r.kind = CreditReportKind::kUrgent;
  r.source = CreditSource::kPeers;
  r.summary = "两家同行反映该客户近三个月付款延迟";
  const CreditReport ok = *NewCreditReport(r, "mgr-li", kNow);
  EXPECT_EQ(ok.author_id, "mgr-li");
  EXPECT_EQ(ok.create_time, kNow);
  CreditReport bad = r;
  bad.kind = CreditReportKind::kUnspecified;
  EXPECT_THAT(Message(NewCreditReport(bad, "a", kNow).status()), HasSubstr("report.kind"));
  bad = r;
  bad.source = static_cast<CreditSource>(9);
  EXPECT_THAT(Message(NewCreditReport(bad, "a", kNow).status()), HasSubstr("report.source"));
  bad = r;
  bad.summary = std::string(2001, 'x');
  EXPECT_THAT(Message(NewCreditReport(bad, "a", kNow).status()), HasSubstr("report.summary"));
  bad = r;
  bad.suggested_rating = static_cast<CreditRating>(8);
  EXPECT_THAT(Message(NewCreditReport(bad, "a", kNow).status()),
              HasSubstr("report.suggested_rating"));
}

TEST(NewCreditOverride, PositiveAllowanceReasonAndAtMostNinetyDays) {
  CreditOverride o = Override(0, 1'000'00, kNow + absl::Hours(24 * 90));
  const CreditOverride ok = *NewCreditOverride(o, "dir-zhao", kNow);
  EXPECT_EQ(ok.director_id, "dir-zhao");
  CreditOverride bad = o;
  bad.allowance_minor = 0;
  EXPECT_THAT(Message(NewCreditOverride(bad, "d", kNow).status()), HasSubstr("override.allowance"));
  bad = o;
  bad.reason = "";
  EXPECT_THAT(Message(NewCreditOverride(bad, "d", kNow).status()), HasSubstr("override.reason"));
  bad = o;
  bad.expire_time = kNow;
  EXPECT_THAT(Message(NewCreditOverride(bad, "d", kNow).status()),
              HasSubstr("override.expire_time"));
  bad.expire_time = kNow + absl::Hours(24 * 90) + absl::Seconds(1);
  EXPECT_THAT(Message(NewCreditOverride(bad, "d", kNow).status()),
              HasSubstr("override.expire_time"));
}

// ---- access --------------------------------------------------------------------------------

Principal As(const std::string& role) { return {"someone", {role}, ""}; }

TEST(CommerceAccess, WhoRecordsImportsAndGrants) {
  EXPECT_TRUE(CanRecordSales(As("system"), false));
  EXPECT_TRUE(CanRecordSales(As("director"), false));
  EXPECT_TRUE(CanRecordSales(As("account_manager"), true));
  EXPECT_FALSE(CanRecordSales(As("account_manager"), false));
  EXPECT_FALSE(CanRecordSales(As("analyst"), true));
  EXPECT_FALSE(CanRecordSales(As("service_agent"), true));
  EXPECT_TRUE(CanImport(As("system")));
  EXPECT_TRUE(CanImport(As("admin")));
  EXPECT_FALSE(CanImport(As("director")));
  EXPECT_TRUE(CanGrantOverride(As("director")));
  EXPECT_FALSE(CanGrantOverride(As("account_manager")));
  EXPECT_FALSE(CanGrantOverride(As("system")));
}

TEST(CommerceAccess, ArchivedAccountsTakeNoWork) {
  Account a;
  a.id = kAccount;
  EXPECT_TRUE(MayWorkOn(As("account_manager"), true, a).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(MayWorkOn(As("account_manager"), false, a)));
  EXPECT_TRUE(absl::IsPermissionDenied(MayWorkOn(As("analyst"), true, a)));
  a.archived = true;
  EXPECT_TRUE(absl::IsFailedPrecondition(MayWorkOn(As("director"), false, a)));
  EXPECT_TRUE(absl::IsFailedPrecondition(CheckTakesPayments(a)));
}

TEST(CheckPeriod, StartBeforeEnd) {
  EXPECT_TRUE(CheckPeriod("period", {kNow, kNow + absl::Seconds(1)}).ok());
  EXPECT_THAT(Message(CheckPeriod("period", {kNow, kNow})), HasSubstr("period.end_time"));
}

}  // namespace
}  // namespace kam::accounts
