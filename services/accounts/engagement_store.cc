#include "services/accounts/engagement_store.h"

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/status.h"

namespace kam::accounts {
namespace {

constexpr char kRecordColumns[] =
    "r.id, r.account_id, r.kind, r.occurred_at, r.contact_ids_json, r.attendees, r.summary, "
    "r.outcome, r.next_step, r.visit_plan_id, r.author_id, r.create_time";
constexpr char kPlanColumns[] =
    "p.id, p.account_id, p.owner_id, p.planned_at, p.objective, p.status, p.contact_record_id, "
    "p.cancel_reason, p.create_time, p.update_time";

constexpr char kInsertRecord[] =
    "INSERT INTO contact_records (account_id, kind, occurred_at, contact_ids_json, attendees, "
    "summary, outcome, next_step, visit_plan_id, author_id, create_time) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
// The visits that decide the five-visits rule: index ix_contact_records_visits, read
// backwards. The second form leaves out visits before visit_streak_since.
constexpr char kRecentVisits[] =
    "SELECT r.id, r.kind, r.outcome, r.occurred_at FROM contact_records r "
    "WHERE r.account_id = ? AND r.kind = ? ORDER BY r.occurred_at DESC, r.id DESC LIMIT ?";
constexpr char kRecentVisitsSince[] =
    "SELECT r.id, r.kind, r.outcome, r.occurred_at FROM contact_records r "
    "WHERE r.account_id = ? AND r.kind = ? AND r.occurred_at >= ? "
    "ORDER BY r.occurred_at DESC, r.id DESC LIMIT ?";
constexpr char kTimelineCursor[] =
    "SELECT occurred_at FROM contact_records WHERE id = ? AND account_id = ?";
constexpr char kWriteVisitPlanFlag[] =
    "UPDATE accounts SET visit_plan_suspended = ?, visit_streak_since = ?, version = ?, "
    "update_time = ? WHERE id = ?";
constexpr char kInsertPlan[] =
    "INSERT INTO visit_plans (account_id, owner_id, planned_at, objective, status, "
    "contact_record_id, cancel_reason, create_time, update_time) "
    "VALUES (?, ?, ?, ?, ?, NULL, '', ?, ?)";
constexpr char kWritePlanState[] =
    "UPDATE visit_plans SET status = ?, contact_record_id = ?, cancel_reason = ?, "
    "update_time = ? WHERE id = ?";
constexpr char kPlanAccount[] = "SELECT account_id FROM visit_plans WHERE id = ?";
constexpr char kOnTeam[] = "SELECT 1 FROM account_team WHERE account_id = ? AND member_id = ?";

std::string RecordSelect(const std::string& rest) {
  return absl::StrCat("SELECT ", kRecordColumns, " FROM contact_records r ", rest);
}
std::string PlanSelect(const std::string& rest) {
  return absl::StrCat("SELECT ", kPlanColumns, " FROM visit_plans p ", rest);
}

int64_t OptionalIdColumn(const sql::ResultSet& row, const char* column) {
  return row.isNull(column) ? 0 : row.getInt64(column);
}

ContactRecord ReadRecord(const sql::ResultSet& row) {
  ContactRecord r;
  r.id = row.getInt64("id");
  r.account_id = row.getInt64("account_id");
  r.kind = static_cast<ContactKind>(row.getInt("kind"));
  r.occurred_at = FromSqlTime(row.getString("occurred_at"));
  r.contact_ids = nlohmann::json::parse(std::string(row.getString("contact_ids_json")))
                      .get<std::vector<int64_t>>();
  r.attendees = row.getString("attendees");
  r.summary = row.getString("summary");
  r.outcome = static_cast<ContactOutcome>(row.getInt("outcome"));
  r.next_step = row.getString("next_step");
  r.visit_plan_id = OptionalIdColumn(row, "visit_plan_id");
  r.author_id = row.getString("author_id");
  r.create_time = FromSqlTime(row.getString("create_time"));
  return r;
}

VisitPlan ReadPlan(const sql::ResultSet& row) {
  VisitPlan p;
  p.id = row.getInt64("id");
  p.account_id = row.getInt64("account_id");
  p.owner_id = row.getString("owner_id");
  p.planned_at = FromSqlTime(row.getString("planned_at"));
  p.objective = row.getString("objective");
  p.status = static_cast<VisitPlanStatus>(row.getInt("status"));
  p.contact_record_id = OptionalIdColumn(row, "contact_record_id");
  p.cancel_reason = row.getString("cancel_reason");
  p.create_time = FromSqlTime(row.getString("create_time"));
  p.update_time = FromSqlTime(row.getString("update_time"));
  return p;
}

template <typename T>
std::vector<T> ReadAll(DbConnection& db, const std::string& query,
                       const std::vector<SqlParam>& params, T (*read)(const sql::ResultSet&)) {
  sql::PreparedStatement& select = db.Prepare(query);
  BindAll(select, params);
  std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
  std::vector<T> items;
  while (rows->next()) items.push_back(read(*rows));
  return items;
}

// The first column of the one row `query` returns; nullopt when none.
std::optional<std::string> SelectOne(DbConnection& db, const std::string& query,
                                     const std::vector<SqlParam>& params) {
  sql::PreparedStatement& select = db.Prepare(query);
  BindAll(select, params);
  std::unique_ptr<sql::ResultSet> row(select.executeQuery());
  if (!row->next()) return std::nullopt;
  return std::string(row->getString(1));
}

std::optional<int64_t> SelectAccountOfPlan(DbConnection& db, int64_t plan_id) {
  sql::PreparedStatement& select = db.Prepare(kPlanAccount);
  BindAll(select, {plan_id});
  std::unique_ptr<sql::ResultSet> row(select.executeQuery());
  if (!row->next()) return std::nullopt;
  return row->getInt64(1);
}

absl::Status BadPageToken() { return InvalidField("page_token", "does not belong to this list"); }

// Which of `ids` are contacts of the account: one IN query.
std::vector<int64_t> ContactsOfAccount(DbConnection& db, int64_t account_id,
                                       const std::vector<int64_t>& ids) {
  if (ids.empty()) return {};
  std::vector<std::string> marks(ids.size(), "?");
  const std::string query = absl::StrCat("SELECT id FROM contacts WHERE account_id = ? AND id IN (",
                                         absl::StrJoin(marks, ", "), ")");
  std::vector<SqlParam> params = {account_id};
  for (int64_t id : ids) params.push_back(id);
  sql::PreparedStatement& select = db.Prepare(query);
  BindAll(select, params);
  std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
  std::vector<int64_t> found;
  while (rows->next()) found.push_back(rows->getInt64(1));
  return found;
}

std::optional<VisitPlan> LockPlan(DbConnection& db, int64_t id) {
  static const std::string query = PlanSelect("WHERE p.id = ? FOR UPDATE");
  std::vector<VisitPlan> plans = ReadAll<VisitPlan>(db, query, {id}, ReadPlan);
  if (plans.empty()) return std::nullopt;
  return plans.front();
}

int64_t InsertRecord(DbConnection& db, const ContactRecord& r) {
  sql::PreparedStatement& insert = db.Prepare(kInsertRecord);
  BindAll(insert, {r.account_id, Enum(r.kind), r.occurred_at, nlohmann::json(r.contact_ids).dump(),
                   r.attendees, r.summary, Enum(r.outcome), r.next_step,
                   OptionalIdParam(r.visit_plan_id), r.author_id, r.create_time});
  insert.executeUpdate();
  return LastInsertId(db);
}

void WritePlanState(DbConnection& db, const VisitPlan& plan) {
  sql::PreparedStatement& write = db.Prepare(kWritePlanState);
  BindAll(write, {Enum(plan.status), OptionalIdParam(plan.contact_record_id), plan.cancel_reason,
                  plan.update_time, plan.id});
  write.executeUpdate();
}

void WriteVisitPlanFlag(DbConnection& db, const Account& account) {
  sql::PreparedStatement& write = db.Prepare(kWriteVisitPlanFlag);
  BindAll(write, {account.visit_plan_suspended, OptionalTimeParam(account.visit_streak_since),
                  account.version, account.update_time, account.id});
  write.executeUpdate();
}

ContactRecord ReadVisit(const sql::ResultSet& row) {
  ContactRecord r;
  r.id = row.getInt64("id");
  r.kind = static_cast<ContactKind>(row.getInt("kind"));
  r.outcome = static_cast<ContactOutcome>(row.getInt("outcome"));
  r.occurred_at = FromSqlTime(row.getString("occurred_at"));
  return r;
}

// The account's latest visits that count towards the rule, newest first.
std::vector<ContactRecord> RecentVisits(DbConnection& db, const Account& account) {
  const int64_t kind = Enum(ContactKind::kVisit);
  const int64_t limit = kVisitsWithoutResult;
  if (!account.visit_streak_since) {
    return ReadAll<ContactRecord>(db, kRecentVisits, {account.id, kind, limit}, ReadVisit);
  }
  return ReadAll<ContactRecord>(db, kRecentVisitsSince,
                                {account.id, kind, *account.visit_streak_since, limit}, ReadVisit);
}

// A planned visit completed by a record: the plan before and after.
struct Completion {
  VisitPlan before;
  VisitPlan after;
};

absl::StatusOr<Completion> CompleteLockedPlan(DbConnection& db, const ContactRecord& record,
                                              absl::Time now) {
  std::optional<VisitPlan> plan = LockPlan(db, record.visit_plan_id);
  if (!plan) {
    return absl::FailedPreconditionError(absl::StrCat("record.visit_plan_id: visit plan ",
                                                      record.visit_plan_id,
                                                      " is not a planned visit of this account"));
  }
  absl::StatusOr<VisitPlan> completed = CompletePlan(*plan, record, now);
  if (!completed.ok()) return completed.status();
  WritePlanState(db, *completed);
  return Completion{*plan, *completed};
}

// The account taken off the visit plan: before and after, and its cancelled plans.
struct Suspension {
  Account before;
  Account after;
  std::vector<std::pair<VisitPlan, VisitPlan>> cancelled;  // before, after
};

// Applies the five-visits rule after a visit was stored; nullopt when it does not fire.
std::optional<Suspension> ApplyFiveVisitsRule(DbConnection& db, const Account& account,
                                              absl::Time now) {
  if (!ShouldSuspend(account, RecentVisits(db, account))) return std::nullopt;
  Suspension s{account, SuspendVisitPlan(account, now), {}};
  WriteVisitPlanFlag(db, s.after);
  static const std::string planned =
      PlanSelect("WHERE p.account_id = ? AND p.status = ? FOR UPDATE");
  for (const VisitPlan& plan :
       ReadAll<VisitPlan>(db, planned, {account.id, Enum(VisitPlanStatus::kPlanned)}, ReadPlan)) {
    // Every selected plan is PLANNED, so the rule cannot refuse it.
    VisitPlan cancelled = *CancelPlan(plan, kSuspensionReason, now);
    WritePlanState(db, cancelled);
    s.cancelled.emplace_back(plan, std::move(cancelled));
  }
  return s;
}

void RecordSuspension(DbConnection& db, const Mutation& m, const Suspension& s) {
  Mutation rule = m;
  rule.note = kSuspensionReason;
  for (const auto& [before, after] : s.cancelled) {
    Record(db, rule, "visit_plan", "cancelled", absl::StrCat(after.id), VisitPlanJson(before),
           VisitPlanJson(after));
  }
  Record(db, rule, "account", "visit_plan_suspended", absl::StrCat(s.after.id),
         AccountJson(s.before), AccountJson(s.after));
}

// ListVisitPlans' SQL for a filter: only constant fragments are joined, every value bound.
struct PlanQuery {
  std::string scope;  // the join limiting a manager to the accounts they work on
  std::vector<SqlParam> scope_params;
  std::string where;
  std::vector<SqlParam> where_params;
};

PlanQuery BuildPlanQuery(const VisitPlanFilter& filter) {
  PlanQuery q;
  if (!filter.visible_to.empty()) {
    q.scope = "JOIN account_access x ON x.account_id = p.account_id AND x.member_id = ? ";
    q.scope_params.push_back(filter.visible_to);
  }
  q.where = "WHERE TRUE";
  auto add = [&](bool present, const char* clause, std::vector<SqlParam> values) {
    if (!present) return;
    absl::StrAppend(&q.where, " AND ", clause);
    for (SqlParam& value : values) q.where_params.push_back(std::move(value));
  };
  add(!filter.owner_id.empty(), "p.owner_id = ?", {filter.owner_id});
  add(filter.account_id != 0, "p.account_id = ?", {filter.account_id});
  add(filter.status != VisitPlanStatus::kUnspecified, "p.status = ?", {Enum(filter.status)});
  add(filter.overdue_only, "p.status = ? AND p.planned_at < ?",
      {Enum(VisitPlanStatus::kPlanned), filter.today});
  return q;
}

nlohmann::json RecordResultJson(const EngagementStore::RecordResult& r) {
  return {{"record", ContactRecordJson(r.record)},
          {"visit_plan_suspended", r.visit_plan_suspended}};
}

EngagementStore::RecordResult RecordResultFromJson(const nlohmann::json& j) {
  return {ContactRecordFromJson(j.at("record")), j.at("visit_plan_suspended").get<bool>()};
}

const Codec<EngagementStore::RecordResult> kRecordCodec{RecordResultJson, RecordResultFromJson};
const Codec<VisitPlan> kPlanCodec{VisitPlanJson, VisitPlanFromJson};
const Codec<Account> kAccountCodec{AccountJson, AccountFromJson};

}  // namespace

nlohmann::json ContactRecordJson(const ContactRecord& r) {
  return {{"id", r.id},
          {"account_id", r.account_id},
          {"kind", r.kind},
          {"occurred_at", TimeJson(r.occurred_at)},
          {"contact_ids", r.contact_ids},
          {"attendees", r.attendees},
          {"summary", r.summary},
          {"outcome", r.outcome},
          {"next_step", r.next_step},
          {"visit_plan_id", r.visit_plan_id},
          {"author_id", r.author_id},
          {"create_time", TimeJson(r.create_time)}};
}

ContactRecord ContactRecordFromJson(const nlohmann::json& j) {
  ContactRecord r;
  r.id = j.at("id");
  r.account_id = j.at("account_id");
  r.kind = j.at("kind");
  r.occurred_at = TimeFromJson(j.at("occurred_at"));
  r.contact_ids = j.at("contact_ids").get<std::vector<int64_t>>();
  r.attendees = j.at("attendees");
  r.summary = j.at("summary");
  r.outcome = j.at("outcome");
  r.next_step = j.at("next_step");
  r.visit_plan_id = j.at("visit_plan_id");
  r.author_id = j.at("author_id");
  r.create_time = TimeFromJson(j.at("create_time"));
  return r;
}

nlohmann::json VisitPlanJson(const VisitPlan& p) {
  return {{"id", p.id},
          {"account_id", p.account_id},
          {"owner_id", p.owner_id},
          {"planned_at", TimeJson(p.planned_at)},
          {"objective", p.objective},
          {"status", p.status},
          {"contact_record_id", p.contact_record_id},
          {"cancel_reason", p.cancel_reason},
          {"create_time", TimeJson(p.create_time)},
          {"update_time", TimeJson(p.update_time)}};
}

VisitPlan VisitPlanFromJson(const nlohmann::json& j) {
  VisitPlan p;
  p.id = j.at("id");
  p.account_id = j.at("account_id");
  p.owner_id = j.at("owner_id");
  p.planned_at = TimeFromJson(j.at("planned_at"));
  p.objective = j.at("objective");
  p.status = j.at("status");
  p.contact_record_id = j.at("contact_record_id");
  p.cancel_reason = j.at("cancel_reason");
  p.create_time = TimeFromJson(j.at("create_time"));
  p.update_time = TimeFromJson(j.at("update_time"));
  return p;
}

absl::StatusOr<EngagementStore::RecordResult> EngagementStore::CreateContactRecord(
    const Mutation& m, const Principal& caller, const ContactRecord& record) {
  return RunIdempotent<RecordResult>(
      pool_, m, "contact_record.create", kRecordCodec,
      [&](DbConnection& db) -> absl::StatusOr<RecordResult> {
        std::optional<AccountView> view =
            SelectAccountView(db, record.account_id, caller.subject, /*lock=*/true);
        if (!view) return AccountNotFound(record.account_id);
        if (auto s = CheckCanWork(caller, view->account, view->works_on); !s.ok()) return s;
        if (auto s = CheckContactsMet(record.contact_ids,
                                      ContactsOfAccount(db, record.account_id, record.contact_ids));
            !s.ok()) {
          return s;
        }
        RecordResult result{record, false};
        result.record.id = InsertRecord(db, record);
        std::optional<Completion> completion;
        if (record.visit_plan_id != 0) {
          absl::StatusOr<Completion> done = CompleteLockedPlan(db, result.record, m.now);
          if (!done.ok()) return done.status();
          completion = *std::move(done);
        }
        std::optional<Suspension> suspension;
        if (record.kind == ContactKind::kVisit) {
          suspension = ApplyFiveVisitsRule(db, view->account, m.now);
        }
        result.visit_plan_suspended = suspension.has_value();
        // Events last: the outbox lock is held from the first event to commit.
        Record(db, m, "contact_record", "created", absl::StrCat(result.record.id), nullptr,
               ContactRecordJson(result.record));
        if (completion) {
          Record(db, m, "visit_plan", "completed", absl::StrCat(completion->after.id),
                 VisitPlanJson(completion->before), VisitPlanJson(completion->after));
        }
        if (suspension) RecordSuspension(db, m, *suspension);
        return result;
      });
}

absl::StatusOr<Page<ContactRecord>> EngagementStore::ListTimeline(int64_t account_id,
                                                                  int64_t after_id, int page_size) {
  static const std::string first =
      RecordSelect("WHERE r.account_id = ? ORDER BY r.occurred_at DESC, r.id DESC LIMIT ?");
  static const std::string next = RecordSelect(
      "WHERE r.account_id = ? AND (r.occurred_at < ? OR (r.occurred_at = ? AND r.id < ?)) "
      "ORDER BY r.occurred_at DESC, r.id DESC LIMIT ?");
  const int64_t limit = int64_t{page_size} + 1;
  Page<ContactRecord> page;
  absl::Status status = WithConnection(pool_, "contact_record.list", [&](DbConnection& db) {
    page = {};
    if (after_id == 0) {
      page.items = ReadAll<ContactRecord>(db, first, {account_id, limit}, ReadRecord);
      return absl::OkStatus();
    }
    std::optional<std::string> cursor = SelectOne(db, kTimelineCursor, {after_id, account_id});
    if (!cursor) return BadPageToken();
    const absl::Time at = FromSqlTime(*cursor);
    page.items =
        ReadAll<ContactRecord>(db, next, {account_id, at, at, after_id, limit}, ReadRecord);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  TrimPage(page, page_size);
  return page;
}

absl::StatusOr<VisitPlan> EngagementStore::CreateVisitPlan(const Mutation& m,
                                                           const Principal& caller,
                                                           const VisitPlan& plan) {
  return RunIdempotent<VisitPlan>(
      pool_, m, "visit_plan.create", kPlanCodec,
      [&](DbConnection& db) -> absl::StatusOr<VisitPlan> {
        std::optional<AccountView> view =
            SelectAccountView(db, plan.account_id, caller.subject, /*lock=*/true);
        if (!view) return AccountNotFound(plan.account_id);
        if (auto s = CheckCanPlan(caller, view->account, view->works_on); !s.ok()) return s;
        const bool on_team =
            !plan.owner_id.empty() && SelectOne(db, kOnTeam, {plan.account_id, plan.owner_id});
        absl::StatusOr<std::string> owner = ChoosePlanOwner(plan.owner_id, view->account, on_team);
        if (!owner.ok()) return owner.status();
        VisitPlan created = plan;
        created.owner_id = *owner;
        sql::PreparedStatement& insert = db.Prepare(kInsertPlan);
        BindAll(insert,
                {created.account_id, created.owner_id, created.planned_at, created.objective,
                 Enum(created.status), created.create_time, created.update_time});
        insert.executeUpdate();
        created.id = LastInsertId(db);
        Record(db, m, "visit_plan", "created", absl::StrCat(created.id), nullptr,
               VisitPlanJson(created));
        return created;
      });
}

absl::StatusOr<Page<VisitPlan>> EngagementStore::ListVisitPlans(const VisitPlanFilter& filter,
                                                                int64_t after_id, int page_size) {
  const PlanQuery q = BuildPlanQuery(filter);
  // The cursor is looked up among the plans the caller may see, so that a forged token
  // tells nothing about other plans.
  const std::string cursor_query =
      absl::StrCat("SELECT p.planned_at FROM visit_plans p ", q.scope, "WHERE p.id = ?");
  std::vector<SqlParam> cursor_params = q.scope_params;
  cursor_params.push_back(after_id);

  Page<VisitPlan> page;
  absl::Status status = WithConnection(pool_, "visit_plan.list", [&](DbConnection& db) {
    page = {};
    std::string where = q.where;
    std::vector<SqlParam> params = q.scope_params;
    params.insert(params.end(), q.where_params.begin(), q.where_params.end());
    if (after_id != 0) {
      std::optional<std::string> cursor = SelectOne(db, cursor_query, cursor_params);
      if (!cursor) return BadPageToken();
      const absl::Time at = FromSqlTime(*cursor);
      absl::StrAppend(&where, " AND (p.planned_at > ? OR (p.planned_at = ? AND p.id > ?))");
      params.insert(params.end(), {at, at, after_id});
    }
    params.push_back(int64_t{page_size} + 1);
    const std::string query =
        PlanSelect(absl::StrCat(q.scope, where, " ORDER BY p.planned_at, p.id LIMIT ?"));
    page.items = ReadAll<VisitPlan>(db, query, params, ReadPlan);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  TrimPage(page, page_size);
  return page;
}

absl::StatusOr<VisitPlan> EngagementStore::CancelVisitPlan(const Mutation& m,
                                                           const Principal& caller, int64_t plan_id,
                                                           const std::string& reason) {
  Mutation with_reason = m;
  with_reason.note = reason;
  return RunIdempotent<VisitPlan>(
      pool_, with_reason, "visit_plan.cancel", kPlanCodec,
      [&](DbConnection& db) -> absl::StatusOr<VisitPlan> {
        const absl::Status missing =
            absl::NotFoundError(absl::StrCat("visit plan ", plan_id, " not found"));
        std::optional<int64_t> account_id = SelectAccountOfPlan(db, plan_id);
        if (!account_id) return missing;
        // The account first, then the plan: the order every engagement change locks in.
        std::optional<AccountView> view =
            SelectAccountView(db, *account_id, caller.subject, /*lock=*/true);
        if (!view) return missing;
        if (!CanWork(caller, view->works_on)) {
          return absl::PermissionDeniedError("no access to this account");
        }
        std::optional<VisitPlan> plan = LockPlan(db, plan_id);
        if (!plan) return missing;
        absl::StatusOr<VisitPlan> cancelled = CancelPlan(*plan, reason, m.now);
        if (!cancelled.ok()) return cancelled.status();
        WritePlanState(db, *cancelled);
        Record(db, with_reason, "visit_plan", "cancelled", absl::StrCat(plan_id),
               VisitPlanJson(*plan), VisitPlanJson(*cancelled));
        return cancelled;
      });
}

absl::StatusOr<Account> EngagementStore::RestoreVisitPlan(const Mutation& m,
                                                          const Principal& caller,
                                                          int64_t account_id,
                                                          const std::string& reason) {
  Mutation with_reason = m;
  with_reason.note = reason;
  return RunIdempotent<Account>(
      pool_, with_reason, "account.restore_visit_plan", kAccountCodec,
      [&](DbConnection& db) -> absl::StatusOr<Account> {
        std::optional<AccountView> view =
            SelectAccountView(db, account_id, caller.subject, /*lock=*/true);
        if (!view) return AccountNotFound(account_id);
        absl::StatusOr<Account> restored = PutBackOnVisitPlan(view->account, caller, reason, m.now);
        if (!restored.ok()) return restored.status();
        WriteVisitPlanFlag(db, *restored);
        Record(db, with_reason, "account", "visit_plan_restored", absl::StrCat(account_id),
               AccountJson(view->account), AccountJson(*restored));
        return restored;
      });
}

}  // namespace kam::accounts
