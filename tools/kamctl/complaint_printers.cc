#include "tools/kamctl/complaint_printers.h"

#include <iostream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "kam/accounts/v1/archive.pb.h"
#include "tools/kamctl/output.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::complaints::v1;
using Fields = std::vector<std::pair<std::string, std::string>>;

// "2026-11-20 10:00" (UTC): SLA deadlines are minutes of business time; seconds are noise.
std::string FormatMinute(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(time.seconds()),
                          absl::UTCTimeZone());
}

std::string SlaStatusText(v1::SlaStatus status) {
  if (status == v1::SLA_STATUS_BREACHED) return "BREACHED";
  return EnumLabel(v1::SlaStatus_descriptor(), status);
}

// The SLA clock for the detail view: the status, the deadline and, once done, when.
std::string SlaDetail(const v1::SlaClock& clock) {
  std::string text = SlaStatusText(clock.status());
  if (clock.has_due_time()) absl::StrAppend(&text, ", due ", FormatMinute(clock.due_time()));
  if (clock.has_met_time()) absl::StrAppend(&text, ", done ", FormatMinute(clock.met_time()));
  return text;
}

// The state, and whether the SLA clocks stand still for the customer (`waiting`).
std::string StateText(const v1::Complaint& c, const char* waiting) {
  const std::string state = EnumLabel(v1::State_descriptor(), c.state());
  return c.waiting_on_customer() ? state + waiting : state;
}

std::string AccountText(const v1::Complaint& c) {
  const std::string id = IdText(c.account_id());
  return c.account_name().empty() ? id : absl::StrCat(id, " (", c.account_name(), ")");
}

std::string EscalationText(int32_t level) {
  switch (level) {
    case 0:
      return "none";
    case 1:
      return "1 (department manager)";
    case 2:
      return "2 (director)";
    default:
      return std::to_string(level);
  }
}

void AddFollowUp(const v1::FollowUp& f, Fields* fields) {
  fields->insert(
      fields->end(),
      {{"follow-up", absl::StrCat("perceived ", f.perceived_satisfaction(), ", expected ",
                                  f.expected_satisfaction(), ", gap ", f.satisfaction_gap())},
       {"satisfied", f.satisfied() ? "yes" : "no"},
       {"follow-up note", f.note()},
       {"followed up by", f.recorded_by()},
       {"followed up", FormatTime(f.time())}});
}

std::vector<std::string> ComplaintRow(const v1::Complaint& c) {
  return {std::to_string(c.id()),
          IdText(c.account_id()),
          EnumLabel(v1::Category_descriptor(), c.category()),
          EnumLabel(v1::Severity_descriptor(), c.severity()),
          StateText(c, " (waiting)"),
          c.department(),
          c.handler_id(),
          FormatMinute(c.judgment_sla().due_time()),
          SlaStatusText(c.judgment_sla().status()),
          FormatMinute(c.resolution_sla().due_time()),
          SlaStatusText(c.resolution_sla().status())};
}

template <typename Complaints>
void PrintComplaintTable(const Complaints& complaints, const std::string& next_page_token) {
  std::vector<std::vector<std::string>> rows;
  int breached = 0;
  for (const v1::Complaint& c : complaints) {
    rows.push_back(ComplaintRow(c));
    const bool late = c.judgment_sla().status() == v1::SLA_STATUS_BREACHED ||
                      c.resolution_sla().status() == v1::SLA_STATUS_BREACHED;
    breached += late ? 1 : 0;
  }
  PrintTable({"ID", "ACCOUNT", "CATEGORY", "SEVERITY", "STATE", "DEPARTMENT", "HANDLER",
              "JUDGMENT DUE", "JUDGMENT", "RESOLUTION DUE", "RESOLUTION"},
             rows);
  if (breached > 0) std::cout << breached << " with a deadline breached (times are UTC)\n";
  PrintNextPage(next_page_token);
}

std::string CategoriesText(const v1::Department& d) {
  std::vector<std::string> labels;
  for (int category : d.categories())
    labels.push_back(EnumLabel(v1::Category_descriptor(), category));
  return absl::StrJoin(labels, ", ");
}

}  // namespace

void PrintComplaint(const v1::Complaint& c) {
  Fields fields = {
      {"id", std::to_string(c.id())},
      {"account", AccountText(c)},
      {"account tier", EnumLabel(kam::accounts::v1::Tier_descriptor(), c.account_tier())},
      {"account owner", c.account_owner_id()},
      {"contact", IdText(c.contact_id())},
      {"channel", EnumLabel(v1::Channel_descriptor(), c.channel())},
      {"category", EnumLabel(v1::Category_descriptor(), c.category())},
      {"subcategory", c.subcategory()},
      {"severity", EnumLabel(v1::Severity_descriptor(), c.severity())},
      {"manner", EnumLabel(v1::Manner_descriptor(), c.manner())},
      {"handling guidance", c.handling_guidance()},
      {"description", c.description()},
      {"state", StateText(c, " (waiting on customer)")},
      {"judgment sla", SlaDetail(c.judgment_sla())},
      {"resolution sla", SlaDetail(c.resolution_sla())},
      {"escalation", EscalationText(c.escalation_level())},
      {"department", c.department()},
      {"handler", c.handler_id()},
      {"invalid reason", c.invalid_reason()},
      {"cause", c.cause()},
      {"resolution", c.resolution()},
      {"rejection reason", c.rejection_reason()},
      {"implementation", c.implementation_note()},
  };
  if (c.has_follow_up()) AddFollowUp(c.follow_up(), &fields);
  fields.insert(fields.end(), {{"reopened", std::to_string(c.reopen_count())},
                               {"summary", c.summary()},
                               {"evaluation", c.evaluation()},
                               {"recorded by", c.recorded_by()},
                               {"created", FormatTime(c.create_time())},
                               {"updated", FormatTime(c.update_time())},
                               {"closed", FormatTime(c.close_time())},
                               {"etag", c.etag()}});
  PrintFields(fields);
}

void PrintComplaints(const v1::ListComplaintsResponse& response) {
  PrintComplaintTable(response.complaints(), response.next_page_token());
}

void PrintQueue(const v1::ListMyQueueResponse& response) {
  PrintComplaintTable(response.complaints(), response.next_page_token());
}

void PrintHistory(const v1::ListComplaintHistoryResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Transition& t : response.transitions()) {
    rows.push_back(
        {FormatTime(t.time()), t.action(), EnumLabel(v1::State_descriptor(), t.from_state()),
         EnumLabel(v1::State_descriptor(), t.to_state()), t.actor(), Truncate(t.note(), 50)});
  }
  PrintTable({"TIME", "ACTION", "FROM", "TO", "BY", "NOTE"}, rows);
}

void PrintDepartment(const v1::Department& d) {
  PrintFields({{"code", d.code()},
               {"name", d.name()},
               {"categories", CategoriesText(d)},
               {"handlers", absl::StrJoin(d.handler_ids(), ", ")},
               {"manager", d.manager_id()},
               {"etag", d.etag()}});
}

void PrintDepartments(const v1::ListDepartmentsResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Department& d : response.departments()) {
    rows.push_back({d.code(), d.name(), CategoriesText(d), absl::StrJoin(d.handler_ids(), ", "),
                    d.manager_id(), d.etag()});
  }
  PrintTable({"CODE", "NAME", "CATEGORIES", "HANDLERS", "MANAGER", "ETAG"}, rows);
}

}  // namespace kam::kamctl
