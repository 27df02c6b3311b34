#include "services/complaints/complaint_records.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/outbox.h"

namespace kam::complaints {
namespace {

// audit_log.note is VARCHAR(1000).
constexpr size_t kAuditNoteChars = 1000;

constexpr char kMutableColumns[] =
    "account_name = ?, account_tier = ?, account_owner_id = ?, channel = ?, category = ?, "
    "subcategory = ?, description = ?, severity = ?, manner = ?, state = ?, update_time = ?, "
    "invalid_reason = ?, department = ?, handler_id = ?, cause = ?, resolution = ?, "
    "rejection_reason = ?, implementation_note = ?, follow_up_json = ?, summary = ?, "
    "evaluation = ?, close_time = ?, reopen_count = ?, judge_budget_seconds = ?, "
    "judge_warn_at = ?, judge_due_at = ?, judge_met_at = ?, judge_warned = ?, "
    "judge_breached = ?, resolve_budget_seconds = ?, resolve_warn_at = ?, resolve_due_at = ?, "
    "resolve_met_at = ?, resolve_warned = ?, resolve_breached = ?, waiting_on_customer = ?, "
    "judge_escalation_level = ?, judge_second_escalation_at = ?, "
    "resolve_escalation_level = ?, resolve_second_escalation_at = ?, "
    "paused_at = ?, next_sla_at = ?, "
    "queue_due_at = ?, version = ?";
constexpr char kInsertTransition[] =
    "INSERT INTO complaint_transitions (complaint_id, action, from_state, to_state, actor, "
    "occurred_at, note) VALUES (?, ?, ?, ?, ?, ?, ?)";

nlohmann::json ClockJson(const SlaClock& clock) {
  return {{"budget_seconds", absl::ToInt64Seconds(clock.budget)},
          {"warn_at", TimeJson(clock.deadline.warn_at)},
          {"due_at", TimeJson(clock.deadline.due_at)},
          {"met_at", OptionalTimeJson(clock.met_at)},
          {"warned", clock.warned},
          {"breached", clock.breached},
          {"escalation_level", clock.escalation_level},
          {"second_escalation_at", OptionalTimeJson(clock.second_escalation_at)}};
}

SlaClock ClockFromJson(const nlohmann::json& j) {
  SlaClock clock;
  clock.budget = absl::Seconds(j.at("budget_seconds").get<int64_t>());
  clock.deadline = {TimeFromJson(j.at("warn_at")), TimeFromJson(j.at("due_at"))};
  clock.met_at = OptionalTimeFromJson(j.at("met_at"));
  clock.warned = j.at("warned");
  clock.breached = j.at("breached");
  // Events written before the per-clock ladders have neither (ComplaintFromJson).
  clock.escalation_level = j.value("escalation_level", 0);
  if (j.contains("second_escalation_at")) {
    clock.second_escalation_at = OptionalTimeFromJson(j.at("second_escalation_at"));
  }
  return clock;
}

// An event payload written before the per-clock ladders kept one level per complaint: it
// belongs to the clock whose breach raised it, the judgment's when that one breached (its
// deadline comes first), as migration 0003 decides for the rows.
void CarryOverEscalation(const nlohmann::json& j, Complaint& c) {
  const int level = j.value("escalation_level", 0);
  if (level == 0 || j.at("judgment").contains("escalation_level")) return;
  for (SlaClock* clock : {&c.judgment, &c.resolution_clock}) {
    if (!clock->breached) continue;
    clock->escalation_level = level;
    if (j.contains("second_escalation_at")) {
      clock->second_escalation_at = OptionalTimeFromJson(j.at("second_escalation_at"));
    }
  }
}

nlohmann::json FollowUpJson(const std::optional<FollowUp>& f) {
  if (!f) return nullptr;
  return {{"perceived", f->perceived},     {"expected", f->expected},
          {"satisfied", f->satisfied},     {"note", f->note},
          {"recorded_by", f->recorded_by}, {"time", TimeJson(f->time)}};
}

std::optional<FollowUp> FollowUpFromJson(const nlohmann::json& j) {
  if (j.is_null()) return std::nullopt;
  FollowUp f;
  f.perceived = j.at("perceived");
  f.expected = j.at("expected");
  f.satisfied = j.at("satisfied");
  f.note = j.at("note");
  f.recorded_by = j.at("recorded_by");
  f.time = TimeFromJson(j.at("time"));
  return f;
}

SqlParam FollowUpParam(const std::optional<FollowUp>& f) {
  if (!f) return SqlNull{};
  return FollowUpJson(f).dump();
}

// The first `chars` characters of UTF-8 text (cut between characters, never inside one).
std::string Utf8Prefix(const std::string& text, size_t chars) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (count++ == chars) return text.substr(0, i);
  }
  return text;
}

absl::Time TimeColumn(const sql::ResultSet& row, const char* column) {
  return FromSqlTime(row.getString(column));
}

SlaClock ReadClock(const sql::ResultSet& row, const std::string& prefix) {
  SlaClock clock;
  clock.budget = absl::Seconds(row.getInt64(prefix + "_budget_seconds"));
  clock.deadline = {TimeColumn(row, (prefix + "_warn_at").c_str()),
                    TimeColumn(row, (prefix + "_due_at").c_str())};
  clock.met_at = OptionalTimeColumn(row, (prefix + "_met_at").c_str());
  clock.warned = row.getBoolean(prefix + "_warned");
  clock.breached = row.getBoolean(prefix + "_breached");
  clock.escalation_level = row.getInt(prefix + "_escalation_level");
  clock.second_escalation_at = OptionalTimeColumn(row, (prefix + "_second_escalation_at").c_str());
  return clock;
}

// The values of kMutableColumns, in order.
std::vector<SqlParam> MutableParams(const Complaint& c) {
  return {c.account_name,
          int64_t{c.account_tier},
          c.account_owner_id,
          Enum(c.channel),
          Enum(c.category),
          c.subcategory,
          c.description,
          Enum(c.severity),
          Enum(c.manner),
          Enum(c.state),
          c.update_time,
          c.invalid_reason,
          c.department,
          c.handler_id,
          c.cause,
          c.resolution,
          c.rejection_reason,
          c.implementation_note,
          FollowUpParam(c.follow_up),
          c.summary,
          c.evaluation,
          OptionalTimeParam(c.close_time),
          int64_t{c.reopen_count},
          absl::ToInt64Seconds(c.judgment.budget),
          c.judgment.deadline.warn_at,
          c.judgment.deadline.due_at,
          OptionalTimeParam(c.judgment.met_at),
          c.judgment.warned,
          c.judgment.breached,
          absl::ToInt64Seconds(c.resolution_clock.budget),
          c.resolution_clock.deadline.warn_at,
          c.resolution_clock.deadline.due_at,
          OptionalTimeParam(c.resolution_clock.met_at),
          c.resolution_clock.warned,
          c.resolution_clock.breached,
          c.waiting_on_customer,
          int64_t{c.judgment.escalation_level},
          OptionalTimeParam(c.judgment.second_escalation_at),
          int64_t{c.resolution_clock.escalation_level},
          OptionalTimeParam(c.resolution_clock.second_escalation_at),
          OptionalTimeParam(c.paused_at),
          OptionalTimeParam(NextSlaCheck(c)),
          QueueDue(c),
          c.version};
}

}  // namespace

nlohmann::json ComplaintJson(const Complaint& c) {
  return {{"id", c.id},
          {"account_id", c.account_id},
          {"contact_id", c.contact_id},
          {"account_name", c.account_name},
          {"account_tier", c.account_tier},
          {"account_owner_id", c.account_owner_id},
          {"channel", c.channel},
          {"category", c.category},
          {"subcategory", c.subcategory},
          {"description", c.description},
          {"severity", c.severity},
          {"manner", c.manner},
          {"state", c.state},
          {"recorded_by", c.recorded_by},
          {"create_time", TimeJson(c.create_time)},
          {"update_time", TimeJson(c.update_time)},
          {"invalid_reason", c.invalid_reason},
          {"department", c.department},
          {"handler_id", c.handler_id},
          {"cause", c.cause},
          {"resolution", c.resolution},
          {"rejection_reason", c.rejection_reason},
          {"implementation_note", c.implementation_note},
          {"follow_up", FollowUpJson(c.follow_up)},
          {"summary", c.summary},
          {"evaluation", c.evaluation},
          {"close_time", OptionalTimeJson(c.close_time)},
          {"reopen_count", c.reopen_count},
          {"judgment", ClockJson(c.judgment)},
          {"resolution_clock", ClockJson(c.resolution_clock)},
          {"waiting_on_customer", c.waiting_on_customer},
          {"paused_at", OptionalTimeJson(c.paused_at)},
          // The highest level of the clocks' ladders, as the API shows it.
          {"escalation_level", EscalationLevel(c)},
          {"version", c.version}};
}

Complaint ComplaintFromJson(const nlohmann::json& j) {
  Complaint c;
  c.id = j.at("id");
  c.account_id = j.at("account_id");
  c.contact_id = j.at("contact_id");
  c.account_name = j.at("account_name");
  c.account_tier = j.at("account_tier");
  c.account_owner_id = j.at("account_owner_id");
  c.channel = j.at("channel");
  c.category = j.at("category");
  c.subcategory = j.at("subcategory");
  c.description = j.at("description");
  c.severity = j.at("severity");
  c.manner = j.at("manner");
  c.state = j.at("state");
  c.recorded_by = j.at("recorded_by");
  c.create_time = TimeFromJson(j.at("create_time"));
  c.update_time = TimeFromJson(j.at("update_time"));
  c.invalid_reason = j.at("invalid_reason");
  c.department = j.at("department");
  c.handler_id = j.at("handler_id");
  c.cause = j.at("cause");
  c.resolution = j.at("resolution");
  c.rejection_reason = j.at("rejection_reason");
  c.implementation_note = j.at("implementation_note");
  c.follow_up = FollowUpFromJson(j.at("follow_up"));
  c.summary = j.at("summary");
  c.evaluation = j.at("evaluation");
  c.close_time = OptionalTimeFromJson(j.at("close_time"));
  c.reopen_count = j.at("reopen_count");
  c.judgment = ClockFromJson(j.at("judgment"));
  c.resolution_clock = ClockFromJson(j.at("resolution_clock"));
  c.waiting_on_customer = j.at("waiting_on_customer");
  c.paused_at = OptionalTimeFromJson(j.at("paused_at"));
  CarryOverEscalation(j, c);
  c.version = j.at("version");
  return c;
}

nlohmann::json TransitionJson(const Transition& t) {
  return {{"id", t.id},
          {"complaint_id", t.complaint_id},
          {"action", t.action},
          {"from", t.from},
          {"to", t.to},
          {"actor", t.actor},
          {"time", TimeJson(t.time)},
          {"note", t.note}};
}

Transition TransitionFromJson(const nlohmann::json& j) {
  Transition t;
  t.id = j.at("id");
  t.complaint_id = j.at("complaint_id");
  t.action = j.at("action");
  t.from = j.at("from");
  t.to = j.at("to");
  t.actor = j.at("actor");
  t.time = TimeFromJson(j.at("time"));
  t.note = j.at("note");
  return t;
}

nlohmann::json AlertJson(const SlaAlert& a) {
  return {{"kind", a.kind},
          {"level", a.level},
          {"escalation_level", a.escalation_level},
          {"escalated_to", a.escalated_to},
          {"due_at", TimeJson(a.due_at)}};
}

SlaAlert AlertFromJson(const nlohmann::json& j) {
  SlaAlert a;
  a.kind = j.at("kind");
  a.level = j.at("level");
  a.escalation_level = j.at("escalation_level");
  a.escalated_to = j.at("escalated_to");
  a.due_at = TimeFromJson(j.at("due_at"));
  return a;
}

nlohmann::json DepartmentJson(const Department& d) {
  return {{"code", d.code},
          {"name", d.name},
          {"categories", d.categories},
          {"handler_ids", d.handler_ids},
          {"manager_id", d.manager_id},
          {"next_handler", d.next_handler},
          {"version", d.version}};
}

Department DepartmentFromJson(const nlohmann::json& j) {
  Department d;
  d.code = j.at("code");
  d.name = j.at("name");
  d.categories = j.at("categories").get<std::vector<Category>>();
  d.handler_ids = j.at("handler_ids").get<std::vector<std::string>>();
  d.manager_id = j.at("manager_id");
  d.next_handler = j.at("next_handler");
  d.version = j.at("version");
  return d;
}

nlohmann::json ComplaintEventJson(const Complaint& complaint, const Transition& transition,
                                  const std::optional<SlaAlert>& alert) {
  return {{"complaint", ComplaintJson(complaint)},
          {"transition", TransitionJson(transition)},
          {"alert", alert ? AlertJson(*alert) : nlohmann::json()}};
}

const char kComplaintColumns[] =
    "c.id, c.account_id, c.contact_id, c.account_name, c.account_tier, c.account_owner_id, "
    "c.channel, c.category, c.subcategory, c.description, c.severity, c.manner, c.state, "
    "c.recorded_by, c.create_time, c.update_time, c.invalid_reason, c.department, "
    "c.handler_id, c.cause, c.resolution, c.rejection_reason, c.implementation_note, "
    "c.follow_up_json, c.summary, c.evaluation, c.close_time, c.reopen_count, "
    "c.judge_budget_seconds, c.judge_warn_at, c.judge_due_at, c.judge_met_at, "
    "c.judge_warned, c.judge_breached, c.resolve_budget_seconds, c.resolve_warn_at, "
    "c.resolve_due_at, c.resolve_met_at, c.resolve_warned, c.resolve_breached, "
    "c.judge_escalation_level, c.judge_second_escalation_at, c.resolve_escalation_level, "
    "c.resolve_second_escalation_at, c.waiting_on_customer, c.paused_at, "
    "c.version";

Complaint ReadComplaint(const sql::ResultSet& row) {
  Complaint c;
  c.id = row.getInt64("id");
  c.account_id = row.getInt64("account_id");
  c.contact_id = row.getInt64("contact_id");
  c.account_name = row.getString("account_name");
  c.account_tier = row.getInt("account_tier");
  c.account_owner_id = row.getString("account_owner_id");
  c.channel = static_cast<Channel>(row.getInt("channel"));
  c.category = static_cast<Category>(row.getInt("category"));
  c.subcategory = row.getString("subcategory");
  c.description = row.getString("description");
  c.severity = static_cast<Severity>(row.getInt("severity"));
  c.manner = static_cast<Manner>(row.getInt("manner"));
  c.state = static_cast<State>(row.getInt("state"));
  c.recorded_by = row.getString("recorded_by");
  c.create_time = TimeColumn(row, "create_time");
  c.update_time = TimeColumn(row, "update_time");
  c.invalid_reason = row.getString("invalid_reason");
  c.department = row.getString("department");
  c.handler_id = row.getString("handler_id");
  c.cause = row.getString("cause");
  c.resolution = row.getString("resolution");
  c.rejection_reason = row.getString("rejection_reason");
  c.implementation_note = row.getString("implementation_note");
  if (!row.isNull("follow_up_json")) {
    c.follow_up =
        FollowUpFromJson(nlohmann::json::parse(std::string(row.getString("follow_up_json"))));
  }
  c.summary = row.getString("summary");
  c.evaluation = row.getString("evaluation");
  c.close_time = OptionalTimeColumn(row, "close_time");
  c.reopen_count = row.getInt("reopen_count");
  c.judgment = ReadClock(row, "judge");
  c.resolution_clock = ReadClock(row, "resolve");
  c.waiting_on_customer = row.getBoolean("waiting_on_customer");
  c.paused_at = OptionalTimeColumn(row, "paused_at");
  c.version = row.getInt64("version");
  return c;
}

std::optional<Complaint> SelectComplaint(DbConnection& db, int64_t id, bool lock) {
  static const std::string plain =
      absl::StrCat("SELECT ", kComplaintColumns, " FROM complaints c WHERE c.id = ?");
  static const std::string locked = plain + " FOR UPDATE";
  sql::PreparedStatement& select = db.Prepare(lock ? locked : plain);
  BindAll(select, {id});
  std::unique_ptr<sql::ResultSet> row(select.executeQuery());
  if (!row->next()) return std::nullopt;
  return ReadComplaint(*row);
}

int64_t InsertComplaintRow(DbConnection& db, const Complaint& complaint) {
  static const std::string insert = absl::StrCat(
      "INSERT INTO complaints SET account_id = ?, contact_id = ?, recorded_by = ?, "
      "create_time = ?, ",
      kMutableColumns);
  std::vector<SqlParam> params = {complaint.account_id, complaint.contact_id, complaint.recorded_by,
                                  complaint.create_time};
  for (SqlParam& p : MutableParams(complaint)) params.push_back(std::move(p));
  sql::PreparedStatement& stmt = db.Prepare(insert);
  BindAll(stmt, params);
  stmt.executeUpdate();
  return LastInsertId(db);
}

void UpdateComplaintRow(DbConnection& db, const Complaint& complaint) {
  static const std::string update =
      absl::StrCat("UPDATE complaints SET ", kMutableColumns, " WHERE id = ?");
  std::vector<SqlParam> params = MutableParams(complaint);
  params.push_back(complaint.id);
  sql::PreparedStatement& stmt = db.Prepare(update);
  BindAll(stmt, params);
  stmt.executeUpdate();
}

Transition RecordTransition(DbConnection& db, const Mutation& m, const Complaint& before,
                            const Complaint& after, Transition transition,
                            const std::optional<SlaAlert>& alert) {
  transition.complaint_id = after.id;
  sql::PreparedStatement& insert = db.Prepare(kInsertTransition);
  BindAll(insert, {after.id, transition.action, Enum(transition.from), Enum(transition.to),
                   transition.actor, transition.time, transition.note});
  insert.executeUpdate();
  transition.id = LastInsertId(db);

  const std::string type = absl::StrCat("complaint.", transition.action);
  const std::string id = absl::StrCat(after.id);
  // A creation has no "before" (the draft had no id yet).
  const std::string before_json = before.id == 0 ? "null" : ComplaintJson(before).dump();
  const std::string note = Utf8Prefix(m.note.empty() ? transition.note : m.note, kAuditNoteChars);
  WriteAudit(db, {m.actor, type, "complaint", id, m.trace_id, m.now, before_json,
                  ComplaintJson(after).dump(), note});
  WriteOutbox(db,
              {type, "complaint", id, ComplaintEventJson(after, transition, alert).dump(), m.now});
  return transition;
}

}  // namespace kam::complaints
