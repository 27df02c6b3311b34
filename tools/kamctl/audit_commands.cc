#include "tools/kamctl/audit_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "tools/kamctl/field_flags.h"
#include "tools/kamctl/service_calls.h"
#include "tools/kamctl/values.h"

// The accounts and the complaints services have the same audit trail and event stream
// messages, each in its own package: the code below is written once for both, with `Api`
// naming the package's types (AccountsApi, ComplaintsApi).
namespace kam::kamctl {
namespace {

struct AccountsApi {
  using Stub = AccountStub;
  using ListAuditLogRequest = kam::accounts::v1::ListAuditLogRequest;
  using ListAuditLogResponse = kam::accounts::v1::ListAuditLogResponse;
  using AuditRecord = kam::accounts::v1::AuditRecord;
  using WatchEventsRequest = kam::accounts::v1::WatchEventsRequest;
  using WatchEventsResponse = kam::accounts::v1::WatchEventsResponse;
  using Event = kam::accounts::v1::Event;
};

struct ComplaintsApi {
  using Stub = ComplaintStub;
  using ListAuditLogRequest = kam::complaints::v1::ListAuditLogRequest;
  using ListAuditLogResponse = kam::complaints::v1::ListAuditLogResponse;
  using AuditRecord = kam::complaints::v1::AuditRecord;
  using WatchEventsRequest = kam::complaints::v1::WatchEventsRequest;
  using WatchEventsResponse = kam::complaints::v1::WatchEventsResponse;
  using Event = kam::complaints::v1::Event;
};

template <typename Api>
void PrintAudit(const typename Api::ListAuditLogResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const typename Api::AuditRecord& r : response.records()) {
    rows.push_back({FormatTime(r.time()), r.actor(), r.action(),
                    r.resource_type() + "/" + r.resource_id(), r.request_id(),
                    Truncate(r.note(), 40)});
  }
  PrintTable({"TIME", "ACTOR", "ACTION", "RESOURCE", "REQUEST ID", "NOTE"}, rows);
  PrintNextPage(response.next_page_token());
}

template <typename Api>
void PrintEvent(const Options& options, const typename Api::Event& event) {
  if (options.json) {
    PrintJsonLine(event);
    return;
  }
  std::cout << event.sequence() << "  " << FormatTime(event.occur_time()) << "  "
            << Printable(event.type()) << "  " << Printable(event.aggregate_type()) << '/'
            << Printable(event.aggregate_id()) << '\n';
}

template <typename Api>
void AddListAudit(CLI::App& parent, const char* name, const Options& options, Action* action) {
  CLI::App* command = parent.add_subcommand(name, "Who changed what, newest first");
  struct Flags {
    std::string resource_type, resource_id, actor, from, to;
    PageFlags page;
  };
  auto flags = std::make_shared<Flags>();
  command->add_option("--resource-type", flags->resource_type, "e.g. account, opportunity");
  command->add_option("--resource-id", flags->resource_id, "the record's id");
  command->add_option("--actor", flags->actor, "user id of who made the change");
  command->add_option("--from", flags->from, "only changes at or after")->check(TimeValidator());
  command->add_option("--to", flags->to, "only changes before")->check(TimeValidator());
  AddPageFlags(command, &flags->page, "records");
  OnRun(command, action, [&options, flags] {
    typename Api::ListAuditLogRequest request;
    request.set_resource_type(flags->resource_type);
    request.set_resource_id(flags->resource_id);
    request.set_actor(flags->actor);
    if (!flags->from.empty()) *request.mutable_start_time() = ToTimestamp(*ParseTime(flags->from));
    if (!flags->to.empty()) *request.mutable_end_time() = ToTimestamp(*ParseTime(flags->to));
    return QueryPages(options, &Api::Stub::ListAuditLog, request, flags->page, PrintAudit<Api>);
  });
}

struct WatchFlags {
  int64_t after = 0;
  std::vector<std::string> types;
  bool follow = false;
};

// Prints events as they come: until caught up with the stream, or with --follow until
// interrupted.
template <typename Api>
int Watch(const Options& options, const WatchFlags& flags) {
  typename Api::WatchEventsRequest request;
  request.set_after_sequence(flags.after);
  for (const std::string& type : flags.types) request.add_type_prefixes(type);
  grpc::ClientContext context;
  PrepareStream(options, &context);
  typename Api::Stub stub(Connect(options));
  auto reader = stub.WatchEvents(&context, request);
  typename Api::WatchEventsResponse response;
  int64_t last = flags.after;
  while (reader->Read(&response)) {
    for (const typename Api::Event& event : response.events()) {
      PrintEvent<Api>(options, event);
      last = event.sequence();
    }
    std::cout.flush();
    // Caught up: at the head, or a heartbeat (the server is idle; with --type filters the
    // last matching event may lie well before the head).
    if (!flags.follow && (last >= response.head_sequence() || response.events().empty())) {
      context.TryCancel();
      break;
    }
  }
  const grpc::Status status = reader->Finish();
  if (status.ok() || status.error_code() == grpc::StatusCode::CANCELLED) return kExitOk;
  return ReportRpcError(status);
}

template <typename Api>
void AddWatch(CLI::App& parent, const char* name, const char* type_example, const Options& options,
              Action* action) {
  CLI::App* command = parent.add_subcommand(
      name, "Print committed events in order: up to now, or with --follow as they come");
  auto flags = std::make_shared<WatchFlags>();
  command->add_option("--after", flags->after, "resume after this sequence (default: the start)")
      ->check(NonNegativeInteger(64));
  command
      ->add_option("--type", flags->types,
                   std::string("only types starting with, e.g. ") + type_example)
      ->delimiter(',');
  command->add_flag("--follow", flags->follow, "keep printing new events until interrupted");
  OnRun(command, action, [&options, flags] { return Watch<Api>(options, *flags); });
}

}  // namespace

void AddAuditCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* audit = app.add_subcommand("audit", "The audit trail of the accounts service");
  audit->require_subcommand(1);
  AddListAudit<AccountsApi>(*audit, "list", options, action);
}

void AddEventCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* events = app.add_subcommand("events", "The accounts event stream");
  events->require_subcommand(1);
  AddWatch<AccountsApi>(*events, "watch", "account.,order.", options, action);
}

void AddComplaintAuditCommands(CLI::App& complaints, const Options& options, Action* action) {
  AddListAudit<ComplaintsApi>(complaints, "audit", options, action);
  AddWatch<ComplaintsApi>(complaints, "events", "complaint.closed,department.", options, action);
}

}  // namespace kam::kamctl
