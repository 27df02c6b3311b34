#include "services/accounts/service.h"

// STUB: answers UNIMPLEMENTED (the generated base class) until this part is built.
namespace kam::accounts {

grpc::ServerUnaryReactor* AccountServiceImpl::CreateCreditReport(
    grpc::CallbackServerContext* context, const v1::CreateCreditReportRequest* request,
    v1::CreateCreditReportResponse* response) {
  return v1::AccountService::CallbackService::CreateCreditReport(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListCreditReports(
    grpc::CallbackServerContext* context, const v1::ListCreditReportsRequest* request,
    v1::ListCreditReportsResponse* response) {
  return v1::AccountService::CallbackService::ListCreditReports(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::GrantCreditOverride(
    grpc::CallbackServerContext* context, const v1::GrantCreditOverrideRequest* request,
    v1::GrantCreditOverrideResponse* response) {
  return v1::AccountService::CallbackService::GrantCreditOverride(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::CreateContract(
    grpc::CallbackServerContext* context, const v1::CreateContractRequest* request,
    v1::CreateContractResponse* response) {
  return v1::AccountService::CallbackService::CreateContract(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::SignContract(grpc::CallbackServerContext* context,
                                                           const v1::SignContractRequest* request,
                                                           v1::SignContractResponse* response) {
  return v1::AccountService::CallbackService::SignContract(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListContracts(grpc::CallbackServerContext* context,
                                                            const v1::ListContractsRequest* request,
                                                            v1::ListContractsResponse* response) {
  return v1::AccountService::CallbackService::ListContracts(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::RecordOrder(grpc::CallbackServerContext* context,
                                                          const v1::RecordOrderRequest* request,
                                                          v1::RecordOrderResponse* response) {
  return v1::AccountService::CallbackService::RecordOrder(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::RecordPayment(grpc::CallbackServerContext* context,
                                                            const v1::RecordPaymentRequest* request,
                                                            v1::RecordPaymentResponse* response) {
  return v1::AccountService::CallbackService::RecordPayment(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::ImportOrders(grpc::CallbackServerContext* context,
                                                           const v1::ImportOrdersRequest* request,
                                                           v1::ImportOrdersResponse* response) {
  return v1::AccountService::CallbackService::ImportOrders(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::ImportPayments(
    grpc::CallbackServerContext* context, const v1::ImportPaymentsRequest* request,
    v1::ImportPaymentsResponse* response) {
  return v1::AccountService::CallbackService::ImportPayments(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListOrders(grpc::CallbackServerContext* context,
                                                         const v1::ListOrdersRequest* request,
                                                         v1::ListOrdersResponse* response) {
  return v1::AccountService::CallbackService::ListOrders(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListPayments(grpc::CallbackServerContext* context,
                                                           const v1::ListPaymentsRequest* request,
                                                           v1::ListPaymentsResponse* response) {
  return v1::AccountService::CallbackService::ListPayments(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::GetGroupSummary(
    grpc::CallbackServerContext* context, const v1::GetGroupSummaryRequest* request,
    v1::GetGroupSummaryResponse* response) {
  return v1::AccountService::CallbackService::GetGroupSummary(context, request, response);
}

bool FillCommerceEvent(const std::string&, const nlohmann::json&, v1::Event*) { return false; }

}  // namespace kam::accounts
