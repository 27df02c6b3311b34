#pragma once

#include <nlohmann/json.hpp>

#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "services/accounts/service_support.h"
#include "services/common/event_store.h"

namespace kam::accounts {

// Fills the payload of an event from its outbox row (aggregate type and the domain JSON the
// store wrote); false when the aggregate type belongs to another part. One per part of the
// business, defined next to that part's handlers; WatchEvents asks each in turn.
bool FillArchiveEvent(const std::string& aggregate_type, const nlohmann::json& payload,
                      v1::Event* event);
bool FillEngagementEvent(const std::string& aggregate_type, const nlohmann::json& payload,
                         v1::Event* event);
bool FillPipelineEvent(const std::string& aggregate_type, const nlohmann::json& payload,
                       v1::Event* event);
bool FillCommerceEvent(const std::string& aggregate_type, const nlohmann::json& payload,
                       v1::Event* event);

class AccountStore;
class EngagementStore;
class PipelineStore;
class CommerceStore;

// The stores the service works with; all share one pool.
struct Stores {
  AccountStore* accounts;
  EngagementStore* engagement;
  PipelineStore* pipeline;
  CommerceStore* commerce;
  EventStore* events;
};

// The gRPC edge of the accounts service: proto <-> domain, access rules, storage through the
// stores. Handlers are grouped by part of the business, one .cc file each; unary handlers
// run on the worker pool via CallHandler.
class AccountServiceImpl final : public v1::AccountService::CallbackService {
 public:
  AccountServiceImpl(const Stores& stores, CallHandler* handler)
      : stores_(stores), handler_(*handler) {}

  // ---- Archive, contacts, team, ownership, tier, credit (service.cc) ----
  grpc::ServerUnaryReactor* CreateAccount(grpc::CallbackServerContext* context,
                                          const v1::CreateAccountRequest* request,
                                          v1::CreateAccountResponse* response) override;
  grpc::ServerUnaryReactor* GetAccount(grpc::CallbackServerContext* context,
                                       const v1::GetAccountRequest* request,
                                       v1::GetAccountResponse* response) override;
  grpc::ServerUnaryReactor* ListAccounts(grpc::CallbackServerContext* context,
                                         const v1::ListAccountsRequest* request,
                                         v1::ListAccountsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateAccount(grpc::CallbackServerContext* context,
                                          const v1::UpdateAccountRequest* request,
                                          v1::UpdateAccountResponse* response) override;
  grpc::ServerUnaryReactor* ArchiveAccount(grpc::CallbackServerContext* context,
                                           const v1::ArchiveAccountRequest* request,
                                           v1::ArchiveAccountResponse* response) override;
  grpc::ServerUnaryReactor* GetGroupTree(grpc::CallbackServerContext* context,
                                         const v1::GetGroupTreeRequest* request,
                                         v1::GetGroupTreeResponse* response) override;
  grpc::ServerUnaryReactor* CreateContact(grpc::CallbackServerContext* context,
                                          const v1::CreateContactRequest* request,
                                          v1::CreateContactResponse* response) override;
  grpc::ServerUnaryReactor* ListContacts(grpc::CallbackServerContext* context,
                                         const v1::ListContactsRequest* request,
                                         v1::ListContactsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateContact(grpc::CallbackServerContext* context,
                                          const v1::UpdateContactRequest* request,
                                          v1::UpdateContactResponse* response) override;
  grpc::ServerUnaryReactor* AddTeamMember(grpc::CallbackServerContext* context,
                                          const v1::AddTeamMemberRequest* request,
                                          v1::AddTeamMemberResponse* response) override;
  grpc::ServerUnaryReactor* RemoveTeamMember(grpc::CallbackServerContext* context,
                                             const v1::RemoveTeamMemberRequest* request,
                                             v1::RemoveTeamMemberResponse* response) override;
  grpc::ServerUnaryReactor* ListTeamMembers(grpc::CallbackServerContext* context,
                                            const v1::ListTeamMembersRequest* request,
                                            v1::ListTeamMembersResponse* response) override;
  grpc::ServerUnaryReactor* TransferAccounts(grpc::CallbackServerContext* context,
                                             const v1::TransferAccountsRequest* request,
                                             v1::TransferAccountsResponse* response) override;
  grpc::ServerUnaryReactor* SetTier(grpc::CallbackServerContext* context,
                                    const v1::SetTierRequest* request,
                                    v1::SetTierResponse* response) override;
  grpc::ServerUnaryReactor* ListAccountHistory(grpc::CallbackServerContext* context,
                                               const v1::ListAccountHistoryRequest* request,
                                               v1::ListAccountHistoryResponse* response) override;
  grpc::ServerUnaryReactor* SetCredit(grpc::CallbackServerContext* context,
                                      const v1::SetCreditRequest* request,
                                      v1::SetCreditResponse* response) override;

  // ---- Contact records and visit plans (engagement_service.cc) ----
  grpc::ServerUnaryReactor* CreateContactRecord(grpc::CallbackServerContext* context,
                                                const v1::CreateContactRecordRequest* request,
                                                v1::CreateContactRecordResponse* response) override;
  grpc::ServerUnaryReactor* ListTimeline(grpc::CallbackServerContext* context,
                                         const v1::ListTimelineRequest* request,
                                         v1::ListTimelineResponse* response) override;
  grpc::ServerUnaryReactor* CreateVisitPlan(grpc::CallbackServerContext* context,
                                            const v1::CreateVisitPlanRequest* request,
                                            v1::CreateVisitPlanResponse* response) override;
  grpc::ServerUnaryReactor* ListVisitPlans(grpc::CallbackServerContext* context,
                                           const v1::ListVisitPlansRequest* request,
                                           v1::ListVisitPlansResponse* response) override;
  grpc::ServerUnaryReactor* CancelVisitPlan(grpc::CallbackServerContext* context,
                                            const v1::CancelVisitPlanRequest* request,
                                            v1::CancelVisitPlanResponse* response) override;
  grpc::ServerUnaryReactor* RestoreVisitPlan(grpc::CallbackServerContext* context,
                                             const v1::RestoreVisitPlanRequest* request,
                                             v1::RestoreVisitPlanResponse* response) override;

  // ---- Pipeline (pipeline_service.cc) ----
  grpc::ServerUnaryReactor* CreateOpportunity(grpc::CallbackServerContext* context,
                                              const v1::CreateOpportunityRequest* request,
                                              v1::CreateOpportunityResponse* response) override;
  grpc::ServerUnaryReactor* GetOpportunity(grpc::CallbackServerContext* context,
                                           const v1::GetOpportunityRequest* request,
                                           v1::GetOpportunityResponse* response) override;
  grpc::ServerUnaryReactor* ListOpportunities(grpc::CallbackServerContext* context,
                                              const v1::ListOpportunitiesRequest* request,
                                              v1::ListOpportunitiesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateOpportunity(grpc::CallbackServerContext* context,
                                              const v1::UpdateOpportunityRequest* request,
                                              v1::UpdateOpportunityResponse* response) override;
  grpc::ServerUnaryReactor* MoveOpportunity(grpc::CallbackServerContext* context,
                                            const v1::MoveOpportunityRequest* request,
                                            v1::MoveOpportunityResponse* response) override;
  grpc::ServerUnaryReactor* ListStageChanges(grpc::CallbackServerContext* context,
                                             const v1::ListStageChangesRequest* request,
                                             v1::ListStageChangesResponse* response) override;
  grpc::ServerUnaryReactor* GetPipelineSummary(grpc::CallbackServerContext* context,
                                               const v1::GetPipelineSummaryRequest* request,
                                               v1::GetPipelineSummaryResponse* response) override;

  // ---- Credit reports and overrides, contracts, orders, payments, group summary
  // (commerce_service.cc) ----
  grpc::ServerUnaryReactor* CreateCreditReport(grpc::CallbackServerContext* context,
                                               const v1::CreateCreditReportRequest* request,
                                               v1::CreateCreditReportResponse* response) override;
  grpc::ServerUnaryReactor* ListCreditReports(grpc::CallbackServerContext* context,
                                              const v1::ListCreditReportsRequest* request,
                                              v1::ListCreditReportsResponse* response) override;
  grpc::ServerUnaryReactor* GrantCreditOverride(grpc::CallbackServerContext* context,
                                                const v1::GrantCreditOverrideRequest* request,
                                                v1::GrantCreditOverrideResponse* response) override;
  grpc::ServerUnaryReactor* CreateContract(grpc::CallbackServerContext* context,
                                           const v1::CreateContractRequest* request,
                                           v1::CreateContractResponse* response) override;
  grpc::ServerUnaryReactor* SignContract(grpc::CallbackServerContext* context,
                                         const v1::SignContractRequest* request,
                                         v1::SignContractResponse* response) override;
  grpc::ServerUnaryReactor* ListContracts(grpc::CallbackServerContext* context,
                                          const v1::ListContractsRequest* request,
                                          v1::ListContractsResponse* response) override;
  grpc::ServerUnaryReactor* RecordOrder(grpc::CallbackServerContext* context,
                                        const v1::RecordOrderRequest* request,
                                        v1::RecordOrderResponse* response) override;
  grpc::ServerUnaryReactor* RecordPayment(grpc::CallbackServerContext* context,
                                          const v1::RecordPaymentRequest* request,
                                          v1::RecordPaymentResponse* response) override;
  grpc::ServerUnaryReactor* ImportOrders(grpc::CallbackServerContext* context,
                                         const v1::ImportOrdersRequest* request,
                                         v1::ImportOrdersResponse* response) override;
  grpc::ServerUnaryReactor* ImportPayments(grpc::CallbackServerContext* context,
                                           const v1::ImportPaymentsRequest* request,
                                           v1::ImportPaymentsResponse* response) override;
  grpc::ServerUnaryReactor* ListOrders(grpc::CallbackServerContext* context,
                                       const v1::ListOrdersRequest* request,
                                       v1::ListOrdersResponse* response) override;
  grpc::ServerUnaryReactor* ListPayments(grpc::CallbackServerContext* context,
                                         const v1::ListPaymentsRequest* request,
                                         v1::ListPaymentsResponse* response) override;
  grpc::ServerUnaryReactor* GetGroupSummary(grpc::CallbackServerContext* context,
                                            const v1::GetGroupSummaryRequest* request,
                                            v1::GetGroupSummaryResponse* response) override;

  // ---- Event stream and audit log (events_service.cc) ----
  grpc::ServerWriteReactor<v1::WatchEventsResponse>* WatchEvents(
      grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) override;
  grpc::ServerUnaryReactor* ListAuditLog(grpc::CallbackServerContext* context,
                                         const v1::ListAuditLogRequest* request,
                                         v1::ListAuditLogResponse* response) override;

 private:
  // The account if `call` may read it (with whether the caller works on it);
  // PERMISSION_DENIED otherwise, also for ids that do not exist when the caller could not
  // see all accounts anyway (AIP-211).
  absl::StatusOr<AccountView> ReadableAccount(const CallContext& call, int64_t id);

  Stores stores_;
  CallHandler& handler_;
};

}  // namespace kam::accounts
