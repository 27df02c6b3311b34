#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/accounts/workflow.h"
#include "services/common/db.h"

namespace kam::accounts {

// Who changes what, for the idempotency key and the audit trail.
struct Mutation {
  std::string actor;        // principal subject
  std::string request_id;   // client-chosen idempotency key
  std::string fingerprint;  // RequestFingerprint of the request
  std::string trace_id;     // x-request-id, for the audit row
  absl::Time now;
  std::string note;  // kept in the audit row, e.g. the reason for archiving
};

template <typename T>
struct Page {
  std::vector<T> items;
  int64_t last_id = 0;  // id of the last item; 0 when empty
  bool more = false;
};

// The only code that talks SQL for the archive. Every mutation writes its row, an audit
// row and an outbox event in one transaction, and is idempotent by (actor, request_id).
class AccountStore {
 public:
  explicit AccountStore(DbPool& pool) : pool_(pool) {}

  // ALREADY_EXISTS on a duplicate registration number (names the field).
  absl::StatusOr<Account> Create(const Mutation& mutation, const Account& account);
  // NOT_FOUND when no account has `id`.
  absl::StatusOr<Account> Get(int64_t id);
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
  // Runs `effect` in a transaction at most once per (actor, request_id): a retry gets the
  // first result back from the idempotency record; a reused id for another request is
  // INVALID_ARGUMENT.
  template <typename T>
  absl::StatusOr<T> Idempotent(const Mutation& m, const char* context,
                               const std::function<absl::StatusOr<T>(DbConnection&)>& effect);

  DbPool& pool_;
};

}  // namespace kam::accounts
