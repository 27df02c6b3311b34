#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "services/analytics/scope.h"
#include "services/common/store_support.h"

// Analytics' own inputs, which no event stream carries: inventory snapshots (turnover) and
// account targets (expected share, wallet estimate, industry influence). Each Put is one
// transaction, idempotent by request_id, with one audit row and outbox event per stored item
// (resource "inventory_snapshot" with the product code as id, the month in the before/after
// JSON; resource "account_target" with id "<account_id>/<year>"). Rows are written by
// multi-row upserts in chunks, never one round trip per row.
namespace kam::analytics {

struct InventoryRow {
  std::string product_code;
  int month = 0;  // yyyymm
  int64_t value_minor = 0;
  int64_t quantity = 0;
};

struct TargetRow {
  int64_t account_id = 0;
  int year = 0;
  int expected_share_bp = 0;
  int64_t wallet_estimate_minor = 0;
  int industry_influence = 0;
};

class InputsStore {
 public:
  explicit InputsStore(DbPool& pool) : pool_(pool) {}

  // Rows already validated. Returns how many were stored (replacing earlier values).
  absl::StatusOr<int> PutInventory(const Mutation& m, const std::vector<InventoryRow>& rows);
  absl::StatusOr<int> PutTargets(const Mutation& m, const std::vector<TargetRow>& rows);

  // The count of changes analytics itself has recorded (inputs and tier reviews: the events
  // of its outbox, counted under the outbox lock, so in commit order). It moves whenever an
  // analysis could give another answer for the same stream positions.
  absl::StatusOr<int64_t> Revision();

 private:
  DbPool& pool_;
};

}  // namespace kam::analytics
