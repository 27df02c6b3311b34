#include "services/accounts/engagement.h"
#include "services/accounts/engagement_store.h"
#include "services/accounts/service.h"
#include "services/common/validation.h"

// Contact records and visit plans: proto <-> domain, then the pure rules (engagement.h) and
// the store, which checks access under the account's row lock.
namespace kam::accounts {
namespace {

constexpr char kCreateContactRecord[] = "/kam.accounts.v1.AccountService/CreateContactRecord";
constexpr char kListTimeline[] = "/kam.accounts.v1.AccountService/ListTimeline";
constexpr char kCreateVisitPlan[] = "/kam.accounts.v1.AccountService/CreateVisitPlan";
constexpr char kListVisitPlans[] = "/kam.accounts.v1.AccountService/ListVisitPlans";
constexpr char kCancelVisitPlan[] = "/kam.accounts.v1.AccountService/CancelVisitPlan";
constexpr char kRestoreVisitPlan[] = "/kam.accounts.v1.AccountService/RestoreVisitPlan";

void ToProto(const ContactRecord& r, v1::ContactRecord* out) {
  out->set_id(r.id);
  out->set_account_id(r.account_id);
  out->set_kind(static_cast<v1::ContactKind>(r.kind));
  ToTimestamp(r.occurred_at, out->mutable_occur_time());
  for (int64_t id : r.contact_ids) out->add_contact_ids(id);
  out->set_attendees(r.attendees);
  out->set_summary(r.summary);
  out->set_outcome(static_cast<v1::ContactOutcome>(r.outcome));
  out->set_next_step(r.next_step);
  out->set_visit_plan_id(r.visit_plan_id);
  out->set_author_id(r.author_id);
  ToTimestamp(r.create_time, out->mutable_create_time());
}

// `overdue` depends on the day it is asked: lists compute it with the call's time.
void ToProto(const VisitPlan& p, bool overdue, v1::VisitPlan* out) {
  out->set_id(p.id);
  out->set_account_id(p.account_id);
  out->set_owner_id(p.owner_id);
  ToTimestamp(p.planned_at, out->mutable_planned_time());
  out->set_objective(p.objective);
  out->set_status(static_cast<v1::VisitPlanStatus>(p.status));
  out->set_contact_record_id(p.contact_record_id);
  out->set_cancel_reason(p.cancel_reason);
  out->set_overdue(overdue);
  ToTimestamp(p.create_time, out->mutable_create_time());
}

// The client's fields of a record; occurred_at comes checked from CheckTime.
ContactRecord FromProto(const v1::ContactRecord& p, absl::Time occurred_at) {
  ContactRecord r;
  r.account_id = p.account_id();
  r.kind = static_cast<ContactKind>(p.kind());
  r.occurred_at = occurred_at;
  r.contact_ids.assign(p.contact_ids().begin(), p.contact_ids().end());
  r.attendees = p.attendees();
  r.summary = p.summary();
  r.outcome = static_cast<ContactOutcome>(p.outcome());
  r.next_step = p.next_step();
  r.visit_plan_id = p.visit_plan_id();
  return r;
}

VisitPlan FromProto(const v1::VisitPlan& p, absl::Time planned_at) {
  VisitPlan plan;
  plan.account_id = p.account_id();
  plan.owner_id = p.owner_id();
  plan.planned_at = planned_at;
  plan.objective = p.objective();
  return plan;
}

}  // namespace

bool FillEngagementEvent(const std::string& aggregate_type, const nlohmann::json& payload,
                         v1::Event* event) {
  if (aggregate_type == "contact_record") {
    ToProto(ContactRecordFromJson(payload), event->mutable_contact_record());
    return true;
  }
  if (aggregate_type == "visit_plan") {
    // An event is the plan as it was changed; whether it is overdue is for lists to say.
    ToProto(VisitPlanFromJson(payload), /*overdue=*/false, event->mutable_visit_plan());
    return true;
  }
  return false;
}

grpc::ServerUnaryReactor* AccountServiceImpl::CreateContactRecord(
    grpc::CallbackServerContext* context, const v1::CreateContactRecordRequest* request,
    v1::CreateContactRecordResponse* response) {
  return handler_.Run(context, kCreateContactRecord, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    const v1::ContactRecord& record = request->record();
    if (auto s = CheckId("record.account_id", record.account_id()); !s.ok()) return s;
    absl::StatusOr<std::optional<absl::Time>> occurred =
        CheckTime("record.occur_time", record.occur_time(), record.has_occur_time(), true);
    if (!occurred.ok()) return occurred.status();
    absl::StatusOr<ContactRecord> draft =
        NewContactRecord(FromProto(record, **occurred), call.principal, call.now);
    if (!draft.ok()) return draft.status();
    absl::StatusOr<EngagementStore::RecordResult> created = stores_.engagement->CreateContactRecord(
        MutationFor(call, "CreateContactRecord", *request, request->request_id()), call.principal,
        *draft);
    if (!created.ok()) return HideExistence(created.status(), call.principal);
    ToProto(created->record, response->mutable_record());
    response->set_visit_plan_suspended(created->visit_plan_suspended);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListTimeline(grpc::CallbackServerContext* context,
                                                           const v1::ListTimelineRequest* request,
                                                           v1::ListTimelineResponse* response) {
  return handler_.Run(context, kListTimeline, [=](const CallContext& call) -> absl::Status {
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    absl::StatusOr<int> page_size = NormalizePageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    const std::string digest = PageTokenKey(call, "ListTimeline", *request);
    absl::StatusOr<int64_t> after = DecodePageToken(request->page_token(), digest);
    if (!after.ok()) return after.status();
    if (auto account = ReadableAccount(call, request->account_id()); !account.ok()) {
      return account.status();
    }
    absl::StatusOr<Page<ContactRecord>> page =
        stores_.engagement->ListTimeline(request->account_id(), *after, *page_size);
    if (!page.ok()) return page.status();
    for (const ContactRecord& record : page->items) ToProto(record, response->add_records());
    if (page->more) response->set_next_page_token(EncodePageToken(page->items.back().id, digest));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::CreateVisitPlan(
    grpc::CallbackServerContext* context, const v1::CreateVisitPlanRequest* request,
    v1::CreateVisitPlanResponse* response) {
  return handler_.Run(context, kCreateVisitPlan, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    const v1::VisitPlan& plan = request->plan();
    if (auto s = CheckId("plan.account_id", plan.account_id()); !s.ok()) return s;
    absl::StatusOr<std::optional<absl::Time>> planned =
        CheckTime("plan.planned_time", plan.planned_time(), plan.has_planned_time(), true);
    if (!planned.ok()) return planned.status();
    absl::StatusOr<VisitPlan> draft = NewVisitPlan(FromProto(plan, **planned), call.now);
    if (!draft.ok()) return draft.status();
    absl::StatusOr<VisitPlan> created = stores_.engagement->CreateVisitPlan(
        MutationFor(call, "CreateVisitPlan", *request, request->request_id()), call.principal,
        *draft);
    if (!created.ok()) return HideExistence(created.status(), call.principal);
    ToProto(*created, IsOverdue(*created, call.now), response->mutable_plan());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListVisitPlans(
    grpc::CallbackServerContext* context, const v1::ListVisitPlansRequest* request,
    v1::ListVisitPlansResponse* response) {
  return handler_.Run(context, kListVisitPlans, [=](const CallContext& call) -> absl::Status {
    absl::StatusOr<int> page_size = NormalizePageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    VisitPlanFilter requested;
    requested.owner_id = request->owner_id();
    requested.account_id = request->account_id();
    requested.status = static_cast<VisitPlanStatus>(request->status());
    requested.overdue_only = request->overdue_only();
    absl::StatusOr<VisitPlanFilter> filter = ScopeVisitPlans(requested, call.principal, call.now);
    if (!filter.ok()) return filter.status();
    const std::string digest = PageTokenKey(call, "ListVisitPlans", *request);
    absl::StatusOr<int64_t> after = DecodePageToken(request->page_token(), digest);
    if (!after.ok()) return after.status();
    absl::StatusOr<Page<VisitPlan>> page =
        stores_.engagement->ListVisitPlans(*filter, *after, *page_size);
    if (!page.ok()) return page.status();
    for (const VisitPlan& plan : page->items) {
      ToProto(plan, IsOverdue(plan, call.now), response->add_plans());
    }
    if (page->more) response->set_next_page_token(EncodePageToken(page->items.back().id, digest));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::CancelVisitPlan(
    grpc::CallbackServerContext* context, const v1::CancelVisitPlanRequest* request,
    v1::CancelVisitPlanResponse* response) {
  return handler_.Run(context, kCancelVisitPlan, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckId("visit_plan_id", request->visit_plan_id()); !s.ok()) return s;
    absl::StatusOr<VisitPlan> cancelled = stores_.engagement->CancelVisitPlan(
        MutationFor(call, "CancelVisitPlan", *request, request->request_id()), call.principal,
        request->visit_plan_id(), request->reason());
    if (!cancelled.ok()) return HideExistence(cancelled.status(), call.principal);
    ToProto(*cancelled, IsOverdue(*cancelled, call.now), response->mutable_plan());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::RestoreVisitPlan(
    grpc::CallbackServerContext* context, const v1::RestoreVisitPlanRequest* request,
    v1::RestoreVisitPlanResponse* response) {
  return handler_.Run(context, kRestoreVisitPlan, [=](const CallContext& call) -> absl::Status {
    // Before the account is read: a caller who may never restore a plan must not learn from
    // the answer whether the account exists (PutBackOnVisitPlan keeps the rule).
    if (!Supervises(call.principal)) {
      return absl::PermissionDeniedError(
          "only a director may put an account back on the visit plan");
    }
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    absl::StatusOr<Account> restored = stores_.engagement->RestoreVisitPlan(
        MutationFor(call, "RestoreVisitPlan", *request, request->request_id()), call.principal,
        request->account_id(), request->reason());
    if (!restored.ok()) return HideExistence(restored.status(), call.principal);
    ToProto(*restored, response->mutable_account());
    return absl::OkStatus();
  });
}

}  // namespace kam::accounts
