#include "services/complaints/complaint_store.h"

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/status.h"
#include "services/complaints/complaint_records.h"
#include "services/complaints/queue_query.h"

namespace kam::complaints {
namespace {

// Shared lock: an owner change the accounts feed applies meanwhile waits for this intake to
// commit, and then moves the new complaint to the new owner with the account's others.
// (LOCK IN SHARE MODE: MariaDB 10.11 has no FOR SHARE.)
constexpr char kSelectReplica[] =
    "SELECT name, tier, owner_id, archived FROM account_replica WHERE account_id = ? "
    "LOCK IN SHARE MODE";
constexpr char kRoutedDepartment[] =
    "SELECT department FROM department_categories WHERE category = ?";
constexpr char kDepartmentColumns[] =
    "d.code, d.name, d.manager_id, d.handlers_json, d.next_handler, d.version";
constexpr char kWriteNextHandler[] = "UPDATE departments SET next_handler = ? WHERE code = ?";
constexpr char kInsertDepartment[] =
    "INSERT INTO departments (code, name, manager_id, handlers_json, next_handler, version, "
    "update_time) VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr char kUpdateDepartment[] =
    "UPDATE departments SET name = ?, manager_id = ?, handlers_json = ?, next_handler = ?, "
    "version = ?, update_time = ? WHERE code = ?";
constexpr char kDeleteRouting[] = "DELETE FROM department_categories WHERE department = ?";
constexpr char kInsertRouting[] =
    "INSERT INTO department_categories (category, department) VALUES (?, ?)";
constexpr char kSelectRouting[] =
    "SELECT category, department FROM department_categories ORDER BY category";
constexpr char kCategoriesOf[] =
    "SELECT category FROM department_categories WHERE department = ? ORDER BY category";
constexpr char kSelectHistory[] =
    "SELECT id, complaint_id, action, from_state, to_state, actor, occurred_at, note "
    "FROM complaint_transitions WHERE complaint_id = ? ORDER BY id";

const Codec<Complaint> kComplaintCodec{ComplaintJson, ComplaintFromJson};
const Codec<Department> kDepartmentCodec{DepartmentJson, DepartmentFromJson};

// Times as the database keeps them (microseconds), so a returned complaint equals the one
// read back later.
absl::Time Micros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

std::unique_ptr<sql::ResultSet> Query(DbConnection& db, const std::string& query,
                                      const std::vector<SqlParam>& params) {
  sql::PreparedStatement& select = db.Prepare(query);
  BindAll(select, params);
  return std::unique_ptr<sql::ResultSet>(select.executeQuery());
}

void Execute(DbConnection& db, const std::string& statement, const std::vector<SqlParam>& params) {
  sql::PreparedStatement& stmt = db.Prepare(statement);
  BindAll(stmt, params);
  stmt.executeUpdate();
}

std::vector<Complaint> ReadComplaints(DbConnection& db, const std::string& query,
                                      const std::vector<SqlParam>& params) {
  std::unique_ptr<sql::ResultSet> rows = Query(db, query, params);
  std::vector<Complaint> items;
  while (rows->next()) items.push_back(ReadComplaint(*rows));
  return items;
}

// ---- intake ----

struct ReplicaAccount {
  std::string name;
  int tier = 0;
  std::string owner_id;
  bool archived = false;
};

std::optional<ReplicaAccount> SelectReplica(DbConnection& db, int64_t account_id) {
  std::unique_ptr<sql::ResultSet> row = Query(db, kSelectReplica, {account_id});
  if (!row->next()) return std::nullopt;
  return ReplicaAccount{row->getString("name"), row->getInt("tier"), row->getString("owner_id"),
                        row->getBoolean("archived")};
}

// Account managers record complaints only about accounts they own; the intake roles
// (service agents, system feeds) record for any account.
bool RecordsForEveryAccount(const Principal& caller) {
  return caller.HasAnyRole({"service_agent", "system"});
}

bool MayRecordFor(const Principal& caller, const ReplicaAccount& account) {
  if (RecordsForEveryAccount(caller)) return true;
  return caller.HasRole("account_manager") && account.owner_id == caller.subject;
}

// ---- departments ----

Department ReadDepartment(const sql::ResultSet& row) {
  Department d;
  d.code = row.getString("code");
  d.name = row.getString("name");
  d.manager_id = row.getString("manager_id");
  d.handler_ids = nlohmann::json::parse(std::string(row.getString("handlers_json")))
                      .get<std::vector<std::string>>();
  d.next_handler = row.getInt("next_handler");
  d.version = row.getInt64("version");
  return d;
}

// The department row, locked when `lock` (the round-robin turn and PutDepartment's
// replacement serialise on it). Categories are not filled.
std::optional<Department> SelectDepartment(DbConnection& db, const std::string& code, bool lock) {
  static const std::string plain =
      absl::StrCat("SELECT ", kDepartmentColumns, " FROM departments d WHERE d.code = ?");
  static const std::string locked = plain + " FOR UPDATE";
  std::unique_ptr<sql::ResultSet> row = Query(db, lock ? locked : plain, {code});
  if (!row->next()) return std::nullopt;
  return ReadDepartment(*row);
}

// The next handler in turn of a locked department, with the turn advanced in its row.
std::string TakeTurn(DbConnection& db, Department& department) {
  std::string handler = TakeNextHandler(department);
  Execute(db, kWriteNextHandler, {int64_t{department.next_handler}, department.code});
  return handler;
}

// JudgeValidity routes to the category's department, to its next handler in turn.
absl::Status RouteNew(DbConnection& db, const Complaint& complaint, StepInput& input) {
  std::unique_ptr<sql::ResultSet> row = Query(db, kRoutedDepartment, {Enum(complaint.category)});
  std::optional<Department> department;
  if (row->next()) department = SelectDepartment(db, row->getString(1), /*lock=*/true);
  if (!department) {
    return absl::FailedPreconditionError(
        absl::StrCat("category ", std::string(CategoryName(complaint.category)),
                     " is routed to no department (PutDepartment routes it)"));
  }
  input.department = department->code;
  input.handler_id = TakeTurn(db, *department);
  return absl::OkStatus();
}

// ReassignComplaint: the named department (or the current one) and the named handler, who
// must be one of its handlers, or its next handler in turn.
absl::Status RouteReassigned(DbConnection& db, const Complaint& complaint, StepInput& input) {
  const std::string code = input.department.empty() ? complaint.department : input.department;
  std::optional<Department> department = SelectDepartment(db, code, /*lock=*/true);
  if (!department) {
    return InvalidField("department", absl::StrCat("no department ", code));
  }
  input.department = department->code;
  if (input.handler_id.empty()) {
    input.handler_id = TakeTurn(db, *department);
    return absl::OkStatus();
  }
  const std::vector<std::string>& handlers = department->handler_ids;
  if (std::find(handlers.begin(), handlers.end(), input.handler_id) == handlers.end()) {
    return InvalidField("handler_id",
                        absl::StrCat(input.handler_id, " is not a handler of department ", code));
  }
  return absl::OkStatus();
}

void WriteDepartment(DbConnection& db, const Department& d, bool exists, absl::Time now) {
  const std::string handlers = nlohmann::json(d.handler_ids).dump();
  if (exists) {
    Execute(db, kUpdateDepartment,
            {d.name, d.manager_id, handlers, int64_t{d.next_handler}, d.version, now, d.code});
  } else {
    Execute(db, kInsertDepartment,
            {d.code, d.name, d.manager_id, handlers, int64_t{d.next_handler}, d.version, now});
  }
  Execute(db, kDeleteRouting, {d.code});
  for (Category category : d.categories) Execute(db, kInsertRouting, {Enum(category), d.code});
}

// FAILED_PRECONDITION when one of the categories is routed to another department.
absl::Status CheckRouting(DbConnection& db, const Department& d) {
  if (d.categories.empty()) return absl::OkStatus();
  std::vector<std::string> marks(d.categories.size(), "?");
  const std::string query =
      absl::StrCat("SELECT category, department FROM department_categories WHERE category IN (",
                   absl::StrJoin(marks, ", "), ") FOR UPDATE");
  std::vector<SqlParam> params;
  for (Category category : d.categories) params.push_back(Enum(category));
  std::unique_ptr<sql::ResultSet> rows = Query(db, query, params);
  while (rows->next()) {
    const std::string owner = rows->getString("department");
    if (owner == d.code) continue;
    return absl::FailedPreconditionError(absl::StrCat(
        "category ", std::string(CategoryName(static_cast<Category>(rows->getInt("category")))),
        " is routed to department ", owner, "; remove it there first"));
  }
  return absl::OkStatus();
}

std::vector<Category> CategoriesOf(DbConnection& db, const std::string& code) {
  std::unique_ptr<sql::ResultSet> rows = Query(db, kCategoriesOf, {code});
  std::vector<Category> categories;
  while (rows->next()) categories.push_back(static_cast<Category>(rows->getInt(1)));
  return categories;
}

std::vector<Category> Distinct(std::vector<Category> categories) {
  std::sort(categories.begin(), categories.end());
  categories.erase(std::unique(categories.begin(), categories.end()), categories.end());
  return categories;
}

// ---- queries ----

// A WHERE clause of constant fragments with its bound values.
struct Where {
  std::string sql = "WHERE TRUE";
  std::vector<SqlParam> params;

  void Add(const std::string& clause, std::vector<SqlParam> values = {}) {
    absl::StrAppend(&sql, " AND ", clause);
    for (SqlParam& v : values) params.push_back(std::move(v));
  }
};

std::string InList(size_t n) {
  std::vector<std::string> marks(n, "?");
  return absl::StrCat("(", absl::StrJoin(marks, ", "), ")");
}

// Access limits come from the caller: a token with several limited roles sees the union.
void AddVisibility(const ComplaintFilter& f, Where& w) {
  std::vector<std::string> any;
  std::vector<SqlParam> values;
  if (!f.visible_to_owner.empty()) {
    any.push_back("c.account_owner_id = ? OR c.recorded_by = ?");
    values.insert(values.end(), {f.visible_to_owner, f.visible_to_owner});
  }
  if (!f.visible_department.empty()) {
    any.push_back("c.department = ?");
    values.push_back(f.visible_department);
  }
  if (any.empty()) return;
  const std::string clause = absl::StrCat("(", absl::StrJoin(any, " OR "), ")");
  w.Add(clause, std::move(values));
}

// SLA filters follow complaints.proto SlaFilter: at risk = a running clock past its warning
// point and not breached; breached = a breach fired, or a step done after its deadline.
void AddSla(ComplaintFilter::Sla sla, Where& w) {
  if (sla == ComplaintFilter::Sla::kAtRisk) {
    w.Add(
        "((c.judge_met_at IS NULL AND c.judge_warned AND NOT c.judge_breached) OR "
        "(c.resolve_met_at IS NULL AND c.resolve_warned AND NOT c.resolve_breached))");
  } else if (sla == ComplaintFilter::Sla::kBreached) {
    w.Add(
        "(c.judge_breached OR c.resolve_breached OR c.judge_met_at > c.judge_due_at OR "
        "c.resolve_met_at > c.resolve_due_at)");
  }
}

Where FilterWhere(const ComplaintFilter& f) {
  Where w;
  AddVisibility(f, w);
  if (!f.states.empty()) {
    std::vector<SqlParam> states;
    for (State s : f.states) states.push_back(Enum(s));
    const std::string clause = absl::StrCat("c.state IN ", InList(states.size()));
    w.Add(clause, std::move(states));
  }
  if (f.category != Category::kUnspecified) w.Add("c.category = ?", {Enum(f.category)});
  if (f.account_id != 0) w.Add("c.account_id = ?", {f.account_id});
  if (!f.department.empty()) w.Add("c.department = ?", {f.department});
  if (!f.handler_id.empty()) w.Add("c.handler_id = ?", {f.handler_id});
  if (f.created_from) w.Add("c.create_time >= ?", {*f.created_from});
  if (f.created_before) w.Add("c.create_time < ?", {*f.created_before});
  AddSla(f.sla, w);
  return w;
}

Transition ReadTransition(const sql::ResultSet& row) {
  Transition t;
  t.id = row.getInt64("id");
  t.complaint_id = row.getInt64("complaint_id");
  t.action = row.getString("action");
  t.from = static_cast<State>(row.getInt("from_state"));
  t.to = static_cast<State>(row.getInt("to_state"));
  t.actor = row.getString("actor");
  t.time = FromSqlTime(row.getString("occurred_at"));
  t.note = row.getString("note");
  return t;
}

}  // namespace

ComplaintStore::ComplaintStore(DbPool& pool, const SlaPolicy& policy)
    : pool_(pool), policy_(policy) {}

absl::StatusOr<Complaint> ComplaintStore::Create(const Mutation& m, const Principal& caller,
                                                 Complaint draft) {
  return RunIdempotent<Complaint>(
      pool_, m, "complaint.create", kComplaintCodec,
      [&](DbConnection& db) -> absl::StatusOr<Complaint> {
        std::optional<ReplicaAccount> account = SelectReplica(db, draft.account_id);
        // A caller limited to their own accounts cannot tell a missing account from another
        // manager's (AIP-211), so both get the same refusal.
        if (!account && RecordsForEveryAccount(caller)) {
          return absl::NotFoundError(absl::StrCat("account ", draft.account_id, " not found"));
        }
        if (!account || !MayRecordFor(caller, *account)) {
          return absl::PermissionDeniedError(
              absl::StrCat("you may not record complaints about account ", draft.account_id));
        }
        if (account->archived) {
          return absl::FailedPreconditionError(
              absl::StrCat("account ", draft.account_id, " is archived"));
        }
        const absl::Time now = Micros(m.now);
        // The draft's create_time is when the customer complained: now (also when unset), or
        // earlier for a complaint logged after the fact (CreateComplaintRequest.received_time).
        const absl::Time received =
            draft.create_time == absl::Time() ? now : std::min(Micros(draft.create_time), now);
        Complaint c = std::move(draft);
        c.account_name = account->name;
        c.account_tier = account->tier;
        c.account_owner_id = account->owner_id;
        c.recorded_by = caller.subject;
        c.create_time = received;
        c.update_time = now;
        c.version = 1;
        StartClocks(policy_, received, c);
        c.id = InsertComplaintRow(db, c);
        Transition recorded{0,       c.id,           "recorded", State::kUnspecified,
                            c.state, caller.subject, now,        m.note};
        RecordTransition(db, m, Complaint{}, c, std::move(recorded), std::nullopt);
        return c;
      });
}

absl::StatusOr<Complaint> ComplaintStore::Get(int64_t id) {
  std::optional<Complaint> found;
  absl::Status status = WithConnection(pool_, "complaint.get", [&](DbConnection& db) {
    found = SelectComplaint(db, id, /*lock=*/false);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError(absl::StrCat("complaint ", id, " not found"));
  return *std::move(found);
}

absl::StatusOr<Complaint> ComplaintStore::Step(const Mutation& m, const Principal& caller,
                                               int64_t id, StepInput input) {
  const std::string context = absl::StrCat("complaint.", std::string(ActionName(input.action)));
  return RunIdempotent<Complaint>(
      pool_, m, context.c_str(), kComplaintCodec,
      [&](DbConnection& db) -> absl::StatusOr<Complaint> {
        std::optional<Complaint> before = SelectComplaint(db, id, /*lock=*/true);
        // Callers limited to some complaints learn nothing about the others, not even
        // whether they exist (CanSee of an empty complaint = the caller sees every one).
        if (!before && CanSee(caller, Complaint{})) {
          return absl::NotFoundError(absl::StrCat("complaint ", id, " not found"));
        }
        if (!before || !CanSee(caller, *before)) {
          return absl::PermissionDeniedError(absl::StrCat("no access to complaint ", id));
        }
        if (absl::Status s = CheckStep(input.action, *before, caller); !s.ok()) return s;
        StepInput routed = input;
        if (input.action == Action::kJudgeValid) {
          if (absl::Status s = RouteNew(db, *before, routed); !s.ok()) return s;
        } else if (input.action == Action::kReassign) {
          if (absl::Status s = RouteReassigned(db, *before, routed); !s.ok()) return s;
        }
        Complaint after = *before;
        Transition t = ApplyStep(routed, caller.subject, Micros(m.now), policy_, after);
        UpdateComplaintRow(db, after);
        RecordTransition(db, m, *before, after, std::move(t), std::nullopt);
        return after;
      });
}

absl::StatusOr<Page<Complaint>> ComplaintStore::List(const ComplaintFilter& filter,
                                                     int64_t before_id, int page_size) {
  Where w = FilterWhere(filter);
  if (before_id != 0) w.Add("c.id < ?", {before_id});
  w.params.push_back(int64_t{page_size} + 1);
  const std::string query = absl::StrCat("SELECT ", kComplaintColumns, " FROM complaints c ", w.sql,
                                         " ORDER BY c.id DESC LIMIT ?");
  Page<Complaint> page;
  absl::Status status = WithConnection(pool_, "complaint.list", [&](DbConnection& db) {
    page.items = ReadComplaints(db, query, w.params);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  TrimPage(page, page_size);
  return page;
}

absl::StatusOr<Page<Complaint>> ComplaintStore::Queue(const Principal& caller,
                                                      const QueueCursor& cursor, int page_size) {
  std::optional<SqlQuery> query = QueueQuery(caller, cursor, page_size);
  if (!query) return Page<Complaint>{};
  Page<Complaint> page;
  absl::Status status = WithConnection(pool_, "complaint.queue", [&](DbConnection& db) {
    page.items = ReadComplaints(db, query->sql, query->params);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  TrimPage(page, page_size);
  return page;
}

absl::StatusOr<std::vector<Transition>> ComplaintStore::History(int64_t id) {
  std::vector<Transition> history;
  absl::Status status = WithConnection(pool_, "complaint.history", [&](DbConnection& db) {
    std::unique_ptr<sql::ResultSet> rows = Query(db, kSelectHistory, {id});
    while (rows->next()) history.push_back(ReadTransition(*rows));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  // Every complaint has its "recorded" transition: none means no such complaint.
  if (history.empty()) return absl::NotFoundError(absl::StrCat("complaint ", id, " not found"));
  return history;
}

absl::StatusOr<Department> ComplaintStore::PutDepartment(const Mutation& m,
                                                         const Department& department,
                                                         const std::string& etag) {
  return RunIdempotent<Department>(
      pool_, m, "department.put", kDepartmentCodec,
      [&](DbConnection& db) -> absl::StatusOr<Department> {
        std::optional<Department> existing = SelectDepartment(db, department.code, true);
        if (existing && etag.empty()) {
          return absl::AlreadyExistsError(
              absl::StrCat("department ", department.code, " already exists"));
        }
        if (!existing && !etag.empty()) {
          return absl::NotFoundError(absl::StrCat("department ", department.code, " not found"));
        }
        if (existing && etag != Etag(*existing)) {
          return absl::AbortedError(
              absl::StrCat("department ", department.code, " changed since etag ", etag));
        }
        Department d = department;
        d.categories = Distinct(d.categories);
        if (absl::Status s = CheckRouting(db, d); !s.ok()) return s;
        const int handlers = static_cast<int>(d.handler_ids.size());
        d.next_handler = existing && handlers > 0 ? existing->next_handler % handlers : 0;
        d.version = existing ? existing->version + 1 : 1;
        if (existing) existing->categories = CategoriesOf(db, d.code);
        WriteDepartment(db, d, existing.has_value(), Micros(m.now));
        Record(db, m, "department", "updated", d.code,
               existing ? DepartmentJson(*existing) : nlohmann::json(), DepartmentJson(d));
        return d;
      });
}

absl::StatusOr<std::vector<Department>> ComplaintStore::ListDepartments() {
  static const std::string departments =
      absl::StrCat("SELECT ", kDepartmentColumns, " FROM departments d ORDER BY d.code");
  std::vector<Department> result;
  absl::Status status = WithConnection(pool_, "department.list", [&](DbConnection& db) {
    result.clear();
    std::map<std::string, size_t> index;
    std::unique_ptr<sql::ResultSet> rows = Query(db, departments, {});
    while (rows->next()) {
      result.push_back(ReadDepartment(*rows));
      index[result.back().code] = result.size() - 1;
    }
    std::unique_ptr<sql::ResultSet> routing = Query(db, kSelectRouting, {});
    while (routing->next()) {
      auto it = index.find(routing->getString("department"));
      if (it == index.end()) continue;
      result[it->second].categories.push_back(static_cast<Category>(routing->getInt("category")));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

}  // namespace kam::complaints
