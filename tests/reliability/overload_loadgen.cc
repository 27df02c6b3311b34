// Load generator of the overload scenario (overload_test.cc), a process of its own so that
// making calls does not take the CPU of the test binary that also samples the stack, and the
// figures are the client's own. GetAccount of one account through the gateway, callback API:
//   --mode=closed: `--concurrency` calls outstanding at all times (capacity);
//   --mode=open:   `--rate` calls started per second whatever the answers (overload).
// Each call has `--deadline-ms`. Prints one JSON line: calls per status code with latency
// percentiles, calls that outlived their deadline, and how late the issuing ran.
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"

namespace {

namespace v1 = kam::accounts::v1;

struct Options {
  std::string target;
  int64_t account_id = 0;
  std::vector<std::string> tokens;
  std::string mode = "open";
  double rate = 100;
  int concurrency = 16;
  double seconds = 10;
  int deadline_ms = 1000;
  int connections = 8;
  int nice = 0;
};

// Outcomes of every ended call, from gRPC's callback threads.
class Outcomes {
 public:
  void Add(grpc::StatusCode code, absl::Duration latency) {
    std::lock_guard<std::mutex> lock(mutex_);
    latencies_ms_[code].push_back(absl::ToDoubleMilliseconds(latency));
    ++ended_;
    ended_changed_.notify_all();
  }
  // Waits until `count` calls have ended or `timeout` passed; the calls ended.
  int64_t WaitFor(int64_t count, absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    ended_changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                            [&] { return ended_ >= count; });
    return ended_;
  }
  nlohmann::json Summary(absl::Duration deadline, int64_t* late) {
    std::lock_guard<std::mutex> lock(mutex_);
    nlohmann::json codes = nlohmann::json::object();
    *late = 0;
    for (auto& [code, values] : latencies_ms_) {
      std::sort(values.begin(), values.end());
      auto at = [&](double p) {
        return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
      };
      codes[std::to_string(static_cast<int>(code))] = {{"count", values.size()},
                                                       {"p50_ms", at(0.50)},
                                                       {"p99_ms", at(0.99)},
                                                       {"max_ms", values.back()}};
      // gRPC's own timer granularity and a loaded machine: 100 ms of slack.
      const double limit = absl::ToDoubleMilliseconds(deadline) + 100;
      *late += std::count_if(values.begin(), values.end(), [&](double v) { return v > limit; });
    }
    return codes;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ended_changed_;
  std::map<grpc::StatusCode, std::vector<double>> latencies_ms_;
  int64_t ended_ = 0;
};

// CPU time this process has used (user + system), seconds.
double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

class Generator {
 public:
  explicit Generator(const Options& options) : options_(options) {
    request_.set_account_id(options.account_id);
    // Separate connections (a local subchannel pool each), as many callers would have.
    for (int i = 0; i < options.connections; ++i) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      stubs_.push_back(v1::AccountService::NewStub(
          grpc::CreateCustomChannel(options.target, grpc::InsecureChannelCredentials(), args)));
    }
  }

  // Starts call number `n`; `then` runs once it has ended (on a gRPC thread).
  void Start(int64_t n, std::function<void()> then) {
    struct Call {
      grpc::ClientContext context;
      v1::GetAccountResponse response;
      absl::Time start;
    };
    auto* call = new Call;
    call->context.AddMetadata("authorization",
                              "Bearer " + options_.tokens[n % options_.tokens.size()]);
    call->start = absl::Now();
    call->context.set_deadline(
        absl::ToChronoTime(call->start + absl::Milliseconds(options_.deadline_ms)));
    stubs_[n % stubs_.size()]->async()->GetAccount(
        &call->context, &request_, &call->response,
        [this, call, then = std::move(then)](grpc::Status status) {
          outcomes_.Add(status.error_code(), absl::Now() - call->start);
          delete call;
          if (then) then();
        });
  }

  nlohmann::json Run() {
    const absl::Duration duration = absl::Seconds(options_.seconds);
    const absl::Time start = absl::Now();
    const absl::Time end = start + duration;
    std::atomic<int64_t> issued{0};
    double max_issue_lag_ms = 0;
    int64_t skipped = 0;
    if (options_.mode == "closed") {
      // Each finished call starts the next one until the end.
      std::function<void()> next = [&] {
        if (absl::Now() < end) Start(issued++, next);
      };
      for (int i = 0; i < options_.concurrency; ++i) Start(issued++, next);
      absl::SleepFor(duration);
    } else {
      // Calls due more than this long ago are skipped, not sent in one burst: when the
      // machine starves this process, a backlog sent at once would measure the burst.
      const double kMaxLagMs = 100;
      int64_t slot = 0;  // the schedule's next call
      while (true) {
        const absl::Time now = absl::Now();
        if (now >= end) break;
        const auto due = static_cast<int64_t>(options_.rate * absl::ToDoubleSeconds(now - start));
        if (due > slot) {
          // How far behind its schedule the issuing is (a starved client, not the server).
          const double lag_ms =
              absl::ToDoubleMilliseconds(now - start) - 1000.0 * slot / options_.rate;
          max_issue_lag_ms = std::max(max_issue_lag_ms, lag_ms);
          if (lag_ms > kMaxLagMs) {
            const auto skip = static_cast<int64_t>((lag_ms - kMaxLagMs) * options_.rate / 1000);
            slot += skip;
            skipped += skip;
          }
        }
        for (; slot < due; ++slot) Start(issued++, nullptr);
        absl::SleepFor(absl::Milliseconds(1));
      }
    }
    const absl::Duration elapsed = absl::Now() - start;
    const absl::Duration deadline = absl::Milliseconds(options_.deadline_ms);
    const int64_t ended = outcomes_.WaitFor(issued, deadline + absl::Seconds(5));
    int64_t late = 0;
    nlohmann::json codes = outcomes_.Summary(deadline, &late);
    const int64_t ok = codes.contains("0") ? codes["0"]["count"].get<int64_t>() : 0;
    return {{"mode", options_.mode},
            {"seconds", absl::ToDoubleSeconds(elapsed)},
            {"issued", issued.load()},
            {"issued_per_s", static_cast<double>(issued) / absl::ToDoubleSeconds(duration)},
            {"ended", ended},
            {"ok_per_s", static_cast<double>(ok) / absl::ToDoubleSeconds(duration)},
            {"late", late},
            {"max_issue_lag_ms", max_issue_lag_ms},
            {"skipped", skipped},
            {"cpu_s", CpuSeconds()},
            {"codes", codes}};
  }

 private:
  const Options& options_;
  v1::GetAccountRequest request_;
  std::vector<std::unique_ptr<v1::AccountService::Stub>> stubs_;
  Outcomes outcomes_;
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app("overload_loadgen: GetAccount load through the gateway, one JSON line out");
  app.add_option("--target", options.target, "gateway host:port")->required();
  app.add_option("--account", options.account_id, "account id to read")->required();
  app.add_option("--token", options.tokens, "bearer tokens, used in turn")->required();
  app.add_option("--mode", options.mode, "open (fixed rate) or closed (fixed concurrency)")
      ->check(CLI::IsMember({"open", "closed"}));
  app.add_option("--rate", options.rate, "calls started per second (open)")
      ->check(CLI::PositiveNumber);
  app.add_option("--concurrency", options.concurrency, "calls outstanding (closed)")
      ->check(CLI::PositiveNumber);
  app.add_option("--seconds", options.seconds, "how long")->check(CLI::PositiveNumber);
  app.add_option("--deadline-ms", options.deadline_ms, "deadline of each call")
      ->check(CLI::PositiveNumber);
  app.add_option("--connections", options.connections, "connections to the gateway")
      ->check(CLI::PositiveNumber);
  app.add_option("--nice", options.nice, "scheduling priority of this process (-20..19)")
      ->check(CLI::Range(-20, 19));
  CLI11_PARSE(app, argc, argv);
  // --nice below 0 (root only) lets the generator take CPU from the stack it loads: the way
  // to reproduce the gateway's collapse when it is itself starved of CPU (RELIABILITY.md).
  // Set before gRPC starts its threads, which inherit it.
  const bool niced = options.nice == 0 || setpriority(PRIO_PROCESS, 0, options.nice) == 0;
  Generator generator(options);
  nlohmann::json figures = generator.Run();
  figures["nice"] = niced ? options.nice : 0;
  std::cout << figures.dump() << std::endl;
  return 0;
}
