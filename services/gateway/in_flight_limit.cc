#include "services/gateway/in_flight_limit.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace kam::gateway {

InFlightLimit::Slot::~Slot() {
  if (limit_ != nullptr) limit_->Release();
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

void InFlightLimit::Release() {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  if (gauge_ != nullptr) gauge_->Decrement();
}

}  // namespace kam::gateway
