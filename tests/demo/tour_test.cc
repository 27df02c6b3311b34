// docs/TOUR.md, executed: every `$ command` of its ```console blocks runs against the
// running suite and must print what the tour shows (rules at the top of TOUR.md).
// KAM_TOUR_UPDATE=1 writes the actual outputs back into TOUR.md instead of failing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/demo/demo_stack.h"
#include "tests/demo/tour.h"
#include "tests/e2e/kam_stack.h"
#include "tests/support/process.h"

namespace kam::demo {
namespace {

using e2e::KamStack;

// Where the tour's commands point (`scripts/dev up`'s fixed ports) and where this test's
// stack listens: gRPC 5005x/5006x, metrics 910x.
std::map<int, int> DevToStackPorts() {
  const KamStack& stack = KamStack::Get();
  const struct {
    const char* service;
    int grpc;
    int metrics;
  } dev[] = {{"gateway", 50051, 9100},
             {"accounts", 50061, 9101},
             {"complaints", 50062, 9102},
             {"analytics", 50063, 9103}};
  std::map<int, int> ports;
  for (const auto& d : dev) {
    ports[d.grpc] = stack.service(d.service).grpc_port;
    ports[d.metrics] = stack.service(d.service).metrics_port;
  }
  return ports;
}

std::map<int, int> Inverse(const std::map<int, int>& ports) {
  std::map<int, int> inverse;
  for (const auto& [from, to] : ports) inverse[to] = from;
  return inverse;
}

std::string TourPath() {
  const char* path = std::getenv("KAM_TOUR_FILE");
  return path != nullptr && *path != '\0' ? path : KAM_SOURCE_DIR "/docs/TOUR.md";
}

// Runs one tour command in bash as a reader would type it after `scripts/dev up`: kamctl
// is KAMCTL_BIN, the kamctl settings point at this stack, and what earlier commands
// exported (KAM_TOKEN=...) is still set. stdout and stderr are one stream; a failing
// command ends with "[exit N]".
class TourShell {
 public:
  explicit TourShell(std::string dir) : dir_(std::move(dir)) {}

  std::string Run(const std::string& command, const std::map<int, int>& ports) {
    const KamStack& stack = KamStack::Get();
    const std::string state = dir_ + "/exports.sh";
    const std::string script = absl::StrCat(
        "cd '", dir_, "' || exit 97\n",
        "kamctl() { \"$KAMCTL_BIN\" \"$@\"; }\n",
        "[ -f '", state, "' ] && . '", state, "'\n",
        "{\n", MapPorts(command, ports), "\n} 2>&1\n",
        "kam_tour_exit=$?\n",
        "export -p > '", state, "'\n",
        "exit $kam_tour_exit\n");
    const char* kamctl = std::getenv("KAMCTL_BIN");
    absl::StatusOr<test_support::CommandResult> result = test_support::RunCommand(
        {"env", "-u", "KAM_TOKEN",
         "KAM_ADDR=" + stack.service("gateway").address(),
         "KAM_JWT_SECRET_FILE=" + stack.jwt_secret_file(),
         absl::StrCat("KAM_JWT_ISSUER=", KamStack::kIssuer),
         absl::StrCat("KAM_JWT_AUDIENCE=", KamStack::kAudience),
         absl::StrCat("KAMCTL_BIN=", kamctl != nullptr ? kamctl : "kamctl"),
         "bash", "-c", script},
        absl::Seconds(120));
    if (!result.ok()) return absl::StrCat("[runner: ", result.status().ToString(), "]");
    std::string output = result->out + result->err;
    if (result->exit_code != 0) {
      absl::StrAppend(&output, output.empty() || output.back() == '\n' ? "" : "\n", "[exit ",
                      result->exit_code, "]");
    }
    return TidyOutput(MapPorts(output, Inverse(ports)));
  }

 private:
  std::string dir_;
};

std::string TempDir() {
  std::string pattern = ::testing::TempDir() + "kam-tour-XXXXXX";
  const char* made = mkdtemp(pattern.data());
  return made != nullptr ? made : ::testing::TempDir();
}

TEST(TourTest, EveryCommandPrintsWhatTheTourShows) {
  const std::string path = TourPath();
  const std::string markdown = test_support::ReadFile(path);
  ASSERT_FALSE(markdown.empty()) << "cannot read " << path;
  absl::StatusOr<std::vector<TourStep>> steps = ParseTour(markdown);
  ASSERT_TRUE(steps.ok()) << path << ": " << steps.status();
  ASSERT_FALSE(steps->empty()) << path << " has no `$ ` commands in ```console blocks";

  // The tests pin the demo's load day (DemoStack::kLoadDay), so its figures are the same on
  // any day; the tour's outputs must have been written for that day.
  const std::string load_day = LoadDayInDemoOutput(DemoStack::Get().first_load().out);
  ASSERT_EQ(load_day, DemoStack::kLoadDay) << "kam-demo did not report the pinned load day";
  const char* update_env = std::getenv("KAM_TOUR_UPDATE");
  const bool update = update_env != nullptr && std::string(update_env) == "1";
  ASSERT_TRUE(update || LoadDayOf(markdown) == load_day)
      << path << " was written for the load day " << LoadDayOf(markdown)
      << ", the tests load the demo for " << load_day
      << ": regenerate it with KAM_TOUR_UPDATE=1";
  const std::map<int, int> ports = DevToStackPorts();
  TourShell shell(TempDir());
  std::vector<std::string> outputs;
  int mismatches = 0;
  for (const TourStep& step : *steps) {
    outputs.push_back(shell.Run(step.command, ports));
    const std::string diff = LineDiff(step.expected, outputs.back());
    if (diff.empty()) {
      // Keep the text that matched, so a regenerated TOUR.md differs only where it must.
      outputs.back() = step.expected;
      continue;
    }
    ++mismatches;
    const std::string message = absl::StrCat(path, ":", step.line,
                                             ": the output differs (- tour, + actual)\n$ ",
                                             step.command, "\n", diff);
    if (update) {
      std::cout << message;
    } else {
      ADD_FAILURE() << message;
    }
  }
  if (update) {
    std::ofstream(path) << SetLoadDay(RewriteTour(markdown, *steps, outputs), load_day);
    std::cout << "tour: rewrote " << path << " (" << mismatches << " of " << steps->size()
              << " outputs changed; review `git diff` before committing)\n";
  } else if (mismatches > 0) {
    std::cout << "tour: " << mismatches << " of " << steps->size()
              << " commands differ; KAM_TOUR_UPDATE=1 rewrites " << path
              << " with the actual outputs\n";
  }
}

// ---- the tour's format and rules, without a stack ----

TEST(TourFormatTest, ReadsCommandsOutputsAndContinuationsOfConsoleBlocksOnly) {
  const std::string markdown =
      "# Tour\n"
      "```sh\n$ not run\n```\n"
      "```console\n"
      "$ kamctl whoami\n"
      "subject: dora\n"
      "\n"
      "$ kamctl accounts list \\\n"
      "    --page-size 1\n"
      "ID  NAME\n"
      "```\n"
      "text\n";
  absl::StatusOr<std::vector<TourStep>> steps = ParseTour(markdown);
  ASSERT_TRUE(steps.ok()) << steps.status();
  ASSERT_EQ(steps->size(), 2u);
  EXPECT_EQ((*steps)[0].line, 6);
  EXPECT_EQ((*steps)[0].command, "kamctl whoami");
  EXPECT_EQ((*steps)[0].expected, "subject: dora");
  EXPECT_EQ((*steps)[1].command, "kamctl accounts list \\\n    --page-size 1");
  EXPECT_EQ((*steps)[1].expected, "ID  NAME");

  EXPECT_EQ(RewriteTour(markdown, *steps, {"subject: erin\n", "ID  NAME\n1   A\n"}),
            "# Tour\n```sh\n$ not run\n```\n```console\n$ kamctl whoami\nsubject: erin\n"
            "$ kamctl accounts list \\\n    --page-size 1\nID  NAME\n1   A\n```\ntext\n");
}

TEST(TourFormatTest, RefusesUnclosedBlocksAndOutputWithoutACommand) {
  EXPECT_FALSE(ParseTour("```console\n$ kamctl whoami\n").ok());
  EXPECT_FALSE(ParseTour("```console\nstray output\n$ kamctl whoami\n```\n").ok());
}

TEST(TourFormatTest, MasksOnlyVolatileValues) {
  EXPECT_EQ(LineDiff("created:  2026-11-23T05:03:01.123Z\ndue 2026-11-24 10:00  took 1.5s",
                     "created: 2027-01-02T00:00:00Z  \ndue 2027-01-03 09:30  took 250ms\n\n"),
            "");
  EXPECT_EQ(LineDiff("request id: 1b4e28ba-2fa1-11d2-883f-0016d3cca427\n"
                     "next page: --page-token eyJhIjox",
                     "request id: 6fa459ea-ee8a-3ca4-894e-db77e160355e\n"
                     "next page: --page-token eyJhIjoy"),
            "");
  // Amounts, counts, names and tiers are the business: they must match. Days may move.
  EXPECT_EQ(LineDiff("revenue  12,345.67 CNY\nday 2026-11-23", "revenue  12,345.68 CNY\nday 2026-11-24"),
            "- revenue  12,345.67 CNY\n+ revenue  12,345.68 CNY\n  day 2026-11-24\n");
  EXPECT_EQ(LineDiff("a\nb", "a\nb\nc"), "  a\n  b\n+ c\n");
}

TEST(TourFormatTest, ReadsAndWritesTheLoadDayNote) {
  const std::string tour = "revenue 1,234.50 CNY on 2026-11-23, tier A\n";
  EXPECT_EQ(LineDiff(tour, "revenue 1,234.50 CNY on 2026-12-01, tier A"), "");
  EXPECT_NE(LineDiff(tour, "revenue 1,234.50 CNY on 2026-12-01, tier B"), "");
  const std::string markdown = "# Tour\n<!-- tour load day: 2026-11-23 -->\n";
  EXPECT_EQ(LoadDayOf(markdown), "2026-11-23");
  EXPECT_EQ(LoadDayOf(SetLoadDay(markdown, "2027-01-02")), "2027-01-02");
  EXPECT_EQ(LoadDayInDemoOutput("demo company loaded (seed 1, load day 2026-11-23) in 9 s"),
            "2026-11-23");
}

TEST(TourFormatTest, MapsDevPortsToTheStackAndBack) {
  const std::map<int, int> ports = {{9101, 41234}, {50051, 40001}};
  EXPECT_EQ(MapPorts("curl -s localhost:9101/metrics 127.0.0.1:50051 localhost:9999", ports),
            "curl -s localhost:41234/metrics 127.0.0.1:40001 localhost:9999");
}

}  // namespace
}  // namespace kam::demo
