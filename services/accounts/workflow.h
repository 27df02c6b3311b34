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

// Whether `caller` may read `account`: managers their own accounts, every other role with
// access to the method all accounts.
bool CanRead(const Principal& caller, const Account& account);

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
