#include "services/accounts/service.h"

// STUB: answers UNIMPLEMENTED (the generated base class) until this part is built.
namespace kam::accounts {

grpc::ServerUnaryReactor* AccountServiceImpl::GetGroupTree(grpc::CallbackServerContext* context,
                                                           const v1::GetGroupTreeRequest* request,
                                                           v1::GetGroupTreeResponse* response) {
  return v1::AccountService::CallbackService::GetGroupTree(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::UpdateContact(grpc::CallbackServerContext* context,
                                                            const v1::UpdateContactRequest* request,
                                                            v1::UpdateContactResponse* response) {
  return v1::AccountService::CallbackService::UpdateContact(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::AddTeamMember(grpc::CallbackServerContext* context,
                                                            const v1::AddTeamMemberRequest* request,
                                                            v1::AddTeamMemberResponse* response) {
  return v1::AccountService::CallbackService::AddTeamMember(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::RemoveTeamMember(
    grpc::CallbackServerContext* context, const v1::RemoveTeamMemberRequest* request,
    v1::RemoveTeamMemberResponse* response) {
  return v1::AccountService::CallbackService::RemoveTeamMember(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListTeamMembers(
    grpc::CallbackServerContext* context, const v1::ListTeamMembersRequest* request,
    v1::ListTeamMembersResponse* response) {
  return v1::AccountService::CallbackService::ListTeamMembers(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::TransferAccounts(
    grpc::CallbackServerContext* context, const v1::TransferAccountsRequest* request,
    v1::TransferAccountsResponse* response) {
  return v1::AccountService::CallbackService::TransferAccounts(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::SetTier(grpc::CallbackServerContext* context,
                                                      const v1::SetTierRequest* request,
                                                      v1::SetTierResponse* response) {
  return v1::AccountService::CallbackService::SetTier(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListAccountHistory(
    grpc::CallbackServerContext* context, const v1::ListAccountHistoryRequest* request,
    v1::ListAccountHistoryResponse* response) {
  return v1::AccountService::CallbackService::ListAccountHistory(context, request, response);
}

grpc::ServerUnaryReactor* AccountServiceImpl::SetCredit(grpc::CallbackServerContext* context,
                                                        const v1::SetCreditRequest* request,
                                                        v1::SetCreditResponse* response) {
  return v1::AccountService::CallbackService::SetCredit(context, request, response);
}

}  // namespace kam::accounts
