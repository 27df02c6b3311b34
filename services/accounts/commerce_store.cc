#include "services/accounts/commerce_store.h"

#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/accounts/commerce_sql.h"
#include "services/common/status.h"

// Contracts, credit reports and overrides, and the group summary. Orders and payments are
// in commerce_sales_store.cc.
namespace kam::accounts {
namespace {

using commerce_sql::Exists;
using commerce_sql::kDuplicateEntry;
using commerce_sql::OptionalId;
using commerce_sql::ReadAll;
using commerce_sql::Select;
using commerce_sql::SumColumn;

constexpr char kContractColumns[] =
    "id, account_id, number, value_minor, start_at, end_at, signed_at, opportunity_id, "
    "create_time";
constexpr char kReportColumns[] =
    "id, account_id, kind, source, summary, suggested_rating, author_id, create_time";

constexpr char kInsertContract[] =
    "INSERT INTO contracts (account_id, number, value_minor, start_at, end_at, signed_at, "
    "opportunity_id, create_time) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)";
constexpr char kSignContract[] = "UPDATE contracts SET signed_at = ? WHERE id = ?";
constexpr char kOpportunityOfAccount[] =
    "SELECT 1 FROM opportunities WHERE id = ? AND account_id = ?";
constexpr char kInsertReport[] =
    "INSERT INTO credit_reports (account_id, kind, source, summary, suggested_rating, "
    "author_id, create_time) VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr char kInsertOverride[] =
    "INSERT INTO credit_overrides (account_id, allowance_minor, reason, director_id, "
    "expires_at, create_time) VALUES (?, ?, ?, ?, ?, ?)";

Contract ReadContract(const sql::ResultSet& row) {
  Contract c;
  c.id = row.getInt64("id");
  c.account_id = row.getInt64("account_id");
  c.number = row.getString("number");
  c.value_minor = row.getInt64("value_minor");
  c.start_time = FromSqlTime(row.getString("start_at"));
  c.end_time = FromSqlTime(row.getString("end_at"));
  c.sign_time = OptionalTimeColumn(row, "signed_at");
  c.opportunity_id = OptionalId(row, "opportunity_id");
  c.create_time = FromSqlTime(row.getString("create_time"));
  return c;
}

CreditReport ReadReport(const sql::ResultSet& row) {
  CreditReport r;
  r.id = row.getInt64("id");
  r.account_id = row.getInt64("account_id");
  r.kind = static_cast<CreditReportKind>(row.getInt("kind"));
  r.source = static_cast<CreditSource>(row.getInt("source"));
  r.summary = row.getString("summary");
  r.suggested_rating = static_cast<CreditRating>(row.getInt("suggested_rating"));
  r.author_id = row.getString("author_id");
  r.create_time = FromSqlTime(row.getString("create_time"));
  return r;
}

const Codec<Contract> kContractCodec{[](const Contract& c) { return ToJson(c); }, ContractFromJson};
const Codec<CreditReport> kReportCodec{[](const CreditReport& r) { return ToJson(r); },
                                       CreditReportFromJson};
const Codec<CreditOverride> kOverrideCodec{[](const CreditOverride& o) { return ToJson(o); },
                                           CreditOverrideFromJson};

}  // namespace

// ---- Contracts ----

absl::StatusOr<Contract> CommerceStore::CreateContract(const Mutation& m, const Contract& contract,
                                                       const AccountRule& admit) {
  return RunIdempotent<Contract>(
      pool_, m, "contract.create", kContractCodec,
      [&](DbConnection& db) -> absl::StatusOr<Contract> {
        std::optional<AccountView> view =
            SelectAccountView(db, contract.account_id, m.actor, /*lock=*/true);
        if (!view) return AccountNotFound(contract.account_id);
        if (auto s = admit(*view); !s.ok()) return s;
        if (contract.opportunity_id != 0 &&
            !Exists(db, kOpportunityOfAccount, {contract.opportunity_id, contract.account_id})) {
          return InvalidField("contract.opportunity_id",
                              absl::StrCat("not an opportunity of account ", contract.account_id));
        }
        sql::PreparedStatement& insert = db.Prepare(kInsertContract);
        BindAll(insert, {contract.account_id, contract.number, contract.value_minor,
                         contract.start_time, contract.end_time,
                         OptionalIdParam(contract.opportunity_id), contract.create_time});
        try {
          insert.executeUpdate();
        } catch (const sql::SQLException& e) {
          if (e.getErrorCode() != kDuplicateEntry) throw;
          return absl::AlreadyExistsError("contract.number: another contract has this number");
        }
        Contract created = contract;
        created.id = LastInsertId(db);
        Record(db, m, "contract", "created", absl::StrCat(created.id), nullptr, ToJson(created));
        return created;
      });
}

absl::StatusOr<Contract> CommerceStore::SignContract(const Mutation& m, int64_t id,
                                                     const AccountRule& admit,
                                                     const SignRule& sign) {
  static const std::string plain = Select(kContractColumns, "contracts WHERE id = ?");
  static const std::string locking = plain + " FOR UPDATE";
  return RunIdempotent<Contract>(
      pool_, m, "contract.sign", kContractCodec, [&](DbConnection& db) -> absl::StatusOr<Contract> {
        // The account is locked before the contract, as everywhere: account, then its rows.
        std::vector<Contract> found = ReadAll(db, plain, {id}, ReadContract);
        if (found.empty()) return absl::NotFoundError(absl::StrCat("contract ", id, " not found"));
        std::optional<AccountView> view =
            SelectAccountView(db, found[0].account_id, m.actor, /*lock=*/true);
        if (!view) return AccountNotFound(found[0].account_id);
        if (auto s = admit(*view); !s.ok()) return s;
        found = ReadAll(db, locking, {id}, ReadContract);
        absl::StatusOr<Contract> signed_contract = sign(found.at(0));
        if (!signed_contract.ok()) return signed_contract.status();
        sql::PreparedStatement& update = db.Prepare(kSignContract);
        BindAll(update, {OptionalTimeParam(signed_contract->sign_time), id});
        update.executeUpdate();
        Record(db, m, "contract", "signed", absl::StrCat(id), ToJson(found[0]),
               ToJson(*signed_contract));
        return signed_contract;
      });
}

absl::StatusOr<Page<Contract>> CommerceStore::ListContracts(int64_t account_id, int64_t after_id,
                                                            int page_size) {
  static const std::string query =
      Select(kContractColumns, "contracts WHERE account_id = ? AND id > ? ORDER BY id LIMIT ?");
  Page<Contract> page;
  absl::Status status = WithConnection(pool_, "contract.list", [&](DbConnection& db) {
    page.items = ReadAll(db, query, {account_id, after_id, int64_t{page_size} + 1}, ReadContract);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  TrimPage(page, page_size);
  return page;
}

// ---- Credit ----

absl::StatusOr<CreditReport> CommerceStore::CreateCreditReport(const Mutation& m,
                                                               const CreditReport& report,
                                                               const AccountRule& admit) {
  return RunIdempotent<CreditReport>(
      pool_, m, "credit_report.create", kReportCodec,
      [&](DbConnection& db) -> absl::StatusOr<CreditReport> {
        std::optional<AccountView> view =
            SelectAccountView(db, report.account_id, m.actor, /*lock=*/true);
        if (!view) return AccountNotFound(report.account_id);
        if (auto s = admit(*view); !s.ok()) return s;
        sql::PreparedStatement& insert = db.Prepare(kInsertReport);
        BindAll(insert, {report.account_id, Enum(report.kind), Enum(report.source), report.summary,
                         Enum(report.suggested_rating), report.author_id, report.create_time});
        insert.executeUpdate();
        CreditReport created = report;
        created.id = LastInsertId(db);
        Record(db, m, "credit_report", "created", absl::StrCat(created.id), nullptr,
               ToJson(created));
        return created;
      });
}

absl::StatusOr<Page<CreditReport>> CommerceStore::ListCreditReports(int64_t account_id,
                                                                    int64_t before_id,
                                                                    int page_size) {
  static const std::string query = Select(
      kReportColumns, "credit_reports WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT ?");
  const int64_t before = before_id == 0 ? std::numeric_limits<int64_t>::max() : before_id;
  Page<CreditReport> page;
  absl::Status status = WithConnection(pool_, "credit_report.list", [&](DbConnection& db) {
    page.items = ReadAll(db, query, {account_id, before, int64_t{page_size} + 1}, ReadReport);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  TrimPage(page, page_size);
  return page;
}

absl::StatusOr<CreditOverride> CommerceStore::GrantCreditOverride(const Mutation& m,
                                                                  const CreditOverride& override,
                                                                  const AccountRule& admit) {
  return RunIdempotent<CreditOverride>(
      pool_, m, "credit_override.grant", kOverrideCodec,
      [&](DbConnection& db) -> absl::StatusOr<CreditOverride> {
        std::optional<AccountView> view =
            SelectAccountView(db, override.account_id, m.actor, /*lock=*/true);
        if (!view) return AccountNotFound(override.account_id);
        if (auto s = admit(*view); !s.ok()) return s;
        sql::PreparedStatement& insert = db.Prepare(kInsertOverride);
        BindAll(insert, {override.account_id, override.allowance_minor, override.reason,
                         override.director_id, override.expire_time, override.create_time});
        insert.executeUpdate();
        CreditOverride granted = override;
        granted.id = LastInsertId(db);
        Record(db, m, "credit_override", "granted", absl::StrCat(granted.id), nullptr,
               ToJson(granted));
        return granted;
      });
}

// ---- Group summary ----

absl::StatusOr<GroupTotals> CommerceStore::GroupTotalsOf(int64_t account_id,
                                                         const SalesPeriod& period,
                                                         const std::string& member_id) {
  // One statement: the subtree is computed once; `included` narrows it to what a manager
  // works on. Each total is a derived table over `included` that walks an
  // (account_id, time) or (account_id, stage) index per account.
  static const std::string query = absl::StrCat(
      kSubtreeCte,
      ", included (id) AS (SELECT s.id FROM subtree s WHERE ? = '' OR s.id IN "
      "(SELECT x.account_id FROM account_access x WHERE x.member_id = ?)) "
      "SELECT (SELECT COUNT(*) FROM subtree) AS accounts_total, "
      "(SELECT COUNT(*) FROM included) AS accounts_included, "
      "(SELECT credit_limit_minor FROM accounts WHERE id = ?) AS credit_limit, "
      "o.revenue, o.cost, p.payments, q.open_pipeline, q.weighted_pipeline, r.receivables "
      "FROM (SELECT SUM(o.revenue_minor) AS revenue, SUM(o.cost_minor) AS cost "
      "FROM included i JOIN orders o ON o.account_id = i.id "
      "AND o.ordered_at >= ? AND o.ordered_at < ?) o "
      "CROSS JOIN (SELECT SUM(p.amount_minor) AS payments "
      "FROM included i JOIN payments p ON p.account_id = i.id "
      "AND p.paid_at >= ? AND p.paid_at < ?) p "
      "CROSS JOIN (SELECT SUM(q.amount_minor) AS open_pipeline, "
      "SUM(CAST(q.amount_minor AS DECIMAL(30, 0)) * q.probability_percent) DIV 100 "
      "AS weighted_pipeline "
      "FROM included i JOIN opportunities q ON q.account_id = i.id "
      "AND q.stage BETWEEN 1 AND 6) q "
      "CROSS JOIN (SELECT SUM(a.receivable_minor) AS receivables "
      "FROM included i JOIN accounts a ON a.id = i.id) r");
  GroupTotals totals;
  absl::Status status =
      WithConnection(pool_, "group.summary", [&](DbConnection& db) -> absl::Status {
        sql::PreparedStatement& select = db.Prepare(query);
        BindAll(select, {account_id, member_id, member_id, account_id, period.start, period.end,
                         period.start, period.end});
        std::unique_ptr<sql::ResultSet> row(select.executeQuery());
        if (!row->next() || row->isNull("credit_limit")) return AccountNotFound(account_id);
        totals.account_id = account_id;
        totals.accounts_total = row->getInt("accounts_total");
        totals.accounts_included = row->getInt("accounts_included");
        totals.credit_limit_minor = row->getInt64("credit_limit");
        const std::pair<const char*, int64_t*> sums[] = {
            {"revenue", &totals.revenue_minor},
            {"cost", &totals.cost_minor},
            {"payments", &totals.payments_minor},
            {"open_pipeline", &totals.open_pipeline_minor},
            {"weighted_pipeline", &totals.weighted_pipeline_minor},
            {"receivables", &totals.receivables_minor}};
        for (const auto& [column, out] : sums) {
          absl::StatusOr<int64_t> value = SumColumn(*row, column, absl::StrCat("summary.", column));
          if (!value.ok()) return value.status();
          *out = *value;
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return totals;
}

}  // namespace kam::accounts
