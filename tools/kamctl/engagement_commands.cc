#include "tools/kamctl/engagement_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/kamctl/field_flags.h"
#include "tools/kamctl/printers.h"
#include "tools/kamctl/service_calls.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::accounts::v1;
using Stub = AccountStub;

void PrintRecord(const v1::ContactRecord& r) {
  PrintFields({{"id", std::to_string(r.id())},
               {"account", std::to_string(r.account_id())},
               {"kind", EnumLabel(v1::ContactKind_descriptor(), r.kind())},
               {"at", FormatTime(r.occur_time())},
               {"outcome", EnumLabel(v1::ContactOutcome_descriptor(), r.outcome())},
               {"contacts", absl::StrJoin(r.contact_ids(), ", ")},
               {"attendees", r.attendees()},
               {"summary", r.summary()},
               {"next step", r.next_step()},
               {"visit plan", IdText(r.visit_plan_id())},
               {"by", r.author_id()},
               {"created", FormatTime(r.create_time())}});
}

void PrintRecordCreated(const v1::CreateContactRecordResponse& response) {
  PrintRecord(response.record());
}

void WarnIfTakenOffPlan(const v1::CreateContactRecordResponse& response) {
  if (!response.visit_plan_suspended()) return;
  const int64_t account = response.record().account_id();
  PrintWarning(absl::StrCat(
      "this was the 5th visit in a row without result: account ", account,
      " is off the visit plan and its planned visits are cancelled; a director can put it "
      "back with: kamctl visits restore ",
      account, " --reason ..."));
}

void PrintTimeline(const v1::ListTimelineResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::ContactRecord& r : response.records()) {
    rows.push_back({std::to_string(r.id()), FormatTime(r.occur_time()),
                    EnumLabel(v1::ContactKind_descriptor(), r.kind()),
                    EnumLabel(v1::ContactOutcome_descriptor(), r.outcome()),
                    Truncate(r.summary(), 40), Truncate(r.next_step(), 30), r.author_id()});
  }
  PrintTable({"ID", "AT", "KIND", "OUTCOME", "SUMMARY", "NEXT STEP", "BY"}, rows);
  PrintNextPage(response.next_page_token());
}

std::string VisitStatus(const v1::VisitPlan& plan) {
  return plan.overdue() ? "OVERDUE" : EnumLabel(v1::VisitPlanStatus_descriptor(), plan.status());
}

void PrintVisit(const v1::VisitPlan& p) {
  PrintFields({{"id", std::to_string(p.id())},
               {"account", std::to_string(p.account_id())},
               {"owner", p.owner_id()},
               {"day", FormatDay(p.planned_time())},
               {"objective", p.objective()},
               {"status", VisitStatus(p)},
               {"completed by", IdText(p.contact_record_id())},
               {"cancel reason", p.cancel_reason()},
               {"created", FormatTime(p.create_time())}});
}

void PrintVisits(const v1::ListVisitPlansResponse& response) {
  std::vector<std::vector<std::string>> rows;
  int overdue = 0;
  for (const v1::VisitPlan& p : response.plans()) {
    overdue += p.overdue() ? 1 : 0;
    rows.push_back({std::to_string(p.id()), std::to_string(p.account_id()),
                    FormatDay(p.planned_time()), p.owner_id(), VisitStatus(p),
                    Truncate(p.objective(), 40), IdText(p.contact_record_id())});
  }
  PrintTable({"ID", "ACCOUNT", "DAY", "OWNER", "STATUS", "OBJECTIVE", "RECORD"}, rows);
  if (overdue > 0) std::cout << overdue << " overdue (planned, day over)\n";
  PrintNextPage(response.next_page_token());
}

void AddCreateRecord(CLI::App& records, const Options& options, Action* action) {
  CLI::App* command = records.add_subcommand(
      "add", "Record a visit, call, meeting, e-mail or event with the customer");
  struct Flags {
    explicit Flags(CLI::App* command)
        : fields(
              command, v1::ContactRecord::descriptor(),
              {{"--kind", "kind", "what kind of contact", true},
               {"--at", "occur_time", "when: a day or an RFC 3339 time, not in the future", true},
               {"--summary", "summary", "what was discussed", true},
               {"--outcome", "outcome", "effective or no_result", true},
               {"--attendees", "attendees", "others present (our side, people not in the archive)"},
               {"--next-step", "next_step", "the agreed next step"},
               {"--plan", "visit_plan_id", "id of the planned visit this completes (visits)"}}) {}
    FieldFlags fields;
    int64_t account = 0;
    std::vector<int64_t> contacts;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>(command);
  AddIdOption(command, "account", &flags->account, "account id");
  command->add_option("--contacts", flags->contacts, "ids of the account's contacts met, e.g. 1,2")
      ->delimiter(',')
      ->check(PositiveNumber());
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::CreateContactRecordRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    flags->fields.Apply(request.mutable_record());
    request.mutable_record()->set_account_id(flags->account);
    for (int64_t id : flags->contacts) request.mutable_record()->add_contact_ids(id);
    return Mutate(options, &Stub::CreateContactRecord, request, [](const auto& r) {
      PrintRecordCreated(r);
      WarnIfTakenOffPlan(r);
    });
  });
}

void AddTimeline(CLI::App& records, const Options& options, Action* action) {
  CLI::App* command =
      records.add_subcommand("timeline", "An account's contact records, newest first");
  struct Flags {
    int64_t account = 0;
    PageFlags page;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "account", &flags->account, "account id");
  AddPageFlags(command, &flags->page, "records");
  OnRun(command, action, [&options, flags] {
    v1::ListTimelineRequest request;
    request.set_account_id(flags->account);
    return QueryPages(options, &Stub::ListTimeline, request, flags->page, PrintTimeline);
  });
}

void AddPlanVisit(CLI::App& visits, const Options& options, Action* action) {
  CLI::App* command = visits.add_subcommand("plan", "Plan a visit to an account");
  struct Flags {
    explicit Flags(CLI::App* command)
        : fields(command, v1::VisitPlan::descriptor(),
                 {{"--on", "planned_time", "the day, e.g. 2026-12-01 (today or later)", true},
                  {"--objective", "objective", "what the visit is for", true},
                  {"--owner", "owner_id", "who visits (default: the account's owner)"}}) {}
    FieldFlags fields;
    int64_t account = 0;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>(command);
  AddIdOption(command, "account", &flags->account, "account id");
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::CreateVisitPlanRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    flags->fields.Apply(request.mutable_plan());
    request.mutable_plan()->set_account_id(flags->account);
    return Mutate(options, &Stub::CreateVisitPlan, request,
                  [](const auto& r) { PrintVisit(r.plan()); });
  });
}

void AddListVisits(CLI::App& visits, const Options& options, Action* action) {
  CLI::App* command =
      visits.add_subcommand("list", "List planned visits by day; overdue ones show as OVERDUE");
  struct Flags {
    std::string owner, status;
    int64_t account = 0;
    bool overdue = false;
    PageFlags page;
  };
  auto flags = std::make_shared<Flags>();
  command->add_option("--owner", flags->owner, "only visits by this user id");
  command->add_option("--account", flags->account, "only visits to this account")
      ->check(PositiveNumber());
  command->add_option("--status", flags->status, "only visits in this state")
      ->check(EnumValidator(v1::VisitPlanStatus_descriptor()));
  command->add_flag("--overdue", flags->overdue, "only planned visits whose day is over");
  AddPageFlags(command, &flags->page, "visits");
  OnRun(command, action, [&options, flags] {
    v1::ListVisitPlansRequest request;
    request.set_owner_id(flags->owner);
    request.set_account_id(flags->account);
    if (!flags->status.empty()) {
      request.set_status(
          EnumOf<v1::VisitPlanStatus>(v1::VisitPlanStatus_descriptor(), flags->status));
    }
    request.set_overdue_only(flags->overdue);
    return QueryPages(options, &Stub::ListVisitPlans, request, flags->page, PrintVisits);
  });
}

struct ReasonFlags {
  int64_t id = 0;
  std::string reason, request_id;
};

std::shared_ptr<ReasonFlags> AddReasonArguments(CLI::App* command, const char* id_name,
                                                const char* id_help) {
  auto flags = std::make_shared<ReasonFlags>();
  AddIdOption(command, id_name, &flags->id, id_help);
  command->add_option("--reason", flags->reason, "why, kept in the audit trail")->required();
  AddRequestIdFlag(command, &flags->request_id);
  return flags;
}

void AddCancelVisit(CLI::App& visits, const Options& options, Action* action) {
  CLI::App* command = visits.add_subcommand("cancel", "Cancel a planned visit");
  auto flags = AddReasonArguments(command, "id", "visit plan id");
  OnRun(command, action, [&options, flags] {
    v1::CancelVisitPlanRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    request.set_visit_plan_id(flags->id);
    request.set_reason(flags->reason);
    return Mutate(options, &Stub::CancelVisitPlan, request,
                  [](const auto& r) { PrintVisit(r.plan()); });
  });
}

void AddRestoreVisits(CLI::App& visits, const Options& options, Action* action) {
  CLI::App* command =
      visits.add_subcommand("restore", "Put an account back on the visit plan (directors)");
  auto flags = AddReasonArguments(command, "account", "account id");
  OnRun(command, action, [&options, flags] {
    v1::RestoreVisitPlanRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    request.set_account_id(flags->id);
    request.set_reason(flags->reason);
    return Mutate(options, &Stub::RestoreVisitPlan, request,
                  [](const auto& r) { PrintAccount(r.account()); });
  });
}

}  // namespace

void AddRecordCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* records =
      app.add_subcommand("records", "Contact records (客户接触记录) and an account's timeline");
  records->require_subcommand(1);
  AddCreateRecord(*records, options, action);
  AddTimeline(*records, options, action);
}

void AddVisitCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* visits = app.add_subcommand("visits", "The visit plan (客户访问计划)");
  visits->require_subcommand(1);
  AddPlanVisit(*visits, options, action);
  AddListVisits(*visits, options, action);
  AddCancelVisit(*visits, options, action);
  AddRestoreVisits(*visits, options, action);
}

}  // namespace kam::kamctl
