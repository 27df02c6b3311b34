#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/accounts/workflow.h"
#include "services/common/db.h"
#include "services/common/idempotency.h"
#include "services/common/store_support.h"

// What the stores of the accounts service share beyond services/common/store_support.h:
// reading an account together with the caller's relation to it, and the group CTEs.
namespace kam::accounts {

// An account with what the caller is to it.
struct AccountView {
  Account account;
  bool works_on = false;  // the caller owns it or is on its team
};

// The account columns, for SELECTs of other stores that join accounts ("a." prefixed).
extern const char kAccountColumns[];
Account ReadAccount(const sql::ResultSet& row);
// The account as audit rows, idempotent responses and account.* events keep it.
nlohmann::json AccountJson(const Account& account);
Account AccountFromJson(const nlohmann::json& j);

// Reads one account and whether `subject` works on it; with `lock`, holds the account's row
// lock until the transaction ends (use it before changing anything that hangs off an
// account, so the account cannot be archived or transferred meanwhile).
std::optional<AccountView> SelectAccountView(DbConnection& db, int64_t id,
                                             const std::string& subject, bool lock);

absl::Status AccountNotFound(int64_t id);

// SQL of a recursive CTE named `subtree` (columns id, depth) holding account ? and all its
// descendants; prepend it to a query and bind the root id first.
extern const char kSubtreeCte[];
// SQL of a recursive CTE named `ancestors` (column id, depth) holding account ? and all its
// ancestors up to the root.
extern const char kAncestorsCte[];

}  // namespace kam::accounts
