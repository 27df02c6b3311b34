#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/identity.h"

// Domain types and pure rules of the customer archive: no gRPC, no SQL, time passed in.
namespace kam::accounts {

// Numbering matches kam.accounts.v1 so that the edge converts with a cast.
enum class Nature {
  kUnspecified,
  kGovernment,
  kSpecialCompany,
  kOrdinaryCompany,
  kIndividual,
  kBusinessPartner
};
enum class Scale { kUnspecified, kMicro, kSmall, kMedium, kLarge };
enum class LifecycleStage {
  kUnspecified,
  kProspect,
  kFirstPurchase,
  kRepeat,
  kLoyal,
  kDormant,
  kLost
};
enum class AccountStatus { kUnspecified, kActive, kSupplySuspended, kDormant, kLost };
enum class Tier { kUnspecified, kA, kB, kC, kD };
enum class BuyingRole {
  kUnspecified,
  kDecisionMaker,
  kInfluencer,
  kUser,
  kGatekeeper,
  kTechnicalEvaluator,
  kPurchaser
};

enum class TransactionProcess { kUnspecified, kPast, kCurrent, kProspective };
enum class VolumePosition { kUnspecified, kMajor, kGeneral, kScattered };
enum class CreditRating { kUnspecified, kAAA, kAA, kA, kBBB, kBB, kB, kC };
enum class TeamRole { kUnspecified, kSales, kTechnical, kService, kFinance, kExecutiveSponsor };
enum class HistoryKind { kUnspecified, kTier, kOwner, kCreditRating, kCreditLimit, kParent };

// Business data of the archive (经营状况).
struct BusinessProfile {
  std::string service_area;
  std::string sales_capability;
  std::string growth_potential;
  std::string business_direction;
  std::string competitive_position;
  std::string reputation;
  std::string trade_terms;
  int32_t employee_count = 0;
  int64_t annual_revenue_minor = 0;
};

// Money is int64 minor units of the deployment's one currency throughout the domain.
struct Account {
  int64_t id = 0;
  std::string name;
  std::string registration_number;
  Nature nature = Nature::kUnspecified;
  std::string industry;
  std::string region;
  Scale scale = Scale::kUnspecified;
  LifecycleStage lifecycle_stage = LifecycleStage::kUnspecified;
  AccountStatus status = AccountStatus::kUnspecified;
  Tier tier = Tier::kUnspecified;
  std::string owner_id;
  bool archived = false;
  int64_t version = 0;
  absl::Time create_time;
  absl::Time update_time;
  std::optional<absl::Time> archive_time;
  int64_t parent_id = 0;  // 0: not part of a group
  TransactionProcess transaction_process = TransactionProcess::kUnspecified;
  VolumePosition volume_position = VolumePosition::kUnspecified;
  std::string address;
  std::string phone;
  std::string legal_representative;
  BusinessProfile business;
  std::vector<std::string> tags;  // sorted, unique
  CreditRating credit_rating = CreditRating::kUnspecified;
  int64_t credit_limit_minor = 0;  // 0: no limit set
  int64_t receivable_minor = 0;    // all orders minus all payments
  bool visit_plan_suspended = false;
  std::optional<absl::Time> visit_streak_since;  // visits before it do not count
};

// Personal notes about a contact: seen only by those who work on the account, directors and
// admins (SeesPersonalNotes); never logged, never in events or audit rows.
struct PersonalNotes {
  std::string character;
  std::string interests;
  std::string family;
  std::string education;
  int32_t birth_year = 0;
};

struct Contact {
  int64_t id = 0;
  int64_t account_id = 0;
  std::string name;
  std::string title;
  std::string phone;
  std::string email;
  BuyingRole buying_role = BuyingRole::kUnspecified;
  absl::Time create_time;
  PersonalNotes notes;
  int64_t version = 1;
};

struct TeamMember {
  int64_t account_id = 0;
  std::string member_id;
  TeamRole role = TeamRole::kUnspecified;
  absl::Time add_time;
};

// One change of tier, owner, credit or parent (account_history).
struct AccountChange {
  int64_t id = 0;  // history row id; 0 before it is stored
  int64_t account_id = 0;
  HistoryKind kind = HistoryKind::kUnspecified;
  std::string from_value;
  std::string to_value;
  std::string actor;
  std::string reason;
  std::string request_id;
  absl::Time time;
};

// Filters of ListAccounts, after access rules were applied.
struct AccountFilter {
  std::string owner_id;
  Tier tier = Tier::kUnspecified;
  std::string industry;
  std::string region;
  std::string name_prefix;
  bool include_archived = false;
  int64_t parent_id = 0;
  AccountStatus status = AccountStatus::kUnspecified;
  std::string tag;
  // Set for account managers: only accounts this subject works on.
  std::string member_id;
};

// The etag clients send back with an update: the row version, opaque to them.
std::string Etag(const Account& account);
std::string Etag(const Contact& contact);

// ---- Access (ARCHITECTURE.md, object level) ----
// `works_on`: the caller owns the account or is on its team (account_access).

// Roles that see every account (managers see those they work on).
bool SeesAllAccounts(const Principal& caller);
// Whether `caller` may read the account.
bool CanRead(const Principal& caller, bool works_on);
// Whether `caller` may record work on the account (contacts, visits, opportunities,
// contracts): those who work on it, directors and admins.
bool CanWork(const Principal& caller, bool works_on);
// Contacts' personal notes: those who work on the account, directors and admins.
bool SeesPersonalNotes(const Principal& caller, bool works_on);
// Money and credit (orders, payments, contracts, summaries, credit fields): everyone who
// may read the account except service agents and handlers.
bool SeesFinancials(const Principal& caller);
// Directors and admins: ownership, hierarchy, credit and tier decisions.
bool Supervises(const Principal& caller);

// What `caller` may see of an account: service agents and handlers get no business profile
// and no credit or receivables.
Account RedactAccount(Account account, const Principal& caller);
// Personal notes are dropped unless `caller` may see them; phone and e-mail are masked
// (MaskPhone, MaskEmail) for callers who do not deal with the customer (handler, analyst).
Contact RedactContact(Contact contact, const Principal& caller, bool works_on);

// ---- The archive ----

// The account as it will be created: validated (INVALID_ARGUMENT naming "account.<field>"),
// owner defaulted to the caller, status defaulted to ACTIVE, times set to `now`; output-only
// fields (tier, credit, flags) reset. PERMISSION_DENIED when a manager creates an account for
// someone else.
absl::StatusOr<Account> NewAccount(Account draft, const Principal& caller, absl::Time now);

// The filter a caller may run: a manager's list is always limited to the accounts they work
// on. Validates the filter fields.
absl::StatusOr<AccountFilter> ScopeFilter(AccountFilter requested, const Principal& caller);

// Applies the fields named by `paths` from `patch` to `current`. Errors: INVALID_ARGUMENT
// (unknown path, bad value, missing etag), ABORTED (etag stale), FAILED_PRECONDITION
// (archived), PERMISSION_DENIED (no access, or a field the caller's role may not change:
// owner_id and parent_id are for directors).
absl::StatusOr<Account> ApplyUpdate(Account current, bool works_on, const Account& patch,
                                    const std::vector<std::string>& paths, std::string_view etag,
                                    const Principal& caller, absl::Time now);

// Whether `account_id` may move under `new_parent_id`, given the new parent's ancestors
// (the new parent first, up to its root). FAILED_PRECONDITION when that would make a cycle.
absl::Status CheckParentChange(int64_t account_id, int64_t new_parent_id,
                               const std::vector<int64_t>& new_parent_and_ancestors);

// Archives `current`. FAILED_PRECONDITION if already archived or while `live_subsidiaries`
// is non-zero; PERMISSION_DENIED unless the owner or a director.
absl::StatusOr<Account> Archive(Account current, std::string_view reason, int live_subsidiaries,
                                const Principal& caller, absl::Time now);

// Sets the tier (directors, admins, the tier review's system identity).
absl::StatusOr<Account> ApplyTier(Account current, Tier tier, std::string_view reason,
                                  std::string_view review_id, const Principal& caller,
                                  absl::Time now);

// The credit rating and/or limit a director sets.
struct CreditChange {
  std::optional<CreditRating> rating;
  std::optional<int64_t> limit_minor;
  std::string reason;
};
absl::StatusOr<Account> ApplyCredit(Account current, const CreditChange& change,
                                    const Principal& caller, absl::Time now);

// The changes of tier, owner, credit and parent between two versions of an account, for
// the history (actor, reason, request id and time are filled in by the caller).
std::vector<AccountChange> HistoryBetween(const Account& before, const Account& after);

// Checks that `caller` may add contacts to the account and that the contact is valid.
absl::StatusOr<Contact> NewContact(Contact draft, const Account& account, bool works_on,
                                   const Principal& caller, absl::Time now);

// Applies a contact update (mask + etag, as ApplyUpdate).
absl::StatusOr<Contact> ApplyContactUpdate(Contact current, const Account& account, bool works_on,
                                           const Contact& patch,
                                           const std::vector<std::string>& paths,
                                           std::string_view etag, const Principal& caller,
                                           absl::Time now);

// A team member the owner or a director adds (adding again changes the role).
absl::StatusOr<TeamMember> NewTeamMember(TeamMember draft, const Account& account,
                                         const Principal& caller, absl::Time now);
// Whether `caller` may change the account's team: its owner and directors.
bool ManagesTeam(const Principal& caller, const Account& account);

// A director's transfer of accounts between managers.
struct Transfer {
  std::string from_owner_id;
  std::string to_owner_id;
  std::vector<int64_t> account_ids;  // empty: all of from_owner_id's accounts
  std::string reason;
};
absl::Status CheckTransfer(const Transfer& transfer, const Principal& caller);

}  // namespace kam::accounts
