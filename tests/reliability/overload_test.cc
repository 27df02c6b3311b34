// Concurrency "Overload" of issue 7: twice the measured capacity for a minute. First the
// capacity of a read (GetAccount through the gateway, closed loop, several machine callers
// so that no per-caller rate limit is what refuses), then an open-loop rate of twice that.
// Successful throughput must stay near capacity, the excess must be refused quickly with
// RESOURCE_EXHAUSTED/UNAVAILABLE, the gateway's and accounts' memory must stay bounded and
// health must keep answering.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/reliability/scenario_report.h"
#include "tests/reliability/stack_checks.h"

namespace kam::reliability {
namespace {

using e2e::Caller;
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

class OverloadTest : public e2e::E2eTest {
 protected:
  void SetUp() override {
    ASSERT_THAT(Create(As("overload-owner", {"account_manager"}), Draft("read"), &account_),
                e2e::GrpcOk());
    for (int i = 0; i < kSubjects; ++i) {
      callers_.push_back(As(absl::StrCat("overload-feed-", i), {"system"}));
    }
    request_.set_account_id(account_.id());
    ASSERT_THAT(callers_[0].Call(&v1::AccountService::Stub::GetAccount, request_), e2e::GrpcOk());
  }

  // Closed loop: `threads` callers each make one GetAccount after another for `duration`.
  // Successful calls per second.
  double MeasureCapacity(ScenarioReport& report, int threads, absl::Duration duration) {
    std::atomic<int64_t> ok{0};
    const absl::Time end = absl::Now() + duration;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        const Caller& caller = callers_[t % callers_.size()];
        while (absl::Now() < end) {
          if (report
                  .Timed(
                      "", "GetAccount(capacity)",
                      [&] { return caller.Call(&v1::AccountService::Stub::GetAccount, request_); })
                  .ok()) {
            ++ok;
          }
        }
      });
    }
    for (std::thread& worker : workers) worker.join();
    return static_cast<double>(ok) / absl::ToDoubleSeconds(duration);
  }

  // Open loop: starts `rate` GetAccount calls per second for `duration` whatever the answers,
  // each with kCallDeadline; returns when all have ended.
  void DriveOpenLoop(ScenarioReport& report, double rate, absl::Duration duration) {
    struct Call {
      grpc::ClientContext context;
      v1::GetAccountResponse response;
      absl::Time start;
    };
    std::vector<std::unique_ptr<v1::AccountService::Stub>> stubs;
    for (const Caller& caller : callers_) {
      stubs.push_back(v1::AccountService::NewStub(caller.channel()));
    }
    std::atomic<int64_t> outstanding{0};
    const absl::Time start = absl::Now();
    int64_t issued = 0;
    for (absl::Time now = start; now < start + duration; now = absl::Now()) {
      const auto due = static_cast<int64_t>(rate * absl::ToDoubleSeconds(now - start));
      for (; issued < due; ++issued) {
        const size_t subject = static_cast<size_t>(issued) % callers_.size();
        auto* call = new Call;
        callers_[subject].Prepare(&call->context);
        call->context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
        call->start = absl::Now();
        ++outstanding;
        stubs[subject]->async()->GetAccount(
            &call->context, &request_, &call->response,
            [call, &report, &outstanding](grpc::Status status) {
              report.Record({"", "GetAccount", status.error_code(), absl::Now() - call->start});
              delete call;
              --outstanding;
            });
      }
      absl::SleepFor(absl::Milliseconds(1));
    }
    e2e::Eventually([&] { return outstanding == 0; }, kCallDeadline + absl::Seconds(5));
    EXPECT_EQ(outstanding, 0) << "calls still open well after their deadline";
  }

  v1::Account account_;
  std::vector<Caller> callers_;
  v1::GetAccountRequest request_;
};

TEST_F(OverloadTest, TwiceTheCapacityForAMinuteKeepsThroughputRefusesTheExcessQuickly) {
  ScenarioReport capacity_report("overload_capacity_probe");
  const double capacity =
      MeasureCapacity(capacity_report, 16, ByMode(absl::Seconds(10), absl::Seconds(20)));
  ASSERT_GT(capacity, 10) << "GetAccount through the gateway barely works";

  ScenarioReport report("overload_twice_capacity");
  report.Figure("capacity_per_s", capacity);
  const absl::Duration duration = ByMode(absl::Minutes(1), absl::Minutes(3));
  const double rate = 2 * capacity;
  report.Figure("offered_per_s", rate);
  Sampler sampler;
  DriveOpenLoop(report, rate, duration);
  const Samples samples = sampler.Stop();

  const std::vector<CallRecord> records = report.records();
  std::vector<CallRecord> refused;
  int64_t ok = 0;
  int64_t timed_out = 0;
  int64_t other = 0;
  for (const CallRecord& record : records) {
    switch (record.code) {
      case grpc::StatusCode::OK:
        ++ok;
        break;
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
      case grpc::StatusCode::UNAVAILABLE:
        refused.push_back(record);
        break;
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        ++timed_out;
        break;
      default:
        ++other;
    }
  }
  const double goodput = static_cast<double>(ok) / absl::ToDoubleSeconds(duration);
  report.Figure("goodput_per_s", goodput);
  report.Figure("goodput_share_of_capacity", goodput / capacity);
  report.Figure("refused", static_cast<double>(refused.size()));
  report.Figure("refused_p99_ms", PercentileMs(refused, 99));
  report.Figure("deadline_exceeded", static_cast<double>(timed_out));
  report.Check("successful throughput stays near capacity (>= 70%)", goodput >= 0.7 * capacity,
               absl::StrCat(goodput, "/s of ", capacity, "/s"));
  report.Check("the excess is refused", !refused.empty());
  report.Check("refusals are quick (p99 under a quarter of the deadline)",
               PercentileMs(refused, 99) < absl::ToDoubleMilliseconds(kCallDeadline) / 4,
               absl::StrCat("p99 ", PercentileMs(refused, 99), " ms"));
  report.Check("few calls wait out their deadline (< 5%)",
               static_cast<double>(timed_out) < 0.05 * static_cast<double>(records.size()),
               absl::StrCat(timed_out, " of ", records.size()));
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
    report.Check(absl::StrCat(name, " memory under its cap (512 MiB)"), n > 0 && peak < 512,
                 absl::StrCat(peak, " MiB"));
    report.Check(absl::StrCat(name, " memory does not keep growing"), late <= early * 1.2 + 16,
                 absl::StrCat(early, " -> ", late, " MiB"));
  }
  report.Figure("health_checks", samples.health_checks);
  report.Check("health answers SERVING throughout", samples.health_failures == 0,
               absl::StrCat(samples.health_failures, " of ", samples.health_checks, " failed"));

  // Afterwards the service is immediately usable again.
  report.Check("a read succeeds right after the overload",
               callers_[0].Call(&v1::AccountService::Stub::GetAccount, request_).ok());
  GateCrashes(report);
  capacity_report.Finish();
  report.Finish();
}

}  // namespace
}  // namespace kam::reliability
