#include "services/accounts/service.h"

// STUB: answers UNIMPLEMENTED (the generated base class) until this part is built.
namespace kam::accounts {

grpc::ServerUnaryReactor* AccountServiceImpl::CreateOpportunity(
    grpc::CallbackServerContext* context, const v1::CreateOpportunityRequest* request,
    v1::CreateOpportunityResponse* response) {
  return v1::AccountService::CallbackService::CreateOpportunity(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::GetOpportunity(
    grpc::CallbackServerContext* context, const v1::GetOpportunityRequest* request,
    v1::GetOpportunityResponse* response) {
  return v1::AccountService::CallbackService::GetOpportunity(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListOpportunities(
    grpc::CallbackServerContext* context, const v1::ListOpportunitiesRequest* request,
    v1::ListOpportunitiesResponse* response) {
  return v1::AccountService::CallbackService::ListOpportunities(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::UpdateOpportunity(
    grpc::CallbackServerContext* context, const v1::UpdateOpportunityRequest* request,
    v1::UpdateOpportunityResponse* response) {
  return v1::AccountService::CallbackService::UpdateOpportunity(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::MoveOpportunity(
    grpc::CallbackServerContext* context, const v1::MoveOpportunityRequest* request,
    v1::MoveOpportunityResponse* response) {
  return v1::AccountService::CallbackService::MoveOpportunity(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListStageChanges(
    grpc::CallbackServerContext* context, const v1::ListStageChangesRequest* request,
    v1::ListStageChangesResponse* response) {
  return v1::AccountService::CallbackService::ListStageChanges(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::GetPipelineSummary(
    grpc::CallbackServerContext* context, const v1::GetPipelineSummaryRequest* request,
    v1::GetPipelineSummaryResponse* response) {
  return v1::AccountService::CallbackService::GetPipelineSummary(context, request, response);
}

bool FillPipelineEvent(const std::string&, const nlohmann::json&, v1::Event*) { return false; }

}  // namespace kam::accounts
