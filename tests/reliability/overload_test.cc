// Concurrency "Overload" of issue 7: twice the measured capacity for a while (short mode
// 30 s, KAM_RELIABILITY_LONG=1 a minute). First the capacity of a read (GetAccount through
// the gateway, closed loop, several machine callers so that no per-caller rate limit is what
// refuses), then an open-loop rate of twice that. Successful throughput must stay near
// capacity (the capacity left to the stack: the generator shares its cores, see
// RELIABILITY.md), the excess must be refused quickly with RESOURCE_EXHAUSTED/UNAVAILABLE, the
// gateway's and accounts' memory must stay bounded and health must keep answering.
//
// The calls come from overload_loadgen (KAM_OVERLOAD_LOADGEN_BIN), a process of its own, so
// that the client's work is not counted against (or stolen from) this binary's sampling.
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/reliability/scenario_report.h"
#include "tests/reliability/stack_checks.h"
#include "tests/support/process.h"

namespace kam::reliability {
namespace {

using e2e::KamStack;
namespace v1 = kam::accounts::v1;

constexpr int kSubjects = 4;
// A user-facing read: what the open-loop callers give each call.
constexpr absl::Duration kCallDeadline = absl::Seconds(1);

// VmRSS of `pid` in MiB (/proc/<pid>/status); 0 when unreadable.
double RssMib(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    int64_t kib = 0;
    std::string digits;
    for (char c : line) {
      if (c >= '0' && c <= '9') digits.push_back(c);
    }
    if (absl::SimpleAtoi(digits, &kib)) return static_cast<double>(kib) / 1024.0;
  }
  return 0;
}

// CPU time (user + system) `pid` has used, in seconds (/proc/<pid>/stat); 0 when unreadable.
double CpuSeconds(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces; utime and stime are fields 14 and 15.
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU seconds the whole machine has been busy, all cores together (/proc/stat; steal time
// counts as busy: a neighbour's, not ours to use).
double MachineBusySeconds() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return (user + nice + system + irq + softirq + steal) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Cores this process may run on (the stack and the generator share them).
double Cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

// CPU use during one phase: the gateway's and accounts' own (a refusal's cost next to a
// served call's), and how many cores everything outside the stack took (the generator, the
// test binary, anything else on the machine: a figure that explains a poor run).
class PhaseMeter {
 public:
  PhaseMeter()
      : start_(absl::Now()),
        gateway_(Cpu("gateway")),
        accounts_(Cpu("accounts")),
        stack_(StackCpu()),
        machine_(MachineBusySeconds()) {}
  double gateway() const { return Cpu("gateway") - gateway_; }
  double accounts() const { return Cpu("accounts") - accounts_; }
  double OutsideCores() const {
    const double wall = absl::ToDoubleSeconds(absl::Now() - start_);
    return ((MachineBusySeconds() - machine_) - (StackCpu() - stack_)) / wall;
  }

 private:
  static double Cpu(const char* name) {
    return CpuSeconds(KamStack::Get().service(name).process->pid());
  }
  static double StackCpu() {
    double sum = CpuSeconds(KamStack::Get().db().pid());
    for (const char* name : {"gateway", "accounts", "complaints", "analytics"}) sum += Cpu(name);
    return sum;
  }
  absl::Time start_;
  double gateway_;
  double accounts_;
  double stack_;
  double machine_;
};

// What a background sampler saw of one process's memory and everyone's health.
struct Samples {
  std::vector<double> gateway_rss;
  std::vector<double> accounts_rss;
  int health_checks = 0;
  int health_failures = 0;
};

// Samples RSS of the gateway and accounts and asks both for readiness, every second, until
// stopped.
class Sampler {
 public:
  Sampler() : thread_([this] { Loop(); }) {}
  Samples Stop() {
    stopping_ = true;
    thread_.join();
    return samples_;
  }

 private:
  void Loop() {
    const KamStack& stack = KamStack::Get();
    while (!stopping_) {
      samples_.gateway_rss.push_back(RssMib(stack.service("gateway").process->pid()));
      samples_.accounts_rss.push_back(RssMib(stack.service("accounts").process->pid()));
      for (const char* name : {"gateway", "accounts"}) {
        ++samples_.health_checks;
        if (e2e::HealthStatus(stack.service(name).address(), "") != e2e::Health::SERVING) {
          ++samples_.health_failures;
        }
      }
      for (int i = 0; i < 10 && !stopping_; ++i) absl::SleepFor(absl::Milliseconds(100));
    }
  }

  std::atomic<bool> stopping_{false};
  Samples samples_;
  std::thread thread_;
};

double Mean(const std::vector<double>& values, size_t from, size_t to) {
  if (to <= from) return 0;
  double sum = 0;
  for (size_t i = from; i < to; ++i) sum += values[i];
  return sum / static_cast<double>(to - from);
}

// What overload_loadgen reports of one run.
struct LoadFigures {
  double seconds = 0;
  int64_t issued = 0;
  int64_t ended = 0;
  int64_t late = 0;
  double ok_per_s = 0;
  double max_issue_lag_ms = 0;
  double cpu_seconds = 0;  // the load generator's own
  int64_t skipped = 0;     // calls the starved generator could not send in time
  std::map<grpc::StatusCode, int64_t> counts;
  std::map<grpc::StatusCode, double> p99_ms;
  std::map<grpc::StatusCode, double> max_ms;

  int64_t Count(grpc::StatusCode code) const {
    auto it = counts.find(code);
    return it == counts.end() ? 0 : it->second;
  }
  double P99(grpc::StatusCode code) const {
    auto it = p99_ms.find(code);
    return it == p99_ms.end() ? 0 : it->second;
  }
};

// What the stack's capacity becomes when the generator's CPU grows from the probe's to the
// overload's: the ratio of the cores it left, at least 0.75.
double GeneratorScale(const LoadFigures& probe, const LoadFigures& overload) {
  auto left = [](const LoadFigures& run) {
    return Cores() - (run.seconds > 0 ? run.cpu_seconds / run.seconds : 0);
  };
  return std::clamp(left(overload) / std::max(0.1, left(probe)), 0.75, 1.0);
}

class OverloadTest : public e2e::E2eTest {
 protected:
  void SetUp() override {
    ASSERT_THAT(Create(As("overload-owner", {"account_manager"}), Draft("read"), &account_),
                e2e::GrpcOk());
    for (int i = 0; i < kSubjects; ++i) {
      tokens_.push_back(Token(absl::StrCat("overload-feed-", i), {"system"}));
    }
    v1::GetAccountRequest request;
    request.set_account_id(account_.id());
    ASSERT_THAT(WithToken(tokens_[0]).Call(&v1::AccountService::Stub::GetAccount, request),
                e2e::GrpcOk());
  }

  // Runs overload_loadgen with `mode_args` for `duration`; its figures, or a failed test.
  LoadFigures Drive(const std::vector<std::string>& mode_args, absl::Duration duration) {
    const char* loadgen = std::getenv("KAM_OVERLOAD_LOADGEN_BIN");
    EXPECT_NE(loadgen, nullptr) << "KAM_OVERLOAD_LOADGEN_BIN is not set";
    if (loadgen == nullptr) return {};
    std::vector<std::string> argv = {
        loadgen, absl::StrCat("--target=", stack().service("gateway").address()),
        absl::StrCat("--account=", account_.id()),
        absl::StrCat("--seconds=", absl::ToDoubleSeconds(duration)),
        absl::StrCat("--deadline-ms=", absl::ToInt64Milliseconds(kCallDeadline))};
    for (const std::string& token : tokens_) argv.push_back("--token=" + token);
    argv.insert(argv.end(), mode_args.begin(), mode_args.end());
    absl::StatusOr<test_support::CommandResult> run =
        test_support::RunCommand(argv, duration + absl::Seconds(60));
    EXPECT_TRUE(run.ok()) << run.status();
    if (!run.ok()) return {};
    EXPECT_EQ(run->exit_code, 0) << run->err;
    const nlohmann::json out = nlohmann::json::parse(run->out, nullptr, false);
    EXPECT_FALSE(out.is_discarded()) << "overload_loadgen printed: " << run->out << run->err;
    if (out.is_discarded()) return {};
    LoadFigures figures;
    figures.seconds = out.value("seconds", 0.0);
    figures.issued = out.value("issued", int64_t{0});
    figures.ended = out.value("ended", int64_t{0});
    figures.late = out.value("late", int64_t{0});
    figures.ok_per_s = out.value("ok_per_s", 0.0);
    figures.max_issue_lag_ms = out.value("max_issue_lag_ms", 0.0);
    figures.cpu_seconds = out.value("cpu_s", 0.0);
    figures.skipped = out.value("skipped", int64_t{0});
    for (const auto& [code, stats] : out["codes"].items()) {
      const auto status = static_cast<grpc::StatusCode>(std::stoi(code));
      figures.counts[status] = stats.value("count", int64_t{0});
      figures.p99_ms[status] = stats.value("p99_ms", 0.0);
      figures.max_ms[status] = stats.value("max_ms", 0.0);
    }
    return figures;
  }

  v1::Account account_;
  std::vector<std::string> tokens_;
};

TEST_F(OverloadTest, TwiceTheCapacityKeepsThroughputRefusesTheExcessQuickly) {
  ScenarioReport report("overload_twice_capacity");
  // Capacity: enough calls outstanding to keep every stage of the stack busy.
  const PhaseMeter capacity_cpu;
  const LoadFigures capacity_run =
      Drive({"--mode=closed", "--concurrency=64"}, ByMode(absl::Seconds(8), absl::Seconds(20)));
  const double capacity_outside_cores = capacity_cpu.OutsideCores();
  const double capacity = capacity_run.ok_per_s;
  report.Figure("capacity_per_s", capacity);
  report.Figure("capacity_ok_p99_ms", capacity_run.P99(grpc::StatusCode::OK));
  // CPU per call tells what a refusal costs next to a served call (machine noise aside).
  report.Figure("capacity_gateway_cpu_ms_per_call",
                1000 * capacity_cpu.gateway() / static_cast<double>(capacity_run.ended));
  report.Figure("capacity_accounts_cpu_ms_per_call",
                1000 * capacity_cpu.accounts() / static_cast<double>(capacity_run.ended));
  report.Figure("capacity_loadgen_cpu_ms_per_call",
                1000 * capacity_run.cpu_seconds / static_cast<double>(capacity_run.ended));
  ASSERT_GT(capacity, 10) << "GetAccount through the gateway barely works";

  const absl::Duration duration = ByMode(absl::Seconds(30), absl::Minutes(1));
  const double rate = 2 * capacity;
  Sampler sampler;
  const PhaseMeter load_cpu;
  const LoadFigures load = Drive({"--mode=open", absl::StrCat("--rate=", rate)}, duration);
  const double outside_cores = load_cpu.OutsideCores();
  const Samples samples = sampler.Stop();
  report.Figure("gateway_cpu_ms_per_call",
                1000 * load_cpu.gateway() / static_cast<double>(std::max<int64_t>(load.ended, 1)));
  report.Figure("accounts_cpu_ms_per_call",
                1000 * load_cpu.accounts() / static_cast<double>(std::max<int64_t>(load.ended, 1)));
  report.Figure("loadgen_cpu_ms_per_call",
                1000 * load.cpu_seconds / static_cast<double>(std::max<int64_t>(load.ended, 1)));

  const int64_t refused =
      load.Count(grpc::StatusCode::RESOURCE_EXHAUSTED) + load.Count(grpc::StatusCode::UNAVAILABLE);
  const double refused_p99 = std::max(load.P99(grpc::StatusCode::RESOURCE_EXHAUSTED),
                                      load.P99(grpc::StatusCode::UNAVAILABLE));
  const int64_t timed_out = load.Count(grpc::StatusCode::DEADLINE_EXCEEDED);
  const int64_t ok = load.Count(grpc::StatusCode::OK);
  const int64_t other = load.ended - ok - refused - timed_out;
  const double goodput = load.ok_per_s;
  report.Figure("offered_per_s",
                static_cast<double>(load.issued) / absl::ToDoubleSeconds(duration));
  report.Figure("goodput_per_s", goodput);
  report.Figure("goodput_share_of_capacity", goodput / capacity);
  report.Figure("ok_p99_ms", load.P99(grpc::StatusCode::OK));
  report.Figure("refused", static_cast<double>(refused));
  report.Figure("refused_p99_ms", refused_p99);
  report.Figure("deadline_exceeded", static_cast<double>(timed_out));
  // Measured by the client, whose callbacks run late when the machine starves it: a figure.
  report.Figure("outlived_deadline", static_cast<double>(load.late));
  report.Figure("client_issue_lag_max_ms", load.max_issue_lag_ms);
  report.Figure("client_skipped", static_cast<double>(load.skipped));
  report.Check("the load generator offered about twice the capacity (>= 1.8x)",
               static_cast<double>(load.issued) >= 0.9 * rate * absl::ToDoubleSeconds(duration),
               absl::StrCat(load.issued, " calls in ", absl::ToDoubleSeconds(duration), " s"));
  report.Check("every call ended", load.ended == load.issued,
               absl::StrCat(load.ended, " of ", load.issued));
  // The generator shares the machine's cores with the stack, and offering twice the load
  // costs it about twice the CPU (its own getrusage): the stack's capacity during the
  // overload is the probe's, scaled by the cores the generator left in each phase, never
  // below three quarters of it. Nothing else is excused: other load on the machine (the
  // `outside_cores` figures) and the gateway's cost of refusing count against the stack.
  const double capacity_left = capacity * GeneratorScale(capacity_run, load);
  report.Figure("cores", Cores());
  report.Figure("capacity_loadgen_cores", capacity_run.cpu_seconds / capacity_run.seconds);
  report.Figure("loadgen_cores", load.cpu_seconds / load.seconds);
  report.Figure("capacity_outside_cores", capacity_outside_cores);
  report.Figure("outside_cores", outside_cores);
  report.Figure("capacity_left_to_stack_per_s", capacity_left);
  report.Figure("goodput_share_of_capacity_left", goodput / capacity_left);
  report.Check("successful throughput stays near the capacity the generator leaves (>= 70%)",
               goodput >= 0.7 * capacity_left,
               absl::StrCat(goodput, "/s of ", capacity_left, "/s (", capacity, "/s measured)"));
  report.Check("the excess is refused", refused > 0);
  report.Check("refusals are quick (p99 under a quarter of the deadline)",
               refused_p99 < absl::ToDoubleMilliseconds(kCallDeadline) / 4,
               absl::StrCat("p99 ", refused_p99, " ms"));
  report.Check("few calls wait out their deadline (< 5%)",
               static_cast<double>(timed_out) < 0.05 * static_cast<double>(load.issued),
               absl::StrCat(timed_out, " of ", load.issued));
  report.Check("no other errors", other == 0, absl::StrCat(other, " calls"));

  // Memory: a cap, and no growth from the second quarter of the run to the last.
  for (const auto& [name, rss] :
       {std::pair{"gateway", &samples.gateway_rss}, std::pair{"accounts", &samples.accounts_rss}}) {
    const size_t n = rss->size();
    const double peak = n == 0 ? 0 : *std::max_element(rss->begin(), rss->end());
    const double early = Mean(*rss, n / 4, n / 2);
    const double late = Mean(*rss, 3 * n / 4, n);
    report.Figure(absl::StrCat(name, "_rss_peak_mib"), peak);
    report.Figure(absl::StrCat(name, "_rss_growth_mib"), late - early);
    report.Check(absl::StrCat(name, " memory under its cap (256 MiB)"), n > 0 && peak < 256,
                 absl::StrCat(peak, " MiB"));
    report.Check(absl::StrCat(name, " memory does not keep growing"), late <= early * 1.2 + 16,
                 absl::StrCat(early, " -> ", late, " MiB"));
  }
  report.Figure("health_checks", samples.health_checks);
  report.Check("health answers SERVING throughout", samples.health_failures == 0,
               absl::StrCat(samples.health_failures, " of ", samples.health_checks, " failed"));

  // Afterwards the service is immediately usable again.
  v1::GetAccountRequest request;
  request.set_account_id(account_.id());
  report.Check("a read succeeds right after the overload",
               WithToken(tokens_[0]).Call(&v1::AccountService::Stub::GetAccount, request).ok());
  GateCrashes(report);
  report.Finish();
}

}  // namespace
}  // namespace kam::reliability
