#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/accounts/store_support.h"

namespace kam::accounts {

// One node of a group hierarchy.
struct GroupNode {
  int64_t account_id = 0;
  int64_t parent_id = 0;
  std::string name;  // empty when the caller does not work on this account (managers)
  int depth = 0;
};

struct GroupTree {
  std::vector<GroupNode> nodes;  // depth first, children by id
  bool truncated = false;
};

struct TransferResult {
  int accounts = 0;
  int opportunities = 0;
  int visit_plans = 0;
};

// The SQL of the archive: accounts, hierarchy, contacts, teams and the access list they
// imply, ownership and the history of tier, owner, credit and parent. Every mutation writes
// its rows, an audit row and outbox event(s) in one transaction, idempotent by
// (actor, request_id).
class AccountStore {
 public:
  explicit AccountStore(DbPool& pool) : pool_(pool) {}

  // ALREADY_EXISTS on a duplicate registration number; INVALID_ARGUMENT for a parent that
  // does not exist; FAILED_PRECONDITION for an archived parent.
  absl::StatusOr<Account> Create(const Mutation& mutation, const Account& account);
  // The account and whether `subject` works on it. NOT_FOUND when no account has `id`.
  absl::StatusOr<AccountView> Get(int64_t id, const std::string& subject);
  // Accounts matching `filter` with id > after_id, ascending by id, at most page_size.
  absl::StatusOr<Page<Account>> List(const AccountFilter& filter, int64_t after_id, int page_size);

  // Reads the account under a row lock, lets `change` decide the new state (a pure rule from
  // workflow.h) and writes it: the row, its tags, the access list on an owner change (after
  // a cycle check on a parent change), history rows for tier/owner/credit/parent changes,
  // the audit row and an "account.<action>" event (plus owner_changed / parent_changed /
  // tier_changed / credit_changed events for such changes under another action). Returns the
  // current account unchanged, writing nothing, when `change` returns it with the same
  // version. NOT_FOUND when no account has `id`.
  using Change = std::function<absl::StatusOr<Account>(const AccountView& current)>;
  absl::StatusOr<Account> Update(const Mutation& mutation, int64_t id, const std::string& subject,
                                 const std::string& action, const Change& change);
  // As Update, with the number of the account's subsidiaries that are not archived.
  using ArchiveRule =
      std::function<absl::StatusOr<Account>(const AccountView& current, int live_subsidiaries)>;
  absl::StatusOr<Account> Archive(const Mutation& mutation, int64_t id, const std::string& subject,
                                  const ArchiveRule& archive);
  // The hierarchy below `root` down to max_depth levels (0: all), at most `limit` nodes.
  absl::StatusOr<GroupTree> Tree(int64_t root, int max_depth, int limit,
                                 const std::string& subject);
  // The ancestors of `id`, root first, with negative depths (-1 for the parent); names blanked
  // as in Tree. Empty for a root (or an unknown id).
  absl::StatusOr<std::vector<GroupNode>> Ancestors(int64_t id, const std::string& subject);

  // Adds a contact once `decide` accepts it for the (locked) account.
  using ContactRule = std::function<absl::StatusOr<Contact>(const AccountView& account)>;
  absl::StatusOr<Contact> CreateContact(const Mutation& mutation, int64_t account_id,
                                        const std::string& subject, const ContactRule& decide);
  absl::StatusOr<Page<Contact>> ListContacts(int64_t account_id, int64_t after_id, int page_size);
  // The contact with its account (NOT_FOUND "contact N not found").
  absl::StatusOr<std::pair<Contact, AccountView>> GetContact(int64_t contact_id,
                                                             const std::string& subject);
  using ContactChange =
      std::function<absl::StatusOr<Contact>(const Contact& current, const AccountView& account)>;
  absl::StatusOr<Contact> UpdateContact(const Mutation& mutation, int64_t contact_id,
                                        const std::string& subject, const ContactChange& change);

  using TeamRule = std::function<absl::StatusOr<TeamMember>(const AccountView& account)>;
  absl::StatusOr<TeamMember> AddTeamMember(const Mutation& mutation, int64_t account_id,
                                           const std::string& subject, const TeamRule& decide);
  // NOT_FOUND when `member_id` is not on the team.
  using AccountRule = std::function<absl::Status(const AccountView& account)>;
  absl::StatusOr<TeamMember> RemoveTeamMember(const Mutation& mutation, int64_t account_id,
                                              const std::string& member_id,
                                              const std::string& subject, const AccountRule& allow);
  absl::StatusOr<std::vector<TeamMember>> ListTeamMembers(int64_t account_id);

  // Moves the accounts (with their open opportunities and planned visits) in one
  // transaction. FAILED_PRECONDITION when a named account is not from_owner_id's.
  absl::StatusOr<TransferResult> TransferAccounts(const Mutation& mutation,
                                                  const Transfer& transfer);
  // Newest first: entries with id < before_id (0: from the newest).
  absl::StatusOr<Page<AccountChange>> ListHistory(int64_t account_id, HistoryKind kind,
                                                  int64_t before_id, int page_size);

 private:
  DbPool& pool_;
};

// Domain JSON of the archive's records (audit rows, idempotent responses, events). Contact
// events and audit rows leave personal notes out (ContactEventJson).
nlohmann::json ContactJson(const Contact& contact);
nlohmann::json ContactEventJson(const Contact& contact);
Contact ContactFromJson(const nlohmann::json& j);
nlohmann::json TeamMemberJson(const TeamMember& member);
TeamMember TeamMemberFromJson(const nlohmann::json& j);
nlohmann::json AccountChangeJson(const AccountChange& change);
AccountChange AccountChangeFromJson(const nlohmann::json& j);

}  // namespace kam::accounts
