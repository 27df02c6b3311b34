#include "absl/strings/str_cat.h"
#include "services/accounts/service.h"
#include "services/accounts/store.h"
#include "services/common/status.h"
#include "services/common/validation.h"

// Around the account: contacts, the account team, ownership transfers, tier, credit and
// their history.
namespace kam::accounts {
namespace {

constexpr char kCreateContact[] = "/kam.accounts.v1.AccountService/CreateContact";
constexpr char kListContacts[] = "/kam.accounts.v1.AccountService/ListContacts";
constexpr char kUpdateContact[] = "/kam.accounts.v1.AccountService/UpdateContact";
constexpr char kAddTeamMember[] = "/kam.accounts.v1.AccountService/AddTeamMember";
constexpr char kRemoveTeamMember[] = "/kam.accounts.v1.AccountService/RemoveTeamMember";
constexpr char kListTeamMembers[] = "/kam.accounts.v1.AccountService/ListTeamMembers";
constexpr char kTransferAccounts[] = "/kam.accounts.v1.AccountService/TransferAccounts";
constexpr char kSetTier[] = "/kam.accounts.v1.AccountService/SetTier";
constexpr char kListAccountHistory[] = "/kam.accounts.v1.AccountService/ListAccountHistory";
constexpr char kSetCredit[] = "/kam.accounts.v1.AccountService/SetCredit";

void ToProtoFor(const Contact& contact, const Principal& caller, bool works_on, v1::Contact* out) {
  ToProto(RedactContact(contact, caller, works_on), !SeesPersonalNotes(caller, works_on), out);
}

bool IsCreditHistory(HistoryKind kind) {
  return kind == HistoryKind::kCreditRating || kind == HistoryKind::kCreditLimit;
}

}  // namespace

grpc::ServerUnaryReactor* AccountServiceImpl::CreateContact(grpc::CallbackServerContext* context,
                                                            const v1::CreateContactRequest* request,
                                                            v1::CreateContactResponse* response) {
  return handler_.Run(context, kCreateContact, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckId("contact.account_id", request->contact().account_id()); !s.ok()) {
      return s;
    }
    const Contact draft = FromProto(request->contact());
    bool works_on = false;
    absl::StatusOr<Contact> created = stores_.accounts->CreateContact(
        MutationFor(call, "CreateContact", *request, request->request_id()), draft.account_id,
        call.principal.subject, [&](const AccountView& account) -> absl::StatusOr<Contact> {
          if (!CanRead(call.principal, account.works_on)) return NoAccess();
          works_on = account.works_on;
          return NewContact(draft, account.account, account.works_on, call.principal, call.now);
        });
    if (!created.ok()) return HideExistence(created.status(), call.principal);
    ToProtoFor(*created, call.principal, works_on, response->mutable_contact());
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
    const std::string digest = PageTokenKey(call, "ListContacts", *request);
    absl::StatusOr<int64_t> after = DecodePageToken(request->page_token(), digest);
    if (!after.ok()) return after.status();
    absl::StatusOr<AccountView> account = ReadableAccount(call, request->account_id());
    if (!account.ok()) return account.status();
    absl::StatusOr<Page<Contact>> page =
        stores_.accounts->ListContacts(request->account_id(), *after, *page_size);
    if (!page.ok()) return page.status();
    for (const Contact& contact : page->items) {
      ToProtoFor(contact, call.principal, account->works_on, response->add_contacts());
    }
    if (page->more) {
      response->set_next_page_token(EncodePageToken(page->items.back().id, digest));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::UpdateContact(grpc::CallbackServerContext* context,
                                                            const v1::UpdateContactRequest* request,
                                                            v1::UpdateContactResponse* response) {
  return handler_.Run(context, kUpdateContact, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckId("contact.id", request->contact().id()); !s.ok()) return s;
    const Contact patch = FromProto(request->contact());
    const std::vector<std::string> paths(request->update_mask().paths().begin(),
                                         request->update_mask().paths().end());
    bool works_on = false;
    absl::StatusOr<Contact> updated = stores_.accounts->UpdateContact(
        MutationFor(call, "UpdateContact", *request, request->request_id()), patch.id,
        call.principal.subject,
        [&](const Contact& current, const AccountView& account) -> absl::StatusOr<Contact> {
          if (!CanRead(call.principal, account.works_on)) return NoAccess();
          works_on = account.works_on;
          return ApplyContactUpdate(current, account.account, account.works_on, patch, paths,
                                    request->etag(), call.principal, call.now);
        });
    if (!updated.ok()) return HideExistence(updated.status(), call.principal);
    ToProtoFor(*updated, call.principal, works_on, response->mutable_contact());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::AddTeamMember(grpc::CallbackServerContext* context,
                                                            const v1::AddTeamMemberRequest* request,
                                                            v1::AddTeamMemberResponse* response) {
  return handler_.Run(context, kAddTeamMember, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    const v1::TeamMember& wanted = request->member();
    if (auto s = CheckId("member.account_id", wanted.account_id()); !s.ok()) return s;
    TeamMember draft;
    draft.member_id = wanted.member_id();
    draft.role = static_cast<TeamRole>(wanted.role());
    absl::StatusOr<TeamMember> added = stores_.accounts->AddTeamMember(
        MutationFor(call, "AddTeamMember", *request, request->request_id()), wanted.account_id(),
        call.principal.subject, [&](const AccountView& account) -> absl::StatusOr<TeamMember> {
          if (!CanRead(call.principal, account.works_on)) return NoAccess();
          return NewTeamMember(draft, account.account, call.principal, call.now);
        });
    if (!added.ok()) return HideExistence(added.status(), call.principal);
    ToProto(*added, response->mutable_member());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::RemoveTeamMember(
    grpc::CallbackServerContext* context, const v1::RemoveTeamMemberRequest* request,
    v1::RemoveTeamMemberResponse* /*response*/) {
  return handler_.Run(context, kRemoveTeamMember, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    if (auto s = CheckToken("member_id", request->member_id(), kMaxSubjectChars, true); !s.ok()) {
      return s;
    }
    absl::StatusOr<TeamMember> removed = stores_.accounts->RemoveTeamMember(
        MutationFor(call, "RemoveTeamMember", *request, request->request_id()),
        request->account_id(), request->member_id(), call.principal.subject,
        [&](const AccountView& account) -> absl::Status {
          if (!CanRead(call.principal, account.works_on)) return NoAccess();
          if (!ManagesTeam(call.principal, account.account)) {
            return absl::PermissionDeniedError("only the owner or a director may change the team");
          }
          return absl::OkStatus();
        });
    return HideExistence(removed.status(), call.principal);
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListTeamMembers(
    grpc::CallbackServerContext* context, const v1::ListTeamMembersRequest* request,
    v1::ListTeamMembersResponse* response) {
  return handler_.Run(context, kListTeamMembers, [=](const CallContext& call) -> absl::Status {
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    if (auto account = ReadableAccount(call, request->account_id()); !account.ok()) {
      return account.status();
    }
    absl::StatusOr<std::vector<TeamMember>> members =
        stores_.accounts->ListTeamMembers(request->account_id());
    if (!members.ok()) return members.status();
    for (const TeamMember& member : *members) ToProto(member, response->add_members());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::TransferAccounts(
    grpc::CallbackServerContext* context, const v1::TransferAccountsRequest* request,
    v1::TransferAccountsResponse* response) {
  return handler_.Run(context, kTransferAccounts, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    Transfer transfer;
    transfer.from_owner_id = request->from_owner_id();
    transfer.to_owner_id = request->to_owner_id();
    transfer.account_ids.assign(request->account_ids().begin(), request->account_ids().end());
    transfer.reason = request->reason();
    if (auto s = CheckTransfer(transfer, call.principal); !s.ok()) return s;
    Mutation mutation = MutationFor(call, "TransferAccounts", *request, request->request_id());
    mutation.note = transfer.reason;
    absl::StatusOr<TransferResult> moved = stores_.accounts->TransferAccounts(mutation, transfer);
    if (!moved.ok()) return moved.status();
    response->set_accounts_moved(moved->accounts);
    response->set_opportunities_moved(moved->opportunities);
    response->set_visit_plans_moved(moved->visit_plans);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::SetTier(grpc::CallbackServerContext* context,
                                                      const v1::SetTierRequest* request,
                                                      v1::SetTierResponse* response) {
  return handler_.Run(context, kSetTier, [=](const CallContext& call) -> absl::Status {
    // Before the account is read: a caller who may never set a tier must not learn from the
    // answer whether the account exists (ApplyTier keeps the rule).
    if (!Supervises(call.principal) && !call.principal.HasRole("system")) {
      return absl::PermissionDeniedError("tiers are set by directors and the tier review");
    }
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    Mutation mutation = MutationFor(call, "SetTier", *request, request->request_id());
    mutation.note = request->review_id().empty()
                        ? request->reason()
                        : absl::StrCat(request->reason(), " (review ", request->review_id(), ")");
    absl::StatusOr<Account> updated = stores_.accounts->Update(
        mutation, request->account_id(), call.principal.subject, "tier_changed",
        [&](const AccountView& current) {
          return ApplyTier(current.account, static_cast<Tier>(request->tier()), request->reason(),
                           request->review_id(), call.principal, call.now);
        });
    if (!updated.ok()) return HideExistence(updated.status(), call.principal);
    ToProto(RedactAccount(*updated, call.principal), response->mutable_account());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::SetCredit(grpc::CallbackServerContext* context,
                                                        const v1::SetCreditRequest* request,
                                                        v1::SetCreditResponse* response) {
  return handler_.Run(context, kSetCredit, [=](const CallContext& call) -> absl::Status {
    // Before the account is read, as for SetTier.
    if (!Supervises(call.principal)) return absl::PermissionDeniedError("credit is set by directors");
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    CreditChange change;
    change.reason = request->reason();
    for (const std::string& path : request->update_mask().paths()) {
      if (path == "credit_rating") {
        change.rating = static_cast<CreditRating>(request->credit_rating());
      } else if (path == "credit_limit") {
        absl::StatusOr<int64_t> limit = CheckMoney("credit_limit", request->credit_limit());
        if (!limit.ok()) return limit.status();
        change.limit_minor = *limit;
      } else {
        return InvalidField("update_mask", absl::StrCat("\"", path, "\" is not a credit field"));
      }
    }
    Mutation mutation = MutationFor(call, "SetCredit", *request, request->request_id());
    mutation.note = request->reason();
    absl::StatusOr<Account> updated = stores_.accounts->Update(
        mutation, request->account_id(), call.principal.subject, "credit_changed",
        [&](const AccountView& current) {
          return ApplyCredit(current.account, change, call.principal, call.now);
        });
    if (!updated.ok()) return HideExistence(updated.status(), call.principal);
    ToProto(*updated, response->mutable_account());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListAccountHistory(
    grpc::CallbackServerContext* context, const v1::ListAccountHistoryRequest* request,
    v1::ListAccountHistoryResponse* response) {
  return handler_.Run(context, kListAccountHistory, [=](const CallContext& call) -> absl::Status {
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    if (auto s = CheckEnum("kind", request->kind(), 5, false); !s.ok()) return s;
    const auto kind = static_cast<HistoryKind>(request->kind());
    if (IsCreditHistory(kind) && !SeesFinancials(call.principal)) return NoAccess();
    absl::StatusOr<int> page_size = NormalizePageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    const std::string digest = PageTokenKey(call, "ListAccountHistory", *request);
    absl::StatusOr<int64_t> before = DecodePageToken(request->page_token(), digest);
    if (!before.ok()) return before.status();
    if (auto account = ReadableAccount(call, request->account_id()); !account.ok()) {
      return account.status();
    }
    absl::StatusOr<Page<AccountChange>> page =
        stores_.accounts->ListHistory(request->account_id(), kind, *before, *page_size);
    if (!page.ok()) return page.status();
    for (const AccountChange& change : page->items) {
      if (IsCreditHistory(change.kind) && !SeesFinancials(call.principal)) continue;
      ToProto(change, response->add_changes());
    }
    if (page->more) {
      response->set_next_page_token(EncodePageToken(page->items.back().id, digest));
    }
    return absl::OkStatus();
  });
}

}  // namespace kam::accounts
