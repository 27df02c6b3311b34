#include "services/complaints/account_replica.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "services/common/proto_support.h"
#include "services/complaints/complaint_records.h"

namespace kam::complaints {
namespace {

namespace av1 = kam::accounts::v1;

// Creates the cursor row on first use, so that the SELECT ... FOR UPDATE below always
// locks a row: two complaints processes applying the same message take turns.
constexpr char kEnsureCursor[] =
    "INSERT INTO consumer_cursors (stream, cursor_position, head_sequence, updated_at) "
    "VALUES (?, 0, 0, UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE stream = stream";
constexpr char kLockCursor[] =
    "SELECT cursor_position FROM consumer_cursors WHERE stream = ? FOR UPDATE";
constexpr char kReadCursor[] = "SELECT cursor_position FROM consumer_cursors WHERE stream = ?";
constexpr char kStoreCursor[] =
    "UPDATE consumer_cursors SET cursor_position = ?, head_sequence = GREATEST(head_sequence, ?), "
    "updated_at = UTC_TIMESTAMP(6) WHERE stream = ?";
constexpr char kLockReplicaRow[] =
    "SELECT owner_id, tier, source_sequence FROM account_replica WHERE account_id = ? FOR UPDATE";
constexpr char kInsertReplicaRow[] =
    "INSERT INTO account_replica (account_id, name, tier, owner_id, status, archived, "
    "source_sequence, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))";
constexpr char kUpdateReplicaRow[] =
    "UPDATE account_replica SET name = ?, tier = ?, owner_id = ?, status = ?, archived = ?, "
    "source_sequence = ?, updated_at = UTC_TIMESTAMP(6) WHERE account_id = ?";
constexpr char kMoveComplaints[] =
    "UPDATE complaints SET account_owner_id = ? WHERE account_id = ? AND account_owner_id <> ?";

// The account's complaints still open (not INVALID or CLOSED), locked.
constexpr char kLockOpenComplaints[] =
    "SELECT {columns} FROM complaints c WHERE c.account_id = ? AND c.state NOT IN (2, 9) "
    "ORDER BY c.id FOR UPDATE";

// Who the retargeting of SLA clocks is attributed to in transitions and audit rows.
constexpr char kReplicaActor[] = "system:accounts";

struct ReplicaRow {
  std::string owner_id;
  int tier = 0;
  int64_t source_sequence = 0;
};

int64_t LockCursor(DbConnection& db) {
  sql::PreparedStatement& ensure = db.Prepare(kEnsureCursor);
  BindAll(ensure, {std::string(kAccountsStream)});
  ensure.executeUpdate();
  sql::PreparedStatement& select = db.Prepare(kLockCursor);
  BindAll(select, {std::string(kAccountsStream)});
  std::unique_ptr<sql::ResultSet> row(select.executeQuery());
  return row->next() ? row->getInt64(1) : 0;
}

std::optional<ReplicaRow> LockReplicaRow(DbConnection& db, int64_t account_id) {
  sql::PreparedStatement& select = db.Prepare(kLockReplicaRow);
  BindAll(select, {account_id});
  std::unique_ptr<sql::ResultSet> row(select.executeQuery());
  if (!row->next()) return std::nullopt;
  return ReplicaRow{row->getString("owner_id"), row->getInt("tier"),
                    row->getInt64("source_sequence")};
}

void WriteReplicaRow(DbConnection& db, const av1::Account& a, int64_t sequence, bool exists) {
  const std::vector<SqlParam> fields = {
      a.name(), int64_t{a.tier()}, a.owner_id(), int64_t{a.status()}, a.archived(), sequence};
  std::vector<SqlParam> params;
  if (!exists) params.push_back(a.id());
  params.insert(params.end(), fields.begin(), fields.end());
  if (exists) params.push_back(a.id());
  sql::PreparedStatement& write = db.Prepare(exists ? kUpdateReplicaRow : kInsertReplicaRow);
  BindAll(write, params);
  write.executeUpdate();
}

// Complaints record the owner at intake for managers' access; it follows transfers.
void MoveComplaints(DbConnection& db, int64_t account_id, const std::string& owner_id) {
  sql::PreparedStatement& update = db.Prepare(kMoveComplaints);
  BindAll(update, {owner_id, account_id, owner_id});
  update.executeUpdate();
}

// The account's tier changed: its open complaints' SLA clocks take the new tier's targets
// (procedure.h, RetargetClocks), each a transition, audit row and event of its own.
void RetargetComplaints(DbConnection& db, const SlaPolicy& policy, const av1::Event& event) {
  static const std::string select =
      absl::StrReplaceAll(kLockOpenComplaints, {{"{columns}", kComplaintColumns}});
  sql::PreparedStatement& open = db.Prepare(select);
  BindAll(open, {event.account().id()});
  std::vector<Complaint> complaints;
  {
    std::unique_ptr<sql::ResultSet> rows(open.executeQuery());
    while (rows->next()) complaints.push_back(ReadComplaint(*rows));
  }
  // Clocks move as of the tier change, not as of whenever the replica catches up with it.
  const absl::Time changed_at =
      event.has_occur_time() ? FromTimestamp(event.occur_time()) : absl::Now();
  const Mutation m{kReplicaActor, event.event_id(), "", "", absl::Now(), ""};
  for (Complaint& complaint : complaints) {
    const Complaint before = complaint;
    const std::optional<Transition> transition =
        RetargetClocks(policy, event.account().tier(), kReplicaActor, changed_at, complaint);
    if (!transition) continue;
    UpdateComplaintRow(db, complaint);
    RecordTransition(db, m, before, complaint, *transition, std::nullopt);
  }
}

// One account event; whether it changed the replica (false when the row is already as
// new as the event).
bool ApplyAccount(DbConnection& db, const SlaPolicy& policy, const av1::Event& event) {
  const av1::Account& account = event.account();
  const std::optional<ReplicaRow> current = LockReplicaRow(db, account.id());
  if (current && current->source_sequence >= event.sequence()) return false;
  WriteReplicaRow(db, account, event.sequence(), current.has_value());
  if (current && current->owner_id != account.owner_id()) {
    MoveComplaints(db, account.id(), account.owner_id());
  }
  if (current && current->tier != account.tier()) RetargetComplaints(db, policy, event);
  return true;
}

void StoreCursor(DbConnection& db, int64_t cursor, int64_t head) {
  sql::PreparedStatement& update = db.Prepare(kStoreCursor);
  BindAll(update, {cursor, head, std::string(kAccountsStream)});
  update.executeUpdate();
}

}  // namespace

absl::StatusOr<FeedProgress> AccountReplica::Apply(const av1::WatchEventsResponse& message) {
  FeedProgress progress;
  absl::Status status = InTransaction(pool_, "account_replica.apply", [&](DbConnection& db) {
    progress = {};
    const int64_t stored = LockCursor(db);
    for (const av1::Event& event : message.events()) {
      // At or below the cursor: applied before (delivery is at least once).
      if (event.sequence() <= stored || !event.has_account() || event.account().id() <= 0) {
        continue;
      }
      if (ApplyAccount(db, policy_, event)) ++progress.applied;
    }
    progress.cursor = CursorAfter(stored, message);
    if (progress.cursor != stored || !message.events().empty()) {
      StoreCursor(db, progress.cursor, message.head_sequence());
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return progress;
}

absl::StatusOr<int64_t> AccountReplica::Cursor() {
  int64_t cursor = 0;
  absl::Status status = WithConnection(pool_, "account_replica.cursor", [&](DbConnection& db) {
    sql::PreparedStatement& select = db.Prepare(kReadCursor);
    BindAll(select, {std::string(kAccountsStream)});
    std::unique_ptr<sql::ResultSet> row(select.executeQuery());
    cursor = row->next() ? row->getInt64(1) : 0;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return cursor;
}

EventFeedOptions AccountReplica::FeedOptions(std::string identity_key) {
  EventFeedOptions options;
  options.stream = kAccountsStream;
  options.full_method = kAccountsWatchMethod;
  options.subject = "complaints";
  options.identity_key = std::move(identity_key);
  options.type_prefixes = {"account."};
  return options;
}

std::unique_ptr<AccountFeed> MakeAccountFeed(const std::shared_ptr<grpc::Channel>& channel,
                                             AccountReplica& replica, EventFeedOptions options,
                                             prometheus::Registry* registry) {
  return std::make_unique<AccountFeed>(
      channel, std::move(options), [&replica] { return replica.Cursor(); },
      [&replica](const kam::accounts::v1::WatchEventsResponse& message) {
        return replica.Apply(message);
      },
      registry);
}

}  // namespace kam::complaints
