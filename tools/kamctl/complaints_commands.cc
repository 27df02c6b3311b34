#include "tools/kamctl/complaints_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "tools/kamctl/audit_commands.h"
#include "tools/kamctl/complaint_printers.h"
#include "tools/kamctl/field_flags.h"
#include "tools/kamctl/service_calls.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::complaints::v1;
using Stub = ComplaintStub;

void AddCreate(CLI::App& complaints, const Options& options, Action* action) {
  CLI::App* command = complaints.add_subcommand(
      "create", "Record a complaint (service agents, account managers): starts its SLA clocks");
  struct Flags {
    explicit Flags(CLI::App* command)
        : fields(
              command, v1::Complaint::descriptor(),
              {{"--channel", "channel", "how it reached us", true},
               {"--category", "category", "what it is about; decides the department", true},
               {"--subcategory", "subcategory", "within the category, e.g. \"out of tolerance\""},
               {"--description", "description", "what the customer says happened", true},
               {"--severity", "severity", "with the account's tier, sets the SLA targets", true},
               {"--manner", "manner", "the customer's manner; sets the handling guidance", true},
               {"--contact", "contact_id", "id of the account's contact who complained"}}) {}
    FieldFlags fields;
    int64_t account = 0;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>(command);
  AddIdOption(command, "--account", &flags->account, "id of the account complaining");
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::CreateComplaintRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    flags->fields.Apply(request.mutable_complaint());
    request.mutable_complaint()->set_account_id(flags->account);
    return Mutate(options, &Stub::CreateComplaint, request,
                  [](const auto& r) { PrintComplaint(r.complaint()); });
  });
}

void AddGet(CLI::App& complaints, const Options& options, Action* action) {
  CLI::App* command = complaints.add_subcommand("get", "Show one complaint");
  auto id = std::make_shared<int64_t>();
  AddIdOption(command, "id", id.get(), "complaint id");
  OnRun(command, action, [&options, id] {
    v1::GetComplaintRequest request;
    request.set_complaint_id(*id);
    return Query(options, &Stub::GetComplaint, request,
                 [](const auto& r) { PrintComplaint(r.complaint()); });
  });
}

struct ListFlags {
  std::vector<std::string> states;
  std::string category, department, handler, from, to;
  int64_t account = 0;
  bool at_risk = false, breached = false;
  PageFlags page;
};

void AddListFilters(CLI::App* command, ListFlags* flags) {
  command->add_option("--state", flags->states, "only in these states (repeat, or a,b)")
      ->delimiter(',')
      ->check(EnumValidator(v1::State_descriptor()));
  command->add_option("--category", flags->category, "only of this category")
      ->check(EnumValidator(v1::Category_descriptor()));
  command->add_option("--account", flags->account, "only about this account")
      ->check(PositiveNumber());
  command->add_option("--department", flags->department, "only of this department (code)");
  command->add_option("--handler", flags->handler, "only assigned to this user id");
  CLI::Option* at_risk = command->add_flag(
      "--at-risk", flags->at_risk, "only with a deadline past its warning, not yet breached");
  command->add_flag("--breached", flags->breached, "only with a deadline breached")
      ->excludes(at_risk);
  command->add_option("--from", flags->from, "only recorded at or after, e.g. 2026-11-01")
      ->check(TimeValidator());
  command->add_option("--to", flags->to, "only recorded before (excluded), e.g. 2026-12-01")
      ->check(TimeValidator());
}

v1::ListComplaintsRequest ListRequest(const ListFlags& flags) {
  v1::ListComplaintsRequest request;
  for (const std::string& state : flags.states) {
    request.add_states(EnumOf<v1::State>(v1::State_descriptor(), state));
  }
  if (!flags.category.empty()) {
    request.set_category(EnumOf<v1::Category>(v1::Category_descriptor(), flags.category));
  }
  request.set_account_id(flags.account);
  request.set_department(flags.department);
  request.set_handler_id(flags.handler);
  if (flags.at_risk) request.set_sla(v1::SLA_FILTER_AT_RISK);
  if (flags.breached) request.set_sla(v1::SLA_FILTER_BREACHED);
  if (!flags.from.empty())
    *request.mutable_create_time_start() = ToTimestamp(*ParseTime(flags.from));
  if (!flags.to.empty()) *request.mutable_create_time_end() = ToTimestamp(*ParseTime(flags.to));
  return request;
}

void AddList(CLI::App& complaints, const Options& options, Action* action) {
  CLI::App* command =
      complaints.add_subcommand("list", "List the complaints you may see, newest first");
  auto flags = std::make_shared<ListFlags>();
  AddListFilters(command, flags.get());
  AddPageFlags(command, &flags->page, "complaints");
  OnRun(command, action, [&options, flags] {
    return QueryPages(options, &Stub::ListComplaints, ListRequest(*flags), flags->page,
                      PrintComplaints);
  });
}

void AddQueue(CLI::App& complaints, const Options& options, Action* action) {
  CLI::App* command = complaints.add_subcommand(
      "queue", "What waits on you (handlers, service agents, directors), most urgent first");
  auto page = std::make_shared<PageFlags>();
  AddPageFlags(command, page.get(), "complaints");
  OnRun(command, action, [&options, page] {
    return QueryPages(options, &Stub::ListMyQueue, v1::ListMyQueueRequest(), *page, PrintQueue);
  });
}

void AddHistory(CLI::App& complaints, const Options& options, Action* action) {
  CLI::App* command =
      complaints.add_subcommand("history", "Every step of one complaint, oldest first");
  auto id = std::make_shared<int64_t>();
  AddIdOption(command, "id", id.get(), "complaint id");
  OnRun(command, action, [&options, id] {
    v1::ListComplaintHistoryRequest request;
    request.set_complaint_id(*id);
    return Query(options, &Stub::ListComplaintHistory, request, PrintHistory);
  });
}

void AddListDepartments(CLI::App& departments, const Options& options, Action* action) {
  CLI::App* command = departments.add_subcommand(
      "list", "The handling departments: categories routed to each, handlers, manager");
  OnRun(command, action, [&options] {
    return Query(options, &Stub::ListDepartments, v1::ListDepartmentsRequest(), PrintDepartments);
  });
}

void AddPutDepartment(CLI::App& departments, const Options& options, Action* action) {
  CLI::App* command = departments.add_subcommand(
      "put", "Create a department, or replace one (--etag of the version replaced) (directors)");
  struct Flags {
    std::string code, name, manager, etag, request_id;
    std::vector<std::string> categories, handlers;
  };
  auto flags = std::make_shared<Flags>();
  command->add_option("--code", flags->code, "short code, e.g. quality")->required();
  command->add_option("--name", flags->name, "display name")->required();
  command
      ->add_option("--category", flags->categories,
                   "categories routed to it (repeat, or a,b); each to one department only")
      ->required()
      ->delimiter(',')
      ->check(EnumValidator(v1::Category_descriptor()));
  command
      ->add_option("--handler", flags->handlers,
                   "handler user ids in round-robin order (repeat, or a,b); none: complaints "
                   "wait unassigned")
      ->delimiter(',');
  command->add_option("--manager", flags->manager, "user id escalations go to first")->required();
  command->add_option("--etag", flags->etag, "etag of the department replaced (omit to create)");
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::PutDepartmentRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    request.set_etag(flags->etag);
    v1::Department* department = request.mutable_department();
    department->set_code(flags->code);
    department->set_name(flags->name);
    for (const std::string& category : flags->categories) {
      department->add_categories(EnumOf<v1::Category>(v1::Category_descriptor(), category));
    }
    for (const std::string& handlers : flags->handlers) {
      for (std::string& handler : SplitList(handlers)) department->add_handler_ids(handler);
    }
    department->set_manager_id(flags->manager);
    return Mutate(options, &Stub::PutDepartment, request,
                  [](const auto& r) { PrintDepartment(r.department()); });
  });
}

}  // namespace

void AddComplaintCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* complaints = app.add_subcommand(
      "complaints", "Customer complaints (客户投诉): intake, the handling procedure, SLA");
  complaints->require_subcommand(1);
  AddCreate(*complaints, options, action);
  AddGet(*complaints, options, action);
  AddList(*complaints, options, action);
  AddQueue(*complaints, options, action);
  AddHistory(*complaints, options, action);
  AddComplaintStepCommands(*complaints, options, action);
  AddComplaintAuditCommands(*complaints, options, action);
}

void AddDepartmentCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* departments =
      app.add_subcommand("departments", "The departments that handle complaints");
  departments->require_subcommand(1);
  AddListDepartments(*departments, options, action);
  AddPutDepartment(*departments, options, action);
}

}  // namespace kam::kamctl
