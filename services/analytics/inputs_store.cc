#include "services/analytics/inputs_store.h"

// PROVISIONAL: the service helper replaces this file.
namespace kam::analytics {

absl::StatusOr<int> InputsStore::PutInventory(const Mutation&, const std::vector<InventoryRow>&) {
  return absl::UnimplementedError("PROVISIONAL");
}
absl::StatusOr<int> InputsStore::PutTargets(const Mutation&, const std::vector<TargetRow>&) {
  return absl::UnimplementedError("PROVISIONAL");
}

}  // namespace kam::analytics
