#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
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
// off.
//
// A second refusal reason, only while the gateway is busy (at least half of max_in_flight
// in flight), protects the backends from calls that waited too long before the gateway saw
// them (in its transport queue, when its CPU is saturated): a call whose remaining deadline is
// shorter than forwarded calls recently took would most likely expire upstream, after the
// backend spent its time on an answer nobody waits for; it is refused instead. Only while
// busy, because the average mixes methods (a quick read with a short deadline must not be
// refused for a slow list's sake when there is room) and because with nothing in flight the
// average would never be refreshed. Thread-safe.
class InFlightLimit {
 public:
  // A place among the calls in flight, given back when destroyed.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept
        : limit_(std::exchange(other.limit_, nullptr)), taken_(other.taken_) {}
    Slot& operator=(Slot&& other) noexcept {
      std::swap(limit_, other.limit_);
      std::swap(taken_, other.taken_);
      return *this;
    }
    ~Slot();

   private:
    friend class InFlightLimit;
    explicit Slot(InFlightLimit* limit) : limit_(limit), taken_(Clock::now()) {}
    InFlightLimit* limit_ = nullptr;
    std::chrono::steady_clock::time_point taken_;
  };

  // `max_in_flight` <= 0 means no cap. `registry` may be null (tests); otherwise
  // kam_gateway_overload_refused_total counts refused calls and kam_gateway_in_flight_calls
  // shows the calls in flight.
  InFlightLimit(int max_in_flight, prometheus::Registry* registry);

  // A slot, or RESOURCE_EXHAUSTED ("gateway overloaded, retry later") when max_in_flight
  // calls hold one.
  absl::StatusOr<Slot> Acquire();

  // As Acquire(), and also RESOURCE_EXHAUSTED ("gateway overloaded, too little of the deadline
  // left, retry later") when at least half of max_in_flight calls are in flight and the time
  // left until `deadline` (time_point::max(): none) is shorter than recent_call_time().
  absl::StatusOr<Slot> Acquire(std::chrono::system_clock::time_point deadline,
                               std::chrono::system_clock::time_point now);

  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

  // How long a forwarded call held its slot lately: a moving average over the last few dozen
  // calls (zero before the first has ended).
  std::chrono::microseconds recent_call_time() const {
    return std::chrono::microseconds(recent_call_us_.load(std::memory_order_relaxed));
  }
  // Adds one call's slot time to recent_call_time(): what a Slot does when given back
  // (public so that tests need no clock).
  void NoteCallTime(std::chrono::microseconds held);

 private:
  using Clock = std::chrono::steady_clock;
  void Release(Clock::duration held);

  const int max_in_flight_;
  std::atomic<int> in_flight_{0};
  // Updated without a lock: under contention an update may be lost, which only makes the
  // average follow a little slower.
  std::atomic<int64_t> recent_call_us_{0};
  prometheus::Counter* refused_ = nullptr;
  prometheus::Gauge* gauge_ = nullptr;
};

}  // namespace kam::gateway
