// accounts history|set-tier|set-credit|transfer|summary: who owns an account, its tier and
// credit, and what a group adds up to.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/kamctl/accounts_commands.h"
#include "tools/kamctl/field_flags.h"
#include "tools/kamctl/printers.h"
#include "tools/kamctl/service_calls.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::accounts::v1;
using Stub = AccountStub;

void PrintHistory(const v1::ListAccountHistoryResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::AccountChange& c : response.changes()) {
    rows.push_back({FormatTime(c.change_time()), EnumLabel(v1::HistoryKind_descriptor(), c.kind()),
                    HistoryValue(c.kind(), c.from_value()), HistoryValue(c.kind(), c.to_value()),
                    c.actor(), c.reason()});
  }
  PrintTable({"TIME", "KIND", "FROM", "TO", "BY", "REASON"}, rows);
  PrintNextPage(response.next_page_token());
}

void PrintTransfer(const v1::TransferAccountsResponse& r) {
  PrintFields({{"accounts moved", std::to_string(r.accounts_moved())},
               {"opportunities moved", std::to_string(r.opportunities_moved())},
               {"visit plans moved", std::to_string(r.visit_plans_moved())}});
}

void PrintGroupSummary(const v1::GroupSummary& s, const std::string& period) {
  const bool has_limit = s.credit_limit().minor_units() != 0;
  std::string available = has_limit ? Amount(s.credit_available()) : "";
  if (s.over_limit()) available += " (OVER LIMIT)";
  PrintFields({{"group", std::to_string(s.account_id())},
               {"accounts", s.partial() ? absl::StrCat(s.accounts_included(), " of ",
                                                       s.accounts_total(), " (partial)")
                                        : std::to_string(s.accounts_total())},
               {"period", period},
               {"revenue", Amount(s.revenue())},
               {"cost", Amount(s.cost())},
               {"gross profit", Amount(s.gross_profit())},
               {"payments", Amount(s.payments())},
               {"collection rate", FormatBasisPoints(s.collection_rate_bp())},
               {"open pipeline", Amount(s.open_pipeline())},
               {"weighted pipeline", Amount(s.weighted_pipeline())},
               {"receivables", Amount(s.receivables())},
               {"credit limit", CreditLimitText(true, s.credit_limit())},
               {"credit exposure", Amount(s.credit_exposure())},
               {"credit available", available}});
}

void AddHistory(CLI::App& accounts, const Options& options, Action* action) {
  CLI::App* command = accounts.add_subcommand(
      "history", "Tier, owner, credit and parent changes of an account, newest first");
  struct Flags {
    int64_t id = 0;
    std::string kind;
    PageFlags page;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "id", &flags->id, "account id");
  command->add_option("--kind", flags->kind, "only this kind of change")
      ->check(EnumValidator(v1::HistoryKind_descriptor()));
  AddPageFlags(command, &flags->page, "changes");
  OnRun(command, action, [&options, flags] {
    v1::ListAccountHistoryRequest request;
    request.set_account_id(flags->id);
    if (!flags->kind.empty()) {
      request.set_kind(EnumOf<v1::HistoryKind>(v1::HistoryKind_descriptor(), flags->kind));
    }
    return QueryPages(options, &Stub::ListAccountHistory, request, flags->page, PrintHistory);
  });
}

void AddSetTier(CLI::App& accounts, const Options& options, Action* action) {
  CLI::App* command =
      accounts.add_subcommand("set-tier", "Set the value tier (directors, the tier review)");
  struct Flags {
    int64_t id = 0;
    std::string tier, reason, review_id, request_id;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "id", &flags->id, "account id");
  command->add_option("--tier", flags->tier, "the new tier")
      ->required()
      ->check(EnumValidator(v1::Tier_descriptor()));
  command->add_option("--reason", flags->reason, "why, kept in the history")->required();
  command->add_option("--review-id", flags->review_id, "the tier review run that decided it");
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::SetTierRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    request.set_account_id(flags->id);
    request.set_tier(EnumOf<v1::Tier>(v1::Tier_descriptor(), flags->tier));
    request.set_reason(flags->reason);
    request.set_review_id(flags->review_id);
    return Mutate(options, &Stub::SetTier, request,
                  [](const auto& r) { PrintAccount(r.account()); });
  });
}

void AddSetCredit(CLI::App& accounts, const Options& options, Action* action) {
  CLI::App* command = accounts.add_subcommand(
      "set-credit", "Set the credit rating and/or limit (directors), kept in the history");
  struct Flags {
    int64_t id = 0;
    std::string rating, limit, reason, request_id;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "id", &flags->id, "account id");
  CLI::Option* rating = command->add_option("--rating", flags->rating, "credit rating")
                            ->check(EnumValidator(v1::CreditRating_descriptor()));
  CLI::Option* limit =
      command->add_option("--limit", flags->limit, "credit limit in CNY, e.g. 500000.00 (0: none)")
          ->check(MoneyValidator());
  command->add_option("--reason", flags->reason, "why, kept in the history")->required();
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags, rating, limit] {
    v1::SetCreditRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    request.set_account_id(flags->id);
    if (rating->count() > 0) {
      request.set_credit_rating(
          EnumOf<v1::CreditRating>(v1::CreditRating_descriptor(), flags->rating));
      request.mutable_update_mask()->add_paths("credit_rating");
    }
    if (limit->count() > 0) {
      request.mutable_credit_limit()->set_currency_code(kCurrency);
      request.mutable_credit_limit()->set_minor_units(*ParseMoney(flags->limit));
      request.mutable_update_mask()->add_paths("credit_limit");
    }
    if (request.update_mask().paths().empty()) {
      return UsageError("nothing to set: give --rating, --limit or both");
    }
    request.set_reason(flags->reason);
    return Mutate(options, &Stub::SetCredit, request,
                  [](const auto& r) { PrintAccount(r.account()); });
  });
}

void AddTransfer(CLI::App& accounts, const Options& options, Action* action) {
  CLI::App* command = accounts.add_subcommand(
      "transfer",
      "Move a manager's accounts, open opportunities and planned visits to another (directors)");
  struct Flags {
    std::string from, to, reason, request_id;
    std::vector<int64_t> accounts;
  };
  auto flags = std::make_shared<Flags>();
  command->add_option("--from", flags->from, "user id of the manager giving them up")->required();
  command->add_option("--to", flags->to, "user id of the manager receiving them")->required();
  command->add_option("--account", flags->accounts, "only these account ids (default: all)")
      ->delimiter(',')
      ->check(PositiveNumber());
  command->add_option("--reason", flags->reason, "why, e.g. \"Li Wei left the company\"")
      ->required();
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::TransferAccountsRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    request.set_from_owner_id(flags->from);
    request.set_to_owner_id(flags->to);
    for (int64_t id : flags->accounts) request.add_account_ids(id);
    request.set_reason(flags->reason);
    return Mutate(options, &Stub::TransferAccounts, request, PrintTransfer);
  });
}

void AddGroupSummary(CLI::App& accounts, const Options& options, Action* action) {
  CLI::App* command =
      accounts.add_subcommand("summary", "Totals of a group and all its subsidiaries for a period");
  struct Flags {
    int64_t id = 0;
    std::string from, to;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "id", &flags->id, "the group's account id");
  command->add_option("--from", flags->from, "start of the period, e.g. 2026-01-01")
      ->required()
      ->check(TimeValidator());
  command->add_option("--to", flags->to, "end of the period, excluded, e.g. 2026-07-01")
      ->required()
      ->check(TimeValidator());
  OnRun(command, action, [&options, flags] {
    v1::GetGroupSummaryRequest request;
    request.set_account_id(flags->id);
    *request.mutable_period()->mutable_start_time() = ToTimestamp(*ParseTime(flags->from));
    *request.mutable_period()->mutable_end_time() = ToTimestamp(*ParseTime(flags->to));
    const std::string period = flags->from + " to " + flags->to + " (end excluded)";
    return Query(options, &Stub::GetGroupSummary, request, [period](const auto& r) {
      PrintGroupSummary(r.summary(), period);
      if (r.summary().partial()) {
        PrintWarning(absl::StrCat("partial: you may see ", r.summary().accounts_included(),
                                  " of the group's ", r.summary().accounts_total(),
                                  " accounts; the totals cover only those"));
      }
    });
  });
}

}  // namespace

void AddAccountControlCommands(CLI::App& accounts, const Options& options, Action* action) {
  AddHistory(accounts, options, action);
  AddSetTier(accounts, options, action);
  AddSetCredit(accounts, options, action);
  AddTransfer(accounts, options, action);
  AddGroupSummary(accounts, options, action);
}

}  // namespace kam::kamctl
