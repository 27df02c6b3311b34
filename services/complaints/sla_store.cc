// PROVISIONAL stubs (branch issue4-sweep implements the sweep).
#include "services/complaints/sla_store.h"

namespace kam::complaints {

SlaStore::SlaStore(DbPool& pool, const SlaPolicy& policy) : pool_(pool), policy_(policy) {}
absl::StatusOr<SweepResult> SlaStore::SweepDue(absl::Time, int) {
  return absl::UnimplementedError("not yet");
}
absl::StatusOr<std::vector<OpenCount>> SlaStore::CountOpen() {
  return absl::UnimplementedError("not yet");
}

}  // namespace kam::complaints
