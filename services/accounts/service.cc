#include "services/accounts/service.h"

#include "absl/strings/str_cat.h"
#include "services/accounts/store.h"
#include "services/common/status.h"
#include "services/common/validation.h"

// The accounts themselves: create, read, list, update, archive, the group tree; and the
// archive's event payloads.
namespace kam::accounts {
namespace {

// Full method names, as metrics and access logs name them.
constexpr char kCreateAccount[] = "/kam.accounts.v1.AccountService/CreateAccount";
constexpr char kGetAccount[] = "/kam.accounts.v1.AccountService/GetAccount";
constexpr char kListAccounts[] = "/kam.accounts.v1.AccountService/ListAccounts";
constexpr char kUpdateAccount[] = "/kam.accounts.v1.AccountService/UpdateAccount";
constexpr char kArchiveAccount[] = "/kam.accounts.v1.AccountService/ArchiveAccount";
constexpr char kGetGroupTree[] = "/kam.accounts.v1.AccountService/GetGroupTree";

// The most nodes GetGroupTree returns.
constexpr int kMaxTreeNodes = 10000;

void AddNode(const GroupNode& node, v1::GetGroupTreeResponse* response) {
  v1::GroupNode* out = response->add_nodes();
  out->set_account_id(node.account_id);
  out->set_parent_id(node.parent_id);
  out->set_name(node.name);
  out->set_depth(node.depth);
}

}  // namespace

bool FillArchiveEvent(const std::string& aggregate_type, const nlohmann::json& payload,
                      v1::Event* event) {
  if (aggregate_type == "account") {
    ToProto(AccountFromJson(payload), event->mutable_account());
    for (const nlohmann::json& change : payload.value("changes", nlohmann::json::array())) {
      ToProto(AccountChangeFromJson(change), event->add_changes());
    }
    return true;
  }
  if (aggregate_type == "contact") {
    ToProto(ContactFromJson(payload), /*notes_hidden=*/true, event->mutable_contact());
    return true;
  }
  if (aggregate_type == "team") {
    ToProto(TeamMemberFromJson(payload), event->mutable_team_member());
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
    if (request->account().has_business()) {
      absl::StatusOr<int64_t> revenue = CheckMoney("account.business.annual_revenue",
                                                   request->account().business().annual_revenue());
      if (!revenue.ok()) return revenue.status();
    }
    absl::StatusOr<Account> draft =
        NewAccount(FromProto(request->account()), call.principal, call.now);
    if (!draft.ok()) return draft.status();
    if (draft->parent_id != 0 && !SeesAllAccounts(call.principal)) {
      // A manager may build a group only under an account they can see.
      if (auto parent = ReadableAccount(call, draft->parent_id); !parent.ok()) {
        return parent.status();
      }
    }
    absl::StatusOr<Account> created = stores_.accounts->Create(
        MutationFor(call, "CreateAccount", *request, request->request_id()), *draft);
    if (!created.ok()) return created.status();
    ToProto(RedactAccount(*created, call.principal), response->mutable_account());
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
    ToProto(RedactAccount(view->account, call.principal), response->mutable_account());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListAccounts(grpc::CallbackServerContext* context,
                                                           const v1::ListAccountsRequest* request,
                                                           v1::ListAccountsResponse* response) {
  return handler_.Run(context, kListAccounts, [=](const CallContext& call) -> absl::Status {
    absl::StatusOr<int> page_size = NormalizePageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    AccountFilter requested;
    requested.owner_id = request->owner_id();
    requested.tier = static_cast<Tier>(request->tier());
    requested.industry = request->industry();
    requested.region = request->region();
    requested.name_prefix = request->name_prefix();
    requested.include_archived = request->include_archived();
    requested.parent_id = request->parent_id();
    requested.status = static_cast<AccountStatus>(request->status());
    requested.tag = request->tag();
    absl::StatusOr<AccountFilter> filter = ScopeFilter(requested, call.principal);
    if (!filter.ok()) return filter.status();
    const std::string digest = PageTokenKey(call, "ListAccounts", *request);
    absl::StatusOr<int64_t> after = DecodePageToken(request->page_token(), digest);
    if (!after.ok()) return after.status();
    absl::StatusOr<Page<Account>> page = stores_.accounts->List(*filter, *after, *page_size);
    if (!page.ok()) return page.status();
    for (const Account& account : page->items) {
      ToProto(RedactAccount(account, call.principal), response->add_accounts());
    }
    if (page->more) {
      response->set_next_page_token(EncodePageToken(page->items.back().id, digest));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::UpdateAccount(grpc::CallbackServerContext* context,
                                                            const v1::UpdateAccountRequest* request,
                                                            v1::UpdateAccountResponse* response) {
  return handler_.Run(context, kUpdateAccount, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckId("account.id", request->account().id()); !s.ok()) return s;
    if (auto s = CheckText("reason", request->reason(), 500, false); !s.ok()) return s;
    absl::StatusOr<int64_t> revenue = CheckMoney("account.business.annual_revenue",
                                                 request->account().business().annual_revenue());
    if (!revenue.ok()) return revenue.status();
    const Account patch = FromProto(request->account());
    const std::vector<std::string> paths(request->update_mask().paths().begin(),
                                         request->update_mask().paths().end());
    Mutation mutation = MutationFor(call, "UpdateAccount", *request, request->request_id());
    mutation.note = request->reason();
    absl::StatusOr<Account> updated = stores_.accounts->Update(
        mutation, patch.id, call.principal.subject, "updated", [&](const AccountView& current) {
          return ApplyUpdate(current.account, current.works_on, patch, paths, request->etag(),
                             call.principal, call.now);
        });
    if (!updated.ok()) return HideExistence(updated.status(), call.principal);
    ToProto(RedactAccount(*updated, call.principal), response->mutable_account());
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
    absl::StatusOr<Account> archived = stores_.accounts->Archive(
        mutation, request->account_id(), call.principal.subject,
        [&](const AccountView& current, int live_subsidiaries) -> absl::StatusOr<Account> {
          if (!CanRead(call.principal, current.works_on)) return NoAccess();
          return Archive(current.account, request->reason(), live_subsidiaries, call.principal,
                         call.now);
        });
    if (!archived.ok()) return HideExistence(archived.status(), call.principal);
    ToProto(RedactAccount(*archived, call.principal), response->mutable_account());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::GetGroupTree(grpc::CallbackServerContext* context,
                                                           const v1::GetGroupTreeRequest* request,
                                                           v1::GetGroupTreeResponse* response) {
  return handler_.Run(context, kGetGroupTree, [=](const CallContext& call) -> absl::Status {
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    if (request->max_depth() < 0) return InvalidField("max_depth", "must not be negative");
    if (auto view = ReadableAccount(call, request->account_id()); !view.ok()) {
      return view.status();
    }
    // Managers see the shape of the group, and the names of the accounts they work on.
    const std::string hide_for = SeesAllAccounts(call.principal) ? "" : call.principal.subject;
    if (request->include_ancestors()) {
      absl::StatusOr<std::vector<GroupNode>> ancestors =
          stores_.accounts->Ancestors(request->account_id(), hide_for);
      if (!ancestors.ok()) return ancestors.status();
      for (const GroupNode& node : *ancestors) AddNode(node, response);
    }
    absl::StatusOr<GroupTree> tree = stores_.accounts->Tree(
        request->account_id(), request->max_depth(), kMaxTreeNodes, hide_for);
    if (!tree.ok()) return tree.status();
    for (const GroupNode& node : tree->nodes) AddNode(node, response);
    response->set_truncated(tree->truncated);
    return absl::OkStatus();
  });
}

}  // namespace kam::accounts
