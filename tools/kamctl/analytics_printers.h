#pragma once

#include <string>

#include "kam/analytics/v1/analytics.pb.h"

// How kamctl shows the analytics service's answers: one table per list, amounts as
// "12,345.67 CNY" and counts right-aligned, shares and rates as percentages with one decimal,
// then a summary line with the totals and a line saying which stream positions the facts
// reflect (so that two runs can be told apart when their numbers differ).
namespace kam::kamctl {

// "12,345.67 CNY".
std::string Amount(const kam::analytics::v1::Money& money);

// "facts: accounts event 1234, complaints event 567".
std::string FactsText(const kam::analytics::v1::FactsVersion& facts);

// The account's name cut to fit a table column.
std::string AccountName(const kam::analytics::v1::AccountRef& account);

// "contract_volume 0.15, unit_price 0.05, ...": every factor in proto order.
std::string WeightsText(const kam::analytics::v1::ScoreWeights& weights);

// Sales analyses (analytics_printers.cc).
void PrintAbc(const kam::analytics::v1::AnalyzeAbcResponse& response);
void PrintComposition(const kam::analytics::v1::AnalyzeCompositionResponse& response);
// `by_month` adds a column per month of the period.
void PrintTransactions(const kam::analytics::v1::AnalyzeTransactionsResponse& response,
                       bool by_month);
void PrintProductMix(const kam::analytics::v1::AnalyzeProductMixResponse& response);
void PrintProducts(const kam::analytics::v1::AnalyzeProductsResponse& response);
void PrintScores(const kam::analytics::v1::ScoreAccountsResponse& response);
// One account: its ABC row, its score and the score's factors.
void PrintStanding(const kam::analytics::v1::GetAccountStandingResponse& response);

// The tier review and the KPIs (analytics_kpi_printers.cc).
void PrintTierReview(const kam::analytics::v1::TierReview& review);
void PrintTierReviews(const kam::analytics::v1::ListTierReviewsResponse& response);
void PrintTierChanges(const kam::analytics::v1::ListTierChangesResponse& response);
void PrintRetention(const kam::analytics::v1::AnalyzeRetentionResponse& response);
void PrintPipeline(const kam::analytics::v1::AnalyzePipelineResponse& response);
void PrintComplaintKpis(const kam::analytics::v1::AnalyzeComplaintsResponse& response);
void PrintScorecards(const kam::analytics::v1::GetManagerScorecardResponse& response);

}  // namespace kam::kamctl
