#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/db.h"
#include "services/complaints/procedure.h"
#include "services/complaints/sla.h"

// The SQL of the SLA sweep and of the open-complaints gauge.
namespace kam::complaints {

// What one sweep did.
struct SweepResult {
  struct Fired {
    SlaAlert alert;
    int tier = 0;
    Category category = Category::kUnspecified;
  };
  std::vector<Fired> fired;  // committed alerts, for the metrics (count each exactly once)
  int complaints = 0;        // complaints looked at
  bool more = false;         // more were due than `limit`
};

// Open complaints per (state, tier at intake, category), for the gauge.
struct OpenCount {
  State state = State::kUnspecified;
  int tier = 0;
  Category category = Category::kUnspecified;
  int64_t count = 0;
};

class SlaStore {
 public:
  SlaStore(DbPool& pool, const SlaPolicy& policy);

  // Fires the SLA alerts due at `now` (FireDueAlerts) on at most `limit` complaints with
  // next_sla_at <= now, in batches that lock their rows (FOR UPDATE SKIP LOCKED, so two
  // sweepers share the work and never fire one alert twice). Each alert writes a
  // transition, an audit row and an event (complaint.sla_warning / sla_breached /
  // escalated); next_sla_at is recomputed (NextSlaCheck).
  absl::StatusOr<SweepResult> SweepDue(absl::Time now, int limit);

  absl::StatusOr<std::vector<OpenCount>> CountOpen();

 private:
  DbPool& pool_;
  const SlaPolicy& policy_;
};

}  // namespace kam::complaints
