#include "services/analytics/projection.h"

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/analytics/period.h"
#include "services/common/multi_row.h"
#include "services/common/proto_support.h"

namespace kam::analytics {
namespace {

namespace av1 = kam::accounts::v1;
namespace cv1 = kam::complaints::v1;

// ---------------------------------------------------------------------------------------
// Statements over many rows.

// IN lists are padded (repeating the last key) to one of these lengths, so a message of up
// to 500 events needs one statement and the texts stay few. Repeated keys are harmless in
// reads and deletes.
constexpr size_t kInLengths[] = {8, 64, 512};

// Calls `run(list, chunk)` for `keys` cut into padded chunks; `list` is "(?, ...)" for it.
void InChunks(const std::vector<SqlParam>& keys,
              const std::function<void(const std::string&, std::vector<SqlParam>)>& run) {
  for (size_t done = 0; done < keys.size();) {
    const size_t left = keys.size() - done;
    size_t length = kInLengths[std::size(kInLengths) - 1];
    for (size_t candidate : kInLengths) {
      if (candidate >= left) {
        length = candidate;
        break;
      }
    }
    const size_t take = std::min(left, length);
    const auto first = keys.begin() + static_cast<std::ptrdiff_t>(done);
    std::vector<SqlParam> chunk(first, first + static_cast<std::ptrdiff_t>(take));
    const SqlParam last = chunk.back();
    chunk.resize(length, last);
    run(absl::StrCat("(", Placeholders(length), ")"), std::move(chunk));
    done += take;
  }
}

// SELECT `head` + "(?, ...)" + `tail` over `keys`, every row handed to `read`.
void SelectIn(DbConnection& db, const std::string& head, const std::string& tail,
              const std::vector<SqlParam>& keys, const std::function<void(sql::ResultSet&)>& read) {
  InChunks(keys, [&](const std::string& list, std::vector<SqlParam> chunk) {
    sql::PreparedStatement& select = db.Prepare(absl::StrCat(head, list, tail));
    BindAll(select, chunk);
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) read(*rows);
  });
}

// "c = IF(VALUES(source_sequence) > source_sequence, VALUES(c), c), ..." for an upsert that
// keeps the newer row: source_sequence comes last, so every other assignment compares with
// the stored value (MySQL and MariaDB evaluate assignments left to right).
std::string NewerRowWins(const std::vector<std::string>& columns) {
  std::string out = "ON DUPLICATE KEY UPDATE ";
  for (const std::string& c : columns) {
    absl::StrAppend(&out, c, " = IF(VALUES(source_sequence) > source_sequence, VALUES(", c, "), ",
                    c, "), ");
  }
  return out + "source_sequence = GREATEST(source_sequence, VALUES(source_sequence))";
}

SqlParam OptionalTime(const google::protobuf::Timestamp& t, bool present) {
  if (!present) return SqlNull{};
  return FromTimestamp(t);
}

SqlParam OptionalMonth(const std::optional<absl::Time>& t, absl::TimeZone zone) {
  if (!t) return SqlNull{};
  return int64_t{MonthKey(*t, zone)};
}

// ---------------------------------------------------------------------------------------
// The stream bookkeeping: cursor, applied event ids.

constexpr char kSelectCursorForUpdate[] =
    "SELECT cursor_position FROM consumer_cursors WHERE stream = ? FOR UPDATE";
// Creates the cursor row on first use, so that there is always a row to lock: two
// projections applying the same stream take turns on it.
constexpr char kCreateCursor[] =
    "INSERT INTO consumer_cursors (stream, cursor_position, head_sequence, updated_at) "
    "VALUES (?, 0, 0, UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE stream = stream";
constexpr char kStoreCursor[] =
    "UPDATE consumer_cursors SET cursor_position = ?, head_sequence = GREATEST(head_sequence, ?), "
    "updated_at = UTC_TIMESTAMP(6) WHERE stream = ?";
constexpr char kReadCursor[] = "SELECT cursor_position FROM consumer_cursors WHERE stream = ?";
constexpr char kReadCursors[] =
    "SELECT stream, cursor_position FROM consumer_cursors WHERE stream IN (?, ?)";

std::optional<int64_t> SelectCursorForUpdate(DbConnection& db, const std::string& stream) {
  sql::PreparedStatement& select = db.Prepare(kSelectCursorForUpdate);
  BindAll(select, {stream});
  std::unique_ptr<sql::ResultSet> row(select.executeQuery());
  if (!row->next()) return std::nullopt;
  return row->getInt64(1);
}

// The stored cursor, locked until the transaction ends.
int64_t LockCursor(DbConnection& db, const std::string& stream) {
  if (std::optional<int64_t> cursor = SelectCursorForUpdate(db, stream)) return *cursor;
  sql::PreparedStatement& create = db.Prepare(kCreateCursor);
  BindAll(create, {stream});
  create.executeUpdate();
  return SelectCursorForUpdate(db, stream).value_or(0);
}

void StoreCursor(DbConnection& db, const std::string& stream, int64_t cursor, int64_t head) {
  sql::PreparedStatement& update = db.Prepare(kStoreCursor);
  BindAll(update, {cursor, head, stream});
  update.executeUpdate();
}

// The events of a message still to apply, in order: above the cursor, each id once, and
// not among the ids applied before (one SELECT for the message).
template <typename Event>
std::vector<const Event*> FreshEvents(DbConnection& db, int64_t cursor,
                                      const google::protobuf::RepeatedPtrField<Event>& events) {
  std::vector<const Event*> candidates;
  std::set<std::string> ids;
  for (const Event& event : events) {
    if (event.sequence() <= cursor) continue;
    if (!event.event_id().empty() && !ids.insert(event.event_id()).second) continue;
    candidates.push_back(&event);
  }
  if (ids.empty()) return candidates;
  std::set<std::string> applied;
  SelectIn(db, "SELECT event_id FROM applied_events WHERE event_id IN ", "",
           std::vector<SqlParam>(ids.begin(), ids.end()),
           [&](sql::ResultSet& row) { applied.insert(row.getString(1)); });
  std::vector<const Event*> fresh;
  for (const Event* event : candidates) {
    if (applied.count(event->event_id()) == 0) fresh.push_back(event);
  }
  return fresh;
}

// Records the ids of `events` as applied (an id applied twice would fail the transaction).
template <typename Event>
void RecordApplied(DbConnection& db, const std::string& stream,
                   const std::vector<const Event*>& events) {
  static const MultiRowStatement insert("INSERT INTO applied_events (event_id, stream, applied_at)",
                                        3, "");
  const absl::Time now = absl::Now();
  std::vector<SqlParam> params;
  for (const Event* event : events) {
    if (event->event_id().empty()) continue;
    Append(params, {event->event_id(), stream, now});
  }
  insert.Run(db, params);
}

// ---------------------------------------------------------------------------------------
// What a message could not count, reported after it commits (a retried transaction must
// not count twice).

struct Skips {
  int64_t lines_currency = 0;     // order lines in another currency
  int64_t events_currency = 0;    // payments and signed contracts in another currency
  int64_t events_unreadable = 0;  // events of a projected type without their record
};

// ---------------------------------------------------------------------------------------
// Rollups: the increments of one message, summed per key in memory.

struct AccountMonthDelta {
  int64_t revenue = 0;
  int64_t cost = 0;
  int64_t quantity = 0;
  int64_t orders = 0;
  int64_t order_lines = 0;
  int64_t paid = 0;
  int64_t contract_value = 0;
  int64_t contracts = 0;
};

struct ProductDelta {
  int64_t quantity = 0;
  int64_t revenue = 0;
  int64_t cost = 0;
  void Add(const av1::OrderLine& line) {
    quantity += line.quantity();
    revenue += line.revenue().minor_units();
    cost += line.cost().minor_units();
  }
};

struct ProductMonthDelta {
  std::string category;  // the latest seen
  ProductDelta amounts;
};

struct OrderSpan {
  absl::Time first;
  absl::Time last;
};

class Rollups {
 public:
  Rollups(const AnalyticsConfig& config, Skips& skips) : config_(config), skips_(skips) {}

  // Lines in another currency are skipped; an order counts (orders, activity) only when at
  // least one of its lines does.
  void AddOrder(const av1::Order& order) {
    const absl::Time at = FromTimestamp(order.order_time());
    const int month = MonthKey(at, config_.zone);
    ProductDelta counted;
    int64_t counted_lines = 0;
    for (const av1::OrderLine& line : order.lines()) {
      if (!Counted(line.revenue()) || !Counted(line.cost())) {
        ++skips_.lines_currency;
        continue;
      }
      ++counted_lines;
      counted.Add(line);
      account_product_month_[{order.account_id(), month, line.product_code()}].Add(line);
      ProductMonthDelta& product = product_month_[{line.product_code(), month}];
      product.category = line.product_category();
      product.amounts.Add(line);
    }
    if (counted_lines == 0) return;
    AccountMonthDelta& account = account_month_[{order.account_id(), month}];
    account.revenue += counted.revenue;
    account.cost += counted.cost;
    account.quantity += counted.quantity;
    account.order_lines += counted_lines;
    ++account.orders;
    auto [span, inserted] = activity_.try_emplace(order.account_id(), OrderSpan{at, at});
    if (!inserted) {
      span->second.first = std::min(span->second.first, at);
      span->second.last = std::max(span->second.last, at);
    }
  }

  void AddPayment(const av1::Payment& payment) {
    if (!Counted(payment.amount())) {
      ++skips_.events_currency;
      return;
    }
    const int month = MonthKey(FromTimestamp(payment.pay_time()), config_.zone);
    account_month_[{payment.account_id(), month}].paid += payment.amount().minor_units();
  }

  void AddSignedContract(const av1::Contract& contract) {
    if (!Counted(contract.value())) {
      ++skips_.events_currency;
      return;
    }
    const int month = MonthKey(FromTimestamp(contract.sign_time()), config_.zone);
    AccountMonthDelta& delta = account_month_[{contract.account_id(), month}];
    delta.contract_value += contract.value().minor_units();
    ++delta.contracts;
  }

  void Write(DbConnection& db) const {
    WriteAccountMonths(db);
    WriteAccountProductMonths(db);
    WriteProductMonths(db);
    WriteActivity(db);
  }

 private:
  // An empty currency code means the deployment's currency (accounts.proto, Money).
  bool Counted(const av1::Money& money) const {
    return money.currency_code().empty() || money.currency_code() == config_.currency;
  }

  void WriteAccountMonths(DbConnection& db) const {
    static const MultiRowStatement upsert(
        "INSERT INTO account_month (account_id, month, revenue_minor, cost_minor, quantity, "
        "orders, order_lines, paid_minor, contract_value_minor, contracts_signed)",
        10,
        "ON DUPLICATE KEY UPDATE revenue_minor = revenue_minor + VALUES(revenue_minor), "
        "cost_minor = cost_minor + VALUES(cost_minor), quantity = quantity + VALUES(quantity), "
        "orders = orders + VALUES(orders), order_lines = order_lines + VALUES(order_lines), "
        "paid_minor = paid_minor + VALUES(paid_minor), "
        "contract_value_minor = contract_value_minor + VALUES(contract_value_minor), "
        "contracts_signed = contracts_signed + VALUES(contracts_signed)");
    std::vector<SqlParam> params;
    for (const auto& [key, d] : account_month_) {
      Append(params, {key.first, int64_t{key.second}, d.revenue, d.cost, d.quantity, d.orders,
                      d.order_lines, d.paid, d.contract_value, d.contracts});
    }
    upsert.Run(db, params);
  }

  void WriteAccountProductMonths(DbConnection& db) const {
    static const MultiRowStatement upsert(
        "INSERT INTO account_product_month (account_id, month, product_code, quantity, "
        "revenue_minor, cost_minor)",
        6,
        "ON DUPLICATE KEY UPDATE quantity = quantity + VALUES(quantity), "
        "revenue_minor = revenue_minor + VALUES(revenue_minor), "
        "cost_minor = cost_minor + VALUES(cost_minor)");
    std::vector<SqlParam> params;
    for (const auto& [key, d] : account_product_month_) {
      const auto& [account_id, month, product_code] = key;
      Append(params, {account_id, int64_t{month}, product_code, d.quantity, d.revenue, d.cost});
    }
    upsert.Run(db, params);
  }

  void WriteProductMonths(DbConnection& db) const {
    static const MultiRowStatement upsert(
        "INSERT INTO product_month (product_code, month, product_category, quantity, "
        "revenue_minor, cost_minor)",
        6,
        "ON DUPLICATE KEY UPDATE product_category = VALUES(product_category), "
        "quantity = quantity + VALUES(quantity), "
        "revenue_minor = revenue_minor + VALUES(revenue_minor), "
        "cost_minor = cost_minor + VALUES(cost_minor)");
    std::vector<SqlParam> params;
    for (const auto& [key, d] : product_month_) {
      Append(params, {key.first, int64_t{key.second}, d.category, d.amounts.quantity,
                      d.amounts.revenue, d.amounts.cost});
    }
    upsert.Run(db, params);
  }

  void WriteActivity(DbConnection& db) const {
    // first_order_month is assigned before first_order_time, so it compares with the stored
    // time whether the server assigns left to right or all at once.
    static const MultiRowStatement upsert(
        "INSERT INTO account_activity (account_id, first_order_time, first_order_month, "
        "last_order_time)",
        4,
        "ON DUPLICATE KEY UPDATE first_order_month = IF(VALUES(first_order_time) < "
        "first_order_time, VALUES(first_order_month), first_order_month), "
        "first_order_time = LEAST(first_order_time, VALUES(first_order_time)), "
        "last_order_time = GREATEST(last_order_time, VALUES(last_order_time))");
    std::vector<SqlParam> params;
    for (const auto& [account_id, span] : activity_) {
      Append(params,
             {account_id, span.first, int64_t{MonthKey(span.first, config_.zone)}, span.last});
    }
    upsert.Run(db, params);
  }

  const AnalyticsConfig& config_;
  Skips& skips_;
  std::map<std::pair<int64_t, int>, AccountMonthDelta> account_month_;
  std::map<std::tuple<int64_t, int, std::string>, ProductDelta> account_product_month_;
  std::map<std::pair<std::string, int>, ProductMonthDelta> product_month_;
  std::map<int64_t, OrderSpan> activity_;
};

// ---------------------------------------------------------------------------------------
// Accounts and the group closure.

struct StoredAccount {
  int64_t parent_id = 0;
  int64_t source_sequence = 0;
};

// A change of the hierarchy, in event order: a new account under parent_id, or an existing
// one moved (with its subtree) under parent_id (0: none).
struct HierarchyChange {
  int64_t account_id = 0;
  int64_t parent_id = 0;
  bool created = false;
};

// The group closure (account_groups: a row (self, self, 0) and one per ancestor) kept through
// creations and parent changes. New accounts' rows are computed from their parent's rows (read
// once per message, or kept from this message) and inserted together; a move writes at once.
class GroupClosure {
 public:
  explicit GroupClosure(DbConnection& db) : db_(db) {}

  // Reads the rows of `parents` (each (group, depth) of the parent, itself included).
  void Preload(const std::set<int64_t>& parents) {
    if (parents.empty()) return;
    SelectIn(db_, "SELECT account_id, group_id, depth FROM account_groups WHERE account_id IN ", "",
             std::vector<SqlParam>(parents.begin(), parents.end()), [&](sql::ResultSet& row) {
               up_[row.getInt64(1)].emplace_back(row.getInt64(2), row.getInt64(3));
             });
    // A parent analytics never saw (it cannot happen on a stream read from the start) still
    // groups its children.
    for (int64_t parent : parents) up_.try_emplace(parent, Up{{parent, 0}});
  }

  void Apply(const HierarchyChange& change) {
    if (change.created) {
      Create(change.account_id, change.parent_id);
    } else {
      Move(change.account_id, change.parent_id);
    }
  }

  // Writes the rows of the accounts created since the last flush.
  void Flush() {
    static const MultiRowStatement insert(
        "INSERT INTO account_groups (group_id, account_id, depth)", 3, "");
    insert.Run(db_, pending_);
    pending_.clear();
  }

 private:
  using Up = std::vector<std::pair<int64_t, int64_t>>;  // (group, depth), self at depth 0

  void Create(int64_t account_id, int64_t parent_id) {
    Up up = {{account_id, 0}};
    if (parent_id != 0) {
      for (const auto& [group, depth] : UpOf(parent_id)) up.emplace_back(group, depth + 1);
    }
    for (const auto& [group, depth] : up) Append(pending_, {group, account_id, depth});
    up_[account_id] = std::move(up);
  }

  // Detaches the subtree of `account_id` from its old ancestors and hangs it under the new
  // parent's: a descendant at depth d below the account keeps its rows of depth <= d.
  void Move(int64_t account_id, int64_t parent_id) {
    Flush();
    std::map<int64_t, std::vector<SqlParam>> subtree_by_depth;
    std::vector<std::pair<int64_t, int64_t>> subtree;
    sql::PreparedStatement& select =
        db_.Prepare("SELECT account_id, depth FROM account_groups WHERE group_id = ?");
    BindAll(select, {account_id});
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) {
      subtree.emplace_back(rows->getInt64(1), rows->getInt64(2));
      subtree_by_depth[subtree.back().second].push_back(subtree.back().first);
    }
    for (const auto& [level, ids] : subtree_by_depth) {
      // A lambda may not capture a structured binding before C++20 (clang refuses it).
      const int64_t depth = level;
      InChunks(ids, [&](const std::string& list, std::vector<SqlParam> chunk) {
        sql::PreparedStatement& remove = db_.Prepare(
            absl::StrCat("DELETE FROM account_groups WHERE depth > ? AND account_id IN ", list));
        chunk.insert(chunk.begin(), depth);
        BindAll(remove, chunk);
        remove.executeUpdate();
      });
    }
    up_.clear();  // every up-set in the subtree changed
    if (parent_id == 0) return;
    for (const auto& [group, group_depth] : UpOf(parent_id)) {
      for (const auto& [member, depth] : subtree) {
        Append(pending_, {group, member, group_depth + 1 + depth});
      }
    }
    Flush();
  }

  const Up& UpOf(int64_t id) {
    auto found = up_.find(id);
    if (found != up_.end()) return found->second;
    Preload({id});
    return up_.at(id);
  }

  DbConnection& db_;
  std::map<int64_t, Up> up_;
  std::vector<SqlParam> pending_;
};

class AccountRows {
 public:
  explicit AccountRows(const std::vector<const av1::Event*>& events) : events_(events) {}

  // Reads the stored rows, keeps the newest event per account and notes every hierarchy
  // change in order. Events not newer than the stored row change nothing.
  void Prepare(DbConnection& db) {
    std::set<int64_t> ids;
    for (const av1::Event* e : events_) ids.insert(e->account().id());
    if (ids.empty()) return;
    SelectIn(db, "SELECT account_id, parent_id, source_sequence FROM accounts WHERE account_id IN ",
             "", std::vector<SqlParam>(ids.begin(), ids.end()), [&](sql::ResultSet& row) {
               known_[row.getInt64(1)] = StoredAccount{row.getInt64(2), row.getInt64(3)};
             });
    for (const av1::Event* e : events_) {
      const av1::Account& account = e->account();
      auto found = known_.find(account.id());
      if (found != known_.end() && found->second.source_sequence >= e->sequence()) continue;
      if (found == known_.end()) {
        changes_.push_back({account.id(), account.parent_id(), /*created=*/true});
        if (account.parent_id() != 0) parents_of_new_.insert(account.parent_id());
      } else if (found->second.parent_id != account.parent_id()) {
        changes_.push_back({account.id(), account.parent_id(), /*created=*/false});
      }
      known_[account.id()] = StoredAccount{account.parent_id(), e->sequence()};
      newest_[account.id()] = e;
    }
  }

  void Write(DbConnection& db) const {
    WriteRows(db);
    GroupClosure closure(db);
    closure.Preload(parents_of_new_);
    for (const HierarchyChange& change : changes_) closure.Apply(change);
    closure.Flush();
  }

 private:
  // Every row written is newer than the stored one (Prepare checked under the cursor lock).
  void WriteRows(DbConnection& db) const {
    static const MultiRowStatement upsert(
        "INSERT INTO accounts (account_id, name, nature, industry, region, scale, "
        "lifecycle_stage, status, tier, owner_id, parent_id, credit_rating, archived, "
        "create_time, source_sequence)",
        15,
        "ON DUPLICATE KEY UPDATE name = VALUES(name), nature = VALUES(nature), "
        "industry = VALUES(industry), region = VALUES(region), scale = VALUES(scale), "
        "lifecycle_stage = VALUES(lifecycle_stage), status = VALUES(status), "
        "tier = VALUES(tier), owner_id = VALUES(owner_id), parent_id = VALUES(parent_id), "
        "credit_rating = VALUES(credit_rating), archived = VALUES(archived), "
        "create_time = VALUES(create_time), source_sequence = VALUES(source_sequence)");
    std::vector<SqlParam> params;
    for (const auto& [id, e] : newest_) {
      const av1::Account& a = e->account();
      const absl::Time created =
          FromTimestamp(a.has_create_time() ? a.create_time() : e->occur_time());
      Append(params,
             {id, a.name(), int64_t{a.nature()}, a.industry(), a.region(), int64_t{a.scale()},
              int64_t{a.lifecycle_stage()}, int64_t{a.status()}, int64_t{a.tier()}, a.owner_id(),
              a.parent_id(), int64_t{a.credit_rating()}, a.archived(), created, e->sequence()});
    }
    upsert.Run(db, params);
  }

  const std::vector<const av1::Event*>& events_;
  std::map<int64_t, StoredAccount> known_;
  std::map<int64_t, const av1::Event*> newest_;
  std::vector<HierarchyChange> changes_;
  std::set<int64_t> parents_of_new_;
};

// ---------------------------------------------------------------------------------------
// Opportunities and their stage stays.

bool IsOpenStage(int stage) {
  return stage >= av1::STAGE_CUSTOMER_DEVELOPMENT && stage <= av1::STAGE_IMPLEMENTATION;
}
bool IsClosedStage(int stage) { return stage == av1::STAGE_WON || stage == av1::STAGE_LOST; }

// The furthest open stage an opportunity in `stage` has certainly reached: WON is only
// reachable from IMPLEMENTATION; every opportunity starts in CUSTOMER_DEVELOPMENT.
int64_t ReachedStage(int stage) {
  if (IsOpenStage(stage)) return stage;
  if (stage == av1::STAGE_WON) return av1::STAGE_IMPLEMENTATION;
  return av1::STAGE_CUSTOMER_DEVELOPMENT;
}

struct OpportunityState {
  int stage = 0;
  int64_t furthest_stage = 0;
  absl::Time stage_entered;
  std::optional<absl::Time> close_time;
  int64_t source_sequence = 0;
  const av1::Event* newest = nullptr;  // set when this message changes it
};

// A stay's key (opportunity, entered, stage) and its end (unset while open).
using StayKey = std::tuple<int64_t, absl::Time, int>;

class OpportunityFacts {
 public:
  OpportunityFacts(const AnalyticsConfig& config, const std::vector<const av1::Event*>& events)
      : config_(config), events_(events) {}

  void Write(DbConnection& db) {
    if (events_.empty()) return;
    Load(db);
    for (const av1::Event* e : events_) Apply(*e);
    WriteFacts(db);
    WriteStays(db);
  }

 private:
  void Load(DbConnection& db) {
    std::set<int64_t> ids;
    for (const av1::Event* e : events_) ids.insert(e->opportunity().id());
    SelectIn(db,
             "SELECT opportunity_id, stage, furthest_stage, stage_entered_time, close_time, "
             "source_sequence FROM opportunity_facts WHERE opportunity_id IN ",
             "", std::vector<SqlParam>(ids.begin(), ids.end()), [&](sql::ResultSet& row) {
               OpportunityState& s = state_[row.getInt64("opportunity_id")];
               s.stage = row.getInt("stage");
               s.furthest_stage = row.getInt64("furthest_stage");
               s.stage_entered = FromSqlTime(row.getString("stage_entered_time"));
               s.close_time = OptionalTimeColumn(row, "close_time");
               s.source_sequence = row.getInt64("source_sequence");
             });
  }

  // A stage change closes the open stay at the event's time and opens one for the new
  // stage when it is open (WON and LOST have no stay).
  void Apply(const av1::Event& e) {
    const av1::Opportunity& o = e.opportunity();
    const absl::Time at = FromTimestamp(e.occur_time());
    auto [found, is_new] = state_.try_emplace(o.id());
    OpportunityState& s = found->second;
    if (!is_new && s.source_sequence >= e.sequence()) return;
    if (is_new) {
      s.stage = o.stage();
      s.stage_entered = o.has_create_time() ? FromTimestamp(o.create_time()) : at;
      if (IsOpenStage(s.stage)) stays_[{o.id(), s.stage_entered, s.stage}] = std::nullopt;
    } else if (o.stage() != s.stage) {
      if (IsOpenStage(s.stage)) stays_[{o.id(), s.stage_entered, s.stage}] = at;
      s.stage = o.stage();
      s.stage_entered = at;
      if (IsOpenStage(s.stage)) stays_[{o.id(), s.stage_entered, s.stage}] = std::nullopt;
    }
    s.furthest_stage = std::max(s.furthest_stage, ReachedStage(s.stage));
    if (IsClosedStage(s.stage)) {
      // The record's own close time; the event's when it has none.
      if (o.has_close_time()) {
        s.close_time = FromTimestamp(o.close_time());
      } else if (!s.close_time) {
        s.close_time = at;
      }
    } else {
      s.close_time.reset();
    }
    s.source_sequence = e.sequence();
    s.newest = &e;
  }

  void WriteFacts(DbConnection& db) const {
    static const MultiRowStatement upsert(
        "INSERT INTO opportunity_facts (opportunity_id, account_id, owner_id, stage, "
        "furthest_stage, amount_minor, probability_percent, expected_close_time, create_time, "
        "create_month, close_time, close_month, stage_entered_time, source_sequence)",
        14,
        "ON DUPLICATE KEY UPDATE account_id = VALUES(account_id), owner_id = VALUES(owner_id), "
        "stage = VALUES(stage), furthest_stage = VALUES(furthest_stage), "
        "amount_minor = VALUES(amount_minor), probability_percent = VALUES(probability_percent), "
        "expected_close_time = VALUES(expected_close_time), create_time = VALUES(create_time), "
        "create_month = VALUES(create_month), close_time = VALUES(close_time), "
        "close_month = VALUES(close_month), stage_entered_time = VALUES(stage_entered_time), "
        "source_sequence = VALUES(source_sequence)");
    std::vector<SqlParam> params;
    for (const auto& [id, s] : state_) {
      if (s.newest == nullptr) continue;
      const av1::Opportunity& o = s.newest->opportunity();
      const absl::Time created =
          FromTimestamp(o.has_create_time() ? o.create_time() : s.newest->occur_time());
      Append(params,
             {id, o.account_id(), o.owner_id(), int64_t{s.stage}, s.furthest_stage,
              o.amount().minor_units(), int64_t{o.probability_percent()},
              OptionalTime(o.expected_close_time(), o.has_expected_close_time()), created,
              int64_t{MonthKey(created, config_.zone)}, OptionalTimeParam(s.close_time),
              OptionalMonth(s.close_time, config_.zone), s.stage_entered, s.source_sequence});
    }
    upsert.Run(db, params);
  }

  void WriteStays(DbConnection& db) const {
    static const MultiRowStatement upsert(
        "INSERT INTO opportunity_stage_stays (opportunity_id, stage, entered_time, left_time, "
        "left_month)",
        5,
        "ON DUPLICATE KEY UPDATE left_time = VALUES(left_time), left_month = VALUES(left_month)");
    std::vector<SqlParam> params;
    for (const auto& [key, left] : stays_) {
      const auto& [id, entered, stage] = key;
      Append(params, {id, int64_t{stage}, entered, OptionalTimeParam(left),
                      OptionalMonth(left, config_.zone)});
    }
    upsert.Run(db, params);
  }

  const AnalyticsConfig& config_;
  const std::vector<const av1::Event*>& events_;
  std::map<int64_t, OpportunityState> state_;
  std::map<StayKey, std::optional<absl::Time>> stays_;
};

// ---------------------------------------------------------------------------------------
// Visit plans.

// The planned day is a UTC date (engagement.proto): its month is the UTC date's month, not
// the company zone's (which could move a date to the day before).
void WriteVisitFacts(DbConnection& db, const std::vector<const av1::Event*>& events) {
  static const MultiRowStatement upsert(
      "INSERT INTO visit_facts (visit_plan_id, account_id, owner_id, planned_month, status, "
      "source_sequence)",
      6, NewerRowWins({"account_id", "owner_id", "planned_month", "status"}));
  std::map<int64_t, const av1::Event*> newest;
  for (const av1::Event* e : events) newest[e->visit_plan().id()] = e;
  std::vector<SqlParam> params;
  for (const auto& [id, e] : newest) {
    const av1::VisitPlan& plan = e->visit_plan();
    Append(params, {id, plan.account_id(), plan.owner_id(),
                    int64_t{MonthKey(FromTimestamp(plan.planned_time()), absl::UTCTimeZone())},
                    int64_t{plan.status()}, e->sequence()});
  }
  upsert.Run(db, params);
}

// ---------------------------------------------------------------------------------------
// Owner changes: TransferAccounts moves the account's open opportunities and planned visits
// of the old owner to the new one without events of their own (NOTES.md), so the projection
// does the same. Rows written by a later event already carry their owner: only rows older
// than the change move.

struct OwnerMove {
  std::string from;
  std::string to;
  int64_t sequence = 0;  // the first change of the run
  std::vector<SqlParam> account_ids;
};

// Consecutive owner changes between the same owners (one transfer) move in one statement per
// chunk: no projected row has a sequence between them, so "older than the first" is exact.
std::vector<OwnerMove> OwnerMoves(const std::vector<const av1::Event*>& fresh) {
  std::vector<OwnerMove> moves;
  bool run_open = false;
  for (const av1::Event* e : fresh) {
    if (e->type() != "account.owner_changed" || !e->has_account()) {
      run_open = false;
      continue;
    }
    for (const av1::AccountChange& change : e->changes()) {
      if (change.kind() != av1::HISTORY_KIND_OWNER || change.from_value() == change.to_value()) {
        continue;
      }
      if (!run_open || moves.back().from != change.from_value() ||
          moves.back().to != change.to_value()) {
        moves.push_back({change.from_value(), change.to_value(), e->sequence(), {}});
        run_open = true;
      }
      moves.back().account_ids.push_back(e->account().id());
    }
  }
  return moves;
}

void ApplyOwnerMoves(DbConnection& db, const std::vector<OwnerMove>& moves) {
  static const std::string kOpportunities =
      "UPDATE opportunity_facts SET owner_id = ? WHERE owner_id = ? AND stage BETWEEN 1 AND 6 "
      "AND source_sequence < ? AND account_id IN ";
  static const std::string kVisits =
      "UPDATE visit_facts SET owner_id = ? WHERE owner_id = ? AND status = 1 "
      "AND source_sequence < ? AND account_id IN ";
  for (const OwnerMove& move : moves) {
    for (const std::string* head : {&kOpportunities, &kVisits}) {
      InChunks(move.account_ids, [&](const std::string& list, std::vector<SqlParam> chunk) {
        sql::PreparedStatement& update = db.Prepare(*head + list);
        chunk.insert(chunk.begin(), {move.to, move.from, move.sequence});
        BindAll(update, chunk);
        update.executeUpdate();
      });
    }
  }
}

// ---------------------------------------------------------------------------------------
// One message of the accounts stream, sorted by what it feeds.

class AccountsMessage {
 public:
  AccountsMessage(const AnalyticsConfig& config, Skips& skips)
      : config_(config), skips_(skips), rollups_(config, skips) {}

  void Add(const av1::Event& e) {
    const std::string& type = e.type();
    if (absl::StartsWith(type, "account.")) {
      Keep(e.has_account() && e.account().id() > 0, e, accounts_);
    } else if (type == "order.recorded") {
      if (Readable(e.has_order() && e.order().account_id() > 0)) rollups_.AddOrder(e.order());
    } else if (type == "payment.recorded") {
      if (Readable(e.has_payment() && e.payment().account_id() > 0)) {
        rollups_.AddPayment(e.payment());
      }
    } else if (type == "contract.signed") {
      if (Readable(e.has_contract() && e.contract().account_id() > 0 &&
                   e.contract().has_sign_time())) {
        rollups_.AddSignedContract(e.contract());
      }
    } else if (absl::StartsWith(type, "opportunity.")) {
      Keep(e.has_opportunity() && e.opportunity().id() > 0, e, opportunities_);
    } else if (absl::StartsWith(type, "visit_plan.")) {
      Keep(e.has_visit_plan() && e.visit_plan().id() > 0, e, visits_);
    }
    all_.push_back(&e);
  }

  // Opportunity and visit rows are written before owner changes move the older ones.
  void Write(DbConnection& db) {
    AccountRows accounts(accounts_);
    accounts.Prepare(db);
    accounts.Write(db);
    rollups_.Write(db);
    OpportunityFacts(config_, opportunities_).Write(db);
    WriteVisitFacts(db, visits_);
    ApplyOwnerMoves(db, OwnerMoves(all_));
  }

 private:
  bool Readable(bool readable) {
    if (!readable) ++skips_.events_unreadable;
    return readable;
  }
  void Keep(bool readable, const av1::Event& e, std::vector<const av1::Event*>& into) {
    if (Readable(readable)) into.push_back(&e);
  }

  const AnalyticsConfig& config_;
  Skips& skips_;
  Rollups rollups_;
  std::vector<const av1::Event*> accounts_;
  std::vector<const av1::Event*> opportunities_;
  std::vector<const av1::Event*> visits_;
  std::vector<const av1::Event*> all_;
};

// ---------------------------------------------------------------------------------------
// Complaints.

bool Breached(const cv1::SlaClock& clock) {
  return clock.status() == cv1::SLA_STATUS_BREACHED || clock.status() == cv1::SLA_STATUS_MET_LATE;
}

// NULL until judged, 0 when judged invalid, 1 for every state after a valid judgment.
SqlParam Validity(cv1::State state) {
  if (state == cv1::STATE_UNSPECIFIED || state == cv1::STATE_RECORDED) return SqlNull{};
  return int64_t{state == cv1::STATE_INVALID ? 0 : 1};
}

// The resolution clock also stops when a complaint is judged invalid, and restarts on a
// reopen: only a complaint in an implemented state has an implementation time.
SqlParam ImplementedTime(const cv1::Complaint& c) {
  const bool implemented = c.state() == cv1::STATE_RESOLUTION_IMPLEMENTED ||
                           c.state() == cv1::STATE_FOLLOWED_UP || c.state() == cv1::STATE_CLOSED;
  return OptionalTime(c.resolution_sla().met_time(),
                      implemented && c.resolution_sla().has_met_time());
}

void WriteComplaintFacts(DbConnection& db, const AnalyticsConfig& config,
                         const std::vector<const cv1::Event*>& events, Skips& skips) {
  static const MultiRowStatement upsert(
      "INSERT INTO complaint_facts (complaint_id, account_id, category, severity, state, "
      "account_tier, create_time, create_month, valid, implemented_time, close_time, "
      "judgment_breached, resolution_breached, follow_up_time, satisfaction_gap, "
      "source_sequence)",
      16,
      NewerRowWins({"account_id", "category", "severity", "state", "account_tier", "create_time",
                    "create_month", "valid", "implemented_time", "close_time", "judgment_breached",
                    "resolution_breached", "follow_up_time", "satisfaction_gap"}));
  std::map<int64_t, const cv1::Event*> newest;
  for (const cv1::Event* e : events) {
    if (!absl::StartsWith(e->type(), "complaint.")) continue;
    if (!e->has_complaint() || e->complaint().id() <= 0) {
      ++skips.events_unreadable;
      continue;
    }
    newest[e->complaint().id()] = e;
  }
  std::vector<SqlParam> params;
  for (const auto& [id, e] : newest) {
    const cv1::Complaint& c = e->complaint();
    const absl::Time created = FromTimestamp(c.create_time());
    const bool followed_up = c.has_follow_up();
    Append(params,
           {id, c.account_id(), int64_t{c.category()}, int64_t{c.severity()}, int64_t{c.state()},
            int64_t{c.account_tier()}, created, int64_t{MonthKey(created, config.zone)},
            Validity(c.state()), ImplementedTime(c),
            OptionalTime(c.close_time(), c.has_close_time()), Breached(c.judgment_sla()),
            Breached(c.resolution_sla()), OptionalTime(c.follow_up().time(), followed_up),
            followed_up ? SqlParam{int64_t{c.follow_up().satisfaction_gap()}} : SqlParam{SqlNull{}},
            e->sequence()});
  }
  upsert.Run(db, params);
}

// ---------------------------------------------------------------------------------------

// Applies one message of `stream` in one transaction: the cursor row locked, the fresh
// events' effects (by `effects`), their ids, the new cursor and the producer's head.
template <typename Message, typename Event>
absl::StatusOr<FeedProgress> ApplyMessage(
    DbPool& pool, const std::string& stream, const Message& message,
    const std::function<void(DbConnection&, const std::vector<const Event*>&)>& effects) {
  FeedProgress progress;
  absl::Status status =
      InTransaction(pool, absl::StrCat("projection.", stream), [&](DbConnection& db) {
        const int64_t stored = LockCursor(db, stream);
        const std::vector<const Event*> fresh = FreshEvents(db, stored, message.events());
        effects(db, fresh);
        RecordApplied(db, stream, fresh);
        progress.applied = static_cast<int64_t>(fresh.size());
        progress.cursor = CursorAfter(stored, message);
        if (progress.cursor != stored || !fresh.empty()) {
          StoreCursor(db, stream, progress.cursor, message.head_sequence());
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return progress;
}

}  // namespace

struct Projection::Metrics {
  explicit Metrics(prometheus::Registry* registry) {
    if (registry == nullptr) return;
    auto& lines = prometheus::BuildCounter()
                      .Name("kam_analytics_skipped_lines_total")
                      .Help(
                          "Order lines left out of the rollups, by reason (currency: not in "
                          "the reporting currency)")
                      .Register(*registry);
    auto& events = prometheus::BuildCounter()
                       .Name("kam_analytics_skipped_events_total")
                       .Help(
                           "Events left out of the facts, by reason (currency: a payment or "
                           "signed contract not in the reporting currency; unreadable: no "
                           "record in the event)")
                       .Register(*registry);
    lines_currency = &lines.Add({{"reason", "currency"}});
    events_currency = &events.Add({{"reason", "currency"}});
    events_unreadable = &events.Add({{"reason", "unreadable"}});
  }

  void Count(const Skips& skips) {
    if (lines_currency == nullptr) return;
    lines_currency->Increment(static_cast<double>(skips.lines_currency));
    events_currency->Increment(static_cast<double>(skips.events_currency));
    events_unreadable->Increment(static_cast<double>(skips.events_unreadable));
  }

  prometheus::Counter* lines_currency = nullptr;
  prometheus::Counter* events_currency = nullptr;
  prometheus::Counter* events_unreadable = nullptr;
};

Projection::Projection(DbPool& pool, AnalyticsConfig config, prometheus::Registry* registry)
    : pool_(pool), config_(std::move(config)), metrics_(std::make_unique<Metrics>(registry)) {}
Projection::~Projection() = default;

absl::StatusOr<FeedProgress> Projection::ApplyAccounts(const av1::WatchEventsResponse& message) {
  Skips skips;
  absl::StatusOr<FeedProgress> progress = ApplyMessage<av1::WatchEventsResponse, av1::Event>(
      pool_, kAccountsStream, message,
      [&](DbConnection& db, const std::vector<const av1::Event*>& fresh) {
        skips = {};  // a retried transaction starts over
        AccountsMessage batch(config_, skips);
        for (const av1::Event* e : fresh) batch.Add(*e);
        batch.Write(db);
      });
  if (progress.ok()) metrics_->Count(skips);
  return progress;
}

absl::StatusOr<FeedProgress> Projection::ApplyComplaints(const cv1::WatchEventsResponse& message) {
  Skips skips;
  absl::StatusOr<FeedProgress> progress = ApplyMessage<cv1::WatchEventsResponse, cv1::Event>(
      pool_, kComplaintsStream, message,
      [&](DbConnection& db, const std::vector<const cv1::Event*>& fresh) {
        skips = {};
        WriteComplaintFacts(db, config_, fresh, skips);
      });
  if (progress.ok()) metrics_->Count(skips);
  return progress;
}

absl::StatusOr<int64_t> Projection::Cursor(std::string_view stream) {
  int64_t cursor = 0;
  absl::Status status = WithConnection(pool_, "projection.cursor", [&](DbConnection& db) {
    sql::PreparedStatement& select = db.Prepare(kReadCursor);
    BindAll(select, {std::string(stream)});
    std::unique_ptr<sql::ResultSet> row(select.executeQuery());
    cursor = row->next() ? row->getInt64(1) : 0;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return cursor;
}

absl::StatusOr<v1::FactsVersion> Projection::Version() {
  v1::FactsVersion version;
  absl::Status status = WithConnection(pool_, "projection.version", [&](DbConnection& db) {
    version.Clear();
    sql::PreparedStatement& select = db.Prepare(kReadCursors);
    BindAll(select, {std::string(kAccountsStream), std::string(kComplaintsStream)});
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) {
      const int64_t cursor = rows->getInt64(2);
      if (rows->getString(1) == kAccountsStream) {
        version.set_accounts_sequence(cursor);
      } else {
        version.set_complaints_sequence(cursor);
      }
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return version;
}

EventFeedOptions Projection::AccountsFeedOptions(std::string identity_key) {
  EventFeedOptions options;
  options.stream = kAccountsStream;
  options.full_method = "/kam.accounts.v1.AccountService/WatchEvents";
  options.subject = "analytics";
  options.identity_key = std::move(identity_key);
  options.type_prefixes = {"account.",  "order.",       "payment.",
                           "contract.", "opportunity.", "visit_plan."};
  return options;
}

EventFeedOptions Projection::ComplaintsFeedOptions(std::string identity_key) {
  EventFeedOptions options;
  options.stream = kComplaintsStream;
  options.full_method = "/kam.complaints.v1.ComplaintService/WatchEvents";
  options.subject = "analytics";
  options.identity_key = std::move(identity_key);
  options.type_prefixes = {"complaint."};
  return options;
}

std::unique_ptr<AccountsFeed> MakeAccountsFeed(const std::shared_ptr<grpc::Channel>& channel,
                                               Projection& projection, EventFeedOptions options,
                                               prometheus::Registry* registry) {
  return std::make_unique<AccountsFeed>(
      channel, std::move(options), [&projection] { return projection.Cursor(kAccountsStream); },
      [&projection](const av1::WatchEventsResponse& message) {
        return projection.ApplyAccounts(message);
      },
      registry);
}

std::unique_ptr<ComplaintsFeed> MakeComplaintsFeed(const std::shared_ptr<grpc::Channel>& channel,
                                                   Projection& projection, EventFeedOptions options,
                                                   prometheus::Registry* registry) {
  return std::make_unique<ComplaintsFeed>(
      channel, std::move(options), [&projection] { return projection.Cursor(kComplaintsStream); },
      [&projection](const cv1::WatchEventsResponse& message) {
        return projection.ApplyComplaints(message);
      },
      registry);
}

}  // namespace kam::analytics
