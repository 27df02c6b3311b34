#include "services/common/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace kam {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

// Captures what the logger writes to stderr (fd 2) while `body` runs.
template <typename Body>
std::vector<std::string> CaptureLines(Body body) {
  char path[] = "/tmp/kam-log-test-XXXXXX";
  const int file = mkstemp(path);
  const int saved = dup(STDERR_FILENO);
  dup2(file, STDERR_FILENO);
  body();
  spdlog::default_logger_raw()->flush();
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(file);
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::remove(path);
  return lines;
}

// The line without its timestamp, which differs between two lines.
std::string WithoutTimestamp(const std::string& line) {
  const nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(line);
  nlohmann::ordered_json rest = parsed;
  rest.erase("ts");
  return rest.dump();
}

class LogTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { InitLogging("logtest"); }
};

TEST_F(LogTest, AccessLineIsTheSameAsTheGeneralOne) {
  const std::vector<std::string> lines = CaptureLines([] {
    LogRpc("/kam.accounts.v1.AccountService/GetAccount", "OK", 0.25, "req-1");
    LogInfo("rpc", {{"method", "/kam.accounts.v1.AccountService/GetAccount"},
                    {"code", "OK"},
                    {"ms", 0.25},
                    {"request_id", "req-1"}});
  });
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_EQ(WithoutTimestamp(lines[0]), WithoutTimestamp(lines[1]));
  EXPECT_THAT(lines[0], StartsWith("{\"ts\":\""));
  EXPECT_THAT(lines[0], HasSubstr(R"("level":"info","service":"logtest","msg":"rpc","code":"OK",)"
                                  R"("method":"/kam.accounts.v1.AccountService/GetAccount",)"
                                  R"("ms":0.25,"request_id":"req-1"})"));
}

TEST_F(LogTest, AccessLineEscapesWhatACallerSent) {
  // An unknown method's name comes from the caller: quotes, control characters and invalid
  // UTF-8 must leave one valid JSON line.
  const std::string method = "/x\"y\\z\n\xff";
  const std::vector<std::string> lines = CaptureLines([&] {
    LogRpc(method, "UNIMPLEMENTED", 1.5, "r");
    LogInfo("rpc",
            {{"method", method}, {"code", "UNIMPLEMENTED"}, {"ms", 1.5}, {"request_id", "r"}});
  });
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_EQ(WithoutTimestamp(lines[0]), WithoutTimestamp(lines[1]));
  EXPECT_EQ(nlohmann::json::parse(lines[0])["method"], "/x\"y\\z\n\xef\xbf\xbd");
}

TEST_F(LogTest, TimestampIsUtcWithMilliseconds) {
  const std::vector<std::string> lines = CaptureLines([] { LogRpc("/a/b", "OK", 1, "r"); });
  ASSERT_THAT(lines, SizeIs(1));
  const std::string ts = nlohmann::json::parse(lines[0])["ts"];
  EXPECT_THAT(
      ts, ::testing::MatchesRegex(
              "20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{3}Z"));
}

TEST_F(LogTest, WarningsAreWrittenAtOnceWithWhatCameBefore) {
  std::vector<std::string> lines;
  char path[] = "/tmp/kam-log-test-XXXXXX";
  const int file = mkstemp(path);
  const int saved = dup(STDERR_FILENO);
  dup2(file, STDERR_FILENO);
  LogRpc("/a/b", "OK", 1, "before");
  LogWarn("something odd");
  // No explicit flush: the warning itself must have written both lines.
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(file);
  std::remove(path);
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_THAT(lines[0], HasSubstr("\"request_id\":\"before\""));
  EXPECT_THAT(lines[1], HasSubstr("\"msg\":\"something odd\""));
}

}  // namespace
}  // namespace kam
