// Load generator of the overload scenario (overload_test.cc), a process of its own so that
// making calls does not take the CPU of the test binary that also samples the stack, and the
// figures are the client's own. GetAccount of one account through the gateway, on one
// completion queue and one thread:
//   --mode=closed: `--concurrency` calls outstanding at all times (capacity);
//   --mode=open:   `--rate` calls started per second whatever the answers (overload).
// Each call has `--deadline-ms`. Prints one JSON line: calls per status code with latency
// percentiles, calls that outlived their deadline, and how late the issuing ran.
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
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

// Outcomes of every ended call.
class Outcomes {
 public:
  void Add(grpc::StatusCode code, absl::Duration latency) {
    latencies_ms_[code].push_back(absl::ToDoubleMilliseconds(latency));
    ++ended_;
  }
  int64_t ended() const { return ended_; }
  nlohmann::json Summary(absl::Duration deadline, int64_t* late) {
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

// Issues calls and reaps their answers on one thread and one completion queue: the cheapest
// client gRPC offers (no hand-off to callback threads), because on this shared machine every
// microsecond the generator spends on the excess is taken from the stack under test.
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

  nlohmann::json Run() {
    const absl::Duration duration = absl::Seconds(options_.seconds);
    const absl::Time start = absl::Now();
    const absl::Time end = start + duration;
    if (options_.mode == "closed") {
      for (int i = 0; i < options_.concurrency; ++i) Start();
      // Each ended call starts the next one until the end.
      while (absl::Now() < end) {
        if (Reap(end) && absl::Now() < end) Start();
      }
    } else {
      RunOpenLoop(start, end);
    }
    const absl::Duration elapsed = absl::Now() - start;
    const absl::Duration deadline = absl::Milliseconds(options_.deadline_ms);
    const absl::Time give_up = absl::Now() + deadline + absl::Seconds(5);
    while (outcomes_.ended() < issued_ && absl::Now() < give_up) Reap(give_up);
    int64_t late = 0;
    nlohmann::json codes = outcomes_.Summary(deadline, &late);
    const int64_t ok = codes.contains("0") ? codes["0"]["count"].get<int64_t>() : 0;
    return {{"mode", options_.mode},
            {"seconds", absl::ToDoubleSeconds(elapsed)},
            {"issued", issued_},
            {"issued_per_s", static_cast<double>(issued_) / absl::ToDoubleSeconds(duration)},
            {"ended", outcomes_.ended()},
            {"ok_per_s", static_cast<double>(ok) / absl::ToDoubleSeconds(duration)},
            {"late", late},
            {"max_issue_lag_ms", max_issue_lag_ms_},
            {"skipped", skipped_},
            {"cpu_s", CpuSeconds()},
            {"codes", codes}};
  }

 private:
  struct Call {
    grpc::ClientContext context;
    v1::GetAccountResponse response;
    grpc::Status status;
    absl::Time start;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::GetAccountResponse>> reader;
  };

  // `--rate` calls per second on a fixed schedule, whatever the answers.
  void RunOpenLoop(absl::Time start, absl::Time end) {
    // Calls due more than this long ago are skipped, not sent in one burst: when the
    // machine starves this process, a backlog sent at once would measure the burst.
    const double kMaxLagMs = 100;
    int64_t slot = 0;  // the schedule's next call
    for (absl::Time now = start; now < end; now = absl::Now()) {
      const auto due = static_cast<int64_t>(options_.rate * absl::ToDoubleSeconds(now - start));
      if (due > slot) {
        // How far behind its schedule the issuing is (a starved client, not the server).
        const double lag_ms =
            absl::ToDoubleMilliseconds(now - start) - 1000.0 * slot / options_.rate;
        max_issue_lag_ms_ = std::max(max_issue_lag_ms_, lag_ms);
        if (lag_ms > kMaxLagMs) {
          const auto skip = static_cast<int64_t>((lag_ms - kMaxLagMs) * options_.rate / 1000);
          slot += skip;
          skipped_ += skip;
        }
      }
      for (; slot < due; ++slot) Start();
      // Reap answers until the next call is due, issuing at most once a millisecond (in
      // batches at high rates: a timed wake-up per call would cost more than the call).
      const absl::Time next_due = std::max(start + absl::Seconds((slot + 1) / options_.rate),
                                           now + absl::Milliseconds(1));
      while (Reap(next_due)) {
      }
    }
  }

  void Start() {
    auto* call = new Call;
    const int64_t n = issued_++;
    call->context.AddMetadata("authorization",
                              "Bearer " + options_.tokens[n % options_.tokens.size()]);
    call->start = absl::Now();
    call->context.set_deadline(
        absl::ToChronoTime(call->start + absl::Milliseconds(options_.deadline_ms)));
    call->reader = stubs_[n % stubs_.size()]->AsyncGetAccount(&call->context, request_, &queue_);
    call->reader->Finish(&call->response, &call->status, call);
  }

  // Records one ended call if one ends before `until`; whether one did.
  bool Reap(absl::Time until) {
    void* tag = nullptr;
    bool ok = false;
    if (queue_.AsyncNext(&tag, &ok, absl::ToChronoTime(until)) !=
        grpc::CompletionQueue::GOT_EVENT) {
      return false;
    }
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    outcomes_.Add(call->status.error_code(), absl::Now() - call->start);
    return true;
  }

  const Options& options_;
  v1::GetAccountRequest request_;
  std::vector<std::unique_ptr<v1::AccountService::Stub>> stubs_;
  grpc::CompletionQueue queue_;
  Outcomes outcomes_;
  int64_t issued_ = 0;
  int64_t skipped_ = 0;
  double max_issue_lag_ms_ = 0;
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
  // A call still pending past its deadline and the grace (figures show ended < issued) would
  // block the completion queue's teardown; the figures are out, so leave at once.
  std::_Exit(0);
}
