// PROVISIONAL stubs (branch issue4-core implements the store).
#include "services/complaints/complaint_store.h"

namespace kam::complaints {
namespace {
absl::Status NotYet() { return absl::UnimplementedError("not yet"); }
}  // namespace

ComplaintStore::ComplaintStore(DbPool& pool, const SlaPolicy& policy)
    : pool_(pool), policy_(policy) {}
absl::StatusOr<Complaint> ComplaintStore::Create(const Mutation&, const Principal&, Complaint) {
  return NotYet();
}
absl::StatusOr<Complaint> ComplaintStore::Get(int64_t) { return NotYet(); }
absl::StatusOr<Complaint> ComplaintStore::Step(const Mutation&, const Principal&, int64_t,
                                               StepInput) {
  return NotYet();
}
absl::StatusOr<Page<Complaint>> ComplaintStore::List(const ComplaintFilter&, int64_t, int) {
  return NotYet();
}
absl::StatusOr<Page<Complaint>> ComplaintStore::Queue(const Principal&, const QueueCursor&, int) {
  return NotYet();
}
absl::StatusOr<std::vector<Transition>> ComplaintStore::History(int64_t) { return NotYet(); }
absl::StatusOr<Department> ComplaintStore::PutDepartment(const Mutation&, const Department&,
                                                         const std::string&) {
  return NotYet();
}
absl::StatusOr<std::vector<Department>> ComplaintStore::ListDepartments() { return NotYet(); }

}  // namespace kam::complaints
