// PROVISIONAL stubs (branch issue4-sweep implements the sweeper and metrics).
#include "services/complaints/sla_sweeper.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace kam::complaints {

ComplaintMetrics::ComplaintMetrics(prometheus::Registry& registry)
    : breaches_(prometheus::BuildCounter()
                    .Name("kam_complaint_sla_breaches_total")
                    .Help("SLA deadlines breached")
                    .Register(registry)),
      warnings_(prometheus::BuildCounter()
                    .Name("kam_complaint_sla_warnings_total")
                    .Help("SLA warnings fired")
                    .Register(registry)),
      escalations_(prometheus::BuildCounter()
                       .Name("kam_complaint_escalations_total")
                       .Help("escalations")
                       .Register(registry)),
      open_(prometheus::BuildGauge()
                .Name("kam_complaints_open")
                .Help("open complaints")
                .Register(registry)),
      resolution_(prometheus::BuildHistogram()
                      .Name("kam_complaint_resolution_seconds")
                      .Help("intake to resolution implemented")
                      .Register(registry)
                      .Add({}, prometheus::Histogram::BucketBoundaries{3600, 86400})) {}
void ComplaintMetrics::CountAlert(const SweepResult::Fired&) {}
void ComplaintMetrics::ObserveResolution(absl::Duration) {}
void ComplaintMetrics::SetOpen(const std::vector<OpenCount>&) {}

SlaSweeper::SlaSweeper(SlaStore& store, ComplaintMetrics& metrics, SweeperOptions options,
                       Clock clock)
    : store_(store), metrics_(metrics), options_(options), clock_(std::move(clock)) {}
SlaSweeper::~SlaSweeper() { Stop(); }
void SlaSweeper::Start() {}
void SlaSweeper::Stop() {}
absl::StatusOr<SweepResult> SlaSweeper::SweepNow() { return absl::UnimplementedError("not yet"); }
void SlaSweeper::Loop() {}

}  // namespace kam::complaints
