#include "services/gateway/in_flight_limit.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace kam::gateway {

InFlightLimit::Slot::~Slot() {
  if (limit_ != nullptr) limit_->Release(Clock::now() - taken_);
}

InFlightLimit::InFlightLimit(int max_in_flight, prometheus::Registry* registry)
    : max_in_flight_(max_in_flight) {
  if (registry == nullptr) return;
  refused_ = &prometheus::BuildCounter()
                  .Name("kam_gateway_overload_refused_total")
                  .Help("Forwarded calls refused because the gateway had its maximum in flight")
                  .Register(*registry)
                  .Add({});
  gauge_ = &prometheus::BuildGauge()
                .Name("kam_gateway_in_flight_calls")
                .Help("Forwarded unary calls in flight")
                .Register(*registry)
                .Add({});
}

absl::StatusOr<InFlightLimit::Slot> InFlightLimit::Acquire(
    std::chrono::system_clock::time_point deadline, std::chrono::system_clock::time_point now) {
  const bool busy = max_in_flight_ > 0 && 2 * in_flight() >= max_in_flight_;
  if (busy && deadline != std::chrono::system_clock::time_point::max() &&
      deadline - now < recent_call_time()) {
    if (refused_ != nullptr) refused_->Increment();
    return absl::ResourceExhaustedError(
        "gateway overloaded, too little of the deadline left, retry later");
  }
  return Acquire();
}

absl::StatusOr<InFlightLimit::Slot> InFlightLimit::Acquire() {
  const int before = in_flight_.fetch_add(1, std::memory_order_relaxed);
  if (max_in_flight_ > 0 && before >= max_in_flight_) {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    if (refused_ != nullptr) refused_->Increment();
    return absl::ResourceExhaustedError("gateway overloaded, retry later");
  }
  if (gauge_ != nullptr) gauge_->Increment();
  return Slot(this);
}

void InFlightLimit::Release(Clock::duration held) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  NoteCallTime(std::chrono::duration_cast<std::chrono::microseconds>(held));
  if (gauge_ != nullptr) gauge_->Decrement();
}

void InFlightLimit::NoteCallTime(std::chrono::microseconds held) {
  // An exponentially weighted average with weight 1/32: follows a change of the backend's
  // latency within a few dozen calls, but one slow call barely moves it.
  const int64_t average = recent_call_us_.load(std::memory_order_relaxed);
  recent_call_us_.store(average + (held.count() - average) / 32, std::memory_order_relaxed);
}

}  // namespace kam::gateway
