#include "services/accounts/service.h"

// STUB: answers UNIMPLEMENTED (the generated base class) until this part is built.
namespace kam::accounts {

grpc::ServerUnaryReactor* AccountServiceImpl::CreateContactRecord(
    grpc::CallbackServerContext* context, const v1::CreateContactRecordRequest* request,
    v1::CreateContactRecordResponse* response) {
  return v1::AccountService::CallbackService::CreateContactRecord(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListTimeline(grpc::CallbackServerContext* context,
                                                           const v1::ListTimelineRequest* request,
                                                           v1::ListTimelineResponse* response) {
  return v1::AccountService::CallbackService::ListTimeline(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::CreateVisitPlan(
    grpc::CallbackServerContext* context, const v1::CreateVisitPlanRequest* request,
    v1::CreateVisitPlanResponse* response) {
  return v1::AccountService::CallbackService::CreateVisitPlan(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListVisitPlans(
    grpc::CallbackServerContext* context, const v1::ListVisitPlansRequest* request,
    v1::ListVisitPlansResponse* response) {
  return v1::AccountService::CallbackService::ListVisitPlans(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::CancelVisitPlan(
    grpc::CallbackServerContext* context, const v1::CancelVisitPlanRequest* request,
    v1::CancelVisitPlanResponse* response) {
  return v1::AccountService::CallbackService::CancelVisitPlan(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::RestoreVisitPlan(
    grpc::CallbackServerContext* context, const v1::RestoreVisitPlanRequest* request,
    v1::RestoreVisitPlanResponse* response) {
  return v1::AccountService::CallbackService::RestoreVisitPlan(context, request, response);
}

bool FillEngagementEvent(const std::string&, const nlohmann::json&, v1::Event*) { return false; }

}  // namespace kam::accounts
