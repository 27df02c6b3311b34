#pragma once

// Small GoogleTest helpers shared by the integration tests (header-only: the support
// library itself does not link GoogleTest).
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"

namespace kam::test_support {

// State that server threads change and a test thread waits on: derive from it and change
// members inside Record, wait with WaitFor.
struct WatchedState {
  std::mutex mutex;
  std::condition_variable changed;

  template <typename Predicate>
  bool WaitFor(Predicate done,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, timeout, done);
  }
  template <typename Change>
  void Record(Change change) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      change();
    }
    changed.notify_all();
  }
};

// ASSERT_TRUE(Ok(status)) prints the status when it fails.
inline ::testing::AssertionResult Ok(const absl::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status;
}
template <typename T>
::testing::AssertionResult Ok(const absl::StatusOr<T>& value) {
  return Ok(value.status());
}

// Runs fn(0..n-1) on n threads released at the same moment and waits for all of them.
inline void RunConcurrently(int n, const std::function<void(int)>& fn) {
  absl::Notification go;
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&go, &fn, i] {
      go.WaitForNotification();
      fn(i);
    });
  }
  go.Notify();
  for (std::thread& t : threads) t.join();
}

}  // namespace kam::test_support
