// PROVISIONAL stubs (branch issue4-sweep implements the SLA alerts).
#include "services/complaints/procedure.h"

namespace kam::complaints {

SlaStatus StatusOf(const SlaClock&, absl::Time) { return SlaStatus::kUnspecified; }
std::optional<absl::Time> NextSlaCheck(const Complaint&) { return std::nullopt; }
std::vector<SlaAlert> FireDueAlerts(absl::Time, const SlaPolicy&, const std::string&, Complaint&) {
  return {};
}

}  // namespace kam::complaints
