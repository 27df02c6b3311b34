#pragma once

// Small GoogleTest helpers shared by the integration tests (header-only: the support
// library itself does not link GoogleTest).
#include <gtest/gtest.h>

#include <functional>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"

namespace kam::test_support {

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
