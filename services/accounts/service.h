#pragma once

#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "services/accounts/store.h"
#include "services/common/call_handler.h"

namespace kam::accounts {

// The gRPC edge of the archive: proto <-> domain, access rules from workflow.h, storage
// through AccountStore. Each handler runs on the worker pool via CallHandler.
class AccountServiceImpl final : public v1::AccountService::CallbackService {
 public:
  AccountServiceImpl(AccountStore* store, CallHandler* handler)
      : store_(*store), handler_(*handler) {}

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
  grpc::ServerUnaryReactor* CreateContact(grpc::CallbackServerContext* context,
                                          const v1::CreateContactRequest* request,
                                          v1::CreateContactResponse* response) override;
  grpc::ServerUnaryReactor* ListContacts(grpc::CallbackServerContext* context,
                                         const v1::ListContactsRequest* request,
                                         v1::ListContactsResponse* response) override;

 private:
  // The account if `call` may read it; PERMISSION_DENIED otherwise, also for ids that do not
  // exist when the caller could not see all accounts anyway (AIP-211).
  absl::StatusOr<Account> ReadableAccount(const CallContext& call, int64_t id);

  AccountStore& store_;
  CallHandler& handler_;
};

}  // namespace kam::accounts
