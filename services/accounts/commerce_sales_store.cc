#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/accounts/commerce_sql.h"
#include "services/accounts/commerce_store.h"
#include "services/common/status.h"

// Orders and payments: idempotent by external id, receivables kept with each, and the
// credit gate applied under the row locks of the account and its limited ancestors.
namespace kam::accounts {
namespace {

using commerce_sql::Exists;
using commerce_sql::kDuplicateEntry;
using commerce_sql::OptionalId;
using commerce_sql::ReadAll;
using commerce_sql::Select;
using commerce_sql::SumColumn;

// A page of orders stops early past this many lines, so that a response stays far below
// gRPC's 4 MiB message limit (an order alone has at most 500).
constexpr size_t kMaxLinesPerPage = 10000;

constexpr char kOrderColumns[] =
    "id, account_id, external_id, fingerprint, contract_id, ordered_at, revenue_minor, "
    "cost_minor, credit_override_id, create_time";
constexpr char kPaymentColumns[] =
    "id, account_id, external_id, fingerprint, order_id, amount_minor, paid_at, create_time";
constexpr char kOverrideColumns[] =
    "id, account_id, allowance_minor, reason, director_id, expires_at, create_time";

constexpr char kContractOfAccount[] = "SELECT 1 FROM contracts WHERE id = ? AND account_id = ?";
constexpr char kOrderOfAccount[] = "SELECT 1 FROM orders WHERE id = ? AND account_id = ?";
constexpr char kInsertOrder[] =
    "INSERT INTO orders (account_id, external_id, fingerprint, contract_id, ordered_at, "
    "revenue_minor, cost_minor, credit_override_id, create_time) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kInsertPayment[] =
    "INSERT INTO payments (account_id, external_id, fingerprint, order_id, amount_minor, "
    "paid_at, create_time) VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr char kSetReceivable[] = "UPDATE accounts SET receivable_minor = ? WHERE id = ?";
constexpr char kLockAccount[] = "SELECT id FROM accounts WHERE id = ? FOR UPDATE";

// What DATETIME(6) holds: the bounds of "no period" and of a first page.
const absl::Time kEarliest = absl::FromCivil(absl::CivilSecond(1000, 1, 1), absl::UTCTimeZone());
const absl::Time kLatest =
    absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), absl::UTCTimeZone()) +
    absl::Microseconds(999999);

// "?, ?, ?" for `ids`, padded to a power of two by repeating the last id, so that a handful
// of statement texts serve every page size (prepared statements are cached per text).
std::string InList(const std::vector<int64_t>& ids, std::vector<SqlParam>* params) {
  size_t slots = 1;
  while (slots < ids.size()) slots *= 2;
  std::vector<std::string> marks(slots, "?");
  for (size_t i = 0; i < slots; ++i) params->push_back(ids[std::min(i, ids.size() - 1)]);
  return absl::StrJoin(marks, ", ");
}

Order ReadOrder(const sql::ResultSet& row) {
  Order o;
  o.id = row.getInt64("id");
  o.account_id = row.getInt64("account_id");
  o.external_id = row.getString("external_id");
  o.contract_id = OptionalId(row, "contract_id");
  o.order_time = FromSqlTime(row.getString("ordered_at"));
  o.revenue_minor = row.getInt64("revenue_minor");
  o.cost_minor = row.getInt64("cost_minor");
  o.credit_override_id = OptionalId(row, "credit_override_id");
  o.create_time = FromSqlTime(row.getString("create_time"));
  return o;
}

Payment ReadPayment(const sql::ResultSet& row) {
  Payment p;
  p.id = row.getInt64("id");
  p.account_id = row.getInt64("account_id");
  p.external_id = row.getString("external_id");
  p.order_id = OptionalId(row, "order_id");
  p.amount_minor = row.getInt64("amount_minor");
  p.pay_time = FromSqlTime(row.getString("paid_at"));
  p.create_time = FromSqlTime(row.getString("create_time"));
  return p;
}

CreditOverride ReadOverride(const sql::ResultSet& row) {
  CreditOverride o;
  o.id = row.getInt64("id");
  o.account_id = row.getInt64("account_id");
  o.allowance_minor = row.getInt64("allowance_minor");
  o.reason = row.getString("reason");
  o.director_id = row.getString("director_id");
  o.expire_time = FromSqlTime(row.getString("expires_at"));
  o.create_time = FromSqlTime(row.getString("create_time"));
  return o;
}

// Loads the lines of `orders` with one query.
void LoadLines(DbConnection& db, std::vector<Order>& orders) {
  if (orders.empty()) return;
  std::vector<int64_t> ids;
  for (const Order& o : orders) ids.push_back(o.id);
  std::vector<SqlParam> params;
  const std::string query = absl::StrCat(
      "SELECT order_id, product_code, product_category, quantity, revenue_minor, cost_minor "
      "FROM order_lines WHERE order_id IN (",
      InList(ids, &params), ") ORDER BY order_id, line_no");
  sql::PreparedStatement& select = db.Prepare(query);
  BindAll(select, params);
  std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
  std::map<int64_t, std::vector<OrderLine>> lines;
  while (rows->next()) {
    lines[rows->getInt64("order_id")].push_back(
        {rows->getString("product_code"), rows->getString("product_category"),
         rows->getInt64("quantity"), rows->getInt64("revenue_minor"),
         rows->getInt64("cost_minor")});
  }
  for (Order& o : orders) o.lines = std::move(lines[o.id]);
}

// Multi-row INSERTs in chunks of 64, 32, ..., 1 rows: one round trip per chunk, and only
// seven statement texts.
void InsertLines(DbConnection& db, int64_t order_id, const std::vector<OrderLine>& lines) {
  size_t done = 0;
  while (done < lines.size()) {
    size_t chunk = 64;
    while (chunk > lines.size() - done) chunk /= 2;
    std::vector<std::string> rows(chunk, "(?, ?, ?, ?, ?, ?, ?)");
    const std::string query = absl::StrCat(
        "INSERT INTO order_lines (order_id, line_no, product_code, product_category, quantity, "
        "revenue_minor, cost_minor) VALUES ",
        absl::StrJoin(rows, ", "));
    std::vector<SqlParam> params;
    for (size_t i = done; i < done + chunk; ++i) {
      const OrderLine& l = lines[i];
      params.insert(params.end(), {order_id, static_cast<int64_t>(i + 1), l.product_code,
                                   l.product_category, l.quantity, l.revenue_minor, l.cost_minor});
    }
    sql::PreparedStatement& insert = db.Prepare(query);
    BindAll(insert, params);
    insert.executeUpdate();
    done += chunk;
  }
}

// ---- The credit chain ----

// The account's ancestors (depth >= 1) that have a credit limit, root first.
std::vector<int64_t> LimitedAncestors(DbConnection& db, int64_t account_id) {
  static const std::string query =
      absl::StrCat(kAncestorsCte,
                   "SELECT s.id FROM ancestors s JOIN accounts a ON a.id = s.id "
                   "WHERE s.depth > 0 AND a.credit_limit_minor > 0 ORDER BY s.depth DESC");
  sql::PreparedStatement& select = db.Prepare(query);
  BindAll(select, {account_id});
  std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
  std::vector<int64_t> ids;
  while (rows->next()) ids.push_back(rows->getInt64("id"));
  return ids;
}

// Locks the limited ancestors root first; the caller locks the account itself next. Every
// order locks in this order (ancestors from the root down, then the account), so orders
// under a shared limit queue on it instead of deadlocking, and each reads the receivables
// its predecessors committed.
std::vector<int64_t> LockLimitedAncestors(DbConnection& db, int64_t account_id) {
  std::vector<int64_t> ids = LimitedAncestors(db, account_id);
  for (int64_t id : ids) {
    sql::PreparedStatement& lock = db.Prepare(kLockAccount);
    BindAll(lock, {id});
    std::unique_ptr<sql::ResultSet> locked(lock.executeQuery());
  }
  return ids;
}

absl::StatusOr<CreditLimit> LimitOf(DbConnection& db, int64_t account_id) {
  static const std::string query = absl::StrCat(
      kSubtreeCte,
      "SELECT a.credit_limit_minor AS credit_limit, "
      "(SELECT SUM(r.receivable_minor) FROM subtree t JOIN accounts r ON r.id = t.id) AS exposure "
      "FROM accounts a WHERE a.id = ?");
  sql::PreparedStatement& select = db.Prepare(query);
  BindAll(select, {account_id, account_id});
  std::unique_ptr<sql::ResultSet> row(select.executeQuery());
  if (!row->next()) return AccountNotFound(account_id);
  absl::StatusOr<int64_t> exposure = SumColumn(*row, "exposure", "order.revenue");
  if (!exposure.ok()) return exposure.status();
  return CreditLimit{account_id, row->getInt64("credit_limit"), *exposure};
}

// The credit position of the (locked) account: its limits, nearest first, with the
// receivables now under each, and its overrides in force. ABORTED when the group above it
// changed between locking and reading (a moved subsidiary or a new limit): retry.
absl::StatusOr<CreditPosition> ReadCreditPosition(DbConnection& db, const Account& account,
                                                  const std::vector<int64_t>& locked,
                                                  absl::Time now) {
  const std::vector<int64_t> limited = LimitedAncestors(db, account.id);
  if (limited != locked) {
    return absl::AbortedError("the account's group changed while the order was checked; retry");
  }
  CreditPosition position;
  position.account_id = account.id;
  position.status = account.status;
  position.archived = account.archived;
  std::vector<int64_t> holders(limited.rbegin(), limited.rend());
  if (account.credit_limit_minor > 0) holders.insert(holders.begin(), account.id);
  for (int64_t id : holders) {
    absl::StatusOr<CreditLimit> limit = LimitOf(db, id);
    if (!limit.ok()) return limit.status();
    position.limits.push_back(*limit);
  }
  static const std::string overrides = Select(
      kOverrideColumns, "credit_overrides WHERE account_id = ? AND expires_at > ? ORDER BY id");
  position.overrides = ReadAll(db, overrides, {account.id, now}, ReadOverride);
  return position;
}

// ---- Orders and payments ----

// The order recorded under `external_id` for the account, if any, with its lines and its
// fingerprint. External ids are scoped to their account, so that nobody learns or blocks the
// ids of accounts they cannot see.
std::optional<std::pair<Order, std::string>> FindOrder(DbConnection& db, int64_t account_id,
                                                       const std::string& external_id) {
  static const std::string query =
      Select(kOrderColumns, "orders WHERE account_id = ? AND external_id = ?");
  sql::PreparedStatement& select = db.Prepare(query);
  BindAll(select, {account_id, external_id});
  std::unique_ptr<sql::ResultSet> row(select.executeQuery());
  if (!row->next()) return std::nullopt;
  std::vector<Order> found = {ReadOrder(*row)};
  const std::string fingerprint = row->getString("fingerprint");
  LoadLines(db, found);
  return std::make_pair(std::move(found[0]), fingerprint);
}

// The same content sent again is the earlier order; other content under its id is refused.
absl::StatusOr<Recorded<Order>> EarlierOrder(std::pair<Order, std::string> found,
                                             const std::string& fingerprint) {
  if (found.second != fingerprint) {
    return InvalidField("order.external_id", "already used for a different order");
  }
  return Recorded<Order>{std::move(found.first), /*duplicate=*/true};
}

absl::Status SetReceivable(DbConnection& db, const Account& account, int64_t change,
                           std::string_view field) {
  absl::StatusOr<int64_t> receivable = AddMoney(field, account.receivable_minor, change);
  if (!receivable.ok()) return receivable.status();
  sql::PreparedStatement& update = db.Prepare(kSetReceivable);
  BindAll(update, {*receivable, account.id});
  update.executeUpdate();
  return absl::OkStatus();
}

// Inserts the order row; nullopt when another transaction took the external id first.
std::optional<int64_t> InsertOrder(DbConnection& db, const Order& o,
                                   const std::string& fingerprint) {
  sql::PreparedStatement& insert = db.Prepare(kInsertOrder);
  BindAll(insert,
          {o.account_id, o.external_id, fingerprint, OptionalIdParam(o.contract_id), o.order_time,
           o.revenue_minor, o.cost_minor, OptionalIdParam(o.credit_override_id), o.create_time});
  try {
    insert.executeUpdate();
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != kDuplicateEntry) throw;
    return std::nullopt;
  }
  return LastInsertId(db);
}

absl::StatusOr<Recorded<Order>> WriteOrder(DbConnection& db, const Mutation& m, Order order,
                                           const CommerceStore::AccountRule& admit,
                                           const CommerceStore::CreditRule& gate) {
  const std::vector<int64_t> locked = LockLimitedAncestors(db, order.account_id);
  std::optional<AccountView> view = SelectAccountView(db, order.account_id, m.actor, true);
  if (!view) return AccountNotFound(order.account_id);
  if (auto s = admit(*view); !s.ok()) return s;
  const std::string fingerprint = OrderFingerprint(order);
  if (auto found = FindOrder(db, order.account_id, order.external_id))
    return EarlierOrder(*found, fingerprint);
  if (order.contract_id != 0 &&
      !Exists(db, kContractOfAccount, {order.contract_id, order.account_id})) {
    return InvalidField("order.contract_id",
                        absl::StrCat("not a contract of account ", order.account_id));
  }
  absl::StatusOr<CreditPosition> position = ReadCreditPosition(db, view->account, locked, m.now);
  if (!position.ok()) return position.status();
  absl::StatusOr<int64_t> override_id = gate(*position);
  if (!override_id.ok()) return override_id.status();
  order.credit_override_id = *override_id;
  std::optional<int64_t> id = InsertOrder(db, order, fingerprint);
  if (!id) {
    std::optional<std::pair<Order, std::string>> found =
        FindOrder(db, order.account_id, order.external_id);
    if (!found) return absl::AbortedError("order.external_id is being recorded; retry");
    return EarlierOrder(*found, fingerprint);
  }
  order.id = *id;
  InsertLines(db, order.id, order.lines);
  if (auto s = SetReceivable(db, view->account, order.revenue_minor, "order.revenue"); !s.ok()) {
    return s;
  }
  Record(db, m, "order", "recorded", absl::StrCat(order.id), nullptr, ToJson(order));
  return Recorded<Order>{std::move(order), /*duplicate=*/false};
}

std::optional<std::pair<Payment, std::string>> FindPayment(DbConnection& db, int64_t account_id,
                                                           const std::string& external_id) {
  static const std::string query =
      Select(kPaymentColumns, "payments WHERE account_id = ? AND external_id = ?");
  sql::PreparedStatement& select = db.Prepare(query);
  BindAll(select, {account_id, external_id});
  std::unique_ptr<sql::ResultSet> row(select.executeQuery());
  if (!row->next()) return std::nullopt;
  return std::make_pair(ReadPayment(*row), std::string(row->getString("fingerprint")));
}

absl::StatusOr<Recorded<Payment>> EarlierPayment(std::pair<Payment, std::string> found,
                                                 const std::string& fingerprint) {
  if (found.second != fingerprint) {
    return InvalidField("payment.external_id", "already used for a different payment");
  }
  return Recorded<Payment>{std::move(found.first), /*duplicate=*/true};
}

absl::StatusOr<Recorded<Payment>> WritePayment(DbConnection& db, const Mutation& m, Payment payment,
                                               const CommerceStore::AccountRule& admit) {
  std::optional<AccountView> view = SelectAccountView(db, payment.account_id, m.actor, true);
  if (!view) return AccountNotFound(payment.account_id);
  if (auto s = admit(*view); !s.ok()) return s;
  const std::string fingerprint = PaymentFingerprint(payment);
  if (auto found = FindPayment(db, payment.account_id, payment.external_id))
    return EarlierPayment(*found, fingerprint);
  if (auto s = CheckTakesPayments(view->account); !s.ok()) return s;
  if (payment.order_id != 0 &&
      !Exists(db, kOrderOfAccount, {payment.order_id, payment.account_id})) {
    return InvalidField("payment.order_id",
                        absl::StrCat("not an order of account ", payment.account_id));
  }
  sql::PreparedStatement& insert = db.Prepare(kInsertPayment);
  BindAll(insert,
          {payment.account_id, payment.external_id, fingerprint, OptionalIdParam(payment.order_id),
           payment.amount_minor, payment.pay_time, payment.create_time});
  try {
    insert.executeUpdate();
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != kDuplicateEntry) throw;
    std::optional<std::pair<Payment, std::string>> found =
        FindPayment(db, payment.account_id, payment.external_id);
    if (!found) return absl::AbortedError("payment.external_id is being recorded; retry");
    return EarlierPayment(*found, fingerprint);
  }
  payment.id = LastInsertId(db);
  if (auto s = SetReceivable(db, view->account, -payment.amount_minor, "payment.amount"); !s.ok()) {
    return s;
  }
  Record(db, m, "payment", "recorded", absl::StrCat(payment.id), nullptr, ToJson(payment));
  return Recorded<Payment>{std::move(payment), /*duplicate=*/false};
}

// Runs one import item in its own transaction.
template <typename T>
absl::StatusOr<Recorded<T>> InOwnTransaction(
    DbPool& pool, const char* context,
    const std::function<absl::StatusOr<Recorded<T>>(DbConnection&)>& write) {
  std::optional<Recorded<T>> result;
  absl::Status status = InTransaction(pool, context, [&](DbConnection& db) -> absl::Status {
    absl::StatusOr<Recorded<T>> done = write(db);
    if (!done.ok()) return done.status();
    result = *std::move(done);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return *std::move(result);
}

const Codec<Order> kOrderCodec{[](const Order& o) { return ToJson(o); }, OrderFromJson};
const Codec<Payment> kPaymentCodec{[](const Payment& p) { return ToJson(p); }, PaymentFromJson};

}  // namespace

// ---- Orders and payments ----

absl::StatusOr<Order> CommerceStore::RecordOrder(const Mutation& m, const Order& order,
                                                 const AccountRule& admit, const CreditRule& gate) {
  return RunIdempotent<Order>(
      pool_, m, "order.record", kOrderCodec, [&](DbConnection& db) -> absl::StatusOr<Order> {
        absl::StatusOr<Recorded<Order>> recorded = WriteOrder(db, m, order, admit, gate);
        if (!recorded.ok()) return recorded.status();
        return std::move(recorded->record);
      });
}

absl::StatusOr<Recorded<Order>> CommerceStore::ImportOrder(const Mutation& m, const Order& order,
                                                           const AccountRule& admit,
                                                           const CreditRule& gate) {
  return InOwnTransaction<Order>(pool_, "order.import", [&](DbConnection& db) {
    return WriteOrder(db, m, order, admit, gate);
  });
}

absl::StatusOr<Payment> CommerceStore::RecordPayment(const Mutation& m, const Payment& payment,
                                                     const AccountRule& admit) {
  return RunIdempotent<Payment>(
      pool_, m, "payment.record", kPaymentCodec, [&](DbConnection& db) -> absl::StatusOr<Payment> {
        absl::StatusOr<Recorded<Payment>> recorded = WritePayment(db, m, payment, admit);
        if (!recorded.ok()) return recorded.status();
        return std::move(recorded->record);
      });
}

absl::StatusOr<Recorded<Payment>> CommerceStore::ImportPayment(const Mutation& m,
                                                               const Payment& payment,
                                                               const AccountRule& admit) {
  return InOwnTransaction<Payment>(pool_, "payment.import", [&](DbConnection& db) {
    return WritePayment(db, m, payment, admit);
  });
}

absl::StatusOr<Page<Order>> CommerceStore::ListOrders(int64_t account_id,
                                                      const std::optional<SalesPeriod>& period,
                                                      int64_t after_id, int page_size) {
  static const std::string cursor_query =
      "SELECT ordered_at FROM orders WHERE id = ? AND account_id = ?";
  static const std::string page_query =
      Select(kOrderColumns,
             "orders WHERE account_id = ? AND ordered_at >= ? AND ordered_at < ? "
             "AND (ordered_at < ? OR (ordered_at = ? AND id < ?)) "
             "ORDER BY ordered_at DESC, id DESC LIMIT ?");
  Page<Order> page;
  absl::Status status = WithConnection(pool_, "order.list", [&](DbConnection& db) -> absl::Status {
    absl::Time cursor_time = kLatest;
    int64_t cursor_id = std::numeric_limits<int64_t>::max();
    if (after_id != 0) {
      sql::PreparedStatement& cursor = db.Prepare(cursor_query);
      BindAll(cursor, {after_id, account_id});
      std::unique_ptr<sql::ResultSet> row(cursor.executeQuery());
      if (!row->next()) return InvalidField("page_token", "does not belong to this list");
      cursor_time = FromSqlTime(row->getString("ordered_at"));
      cursor_id = after_id;
    }
    const SalesPeriod range = period.value_or(SalesPeriod{kEarliest, kLatest});
    page.items = ReadAll(db, page_query,
                         {account_id, range.start, range.end, cursor_time, cursor_time, cursor_id,
                          int64_t{page_size} + 1},
                         ReadOrder);
    TrimPage(page, page_size);
    LoadLines(db, page.items);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  // Keep whole orders only, at least one, up to the line budget.
  size_t lines = 0;
  for (size_t i = 0; i < page.items.size(); ++i) {
    lines += page.items[i].lines.size();
    if (i > 0 && lines > kMaxLinesPerPage) {
      page.items.resize(i);
      page.more = true;
      break;
    }
  }
  return page;
}

absl::StatusOr<Page<Payment>> CommerceStore::ListPayments(int64_t account_id, int64_t after_id,
                                                          int page_size) {
  static const std::string cursor_query =
      "SELECT paid_at FROM payments WHERE id = ? AND account_id = ?";
  static const std::string page_query =
      Select(kPaymentColumns,
             "payments WHERE account_id = ? AND (paid_at < ? OR (paid_at = ? AND id < ?)) "
             "ORDER BY paid_at DESC, id DESC LIMIT ?");
  Page<Payment> page;
  absl::Status status =
      WithConnection(pool_, "payment.list", [&](DbConnection& db) -> absl::Status {
        absl::Time cursor_time = kLatest;
        int64_t cursor_id = std::numeric_limits<int64_t>::max();
        if (after_id != 0) {
          sql::PreparedStatement& cursor = db.Prepare(cursor_query);
          BindAll(cursor, {after_id, account_id});
          std::unique_ptr<sql::ResultSet> row(cursor.executeQuery());
          if (!row->next()) return InvalidField("page_token", "does not belong to this list");
          cursor_time = FromSqlTime(row->getString("paid_at"));
          cursor_id = after_id;
        }
        page.items = ReadAll(
            db, page_query,
            {account_id, cursor_time, cursor_time, cursor_id, int64_t{page_size} + 1}, ReadPayment);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  TrimPage(page, page_size);
  return page;
}

}  // namespace kam::accounts
