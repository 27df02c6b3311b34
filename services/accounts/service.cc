#include "services/accounts/service.h"

#include "absl/strings/str_cat.h"
#include "services/accounts/store.h"
#include "services/common/status.h"
#include "services/common/validation.h"

namespace kam::accounts {
namespace {

// Full method names, as metrics and access logs name them.
constexpr char kCreateAccount[] = "/kam.accounts.v1.AccountService/CreateAccount";
constexpr char kGetAccount[] = "/kam.accounts.v1.AccountService/GetAccount";
constexpr char kListAccounts[] = "/kam.accounts.v1.AccountService/ListAccounts";
constexpr char kUpdateAccount[] = "/kam.accounts.v1.AccountService/UpdateAccount";
constexpr char kArchiveAccount[] = "/kam.accounts.v1.AccountService/ArchiveAccount";
constexpr char kCreateContact[] = "/kam.accounts.v1.AccountService/CreateContact";
constexpr char kListContacts[] = "/kam.accounts.v1.AccountService/ListContacts";

void ToProto(const Contact& c, v1::Contact* out) {
  out->set_id(c.id);
  out->set_account_id(c.account_id);
  out->set_name(c.name);
  out->set_title(c.title);
  out->set_phone(c.phone);
  out->set_email(c.email);
  out->set_buying_role(static_cast<v1::BuyingRole>(c.buying_role));
  ToTimestamp(c.create_time, out->mutable_create_time());
}

Account FromProto(const v1::Account& p) {
  Account a;
  a.id = p.id();
  a.name = p.name();
  a.registration_number = p.registration_number();
  a.nature = static_cast<Nature>(p.nature());
  a.industry = p.industry();
  a.region = p.region();
  a.scale = static_cast<Scale>(p.scale());
  a.lifecycle_stage = static_cast<LifecycleStage>(p.lifecycle_stage());
  a.status = static_cast<AccountStatus>(p.status());
  a.tier = static_cast<Tier>(p.tier());
  a.owner_id = p.owner_id();
  return a;
}

Contact FromProto(const v1::Contact& p) {
  Contact c;
  c.account_id = p.account_id();
  c.name = p.name();
  c.title = p.title();
  c.phone = p.phone();
  c.email = p.email();
  c.buying_role = static_cast<BuyingRole>(p.buying_role());
  return c;
}

}  // namespace

bool FillArchiveEvent(const std::string& aggregate_type, const nlohmann::json& payload,
                      v1::Event* event) {
  if (aggregate_type == "account") {
    ToProto(AccountFromJson(payload), event->mutable_account());
    return true;
  }
  return false;
}

absl::StatusOr<AccountView> AccountServiceImpl::ReadableAccount(const CallContext& call,
                                                                int64_t id) {
  absl::StatusOr<AccountView> view = stores_.accounts->Get(id, call.principal.subject);
  if (!view.ok()) return HideExistence(view.status(), call.principal);
  if (!CanRead(call.principal, view->works_on)) return NoAccess();
  return view;
}

grpc::ServerUnaryReactor* AccountServiceImpl::CreateAccount(grpc::CallbackServerContext* context,
                                                            const v1::CreateAccountRequest* request,
                                                            v1::CreateAccountResponse* response) {
  return handler_.Run(context, kCreateAccount, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    absl::StatusOr<Account> draft =
        NewAccount(FromProto(request->account()), call.principal, call.now);
    if (!draft.ok()) return draft.status();
    absl::StatusOr<Account> created = stores_.accounts->Create(
        MutationFor(call, "CreateAccount", *request, request->request_id()), *draft);
    if (!created.ok()) return created.status();
    ToProto(*created, response->mutable_account());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::GetAccount(grpc::CallbackServerContext* context,
                                                         const v1::GetAccountRequest* request,
                                                         v1::GetAccountResponse* response) {
  return handler_.Run(context, kGetAccount, [=](const CallContext& call) -> absl::Status {
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    absl::StatusOr<AccountView> view = ReadableAccount(call, request->account_id());
    if (!view.ok()) return view.status();
    ToProto(view->account, response->mutable_account());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListAccounts(grpc::CallbackServerContext* context,
                                                           const v1::ListAccountsRequest* request,
                                                           v1::ListAccountsResponse* response) {
  return handler_.Run(context, kListAccounts, [=](const CallContext& call) -> absl::Status {
    absl::StatusOr<int> page_size = NormalizePageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    absl::StatusOr<AccountFilter> filter =
        ScopeFilter({request->owner_id(), static_cast<Tier>(request->tier()), request->industry(),
                     request->region(), request->name_prefix(), request->include_archived()},
                    call.principal);
    if (!filter.ok()) return filter.status();
    const std::string digest = QueryDigest("ListAccounts", *request);
    absl::StatusOr<int64_t> after = DecodePageToken(request->page_token(), digest);
    if (!after.ok()) return after.status();
    absl::StatusOr<Page<Account>> page = stores_.accounts->List(*filter, *after, *page_size);
    if (!page.ok()) return page.status();
    for (const Account& account : page->items) ToProto(account, response->add_accounts());
    if (page->more) response->set_next_page_token(EncodePageToken(page->items.back().id, digest));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::UpdateAccount(grpc::CallbackServerContext* context,
                                                            const v1::UpdateAccountRequest* request,
                                                            v1::UpdateAccountResponse* response) {
  return handler_.Run(context, kUpdateAccount, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckId("account.id", request->account().id()); !s.ok()) return s;
    const Account patch = FromProto(request->account());
    const std::vector<std::string> paths(request->update_mask().paths().begin(),
                                         request->update_mask().paths().end());
    absl::StatusOr<Account> updated = stores_.accounts->Update(
        MutationFor(call, "UpdateAccount", *request, request->request_id()), patch.id, "updated",
        [&](const Account& current) {
          return ApplyUpdate(current, patch, paths, request->etag(), call.principal, call.now);
        });
    if (!updated.ok()) return HideExistence(updated.status(), call.principal);
    ToProto(*updated, response->mutable_account());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ArchiveAccount(
    grpc::CallbackServerContext* context, const v1::ArchiveAccountRequest* request,
    v1::ArchiveAccountResponse* response) {
  return handler_.Run(context, kArchiveAccount, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    Mutation mutation = MutationFor(call, "ArchiveAccount", *request, request->request_id());
    mutation.note = request->reason();  // the reason lives in the audit trail
    absl::StatusOr<Account> archived = stores_.accounts->Update(
        mutation, request->account_id(), "archived", [&](const Account& current) {
          return Archive(current, request->reason(), call.principal, call.now);
        });
    if (!archived.ok()) return HideExistence(archived.status(), call.principal);
    ToProto(*archived, response->mutable_account());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::CreateContact(grpc::CallbackServerContext* context,
                                                            const v1::CreateContactRequest* request,
                                                            v1::CreateContactResponse* response) {
  return handler_.Run(context, kCreateContact, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckId("contact.account_id", request->contact().account_id()); !s.ok()) {
      return s;
    }
    const Contact draft = FromProto(request->contact());
    absl::StatusOr<Contact> created = stores_.accounts->CreateContact(
        MutationFor(call, "CreateContact", *request, request->request_id()), draft.account_id,
        [&](const Account& account) {
          return NewContact(draft, account, call.principal, call.now);
        });
    if (!created.ok()) return HideExistence(created.status(), call.principal);
    ToProto(*created, response->mutable_contact());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListContacts(grpc::CallbackServerContext* context,
                                                           const v1::ListContactsRequest* request,
                                                           v1::ListContactsResponse* response) {
  return handler_.Run(context, kListContacts, [=](const CallContext& call) -> absl::Status {
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    absl::StatusOr<int> page_size = NormalizePageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    const std::string digest = QueryDigest("ListContacts", *request);
    absl::StatusOr<int64_t> after = DecodePageToken(request->page_token(), digest);
    if (!after.ok()) return after.status();
    if (auto account = ReadableAccount(call, request->account_id()); !account.ok()) {
      return account.status();
    }
    absl::StatusOr<Page<Contact>> page =
        stores_.accounts->ListContacts(request->account_id(), *after, *page_size);
    if (!page.ok()) return page.status();
    for (const Contact& contact : page->items) ToProto(contact, response->add_contacts());
    if (page->more) response->set_next_page_token(EncodePageToken(page->items.back().id, digest));
    return absl::OkStatus();
  });
}

}  // namespace kam::accounts
