// The tier review and the KPI analyses as kamctl shows them (see analytics_printers.h).
#include <algorithm>
#include <iostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "kam/accounts/v1/archive.pb.h"
#include "kam/accounts/v1/pipeline.pb.h"
#include "kam/complaints/v1/complaint.pb.h"
#include "tools/kamctl/analytics_printers.h"
#include "tools/kamctl/output.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::analytics::v1;
namespace accounts = kam::accounts::v1;
namespace complaints = kam::complaints::v1;
using Rows = std::vector<std::vector<std::string>>;

std::string TierText(int tier) { return EnumLabel(accounts::Tier_descriptor(), tier); }

std::string OneDecimal(double value) { return absl::StrFormat("%.1f", value); }

// A ratio of two counts with the share: "45 of 50 (90.0%)".
std::string OfText(int32_t part, int32_t whole, double share) {
  return absl::StrCat(part, " of ", whole, " (", FormatShare(share), ")");
}

std::string StateText(const v1::TierReview& review) {
  switch (review.state()) {
    case v1::REVIEW_STATE_DRY_RUN:
      return "dry run (nothing applied)";
    case v1::REVIEW_STATE_PARTIAL:
      return absl::StrCat("PARTIAL (", review.pending(), " change(s) not applied yet)");
    case v1::REVIEW_STATE_APPLIED:
      return "applied";
    default:
      return EnumLabel(v1::ReviewState_descriptor(), review.state());
  }
}

std::string StateLabel(v1::ReviewState state) {
  if (state == v1::REVIEW_STATE_PARTIAL) return "PARTIAL";
  return EnumLabel(v1::ReviewState_descriptor(), state);
}

std::string ThresholdsText(const v1::AbcThresholds& t) {
  return absl::StrCat("A below ", FormatBasisPoints(t.a_share_bp()), ", B below ",
                      FormatBasisPoints(t.b_share_bp()), " of cumulative revenue");
}

std::string NewCustomersText(const v1::AnalyzeRetentionResponse& r) {
  std::vector<std::string> months;
  for (const v1::MonthCount& m : r.new_customers_by_month()) {
    months.push_back(absl::StrCat(m.month(), ": ", m.count()));
  }
  if (months.empty()) return std::to_string(r.new_customers());
  return absl::StrCat(r.new_customers(), " (", absl::StrJoin(months, ", "), ")");
}

std::string WalletText(const v1::AnalyzeRetentionResponse& r) {
  if (r.wallet_accounts() == 0) {
    return "no wallet estimates for the year (kamctl analytics targets-put)";
  }
  return absl::StrCat(FormatShare(r.share_of_wallet()), " over ", r.wallet_accounts(),
                      " account(s) with a wallet estimate");
}

void PrintAtRisk(const v1::AnalyzeRetentionResponse& r) {
  if (r.at_risk().empty()) {
    std::cout << "at risk: no tier A account without recent orders\n";
    return;
  }
  std::cout << "at risk: tier A accounts without recent orders, longest first\n";
  Rows rows;
  for (const v1::AtRiskAccount& a : r.at_risk()) {
    rows.push_back({IdText(a.account().id()), AccountName(a.account()), a.account().owner_id(),
                    a.has_last_order_time() ? FormatDay(a.last_order_time()) : "never",
                    std::to_string(a.months_without_orders())});
  }
  PrintTable({"ACCOUNT", "NAME", "OWNER", "LAST ORDER", "MONTHS WITHOUT"}, rows, "rlllr");
}

}  // namespace

void PrintTierReview(const v1::TierReview& review) {
  const v1::TierReviewParameters& p = review.parameters();
  PrintFields(
      {{"id", review.id()},
       {"state", StateText(review)},
       {"run by", review.run_by()},
       {"run at", FormatTime(review.run_time())},
       {"period", p.period()},
       {"abc classes", ThresholdsText(p.thresholds())},
       {"weights", WeightsText(p.weights())},
       {"promote at", absl::StrFormat("score >= %.2f: one tier up", p.promote_at())},
       {"demote below", absl::StrFormat("score < %.2f: one tier down", p.demote_below())},
       {"accounts",
        absl::StrCat(review.accounts_reviewed(), " reviewed: ", review.promotions(), " promoted, ",
                     review.demotions(), " demoted, ", review.unchanged(), " unchanged")},
       {"facts", absl::StrCat("accounts event ", review.facts().accounts_sequence(),
                              ", complaints event ", review.facts().complaints_sequence())}});
}

void PrintTierReviews(const v1::ListTierReviewsResponse& r) {
  Rows rows;
  for (const v1::TierReview& review : r.reviews()) {
    rows.push_back({review.id(), FormatTime(review.run_time()), review.run_by(),
                    review.parameters().period(), StateLabel(review.state()),
                    std::to_string(review.accounts_reviewed()), std::to_string(review.promotions()),
                    std::to_string(review.demotions()), std::to_string(review.unchanged()),
                    std::to_string(review.pending())});
  }
  PrintTable({"ID", "RUN AT", "BY", "PERIOD", "STATE", "REVIEWED", "PROMOTED", "DEMOTED",
              "UNCHANGED", "PENDING"},
             rows, "lllllrrrrr");
  PrintNextPage(r.next_page_token());
}

void PrintTierChanges(const v1::ListTierChangesResponse& r) {
  Rows rows;
  int pending = 0;
  for (const v1::TierChange& c : r.changes()) {
    std::string reason = c.reason();
    if (!c.applied()) {
      ++pending;
      if (!c.error().empty()) absl::StrAppend(&reason, "; not applied: ", c.error());
    }
    rows.push_back({IdText(c.account().id()), AccountName(c.account()), c.account().owner_id(),
                    TierText(c.old_tier()), TierText(c.new_tier()),
                    EnumLabel(v1::AbcClass_descriptor(), c.abc_class()),
                    absl::StrFormat("%.2f", c.score()), c.applied() ? "yes" : "NO", reason});
  }
  PrintTable({"ACCOUNT", "NAME", "OWNER", "FROM", "TO", "ABC", "SCORE", "APPLIED", "REASON"}, rows,
             "rllllllll");
  if (pending > 0) std::cout << pending << " change(s) shown not applied yet\n";
  PrintNextPage(r.next_page_token());
}

void PrintRetention(const v1::AnalyzeRetentionResponse& r) {
  PrintFields(
      {{"period", absl::StrCat(r.period(), " (previous ", r.previous_period(), ")")},
       {"customer base", absl::StrCat(r.customer_base(), " ordered in the period")},
       {"new customers", NewCustomersText(r)},
       {"retention",
        absl::StrCat(OfText(r.retained_customers(), r.previous_customers(), r.retention_rate()),
                     " ordered again; churn ", FormatShare(r.churn_rate()))},
       {"key retention", absl::StrCat(OfText(r.retained_key_customers(), r.previous_key_customers(),
                                             r.key_retention_rate()),
                                      " key accounts ordered again")},
       {"average order", Amount(r.average_order_value())},
       {"purchase frequency", absl::StrFormat("%.2f orders per customer", r.purchase_frequency())},
       {"share of wallet", WalletText(r)}});
  std::cout << '\n';
  PrintAtRisk(r);
  std::cout << FactsText(r.facts()) << '\n';
}

void PrintPipeline(const v1::AnalyzePipelineResponse& r) {
  Rows stages;
  for (const v1::StageFigures& s : r.stages()) {
    stages.push_back({EnumLabel(accounts::Stage_descriptor(), s.stage()),
                      std::to_string(s.reached()), FormatShare(s.conversion_to_next()),
                      OneDecimal(s.mean_days_in_stage()), OneDecimal(s.median_days_in_stage()),
                      std::to_string(s.open_now())});
  }
  PrintTable({"STAGE", "REACHED", "TO NEXT", "MEAN DAYS", "MEDIAN DAYS", "OPEN NOW"}, stages,
             "lrrrrr");
  std::cout << '\n';
  Rows owners;
  for (const v1::OwnerForecast& o : r.owners()) {
    owners.push_back({o.owner_id(), std::to_string(o.open_opportunities()), Amount(o.pipeline()),
                      Amount(o.weighted_forecast())});
  }
  PrintTable({"OWNER", "OPEN", "PIPELINE", "WEIGHTED FORECAST"}, owners, "lrrr");
  std::cout << Printable(r.period()) << ": won " << r.won() << ", lost " << r.lost()
            << " (win rate " << FormatShare(r.win_rate()) << "), won " << Amount(r.won_amount())
            << ", " << OneDecimal(r.mean_days_to_win()) << " days to win on average\n"
            << FactsText(r.facts()) << '\n';
}

void PrintComplaintKpis(const v1::AnalyzeComplaintsResponse& r) {
  PrintFields({{"complaints", absl::StrCat(r.complaints(), " created in ", r.period())},
               {"validity",
                absl::StrCat(OfText(r.valid(), r.judged(), r.validity_rate()), " judged valid")},
               {"resolution", absl::StrFormat("%d resolved: mean %.1f h, median %.1f h, p90 %.1f h",
                                              r.resolved(), r.mean_hours_to_resolve(),
                                              r.p50_hours_to_resolve(), r.p90_hours_to_resolve())},
               {"follow-ups", absl::StrFormat("%d, mean satisfaction gap %.2f", r.follow_ups(),
                                              r.mean_satisfaction_gap())}});
  std::cout << '\n';
  Rows counts;
  for (const v1::CategoryStateCount& c : r.counts()) {
    counts.push_back({EnumLabel(complaints::Category_descriptor(), c.category()),
                      EnumLabel(complaints::State_descriptor(), c.state()),
                      std::to_string(c.count())});
  }
  PrintTable({"CATEGORY", "STATE", "COMPLAINTS"}, counts, "llr");
  std::cout << '\n';
  Rows breaches;
  for (const v1::TierBreaches& b : r.breaches()) {
    breaches.push_back({b.tier() == accounts::TIER_UNSPECIFIED ? "untiered" : TierText(b.tier()),
                        std::to_string(b.complaints()), std::to_string(b.breached()),
                        FormatShare(b.breach_rate())});
  }
  PrintTable({"TIER", "COMPLAINTS", "SLA BREACHED", "BREACH RATE"}, breaches, "lrrr");
  if (!r.repeat_complainers().empty()) {
    std::cout << '\n';
    Rows repeat;
    for (const v1::RepeatComplainer& c : r.repeat_complainers()) {
      repeat.push_back({IdText(c.account().id()), AccountName(c.account()),
                        TierText(c.account().tier()), c.account().owner_id(),
                        std::to_string(c.complaints())});
    }
    PrintTable({"REPEAT COMPLAINER", "NAME", "TIER", "OWNER", "COMPLAINTS"}, repeat, "rlllr");
  }
  std::cout << FactsText(r.facts()) << '\n';
}

void PrintScorecards(const v1::GetManagerScorecardResponse& r) {
  Rows rows;
  int64_t revenue = 0, collected = 0;
  std::string currency;
  for (const v1::ManagerScorecard& m : r.managers()) {
    revenue += m.revenue().minor_units();
    collected += m.collected().minor_units();
    currency = m.revenue().currency_code();
    rows.push_back({m.owner_id(), std::to_string(m.accounts()), std::to_string(m.key_accounts()),
                    Amount(m.revenue()), Amount(m.collected()), FormatShare(m.collection_rate()),
                    std::to_string(m.visits_planned()), std::to_string(m.visits_completed()),
                    std::to_string(m.visits_cancelled()), std::to_string(m.open_opportunities()),
                    Amount(m.pipeline()), Amount(m.weighted_pipeline()),
                    std::to_string(m.complaints()), std::to_string(m.open_complaints())});
  }
  PrintTable({"OWNER", "ACCOUNTS", "KEY", "REVENUE", "COLLECTED", "COLLECTION", "VISITS", "DONE",
              "CANCELLED", "OPEN OPPS", "PIPELINE", "WEIGHTED", "COMPLAINTS", "OPEN"},
             rows, "lrrrrrrrrrrrrr");
  std::string summary = absl::StrCat(r.managers_size(), " account manager(s), revenue ",
                                     FormatMoney(revenue, currency), ", collected ",
                                     FormatMoney(collected, currency));
  if (revenue > 0) {
    // Exact integer sums; the ratio only at the end, capped like each card's.
    const double rate = std::min(1.0, static_cast<double>(collected) / revenue);
    absl::StrAppend(&summary, " (", FormatShare(rate), ")");
  }
  std::cout << Printable(r.period()) << ": " << summary << '\n' << FactsText(r.facts()) << '\n';
}

}  // namespace kam::kamctl
