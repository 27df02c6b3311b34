#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/accounts/store_support.h"

namespace kam::accounts {

// The only code that talks SQL for the archive. Every mutation writes its row, an audit
// row and an outbox event in one transaction, and is idempotent by (actor, request_id).
class AccountStore {
 public:
  explicit AccountStore(DbPool& pool) : pool_(pool) {}

  // ALREADY_EXISTS on a duplicate registration number (names the field).
  absl::StatusOr<Account> Create(const Mutation& mutation, const Account& account);
  // The account and whether `subject` works on it. NOT_FOUND when no account has `id`.
  absl::StatusOr<AccountView> Get(int64_t id, const std::string& subject);
  // Accounts matching `filter` with id > after_id, ascending by id, at most page_size.
  absl::StatusOr<Page<Account>> List(const AccountFilter& filter, int64_t after_id, int page_size);

  // Reads the account under a row lock, lets `change` decide the new state (a pure rule
  // from workflow.h), and writes it with `action` in the audit trail and an
  // "account.<action>" event. NOT_FOUND when no account has `id`.
  using Change = std::function<absl::StatusOr<Account>(const Account& current)>;
  absl::StatusOr<Account> Update(const Mutation& mutation, int64_t id, const std::string& action,
                                 const Change& change);

  // Adds a contact once `decide` accepts it for the (locked) account.
  using ContactRule = std::function<absl::StatusOr<Contact>(const Account& account)>;
  absl::StatusOr<Contact> CreateContact(const Mutation& mutation, int64_t account_id,
                                        const ContactRule& decide);
  absl::StatusOr<Page<Contact>> ListContacts(int64_t account_id, int64_t after_id, int page_size);

 private:
  DbPool& pool_;
};

}  // namespace kam::accounts
