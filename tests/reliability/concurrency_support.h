#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/reliability/scenario_report.h"

// What the concurrency scenarios (concurrency_test.cc, page_token_test.cc) share.
namespace kam::reliability {

// A request id never used before in this process (also sent as x-request-id).
inline std::string NextRequestId() {
  static std::atomic<int64_t> sequence{0};
  return "conc-request-" + std::to_string(++sequence);
}

// Runs body(0) .. body(n-1) on n threads released at the same moment, and waits for all.
inline void RunTogether(int n, const std::function<void(int)>& body) {
  std::mutex mutex;
  std::condition_variable changed;
  int ready = 0;
  bool go = false;
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      {
        std::unique_lock<std::mutex> lock(mutex);
        ++ready;
        changed.notify_all();
        changed.wait(lock, [&] { return go; });
      }
      body(i);
    });
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait(lock, [&] { return ready == n; });
    go = true;
  }
  changed.notify_all();
  for (std::thread& thread : threads) thread.join();
}

// Calls `method` through `caller` with x-request-id = `request_id` (the gateway keeps a
// usable one), so that the audit row of the call names the request the scenario recorded.
template <typename Stub, typename Request, typename Response>
grpc::Status CallWithId(const e2e::Caller& caller,
                        grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                     Response*),
                        const Request& request, Response* response, const std::string& request_id) {
  grpc::ClientContext context;
  caller.Prepare(&context);
  context.AddMetadata("x-request-id", request_id);
  Stub stub(caller.channel());
  return (stub.*method)(&context, request, response);
}

// The rows of a root query (one string per row, columns tab-separated); a failed query is a
// test failure and no rows.
inline std::vector<std::string> QueryRows(const std::string& sql) {
  absl::StatusOr<std::string> rows = e2e::KamStack::Get().db().QueryAsRoot(sql);
  if (!rows.ok()) {
    ADD_FAILURE() << sql << ": " << rows.status();
    return {};
  }
  return absl::StrSplit(*rows, '\n', absl::SkipEmpty());
}

// How often each value occurs.
inline std::map<std::string, int> Tally(const std::vector<std::string>& values) {
  std::map<std::string, int> counts;
  for (const std::string& value : values) ++counts[value];
  return counts;
}

}  // namespace kam::reliability
