// PROVISIONAL stubs (branch issue4-core implements the procedure).
#include "services/complaints/procedure.h"

namespace kam::complaints {

std::string Etag(const Complaint& complaint) { return std::to_string(complaint.version); }
std::string Etag(const Department& department) { return std::to_string(department.version); }
bool IsFinal(State state) { return state == State::kInvalid || state == State::kClosed; }
std::string_view StateName(State) { return ""; }
std::string_view CategoryName(Category) { return ""; }
std::string_view HandlingGuidance(Manner) { return ""; }
bool CanSee(const Principal&, const Complaint&) { return false; }
std::string TakeNextHandler(Department&) { return ""; }
std::string_view ActionName(Action) { return ""; }
absl::Status CheckStep(Action, const Complaint&, const Principal&) {
  return absl::UnimplementedError("not yet");
}
Transition ApplyStep(const StepInput&, const std::string&, absl::Time, const SlaPolicy&,
                     Complaint&) {
  return {};
}
void StartClocks(const SlaPolicy&, absl::Time, Complaint&) {}

}  // namespace kam::complaints
