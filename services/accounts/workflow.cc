#include "services/accounts/workflow.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "services/common/validation.h"

namespace kam::accounts {
namespace {

constexpr size_t kMaxName = 200;
constexpr size_t kMaxLabel = 100;

const std::set<std::string>& AllUpdatableFields() {
  static const auto* fields = new std::set<std::string>{"name",   "nature", "industry",
                                                        "region", "scale",  "lifecycle_stage",
                                                        "status", "tier",   "owner_id"};
  return *fields;
}

bool IsOwner(const Principal& caller, const Account& account) {
  return caller.HasRole("account_manager") && account.owner_id == caller.subject;
}

// The fields `caller` may change on `account`: directors and admins all; the owning
// manager all but ownership and tier (tier comes from the tier review); system callers all
// but ownership; service agents the basic record.
std::set<std::string> ChangeableFields(const Principal& caller, const Account& account) {
  if (caller.HasAnyRole({"admin", "director"})) return AllUpdatableFields();
  std::set<std::string> fields;
  auto add_all_but = [&](std::initializer_list<std::string_view> excluded) {
    for (const std::string& field : AllUpdatableFields()) {
      if (std::find(excluded.begin(), excluded.end(), field) == excluded.end()) {
        fields.insert(field);
      }
    }
  };
  if (IsOwner(caller, account)) add_all_but({"owner_id", "tier"});
  if (caller.HasRole("system")) add_all_but({"owner_id"});
  if (caller.HasRole("service_agent")) fields.insert({"name", "industry", "region", "scale"});
  return fields;
}

absl::Status ValidateFields(const Account& a) {
  if (auto s = CheckText("account.name", a.name, kMaxName, true); !s.ok()) return s;
  if (auto s = CheckEnum("account.nature", static_cast<int>(a.nature), 5, true); !s.ok()) return s;
  if (auto s = CheckText("account.industry", a.industry, kMaxLabel, false); !s.ok()) return s;
  if (auto s = CheckText("account.region", a.region, kMaxLabel, false); !s.ok()) return s;
  if (auto s = CheckEnum("account.scale", static_cast<int>(a.scale), 4, false); !s.ok()) return s;
  if (auto s = CheckEnum("account.lifecycle_stage", static_cast<int>(a.lifecycle_stage), 6, false);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckEnum("account.status", static_cast<int>(a.status), 4, true); !s.ok()) return s;
  if (auto s = CheckEnum("account.tier", static_cast<int>(a.tier), 4, false); !s.ok()) return s;
  return CheckToken("account.owner_id", a.owner_id, kMaxSubjectChars, true);
}

// Registration numbers (e.g. the unified social credit code): letters, digits and '-'.
absl::Status CheckRegistrationNumber(const std::string& value) {
  constexpr std::string_view kField = "account.registration_number";
  if (value.empty()) return InvalidField(kField, "required");
  if (value.size() > 64) return InvalidField(kField, "longer than 64 characters");
  for (char c : value) {
    if (!absl::ascii_isalnum(c) && c != '-') {
      return InvalidField(kField, "may hold only letters, digits and -");
    }
  }
  return absl::OkStatus();
}

void CopyField(const std::string& path, const Account& from, Account& to) {
  if (path == "name")
    to.name = from.name;
  else if (path == "nature")
    to.nature = from.nature;
  else if (path == "industry")
    to.industry = from.industry;
  else if (path == "region")
    to.region = from.region;
  else if (path == "scale")
    to.scale = from.scale;
  else if (path == "lifecycle_stage")
    to.lifecycle_stage = from.lifecycle_stage;
  else if (path == "status")
    to.status = from.status;
  else if (path == "tier")
    to.tier = from.tier;
  else if (path == "owner_id")
    to.owner_id = from.owner_id;
}

absl::Status CheckPaths(const std::vector<std::string>& paths) {
  if (paths.empty()) return InvalidField("update_mask", "required: name the fields to change");
  for (const std::string& path : paths) {
    if (AllUpdatableFields().count(path) == 0) {
      return InvalidField("update_mask",
                          absl::StrCat("\"", path, "\" is not a field that can be updated"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string Etag(const Account& account) { return absl::StrCat("v", account.version); }

bool SeesAllAccounts(const Principal& caller) {
  return caller.HasAnyRole({"admin", "director", "service_agent", "handler", "analyst", "system"});
}

bool CanRead(const Principal& caller, bool works_on) {
  return SeesAllAccounts(caller) || (caller.HasRole("account_manager") && works_on);
}

bool CanWork(const Principal& caller, bool works_on) {
  return caller.HasAnyRole({"admin", "director"}) ||
         (caller.HasRole("account_manager") && works_on);
}

bool SeesPersonalNotes(const Principal& caller, bool works_on) { return CanWork(caller, works_on); }

bool SeesFinancials(const Principal& caller) {
  return caller.HasAnyRole({"admin", "director", "account_manager", "analyst", "system"});
}

absl::StatusOr<Account> NewAccount(Account draft, const Principal& caller, absl::Time now) {
  if (draft.owner_id.empty()) draft.owner_id = caller.subject;
  if (draft.status == AccountStatus::kUnspecified) draft.status = AccountStatus::kActive;
  if (auto s = CheckRegistrationNumber(draft.registration_number); !s.ok()) return s;
  if (auto s = ValidateFields(draft); !s.ok()) return s;
  const bool decides_tiers = caller.HasAnyRole({"admin", "director", "system"});
  if (!decides_tiers && draft.owner_id != caller.subject) {
    return absl::PermissionDeniedError("account managers create accounts they own themselves");
  }
  if (!decides_tiers && draft.tier != Tier::kUnspecified) {
    return absl::PermissionDeniedError("account.tier is set by the tier review, not on creation");
  }
  draft.id = 0;
  draft.archived = false;
  draft.archive_time.reset();
  draft.version = 1;
  draft.create_time = draft.update_time = now;
  return draft;
}

absl::StatusOr<AccountFilter> ScopeFilter(AccountFilter requested, const Principal& caller) {
  if (auto s = CheckToken("owner_id", requested.owner_id, kMaxSubjectChars, false); !s.ok()) {
    return s;
  }
  if (auto s = CheckEnum("tier", static_cast<int>(requested.tier), 4, false); !s.ok()) return s;
  if (auto s = CheckText("industry", requested.industry, kMaxLabel, false); !s.ok()) return s;
  if (auto s = CheckText("region", requested.region, kMaxLabel, false); !s.ok()) return s;
  if (auto s = CheckText("name_prefix", requested.name_prefix, kMaxName, false); !s.ok()) return s;
  const bool sees_all =
      caller.HasAnyRole({"admin", "director", "service_agent", "handler", "analyst", "system"});
  if (!sees_all) {
    if (!requested.owner_id.empty() && requested.owner_id != caller.subject) {
      return absl::PermissionDeniedError("account managers list only their own accounts");
    }
    requested.owner_id = caller.subject;
  }
  return requested;
}

absl::StatusOr<Account> ApplyUpdate(Account current, const Account& patch,
                                    const std::vector<std::string>& paths, std::string_view etag,
                                    const Principal& caller, absl::Time now) {
  if (!CanRead(caller, IsOwner(caller, current)))
    return absl::PermissionDeniedError("no access to this account");
  if (auto s = CheckPaths(paths); !s.ok()) return s;
  if (etag.empty()) return InvalidField("etag", "required: send the etag you read");
  const std::set<std::string> allowed = ChangeableFields(caller, current);
  for (const std::string& path : paths) {
    if (allowed.count(path) == 0) {
      return absl::PermissionDeniedError(absl::StrCat("your role may not change ", path));
    }
  }
  if (current.archived) return absl::FailedPreconditionError("account is archived");
  if (etag != Etag(current)) {
    return absl::AbortedError("etag is stale: the account changed since it was read");
  }
  for (const std::string& path : paths) CopyField(path, patch, current);
  if (auto s = ValidateFields(current); !s.ok()) return s;
  ++current.version;
  current.update_time = now;
  return current;
}

absl::StatusOr<Account> Archive(Account current, std::string_view reason, const Principal& caller,
                                absl::Time now) {
  if (!CanRead(caller, IsOwner(caller, current)))
    return absl::PermissionDeniedError("no access to this account");
  if (!caller.HasAnyRole({"admin", "director"}) && !IsOwner(caller, current)) {
    return absl::PermissionDeniedError("only the owner or a director may archive an account");
  }
  if (auto s = CheckText("reason", reason, 500, false); !s.ok()) return s;
  if (current.archived) return absl::FailedPreconditionError("account is already archived");
  current.archived = true;
  current.archive_time = now;
  current.update_time = now;
  ++current.version;
  return current;
}

absl::StatusOr<Contact> NewContact(Contact draft, const Account& account, const Principal& caller,
                                   absl::Time now) {
  if (!CanRead(caller, IsOwner(caller, account)))
    return absl::PermissionDeniedError("no access to this account");
  if (!caller.HasAnyRole({"admin", "director", "service_agent"}) && !IsOwner(caller, account)) {
    return absl::PermissionDeniedError("your role may not add contacts to this account");
  }
  if (account.archived) return absl::FailedPreconditionError("account is archived");
  if (auto s = CheckText("contact.name", draft.name, 100, true); !s.ok()) return s;
  if (auto s = CheckText("contact.title", draft.title, 100, false); !s.ok()) return s;
  if (auto s = CheckText("contact.phone", draft.phone, 40, false); !s.ok()) return s;
  if (draft.phone.find_first_not_of("0123456789 +-()") != std::string::npos) {
    return InvalidField("contact.phone", "may hold only digits, spaces and + - ( )");
  }
  if (auto s = CheckText("contact.email", draft.email, 200, false); !s.ok()) return s;
  if (!draft.email.empty() && draft.email.find('@') == std::string::npos) {
    return InvalidField("contact.email", "not an e-mail address");
  }
  if (auto s = CheckEnum("contact.buying_role", static_cast<int>(draft.buying_role), 6, false);
      !s.ok()) {
    return s;
  }
  draft.id = 0;
  draft.create_time = now;
  return draft;
}

}  // namespace kam::accounts
