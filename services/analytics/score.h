#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "services/analytics/scope.h"

// The key-account score (DOMAIN.md, "Key account criteria"): eight weighted factors, each
// normalised to 0-1 (higher is better), summed with weights that sum to 1. README
// "Analytics" documents the normalisation:
//  - contract volume, unit price, revenue, profit: percentile rank within the scored set,
//    (accounts with a lower value + (accounts with an equal value - 1) / 2) / (n - 1), 1 for a
//    set of one; so one outsized customer does not flatten everyone else;
//  - quality loss (valid complaints in the period): the same rank, inverted (fewer is
//    better; the account of a set of one gets 1 here too);
//  - unit price is revenue / quantity (0 without quantity), ranked like the others;
//  - collection rate (paid / revenue, capped at 1; 0 without revenue), industry influence
//    (0-100, / 100) and credit (AAA 1.0, AA 0.85, A 0.7, BBB 0.55, BB 0.4, B 0.25, C 0.1,
//    none 0): absolute.
namespace kam::analytics {

// contract_volume 0.15, unit_price 0.05, revenue 0.25, collection_rate 0.15, profit 0.15,
// quality_loss 0.10, industry_influence 0.05, credit 0.10.
v1::ScoreWeights DefaultWeights();

// The weights with defaults when all are zero; INVALID_ARGUMENT naming "weights.<factor>"
// for one outside 0-1, or "weights" when they do not sum to 1 within 1e-6.
absl::StatusOr<v1::ScoreWeights> CheckWeights(const v1::ScoreWeights& weights);

// One account's raw inputs for the period.
struct FactorInputs {
  v1::AccountRef account;
  int64_t contract_volume = 0;  // minor units
  int64_t revenue = 0;
  int64_t cost = 0;
  int64_t quantity = 0;
  int64_t paid = 0;
  int64_t valid_complaints = 0;
  int32_t industry_influence = 0;  // 0-100
  int32_t credit_rating = 0;       // kam.accounts.v1.CreditRating number
};

// Scores every account (pure): rows sorted by score descending, then account id, with rank
// and breakdown.
std::vector<v1::ScoreRow> ScoreAll(const std::vector<FactorInputs>& inputs,
                                   const v1::ScoreWeights& weights);

// Only the scores, in the order of `inputs` (pure; the same numbers as ScoreAll, without the
// breakdowns that a review of a million accounts does not need).
std::vector<double> Scores(const std::vector<FactorInputs>& inputs,
                           const v1::ScoreWeights& weights);

class Scorer {
 public:
  Scorer(DbPool& pool, const AnalyticsConfig& config) : pool_(pool), config_(config) {}

  // Reads FactorInputs for every account in scope and scores them; `weights` checked.
  absl::StatusOr<v1::ScoreAccountsResponse> Score(const Scope& scope,
                                                  const v1::ScoreWeights& weights);

  // The FactorInputs of every account in scope (in no particular order): one set-based query.
  absl::StatusOr<std::vector<FactorInputs>> ReadInputs(const Scope& scope);

 private:
  DbPool& pool_;
  const AnalyticsConfig& config_;
};

}  // namespace kam::analytics
