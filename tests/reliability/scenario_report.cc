#include "tests/reliability/scenario_report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/time/clock.h"
#include "services/common/status.h"

namespace kam::reliability {

bool LongMode() {
  const char* value = std::getenv("KAM_RELIABILITY_LONG");
  return value != nullptr && std::string(value) == "1";
}

absl::Duration ByMode(absl::Duration short_run, absl::Duration long_run) {
  return LongMode() ? long_run : short_run;
}

int ByMode(int short_run, int long_run) { return LongMode() ? long_run : short_run; }

void ScenarioReport::Record(CallRecord record) {
  std::lock_guard<std::mutex> lock(mutex_);
  records_.push_back(std::move(record));
}

grpc::Status ScenarioReport::Timed(const std::string& request_id, const std::string& method,
                                   const std::function<grpc::Status()>& call) {
  const absl::Time start = absl::Now();
  grpc::Status status = call();
  Record({request_id, method, status.error_code(), absl::Now() - start});
  return status;
}

void ScenarioReport::Gate(const std::string& name, int64_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  gates_[name] += count;
}

void ScenarioReport::Check(const std::string& name, bool ok, const std::string& detail) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++checks_;
  if (!ok) failed_checks_.push_back(detail.empty() ? name : name + ": " + detail);
}

void ScenarioReport::Figure(const std::string& name, double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  figures_[name] = value;
}

std::vector<CallRecord> ScenarioReport::records() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return records_;
}

int64_t ScenarioReport::Count(grpc::StatusCode code) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::count_if(records_.begin(), records_.end(),
                       [code](const CallRecord& record) { return record.code == code; });
}

double PercentileMs(const std::vector<CallRecord>& records, double percentile) {
  if (records.empty()) return 0;
  std::vector<double> ms;
  ms.reserve(records.size());
  for (const CallRecord& record : records) ms.push_back(absl::ToDoubleMilliseconds(record.latency));
  std::sort(ms.begin(), ms.end());
  const size_t rank = static_cast<size_t>(percentile / 100.0 * static_cast<double>(ms.size() - 1));
  return ms[std::min(rank, ms.size() - 1)];
}

bool ScenarioReport::Finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  nlohmann::json codes = nlohmann::json::object();
  for (const CallRecord& record : records_) {
    const std::string name(GrpcCodeName(record.code));
    codes[name] = codes.value(name, 0) + 1;
  }
  bool pass = failed_checks_.empty();
  for (const auto& [name, count] : gates_) pass = pass && count == 0;

  const nlohmann::json line = {
      {"scenario", scenario_},
      {"pass", pass},
      {"long_mode", LongMode()},
      {"calls", records_.size()},
      {"codes", codes},
      {"latency_ms",
       {{"p50", PercentileMs(records_, 50)},
        {"p99", PercentileMs(records_, 99)},
        {"max", PercentileMs(records_, 100)}}},
      {"gates", gates_},
      {"figures", figures_},
      {"checks", checks_},
      {"failed_checks", failed_checks_},
  };
  const std::string text = "RELIABILITY " + line.dump();
  std::cout << text << std::endl;
  if (const char* path = std::getenv("KAM_RELIABILITY_REPORT"); path != nullptr && *path) {
    std::ofstream(path, std::ios::app) << line.dump() << "\n";
  }
  for (const auto& [name, count] : gates_) {
    EXPECT_EQ(count, 0) << scenario_ << ": hard gate " << name;
  }
  for (const std::string& failed : failed_checks_) {
    ADD_FAILURE() << scenario_ << ": " << failed;
  }
  return pass;
}

}  // namespace kam::reliability
