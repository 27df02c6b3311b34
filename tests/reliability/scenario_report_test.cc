// The report is what turns a scenario's findings into a red run: a gate that did not fail
// on a count would hide lost writes.
#include "tests/reliability/scenario_report.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

namespace kam::reliability {
namespace {

TEST(ScenarioReportTest, NonZeroGateFailsTheTestAndTheLine) {
  EXPECT_NONFATAL_FAILURE(
      {
        ScenarioReport report("gate");
        report.Gate("lost_acknowledged_writes", 0);
        report.Gate("lost_acknowledged_writes", 2);
        EXPECT_FALSE(report.Finish());
      },
      "hard gate lost_acknowledged_writes");
}

TEST(ScenarioReportTest, FailedCheckFailsWithItsDetail) {
  EXPECT_NONFATAL_FAILURE(
      {
        ScenarioReport report("check");
        report.Check("readiness NOT_SERVING", false, "stayed SERVING for 10s");
        EXPECT_FALSE(report.Finish());
      },
      "readiness NOT_SERVING: stayed SERVING for 10s");
}

TEST(ScenarioReportTest, WritesOneJsonLineWithCodesLatencyAndFigures) {
  const std::string path = ::testing::TempDir() + "/reliability_report.jsonl";
  std::remove(path.c_str());
  setenv("KAM_RELIABILITY_REPORT", path.c_str(), 1);
  ScenarioReport report("figures");
  for (int ms = 1; ms <= 100; ++ms) {
    report.Record({"r" + std::to_string(ms), "GetAccount",
                   ms <= 90 ? grpc::StatusCode::OK : grpc::StatusCode::UNAVAILABLE,
                   absl::Milliseconds(ms)});
  }
  report.Gate("duplicated_effects", 0);
  report.Figure("recovery_seconds", 2.5);
  report.Check("health answered", true);
  EXPECT_TRUE(report.Finish());
  unsetenv("KAM_RELIABILITY_REPORT");

  std::ifstream file(path);
  std::string line;
  ASSERT_TRUE(std::getline(file, line));
  const nlohmann::json json = nlohmann::json::parse(line);
  EXPECT_EQ(json["scenario"], "figures");
  EXPECT_EQ(json["pass"], true);
  EXPECT_EQ(json["calls"], 100);
  EXPECT_EQ(json["codes"]["OK"], 90);
  EXPECT_EQ(json["codes"]["Unavailable"], 10);
  EXPECT_DOUBLE_EQ(json["latency_ms"]["p50"], 50.0);
  EXPECT_DOUBLE_EQ(json["latency_ms"]["max"], 100.0);
  EXPECT_DOUBLE_EQ(json["figures"]["recovery_seconds"], 2.5);
  EXPECT_EQ(json["gates"]["duplicated_effects"], 0);
  EXPECT_FALSE(std::getline(file, line)) << "one line per scenario";
}

TEST(ScenarioReportTest, CountsByCode) {
  ScenarioReport report("count");
  report.Timed("a", "Get", [] { return grpc::Status::OK; });
  report.Timed("b", "Get", [] { return grpc::Status(grpc::StatusCode::ABORTED, "etag"); });
  report.Timed("c", "Get", [] { return grpc::Status(grpc::StatusCode::ABORTED, "etag"); });
  EXPECT_EQ(report.Count(grpc::StatusCode::ABORTED), 2);
  EXPECT_EQ(report.records().size(), 3u);
}

}  // namespace
}  // namespace kam::reliability
