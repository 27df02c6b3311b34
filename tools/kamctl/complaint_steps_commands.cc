// The steps of the complaint handling procedure (complaint.proto, State): one command per
// step, each taking the complaint id and a --request-id, each printing the complaint after.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "tools/kamctl/complaint_printers.h"
#include "tools/kamctl/complaints_commands.h"
#include "tools/kamctl/field_flags.h"
#include "tools/kamctl/output.h"
#include "tools/kamctl/service_calls.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::complaints::v1;
using Stub = ComplaintStub;

// What every step takes: which complaint, and the idempotency key.
struct StepFlags {
  int64_t id = 0;
  std::string request_id;
};

void AddStepArguments(CLI::App* command, StepFlags* flags) {
  AddIdOption(command, "id", &flags->id, "complaint id");
  AddRequestIdFlag(command, &flags->request_id);
}

template <typename Request>
Request StepRequest(const StepFlags& flags) {
  Request request;
  request.set_request_id(RequestIdOrNew(flags.request_id));
  request.set_complaint_id(flags.id);
  return request;
}

// A valid complaint goes to the next handler of its department; a department without
// handlers leaves it unassigned, which nobody gets notified about.
void WarnIfUnassigned(const v1::Complaint& c) {
  if (c.state() != v1::STATE_ASSIGNED || !c.handler_id().empty()) return;
  PrintWarning(absl::StrCat("department ", c.department(),
                            " has no handler: the complaint waits unassigned in its queue; "
                            "add handlers with kamctl departments put, or a director can assign "
                            "one with: kamctl complaints reassign ",
                            c.id(), " --handler ... --reason ..."));
}

void PrintStepped(const v1::Complaint& complaint) {
  PrintComplaint(complaint);
  WarnIfUnassigned(complaint);
}

constexpr auto kPrintComplaint = [](const auto& response) { PrintStepped(response.complaint()); };

void AddJudge(CLI::App& complaints, const Options& options, Action* action) {
  CLI::App* command = complaints.add_subcommand(
      "judge", "Judge a recorded complaint valid (routes it) or invalid (service agents)");
  struct Flags : StepFlags {
    bool valid = false, invalid = false;
    std::string reason;
  };
  auto flags = std::make_shared<Flags>();
  AddStepArguments(command, flags.get());
  CLI::Option* valid = command->add_flag(
      "--valid", flags->valid, "it stands (成立): assign it to its category's department");
  CLI::Option* invalid = command->add_flag("--invalid", flags->invalid, "it does not: close it");
  CLI::Option* reason = command->add_option("--reason", flags->reason, "why (needed if invalid)");
  valid->excludes(invalid);
  invalid->needs(reason);
  OnRun(command, action, [&options, flags] {
    if (!flags->valid && !flags->invalid) return UsageError("judge: give --valid or --invalid");
    auto request = StepRequest<v1::JudgeValidityRequest>(*flags);
    request.set_valid(flags->valid);
    request.set_reason(flags->reason);
    return Mutate(options, &Stub::JudgeValidity, request, kPrintComplaint);
  });
}

void AddReassign(CLI::App& complaints, const Options& options, Action* action) {
  CLI::App* command = complaints.add_subcommand(
      "reassign", "Move an open complaint to another department and/or handler (directors)");
  struct Flags : StepFlags {
    std::string department, handler, reason;
  };
  auto flags = std::make_shared<Flags>();
  AddStepArguments(command, flags.get());
  command->add_option("--department", flags->department, "new department code (default: same)");
  command->add_option("--handler", flags->handler, "new handler (default: next in turn)");
  command->add_option("--reason", flags->reason, "why, kept in its history")->required();
  OnRun(command, action, [&options, flags] {
    auto request = StepRequest<v1::ReassignComplaintRequest>(*flags);
    request.set_department(flags->department);
    request.set_handler_id(flags->handler);
    request.set_reason(flags->reason);
    return Mutate(options, &Stub::ReassignComplaint, request, kPrintComplaint);
  });
}

// A step whose only input is one text (cause, resolution, reason, note).
struct TextFlags : StepFlags {
  std::string text;
};

void AddAnalyze(CLI::App& complaints, const Options& options, Action* action) {
  CLI::App* command = complaints.add_subcommand(
      "analyze", "Record the cause (handlers of the assigned department): -> cause_analyzed");
  auto flags = std::make_shared<TextFlags>();
  AddStepArguments(command, flags.get());
  command->add_option("--cause", flags->text, "what caused the problem")->required();
  OnRun(command, action, [&options, flags] {
    auto request = StepRequest<v1::AnalyzeCauseRequest>(*flags);
    request.set_cause(flags->text);
    return Mutate(options, &Stub::AnalyzeCause, request, kPrintComplaint);
  });
}

void AddPropose(CLI::App& complaints, const Options& options, Action* action) {
  CLI::App* command = complaints.add_subcommand(
      "propose",
      "Propose a resolution for a director to decide (handlers): -> resolution_proposed");
  auto flags = std::make_shared<TextFlags>();
  AddStepArguments(command, flags.get());
  command->add_option("--resolution", flags->text, "what we will do")->required();
  OnRun(command, action, [&options, flags] {
    auto request = StepRequest<v1::ProposeResolutionRequest>(*flags);
    request.set_resolution(flags->text);
    return Mutate(options, &Stub::ProposeResolution, request, kPrintComplaint);
  });
}

void AddApprove(CLI::App& complaints, const Options& options, Action* action) {
  CLI::App* command = complaints.add_subcommand(
      "approve", "Approve the proposed resolution (directors): -> resolution_approved");
  auto flags = std::make_shared<StepFlags>();
  AddStepArguments(command, flags.get());
  OnRun(command, action, [&options, flags] {
    auto request = StepRequest<v1::DecideResolutionRequest>(*flags);
    request.set_approve(true);
    return Mutate(options, &Stub::DecideResolution, request, kPrintComplaint);
  });
}

void AddReject(CLI::App& complaints, const Options& options, Action* action) {
  CLI::App* command = complaints.add_subcommand(
      "reject", "Reject the proposed resolution (directors): back to cause_analyzed");
  auto flags = std::make_shared<TextFlags>();
  AddStepArguments(command, flags.get());
  command->add_option("--reason", flags->text, "why; the handler proposes again")->required();
  OnRun(command, action, [&options, flags] {
    auto request = StepRequest<v1::DecideResolutionRequest>(*flags);
    request.set_approve(false);
    request.set_reason(flags->text);
    return Mutate(options, &Stub::DecideResolution, request, kPrintComplaint);
  });
}

void AddImplement(CLI::App& complaints, const Options& options, Action* action) {
  CLI::App* command = complaints.add_subcommand(
      "implement",
      "Record the approved resolution as done (handlers): -> resolution_implemented, stops the "
      "resolution clock");
  auto flags = std::make_shared<TextFlags>();
  AddStepArguments(command, flags.get());
  command->add_option("--note", flags->text, "what was done")->required();
  OnRun(command, action, [&options, flags] {
    auto request = StepRequest<v1::ImplementResolutionRequest>(*flags);
    request.set_note(flags->text);
    return Mutate(options, &Stub::ImplementResolution, request, kPrintComplaint);
  });
}

void AddFollowUp(CLI::App& complaints, const Options& options, Action* action) {
  CLI::App* command = complaints.add_subcommand(
      "follow-up",
      "Record the follow-up visit (回访) (service agents): -> followed_up, or with --unsatisfied "
      "--reopen back to assigned");
  struct Flags : StepFlags {
    int32_t perceived = 0, expected = 0;
    bool satisfied = false, unsatisfied = false, reopen = false;
    std::string note;
  };
  auto flags = std::make_shared<Flags>();
  AddStepArguments(command, flags.get());
  command->add_option("--perceived", flags->perceived, "service as perceived, 1-5")
      ->required()
      ->check(CLI::Range(1, 5));
  command->add_option("--expected", flags->expected, "service as expected, 1-5")
      ->required()
      ->check(CLI::Range(1, 5));
  CLI::Option* satisfied =
      command->add_flag("--satisfied", flags->satisfied, "the customer considers it solved");
  CLI::Option* unsatisfied =
      command->add_flag("--unsatisfied", flags->unsatisfied, "the customer does not");
  satisfied->excludes(unsatisfied);
  command->add_flag("--reopen", flags->reopen, "with --unsatisfied: analyse the cause again")
      ->needs(unsatisfied);
  command->add_option("--note", flags->note, "what the customer said");
  OnRun(command, action, [&options, flags] {
    if (!flags->satisfied && !flags->unsatisfied) {
      return UsageError("follow-up: give --satisfied or --unsatisfied");
    }
    auto request = StepRequest<v1::RecordFollowUpRequest>(*flags);
    request.set_perceived_satisfaction(flags->perceived);
    request.set_expected_satisfaction(flags->expected);
    request.set_satisfied(flags->satisfied);
    request.set_reopen(flags->reopen);
    request.set_note(flags->note);
    return Mutate(options, &Stub::RecordFollowUp, request, kPrintComplaint);
  });
}

void AddClose(CLI::App& complaints, const Options& options, Action* action) {
  CLI::App* command = complaints.add_subcommand(
      "close", "Close a followed-up complaint with a summary and an evaluation (directors)");
  struct Flags : StepFlags {
    std::string summary, evaluation;
  };
  auto flags = std::make_shared<Flags>();
  AddStepArguments(command, flags.get());
  command->add_option("--summary", flags->summary, "what happened and what was done")->required();
  command->add_option("--evaluation", flags->evaluation, "how it was handled, lessons")->required();
  OnRun(command, action, [&options, flags] {
    auto request = StepRequest<v1::CloseComplaintRequest>(*flags);
    request.set_summary(flags->summary);
    request.set_evaluation(flags->evaluation);
    return Mutate(options, &Stub::CloseComplaint, request, kPrintComplaint);
  });
}

// `wait` and `resume`: SetWaitingOnCustomer with `waiting`.
void AddWaiting(CLI::App& complaints, const Options& options, Action* action, const char* name,
                const char* description, bool waiting) {
  CLI::App* command = complaints.add_subcommand(name, description);
  auto flags = std::make_shared<TextFlags>();
  AddStepArguments(command, flags.get());
  command->add_option("--note", flags->text, waiting ? "what we wait for" : "what came in");
  OnRun(command, action, [&options, flags, waiting] {
    auto request = StepRequest<v1::SetWaitingOnCustomerRequest>(*flags);
    request.set_waiting(waiting);
    request.set_note(flags->text);
    return Mutate(options, &Stub::SetWaitingOnCustomer, request, kPrintComplaint);
  });
}

}  // namespace

void AddComplaintStepCommands(CLI::App& complaints, const Options& options, Action* action) {
  AddJudge(complaints, options, action);
  AddReassign(complaints, options, action);
  AddAnalyze(complaints, options, action);
  AddPropose(complaints, options, action);
  AddApprove(complaints, options, action);
  AddReject(complaints, options, action);
  AddImplement(complaints, options, action);
  AddFollowUp(complaints, options, action);
  AddClose(complaints, options, action);
  AddWaiting(complaints, options, action, "wait",
             "Pause the SLA clocks while waiting on the customer (service agents, handlers)", true);
  AddWaiting(complaints, options, action, "resume",
             "Restart the SLA clocks once the customer has answered (service agents, handlers)",
             false);
}

}  // namespace kam::kamctl
