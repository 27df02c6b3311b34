#include "tools/kamctl/credit_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "tools/kamctl/field_flags.h"
#include "tools/kamctl/printers.h"
#include "tools/kamctl/service_calls.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::accounts::v1;
using Stub = AccountStub;

void PrintReport(const v1::CreditReport& r) {
  PrintFields({{"id", std::to_string(r.id())},
               {"account", std::to_string(r.account_id())},
               {"kind", EnumLabel(v1::CreditReportKind_descriptor(), r.kind())},
               {"source", EnumLabel(v1::CreditSource_descriptor(), r.source())},
               {"suggested rating", EnumLabel(v1::CreditRating_descriptor(), r.suggested_rating())},
               {"summary", r.summary()},
               {"by", r.author_id()},
               {"created", FormatTime(r.create_time())}});
}

void PrintReports(const v1::ListCreditReportsResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::CreditReport& r : response.reports()) {
    rows.push_back({std::to_string(r.id()), FormatTime(r.create_time()),
                    EnumLabel(v1::CreditReportKind_descriptor(), r.kind()),
                    EnumLabel(v1::CreditSource_descriptor(), r.source()),
                    EnumLabel(v1::CreditRating_descriptor(), r.suggested_rating()), r.author_id(),
                    Truncate(r.summary(), 50)});
  }
  PrintTable({"ID", "CREATED", "KIND", "SOURCE", "SUGGESTS", "BY", "SUMMARY"}, rows);
  PrintNextPage(response.next_page_token());
}

void PrintOverride(const v1::CreditOverride& o) {
  PrintFields({{"id", std::to_string(o.id())},
               {"account", std::to_string(o.account_id())},
               {"allowance", Amount(o.allowance())},
               {"reason", o.reason()},
               {"in force until", FormatTime(o.expire_time())},
               {"granted by", o.director_id()},
               {"created", FormatTime(o.create_time())}});
}

// The credit source, taking "agency" for credit_agency as people say it.
CLI::Validator CreditSourceValidator() {
  const CLI::Validator labels = EnumValidator(v1::CreditSource_descriptor());
  return CLI::Validator(
      [labels](std::string& text) -> std::string {
        if (text == "agency") text = "credit_agency";
        std::string copy = text;
        return labels(copy);
      },
      EnumChoices(v1::CreditSource_descriptor()));
}

void AddCreateReport(CLI::App& credit, const Options& options, Action* action) {
  CLI::App* command = credit.add_subcommand("report", "File a credit investigation report");
  struct Flags {
    explicit Flags(CLI::App* command)
        : fields(command, v1::CreditReport::descriptor(),
                 {{"--kind", "kind", "routine, or urgent when the account shows problems", true},
                  {"--summary", "summary", "the findings", true},
                  {"--suggest", "suggested_rating",
                   "the rating the report suggests (accounts set-credit sets it)"}}) {}
    FieldFlags fields;
    int64_t account = 0;
    std::string source, request_id;
  };
  auto flags = std::make_shared<Flags>(command);
  AddIdOption(command, "account", &flags->account, "account id");
  command->add_option("--source", flags->source, "where the findings come from")
      ->required()
      ->transform(CreditSourceValidator());
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::CreateCreditReportRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    v1::CreditReport* report = request.mutable_report();
    flags->fields.Apply(report);
    report->set_account_id(flags->account);
    report->set_source(EnumOf<v1::CreditSource>(v1::CreditSource_descriptor(), flags->source));
    return Mutate(options, &Stub::CreateCreditReport, request,
                  [](const auto& r) { PrintReport(r.report()); });
  });
}

void AddListReports(CLI::App& credit, const Options& options, Action* action) {
  CLI::App* command = credit.add_subcommand("reports", "An account's credit reports, newest first");
  struct Flags {
    int64_t account = 0;
    PageFlags page;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "account", &flags->account, "account id");
  AddPageFlags(command, &flags->page, "reports");
  OnRun(command, action, [&options, flags] {
    v1::ListCreditReportsRequest request;
    request.set_account_id(flags->account);
    return QueryPages(options, &Stub::ListCreditReports, request, flags->page, PrintReports);
  });
}

void AddOverride(CLI::App& credit, const Options& options, Action* action) {
  CLI::App* command = credit.add_subcommand(
      "override", "Let orders through the credit gate for a while (directors)");
  struct Flags {
    int64_t account = 0;
    std::string allowance, reason, until, request_id;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "account", &flags->account, "account id");
  command
      ->add_option("--allowance", flags->allowance,
                   "how far above the credit limit orders may go, CNY")
      ->required()
      ->check(MoneyValidator());
  command->add_option("--reason", flags->reason, "why")->required();
  command
      ->add_option("--until", flags->until,
                   "last day in force (through its end, UTC), or the RFC 3339 time it ends; at "
                   "most 90 days ahead")
      ->required()
      ->check(TimeValidator());
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::GrantCreditOverrideRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    v1::CreditOverride* grant = request.mutable_override();
    grant->set_account_id(flags->account);
    grant->mutable_allowance()->set_currency_code(kCurrency);
    grant->mutable_allowance()->set_minor_units(*ParseMoney(flags->allowance));
    grant->set_reason(flags->reason);
    *grant->mutable_expire_time() = ToTimestamp(*ParseLastDay(flags->until));
    return Mutate(options, &Stub::GrantCreditOverride, request,
                  [](const auto& r) { PrintOverride(r.override()); });
  });
}

}  // namespace

void AddCreditCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* credit =
      app.add_subcommand("credit", "Credit reports and overrides of the credit gate");
  credit->require_subcommand(1);
  AddCreateReport(*credit, options, action);
  AddListReports(*credit, options, action);
  AddOverride(*credit, options, action);
}

}  // namespace kam::kamctl
