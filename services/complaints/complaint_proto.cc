#include "services/complaints/complaint_proto.h"

#include <exception>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "services/common/event_service.h"
#include "services/common/identity.h"
#include "services/common/log.h"
#include "services/common/proto_support.h"
#include "services/common/status.h"
#include "services/common/validation.h"
#include "services/complaints/complaint_records.h"

namespace kam::complaints {
namespace {

void ToProto(const SlaClock& clock, absl::Time now, v1::SlaClock* out) {
  out->set_budget_seconds(absl::ToInt64Seconds(clock.budget));
  ToTimestamp(clock.deadline.warn_at, out->mutable_warn_time());
  ToTimestamp(clock.deadline.due_at, out->mutable_due_time());
  out->set_status(static_cast<v1::SlaStatus>(StatusOf(clock, now)));
  if (clock.met_at) ToTimestamp(*clock.met_at, out->mutable_met_time());
}

void ToProto(const FollowUp& f, v1::FollowUp* out) {
  out->set_perceived_satisfaction(f.perceived);
  out->set_expected_satisfaction(f.expected);
  out->set_satisfaction_gap(f.Gap());
  out->set_satisfied(f.satisfied);
  out->set_note(f.note);
  out->set_recorded_by(f.recorded_by);
  ToTimestamp(f.time, out->mutable_time());
}

absl::Status ForeignToken() {
  return InvalidField("page_token", "not a token this service issued");
}

}  // namespace

void ToProto(const Complaint& c, absl::Time now, v1::Complaint* out) {
  out->set_id(c.id);
  out->set_account_id(c.account_id);
  out->set_contact_id(c.contact_id);
  out->set_account_name(c.account_name);
  out->set_account_tier(static_cast<kam::accounts::v1::Tier>(c.account_tier));
  out->set_account_owner_id(c.account_owner_id);
  out->set_channel(static_cast<v1::Channel>(c.channel));
  out->set_category(static_cast<v1::Category>(c.category));
  out->set_subcategory(c.subcategory);
  out->set_description(c.description);
  out->set_severity(static_cast<v1::Severity>(c.severity));
  out->set_manner(static_cast<v1::Manner>(c.manner));
  out->set_handling_guidance(std::string(HandlingGuidance(c.manner)));
  out->set_state(static_cast<v1::State>(c.state));
  out->set_recorded_by(c.recorded_by);
  ToTimestamp(c.create_time, out->mutable_create_time());
  ToTimestamp(c.update_time, out->mutable_update_time());
  out->set_invalid_reason(c.invalid_reason);
  out->set_department(c.department);
  out->set_handler_id(c.handler_id);
  out->set_cause(c.cause);
  out->set_resolution(c.resolution);
  out->set_rejection_reason(c.rejection_reason);
  out->set_implementation_note(c.implementation_note);
  if (c.follow_up) ToProto(*c.follow_up, out->mutable_follow_up());
  out->set_summary(c.summary);
  out->set_evaluation(c.evaluation);
  if (c.close_time) ToTimestamp(*c.close_time, out->mutable_close_time());
  out->set_reopen_count(c.reopen_count);
  // A stopped clock (waiting on the customer) shows where it stood when it stopped.
  const absl::Time clock_time = c.waiting_on_customer ? c.paused_at.value_or(now) : now;
  ToProto(c.judgment, clock_time, out->mutable_judgment_sla());
  ToProto(c.resolution_clock, clock_time, out->mutable_resolution_sla());
  out->set_waiting_on_customer(c.waiting_on_customer);
  out->set_escalation_level(EscalationLevel(c));
  out->set_etag(Etag(c));
}

void ToProto(const Transition& t, v1::Transition* out) {
  out->set_id(t.id);
  out->set_complaint_id(t.complaint_id);
  out->set_action(t.action);
  out->set_from_state(static_cast<v1::State>(t.from));
  out->set_to_state(static_cast<v1::State>(t.to));
  out->set_actor(t.actor);
  ToTimestamp(t.time, out->mutable_time());
  out->set_note(t.note);
}

void ToProto(const Department& d, v1::Department* out) {
  out->set_code(d.code);
  out->set_name(d.name);
  for (Category category : d.categories) out->add_categories(static_cast<v1::Category>(category));
  for (const std::string& handler : d.handler_ids) out->add_handler_ids(handler);
  out->set_manager_id(d.manager_id);
  out->set_etag(Etag(d));
}

void ToProto(const SlaAlert& a, v1::SlaAlert* out) {
  out->set_kind(a.kind);
  out->set_level(a.level);
  out->set_escalation_level(a.escalation_level);
  out->set_escalated_to(a.escalated_to);
  ToTimestamp(a.due_at, out->mutable_due_time());
}

Complaint DraftFromProto(const v1::Complaint& p) {
  Complaint c;
  c.account_id = p.account_id();
  c.contact_id = p.contact_id();
  c.channel = static_cast<Channel>(p.channel());
  c.category = static_cast<Category>(p.category());
  c.subcategory = p.subcategory();
  c.description = p.description();
  c.severity = static_cast<Severity>(p.severity());
  c.manner = static_cast<Manner>(p.manner());
  return c;
}

Department FromProto(const v1::Department& p) {
  Department d;
  d.code = p.code();
  d.name = p.name();
  for (int category : p.categories()) d.categories.push_back(static_cast<Category>(category));
  d.handler_ids.assign(p.handler_ids().begin(), p.handler_ids().end());
  d.manager_id = p.manager_id();
  return d;
}

void EventToProto(const StoredEvent& stored, v1::Event* event) {
  FillEnvelope(stored, event);
  try {
    const nlohmann::json payload = nlohmann::json::parse(stored.payload_json);
    if (absl::StartsWith(stored.type, "department.")) {
      ToProto(DepartmentFromJson(payload), event->mutable_department());
      return;
    }
    if (payload.contains("complaint")) {
      // The complaint as it stood when the event happened, SLA statuses included.
      ToProto(ComplaintFromJson(payload.at("complaint")), stored.time, event->mutable_complaint());
    }
    if (payload.contains("transition") && !payload.at("transition").is_null()) {
      ToProto(TransitionFromJson(payload.at("transition")), event->mutable_transition());
    }
    if (payload.contains("alert") && !payload.at("alert").is_null()) {
      ToProto(AlertFromJson(payload.at("alert")), event->mutable_alert());
    }
  } catch (const std::exception& e) {
    event->clear_payload();
    event->clear_transition();
    event->clear_alert();
    LogError("unreadable event payload", {{"sequence", stored.sequence}, {"error", e.what()}});
  }
}

std::string EncodeQueueToken(const QueueCursor& after, std::string_view query_digest) {
  const nlohmann::json token = {{"d", absl::ToUnixMicros(after.due)}, {"a", after.id}};
  return SealPageToken(token.dump(), query_digest);
}

absl::StatusOr<QueueCursor> DecodeQueueToken(std::string_view token,
                                             std::string_view query_digest) {
  if (token.empty()) return QueueCursor{};
  absl::StatusOr<std::string> cursor = OpenPageToken(token, query_digest);
  if (!cursor.ok()) return cursor.status();
  const nlohmann::json parsed = nlohmann::json::parse(*cursor, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || !parsed.contains("d") || !parsed["d"].is_number_integer() ||
      !parsed.contains("a") || !parsed["a"].is_number_integer()) {
    return ForeignToken();
  }
  const int64_t due_micros = parsed["d"].get<int64_t>();
  // Every queue deadline lies between 1970 and the end of 9999 (DATETIME's last day, the
  // "nobody waits" of QueueDue): anything else was not issued here, and would reach the
  // database as a time it cannot compare.
  static const int64_t kLastMicros = absl::ToUnixMicros(
      absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), absl::UTCTimeZone()) +
      absl::Microseconds(999'999));
  if (due_micros < 0 || due_micros > kLastMicros) return ForeignToken();
  return QueueCursor{absl::FromUnixMicros(due_micros), parsed["a"].get<int64_t>()};
}

}  // namespace kam::complaints
