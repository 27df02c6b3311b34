#include "services/complaints/service.h"

// PROVISIONAL: every method UNIMPLEMENTED until the handlers land (branch issue4-edge).
namespace kam::complaints {

grpc::ServerUnaryReactor* ComplaintServiceImpl::CreateComplaint(
    grpc::CallbackServerContext* context, const v1::CreateComplaintRequest* request,
    v1::CreateComplaintResponse* response) {
  return v1::ComplaintService::CallbackService::CreateComplaint(context, request, response);
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::GetComplaint(grpc::CallbackServerContext* context,
                                                             const v1::GetComplaintRequest* request,
                                                             v1::GetComplaintResponse* response) {
  return v1::ComplaintService::CallbackService::GetComplaint(context, request, response);
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ListComplaints(
    grpc::CallbackServerContext* context, const v1::ListComplaintsRequest* request,
    v1::ListComplaintsResponse* response) {
  return v1::ComplaintService::CallbackService::ListComplaints(context, request, response);
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ListMyQueue(grpc::CallbackServerContext* context,
                                                            const v1::ListMyQueueRequest* request,
                                                            v1::ListMyQueueResponse* response) {
  return v1::ComplaintService::CallbackService::ListMyQueue(context, request, response);
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ListComplaintHistory(
    grpc::CallbackServerContext* context, const v1::ListComplaintHistoryRequest* request,
    v1::ListComplaintHistoryResponse* response) {
  return v1::ComplaintService::CallbackService::ListComplaintHistory(context, request, response);
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::JudgeValidity(
    grpc::CallbackServerContext* context, const v1::JudgeValidityRequest* request,
    v1::JudgeValidityResponse* response) {
  return v1::ComplaintService::CallbackService::JudgeValidity(context, request, response);
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ReassignComplaint(
    grpc::CallbackServerContext* context, const v1::ReassignComplaintRequest* request,
    v1::ReassignComplaintResponse* response) {
  return v1::ComplaintService::CallbackService::ReassignComplaint(context, request, response);
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::AnalyzeCause(grpc::CallbackServerContext* context,
                                                             const v1::AnalyzeCauseRequest* request,
                                                             v1::AnalyzeCauseResponse* response) {
  return v1::ComplaintService::CallbackService::AnalyzeCause(context, request, response);
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ProposeResolution(
    grpc::CallbackServerContext* context, const v1::ProposeResolutionRequest* request,
    v1::ProposeResolutionResponse* response) {
  return v1::ComplaintService::CallbackService::ProposeResolution(context, request, response);
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::DecideResolution(
    grpc::CallbackServerContext* context, const v1::DecideResolutionRequest* request,
    v1::DecideResolutionResponse* response) {
  return v1::ComplaintService::CallbackService::DecideResolution(context, request, response);
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ImplementResolution(
    grpc::CallbackServerContext* context, const v1::ImplementResolutionRequest* request,
    v1::ImplementResolutionResponse* response) {
  return v1::ComplaintService::CallbackService::ImplementResolution(context, request, response);
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::RecordFollowUp(
    grpc::CallbackServerContext* context, const v1::RecordFollowUpRequest* request,
    v1::RecordFollowUpResponse* response) {
  return v1::ComplaintService::CallbackService::RecordFollowUp(context, request, response);
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::CloseComplaint(
    grpc::CallbackServerContext* context, const v1::CloseComplaintRequest* request,
    v1::CloseComplaintResponse* response) {
  return v1::ComplaintService::CallbackService::CloseComplaint(context, request, response);
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::SetWaitingOnCustomer(
    grpc::CallbackServerContext* context, const v1::SetWaitingOnCustomerRequest* request,
    v1::SetWaitingOnCustomerResponse* response) {
  return v1::ComplaintService::CallbackService::SetWaitingOnCustomer(context, request, response);
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::PutDepartment(
    grpc::CallbackServerContext* context, const v1::PutDepartmentRequest* request,
    v1::PutDepartmentResponse* response) {
  return v1::ComplaintService::CallbackService::PutDepartment(context, request, response);
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ListDepartments(
    grpc::CallbackServerContext* context, const v1::ListDepartmentsRequest* request,
    v1::ListDepartmentsResponse* response) {
  return v1::ComplaintService::CallbackService::ListDepartments(context, request, response);
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ListAuditLog(grpc::CallbackServerContext* context,
                                                             const v1::ListAuditLogRequest* request,
                                                             v1::ListAuditLogResponse* response) {
  return v1::ComplaintService::CallbackService::ListAuditLog(context, request, response);
}

grpc::ServerWriteReactor<v1::WatchEventsResponse>* ComplaintServiceImpl::WatchEvents(
    grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) {
  return v1::ComplaintService::CallbackService::WatchEvents(context, request);
}

}  // namespace kam::complaints
