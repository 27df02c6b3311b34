#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/analytics/scope.h"

// The sales analyses over the rollups (README "Analytics" has the rules): ABC, composition,
// transaction performance, product mix, and margin/turnover/cross ratio/contribution per
// product. Each returns the whole result (every row, unpaged; the service pages it) without
// `facts` (the service fills it in).
namespace kam::analytics {

// ---- Pure ABC rules (unit-tested without a database) ----

// A customer's revenue in the period; revenue >= 0.
struct RevenueRow {
  int64_t account_id = 0;
  int64_t revenue = 0;
};

struct AbcAssignment {
  int32_t rank = 0;  // 1 + customers with more revenue
  double share = 0;
  double cumulative_share = 0;
  v1::AbcClass abc_class = v1::ABC_CLASS_UNSPECIFIED;
};

// Sorts `rows` into rank order: revenue descending, then account id ascending.
void SortByRevenue(std::vector<RevenueRow>& rows);

// Classes for `rows` (already in rank order), one per row. A customer is A while the
// cumulative share *before* it is below a_share_bp (so the customer straddling the A line is
// A, and the top customer is A), B while below b_share_bp, else C; customers with equal
// revenue take the class of the first of them (ties never split across a line); customers
// without revenue are C. Shares are compared in exact integer arithmetic.
std::vector<AbcAssignment> ClassifyAbc(const std::vector<RevenueRow>& rows, int a_share_bp,
                                       int b_share_bp);

// The share of revenue from the top ceil(20 %) of the customers with revenue, `rows` in rank
// order; 0 without revenue.
double ParetoTop20Share(const std::vector<RevenueRow>& rows);

// The thresholds with defaults filled in (7500/9500); INVALID_ARGUMENT naming
// "thresholds.a_share_bp" / "thresholds.b_share_bp" unless 0 < a < b <= 10000.
absl::StatusOr<v1::AbcThresholds> CheckAbcThresholds(const v1::AbcThresholds& thresholds);

// ---- Pure product rules ----

// One product's sales to the set of accounts in the period, and the company's inventory of it
// (the months of the period with a snapshot and the sum of their values).
struct ProductFigures {
  std::string product_code;
  std::string product_category;
  int64_t quantity = 0;
  int64_t revenue = 0;
  int64_t cost = 0;
  int64_t inventory_months = 0;
  int64_t inventory_sum = 0;
};

// Product rows ranked by revenue (descending, ties by product code): rank, share and
// cumulative share of the set's revenue, gross margin rate, and, for products with
// inventory, average inventory (the mean of the months present, rounded half up),
// turnover = revenue / that mean (taken exactly: revenue x months / sum; 0 when the sum is 0),
// cross ratio = margin rate x turnover, and contribution = cross ratio x share divided by the
// sum of that product over the products with inventory (all 0 unless that sum is positive).
std::vector<v1::ProductRow> RankProducts(std::vector<ProductFigures> products,
                                         const std::string& currency);

// ---- The analyses ----

class SalesAnalyses {
 public:
  SalesAnalyses(DbPool& pool, const AnalyticsConfig& config) : pool_(pool), config_(config) {}

  // `thresholds` already checked. Every account in scope has a row (no revenue: class C).
  absl::StatusOr<v1::AnalyzeAbcResponse> Abc(const Scope& scope,
                                             const v1::AbcThresholds& thresholds);
  // `dimension` is not UNSPECIFIED (checked by the caller).
  absl::StatusOr<v1::AnalyzeCompositionResponse> Composition(const Scope& scope,
                                                             v1::Dimension dimension);
  absl::StatusOr<v1::AnalyzeTransactionsResponse> Transactions(const Scope& scope,
                                                               bool shortfalls_only);
  // NOT_FOUND when analytics does not know the account (or it is archived). The caller
  // checks the owner in the response's account for account managers.
  absl::StatusOr<v1::AnalyzeProductMixResponse> ProductMix(const Period& period,
                                                           int64_t account_id);
  absl::StatusOr<v1::AnalyzeProductsResponse> Products(const Scope& scope);

 private:
  DbPool& pool_;
  const AnalyticsConfig& config_;
};

}  // namespace kam::analytics
