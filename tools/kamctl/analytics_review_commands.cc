// `analytics tier-review run|get|list|changes`, `analytics inventory-put` and
// `analytics targets-put`: the analytics calls that record something.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/kamctl/analytics_commands.h"
#include "tools/kamctl/analytics_inputs.h"
#include "tools/kamctl/analytics_printers.h"
#include "tools/kamctl/field_flags.h"
#include "tools/kamctl/import.h"
#include "tools/kamctl/service_calls.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::analytics::v1;
using Stub = AnalyticsStub;

struct RunFlags {
  std::string period, request_id;
  ThresholdFlags thresholds;
  std::vector<std::string> weights;
  double promote_at = 0, demote_below = 0;
  bool dry_run = false;
};

// The parameters as given; a usage error message when they do not fit together.
absl::StatusOr<v1::TierReviewParameters> Parameters(const RunFlags& flags) {
  v1::TierReviewParameters parameters;
  parameters.set_period(flags.period);
  absl::StatusOr<v1::AbcThresholds> thresholds = Thresholds(flags.thresholds);
  if (!thresholds.ok()) return thresholds.status();
  *parameters.mutable_thresholds() = *thresholds;
  absl::StatusOr<v1::ScoreWeights> weights = ParseWeights(flags.weights);
  if (!weights.ok()) {
    return absl::InvalidArgumentError("--weight: " + std::string(weights.status().message()));
  }
  *parameters.mutable_weights() = *weights;
  const bool given = flags.promote_at > 0 || flags.demote_below > 0;
  if (given && flags.demote_below >= flags.promote_at) {
    return absl::InvalidArgumentError("--demote-below must be below --promote-at");
  }
  parameters.set_promote_at(flags.promote_at);
  parameters.set_demote_below(flags.demote_below);
  return parameters;
}

void AddRun(CLI::App& review, const Options& options, Action* action) {
  CLI::App* command = review.add_subcommand(
      "run",
      "Propose every account's tier from its ABC class and score, record the review and apply "
      "the changed tiers (--dry-run: record only)");
  auto flags = std::make_shared<RunFlags>();
  AddPeriodFlag(command, &flags->period);
  AddThresholdFlags(command, &flags->thresholds);
  AddWeightFlag(command, &flags->weights);
  CLI::Option* promote =
      command
          ->add_option("--promote-at", flags->promote_at,
                       "a score at or above this promotes one tier (default 0.8)")
          ->check(FractionValidator());
  CLI::Option* demote = command
                            ->add_option("--demote-below", flags->demote_below,
                                         "a score below this demotes one tier (default 0.2)")
                            ->check(FractionValidator());
  // The service takes both or neither (both zero are the defaults).
  promote->needs(demote);
  demote->needs(promote);
  command->add_flag("--dry-run", flags->dry_run,
                    "compute and record the review, change no tier (to look before applying)");
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    absl::StatusOr<v1::TierReviewParameters> parameters = Parameters(*flags);
    if (!parameters.ok()) return UsageError(std::string(parameters.status().message()));
    v1::RunTierReviewRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    *request.mutable_parameters() = *parameters;
    request.set_dry_run(flags->dry_run);
    const std::string request_id = request.request_id();
    return Mutate(options, &Stub::RunTierReview, request, [request_id](const auto& r) {
      PrintTierReview(r.review());
      std::cout << "changes: kamctl analytics tier-review changes " << Printable(r.review().id())
                << '\n';
      if (r.review().state() == v1::REVIEW_STATE_PARTIAL) {
        PrintWarning(absl::StrCat(r.review().pending(),
                                  " change(s) not applied (accounts unreachable or refused); "
                                  "repeat the command with --request-id ",
                                  request_id, " to finish"));
      }
    });
  });
}

void AddGet(CLI::App& review, const Options& options, Action* action) {
  CLI::App* command = review.add_subcommand("get", "Show one tier review");
  auto id = std::make_shared<std::string>();
  command->add_option("id", *id, "review id")->required();
  OnRun(command, action, [&options, id] {
    v1::GetTierReviewRequest request;
    request.set_review_id(*id);
    return Query(options, &Stub::GetTierReview, request,
                 [](const auto& r) { PrintTierReview(r.review()); });
  });
}

void AddList(CLI::App& review, const Options& options, Action* action) {
  CLI::App* command = review.add_subcommand("list", "The tier reviews, newest first");
  auto page = std::make_shared<PageFlags>();
  AddPageFlags(command, page.get(), "reviews");
  OnRun(command, action, [&options, page] {
    return QueryPages(options, &Stub::ListTierReviews, v1::ListTierReviewsRequest(), *page,
                      PrintTierReviews);
  });
}

void AddChanges(CLI::App& review, const Options& options, Action* action) {
  CLI::App* command = review.add_subcommand(
      "changes",
      "The accounts a review promoted or demoted, with the reason and whether it is applied");
  struct Flags {
    std::string id;
    PageFlags page;
  };
  auto flags = std::make_shared<Flags>();
  command->add_option("id", flags->id, "review id")->required();
  AddPageFlags(command, &flags->page, "changes");
  OnRun(command, action, [&options, flags] {
    v1::ListTierChangesRequest request;
    request.set_review_id(flags->id);
    return QueryPages(options, &Stub::ListTierChanges, request, flags->page, PrintTierChanges);
  });
}

// Sends `items` in batches of kAnalyticsPutBatchSize. With more than one batch each gets
// its own request id, "<id>-<batch number>", so that repeating the command with the same
// --request-id repeats every batch safely.
template <typename Item, typename Request, typename Response>
int PutInBatches(const Options& options, AnalyticsMethod<Request, Response> method,
                 const std::vector<Item>& items, const std::string& request_id,
                 google::protobuf::RepeatedPtrField<Item>* (Request::*mutable_items)(),
                 const char* what) {
  Stub stub(Connect(options));
  const size_t batches = (items.size() + kAnalyticsPutBatchSize - 1) / kAnalyticsPutBatchSize;
  Response total;
  for (size_t b = 0; b < batches; ++b) {
    Request request;
    request.set_request_id(batches == 1 ? request_id : absl::StrCat(request_id, "-", b + 1));
    const size_t start = b * kAnalyticsPutBatchSize;
    const size_t end = std::min(items.size(), start + kAnalyticsPutBatchSize);
    for (size_t i = start; i < end; ++i) *(request.*mutable_items)()->Add() = items[i];
    Response batch;
    const grpc::Status status = Call(options, stub, method, request, &batch);
    if (!status.ok()) {
      if (start > 0) std::cerr << "rows 1-" << start << " were stored before the error\n";
      return ShowMutation(options, request_id, status, batch, [](const Response&) {});
    }
    total.set_stored(total.stored() + batch.stored());
  }
  return Show(options, grpc::Status::OK, total, [what](const Response& r) {
    std::cout << "stored: " << r.stored() << ' ' << what << '\n';
  });
}

// `<name> FILE [--request-id]`: reads the CSV file with `parse` and puts its rows.
template <typename Item, typename Request, typename Response>
void AddPut(CLI::App& analytics, const char* name, const std::string& help, const char* what,
            absl::StatusOr<std::vector<Item>> (*parse)(std::string_view),
            AnalyticsMethod<Request, Response> method,
            google::protobuf::RepeatedPtrField<Item>* (Request::*mutable_items)(),
            const Options& options, Action* action) {
  CLI::App* command = analytics.add_subcommand(name, help);
  struct Flags {
    std::string path, request_id;
  };
  auto flags = std::make_shared<Flags>();
  command->add_option("file", flags->path, "the CSV file, or - for standard input")->required();
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags, parse, method, mutable_items, what] {
    absl::StatusOr<std::string> text = ReadInput(flags->path);
    if (!text.ok()) return UsageError(std::string(text.status().message()));
    absl::StatusOr<std::vector<Item>> items = parse(*text);
    if (!items.ok()) return UsageError(flags->path + ": " + std::string(items.status().message()));
    if (items->empty()) return UsageError(flags->path + ": no rows to store");
    return PutInBatches(options, method, *items, RequestIdOrNew(flags->request_id), mutable_items,
                        what);
  });
}

}  // namespace

void AddAnalyticsReviewCommands(CLI::App& analytics, const Options& options, Action* action) {
  CLI::App* review = analytics.add_subcommand(
      "tier-review", "The tier review: every account's tier from its ABC class and score");
  review->require_subcommand(1);
  AddRun(*review, options, action);
  AddGet(*review, options, action);
  AddList(*review, options, action);
  AddChanges(*review, options, action);
  AddPut(analytics, "inventory-put",
         "Store inventory per product and month (for turnover) from a CSV file "
         "product_code,month,value,quantity: month YYYY-MM, value the average inventory at "
         "cost in CNY; a stored (product, month) is replaced",
         "snapshots", &ParseInventoryCsv, &Stub::PutInventorySnapshots,
         &v1::PutInventorySnapshotsRequest::mutable_snapshots, options, action);
  AddPut(analytics, "targets-put",
         "Store what is expected of accounts for a year from a CSV file "
         "account_id,year,expected_share_percent,wallet_estimate,industry_influence: share of "
         "company revenue in percent, yearly spend estimate in CNY (0 unknown), influence "
         "0-100; a stored (account, year) is replaced",
         "targets", &ParseTargetsCsv, &Stub::PutAccountTargets,
         &v1::PutAccountTargetsRequest::mutable_targets, options, action);
}

}  // namespace kam::kamctl
