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
};

// The etag clients send back with an update: the row version, opaque to them.
std::string Etag(const Account& account);

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

// The account as it will be created: validated (INVALID_ARGUMENT naming "account.<field>"),
// owner defaulted to the caller, status defaulted to ACTIVE, times set to `now`.
// PERMISSION_DENIED when a manager creates an account for someone else.
absl::StatusOr<Account> NewAccount(Account draft, const Principal& caller, absl::Time now);

// The filter a caller may run: a manager's list is always limited to their own accounts
// (PERMISSION_DENIED when they ask for another owner). Validates the filter fields.
absl::StatusOr<AccountFilter> ScopeFilter(AccountFilter requested, const Principal& caller);

// Applies the fields named by `paths` from `patch` to `current`. Errors: INVALID_ARGUMENT
// (unknown or immutable path, bad value, missing etag), ABORTED (etag stale),
// FAILED_PRECONDITION (archived), PERMISSION_DENIED (no access, or a field the caller's role
// may not change).
absl::StatusOr<Account> ApplyUpdate(Account current, const Account& patch,
                                    const std::vector<std::string>& paths, std::string_view etag,
                                    const Principal& caller, absl::Time now);

// Archives `current`. FAILED_PRECONDITION if already archived; PERMISSION_DENIED if the
// caller may not change it.
absl::StatusOr<Account> Archive(Account current, std::string_view reason, const Principal& caller,
                                absl::Time now);

// Checks that `caller` may add contacts to `account` and that the contact is valid.
absl::StatusOr<Contact> NewContact(Contact draft, const Account& account, const Principal& caller,
                                   absl::Time now);

}  // namespace kam::accounts
