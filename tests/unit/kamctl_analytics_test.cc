// kamctl analytics commands: command line -> AnalyticsService request -> what the user reads
// (see kamctl_fixture.h; the fake answers any service's methods), and the values and files
// they take.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kam/analytics/v1/analytics.pb.h"
#include "tests/unit/kamctl_fixture.h"
#include "tools/kamctl/analytics_inputs.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::analytics::v1;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// Three customers with 60,000 + 30,000 + 10,000 = 100,000 CNY: shares 60 %, 30 %, 10 %,
// cumulative 60 %, 90 %, 100 %. The top 20 % of 3 customers, rounded up, is 1 customer: 60 %.
constexpr char kAbcRow1[] = R"pb(
  account { id: 12 name: "华东重工" tier: TIER_A owner_id: "alice" }
  rank: 1
  revenue { currency_code: "CNY" minor_units: 6000000 }
  share: 0.6
  cumulative_share: 0.6
  abc_class: ABC_CLASS_A)pb";
constexpr char kAbcRow2[] = R"pb(
  account { id: 7 name: "Bolt & Nut Co" tier: TIER_B owner_id: "bob" }
  rank: 2
  revenue { currency_code: "CNY" minor_units: 3000000 }
  share: 0.3
  cumulative_share: 0.9
  abc_class: ABC_CLASS_B)pb";
constexpr char kAbcRow3[] = R"pb(
  account { id: 9 name: "Small Shop" tier: TIER_C owner_id: "alice" }
  rank: 3
  revenue { currency_code: "CNY" minor_units: 1000000 }
  share: 0.1
  cumulative_share: 1
  abc_class: ABC_CLASS_C)pb";
constexpr char kAbcSummary[] = R"pb(
  period: "2026-Q3"
  customers: 3
  total_revenue { currency_code: "CNY" minor_units: 10000000 }
  pareto_top20_share: 0.6
  classes {
    abc_class: ABC_CLASS_A
    customers: 1
    revenue { currency_code: "CNY" minor_units: 6000000 }
    share: 0.6
  }
  classes {
    abc_class: ABC_CLASS_B
    customers: 1
    revenue { currency_code: "CNY" minor_units: 3000000 }
    share: 0.3
  }
  classes {
    abc_class: ABC_CLASS_C
    customers: 1
    revenue { currency_code: "CNY" minor_units: 1000000 }
    share: 0.1
  }
  facts { accounts_sequence: 1234 complaints_sequence: 567 })pb";

v1::AnalyzeAbcResponse AbcPage(std::vector<const char*> rows, const std::string& next) {
  auto response = Proto<v1::AnalyzeAbcResponse>(kAbcSummary);
  for (const char* row : rows) *response.add_rows() = Proto<v1::AbcRow>(row);
  response.set_next_page_token(next);
  return response;
}

TEST_F(KamctlCommandTest, AbcMapsPeriodFilterThresholdsAndPage) {
  service_.Reply("AnalyzeAbc", v1::AnalyzeAbcResponse());
  const Result r = Kamctl(
      R"(analytics abc --period 2026-Q3 --region "East China" --industry steel --owner alice )"
      R"(--group 7 --tier B --a-share 70 --b-share 92.5 --page-size 20 --page-token p1)");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::AnalyzeAbcRequest>("AnalyzeAbc"),
              EqualsProto(R"pb(period: "2026-Q3"
                               filter {
                                 region: "East China"
                                 industry: "steel"
                                 owner_id: "alice"
                                 group_id: 7
                                 tier: TIER_B
                               }
                               thresholds { a_share_bp: 7000 b_share_bp: 9250 }
                               page_size: 20
                               page_token: "p1")pb"));
}

TEST_F(KamctlCommandTest, AbcWithoutOptionsSendsOnlyThePeriod) {
  service_.Reply("AnalyzeAbc", v1::AnalyzeAbcResponse());
  ASSERT_EQ(Kamctl("analytics abc --period 2026").exit_code, 0);
  EXPECT_THAT(service_.Only<v1::AnalyzeAbcRequest>("AnalyzeAbc"),
              EqualsProto(R"pb(period: "2026"
                               filter {}
                               thresholds {})pb"));
}

TEST_F(KamctlCommandTest, AbcShowsRanksClassesAndTheParetoFigure) {
  service_.Reply("AnalyzeAbc", AbcPage({kAbcRow1, kAbcRow2, kAbcRow3}, "p2"));
  const Result r = Kamctl("analytics abc --period 2026-Q3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "RANK  ACCOUNT  NAME           TIER  OWNER        REVENUE  SHARE  CUMULATIVE  CLASS\n"
            "   1       12  华东重工       A     alice  60,000.00 CNY  60.0%       60.0%  A\n"
            "   2        7  Bolt & Nut Co  B     bob    30,000.00 CNY  30.0%       90.0%  B\n"
            "   3        9  Small Shop     C     alice  10,000.00 CNY  10.0%      100.0%  C\n"
            "\n"
            "CLASS  CUSTOMERS        REVENUE  SHARE\n"
            "A              1  60,000.00 CNY  60.0%\n"
            "B              1  30,000.00 CNY  30.0%\n"
            "C              1  10,000.00 CNY  10.0%\n"
            "2026-Q3: 3 customers, revenue 100,000.00 CNY; the top 20% of customers bring 60.0% "
            "of it\n"
            "facts: accounts event 1234, complaints event 567\n"
            "next page: --page-token p2\n");
}

// The summary comes with every page: --all gathers the rows only, so the classes are not
// repeated and the JSON is one response with every row once.
TEST_F(KamctlCommandTest, AbcAllGathersTheRowsOfEveryPageOnce) {
  const auto page1 = AbcPage({kAbcRow1, kAbcRow2}, "p2");
  const auto page2 = AbcPage({kAbcRow3}, "");
  service_.ReplyInTurn("AnalyzeAbc", {&page1, &page2});
  const Result r = Kamctl("analytics abc --period 2026-Q3 --tier A --all --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto calls = service_.Calls("AnalyzeAbc");
  ASSERT_THAT(calls, SizeIs(2));
  v1::AnalyzeAbcRequest second;
  ASSERT_TRUE(second.ParseFromString(calls[1].request));
  EXPECT_THAT(second, EqualsProto(R"pb(period: "2026-Q3"
                                       filter { tier: TIER_A }
                                       thresholds {}
                                       page_token: "p2")pb"));
  const nlohmann::json json = nlohmann::json::parse(r.out);
  ASSERT_EQ(json["rows"].size(), 3u);
  EXPECT_EQ(json["rows"][2]["account"]["name"], "Small Shop");
  EXPECT_EQ(json["classes"].size(), 3u);
  EXPECT_EQ(json["pareto_top20_share"], 0.6);
  EXPECT_EQ(json["total_revenue"]["minor_units"], "10000000");  // int64 as a string (proto JSON)
  EXPECT_EQ(json["next_page_token"], "");
}

TEST_F(KamctlCommandTest, AnalysesRefuseBadPeriodsAndFlagsBeforeCalling) {
  for (const char* line :
       {"analytics abc", "analytics abc --period 2026-13", "analytics abc --period 2026-Q5",
        "analytics abc --period 26", "analytics abc --period 1999",
        "analytics abc --period 2026-q3", "analytics abc --period 2026 --tier E",
        "analytics abc --period 2026 --a-share 95 --b-share 75",
        "analytics abc --period 2026 --a-share 0", "analytics abc --period 2026 --b-share 101",
        "analytics abc --period 2026 --a-share 72.555", "analytics abc --period 2026 --group 0"}) {
    const Result r = Kamctl(line);
    EXPECT_EQ(r.exit_code, 2) << line;
    EXPECT_THAT(r.err, Not(IsEmpty())) << line;
  }
  EXPECT_THAT(service_.Calls("AnalyzeAbc"), IsEmpty());
  const Result r = Kamctl("analytics abc --period 2026-13");
  EXPECT_THAT(r.err, HasSubstr("\"2026-13\" is not a period: a year (2026), a quarter "
                               "(2026-Q3) or a month (2026-07)"));
  EXPECT_THAT(Kamctl("analytics abc --period 2026 --a-share 95 --b-share 75").err,
              HasSubstr("--a-share must be below --b-share"));
}

constexpr char kScores[] = R"pb(
  period: "2026"
  weights {
    contract_volume: 0.15
    unit_price: 0.05
    revenue: 0.25
    collection_rate: 0.15
    profit: 0.15
    quality_loss: 0.1
    industry_influence: 0.05
    credit: 0.1
  }
  accounts: 2
  rows {
    account { id: 12 name: "华东重工" tier: TIER_B owner_id: "alice" }
    score: 0.9125
    rank: 1
    breakdown {
      contract_volume { normalized: 1 }
      unit_price { normalized: 0.5 }
      revenue { normalized: 1 }
      collection_rate { normalized: 0.95 }
      profit { normalized: 1 }
      quality_loss { normalized: 0.5 }
      industry_influence { normalized: 0.8 }
      credit { normalized: 0.85 }
    }
  }
  rows {
    account { id: 9 name: "Small Shop" tier: TIER_C owner_id: "bob" }
    score: 0.1
    rank: 2
    breakdown { credit { normalized: 1 } }
  }
  facts { accounts_sequence: 88 complaints_sequence: 9 })pb";

TEST_F(KamctlCommandTest, ScoreSendsTheWeightsAndShowsEveryFactor) {
  service_.Reply("ScoreAccounts", Proto<v1::ScoreAccountsResponse>(kScores));
  const Result r = Kamctl(
      "analytics score --period 2026 --owner alice --weight revenue=0.5,profit=0.3 "
      "--weight credit=0.2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::ScoreAccountsRequest>("ScoreAccounts"),
              EqualsProto(R"pb(period: "2026"
                               filter { owner_id: "alice" }
                               weights { revenue: 0.5 profit: 0.3 credit: 0.2 })pb"));
  EXPECT_EQ(r.out,
            "RANK  ACCOUNT  NAME        TIER  OWNER  SCORE  CONTRACT  PRICE  REVENUE  COLLECTION  "
            "PROFIT  QUALITY  INFLUENCE  CREDIT\n"
            "   1       12  华东重工    B     alice   0.91      1.00   0.50     1.00        0.95  "
            "  1.00     0.50       0.80    0.85\n"
            "   2        9  Small Shop  C     bob     0.10      0.00   0.00     0.00        0.00  "
            "  0.00     0.00       0.00    1.00\n"
            "factors: 0-1, higher is better; the score is their weighted sum\n"
            "2026: 2 accounts scored; weights contract_volume 0.15, unit_price 0.05, revenue "
            "0.25, collection_rate 0.15, profit 0.15, quality_loss 0.10, industry_influence "
            "0.05, credit 0.10\n"
            "facts: accounts event 88, complaints event 9\n");
}

TEST_F(KamctlCommandTest, ScoreWithoutWeightsLeavesTheDefaultsToTheService) {
  service_.Reply("ScoreAccounts", v1::ScoreAccountsResponse());
  ASSERT_EQ(Kamctl("analytics score --period 2026-07").exit_code, 0);
  EXPECT_THAT(service_.Only<v1::ScoreAccountsRequest>("ScoreAccounts"),
              EqualsProto(R"pb(period: "2026-07"
                               filter {}
                               weights {})pb"));
}

TEST_F(KamctlCommandTest, ScoreRefusesWeightsThatCannotBeRight) {
  EXPECT_THAT(Kamctl("analytics score --period 2026 --weight revenue=0.5,profit=0.4").err,
              HasSubstr("--weight: the weights sum to 0.9; they must sum to 1"));
  EXPECT_THAT(Kamctl("analytics score --period 2026 --weight turnover=1").err,
              HasSubstr("\"turnover=1\" is not FACTOR=WEIGHT with a factor of: contract_volume, "
                        "unit_price, revenue, collection_rate, profit, quality_loss, "
                        "industry_influence, credit"));
  EXPECT_THAT(Kamctl("analytics score --period 2026 --weight revenue=1.5").err,
              HasSubstr("revenue: \"1.5\" is not a weight from 0 to 1"));
  EXPECT_THAT(Kamctl("analytics score --period 2026 --weight revenue=0.5,revenue=0.5").err,
              HasSubstr("revenue is weighted twice"));
  EXPECT_EQ(Kamctl("analytics score --period 2026 --weight revenue=0.5,profit=0.4").exit_code, 2);
  EXPECT_THAT(service_.Calls("ScoreAccounts"), IsEmpty());
}

// The --json output is the response in the proto JSON form, field names as in the proto.
TEST_F(KamctlCommandTest, ScoreJsonIsTheResponse) {
  service_.Reply("ScoreAccounts", Proto<v1::ScoreAccountsResponse>(kScores));
  const Result r = Kamctl("--json analytics score --period 2026");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["rows"][0]["account"]["name"], "华东重工");
  EXPECT_EQ(json["rows"][0]["score"], 0.9125);
  EXPECT_EQ(json["rows"][0]["breakdown"]["collection_rate"]["normalized"], 0.95);
  EXPECT_EQ(json["weights"]["quality_loss"], 0.1);
  EXPECT_EQ(json["facts"]["accounts_sequence"], "88");
}

constexpr char kReview[] = R"pb(
  review {
    id: "rv-3"
    run_by: "dora"
    run_time { seconds: 1795168800 }
    parameters {
      period: "2026"
      thresholds { a_share_bp: 8000 b_share_bp: 9500 }
      weights {
        contract_volume: 0.15
        unit_price: 0.05
        revenue: 0.25
        collection_rate: 0.15
        profit: 0.15
        quality_loss: 0.1
        industry_influence: 0.05
        credit: 0.1
      }
      promote_at: 0.85
      demote_below: 0.15
    }
    state: REVIEW_STATE_DRY_RUN
    accounts_reviewed: 120
    promotions: 5
    demotions: 3
    unchanged: 112
    facts { accounts_sequence: 1234 complaints_sequence: 567 }
  })pb";

TEST_F(KamctlCommandTest, TierReviewRunSendsTheParametersAndShowsTheOutcome) {
  service_.Reply("RunTierReview", Proto<v1::RunTierReviewResponse>(kReview));
  const Result r = Kamctl(
      "analytics tier-review run --period 2026 --a-share 80 --b-share 95 --promote-at 0.85 "
      "--demote-below 0.15 --dry-run --request-id review-2026");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::RunTierReviewRequest>("RunTierReview"),
              EqualsProto(R"pb(request_id: "review-2026"
                               parameters {
                                 period: "2026"
                                 thresholds { a_share_bp: 8000 b_share_bp: 9500 }
                                 weights {}
                                 promote_at: 0.85
                                 demote_below: 0.15
                               }
                               dry_run: true)pb"));
  EXPECT_EQ(r.out,
            "id:           rv-3\n"
            "state:        dry run (nothing applied)\n"
            "run by:       dora\n"
            "run at:       2026-11-20T10:00:00Z\n"
            "period:       2026\n"
            "abc classes:  A below 80.00%, B below 95.00% of cumulative revenue\n"
            "weights:      contract_volume 0.15, unit_price 0.05, revenue 0.25, collection_rate "
            "0.15, profit 0.15, quality_loss 0.10, industry_influence 0.05, credit 0.10\n"
            "promote at:   score >= 0.85: one tier up\n"
            "demote below: score < 0.15: one tier down\n"
            "accounts:     120 reviewed: 5 promoted, 3 demoted, 112 unchanged\n"
            "facts:        accounts event 1234, complaints event 567\n"
            "changes: kamctl analytics tier-review changes rv-3\n");
  EXPECT_THAT(r.err, IsEmpty());
}

TEST_F(KamctlCommandTest, TierReviewRunPartialTellsHowToFinish) {
  auto response = Proto<v1::RunTierReviewResponse>(kReview);
  response.mutable_review()->set_state(v1::REVIEW_STATE_PARTIAL);
  response.mutable_review()->set_pending(2);
  service_.Reply("RunTierReview", response);
  const Result r = Kamctl("analytics tier-review run --period 2026 --request-id review-2026");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("state:        PARTIAL (2 change(s) not applied yet)\n"));
  EXPECT_THAT(r.err, HasSubstr("warning: 2 change(s) not applied (accounts unreachable or "
                               "refused); repeat the command with --request-id review-2026 to "
                               "finish"));
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::RunTierReviewRequest>("RunTierReview")),
              EqualsProto(R"pb(parameters {
                                 period: "2026"
                                 thresholds {}
                                 weights {}
                               })pb"));
}

TEST_F(KamctlCommandTest, TierReviewRunUnavailableTellsTheRequestIdToRetryWith) {
  service_.Fail("RunTierReview", grpc::Status(grpc::StatusCode::UNAVAILABLE, "accounts down"));
  const Result r = Kamctl("analytics tier-review run --period 2026");
  EXPECT_EQ(r.exit_code, 1);
  const std::string id = service_.Only<v1::RunTierReviewRequest>("RunTierReview").request_id();
  EXPECT_THAT(id, Not(IsEmpty()));
  EXPECT_THAT(r.err, HasSubstr("repeat the command with --request-id " + id));
}

TEST_F(KamctlCommandTest, TierReviewRunTakesBothScoreThresholdsOrNeither) {
  EXPECT_EQ(Kamctl("analytics tier-review run --period 2026 --promote-at 0.7").exit_code, 2);
  EXPECT_EQ(Kamctl("analytics tier-review run --period 2026 --demote-below 0.3").exit_code, 2);
  const Result r =
      Kamctl("analytics tier-review run --period 2026 --promote-at 0.3 --demote-below 0.3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--demote-below must be below --promote-at"));
  EXPECT_EQ(Kamctl("analytics tier-review run --period 2026 --promote-at 1.2 --demote-below 0.3")
                .exit_code,
            2);
  EXPECT_EQ(Kamctl("analytics tier-review run").exit_code, 2);  // --period
  EXPECT_THAT(service_.Calls("RunTierReview"), IsEmpty());
}

TEST_F(KamctlCommandTest, TierReviewChangesShowWhatMovedAndWhatIsPending) {
  service_.Reply("ListTierChanges", Proto<v1::ListTierChangesResponse>(R"pb(
                   changes {
                     account { id: 12 name: "华东重工" owner_id: "alice" }
                     old_tier: TIER_B
                     new_tier: TIER_A
                     abc_class: ABC_CLASS_A
                     score: 0.912
                     reason: "ABC class A; score 0.91 >= 0.80 promote_at"
                     applied: true
                   }
                   changes {
                     account { id: 9 name: "Small Shop" owner_id: "bob" }
                     old_tier: TIER_C
                     new_tier: TIER_D
                     abc_class: ABC_CLASS_C
                     score: 0.1
                     reason: "ABC class C; score 0.10 < 0.20 demote_below"
                     error: "accounts unavailable"
                   }
                   next_page_token: "c2")pb"));
  const Result r = Kamctl("analytics tier-review changes rv-3 --page-size 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::ListTierChangesRequest>("ListTierChanges"),
              EqualsProto(R"pb(review_id: "rv-3" page_size: 2)pb"));
  EXPECT_EQ(r.out,
            "ACCOUNT  NAME        OWNER  FROM  TO  ABC  SCORE  APPLIED  REASON\n"
            "     12  华东重工    alice  B     A   A    0.91   yes      ABC class A; score 0.91 "
            ">= 0.80 promote_at\n"
            "      9  Small Shop  bob    C     D   C    0.10   NO       ABC class C; score 0.10 "
            "< 0.20 demote_below; not applied: accounts unavailable\n"
            "1 change(s) shown not applied yet\n"
            "next page: --page-token c2\n");
}

TEST_F(KamctlCommandTest, TierReviewGetAndListAreReads) {
  service_.Reply("GetTierReview", Proto<v1::GetTierReviewResponse>(kReview));
  ASSERT_EQ(Kamctl("analytics tier-review get rv-3").exit_code, 0);
  EXPECT_THAT(service_.Only<v1::GetTierReviewRequest>("GetTierReview"),
              EqualsProto(R"pb(review_id: "rv-3")pb"));
  v1::ListTierReviewsResponse list;
  *list.add_reviews() = Proto<v1::RunTierReviewResponse>(kReview).review();
  service_.Reply("ListTierReviews", list);
  const Result r = Kamctl("analytics tier-review list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "ID    RUN AT                BY    PERIOD  STATE    REVIEWED  PROMOTED  DEMOTED  "
            "UNCHANGED  PENDING\n"
            "rv-3  2026-11-20T10:00:00Z  dora  2026    dry_run       120         5        3  "
            "      112        0\n");
}

TEST_F(KamctlCommandTest, CompositionLabelsEnumClassesAndTakesADimension) {
  service_.Reply("AnalyzeComposition", Proto<v1::AnalyzeCompositionResponse>(R"pb(
                   period: "2026"
                   dimension: DIMENSION_TIER
                   classes {
                     key: "TIER_A"
                     customers: 2
                     revenue { currency_code: "CNY" minor_units: 7500000 }
                     share: 0.75
                     key_accounts: 2
                     key_account_revenue { currency_code: "CNY" minor_units: 7500000 }
                   }
                   classes {
                     key: ""
                     customers: 1
                     revenue { currency_code: "CNY" minor_units: 2500000 }
                     share: 0.25
                   }
                   total_revenue { currency_code: "CNY" minor_units: 10000000 }
                   key_accounts: 2
                   key_account_share: 0.75)pb"));
  const Result r = Kamctl("analytics composition --period 2026 --dimension tier");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::AnalyzeCompositionRequest>("AnalyzeComposition"),
              EqualsProto(R"pb(period: "2026"
                               filter {}
                               dimension: DIMENSION_TIER)pb"));
  EXPECT_THAT(r.out,
              AllOf(HasSubstr("A               2  75,000.00 CNY  75.0%             2       "
                              " 75,000.00 CNY\n"),
                    HasSubstr("(none)          1  25,000.00 CNY  25.0%             0       "
                              "      0.00 CNY\n"),
                    HasSubstr("2026: by tier, 2 classes, revenue 100,000.00 CNY; 2 key accounts "
                              "(tier A or B) bring 75.0% of it\n")));
  const Result bad = Kamctl("analytics composition --period 2026 --dimension colour");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("nature, industry, region, tier, lifecycle, owner, scale"));
  EXPECT_EQ(Kamctl("analytics composition --period 2026").exit_code, 2);  // --dimension
}

TEST_F(KamctlCommandTest, TransactionsFlagShortfallsAndShowMonthsOnRequest) {
  service_.Reply("AnalyzeTransactions", Proto<v1::AnalyzeTransactionsResponse>(R"pb(
                   period: "2026-Q1"
                   company_revenue { currency_code: "CNY" minor_units: 20000000 }
                   shortfalls: 1
                   rows {
                     account { id: 12 name: "华东重工" owner_id: "alice" }
                     revenue { currency_code: "CNY" minor_units: 2000000 }
                     months {
                       month: "2026-01"
                       revenue { currency_code: "CNY" minor_units: 2000000 }
                     }
                     months {
                       month: "2026-02"
                       revenue { currency_code: "CNY" }
                     }
                     months {
                       month: "2026-03"
                       revenue { currency_code: "CNY" }
                     }
                     share: 0.1
                     has_target: true
                     expected_share: 0.125
                     shortfall: true
                     shortfall_share: 0.025
                   })pb"));
  const Result r = Kamctl("analytics transactions --period 2026-Q1 --shortfalls-only --by-month");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::AnalyzeTransactionsRequest>("AnalyzeTransactions"),
              EqualsProto(R"pb(period: "2026-Q1"
                               filter {}
                               shortfalls_only: true)pb"));
  // 2,000,000 / 20,000,000 = 10.0 % against 12.5 % expected: 2.5 points short.
  EXPECT_EQ(r.out,
            "ACCOUNT  NAME      OWNER        REVENUE  SHARE  EXPECTED  SHORTFALL        2026-01   "
            "2026-02   2026-03\n"
            "     12  华东重工  alice  20,000.00 CNY  10.0%     12.5%       2.5%  20,000.00 CNY  "
            "0.00 CNY  0.00 CNY\n"
            "2026-Q1: company revenue 200,000.00 CNY; 1 account(s) below their expected share\n"
            "facts: accounts event 0, complaints event 0\n");
}

TEST_F(KamctlCommandTest, ProductMixTakesTheAccountAndShowsTurnoverOnlyWithInventory) {
  service_.Reply("AnalyzeProductMix", Proto<v1::AnalyzeProductMixResponse>(R"pb(
                   period: "2026"
                   account { id: 12 name: "华东重工" tier: TIER_A owner_id: "alice" }
                   revenue { currency_code: "CNY" minor_units: 1000000 }
                   products {
                     product_code: "P-100"
                     product_category: "pipe"
                     rank: 1
                     quantity: 40
                     revenue { currency_code: "CNY" minor_units: 800000 }
                     share: 0.8
                     cumulative_share: 0.8
                     gross_margin_rate: 0.25
                     has_inventory: true
                     turnover_rate: 4
                     cross_ratio: 1
                     contribution_ratio: 1
                   }
                   products {
                     product_code: "P-200"
                     product_category: "bolt"
                     rank: 2
                     quantity: 100
                     revenue { currency_code: "CNY" minor_units: 200000 }
                     share: 0.2
                     cumulative_share: 1
                     gross_margin_rate: 0.1
                   })pb"));
  const Result r = Kamctl("analytics product-mix 12 --period 2026");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::AnalyzeProductMixRequest>("AnalyzeProductMix"),
              EqualsProto(R"pb(period: "2026" account_id: 12)pb"));
  EXPECT_THAT(r.out,
              AllOf(HasSubstr("account: 12 (华东重工)\n"), HasSubstr("revenue: 10,000.00 CNY\n"),
                    HasSubstr("   1  P-100    pipe            40  8,000.00 CNY  80.0%  "
                              "     80.0%   25.0%      4.00   1.00        100.0%\n"),
                    HasSubstr("   2  P-200    bolt           100  2,000.00 CNY  20.0%  "
                              "    100.0%   10.0%         -      -             -\n"),
                    HasSubstr("1 product(s) without inventory snapshots")));
  EXPECT_EQ(Kamctl("analytics product-mix --period 2026").exit_code, 2);
}

TEST_F(KamctlCommandTest, KpiCommandsMapTheirOptions) {
  service_.Reply("AnalyzeRetention", v1::AnalyzeRetentionResponse());
  service_.Reply("AnalyzePipeline", v1::AnalyzePipelineResponse());
  service_.Reply("AnalyzeComplaints", v1::AnalyzeComplaintsResponse());
  service_.Reply("GetManagerScorecard", v1::GetManagerScorecardResponse());
  service_.Reply("AnalyzeProducts", v1::AnalyzeProductsResponse());
  ASSERT_EQ(Kamctl("analytics retention --period 2026-Q3 --at-risk-months 6 --tier A").exit_code,
            0);
  EXPECT_THAT(service_.Only<v1::AnalyzeRetentionRequest>("AnalyzeRetention"),
              EqualsProto(R"pb(period: "2026-Q3"
                               filter { tier: TIER_A }
                               at_risk_months: 6)pb"));
  ASSERT_EQ(Kamctl("analytics pipeline --period 2026 --owner bob").exit_code, 0);
  EXPECT_THAT(service_.Only<v1::AnalyzePipelineRequest>("AnalyzePipeline"),
              EqualsProto(R"pb(period: "2026"
                               filter { owner_id: "bob" })pb"));
  ASSERT_EQ(Kamctl("analytics complaints --period 2026-11 --repeat-threshold 3").exit_code, 0);
  EXPECT_THAT(service_.Only<v1::AnalyzeComplaintsRequest>("AnalyzeComplaints"),
              EqualsProto(R"pb(period: "2026-11"
                               filter {}
                               repeat_threshold: 3)pb"));
  ASSERT_EQ(Kamctl("analytics scorecard --period 2026 --region North").exit_code, 0);
  EXPECT_THAT(service_.Only<v1::GetManagerScorecardRequest>("GetManagerScorecard"),
              EqualsProto(R"pb(period: "2026"
                               filter { region: "North" })pb"));
  ASSERT_EQ(Kamctl("analytics products --period 2026 --page-size 100").exit_code, 0);
  EXPECT_THAT(service_.Only<v1::AnalyzeProductsRequest>("AnalyzeProducts"),
              EqualsProto(R"pb(period: "2026"
                               filter {}
                               page_size: 100)pb"));
  EXPECT_EQ(Kamctl("analytics retention --period 2026 --at-risk-months 61").exit_code, 2);
  EXPECT_EQ(Kamctl("analytics complaints --period 2026 --repeat-threshold 0").exit_code, 2);
}

TEST_F(KamctlCommandTest, RetentionReadsAsSentences) {
  service_.Reply("AnalyzeRetention", Proto<v1::AnalyzeRetentionResponse>(R"pb(
                   period: "2026-Q3"
                   previous_period: "2026-Q2"
                   customer_base: 120
                   new_customers: 8
                   new_customers_by_month { month: "2026-07" count: 3 }
                   new_customers_by_month { month: "2026-08" count: 5 }
                   new_customers_by_month { month: "2026-09" count: 0 }
                   previous_customers: 50
                   retained_customers: 45
                   retention_rate: 0.9
                   churn_rate: 0.1
                   previous_key_customers: 20
                   retained_key_customers: 18
                   key_retention_rate: 0.9
                   average_order_value { currency_code: "CNY" minor_units: 1234500 }
                   purchase_frequency: 2.35
                   at_risk {
                     account { id: 12 name: "华东重工" owner_id: "alice" }
                     last_order_time { seconds: 1782864000 }
                     months_without_orders: 3
                   }
                   at_risk {
                     account { id: 40 name: "Never Ordered" owner_id: "bob" }
                     months_without_orders: 9
                   })pb"));
  const Result r = Kamctl("analytics retention --period 2026-Q3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out,
              AllOf(HasSubstr("period:             2026-Q3 (previous 2026-Q2)\n"),
                    HasSubstr("new customers:      8 (2026-07: 3, 2026-08: 5, 2026-09: 0)\n"),
                    HasSubstr("retention:          45 of 50 (90.0%) ordered again; churn 10.0%\n"),
                    HasSubstr("key retention:      18 of 20 (90.0%) key accounts ordered again\n"),
                    HasSubstr("average order:      12,345.00 CNY\n"),
                    HasSubstr("purchase frequency: 2.35 orders per customer\n"),
                    HasSubstr("share of wallet:    no wallet estimates for the year"),
                    HasSubstr("     12  华东重工       alice  2026-07-01               3\n"),
                    HasSubstr("     40  Never Ordered  bob    never                    9\n")));
}

TEST_F(KamctlCommandTest, PipelineShowsStagesOwnersAndTheWinRate) {
  service_.Reply("AnalyzePipeline", Proto<v1::AnalyzePipelineResponse>(R"pb(
                   period: "2026"
                   stages {
                     stage: STAGE_CUSTOMER_DEVELOPMENT
                     reached: 40
                     conversion_to_next: 0.5
                     mean_days_in_stage: 12.34
                     median_days_in_stage: 10
                     open_now: 7
                   }
                   stages { stage: STAGE_BIDDING reached: 12 conversion_to_next: 0.75 }
                   won: 5
                   lost: 3
                   win_rate: 0.625
                   won_amount { currency_code: "CNY" minor_units: 123456700 }
                   mean_days_to_win: 45.5
                   owners {
                     owner_id: "alice"
                     open_opportunities: 4
                     pipeline { currency_code: "CNY" minor_units: 50000000 }
                     weighted_forecast { currency_code: "CNY" minor_units: 20000000 }
                   })pb"));
  const Result r = Kamctl("analytics pipeline --period 2026");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 5 won of 5 + 3 closed: 62.5 %.
  EXPECT_EQ(r.out,
            "STAGE                 REACHED  TO NEXT  MEAN DAYS  MEDIAN DAYS  OPEN NOW\n"
            "customer_development       40    50.0%       12.3         10.0         7\n"
            "bidding                    12    75.0%        0.0          0.0         0\n"
            "\n"
            "OWNER  OPEN        PIPELINE  WEIGHTED FORECAST\n"
            "alice     4  500,000.00 CNY     200,000.00 CNY\n"
            "2026: won 5, lost 3 (win rate 62.5%), won 1,234,567.00 CNY, 45.5 days to win on "
            "average\n"
            "facts: accounts event 0, complaints event 0\n");
}

TEST_F(KamctlCommandTest, ComplaintKpisShowValidityResolutionAndBreachesPerTier) {
  service_.Reply("AnalyzeComplaints", Proto<v1::AnalyzeComplaintsResponse>(R"pb(
                   period: "2026-Q3"
                   complaints: 42
                   counts { category: CATEGORY_PRODUCT_QUALITY state: STATE_CLOSED count: 30 }
                   judged: 35
                   valid: 30
                   validity_rate: 0.857142
                   resolved: 28
                   mean_hours_to_resolve: 30.5
                   p50_hours_to_resolve: 24
                   p90_hours_to_resolve: 60
                   breaches { tier: TIER_A complaints: 10 breached: 1 breach_rate: 0.1 }
                   breaches { complaints: 4 breached: 2 breach_rate: 0.5 }
                   follow_ups: 20
                   mean_satisfaction_gap: 0.45
                   repeat_complainers {
                     account { id: 12 name: "华东重工" tier: TIER_A owner_id: "alice" }
                     complaints: 3
                   })pb"));
  const Result r = Kamctl("analytics complaints --period 2026-Q3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out,
              AllOf(HasSubstr("complaints: 42 created in 2026-Q3\n"),
                    HasSubstr("validity:   30 of 35 (85.7%) judged valid\n"),
                    HasSubstr("resolution: 28 resolved: mean 30.5 h, median 24.0 h, p90 60.0 h\n"),
                    HasSubstr("follow-ups: 20, mean satisfaction gap 0.45\n"),
                    HasSubstr("product_quality  closed          30\n"),
                    HasSubstr("A                 10             1        10.0%\n"),
                    HasSubstr("untiered           4             2        50.0%\n"),
                    HasSubstr("               12  华东重工  A     alice           3\n")));
}

TEST_F(KamctlCommandTest, ProductsSumUpWithTheGrossMargin) {
  service_.Reply("AnalyzeProducts", Proto<v1::AnalyzeProductsResponse>(R"pb(
                   period: "2026"
                   products: 2
                   revenue { currency_code: "CNY" minor_units: 1000000 }
                   cost { currency_code: "CNY" minor_units: 750000 }
                   rows { product_code: "P-100" rank: 1 has_inventory: true }
                   rows { product_code: "P-200" rank: 2 has_inventory: true })pb"));
  const Result r = Kamctl("analytics products --period 2026");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // (10,000.00 - 7,500.00) / 10,000.00 = 25.0 %.
  EXPECT_THAT(r.out, HasSubstr("2026: 2 products, revenue 10,000.00 CNY, cost 7,500.00 CNY, "
                               "gross margin 25.0%\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("without inventory")));
}

// Totals over the cards are exact sums: 60,000.00 + 40,000.00 = 100,000.00 revenue and
// 54,000.00 + 36,000.00 = 90,000.00 collected, 90.0 %.
TEST_F(KamctlCommandTest, ScorecardSumsTheCards) {
  service_.Reply("GetManagerScorecard", Proto<v1::GetManagerScorecardResponse>(R"pb(
                   period: "2026"
                   managers {
                     owner_id: "alice"
                     accounts: 10
                     key_accounts: 3
                     revenue { currency_code: "CNY" minor_units: 6000000 }
                     collected { currency_code: "CNY" minor_units: 5400000 }
                     collection_rate: 0.9
                   }
                   managers {
                     owner_id: "bob"
                     accounts: 4
                     revenue { currency_code: "CNY" minor_units: 4000000 }
                     collected { currency_code: "CNY" minor_units: 3600000 }
                     collection_rate: 0.9
                   })pb"));
  const Result r = Kamctl("analytics scorecard --period 2026");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2026: 2 account manager(s), revenue 100,000.00 CNY, collected "
                               "90,000.00 CNY (90.0%)\n"));
}

TEST_F(KamctlCommandTest, InventoryPutReadsTheCsvFile) {
  service_.Reply("PutInventorySnapshots", Proto<v1::PutInventorySnapshotsResponse>("stored: 2"));
  const std::string path = File("inventory.csv",
                                "product_code,month,value,quantity\n"
                                "# counted on the 15th\n"
                                "P-100,2026-07,125000.50,40\r\n"
                                "\n"
                                " P-200 , 2026-07 , 0 , \n");
  const Result r = Kamctl("analytics inventory-put " + path + " --request-id inv-7");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::PutInventorySnapshotsRequest>("PutInventorySnapshots"),
              EqualsProto(R"pb(request_id: "inv-7"
                               snapshots {
                                 product_code: "P-100"
                                 month: "2026-07"
                                 value { currency_code: "CNY" minor_units: 12500050 }
                                 quantity: 40
                               }
                               snapshots {
                                 product_code: "P-200"
                                 month: "2026-07"
                                 value { currency_code: "CNY" minor_units: 0 }
                               })pb"));
  EXPECT_EQ(r.out, "stored: 2 snapshots\n");
}

TEST_F(KamctlCommandTest, InventoryPutSendsBatchesOf500WithTheirOwnRequestIds) {
  std::string csv;
  for (int i = 0; i < 501; ++i) csv += "P-" + std::to_string(i) + ",2026-07,1.00,1\n";
  const auto first = Proto<v1::PutInventorySnapshotsResponse>("stored: 500");
  const auto second = Proto<v1::PutInventorySnapshotsResponse>("stored: 1");
  service_.ReplyInTurn("PutInventorySnapshots", {&first, &second});
  const Result r = Kamctl("analytics inventory-put " + File("big.csv", csv) + " --request-id b");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto calls = service_.Calls("PutInventorySnapshots");
  ASSERT_THAT(calls, SizeIs(2));
  v1::PutInventorySnapshotsRequest one, two;
  ASSERT_TRUE(one.ParseFromString(calls[0].request));
  ASSERT_TRUE(two.ParseFromString(calls[1].request));
  EXPECT_EQ(one.request_id(), "b-1");
  EXPECT_EQ(one.snapshots_size(), 500);
  EXPECT_EQ(two.request_id(), "b-2");
  ASSERT_EQ(two.snapshots_size(), 1);
  EXPECT_EQ(two.snapshots(0).product_code(), "P-500");
  EXPECT_EQ(r.out, "stored: 501 snapshots\n");
}

TEST_F(KamctlCommandTest, InventoryPutNamesTheBadLineAndSendsNothing) {
  const std::string path = File("bad.csv", "P-100,2026-07,1.00,1\nP-200,2026-13,1.00,1\n");
  const Result r = Kamctl("analytics inventory-put " + path);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(path + ": line 2: month: \"2026-13\" is not YYYY-MM"));
  EXPECT_THAT(Kamctl("analytics inventory-put " + File("empty.csv", "# nothing\n")).err,
              HasSubstr("no rows to store"));
  EXPECT_EQ(Kamctl("analytics inventory-put /nonexistent/inventory.csv").exit_code, 2);
  EXPECT_THAT(service_.Calls("PutInventorySnapshots"), IsEmpty());
}

TEST_F(KamctlCommandTest, TargetsPutReadsTheCsvFile) {
  service_.Reply("PutAccountTargets", Proto<v1::PutAccountTargetsResponse>("stored: 2"));
  const std::string path = File("targets.csv",
                                "account_id,year,expected_share_percent,wallet_estimate,"
                                "industry_influence\n"
                                "12,2026,12.5,8000000,80\n"
                                "9,2026,0.25,,10\n");
  const Result r = Kamctl("analytics targets-put " + path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::PutAccountTargetsRequest>("PutAccountTargets")),
              EqualsProto(R"pb(targets {
                                 account_id: 12
                                 year: 2026
                                 expected_share_bp: 1250
                                 wallet_estimate { currency_code: "CNY" minor_units: 800000000 }
                                 industry_influence: 80
                               }
                               targets {
                                 account_id: 9
                                 year: 2026
                                 expected_share_bp: 25
                                 wallet_estimate { currency_code: "CNY" minor_units: 0 }
                                 industry_influence: 10
                               })pb"));
  EXPECT_EQ(r.out, "stored: 2 targets\n");
}

TEST_F(KamctlCommandTest, HelpNamesTheRolesEachCommandNeeds) {
  // The roles come from services/gateway/policy.json (kamctl_catalog_test checks every
  // command against it); what the policy cannot say is in the description.
  EXPECT_THAT(Kamctl("analytics abc --help").out,
              AllOf(HasSubstr("(account managers: over their own accounts)"),
                    HasSubstr("Roles: admin, director, account_manager, analyst (")));
  EXPECT_THAT(Kamctl("analytics tier-review run --help").out,
              HasSubstr("Roles: admin, director, system ("));
  EXPECT_THAT(Kamctl("analytics tier-review changes --help").out,
              HasSubstr("Roles: admin, director, analyst ("));
  EXPECT_THAT(Kamctl("analytics inventory-put --help").out, HasSubstr("Roles: admin, system ("));
  EXPECT_THAT(Kamctl("analytics targets-put --help").out,
              HasSubstr("Roles: admin, director, analyst, system ("));
}

TEST(IsPeriod, TakesYearsQuartersAndMonths) {
  for (const char* period : {"2026", "2000", "2100", "2026-Q1", "2026-Q4", "2026-01", "2026-12"}) {
    EXPECT_TRUE(IsPeriod(period)) << period;
  }
  for (const char* period : {"", "26", "1999", "2101", "2026-Q0", "2026-Q5", "2026-q1", "2026-00",
                             "2026-13", "2026-1", "2026/01", "2026-01-01", " 2026"}) {
    EXPECT_FALSE(IsPeriod(period)) << period;
  }
}

TEST(ParsePercent, GivesBasisPoints) {
  EXPECT_EQ(*ParsePercent("75"), 7500);
  EXPECT_EQ(*ParsePercent("72.5"), 7250);
  EXPECT_EQ(*ParsePercent("0.25"), 25);
  EXPECT_EQ(*ParsePercent("100"), 10000);
  EXPECT_EQ(*ParsePercent("0"), 0);
  EXPECT_THAT(Message(ParsePercent("100.01").status()), HasSubstr("more than 100 percent"));
  for (const char* text : {"", "-5", "7.555", "75%", ".5", "5.", "1000", "abc"}) {
    EXPECT_THAT(Message(ParsePercent(text).status()), HasSubstr("is not a percentage")) << text;
  }
}

TEST(FormatShare, ShowsAPercentWithOneDecimal) {
  EXPECT_EQ(FormatShare(0.7834), "78.3%");
  EXPECT_EQ(FormatShare(1), "100.0%");
  EXPECT_EQ(FormatShare(0), "0.0%");
  EXPECT_EQ(FormatShare(0.00049), "0.0%");
}

TEST(ParseWeights, NamesFactorsWithDashesOrUnderscores) {
  const absl::StatusOr<v1::ScoreWeights> weights =
      ParseWeights({"contract-volume=0.25", "Unit_Price=0.25", "credit=0.5"});
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_THAT(*weights, EqualsProto("contract_volume: 0.25 unit_price: 0.25 credit: 0.5"));
  // 0.1 + 0.2 + 0.7 is not exactly 1 in binary; the service allows 1e-6.
  EXPECT_TRUE(ParseWeights({"revenue=0.1", "profit=0.2", "credit=0.7"}).ok());
  EXPECT_TRUE(ParseWeights({}).ok());
  EXPECT_FALSE(ParseWeights({"revenue"}).ok());
  EXPECT_FALSE(ParseWeights({"revenue=nan"}).ok());
}

TEST(ParseTargetsCsv, NamesTheLineAndField) {
  EXPECT_THAT(Message(ParseTargetsCsv("12,2026,12.5,0,80\n0,2026,1,0,1\n").status()),
              HasSubstr("line 2: account_id: \"0\" is not an account id"));
  EXPECT_THAT(Message(ParseTargetsCsv("12,1999,12.5,0,80").status()),
              HasSubstr("line 1: year: \"1999\" is not a year from 2000 to 2100"));
  EXPECT_THAT(Message(ParseTargetsCsv("12,2026,120,0,80").status()),
              HasSubstr("line 1: expected_share_percent: \"120\" is more than 100 percent"));
  EXPECT_THAT(Message(ParseTargetsCsv("12,2026,12,1.234,80").status()),
              HasSubstr("line 1: wallet_estimate: \"1.234\" has more than 2 decimals"));
  EXPECT_THAT(Message(ParseTargetsCsv("12,2026,12,0,101").status()),
              HasSubstr("line 1: industry_influence: \"101\" is not a whole number from 0 to 100"));
  EXPECT_THAT(Message(ParseTargetsCsv("12,2026,12,0").status()),
              HasSubstr("line 1: expected 5 fields"));
}

}  // namespace
}  // namespace kam::kamctl
