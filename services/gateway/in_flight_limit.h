#pragma once

#include <atomic>
#include <utility>

#include "absl/status/statusor.h"

namespace prometheus {
class Counter;
class Gauge;
class Registry;
}  // namespace prometheus

namespace kam::gateway {

// Load shedding: a cap on the forwarded unary calls in flight at once. Past it the gateway
// refuses a new call at once (RESOURCE_EXHAUSTED) instead of letting calls queue behind a
// saturated backend until they all miss their deadlines: under twice its capacity a backend
// then keeps serving about its capacity, and the excess learns quickly that it should back
// off. Thread-safe.
class InFlightLimit {
 public:
  // A place among the calls in flight, given back when destroyed.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept : limit_(std::exchange(other.limit_, nullptr)) {}
    Slot& operator=(Slot&& other) noexcept {
      std::swap(limit_, other.limit_);
      return *this;
    }
    ~Slot();

   private:
    friend class InFlightLimit;
    explicit Slot(InFlightLimit* limit) : limit_(limit) {}
    InFlightLimit* limit_ = nullptr;
  };

  // `max_in_flight` <= 0 means no cap. `registry` may be null (tests); otherwise
  // kam_gateway_overload_refused_total counts refused calls and kam_gateway_in_flight_calls
  // shows the calls in flight.
  InFlightLimit(int max_in_flight, prometheus::Registry* registry);

  // A slot, or RESOURCE_EXHAUSTED ("gateway overloaded, retry later") when max_in_flight
  // calls hold one.
  absl::StatusOr<Slot> Acquire();

  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  void Release();

  const int max_in_flight_;
  std::atomic<int> in_flight_{0};
  prometheus::Counter* refused_ = nullptr;
  prometheus::Gauge* gauge_ = nullptr;
};

}  // namespace kam::gateway
