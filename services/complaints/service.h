#pragma once

#include <atomic>
#include <functional>

#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "services/common/call_handler.h"
#include "services/common/event_store.h"
#include "services/complaints/complaint_store.h"
#include "services/complaints/sla_sweeper.h"

// ComplaintService at the gRPC edge: request validation, proto conversion, and the calls
// into the stores (complaint_service.cc).
namespace kam::complaints {

struct ServiceParts {
  ComplaintStore* complaints;
  EventStore* events;
  ComplaintMetrics* metrics;  // resolution times are observed as steps commit
  // Whether the accounts replica is caught up (CreateComplaint: NOT_FOUND vs UNAVAILABLE
  // for an account the replica does not know).
  std::function<bool()> replica_caught_up;
};

class ComplaintServiceImpl final : public v1::ComplaintService::CallbackService {
 public:
  ComplaintServiceImpl(ServiceParts parts, CallHandler* handler)
      : parts_(std::move(parts)), handler_(*handler) {}

  grpc::ServerUnaryReactor* CreateComplaint(grpc::CallbackServerContext* context,
                                            const v1::CreateComplaintRequest* request,
                                            v1::CreateComplaintResponse* response) override;
  grpc::ServerUnaryReactor* GetComplaint(grpc::CallbackServerContext* context,
                                         const v1::GetComplaintRequest* request,
                                         v1::GetComplaintResponse* response) override;
  grpc::ServerUnaryReactor* ListComplaints(grpc::CallbackServerContext* context,
                                           const v1::ListComplaintsRequest* request,
                                           v1::ListComplaintsResponse* response) override;
  grpc::ServerUnaryReactor* ListMyQueue(grpc::CallbackServerContext* context,
                                        const v1::ListMyQueueRequest* request,
                                        v1::ListMyQueueResponse* response) override;
  grpc::ServerUnaryReactor* ListComplaintHistory(
      grpc::CallbackServerContext* context, const v1::ListComplaintHistoryRequest* request,
      v1::ListComplaintHistoryResponse* response) override;
  grpc::ServerUnaryReactor* JudgeValidity(grpc::CallbackServerContext* context,
                                          const v1::JudgeValidityRequest* request,
                                          v1::JudgeValidityResponse* response) override;
  grpc::ServerUnaryReactor* ReassignComplaint(grpc::CallbackServerContext* context,
                                              const v1::ReassignComplaintRequest* request,
                                              v1::ReassignComplaintResponse* response) override;
  grpc::ServerUnaryReactor* AnalyzeCause(grpc::CallbackServerContext* context,
                                         const v1::AnalyzeCauseRequest* request,
                                         v1::AnalyzeCauseResponse* response) override;
  grpc::ServerUnaryReactor* ProposeResolution(grpc::CallbackServerContext* context,
                                              const v1::ProposeResolutionRequest* request,
                                              v1::ProposeResolutionResponse* response) override;
  grpc::ServerUnaryReactor* DecideResolution(grpc::CallbackServerContext* context,
                                             const v1::DecideResolutionRequest* request,
                                             v1::DecideResolutionResponse* response) override;
  grpc::ServerUnaryReactor* ImplementResolution(grpc::CallbackServerContext* context,
                                                const v1::ImplementResolutionRequest* request,
                                                v1::ImplementResolutionResponse* response) override;
  grpc::ServerUnaryReactor* RecordFollowUp(grpc::CallbackServerContext* context,
                                           const v1::RecordFollowUpRequest* request,
                                           v1::RecordFollowUpResponse* response) override;
  grpc::ServerUnaryReactor* CloseComplaint(grpc::CallbackServerContext* context,
                                           const v1::CloseComplaintRequest* request,
                                           v1::CloseComplaintResponse* response) override;
  grpc::ServerUnaryReactor* SetWaitingOnCustomer(
      grpc::CallbackServerContext* context, const v1::SetWaitingOnCustomerRequest* request,
      v1::SetWaitingOnCustomerResponse* response) override;
  grpc::ServerUnaryReactor* PutDepartment(grpc::CallbackServerContext* context,
                                          const v1::PutDepartmentRequest* request,
                                          v1::PutDepartmentResponse* response) override;
  grpc::ServerUnaryReactor* ListDepartments(grpc::CallbackServerContext* context,
                                            const v1::ListDepartmentsRequest* request,
                                            v1::ListDepartmentsResponse* response) override;
  grpc::ServerWriteReactor<v1::WatchEventsResponse>* WatchEvents(
      grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) override;
  grpc::ServerUnaryReactor* ListAuditLog(grpc::CallbackServerContext* context,
                                         const v1::ListAuditLogRequest* request,
                                         v1::ListAuditLogResponse* response) override;

 private:
  bool ReplicaCaughtUp() const;
  absl::StatusOr<Complaint> LookAgain(const CallContext& call, const Mutation& mutation,
                                      const Complaint& draft);

  ServiceParts parts_;
  CallHandler& handler_;
  std::atomic<int> replica_waiters_{0};
};

}  // namespace kam::complaints
