#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace kam::reliability {

// The longer mode (KAM_RELIABILITY_LONG=1): longer loads, more rounds, longer fuzzing.
bool LongMode();
// `short_run` normally, `long_run` in the longer mode.
absl::Duration ByMode(absl::Duration short_run, absl::Duration long_run);
int ByMode(int short_run, int long_run);

// One request a scenario made, as its caller saw it.
struct CallRecord {
  std::string request_id;
  std::string method;  // short name, e.g. "CreateComplaint"
  grpc::StatusCode code = grpc::StatusCode::OK;
  absl::Duration latency;
};

// What one scenario did and found. Every request is recorded (id, outcome, latency); the
// checks of the database afterwards become gates (counts that must be zero: lost
// acknowledged writes, duplicated effects, leaked records, forged identities accepted,
// crashes) and checks (any other expectation). Finish() prints one JSON line
//   RELIABILITY {"scenario":...,"pass":...,"calls":...,"codes":{...},"latency_ms":{...},
//                "gates":{...},"figures":{...},"failed_checks":[...]}
// on stdout, appends it to the file named by KAM_RELIABILITY_REPORT if set, and turns each
// non-zero gate and failed check into a GoogleTest failure. Thread-safe.
class ScenarioReport {
 public:
  explicit ScenarioReport(std::string scenario) : scenario_(std::move(scenario)) {}

  void Record(CallRecord record);
  // Runs `call`, records it with its latency, and returns its status.
  grpc::Status Timed(const std::string& request_id, const std::string& method,
                     const std::function<grpc::Status()>& call);

  // A hard gate: `count` must be 0. Gates with the same name add up.
  void Gate(const std::string& name, int64_t count);
  // Any other expectation of the scenario; `detail` says what was seen when it fails.
  void Check(const std::string& name, bool ok, const std::string& detail = "");
  // A number worth reporting (throughput, recovery time, ...). Last value wins.
  void Figure(const std::string& name, double value);

  std::vector<CallRecord> records() const;
  // How many recorded calls ended with `code`.
  int64_t Count(grpc::StatusCode code) const;

  // Prints and files the JSON line; true if every gate is 0 and every check held.
  bool Finish();

 private:
  std::string scenario_;
  mutable std::mutex mutex_;
  std::vector<CallRecord> records_;
  std::map<std::string, int64_t> gates_;
  std::map<std::string, double> figures_;
  std::vector<std::string> failed_checks_;
  int checks_ = 0;
};

// Latency percentile (0..100) of `records` in milliseconds; 0 when empty.
double PercentileMs(const std::vector<CallRecord>& records, double percentile);

}  // namespace kam::reliability
