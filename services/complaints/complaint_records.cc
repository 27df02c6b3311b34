// PROVISIONAL stubs (branch issue4-core implements the records).
#include "services/complaints/complaint_records.h"

namespace kam::complaints {

nlohmann::json ComplaintJson(const Complaint&) { return {}; }
Complaint ComplaintFromJson(const nlohmann::json&) { return {}; }
nlohmann::json TransitionJson(const Transition&) { return {}; }
Transition TransitionFromJson(const nlohmann::json&) { return {}; }
nlohmann::json AlertJson(const SlaAlert&) { return {}; }
SlaAlert AlertFromJson(const nlohmann::json&) { return {}; }
nlohmann::json DepartmentJson(const Department&) { return {}; }
Department DepartmentFromJson(const nlohmann::json&) { return {}; }
nlohmann::json ComplaintEventJson(const Complaint&, const Transition&,
                                  const std::optional<SlaAlert>&) {
  return {};
}
const char kComplaintColumns[] = "c.id";
Complaint ReadComplaint(const sql::ResultSet&) { return {}; }
std::optional<Complaint> SelectComplaint(DbConnection&, int64_t, bool) { return std::nullopt; }
void UpdateComplaintRow(DbConnection&, const Complaint&) {}
Transition RecordTransition(DbConnection&, const Mutation&, const Complaint&, const Complaint&,
                            Transition transition, const std::optional<SlaAlert>&) {
  return transition;
}

}  // namespace kam::complaints
