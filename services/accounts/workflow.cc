#include "services/accounts/workflow.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/masking.h"
#include "services/common/status.h"
#include "services/common/validation.h"

namespace kam::accounts {
namespace {

constexpr size_t kMaxName = 200;
constexpr size_t kMaxLabel = 100;
constexpr size_t kMaxProfileText = 500;
constexpr size_t kMaxReason = 500;
constexpr size_t kMaxTags = 20;
constexpr size_t kMaxTagChars = 50;
constexpr size_t kMaxTransfer = 10000;

// Business profile paths may be named one by one ("business.reputation") or as a whole.
const std::vector<std::string>& BusinessFields() {
  static const auto* fields =
      new std::vector<std::string>{"service_area",       "sales_capability",     "growth_potential",
                                   "business_direction", "competitive_position", "reputation",
                                   "trade_terms",        "employee_count",       "annual_revenue"};
  return *fields;
}

// What UpdateAccount may change; tier and credit have their own methods (with history).
const std::set<std::string>& UpdatableFields() {
  static const auto* fields = [] {
    auto* all = new std::set<std::string>{"name",
                                          "nature",
                                          "industry",
                                          "region",
                                          "scale",
                                          "lifecycle_stage",
                                          "status",
                                          "owner_id",
                                          "parent_id",
                                          "transaction_process",
                                          "volume_position",
                                          "address",
                                          "phone",
                                          "legal_representative",
                                          "business",
                                          "tags"};
    for (const std::string& field : BusinessFields()) all->insert("business." + field);
    return all;
  }();
  return *fields;
}

bool IsOwner(const Principal& caller, const Account& account) {
  return caller.HasRole("account_manager") && account.owner_id == caller.subject;
}

bool IsBasicField(const std::string& path) {
  static const auto* basic =
      new std::set<std::string>{"name", "industry", "region", "scale", "address", "phone"};
  return basic->count(path) > 0;
}

// Whether `caller` may change `path`: directors and admins everything; those who work on
// the account (and system callers) all but ownership, hierarchy and status; service agents
// the basic record.
bool MayChange(const Principal& caller, bool works_on, const std::string& path) {
  if (Supervises(caller)) return true;
  // Ownership, hierarchy and the trading status (lifting a supply suspension would bypass
  // the credit gate) are decisions above the account team.
  const bool structural = path == "owner_id" || path == "parent_id" || path == "status";
  if (caller.HasRole("account_manager") && works_on && !structural) return true;
  if (caller.HasRole("system") && !structural) return true;
  return caller.HasRole("service_agent") && IsBasicField(path);
}

absl::Status CheckPhone(std::string_view field, const std::string& phone) {
  if (auto s = CheckText(field, phone, 40, false); !s.ok()) return s;
  if (phone.find_first_not_of("0123456789 +-()") != std::string::npos) {
    return InvalidField(field, "may hold only digits, spaces and + - ( )");
  }
  return absl::OkStatus();
}

absl::Status CheckBusiness(const BusinessProfile& b) {
  const std::pair<const char*, const std::string*> texts[] = {
      {"account.business.service_area", &b.service_area},
      {"account.business.sales_capability", &b.sales_capability},
      {"account.business.growth_potential", &b.growth_potential},
      {"account.business.business_direction", &b.business_direction},
      {"account.business.competitive_position", &b.competitive_position},
      {"account.business.reputation", &b.reputation},
      {"account.business.trade_terms", &b.trade_terms}};
  for (const auto& [field, value] : texts) {
    if (auto s = CheckText(field, *value, kMaxProfileText, false); !s.ok()) return s;
  }
  if (b.employee_count < 0) {
    return InvalidField("account.business.employee_count", "must not be negative");
  }
  if (b.annual_revenue_minor < 0) {
    return InvalidField("account.business.annual_revenue", "must not be negative");
  }
  return absl::OkStatus();
}

// Tags are kept sorted and unique; a duplicate in the request is a mistake worth naming.
absl::Status NormalizeTags(std::vector<std::string>& tags) {
  if (tags.size() > kMaxTags) {
    return InvalidField("account.tags", absl::StrCat("at most ", kMaxTags, " tags"));
  }
  for (const std::string& tag : tags) {
    if (auto s = CheckText("account.tags", tag, kMaxTagChars, true); !s.ok()) return s;
  }
  std::sort(tags.begin(), tags.end());
  if (std::adjacent_find(tags.begin(), tags.end()) != tags.end()) {
    return InvalidField("account.tags", "a tag is listed twice");
  }
  return absl::OkStatus();
}

absl::Status ValidateFields(Account& a) {
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
  if (auto s = CheckEnum("account.transaction_process", static_cast<int>(a.transaction_process), 3,
                         false);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckEnum("account.volume_position", static_cast<int>(a.volume_position), 3, false);
      !s.ok()) {
    return s;
  }
  if (a.parent_id < 0) return InvalidField("account.parent_id", "must be an account id or 0");
  if (auto s = CheckText("account.address", a.address, 300, false); !s.ok()) return s;
  if (auto s = CheckPhone("account.phone", a.phone); !s.ok()) return s;
  if (auto s = CheckText("account.legal_representative", a.legal_representative, kMaxLabel, false);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckBusiness(a.business); !s.ok()) return s;
  if (auto s = NormalizeTags(a.tags); !s.ok()) return s;
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

void CopyBusinessField(const std::string& field, const BusinessProfile& from, BusinessProfile& to) {
  if (field == "service_area") to.service_area = from.service_area;
  if (field == "sales_capability") to.sales_capability = from.sales_capability;
  if (field == "growth_potential") to.growth_potential = from.growth_potential;
  if (field == "business_direction") to.business_direction = from.business_direction;
  if (field == "competitive_position") to.competitive_position = from.competitive_position;
  if (field == "reputation") to.reputation = from.reputation;
  if (field == "trade_terms") to.trade_terms = from.trade_terms;
  if (field == "employee_count") to.employee_count = from.employee_count;
  if (field == "annual_revenue") to.annual_revenue_minor = from.annual_revenue_minor;
}

void CopyField(const std::string& path, const Account& from, Account& to) {
  if (path == "name") to.name = from.name;
  if (path == "nature") to.nature = from.nature;
  if (path == "industry") to.industry = from.industry;
  if (path == "region") to.region = from.region;
  if (path == "scale") to.scale = from.scale;
  if (path == "lifecycle_stage") to.lifecycle_stage = from.lifecycle_stage;
  if (path == "status") to.status = from.status;
  if (path == "owner_id") to.owner_id = from.owner_id;
  if (path == "parent_id") to.parent_id = from.parent_id;
  if (path == "transaction_process") to.transaction_process = from.transaction_process;
  if (path == "volume_position") to.volume_position = from.volume_position;
  if (path == "address") to.address = from.address;
  if (path == "phone") to.phone = from.phone;
  if (path == "legal_representative") to.legal_representative = from.legal_representative;
  if (path == "business") to.business = from.business;
  if (path == "tags") to.tags = from.tags;
  if (absl::StartsWith(path, "business.")) {
    CopyBusinessField(path.substr(9), from.business, to.business);
  }
}

absl::Status CheckPaths(const std::vector<std::string>& paths, const std::set<std::string>& known) {
  if (paths.empty()) return InvalidField("update_mask", "required: name the fields to change");
  for (const std::string& path : paths) {
    if (known.count(path) == 0) {
      return InvalidField("update_mask",
                          absl::StrCat("\"", path, "\" is not a field that can be updated"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckReason(std::string_view reason, bool required) {
  return CheckText("reason", reason, kMaxReason, required);
}

const char* TierName(Tier tier) {
  static const char* names[] = {"TIER_UNSPECIFIED", "TIER_A", "TIER_B", "TIER_C", "TIER_D"};
  return names[static_cast<int>(tier)];
}

const char* RatingName(CreditRating rating) {
  static const char* names[] = {
      "CREDIT_RATING_UNSPECIFIED", "CREDIT_RATING_AAA", "CREDIT_RATING_AA", "CREDIT_RATING_A",
      "CREDIT_RATING_BBB",         "CREDIT_RATING_BB",  "CREDIT_RATING_B",  "CREDIT_RATING_C"};
  return names[static_cast<int>(rating)];
}

absl::Status CheckPersonalNotes(const PersonalNotes& n, absl::Time now) {
  if (auto s = CheckText("contact.personal_notes.character", n.character, 500, false); !s.ok()) {
    return s;
  }
  if (auto s = CheckText("contact.personal_notes.interests", n.interests, 500, false); !s.ok()) {
    return s;
  }
  if (auto s = CheckText("contact.personal_notes.family", n.family, 500, false); !s.ok()) return s;
  if (auto s = CheckText("contact.personal_notes.education", n.education, 200, false); !s.ok()) {
    return s;
  }
  const int this_year = absl::ToCivilYear(now, absl::UTCTimeZone()).year();
  if (n.birth_year != 0 && (n.birth_year < 1900 || n.birth_year > this_year)) {
    return InvalidField("contact.personal_notes.birth_year",
                        absl::StrCat("must be 0 (unknown) or 1900..", this_year));
  }
  return absl::OkStatus();
}

bool HasNotes(const PersonalNotes& n) {
  return !n.character.empty() || !n.interests.empty() || !n.family.empty() ||
         !n.education.empty() || n.birth_year != 0;
}

absl::Status CheckContactFields(const Contact& c, absl::Time now) {
  if (auto s = CheckText("contact.name", c.name, 100, true); !s.ok()) return s;
  if (auto s = CheckText("contact.title", c.title, 100, false); !s.ok()) return s;
  if (auto s = CheckPhone("contact.phone", c.phone); !s.ok()) return s;
  if (auto s = CheckText("contact.email", c.email, 200, false); !s.ok()) return s;
  if (!c.email.empty() && c.email.find('@') == std::string::npos) {
    return InvalidField("contact.email", "not an e-mail address");
  }
  if (auto s = CheckEnum("contact.buying_role", static_cast<int>(c.buying_role), 6, false);
      !s.ok()) {
    return s;
  }
  return CheckPersonalNotes(c.notes, now);
}

void CopyContactField(const std::string& path, const Contact& from, Contact& to) {
  if (path == "name") to.name = from.name;
  if (path == "title") to.title = from.title;
  if (path == "phone") to.phone = from.phone;
  if (path == "email") to.email = from.email;
  if (path == "buying_role") to.buying_role = from.buying_role;
  if (path == "personal_notes") to.notes = from.notes;
  if (path == "personal_notes.character") to.notes.character = from.notes.character;
  if (path == "personal_notes.interests") to.notes.interests = from.notes.interests;
  if (path == "personal_notes.family") to.notes.family = from.notes.family;
  if (path == "personal_notes.education") to.notes.education = from.notes.education;
  if (path == "personal_notes.birth_year") to.notes.birth_year = from.notes.birth_year;
}

}  // namespace

std::string Etag(const Account& account) { return absl::StrCat("v", account.version); }
std::string Etag(const Contact& contact) { return absl::StrCat("c", contact.version); }

bool SeesAllAccounts(const Principal& caller) {
  return caller.HasAnyRole({"admin", "director", "service_agent", "handler", "analyst", "system"});
}

bool CanRead(const Principal& caller, bool works_on) {
  return SeesAllAccounts(caller) || (caller.HasRole("account_manager") && works_on);
}

bool CanWork(const Principal& caller, bool works_on) {
  return Supervises(caller) || (caller.HasRole("account_manager") && works_on);
}

bool SeesPersonalNotes(const Principal& caller, bool works_on) { return CanWork(caller, works_on); }

bool SeesFinancials(const Principal& caller) {
  return caller.HasAnyRole({"admin", "director", "account_manager", "analyst", "system"});
}

bool Supervises(const Principal& caller) { return caller.HasAnyRole({"admin", "director"}); }

Account RedactAccount(Account account, const Principal& caller) {
  if (SeesFinancials(caller)) return account;
  account.business = BusinessProfile();
  account.credit_rating = CreditRating::kUnspecified;
  account.credit_limit_minor = 0;
  account.receivable_minor = 0;
  return account;
}

Contact RedactContact(Contact contact, const Principal& caller, bool works_on) {
  if (!SeesPersonalNotes(caller, works_on)) contact.notes = PersonalNotes();
  // Phone and e-mail are for those who deal with the customer; handlers and analysts see
  // them masked (also in the gateway's customer 360 view, which reads them from here).
  if (!caller.HasAnyRole({"admin", "director", "account_manager", "service_agent"})) {
    contact.phone = MaskPhone(contact.phone);
    contact.email = MaskEmail(contact.email);
  }
  return contact;
}

absl::StatusOr<Account> NewAccount(Account draft, const Principal& caller, absl::Time now) {
  if (draft.owner_id.empty()) draft.owner_id = caller.subject;
  if (draft.status == AccountStatus::kUnspecified) draft.status = AccountStatus::kActive;
  if (auto s = CheckRegistrationNumber(draft.registration_number); !s.ok()) return s;
  if (auto s = ValidateFields(draft); !s.ok()) return s;
  if (!caller.HasAnyRole({"admin", "director", "account_manager", "system"})) {
    return absl::PermissionDeniedError("your role may not create accounts");
  }
  if (!caller.HasAnyRole({"admin", "director", "system"}) && draft.owner_id != caller.subject) {
    return absl::PermissionDeniedError("account managers create accounts they own themselves");
  }
  // Output only: tier and credit come from SetTier / SetCredit, with their history.
  const Account defaults;
  draft.tier = defaults.tier;
  draft.credit_rating = defaults.credit_rating;
  draft.credit_limit_minor = draft.receivable_minor = 0;
  draft.visit_plan_suspended = false;
  draft.visit_streak_since.reset();
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
  if (auto s = CheckEnum("status", static_cast<int>(requested.status), 4, false); !s.ok()) return s;
  if (auto s = CheckText("industry", requested.industry, kMaxLabel, false); !s.ok()) return s;
  if (auto s = CheckText("region", requested.region, kMaxLabel, false); !s.ok()) return s;
  if (auto s = CheckText("name_prefix", requested.name_prefix, kMaxName, false); !s.ok()) return s;
  if (auto s = CheckText("tag", requested.tag, kMaxTagChars, false); !s.ok()) return s;
  if (requested.parent_id < 0) return InvalidField("parent_id", "must be an account id or 0");
  requested.member_id = SeesAllAccounts(caller) ? "" : caller.subject;
  return requested;
}

absl::StatusOr<Account> ApplyUpdate(Account current, bool works_on, const Account& patch,
                                    const std::vector<std::string>& paths, std::string_view etag,
                                    const Principal& caller, absl::Time now) {
  if (!CanRead(caller, works_on)) return absl::PermissionDeniedError("no access to this account");
  if (auto s = CheckPaths(paths, UpdatableFields()); !s.ok()) return s;
  if (etag.empty()) return InvalidField("etag", "required: send the etag you read");
  for (const std::string& path : paths) {
    if (!MayChange(caller, works_on, path)) {
      return absl::PermissionDeniedError(absl::StrCat("your role may not change ", path));
    }
  }
  if (current.archived) return absl::FailedPreconditionError("account is archived");
  if (etag != Etag(current)) {
    return absl::AbortedError("etag is stale: the account changed since it was read");
  }
  for (const std::string& path : paths) CopyField(path, patch, current);
  if (auto s = ValidateFields(current); !s.ok()) return s;
  if (current.parent_id == current.id) {
    return absl::FailedPreconditionError("parent_id: an account cannot be its own parent");
  }
  ++current.version;
  current.update_time = now;
  return current;
}

absl::Status CheckParentChange(int64_t account_id, int64_t new_parent_id,
                               const std::vector<int64_t>& new_parent_and_ancestors) {
  if (new_parent_id == 0) return absl::OkStatus();
  if (std::find(new_parent_and_ancestors.begin(), new_parent_and_ancestors.end(), account_id) !=
      new_parent_and_ancestors.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("parent_id: account ", new_parent_id, " belongs to the group of account ",
                     account_id, "; moving it there would make a cycle"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Account> Archive(Account current, std::string_view reason, int live_subsidiaries,
                                const Principal& caller, absl::Time now) {
  if (!Supervises(caller) && !IsOwner(caller, current)) {
    return absl::PermissionDeniedError("only the owner or a director may archive an account");
  }
  if (auto s = CheckReason(reason, false); !s.ok()) return s;
  if (current.archived) return absl::FailedPreconditionError("account is already archived");
  if (live_subsidiaries > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("account has ", live_subsidiaries,
                     " subsidiaries that are not archived; archive or move them first"));
  }
  current.archived = true;
  current.archive_time = now;
  current.update_time = now;
  ++current.version;
  return current;
}

absl::StatusOr<Account> ApplyTier(Account current, Tier tier, std::string_view reason,
                                  std::string_view review_id, const Principal& caller,
                                  absl::Time now) {
  if (!caller.HasAnyRole({"admin", "director", "system"})) {
    return absl::PermissionDeniedError("tiers are set by directors and the tier review");
  }
  if (auto s = CheckEnum("tier", static_cast<int>(tier), 4, true); !s.ok()) return s;
  if (auto s = CheckReason(reason, true); !s.ok()) return s;
  if (auto s = CheckToken("review_id", review_id, 64, false); !s.ok()) return s;
  if (current.archived) return absl::FailedPreconditionError("account is archived");
  if (current.tier == tier) return current;  // unchanged: no new version, no history
  current.tier = tier;
  ++current.version;
  current.update_time = now;
  return current;
}

absl::StatusOr<Account> ApplyCredit(Account current, const CreditChange& change,
                                    const Principal& caller, absl::Time now) {
  const Account before = current;
  if (!Supervises(caller)) return absl::PermissionDeniedError("credit is set by directors");
  if (!change.rating && !change.limit_minor) {
    return InvalidField("update_mask", "required: credit_rating and/or credit_limit");
  }
  if (change.rating) {
    if (auto s = CheckEnum("credit_rating", static_cast<int>(*change.rating), 7, true); !s.ok()) {
      return s;
    }
    current.credit_rating = *change.rating;
  }
  if (change.limit_minor) {
    if (*change.limit_minor < 0) {
      return InvalidField("credit_limit.minor_units", "must not be negative");
    }
    current.credit_limit_minor = *change.limit_minor;
  }
  if (auto s = CheckReason(change.reason, true); !s.ok()) return s;
  if (current.archived) return absl::FailedPreconditionError("account is archived");
  if (HistoryBetween(before, current).empty()) return before;  // unchanged: nothing to record
  ++current.version;
  current.update_time = now;
  return current;
}

std::vector<AccountChange> HistoryBetween(const Account& before, const Account& after) {
  std::vector<AccountChange> changes;
  auto add = [&](HistoryKind kind, std::string from, std::string to) {
    if (from == to) return;
    AccountChange change;
    change.account_id = after.id;
    change.kind = kind;
    change.from_value = std::move(from);
    change.to_value = std::move(to);
    changes.push_back(std::move(change));
  };
  add(HistoryKind::kTier, TierName(before.tier), TierName(after.tier));
  add(HistoryKind::kOwner, before.owner_id, after.owner_id);
  add(HistoryKind::kCreditRating, RatingName(before.credit_rating),
      RatingName(after.credit_rating));
  add(HistoryKind::kCreditLimit, absl::StrCat(before.credit_limit_minor),
      absl::StrCat(after.credit_limit_minor));
  add(HistoryKind::kParent, absl::StrCat(before.parent_id), absl::StrCat(after.parent_id));
  return changes;
}

absl::StatusOr<Contact> NewContact(Contact draft, const Account& account, bool works_on,
                                   const Principal& caller, absl::Time now) {
  if (!CanWork(caller, works_on) && !caller.HasRole("service_agent")) {
    return absl::PermissionDeniedError("your role may not add contacts to this account");
  }
  if (HasNotes(draft.notes) && !SeesPersonalNotes(caller, works_on)) {
    return absl::PermissionDeniedError(
        "contact.personal_notes: only the account team and directors keep personal notes");
  }
  if (account.archived) return absl::FailedPreconditionError("account is archived");
  if (auto s = CheckContactFields(draft, now); !s.ok()) return s;
  draft.id = 0;
  draft.account_id = account.id;
  draft.version = 1;
  draft.create_time = now;
  return draft;
}

absl::StatusOr<Contact> ApplyContactUpdate(Contact current, const Account& account, bool works_on,
                                           const Contact& patch,
                                           const std::vector<std::string>& paths,
                                           std::string_view etag, const Principal& caller,
                                           absl::Time now) {
  static const auto* known = new std::set<std::string>{"name",
                                                       "title",
                                                       "phone",
                                                       "email",
                                                       "buying_role",
                                                       "personal_notes",
                                                       "personal_notes.character",
                                                       "personal_notes.interests",
                                                       "personal_notes.family",
                                                       "personal_notes.education",
                                                       "personal_notes.birth_year"};
  if (!CanWork(caller, works_on) && !caller.HasRole("service_agent")) {
    return absl::PermissionDeniedError("your role may not change contacts of this account");
  }
  if (auto s = CheckPaths(paths, *known); !s.ok()) return s;
  if (etag.empty()) return InvalidField("etag", "required: send the etag you read");
  for (const std::string& path : paths) {
    if (absl::StartsWith(path, "personal_notes") && !SeesPersonalNotes(caller, works_on)) {
      return absl::PermissionDeniedError(
          "contact.personal_notes: only the account team and directors keep personal notes");
    }
  }
  if (account.archived) return absl::FailedPreconditionError("account is archived");
  if (etag != Etag(current)) {
    return absl::AbortedError("etag is stale: the contact changed since it was read");
  }
  for (const std::string& path : paths) CopyContactField(path, patch, current);
  if (auto s = CheckContactFields(current, now); !s.ok()) return s;
  ++current.version;
  return current;
}

bool ManagesTeam(const Principal& caller, const Account& account) {
  return Supervises(caller) || IsOwner(caller, account);
}

absl::StatusOr<TeamMember> NewTeamMember(TeamMember draft, const Account& account,
                                         const Principal& caller, absl::Time now) {
  if (!ManagesTeam(caller, account)) {
    return absl::PermissionDeniedError("only the owner or a director may change the team");
  }
  if (auto s = CheckToken("member.member_id", draft.member_id, kMaxSubjectChars, true); !s.ok()) {
    return s;
  }
  if (auto s = CheckEnum("member.role", static_cast<int>(draft.role), 5, true); !s.ok()) return s;
  if (draft.member_id == account.owner_id) {
    return InvalidField("member.member_id", "is the account's owner, who needs no team seat");
  }
  if (account.archived) return absl::FailedPreconditionError("account is archived");
  draft.account_id = account.id;
  draft.add_time = now;
  return draft;
}

absl::Status CheckTransfer(const Transfer& transfer, const Principal& caller) {
  if (!Supervises(caller)) return absl::PermissionDeniedError("transfers are for directors");
  if (auto s = CheckToken("from_owner_id", transfer.from_owner_id, kMaxSubjectChars, true);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckToken("to_owner_id", transfer.to_owner_id, kMaxSubjectChars, true); !s.ok()) {
    return s;
  }
  if (transfer.from_owner_id == transfer.to_owner_id) {
    return InvalidField("to_owner_id", "is the same manager as from_owner_id");
  }
  if (transfer.account_ids.size() > kMaxTransfer) {
    return InvalidField("account_ids", absl::StrCat("at most ", kMaxTransfer, " per transfer"));
  }
  for (int64_t id : transfer.account_ids) {
    if (id <= 0) return InvalidField("account_ids", "must be positive ids");
  }
  return CheckReason(transfer.reason, true);
}

}  // namespace kam::accounts
