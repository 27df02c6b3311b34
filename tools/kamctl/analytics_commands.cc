#include "tools/kamctl/analytics_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/kamctl/analytics_inputs.h"
#include "tools/kamctl/analytics_printers.h"
#include "tools/kamctl/field_flags.h"
#include "tools/kamctl/service_calls.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::analytics::v1;
using Stub = AnalyticsStub;

// What the roles (at the end of each command's help, from the gateway's policy) do not say.
constexpr char kAnalysisRoles[] = " (account managers: over their own accounts)";

// Which accounts an analysis covers: every flag optional, combined with AND.
struct FilterFlags {
  std::string region, industry, owner, tier;
  int64_t group = 0;
};

void AddFilterFlags(CLI::App* command, FilterFlags* flags) {
  constexpr char kGroup[] = "Accounts covered";
  command->add_option("--region", flags->region, "only accounts of this region")->group(kGroup);
  command->add_option("--industry", flags->industry, "only accounts of this industry")
      ->group(kGroup);
  command
      ->add_option("--owner", flags->owner,
                   "only accounts this user owns (account managers: only themselves, the default)")
      ->group(kGroup);
  command
      ->add_option("--group", flags->group,
                   "only this group customer and all its subsidiaries (its account id)")
      ->check(PositiveNumber())
      ->group(kGroup);
  command->add_option("--tier", flags->tier, "only accounts of this tier")
      ->check(EnumValidator(kam::accounts::v1::Tier_descriptor()))
      ->group(kGroup);
}

v1::AnalysisFilter Filter(const FilterFlags& flags) {
  v1::AnalysisFilter filter;
  filter.set_region(flags.region);
  filter.set_industry(flags.industry);
  filter.set_owner_id(flags.owner);
  filter.set_group_id(flags.group);
  if (!flags.tier.empty()) {
    filter.set_tier(
        EnumOf<kam::accounts::v1::Tier>(kam::accounts::v1::Tier_descriptor(), flags.tier));
  }
  return filter;
}

// The flags of every analysis over a set of accounts; `page` only for those that page rows.
struct AnalysisFlags {
  std::string period;
  FilterFlags filter;
  PageFlags page;
};

std::shared_ptr<AnalysisFlags> AddAnalysisFlags(CLI::App* command, const char* rows) {
  auto flags = std::make_shared<AnalysisFlags>();
  AddPeriodFlag(command, &flags->period);
  AddFilterFlags(command, &flags->filter);
  if (rows != nullptr) AddPageFlags(command, &flags->page, rows);
  return flags;
}

template <typename Request>
Request AnalysisRequest(const AnalysisFlags& flags) {
  Request request;
  request.set_period(flags.period);
  *request.mutable_filter() = Filter(flags.filter);
  return request;
}

// An analysis whose rows come in pages: one page, or with page.all every page. The summary
// (totals, classes, facts) is the same on every page and is kept from the first; only the
// rows are gathered, so that --all --json is one response with every row once.
template <typename Request, typename Response, typename Print>
int QueryRows(const Options& options, AnalyticsMethod<Request, Response> method, Request request,
              const PageFlags& page, Print print) {
  SetPage(page, &request);
  Stub stub(Connect(options));
  Response response;
  grpc::Status status = Call(options, stub, method, request, &response);
  while (status.ok() && page.all && !response.next_page_token().empty()) {
    request.set_page_token(response.next_page_token());
    Response next;
    status = Call(options, stub, method, request, &next);
    response.mutable_rows()->MergeFrom(next.rows());
    response.set_next_page_token(next.next_page_token());
  }
  return Show(options, status, response, print);
}

void AddAbc(CLI::App& analytics, const Options& options, Action* action) {
  CLI::App* command = analytics.add_subcommand(
      "abc",
      std::string("ABC analysis: customers ranked by revenue, classed A/B/C by cumulative share, "
                  "and the share the top 20% bring") +
          kAnalysisRoles);
  auto flags = AddAnalysisFlags(command, "customers");
  auto thresholds = std::make_shared<ThresholdFlags>();
  AddThresholdFlags(command, thresholds.get());
  OnRun(command, action, [&options, flags, thresholds] {
    auto request = AnalysisRequest<v1::AnalyzeAbcRequest>(*flags);
    absl::StatusOr<v1::AbcThresholds> given = Thresholds(*thresholds);
    if (!given.ok()) return UsageError(std::string(given.status().message()));
    *request.mutable_thresholds() = *given;
    return QueryRows(options, &Stub::AnalyzeAbc, request, flags->page, PrintAbc);
  });
}

void AddComposition(CLI::App& analytics, const Options& options, Action* action) {
  CLI::App* command = analytics.add_subcommand(
      "composition",
      std::string("Customer composition by one classification: customers, revenue, share and "
                  "key accounts per class") +
          kAnalysisRoles);
  auto flags = AddAnalysisFlags(command, "customers");
  auto dimension = std::make_shared<std::string>();
  command->add_option("--dimension", *dimension, "the classification")
      ->required()
      ->check(EnumValidator(v1::Dimension_descriptor()));
  OnRun(command, action, [&options, flags, dimension] {
    auto request = AnalysisRequest<v1::AnalyzeCompositionRequest>(*flags);
    request.set_dimension(EnumOf<v1::Dimension>(v1::Dimension_descriptor(), *dimension));
    return QueryRows(options, &Stub::AnalyzeComposition, request, flags->page, PrintComposition);
  });
}

void AddTransactions(CLI::App& analytics, const Options& options, Action* action) {
  CLI::App* command = analytics.add_subcommand(
      "transactions",
      std::string("Each customer's revenue and share of company revenue against the share "
                  "expected of it (targets-put), shortfalls flagged") +
          kAnalysisRoles);
  auto flags = AddAnalysisFlags(command, "customers");
  struct Extra {
    bool shortfalls_only = false, by_month = false;
  };
  auto extra = std::make_shared<Extra>();
  command->add_flag("--shortfalls-only", extra->shortfalls_only,
                    "only the customers below their expected share");
  command->add_flag("--by-month", extra->by_month, "a revenue column per month of the period");
  OnRun(command, action, [&options, flags, extra] {
    auto request = AnalysisRequest<v1::AnalyzeTransactionsRequest>(*flags);
    request.set_shortfalls_only(extra->shortfalls_only);
    const bool by_month = extra->by_month;
    return QueryRows(options, &Stub::AnalyzeTransactions, request, flags->page,
                     [by_month](const auto& r) { PrintTransactions(r, by_month); });
  });
}

void AddProductMix(CLI::App& analytics, const Options& options, Action* action) {
  CLI::App* command = analytics.add_subcommand(
      "product-mix",
      std::string("One customer's products ranked by revenue, with margin, turnover, cross ratio "
                  "and contribution") +
          kAnalysisRoles);
  struct Flags {
    int64_t account = 0;
    std::string period;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "account", &flags->account, "account id");
  AddPeriodFlag(command, &flags->period);
  OnRun(command, action, [&options, flags] {
    v1::AnalyzeProductMixRequest request;
    request.set_period(flags->period);
    request.set_account_id(flags->account);
    return Query(options, &Stub::AnalyzeProductMix, request, PrintProductMix);
  });
}

void AddProducts(CLI::App& analytics, const Options& options, Action* action) {
  CLI::App* command = analytics.add_subcommand(
      "products",
      std::string("Per product: gross margin, turnover, cross ratio (margin x turnover) and "
                  "contribution, over the sales to the accounts covered") +
          kAnalysisRoles);
  auto flags = AddAnalysisFlags(command, "products");
  OnRun(command, action, [&options, flags] {
    return QueryRows(options, &Stub::AnalyzeProducts,
                     AnalysisRequest<v1::AnalyzeProductsRequest>(*flags), flags->page,
                     PrintProducts);
  });
}

void AddScore(CLI::App& analytics, const Options& options, Action* action) {
  CLI::App* command = analytics.add_subcommand(
      "score", std::string("Key-account score per account, highest first, with its eight factors") +
                   kAnalysisRoles);
  auto flags = AddAnalysisFlags(command, "accounts");
  auto weights = std::make_shared<std::vector<std::string>>();
  AddWeightFlag(command, weights.get());
  OnRun(command, action, [&options, flags, weights] {
    auto request = AnalysisRequest<v1::ScoreAccountsRequest>(*flags);
    absl::StatusOr<v1::ScoreWeights> parsed = ParseWeights(*weights);
    if (!parsed.ok()) return UsageError("--weight: " + std::string(parsed.status().message()));
    *request.mutable_weights() = *parsed;
    return QueryRows(options, &Stub::ScoreAccounts, request, flags->page, PrintScores);
  });
}

void AddRetention(CLI::App& analytics, const Options& options, Action* action) {
  CLI::App* command = analytics.add_subcommand(
      "retention",
      std::string("Loyalty and retention: customer base, new customers, retention and churn, "
                  "order value, frequency, share of wallet, tier A accounts at risk") +
          kAnalysisRoles);
  auto flags = AddAnalysisFlags(command, nullptr);
  auto months = std::make_shared<int32_t>(0);
  command
      ->add_option("--at-risk-months", *months,
                   "at risk: tier A accounts without orders for at least this many whole months "
                   "(1-60, default 3)")
      ->check(CLI::Range(1, 60));
  OnRun(command, action, [&options, flags, months] {
    auto request = AnalysisRequest<v1::AnalyzeRetentionRequest>(*flags);
    request.set_at_risk_months(*months);
    return Query(options, &Stub::AnalyzeRetention, request, PrintRetention);
  });
}

void AddPipeline(CLI::App& analytics, const Options& options, Action* action) {
  CLI::App* command = analytics.add_subcommand(
      "pipeline",
      std::string("Pipeline: stage conversion, days in stage, win rate and the weighted forecast "
                  "per owner") +
          kAnalysisRoles);
  auto flags = AddAnalysisFlags(command, nullptr);
  OnRun(command, action, [&options, flags] {
    return Query(options, &Stub::AnalyzePipeline,
                 AnalysisRequest<v1::AnalyzePipelineRequest>(*flags), PrintPipeline);
  });
}

void AddComplaintKpis(CLI::App& analytics, const Options& options, Action* action) {
  CLI::App* command = analytics.add_subcommand(
      "complaints",
      std::string("Complaint KPIs: validity, time to resolve, SLA breach rate per tier, "
                  "satisfaction gap, repeat complainers") +
          kAnalysisRoles);
  auto flags = AddAnalysisFlags(command, nullptr);
  auto repeat = std::make_shared<int32_t>(0);
  command
      ->add_option("--repeat-threshold", *repeat,
                   "repeat complainers: accounts with at least this many complaints in the "
                   "period (default 2)")
      ->check(CLI::Range(1, 1000000));
  OnRun(command, action, [&options, flags, repeat] {
    auto request = AnalysisRequest<v1::AnalyzeComplaintsRequest>(*flags);
    request.set_repeat_threshold(*repeat);
    return Query(options, &Stub::AnalyzeComplaints, request, PrintComplaintKpis);
  });
}

void AddScorecard(CLI::App& analytics, const Options& options, Action* action) {
  CLI::App* command = analytics.add_subcommand(
      "scorecard",
      std::string("Account manager scorecard: revenue, collection, visits, pipeline and "
                  "complaints per manager") +
          " (account managers: their own card)");
  auto flags = AddAnalysisFlags(command, nullptr);
  OnRun(command, action, [&options, flags] {
    return Query(options, &Stub::GetManagerScorecard,
                 AnalysisRequest<v1::GetManagerScorecardRequest>(*flags), PrintScorecards);
  });
}

void AddStanding(CLI::App& analytics, const Options& options, Action* action) {
  CLI::App* command = analytics.add_subcommand(
      "standing",
      "One account's ABC class and key-account score with its factors, ranked among all "
      "active accounts (default weights and thresholds)");
  struct Flags {
    int64_t account = 0;
    std::string period;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "account", &flags->account, "account id");
  command
      ->add_option("--period", flags->period,
                   "a year (2026), quarter (2026-Q3) or month (2026-07); default: the last "
                   "complete quarter")
      ->check(PeriodValidator());
  OnRun(command, action, [&options, flags] {
    v1::GetAccountStandingRequest request;
    request.set_account_id(flags->account);
    request.set_period(flags->period);
    return Query(options, &Stub::GetAccountStanding, request, PrintStanding);
  });
}

}  // namespace

void AddPeriodFlag(CLI::App* command, std::string* period) {
  command
      ->add_option("--period", *period,
                   "a year (2026), quarter (2026-Q3) or month (2026-07), in the company's time "
                   "zone")
      ->required()
      ->check(PeriodValidator());
}

void AddThresholdFlags(CLI::App* command, ThresholdFlags* flags) {
  constexpr char kGroup[] = "ABC classes";
  command
      ->add_option("--a-share", flags->a_share,
                   "class A while the cumulative revenue share before the customer is below this "
                   "percentage (default 75)")
      ->check(PercentValidator())
      ->group(kGroup);
  command
      ->add_option("--b-share", flags->b_share,
                   "class B while below this percentage, C after (default 95)")
      ->check(PercentValidator())
      ->group(kGroup);
}

absl::StatusOr<v1::AbcThresholds> Thresholds(const ThresholdFlags& flags) {
  v1::AbcThresholds thresholds;
  // Checked by PercentValidator when given.
  if (!flags.a_share.empty()) thresholds.set_a_share_bp(*ParsePercent(flags.a_share));
  if (!flags.b_share.empty()) thresholds.set_b_share_bp(*ParsePercent(flags.b_share));
  if ((!flags.a_share.empty() && thresholds.a_share_bp() == 0) ||
      (!flags.b_share.empty() && thresholds.b_share_bp() == 0)) {
    return absl::InvalidArgumentError("--a-share and --b-share must be more than 0");
  }
  if (!flags.a_share.empty() && !flags.b_share.empty() &&
      thresholds.a_share_bp() >= thresholds.b_share_bp()) {
    return absl::InvalidArgumentError("--a-share must be below --b-share");
  }
  return thresholds;
}

void AddWeightFlag(CLI::App* command, std::vector<std::string>* weights) {
  command
      ->add_option("--weight", *weights,
                   "FACTOR=WEIGHT (repeat, or a,b), weights summing to 1, factors not named "
                   "weigh 0; none: the defaults. Factors: " +
                       WeightNames())
      ->delimiter(',');
}

void AddAnalyticsCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* analytics = app.add_subcommand(
      "analytics",
      "Analyses (客户分析), key-account scores and the tier review, KPIs; periods in the "
      "company's time zone");
  analytics->require_subcommand(1);
  AddAbc(*analytics, options, action);
  AddComposition(*analytics, options, action);
  AddTransactions(*analytics, options, action);
  AddProductMix(*analytics, options, action);
  AddProducts(*analytics, options, action);
  AddScore(*analytics, options, action);
  AddRetention(*analytics, options, action);
  AddPipeline(*analytics, options, action);
  AddComplaintKpis(*analytics, options, action);
  AddScorecard(*analytics, options, action);
  AddStanding(*analytics, options, action);
  AddAnalyticsReviewCommands(*analytics, options, action);
}

}  // namespace kam::kamctl
