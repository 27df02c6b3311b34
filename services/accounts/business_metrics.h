#pragma once

#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/common/db.h"

namespace kam::accounts {

// The key-account business gauges of the archive and the pipeline, counted in the database
// on a timer (they change with every write, from any replica, so a count is the only
// truth; both counts read an index):
//   kam_accounts{tier,status}            accounts not archived, by tier (A..D, untiered)
//                                        and status (active, supply_suspended, dormant, ...)
//   kam_pipeline_opportunities{stage}    open opportunities (not won or lost), by stage
// Every tier × status and every open stage has a series from the start (0 until counted),
// so a category that empties reads 0, not a gap.
class BusinessGauges {
 public:
  static constexpr absl::Duration kDefaultEvery = absl::Seconds(30);

  BusinessGauges(DbPool& pool, prometheus::Registry& registry, absl::Duration every);
  ~BusinessGauges();
  BusinessGauges(const BusinessGauges&) = delete;
  BusinessGauges& operator=(const BusinessGauges&) = delete;

  // Counts at once, then every `every` until Stop (a failed count is logged and kept).
  void Start();
  void Stop();
  // One count of both gauges; on error the gauges keep their last values.
  absl::Status Refresh();

 private:
  void Loop();

  DbPool& pool_;
  absl::Duration every_;
  prometheus::Family<prometheus::Gauge>& accounts_;
  prometheus::Family<prometheus::Gauge>& opportunities_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kam::accounts
