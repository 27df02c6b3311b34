#include <initializer_list>
#include <set>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/event_service.h"
#include "services/common/proto_support.h"
#include "services/common/status.h"
#include "services/common/validation.h"
#include "services/complaints/complaint_proto.h"
#include "services/complaints/service.h"

// ComplaintService handlers: every request field is checked here (errors name the field)
// and the coarse role of each method is enforced before the store is touched; the store
// then re-checks the step's rules (CheckStep, CanSee) on the locked row.
namespace kam::complaints {
namespace {

// How long intake keeps looking for an account the caught-up replica does not hold yet,
// and how often.
constexpr absl::Duration kReplicaGrace = absl::Seconds(1);
constexpr absl::Duration kReplicaRetry = absl::Milliseconds(100);
constexpr int kMaxReplicaWaiters = 2;

// Service agents and system callers record complaints for any account.
bool SeesEveryAccount(const Principal& caller) {
  return caller.HasAnyRole({"service_agent", "system"});
}

constexpr char kCreateComplaint[] = "/kam.complaints.v1.ComplaintService/CreateComplaint";
constexpr char kGetComplaint[] = "/kam.complaints.v1.ComplaintService/GetComplaint";
constexpr char kListComplaints[] = "/kam.complaints.v1.ComplaintService/ListComplaints";
constexpr char kListMyQueue[] = "/kam.complaints.v1.ComplaintService/ListMyQueue";
constexpr char kListComplaintHistory[] = "/kam.complaints.v1.ComplaintService/ListComplaintHistory";
constexpr char kJudgeValidity[] = "/kam.complaints.v1.ComplaintService/JudgeValidity";
constexpr char kReassignComplaint[] = "/kam.complaints.v1.ComplaintService/ReassignComplaint";
constexpr char kAnalyzeCause[] = "/kam.complaints.v1.ComplaintService/AnalyzeCause";
constexpr char kProposeResolution[] = "/kam.complaints.v1.ComplaintService/ProposeResolution";
constexpr char kDecideResolution[] = "/kam.complaints.v1.ComplaintService/DecideResolution";
constexpr char kImplementResolution[] = "/kam.complaints.v1.ComplaintService/ImplementResolution";
constexpr char kRecordFollowUp[] = "/kam.complaints.v1.ComplaintService/RecordFollowUp";
constexpr char kCloseComplaint[] = "/kam.complaints.v1.ComplaintService/CloseComplaint";
constexpr char kSetWaitingOnCustomer[] = "/kam.complaints.v1.ComplaintService/SetWaitingOnCustomer";
constexpr char kPutDepartment[] = "/kam.complaints.v1.ComplaintService/PutDepartment";
constexpr char kListDepartments[] = "/kam.complaints.v1.ComplaintService/ListDepartments";
constexpr char kWatchEvents[] = "/kam.complaints.v1.ComplaintService/WatchEvents";
constexpr char kListAuditLog[] = "/kam.complaints.v1.ComplaintService/ListAuditLog";

constexpr size_t kMaxDepartmentCode = 32;
constexpr size_t kMaxDepartmentName = 100;
constexpr size_t kMaxEtag = 64;
constexpr int kMinSatisfaction = 1;
constexpr int kMaxSatisfaction = 5;
// How far back CreateComplaint's received_time may go.
constexpr absl::Duration kMaxReceivedAge = absl::Hours(7 * 24);

// ---- who may call what ----

// complaints.proto: these roles see every complaint; the others only some (CanSee).
bool SeesEveryComplaint(const Principal& caller) {
  return caller.HasAnyRole({"service_agent", "director", "admin", "analyst", "system"});
}

absl::Status RequireRole(const Principal& caller, std::initializer_list<std::string_view> roles,
                         std::string_view refusal) {
  if (caller.HasAnyRole(roles)) return absl::OkStatus();
  return absl::PermissionDeniedError(std::string(refusal));
}

// Reading needs any role KAM Suite knows; which complaints is for CanSee.
absl::Status RequireReader(const Principal& caller) {
  return RequireRole(
      caller,
      {"admin", "director", "account_manager", "service_agent", "handler", "analyst", "system"},
      "reading complaints needs a KAM role");
}

absl::Status NoAccess() { return absl::PermissionDeniedError("no access to this complaint"); }

// AIP-211: a caller who may not see every complaint cannot tell a missing complaint from
// one they may not see.
absl::Status HideExistence(absl::Status status, const Principal& caller) {
  if (absl::IsNotFound(status) && !SeesEveryComplaint(caller)) return NoAccess();
  return status;
}

absl::StatusOr<Complaint> ReadableComplaint(ComplaintStore& store, const Principal& caller,
                                            int64_t id) {
  absl::StatusOr<Complaint> complaint = store.Get(id);
  if (!complaint.ok()) return HideExistence(complaint.status(), caller);
  if (!CanSee(caller, *complaint)) return NoAccess();
  return complaint;
}

// ---- request fields ----

absl::Status CheckDepartmentCode(std::string_view field, const std::string& code, bool required) {
  if (code.empty()) return required ? InvalidField(field, "required") : absl::OkStatus();
  if (code.size() > kMaxDepartmentCode) {
    return InvalidField(field, absl::StrCat("longer than ", kMaxDepartmentCode, " characters"));
  }
  for (char c : code) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_' && c != '-') {
      return InvalidField(field, "may hold only a-z, 0-9, _ and -");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckStepRequest(const std::string& request_id, int64_t complaint_id) {
  if (auto s = ValidateRequestId(request_id); !s.ok()) return s;
  return CheckId("complaint_id", complaint_id);
}

absl::Status CheckIntake(const v1::Complaint& c) {
  if (auto s = CheckId("complaint.account_id", c.account_id()); !s.ok()) return s;
  if (c.contact_id() < 0) return InvalidField("complaint.contact_id", "must not be negative");
  if (auto s = CheckEnum("complaint.channel", c.channel(), v1::Channel_MAX, true); !s.ok()) {
    return s;
  }
  if (auto s = CheckEnum("complaint.category", c.category(), v1::Category_MAX, true); !s.ok()) {
    return s;
  }
  if (auto s = CheckText("complaint.subcategory", c.subcategory(), kMaxSubcategory, false);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckLongText("complaint.description", c.description(), kMaxLongText, true);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckEnum("complaint.severity", c.severity(), v1::Severity_MAX, true); !s.ok()) {
    return s;
  }
  return CheckEnum("complaint.manner", c.manner(), v1::Manner_MAX, true);
}

absl::Status CheckSatisfaction(std::string_view field, int value) {
  if (value == 0) return InvalidField(field, "required");
  if (value < kMinSatisfaction || value > kMaxSatisfaction) {
    return InvalidField(field,
                        absl::StrCat("must be ", kMinSatisfaction, " to ", kMaxSatisfaction));
  }
  return absl::OkStatus();
}

absl::Status CheckDepartment(const v1::Department& d) {
  if (auto s = CheckDepartmentCode("department.code", d.code(), true); !s.ok()) return s;
  if (auto s = CheckText("department.name", d.name(), kMaxDepartmentName, true); !s.ok()) return s;
  if (d.categories().empty()) return InvalidField("department.categories", "at least one");
  std::set<int> categories;
  for (int i = 0; i < d.categories_size(); ++i) {
    const std::string field = absl::StrCat("department.categories[", i, "]");
    if (auto s = CheckEnum(field, d.categories(i), v1::Category_MAX, true); !s.ok()) return s;
    if (!categories.insert(d.categories(i)).second) return InvalidField(field, "duplicate");
  }
  std::set<std::string> handlers;
  for (int i = 0; i < d.handler_ids_size(); ++i) {
    const std::string field = absl::StrCat("department.handler_ids[", i, "]");
    if (auto s = CheckToken(field, d.handler_ids(i), kMaxSubjectChars, true); !s.ok()) return s;
    if (!handlers.insert(d.handler_ids(i)).second) return InvalidField(field, "duplicate");
  }
  return CheckToken("department.manager_id", d.manager_id(), kMaxSubjectChars, true);
}

absl::StatusOr<ComplaintFilter> FilterFrom(const v1::ListComplaintsRequest& r) {
  ComplaintFilter filter;
  for (int i = 0; i < r.states_size(); ++i) {
    const std::string field = absl::StrCat("states[", i, "]");
    if (auto s = CheckEnum(field, r.states(i), v1::State_MAX, true); !s.ok()) return s;
    filter.states.push_back(static_cast<State>(r.states(i)));
  }
  if (auto s = CheckEnum("category", r.category(), v1::Category_MAX, false); !s.ok()) return s;
  filter.category = static_cast<Category>(r.category());
  if (r.account_id() < 0) return InvalidField("account_id", "must not be negative");
  filter.account_id = r.account_id();
  if (auto s = CheckDepartmentCode("department", r.department(), false); !s.ok()) return s;
  filter.department = r.department();
  if (auto s = CheckToken("handler_id", r.handler_id(), kMaxSubjectChars, false); !s.ok()) {
    return s;
  }
  filter.handler_id = r.handler_id();
  if (auto s = CheckEnum("sla", r.sla(), v1::SlaFilter_MAX, false); !s.ok()) return s;
  filter.sla = r.sla() == v1::SLA_FILTER_AT_RISK    ? ComplaintFilter::Sla::kAtRisk
               : r.sla() == v1::SLA_FILTER_BREACHED ? ComplaintFilter::Sla::kBreached
                                                    : ComplaintFilter::Sla::kAny;
  absl::StatusOr<std::optional<absl::Time>> start =
      CheckTime("create_time_start", r.create_time_start(), r.has_create_time_start(), false);
  if (!start.ok()) return start.status();
  absl::StatusOr<std::optional<absl::Time>> end =
      CheckTime("create_time_end", r.create_time_end(), r.has_create_time_end(), false);
  if (!end.ok()) return end.status();
  if (*start && *end && **end <= **start) {
    return InvalidField("create_time_end", "must be after create_time_start");
  }
  filter.created_from = *start;
  filter.created_before = *end;
  return filter;
}

// The caller's access limits (complaints.proto): managers see the complaints of accounts
// they own or recorded, handlers those of their department; a caller with both roles sees
// either (the store ORs the limits). False when the caller may see none at all (a handler
// without a department).
bool LimitToCaller(const Principal& caller, ComplaintFilter& filter) {
  if (SeesEveryComplaint(caller)) return true;
  if (caller.HasRole("account_manager")) filter.visible_to_owner = caller.subject;
  if (caller.HasRole("handler")) filter.visible_department = caller.department;
  return !filter.visible_to_owner.empty() || !filter.visible_department.empty();
}

// ---- the procedure's steps ----

// One step through the store, which checks the step's role and state on the locked row.
absl::StatusOr<Complaint> TakeStep(ComplaintStore& store, const CallContext& call,
                                   std::string_view method,
                                   const google::protobuf::Message& request,
                                   const std::string& request_id, int64_t complaint_id,
                                   StepInput input) {
  absl::StatusOr<Complaint> done = store.Step(MutationFor(call, method, request, request_id),
                                              call.principal, complaint_id, std::move(input));
  if (!done.ok()) return HideExistence(done.status(), call.principal);
  return done;
}

absl::Status RespondWithStep(ComplaintStore& store, const CallContext& call,
                             std::string_view method, const google::protobuf::Message& request,
                             const std::string& request_id, int64_t complaint_id, StepInput input,
                             v1::Complaint* out) {
  absl::StatusOr<Complaint> done =
      TakeStep(store, call, method, request, request_id, complaint_id, std::move(input));
  if (!done.ok()) return done.status();
  ToProto(*done, call.now, out);
  return absl::OkStatus();
}

// Whether this call implemented the resolution rather than replaying an earlier call's
// answer: the step stamps the resolution clock with the call's time. Compared in
// microseconds, the precision complaints are stored with.
bool ImplementedByThisCall(const Complaint& complaint, absl::Time now) {
  const std::optional<absl::Time>& met = complaint.resolution_clock.met_at;
  return complaint.state == State::kResolutionImplemented && met &&
         absl::ToUnixMicros(*met) == absl::ToUnixMicros(now);
}

}  // namespace

// ---- intake and reading ----

bool ComplaintServiceImpl::ReplicaCaughtUp() const {
  return parts_.replica_caught_up && parts_.replica_caught_up();
}

// The client may have created the account a moment ago: the accounts stream delivers it
// within a few hundred milliseconds of its commit, even to a caught-up replica. Look again
// for up to kReplicaGrace before calling it unknown. Only for callers who may record for
// any account (for a manager the wait would tell existing accounts from missing ones), and
// only kMaxReplicaWaiters at a time: each holds a worker thread.
absl::StatusOr<Complaint> ComplaintServiceImpl::LookAgain(const CallContext& call,
                                                          const Mutation& mutation,
                                                          const Complaint& draft) {
  absl::Status not_found = absl::NotFoundError("account not found");
  if (!ReplicaCaughtUp() || !SeesEveryAccount(call.principal)) return not_found;
  if (replica_waiters_.fetch_add(1) >= kMaxReplicaWaiters) {
    replica_waiters_.fetch_sub(1);
    return not_found;
  }
  absl::StatusOr<Complaint> created = not_found;
  const absl::Time give_up = call.now + kReplicaGrace;
  while (absl::IsNotFound(created.status()) && absl::Now() < give_up &&
         absl::Now() + kReplicaRetry < call.deadline) {
    absl::SleepFor(kReplicaRetry);
    created = parts_.complaints->Create(mutation, call.principal, draft);
  }
  replica_waiters_.fetch_sub(1);
  return created;
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::CreateComplaint(
    grpc::CallbackServerContext* context, const v1::CreateComplaintRequest* request,
    v1::CreateComplaintResponse* response) {
  return handler_.Run(context, kCreateComplaint, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireRole(call.principal, {"service_agent", "account_manager", "system"},
                             "complaints are recorded by service agents, account managers and "
                             "system callers");
        !s.ok()) {
      return s;
    }
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckIntake(request->complaint()); !s.ok()) return s;
    Complaint draft = DraftFromProto(request->complaint());
    draft.recorded_by = call.principal.subject;
    draft.create_time = draft.update_time = call.now;
    Mutation mutation = MutationFor(call, "CreateComplaint", *request, request->request_id());
    if (request->has_received_time()) {
      // Logged after the fact: the clocks run from when the customer complained, within a
      // week, so that back-dating cannot hide a complaint's age for long.
      const absl::Time received = FromTimestamp(request->received_time());
      if (received > call.now || received < call.now - kMaxReceivedAge) {
        return absl::InvalidArgumentError(
            "received_time: must be within the 7 days before now and not in the future");
      }
      draft.create_time = received;
      mutation.note = absl::StrCat("received ", absl::FormatTime(received, absl::UTCTimeZone()),
                                   ", recorded after the fact");
    }
    absl::StatusOr<Complaint> created = parts_.complaints->Create(mutation, call.principal, draft);
    if (absl::IsNotFound(created.status())) created = LookAgain(call, mutation, draft);
    if (absl::IsNotFound(created.status()) && !ReplicaCaughtUp()) {
      return absl::UnavailableError(
          absl::StrCat("account ", request->complaint().account_id(),
                       " is not yet known to complaints; the accounts feed is catching up, retry"));
    }
    // A manager learns nothing about accounts that are not theirs (AIP-211).
    if (absl::IsNotFound(created.status()) && !SeesEveryAccount(call.principal)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "you may not record complaints about account ", request->complaint().account_id()));
    }
    if (!created.ok()) return created.status();
    ToProto(*created, call.now, response->mutable_complaint());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::GetComplaint(grpc::CallbackServerContext* context,
                                                             const v1::GetComplaintRequest* request,
                                                             v1::GetComplaintResponse* response) {
  return handler_.Run(context, kGetComplaint, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireReader(call.principal); !s.ok()) return s;
    if (auto s = CheckId("complaint_id", request->complaint_id()); !s.ok()) return s;
    absl::StatusOr<Complaint> complaint =
        ReadableComplaint(*parts_.complaints, call.principal, request->complaint_id());
    if (!complaint.ok()) return complaint.status();
    ToProto(*complaint, call.now, response->mutable_complaint());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ListComplaints(
    grpc::CallbackServerContext* context, const v1::ListComplaintsRequest* request,
    v1::ListComplaintsResponse* response) {
  return handler_.Run(context, kListComplaints, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireReader(call.principal); !s.ok()) return s;
    absl::StatusOr<int> page_size = NormalizePageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    absl::StatusOr<ComplaintFilter> filter = FilterFrom(*request);
    if (!filter.ok()) return filter.status();
    const std::string digest = PageTokenKey(call, "ListComplaints", *request);
    absl::StatusOr<int64_t> before = DecodePageToken(request->page_token(), digest);
    if (!before.ok()) return before.status();
    if (!LimitToCaller(call.principal, *filter)) return absl::OkStatus();
    absl::StatusOr<Page<Complaint>> page = parts_.complaints->List(*filter, *before, *page_size);
    if (!page.ok()) return page.status();
    for (const Complaint& c : page->items) ToProto(c, call.now, response->add_complaints());
    if (page->more) response->set_next_page_token(EncodePageToken(page->items.back().id, digest));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ListMyQueue(grpc::CallbackServerContext* context,
                                                            const v1::ListMyQueueRequest* request,
                                                            v1::ListMyQueueResponse* response) {
  return handler_.Run(context, kListMyQueue, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireRole(call.principal, {"handler", "service_agent", "director"},
                             "queues are kept for handlers, service agents and directors");
        !s.ok()) {
      return s;
    }
    absl::StatusOr<int> page_size = NormalizePageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    // The queue is the caller's: a token is good for the caller who was given it.
    const std::string digest = PageTokenKey(call, "ListMyQueue", *request);
    absl::StatusOr<QueueCursor> after = DecodeQueueToken(request->page_token(), digest);
    if (!after.ok()) return after.status();
    absl::StatusOr<Page<Complaint>> page =
        parts_.complaints->Queue(call.principal, *after, *page_size);
    if (!page.ok()) return page.status();
    for (const Complaint& c : page->items) ToProto(c, call.now, response->add_complaints());
    if (page->more) {
      const Complaint& last = page->items.back();
      response->set_next_page_token(EncodeQueueToken({QueueDue(last), last.id}, digest));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ListComplaintHistory(
    grpc::CallbackServerContext* context, const v1::ListComplaintHistoryRequest* request,
    v1::ListComplaintHistoryResponse* response) {
  return handler_.Run(context, kListComplaintHistory, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireReader(call.principal); !s.ok()) return s;
    if (auto s = CheckId("complaint_id", request->complaint_id()); !s.ok()) return s;
    absl::StatusOr<Complaint> complaint =
        ReadableComplaint(*parts_.complaints, call.principal, request->complaint_id());
    if (!complaint.ok()) return complaint.status();
    absl::StatusOr<std::vector<Transition>> history =
        parts_.complaints->History(request->complaint_id());
    if (!history.ok()) return history.status();
    for (const Transition& t : *history) ToProto(t, response->add_transitions());
    return absl::OkStatus();
  });
}

// ---- the procedure ----

grpc::ServerUnaryReactor* ComplaintServiceImpl::JudgeValidity(
    grpc::CallbackServerContext* context, const v1::JudgeValidityRequest* request,
    v1::JudgeValidityResponse* response) {
  return handler_.Run(context, kJudgeValidity, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireRole(call.principal, {"service_agent"}, "service agents judge validity");
        !s.ok()) {
      return s;
    }
    if (auto s = CheckStepRequest(request->request_id(), request->complaint_id()); !s.ok()) {
      return s;
    }
    if (auto s = CheckLongText("reason", request->reason(), kMaxReason, !request->valid());
        !s.ok()) {
      return s;
    }
    StepInput input;
    input.action = request->valid() ? Action::kJudgeValid : Action::kJudgeInvalid;
    input.text = request->reason();
    return RespondWithStep(*parts_.complaints, call, "JudgeValidity", *request,
                           request->request_id(), request->complaint_id(), std::move(input),
                           response->mutable_complaint());
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ReassignComplaint(
    grpc::CallbackServerContext* context, const v1::ReassignComplaintRequest* request,
    v1::ReassignComplaintResponse* response) {
  return handler_.Run(context, kReassignComplaint, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireRole(call.principal, {"director", "admin"},
                             "directors and admins reassign complaints");
        !s.ok()) {
      return s;
    }
    if (auto s = CheckStepRequest(request->request_id(), request->complaint_id()); !s.ok()) {
      return s;
    }
    if (auto s = CheckDepartmentCode("department", request->department(), false); !s.ok()) {
      return s;
    }
    if (auto s = CheckToken("handler_id", request->handler_id(), kMaxSubjectChars, false);
        !s.ok()) {
      return s;
    }
    if (auto s = CheckLongText("reason", request->reason(), kMaxReason, true); !s.ok()) return s;
    StepInput input;
    input.action = Action::kReassign;
    input.department = request->department();
    input.handler_id = request->handler_id();
    input.text = request->reason();
    return RespondWithStep(*parts_.complaints, call, "ReassignComplaint", *request,
                           request->request_id(), request->complaint_id(), std::move(input),
                           response->mutable_complaint());
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::AnalyzeCause(grpc::CallbackServerContext* context,
                                                             const v1::AnalyzeCauseRequest* request,
                                                             v1::AnalyzeCauseResponse* response) {
  return handler_.Run(context, kAnalyzeCause, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireRole(call.principal, {"handler"}, "handlers analyse the cause"); !s.ok()) {
      return s;
    }
    if (auto s = CheckStepRequest(request->request_id(), request->complaint_id()); !s.ok()) {
      return s;
    }
    if (auto s = CheckLongText("cause", request->cause(), kMaxLongText, true); !s.ok()) return s;
    StepInput input;
    input.action = Action::kAnalyzeCause;
    input.text = request->cause();
    return RespondWithStep(*parts_.complaints, call, "AnalyzeCause", *request,
                           request->request_id(), request->complaint_id(), std::move(input),
                           response->mutable_complaint());
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ProposeResolution(
    grpc::CallbackServerContext* context, const v1::ProposeResolutionRequest* request,
    v1::ProposeResolutionResponse* response) {
  return handler_.Run(context, kProposeResolution, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireRole(call.principal, {"handler"}, "handlers propose resolutions");
        !s.ok()) {
      return s;
    }
    if (auto s = CheckStepRequest(request->request_id(), request->complaint_id()); !s.ok()) {
      return s;
    }
    if (auto s = CheckLongText("resolution", request->resolution(), kMaxLongText, true); !s.ok()) {
      return s;
    }
    StepInput input;
    input.action = Action::kProposeResolution;
    input.text = request->resolution();
    return RespondWithStep(*parts_.complaints, call, "ProposeResolution", *request,
                           request->request_id(), request->complaint_id(), std::move(input),
                           response->mutable_complaint());
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::DecideResolution(
    grpc::CallbackServerContext* context, const v1::DecideResolutionRequest* request,
    v1::DecideResolutionResponse* response) {
  return handler_.Run(context, kDecideResolution, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireRole(call.principal, {"director"}, "directors decide on resolutions");
        !s.ok()) {
      return s;
    }
    if (auto s = CheckStepRequest(request->request_id(), request->complaint_id()); !s.ok()) {
      return s;
    }
    if (auto s = CheckLongText("reason", request->reason(), kMaxReason, !request->approve());
        !s.ok()) {
      return s;
    }
    StepInput input;
    input.action = request->approve() ? Action::kApproveResolution : Action::kRejectResolution;
    input.text = request->reason();
    return RespondWithStep(*parts_.complaints, call, "DecideResolution", *request,
                           request->request_id(), request->complaint_id(), std::move(input),
                           response->mutable_complaint());
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ImplementResolution(
    grpc::CallbackServerContext* context, const v1::ImplementResolutionRequest* request,
    v1::ImplementResolutionResponse* response) {
  return handler_.Run(context, kImplementResolution, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireRole(call.principal, {"handler"}, "handlers implement resolutions");
        !s.ok()) {
      return s;
    }
    if (auto s = CheckStepRequest(request->request_id(), request->complaint_id()); !s.ok()) {
      return s;
    }
    if (auto s = CheckLongText("note", request->note(), kMaxLongText, true); !s.ok()) return s;
    StepInput input;
    input.action = Action::kImplementResolution;
    input.text = request->note();
    absl::StatusOr<Complaint> done =
        TakeStep(*parts_.complaints, call, "ImplementResolution", *request, request->request_id(),
                 request->complaint_id(), std::move(input));
    if (!done.ok()) return done.status();
    // Observed once per resolution: a retried request replays the answer, not the step.
    if (parts_.metrics != nullptr && ImplementedByThisCall(*done, call.now)) {
      parts_.metrics->ObserveResolution(*done->resolution_clock.met_at - done->create_time);
    }
    ToProto(*done, call.now, response->mutable_complaint());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::RecordFollowUp(
    grpc::CallbackServerContext* context, const v1::RecordFollowUpRequest* request,
    v1::RecordFollowUpResponse* response) {
  return handler_.Run(context, kRecordFollowUp, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireRole(call.principal, {"service_agent"}, "service agents do follow-ups");
        !s.ok()) {
      return s;
    }
    if (auto s = CheckStepRequest(request->request_id(), request->complaint_id()); !s.ok()) {
      return s;
    }
    if (auto s = CheckSatisfaction("perceived_satisfaction", request->perceived_satisfaction());
        !s.ok()) {
      return s;
    }
    if (auto s = CheckSatisfaction("expected_satisfaction", request->expected_satisfaction());
        !s.ok()) {
      return s;
    }
    if (request->satisfied() && request->reopen()) {
      return InvalidField("reopen", "only when the customer is not satisfied");
    }
    if (auto s = CheckLongText("note", request->note(), kMaxReason, false); !s.ok()) return s;
    StepInput input;
    input.action = request->reopen() ? Action::kReopen : Action::kFollowUp;
    input.text = request->note();
    input.follow_up.perceived = request->perceived_satisfaction();
    input.follow_up.expected = request->expected_satisfaction();
    input.follow_up.satisfied = request->satisfied();
    input.follow_up.note = request->note();
    input.follow_up.recorded_by = call.principal.subject;
    input.follow_up.time = call.now;
    return RespondWithStep(*parts_.complaints, call, "RecordFollowUp", *request,
                           request->request_id(), request->complaint_id(), std::move(input),
                           response->mutable_complaint());
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::CloseComplaint(
    grpc::CallbackServerContext* context, const v1::CloseComplaintRequest* request,
    v1::CloseComplaintResponse* response) {
  return handler_.Run(context, kCloseComplaint, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireRole(call.principal, {"director"}, "directors close complaints"); !s.ok()) {
      return s;
    }
    if (auto s = CheckStepRequest(request->request_id(), request->complaint_id()); !s.ok()) {
      return s;
    }
    if (auto s = CheckLongText("summary", request->summary(), kMaxLongText, true); !s.ok()) {
      return s;
    }
    if (auto s = CheckLongText("evaluation", request->evaluation(), kMaxLongText, true); !s.ok()) {
      return s;
    }
    StepInput input;
    input.action = Action::kClose;
    input.text = request->summary();
    input.evaluation = request->evaluation();
    return RespondWithStep(*parts_.complaints, call, "CloseComplaint", *request,
                           request->request_id(), request->complaint_id(), std::move(input),
                           response->mutable_complaint());
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::SetWaitingOnCustomer(
    grpc::CallbackServerContext* context, const v1::SetWaitingOnCustomerRequest* request,
    v1::SetWaitingOnCustomerResponse* response) {
  return handler_.Run(context, kSetWaitingOnCustomer, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireRole(call.principal, {"service_agent", "handler"},
                             "service agents and handlers pause and resume the SLA clocks");
        !s.ok()) {
      return s;
    }
    if (auto s = CheckStepRequest(request->request_id(), request->complaint_id()); !s.ok()) {
      return s;
    }
    if (auto s = CheckLongText("note", request->note(), kMaxReason, false); !s.ok()) return s;
    StepInput input;
    input.action = request->waiting() ? Action::kPauseClock : Action::kResumeClock;
    input.text = request->note();
    return RespondWithStep(*parts_.complaints, call, "SetWaitingOnCustomer", *request,
                           request->request_id(), request->complaint_id(), std::move(input),
                           response->mutable_complaint());
  });
}

// ---- departments ----

grpc::ServerUnaryReactor* ComplaintServiceImpl::PutDepartment(
    grpc::CallbackServerContext* context, const v1::PutDepartmentRequest* request,
    v1::PutDepartmentResponse* response) {
  return handler_.Run(context, kPutDepartment, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireRole(call.principal, {"director", "admin"},
                             "directors and admins manage departments");
        !s.ok()) {
      return s;
    }
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckDepartment(request->department()); !s.ok()) return s;
    if (auto s = CheckToken("etag", request->etag(), kMaxEtag, false); !s.ok()) return s;
    absl::StatusOr<Department> put = parts_.complaints->PutDepartment(
        MutationFor(call, "PutDepartment", *request, request->request_id()),
        FromProto(request->department()), request->etag());
    if (!put.ok()) return put.status();
    ToProto(*put, response->mutable_department());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ListDepartments(
    grpc::CallbackServerContext* context, const v1::ListDepartmentsRequest* /*request*/,
    v1::ListDepartmentsResponse* response) {
  return handler_.Run(context, kListDepartments, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireReader(call.principal); !s.ok()) return s;
    absl::StatusOr<std::vector<Department>> departments = parts_.complaints->ListDepartments();
    if (!departments.ok()) return departments.status();
    for (const Department& d : *departments) ToProto(d, response->add_departments());
    return absl::OkStatus();
  });
}

// ---- events and audit ----

grpc::ServerUnaryReactor* ComplaintServiceImpl::ListAuditLog(grpc::CallbackServerContext* context,
                                                             const v1::ListAuditLogRequest* request,
                                                             v1::ListAuditLogResponse* response) {
  return handler_.Run(context, kListAuditLog, [=](const CallContext& call) {
    return kam::ListAuditLog(*parts_.events, call, "ListAuditLog", *request, response);
  });
}

grpc::ServerWriteReactor<v1::WatchEventsResponse>* ComplaintServiceImpl::WatchEvents(
    grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) {
  return ServeWatchEvents<v1::WatchEventsResponse, v1::WatchEventsRequest, v1::Event>(
      handler_, context, kWatchEvents, *parts_.events, *request, EventToProto);
}

}  // namespace kam::complaints
