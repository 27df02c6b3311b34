#include "services/complaints/sla_sweeper.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace kam::complaints {
namespace {

// Metric label values: lower-case, stable (dashboards and alert rules depend on them).
const char* CategoryLabel(Category category) {
  switch (category) {
    case Category::kProductQuality:
      return "product_quality";
    case Category::kContract:
      return "contract";
    case Category::kTransport:
      return "transport";
    case Category::kService:
      return "service";
    case Category::kOther:
      return "other";
    case Category::kUnspecified:
      break;
  }
  return "unspecified";
}

const char* StateLabel(State state) {
  switch (state) {
    case State::kRecorded:
      return "recorded";
    case State::kInvalid:
      return "invalid";
    case State::kAssigned:
      return "assigned";
    case State::kCauseAnalyzed:
      return "cause_analyzed";
    case State::kResolutionProposed:
      return "resolution_proposed";
    case State::kResolutionApproved:
      return "resolution_approved";
    case State::kResolutionImplemented:
      return "resolution_implemented";
    case State::kFollowedUp:
      return "followed_up";
    case State::kClosed:
      return "closed";
    case State::kUnspecified:
      break;
  }
  return "unspecified";
}

// Intake to resolution implemented: 15 minutes to 30 days.
prometheus::Histogram::BucketBoundaries ResolutionBuckets() {
  constexpr double kHour = 3600;
  constexpr double kDay = 24 * kHour;
  return {kHour / 4, kHour / 2, kHour,    2 * kHour, 4 * kHour, 8 * kHour,
          kDay,      2 * kDay,  4 * kDay, 7 * kDay,  14 * kDay, 30 * kDay};
}

prometheus::Labels OpenLabels(const OpenCount& count) {
  return {{"state", StateLabel(count.state)},
          {"tier", std::string(TierName(count.tier))},
          {"category", CategoryLabel(count.category)}};
}

}  // namespace

ComplaintMetrics::ComplaintMetrics(prometheus::Registry& registry)
    : breaches_(prometheus::BuildCounter()
                    .Name("kam_complaint_sla_breaches_total")
                    .Help("Complaint SLA deadlines breached, by account tier, category and clock")
                    .Register(registry)),
      warnings_(prometheus::BuildCounter()
                    .Name("kam_complaint_sla_warnings_total")
                    .Help("Complaint SLA warnings (deadline at risk), by tier, category and clock")
                    .Register(registry)),
      escalations_(prometheus::BuildCounter()
                       .Name("kam_complaint_escalations_total")
                       .Help("Complaint escalations, by level (1 manager, 2 director)")
                       .Register(registry)),
      open_(prometheus::BuildGauge()
                .Name("kam_complaints_open")
                .Help("Open complaints, by state, account tier and category")
                .Register(registry)),
      resolution_(prometheus::BuildHistogram()
                      .Name("kam_complaint_resolution_seconds")
                      .Help("Wall-clock time from intake to resolution implemented")
                      .Register(registry)
                      .Add({}, ResolutionBuckets())) {
  // Every series at 0 from the start: Prometheus's increase() and rate() see a counter's
  // first step only from a sample before it, so a series born at 1 (the first breach of a
  // tier and category) would never show in the SLA panels or fire KamComplaintSlaBreaches.
  constexpr Category kCategories[] = {Category::kProductQuality, Category::kContract,
                                      Category::kTransport, Category::kService, Category::kOther};
  for (int tier = 0; tier <= kMaxTier; ++tier) {
    for (Category category : kCategories) {
      for (const char* kind : {"judgment", "resolution"}) {
        const prometheus::Labels labels = {{"tier", std::string(TierName(tier))},
                                           {"category", CategoryLabel(category)},
                                           {"kind", kind}};
        breaches_.Add(labels);
        warnings_.Add(labels);
      }
    }
  }
  for (const char* level : {"1", "2"}) escalations_.Add({{"level", level}});
}

void ComplaintMetrics::CountAlert(const SweepResult::Fired& fired) {
  const SlaAlert& alert = fired.alert;
  if (alert.level == "escalation") {
    escalations_.Add({{"level", std::to_string(alert.escalation_level)}}).Increment();
    return;
  }
  prometheus::Labels labels = {{"tier", std::string(TierName(fired.tier))},
                               {"category", CategoryLabel(fired.category)},
                               {"kind", alert.kind}};
  (alert.level == "breach" ? breaches_ : warnings_).Add(labels).Increment();
}

void ComplaintMetrics::ObserveResolution(absl::Duration intake_to_implemented) {
  resolution_.Observe(absl::ToDoubleSeconds(intake_to_implemented));
}

void ComplaintMetrics::SetOpen(const std::vector<OpenCount>& counts) {
  std::map<prometheus::Labels, double> now;
  for (const OpenCount& count : counts) now[OpenLabels(count)] += static_cast<double>(count.count);
  std::lock_guard<std::mutex> lock(mutex_);
  // Series that emptied drop to 0 (not removed: a scrape should see the drop). A series is
  // never set to 0 on its way to a new value, so a scrape in between reads no false dip.
  for (const prometheus::MetricFamily& family : open_.Collect()) {
    for (const prometheus::ClientMetric& metric : family.metric) {
      prometheus::Labels labels;
      for (const prometheus::ClientMetric::Label& label : metric.label) {
        labels[label.name] = label.value;
      }
      if (now.count(labels) == 0) open_.Add(labels).Set(0);
    }
  }
  for (const auto& [labels, value] : now) open_.Add(labels).Set(value);
}

SlaSweeper::SlaSweeper(SlaStore& store, ComplaintMetrics& metrics, SweeperOptions options,
                       Clock clock)
    : store_(store), metrics_(metrics), options_(options), clock_(std::move(clock)) {}

SlaSweeper::~SlaSweeper() { Stop(); }

void SlaSweeper::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void SlaSweeper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<SweepResult> SlaSweeper::SweepNow() {
  SweepResult total;
  const absl::Time now = clock_();
  while (true) {
    absl::StatusOr<SweepResult> done = store_.SweepDue(now, options_.batch);
    if (!done.ok()) return done.status();
    // Counted per call: what committed is counted even when a later call fails.
    for (const SweepResult::Fired& fired : done->fired) metrics_.CountAlert(fired);
    total.complaints += done->complaints;
    for (SweepResult::Fired& fired : done->fired) total.fired.push_back(std::move(fired));
    // complaints == 0: nothing was left to lock (a guard against looping on `more`).
    if (!done->more || done->complaints == 0) break;
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      total.more = true;
      break;
    }
  }
  return total;
}

void SlaSweeper::Loop() {
  using Steady = std::chrono::steady_clock;
  const auto gauge_interval = absl::ToChronoMilliseconds(options_.open_gauge_interval);
  const auto interval = absl::ToChronoMilliseconds(options_.interval);
  Steady::time_point next_gauge = Steady::now();
  while (true) {
    absl::StatusOr<SweepResult> swept = SweepNow();
    if (!swept.ok()) {
      LogWarn("sla sweep failed, retrying next round", {{"error", swept.status().ToString()}});
    } else if (!swept->fired.empty()) {
      LogInfo("sla alerts fired",
              {{"alerts", swept->fired.size()}, {"complaints", swept->complaints}});
    }
    if (Steady::now() >= next_gauge) {
      absl::StatusOr<std::vector<OpenCount>> open = store_.CountOpen();
      if (open.ok()) {
        metrics_.SetOpen(*open);
        next_gauge = Steady::now() + gauge_interval;
      } else {
        LogWarn("counting open complaints failed, retrying next round",
                {{"error", open.status().ToString()}});
      }
    }
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_for(lock, interval, [this] { return stopping_; })) return;
  }
}

}  // namespace kam::complaints
