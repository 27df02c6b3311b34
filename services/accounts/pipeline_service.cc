#include "absl/strings/str_cat.h"
#include "services/accounts/pipeline.h"
#include "services/accounts/pipeline_store.h"
#include "services/accounts/service.h"
#include "services/common/status.h"
#include "services/common/validation.h"

// The gRPC edge of the sales pipeline: proto <-> domain, access, and the stage rules of
// pipeline.h applied by PipelineStore under the opportunity's row lock.
namespace kam::accounts {
namespace {

constexpr char kCreateOpportunity[] = "/kam.accounts.v1.AccountService/CreateOpportunity";
constexpr char kGetOpportunity[] = "/kam.accounts.v1.AccountService/GetOpportunity";
constexpr char kListOpportunities[] = "/kam.accounts.v1.AccountService/ListOpportunities";
constexpr char kUpdateOpportunity[] = "/kam.accounts.v1.AccountService/UpdateOpportunity";
constexpr char kMoveOpportunity[] = "/kam.accounts.v1.AccountService/MoveOpportunity";
constexpr char kListStageChanges[] = "/kam.accounts.v1.AccountService/ListStageChanges";
constexpr char kGetPipelineSummary[] = "/kam.accounts.v1.AccountService/GetPipelineSummary";

void ToProto(const Opportunity& o, v1::Opportunity* out) {
  out->set_id(o.id);
  out->set_account_id(o.account_id);
  out->set_name(o.name);
  out->set_owner_id(o.owner_id);
  out->set_stage(static_cast<v1::Stage>(o.stage));
  ToMoney(o.amount_minor, out->mutable_amount());
  out->set_probability_percent(o.probability_percent);
  if (o.expected_close_time)
    ToTimestamp(*o.expected_close_time, out->mutable_expected_close_time());
  out->set_needs(o.needs);
  if (o.budget_minor) ToMoney(*o.budget_minor, out->mutable_budget());
  out->set_timetable(o.timetable);
  out->set_competition(o.competition);
  out->set_decision_makers(o.decision_makers);
  out->set_account_tier(static_cast<v1::Tier>(o.account_tier));
  out->set_presales_approval(o.presales_approval);
  out->set_relationship_progress(o.relationship_progress);
  if (o.bid_submit_time) ToTimestamp(*o.bid_submit_time, out->mutable_bid_submit_time());
  out->set_contract_id(o.contract_id);
  if (o.acceptance_time) ToTimestamp(*o.acceptance_time, out->mutable_acceptance_time());
  out->set_lost_reason(o.lost_reason);
  if (o.close_time) ToTimestamp(*o.close_time, out->mutable_close_time());
  ToTimestamp(o.create_time, out->mutable_create_time());
  ToTimestamp(o.update_time, out->mutable_update_time());
  out->set_etag(Etag(o));
}

void ToProto(const StageChange& c, v1::StageChange* out) {
  out->set_opportunity_id(c.opportunity_id);
  out->set_from_stage(static_cast<v1::Stage>(c.from_stage));
  out->set_to_stage(static_cast<v1::Stage>(c.to_stage));
  out->set_actor(c.actor);
  out->set_reason(c.reason);
  ToTimestamp(c.change_time, out->mutable_change_time());
}

void ToProto(const PipelineSummary& s, v1::GetPipelineSummaryResponse* out) {
  for (const StageTotal& total : s.stages) {
    v1::StageTotal* stage = out->add_stages();
    stage->set_stage(static_cast<v1::Stage>(total.stage));
    stage->set_opportunities(total.opportunities);
    ToMoney(total.amount_minor, stage->mutable_amount());
    ToMoney(total.weighted_minor, stage->mutable_weighted_amount());
  }
  ToMoney(s.open_amount_minor, out->mutable_open_amount());
  ToMoney(s.weighted_minor, out->mutable_weighted_amount());
  out->set_won(s.won);
  out->set_lost(s.lost);
  out->set_partial(s.partial);
}

// An optional timestamp of a request into `out`; INVALID_ARGUMENT naming `field`.
absl::Status ReadTime(const char* field, const google::protobuf::Timestamp& t, bool present,
                      std::optional<absl::Time>& out) {
  absl::StatusOr<std::optional<absl::Time>> time = CheckTime(field, t, present, false);
  if (!time.ok()) return time.status();
  out = *time;
  return absl::OkStatus();
}

// The opportunity a request describes; money and times checked here, the rest by the rules.
absl::StatusOr<Opportunity> FromProto(const v1::Opportunity& p) {
  Opportunity o;
  o.id = p.id();
  o.account_id = p.account_id();
  o.name = p.name();
  absl::StatusOr<int64_t> amount = CheckMoney("opportunity.amount", p.amount());
  if (!amount.ok()) return amount.status();
  o.amount_minor = *amount;
  if (p.has_budget()) {
    absl::StatusOr<int64_t> budget = CheckMoney("opportunity.budget", p.budget());
    if (!budget.ok()) return budget.status();
    o.budget_minor = *budget;
  }
  if (auto s = ReadTime("opportunity.expected_close_time", p.expected_close_time(),
                        p.has_expected_close_time(), o.expected_close_time);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadTime("opportunity.bid_submit_time", p.bid_submit_time(), p.has_bid_submit_time(),
                        o.bid_submit_time);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadTime("opportunity.acceptance_time", p.acceptance_time(), p.has_acceptance_time(),
                        o.acceptance_time);
      !s.ok()) {
    return s;
  }
  o.needs = p.needs();
  o.timetable = p.timetable();
  o.competition = p.competition();
  o.decision_makers = p.decision_makers();
  o.presales_approval = p.presales_approval();
  o.relationship_progress = p.relationship_progress();
  o.contract_id = p.contract_id();
  return o;
}

// The opportunity if `call` may read it; PERMISSION_DENIED otherwise, also for ids that do
// not exist when the caller could not see all accounts anyway (AIP-211).
absl::StatusOr<OpportunityView> ReadableOpportunity(PipelineStore& store, const CallContext& call,
                                                    int64_t id) {
  if (!CanReadPipeline(call.principal, /*works_on=*/true)) return NoAccess();
  absl::StatusOr<OpportunityView> view = store.Get(id, call.principal.subject);
  if (!view.ok()) return HideExistence(view.status(), call.principal);
  if (!CanReadPipeline(call.principal, view->works_on)) return NoAccess();
  return view;
}

}  // namespace

bool FillPipelineEvent(const std::string& aggregate_type, const nlohmann::json& payload,
                       v1::Event* event) {
  if (aggregate_type != "opportunity") return false;
  ToProto(OpportunityFromJson(payload), event->mutable_opportunity());
  return true;
}

grpc::ServerUnaryReactor* AccountServiceImpl::CreateOpportunity(
    grpc::CallbackServerContext* context, const v1::CreateOpportunityRequest* request,
    v1::CreateOpportunityResponse* response) {
  return handler_.Run(context, kCreateOpportunity, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckId("opportunity.account_id", request->opportunity().account_id()); !s.ok()) {
      return s;
    }
    absl::StatusOr<Opportunity> draft = FromProto(request->opportunity());
    if (!draft.ok()) return draft.status();
    PipelineStore& store = *stores_.pipeline;
    absl::StatusOr<Opportunity> created = store.Create(
        MutationFor(call, "CreateOpportunity", *request, request->request_id()), draft->account_id,
        [&](const AccountView& account, const PipelineStore::ContractLookup& contracts) {
          return NewOpportunity(*draft, account.account, account.works_on,
                                contracts(draft->contract_id), call.principal,
                                store.probabilities(), call.now);
        });
    if (!created.ok()) return HideExistence(created.status(), call.principal);
    ToProto(*created, response->mutable_opportunity());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::GetOpportunity(
    grpc::CallbackServerContext* context, const v1::GetOpportunityRequest* request,
    v1::GetOpportunityResponse* response) {
  return handler_.Run(context, kGetOpportunity, [=](const CallContext& call) -> absl::Status {
    if (auto s = CheckId("opportunity_id", request->opportunity_id()); !s.ok()) return s;
    absl::StatusOr<OpportunityView> view =
        ReadableOpportunity(*stores_.pipeline, call, request->opportunity_id());
    if (!view.ok()) return view.status();
    ToProto(view->opportunity, response->mutable_opportunity());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListOpportunities(
    grpc::CallbackServerContext* context, const v1::ListOpportunitiesRequest* request,
    v1::ListOpportunitiesResponse* response) {
  return handler_.Run(context, kListOpportunities, [=](const CallContext& call) -> absl::Status {
    absl::StatusOr<int> page_size = NormalizePageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    absl::StatusOr<OpportunityFilter> filter = ScopeOpportunityFilter(
        {request->owner_id(), request->account_id(), static_cast<Stage>(request->stage()),
         request->open_only(), /*member_id=*/""},
        call.principal);
    if (!filter.ok()) return filter.status();
    const std::string digest = PageTokenKey(call, "ListOpportunities", *request);
    absl::StatusOr<int64_t> after = DecodePageToken(request->page_token(), digest);
    if (!after.ok()) return after.status();
    // One account's list says plainly when that account is not the caller's to see.
    if (filter->account_id != 0) {
      if (auto account = ReadableAccount(call, filter->account_id); !account.ok()) {
        return account.status();
      }
    }
    absl::StatusOr<Page<Opportunity>> page = stores_.pipeline->List(*filter, *after, *page_size);
    if (!page.ok()) return page.status();
    for (const Opportunity& o : page->items) ToProto(o, response->add_opportunities());
    if (page->more) response->set_next_page_token(EncodePageToken(page->items.back().id, digest));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::UpdateOpportunity(
    grpc::CallbackServerContext* context, const v1::UpdateOpportunityRequest* request,
    v1::UpdateOpportunityResponse* response) {
  return handler_.Run(context, kUpdateOpportunity, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckId("opportunity.id", request->opportunity().id()); !s.ok()) return s;
    absl::StatusOr<Opportunity> patch = FromProto(request->opportunity());
    if (!patch.ok()) return patch.status();
    const std::vector<std::string> paths(request->update_mask().paths().begin(),
                                         request->update_mask().paths().end());
    absl::StatusOr<Opportunity> updated = stores_.pipeline->Update(
        MutationFor(call, "UpdateOpportunity", *request, request->request_id()), patch->id,
        [&](const Opportunity& current, const AccountView& account,
            const PipelineStore::ContractLookup& contracts) {
          return ApplyOpportunityUpdate(current, *patch, paths, request->etag(), account.account,
                                        account.works_on, contracts(patch->contract_id),
                                        call.principal, call.now);
        });
    if (!updated.ok()) return HideExistence(updated.status(), call.principal);
    ToProto(*updated, response->mutable_opportunity());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::MoveOpportunity(
    grpc::CallbackServerContext* context, const v1::MoveOpportunityRequest* request,
    v1::MoveOpportunityResponse* response) {
  return handler_.Run(context, kMoveOpportunity, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckId("opportunity_id", request->opportunity_id()); !s.ok()) return s;
    if (auto s = CheckEnum("to_stage", request->to_stage(), kLastStage, true); !s.ok()) return s;
    const MoveRequest move{static_cast<Stage>(request->to_stage()), request->reason(),
                           request->etag()};
    PipelineStore& store = *stores_.pipeline;
    absl::StatusOr<Opportunity> moved =
        store.Move(MutationFor(call, "MoveOpportunity", *request, request->request_id()),
                   request->opportunity_id(), move.reason,
                   [&](const Opportunity& current, const AccountView& account,
                       const PipelineStore::ContractLookup& contracts) {
                     return MoveToStage(current, move, account.account, account.works_on,
                                        contracts(current.contract_id), call.principal,
                                        store.probabilities(), call.now);
                   });
    if (!moved.ok()) return HideExistence(moved.status(), call.principal);
    ToProto(*moved, response->mutable_opportunity());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListStageChanges(
    grpc::CallbackServerContext* context, const v1::ListStageChangesRequest* request,
    v1::ListStageChangesResponse* response) {
  return handler_.Run(context, kListStageChanges, [=](const CallContext& call) -> absl::Status {
    if (auto s = CheckId("opportunity_id", request->opportunity_id()); !s.ok()) return s;
    if (auto view = ReadableOpportunity(*stores_.pipeline, call, request->opportunity_id());
        !view.ok()) {
      return view.status();
    }
    absl::StatusOr<std::vector<StageChange>> changes =
        stores_.pipeline->ListStageChanges(request->opportunity_id());
    if (!changes.ok()) return changes.status();
    for (const StageChange& change : *changes) ToProto(change, response->add_changes());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::GetPipelineSummary(
    grpc::CallbackServerContext* context, const v1::GetPipelineSummaryRequest* request,
    v1::GetPipelineSummaryResponse* response) {
  return handler_.Run(context, kGetPipelineSummary, [=](const CallContext& call) -> absl::Status {
    using Request = v1::GetPipelineSummaryRequest;
    absl::StatusOr<SummaryScope> scope =
        InvalidField("scope", "set one of owner_id, account_id and group_id");
    if (request->scope_case() == Request::kOwnerId) {
      scope = OwnerSummaryScope(request->owner_id(), call.principal);
    } else if (request->scope_case() != Request::SCOPE_NOT_SET) {
      const bool group = request->scope_case() == Request::kGroupId;
      const int64_t id = group ? request->group_id() : request->account_id();
      if (auto s = CheckId(group ? "group_id" : "account_id", id); !s.ok()) return s;
      if (!CanReadPipeline(call.principal, /*works_on=*/true)) return NoAccess();
      if (auto account = ReadableAccount(call, id); !account.ok()) return account.status();
      scope = AccountSummaryScope(group ? SummaryScope::Kind::kGroup : SummaryScope::Kind::kAccount,
                                  id, call.principal);
    }
    if (!scope.ok()) return scope.status();
    absl::StatusOr<PipelineSummary> summary = stores_.pipeline->Summarize(*scope);
    if (!summary.ok()) return summary.status();
    ToProto(*summary, response);
    return absl::OkStatus();
  });
}

}  // namespace kam::accounts
