#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "services/analytics/score.h"
#include "services/analytics/tier_review.h"

namespace kam::analytics {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace av1 = kam::accounts::v1;

// ---- Weights ----

TEST(CheckWeightsTest, AllZeroMeansTheDefaultsWhichSumToOne) {
  absl::StatusOr<v1::ScoreWeights> weights = CheckWeights(v1::ScoreWeights());
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_DOUBLE_EQ(weights->contract_volume(), 0.15);
  EXPECT_DOUBLE_EQ(weights->unit_price(), 0.05);
  EXPECT_DOUBLE_EQ(weights->revenue(), 0.25);
  EXPECT_DOUBLE_EQ(weights->collection_rate(), 0.15);
  EXPECT_DOUBLE_EQ(weights->profit(), 0.15);
  EXPECT_DOUBLE_EQ(weights->quality_loss(), 0.10);
  EXPECT_DOUBLE_EQ(weights->industry_influence(), 0.05);
  EXPECT_DOUBLE_EQ(weights->credit(), 0.10);
  EXPECT_TRUE(CheckWeights(DefaultWeights()).ok());
}

TEST(CheckWeightsTest, WeightsThatSumToOneAreKeptAsGiven) {
  v1::ScoreWeights weights;
  weights.set_revenue(0.6);
  weights.set_credit(0.4);
  absl::StatusOr<v1::ScoreWeights> checked = CheckWeights(weights);
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_DOUBLE_EQ(checked->revenue(), 0.6);
  EXPECT_DOUBLE_EQ(checked->credit(), 0.4);
  EXPECT_DOUBLE_EQ(checked->contract_volume(), 0);
  // 1e-7 off is within the tolerance.
  weights.set_credit(0.4 + 1e-7);
  EXPECT_TRUE(CheckWeights(weights).ok());
}

TEST(CheckWeightsTest, AWeightOutsideZeroToOneNamesTheFactor) {
  v1::ScoreWeights weights = DefaultWeights();
  weights.set_revenue(1.25);
  absl::Status status = CheckWeights(weights).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("weights.revenue:"));

  weights = DefaultWeights();
  weights.set_credit(-0.1);
  weights.set_profit(0.35);
  status = CheckWeights(weights).status();
  EXPECT_THAT(std::string(status.message()), StartsWith("weights.credit:"));

  weights = DefaultWeights();
  weights.set_quality_loss(std::numeric_limits<double>::quiet_NaN());
  status = CheckWeights(weights).status();
  EXPECT_THAT(std::string(status.message()), StartsWith("weights.quality_loss:"));
}

TEST(CheckWeightsTest, WeightsNotSummingToOneNameWeights) {
  v1::ScoreWeights weights = DefaultWeights();
  weights.set_revenue(0.20);  // sum 0.95
  absl::Status status = CheckWeights(weights).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("weights: must sum to 1"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("0.95"));
  weights.set_revenue(0.25 + 1e-5);
  EXPECT_FALSE(CheckWeights(weights).ok());
}

// ---- Scores ----

FactorInputs Inputs(int64_t id, int64_t contract, int64_t revenue, int64_t cost, int64_t quantity,
                    int64_t paid, int64_t complaints, int32_t influence, av1::CreditRating credit) {
  FactorInputs in;
  in.account.set_id(id);
  in.account.set_name("account " + std::to_string(id));
  in.contract_volume = contract;
  in.revenue = revenue;
  in.cost = cost;
  in.quantity = quantity;
  in.paid = paid;
  in.valid_complaints = complaints;
  in.industry_influence = influence;
  in.credit_rating = credit;
  return in;
}

const v1::ScoreRow& RowOf(const std::vector<v1::ScoreRow>& rows, int64_t id) {
  for (const v1::ScoreRow& row : rows) {
    if (row.account().id() == id) return row;
  }
  ADD_FAILURE() << "no row for account " << id;
  return rows.front();
}

TEST(ScoreAllTest, ThreeAccountsMatchTheHandCalculation) {
  // n = 3, so a percentile rank is (lower + (equal - 1) / 2) / 2.
  //                 contract revenue cost quantity paid complaints influence credit
  //   account 1:      1000   10000  6000    100   8000      0         80      AAA
  //   account 2:         0    5000  4000     25   6000      2         50      BBB
  //   account 3:      1000       0     0      0      0      1          0      none
  // contract volume: 0 -> 0/2 = 0; the two 1000s -> (1 + 1/2)/2 = 0.75
  // unit price: 100, 200, 0 (no quantity) -> 0.5, 1, 0
  // revenue: 1, 0.5, 0; profit 4000, 1000, 0 -> 1, 0.5, 0
  // collection: 8000/10000 = 0.8; 6000/5000 capped at 1; no revenue 0
  // complaints 0, 2, 1 rank 0, 1, 0.5 -> quality loss inverted 1, 0, 0.5
  // influence 0.8, 0.5, 0; credit AAA 1.0, BBB 0.55, none 0
  // Default weights 0.15 0.05 0.25 0.15 0.15 0.10 0.05 0.10:
  //   account 1: .1125 + .025 + .25 + .12 + .15 + .10 + .04 + .10 = 0.8975
  //   account 2: 0 + .05 + .125 + .15 + .075 + 0 + .025 + .055 = 0.48
  //   account 3: .1125 + 0 + 0 + 0 + 0 + .05 + 0 + 0 = 0.1625
  const std::vector<FactorInputs> inputs = {
      Inputs(3, 1000, 0, 0, 0, 0, 1, 0, av1::CREDIT_RATING_UNSPECIFIED),
      Inputs(1, 1000, 10000, 6000, 100, 8000, 0, 80, av1::CREDIT_RATING_AAA),
      Inputs(2, 0, 5000, 4000, 25, 6000, 2, 50, av1::CREDIT_RATING_BBB)};
  const std::vector<v1::ScoreRow> rows = ScoreAll(inputs, DefaultWeights());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].account().id(), 1);
  EXPECT_EQ(rows[1].account().id(), 2);
  EXPECT_EQ(rows[2].account().id(), 3);
  EXPECT_NEAR(rows[0].score(), 0.8975, 1e-12);
  EXPECT_NEAR(rows[1].score(), 0.48, 1e-12);
  EXPECT_NEAR(rows[2].score(), 0.1625, 1e-12);
  EXPECT_EQ(rows[0].rank(), 1);
  EXPECT_EQ(rows[1].rank(), 2);
  EXPECT_EQ(rows[2].rank(), 3);
  EXPECT_EQ(rows[0].account().name(), "account 1");

  const v1::ScoreBreakdown& one = RowOf(rows, 1).breakdown();
  EXPECT_DOUBLE_EQ(one.contract_volume().raw(), 1000);
  EXPECT_DOUBLE_EQ(one.contract_volume().normalized(), 0.75);
  EXPECT_DOUBLE_EQ(one.contract_volume().weighted(), 0.1125);
  EXPECT_DOUBLE_EQ(one.unit_price().raw(), 100);
  EXPECT_DOUBLE_EQ(one.unit_price().normalized(), 0.5);
  EXPECT_DOUBLE_EQ(one.collection_rate().raw(), 0.8);
  EXPECT_DOUBLE_EQ(one.profit().raw(), 4000);
  EXPECT_DOUBLE_EQ(one.quality_loss().raw(), 0);
  EXPECT_DOUBLE_EQ(one.quality_loss().normalized(), 1);
  EXPECT_DOUBLE_EQ(one.industry_influence().normalized(), 0.8);
  EXPECT_DOUBLE_EQ(one.credit().raw(), av1::CREDIT_RATING_AAA);
  EXPECT_DOUBLE_EQ(one.credit().normalized(), 1.0);

  const v1::ScoreBreakdown& two = RowOf(rows, 2).breakdown();
  EXPECT_DOUBLE_EQ(two.contract_volume().normalized(), 0);
  EXPECT_DOUBLE_EQ(two.collection_rate().raw(), 1.0);  // 1.2 capped
  EXPECT_DOUBLE_EQ(two.quality_loss().raw(), 2);
  EXPECT_DOUBLE_EQ(two.quality_loss().normalized(), 0);
  EXPECT_DOUBLE_EQ(two.credit().normalized(), 0.55);
  EXPECT_DOUBLE_EQ(two.credit().weighted(), 0.055);

  const v1::ScoreBreakdown& three = RowOf(rows, 3).breakdown();
  EXPECT_DOUBLE_EQ(three.unit_price().raw(), 0);
  EXPECT_DOUBLE_EQ(three.collection_rate().normalized(), 0);
  EXPECT_DOUBLE_EQ(three.quality_loss().normalized(), 0.5);
  EXPECT_DOUBLE_EQ(three.credit().normalized(), 0);

  // Scores() gives the same numbers in input order.
  const std::vector<double> scores = Scores(inputs, DefaultWeights());
  ASSERT_EQ(scores.size(), 3u);
  EXPECT_DOUBLE_EQ(scores[0], rows[2].score());
  EXPECT_DOUBLE_EQ(scores[1], rows[0].score());
  EXPECT_DOUBLE_EQ(scores[2], rows[1].score());
}

TEST(ScoreAllTest, OneOutsizedCustomerDoesNotFlattenTheOthers) {
  // Revenue 100, 200, 300 and 1,000,000: ranks 0, 1/3, 2/3, 1 whatever the size of the top.
  std::vector<FactorInputs> inputs;
  const int64_t revenues[] = {100, 200, 300, 1000000};
  for (int i = 0; i < 4; ++i) {
    inputs.push_back(Inputs(i + 1, 0, revenues[i], 0, 0, 0, 0, 0, av1::CREDIT_RATING_AAA));
  }
  v1::ScoreWeights revenue_only;
  revenue_only.set_revenue(1);
  const std::vector<v1::ScoreRow> rows = ScoreAll(inputs, revenue_only);
  EXPECT_DOUBLE_EQ(RowOf(rows, 1).score(), 0);
  EXPECT_DOUBLE_EQ(RowOf(rows, 2).score(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(RowOf(rows, 3).score(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(RowOf(rows, 4).score(), 1);
}

TEST(ScoreAllTest, EqualAccountsShareAScoreAndARankAndAreOrderedById) {
  // Accounts 7 and 5 are identical; 9 has less revenue. Revenue ranks: 9 -> 0; 5 and 7 ->
  // (1 + 1/2) / 2 = 0.75. Ranks 1, 1, 3.
  const std::vector<FactorInputs> inputs = {Inputs(7, 0, 500, 0, 5, 0, 0, 0, av1::CREDIT_RATING_A),
                                            Inputs(9, 0, 100, 0, 1, 0, 0, 0, av1::CREDIT_RATING_A),
                                            Inputs(5, 0, 500, 0, 5, 0, 0, 0, av1::CREDIT_RATING_A)};
  const std::vector<v1::ScoreRow> rows = ScoreAll(inputs, DefaultWeights());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].account().id(), 5);
  EXPECT_EQ(rows[1].account().id(), 7);
  EXPECT_EQ(rows[2].account().id(), 9);
  EXPECT_EQ(rows[0].score(), rows[1].score());
  EXPECT_EQ(rows[0].rank(), 1);
  EXPECT_EQ(rows[1].rank(), 1);
  EXPECT_EQ(rows[2].rank(), 3);
  EXPECT_DOUBLE_EQ(rows[0].breakdown().revenue().normalized(), 0.75);
  // Nobody has complaints: all tied in the middle.
  EXPECT_DOUBLE_EQ(rows[2].breakdown().quality_loss().normalized(), 0.5);
}

TEST(ScoreAllTest, ASingleAccountIsTopOnEveryRelativeFactor) {
  // Relative factors 1 each: 0.15 + 0.05 + 0.25 + 0.15 (profit) + 0.10 (quality loss) = 0.70;
  // collection 500/1000 = 0.5 * 0.15 = 0.075; influence 0.4 * 0.05 = 0.02; credit C 0.1 * 0.10
  // = 0.01. Total 0.805.
  const std::vector<FactorInputs> inputs = {
      Inputs(42, 10, 1000, 900, 10, 500, 3, 40, av1::CREDIT_RATING_C)};
  const std::vector<v1::ScoreRow> rows = ScoreAll(inputs, DefaultWeights());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].rank(), 1);
  EXPECT_DOUBLE_EQ(rows[0].breakdown().quality_loss().normalized(), 1);
  EXPECT_NEAR(rows[0].score(), 0.805, 1e-12);
  EXPECT_TRUE(ScoreAll({}, DefaultWeights()).empty());
}

TEST(ScoreAllTest, InfluenceIsClampedAndEveryCreditRatingHasItsValue) {
  const std::pair<av1::CreditRating, double> scale[] = {
      {av1::CREDIT_RATING_AAA, 1.0}, {av1::CREDIT_RATING_AA, 0.85},
      {av1::CREDIT_RATING_A, 0.7},   {av1::CREDIT_RATING_BBB, 0.55},
      {av1::CREDIT_RATING_BB, 0.4},  {av1::CREDIT_RATING_B, 0.25},
      {av1::CREDIT_RATING_C, 0.1},   {av1::CREDIT_RATING_UNSPECIFIED, 0}};
  std::vector<FactorInputs> inputs;
  for (int i = 0; i < 8; ++i) {
    inputs.push_back(Inputs(i + 1, 0, 0, 0, 0, 0, 0, 150, scale[i].first));
  }
  const std::vector<v1::ScoreRow> rows = ScoreAll(inputs, DefaultWeights());
  for (int i = 0; i < 8; ++i) {
    EXPECT_DOUBLE_EQ(RowOf(rows, i + 1).breakdown().credit().normalized(), scale[i].second) << i;
    EXPECT_DOUBLE_EQ(RowOf(rows, i + 1).breakdown().industry_influence().normalized(), 1.0);
  }
}

// ---- Tier proposal ----

v1::TierReviewParameters Thresholds() {
  v1::TierReviewParameters parameters;
  parameters.set_promote_at(0.8);
  parameters.set_demote_below(0.2);
  return parameters;
}

TEST(ProposeTierTest, TheAbcClassIsTheTierBetweenTheThresholds) {
  TierProposal a = ProposeTier(v1::ABC_CLASS_A, 100, 0.5, Thresholds());
  EXPECT_EQ(a.tier, av1::TIER_A);
  EXPECT_EQ(a.reason,
            "ABC class A, score 0.50 between demote_below 0.20 and promote_at 0.80: tier A");
  EXPECT_EQ(ProposeTier(v1::ABC_CLASS_B, 100, 0.5, Thresholds()).tier, av1::TIER_B);
  EXPECT_EQ(ProposeTier(v1::ABC_CLASS_C, 100, 0.5, Thresholds()).tier, av1::TIER_C);
}

TEST(ProposeTierTest, AHighScorePromotesOneTier) {
  TierProposal b = ProposeTier(v1::ABC_CLASS_B, 100, 0.86, Thresholds());
  EXPECT_EQ(b.tier, av1::TIER_A);
  EXPECT_EQ(b.reason, "ABC class B, score 0.86 >= promote_at 0.80: promoted one tier to A");
  EXPECT_EQ(ProposeTier(v1::ABC_CLASS_C, 100, 0.9, Thresholds()).tier, av1::TIER_B);
  // At the threshold counts.
  EXPECT_EQ(ProposeTier(v1::ABC_CLASS_C, 100, 0.8, Thresholds()).tier, av1::TIER_B);
}

TEST(ProposeTierTest, PromotionIsCappedAtA) {
  TierProposal a = ProposeTier(v1::ABC_CLASS_A, 100, 0.99, Thresholds());
  EXPECT_EQ(a.tier, av1::TIER_A);
  EXPECT_THAT(a.reason, HasSubstr("already the top tier, A"));
}

TEST(ProposeTierTest, ALowScoreDemotesOneTierFlooredAtD) {
  TierProposal b = ProposeTier(v1::ABC_CLASS_B, 100, 0.1, Thresholds());
  EXPECT_EQ(b.tier, av1::TIER_C);
  EXPECT_EQ(b.reason, "ABC class B, score 0.10 < demote_below 0.20: demoted one tier to C");
  EXPECT_EQ(ProposeTier(v1::ABC_CLASS_C, 100, 0.1, Thresholds()).tier, av1::TIER_D);
  EXPECT_EQ(ProposeTier(v1::ABC_CLASS_A, 100, 0.0, Thresholds()).tier, av1::TIER_B);
  // At demote_below is not below it.
  EXPECT_EQ(ProposeTier(v1::ABC_CLASS_B, 100, 0.2, Thresholds()).tier, av1::TIER_B);
  TierProposal floor = ProposeTier(v1::ABC_CLASS_B, 0, 0.1, Thresholds());
  EXPECT_EQ(floor.tier, av1::TIER_D);
  EXPECT_EQ(floor.reason,
            "no revenue in the period (base tier D), score 0.10 < demote_below 0.20: already the "
            "lowest tier, D");
}

TEST(ProposeTierTest, NoRevenueIsDWhateverTheClassUnlessTheScorePromotes) {
  EXPECT_EQ(ProposeTier(v1::ABC_CLASS_C, 0, 0.5, Thresholds()).tier, av1::TIER_D);
  EXPECT_EQ(ProposeTier(v1::ABC_CLASS_A, 0, 0.5, Thresholds()).tier, av1::TIER_D);
  EXPECT_EQ(ProposeTier(v1::ABC_CLASS_C, 0, 0.85, Thresholds()).tier, av1::TIER_C);
}

TEST(ProposeTierTest, AScoreJustBelowTheThresholdShowsEnoughDigits) {
  TierProposal b = ProposeTier(v1::ABC_CLASS_B, 100, 0.7999999, Thresholds());
  EXPECT_EQ(b.tier, av1::TIER_B);
  TierProposal c = ProposeTier(v1::ABC_CLASS_B, 100, 0.1999999, Thresholds());
  EXPECT_EQ(c.tier, av1::TIER_C);
  EXPECT_THAT(c.reason, HasSubstr("score 0.200000 < demote_below 0.200000"));
}

// ---- Review parameters ----

std::string MessageOf(const v1::TierReviewParameters& parameters) {
  return std::string(CheckReviewParameters(parameters).status().message());
}

TEST(CheckReviewParametersTest, DefaultsAreFilledIn) {
  v1::TierReviewParameters parameters;
  parameters.set_period("2026-q2");
  absl::StatusOr<v1::TierReviewParameters> checked = CheckReviewParameters(parameters);
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(checked->period(), "2026-Q2");
  EXPECT_DOUBLE_EQ(checked->promote_at(), 0.8);
  EXPECT_DOUBLE_EQ(checked->demote_below(), 0.2);
  EXPECT_DOUBLE_EQ(checked->weights().revenue(), 0.25);
  EXPECT_EQ(checked->thresholds().a_share_bp(), 7500);
  EXPECT_EQ(checked->thresholds().b_share_bp(), 9500);
}

TEST(CheckReviewParametersTest, GivenThresholdsAreKept) {
  v1::TierReviewParameters parameters;
  parameters.set_period("2026");
  parameters.set_promote_at(0.9);
  absl::StatusOr<v1::TierReviewParameters> checked = CheckReviewParameters(parameters);
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_DOUBLE_EQ(checked->promote_at(), 0.9);
  EXPECT_DOUBLE_EQ(checked->demote_below(), 0);  // no demotions
}

TEST(CheckReviewParametersTest, ErrorsNameTheField) {
  v1::TierReviewParameters parameters;
  EXPECT_THAT(MessageOf(parameters), StartsWith("parameters.period"));
  parameters.set_period("2026-13");
  EXPECT_THAT(MessageOf(parameters), StartsWith("parameters.period"));
  parameters.set_period("2026-Q1");

  v1::TierReviewParameters bad = parameters;
  bad.mutable_weights()->set_revenue(2);
  EXPECT_THAT(MessageOf(bad), StartsWith("parameters.weights.revenue:"));
  bad = parameters;
  bad.mutable_weights()->set_revenue(0.5);
  EXPECT_THAT(MessageOf(bad), StartsWith("parameters.weights:"));

  bad = parameters;
  bad.mutable_thresholds()->set_a_share_bp(9000);
  bad.mutable_thresholds()->set_b_share_bp(8000);
  EXPECT_THAT(MessageOf(bad), StartsWith("parameters.thresholds."));

  bad = parameters;
  bad.set_promote_at(1.5);
  EXPECT_THAT(MessageOf(bad), StartsWith("parameters.promote_at:"));
  bad = parameters;
  bad.set_promote_at(0.5);
  bad.set_demote_below(-0.1);
  EXPECT_THAT(MessageOf(bad), StartsWith("parameters.demote_below:"));
  bad = parameters;
  bad.set_promote_at(0.5);
  bad.set_demote_below(0.5);
  EXPECT_THAT(MessageOf(bad), StartsWith("parameters.demote_below: must be below promote_at"));
  bad = parameters;
  bad.set_demote_below(0.3);  // promote_at 0 is below it
  EXPECT_THAT(MessageOf(bad), StartsWith("parameters.demote_below"));
  EXPECT_EQ(CheckReviewParameters(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

// ---- The schedule ----

TEST(LastCompleteQuarterTest, IsTheQuarterBeforeTheOneNowFallsInInTheCompanyZone) {
  absl::TimeZone shanghai;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  const auto at = [&](int y, int m, int d, int h) {
    return absl::FromCivil(absl::CivilHour(y, m, d, h), shanghai);
  };
  EXPECT_EQ(LastCompleteQuarter(at(2026, 7, 2, 9), shanghai), "2026-Q2");
  EXPECT_EQ(LastCompleteQuarter(at(2026, 9, 30, 23), shanghai), "2026-Q2");
  EXPECT_EQ(LastCompleteQuarter(at(2026, 10, 1, 0), shanghai), "2026-Q3");
  EXPECT_EQ(LastCompleteQuarter(at(2026, 2, 14, 12), shanghai), "2025-Q4");
  // 2026-04-01 01:00 in Shanghai is still March 31 in UTC.
  EXPECT_EQ(LastCompleteQuarter(at(2026, 4, 1, 1), shanghai), "2026-Q1");
  EXPECT_EQ(LastCompleteQuarter(at(2026, 4, 1, 1), absl::UTCTimeZone()), "2025-Q4");
}

}  // namespace
}  // namespace kam::analytics
