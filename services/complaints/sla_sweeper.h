#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/complaints/sla_store.h"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

// The business metrics of complaints and the background SLA sweeper.
namespace kam::complaints {

// kam_complaint_sla_breaches_total{tier,category,kind}, kam_complaint_sla_warnings_total
// {tier,category,kind}, kam_complaint_escalations_total{level}, kam_complaints_open
// {state,tier,category}, kam_complaint_resolution_seconds (histogram: intake to resolution
// implemented, wall-clock).
class ComplaintMetrics {
 public:
  explicit ComplaintMetrics(prometheus::Registry& registry);
  // Counts one committed alert (call once per SweepResult::Fired).
  void CountAlert(const SweepResult::Fired& fired);
  void ObserveResolution(absl::Duration intake_to_implemented);
  // Replaces the gauge's series (a state/tier/category that emptied drops to 0).
  void SetOpen(const std::vector<OpenCount>& counts);

 private:
  prometheus::Family<prometheus::Counter>& breaches_;
  prometheus::Family<prometheus::Counter>& warnings_;
  prometheus::Family<prometheus::Counter>& escalations_;
  prometheus::Family<prometheus::Gauge>& open_;
  prometheus::Histogram& resolution_;
  std::mutex mutex_;
};

struct SweeperOptions {
  absl::Duration interval = absl::Seconds(5);  // between sweeps when nothing is left due
  int batch = 200;                             // complaints per SweepDue call
  absl::Duration open_gauge_interval = absl::Seconds(30);
};

// A thread that sweeps every `interval` (at once again while more is due) and refreshes the
// open gauge; errors (database down) are logged and retried next round. Runs in every
// replica: SlaStore's row locks keep two sweepers from firing an alert twice.
class SlaSweeper {
 public:
  using Clock = std::function<absl::Time()>;
  SlaSweeper(SlaStore& store, ComplaintMetrics& metrics, SweeperOptions options, Clock clock);
  ~SlaSweeper();  // stops and joins

  void Start();
  void Stop();
  // One pass until nothing is due at clock(): what it fired (already counted in metrics).
  absl::StatusOr<SweepResult> SweepNow();

 private:
  void Loop();

  SlaStore& store_;
  ComplaintMetrics& metrics_;
  SweeperOptions options_;
  Clock clock_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kam::complaints
