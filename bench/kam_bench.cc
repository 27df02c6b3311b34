// Closed-loop load generator for the accounts slice: N callers, each with one call in
// flight, for a fixed time; prints one JSON line with throughput and latency percentiles.
// Through the gateway it sends a bearer token; straight at accounts it signs the identity
// the way the gateway does, so the two numbers show what the gateway hop costs.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "absl/time/clock.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "services/common/identity.h"
#include "services/common/jwt.h"

namespace {

namespace v1 = kam::accounts::v1;

struct Options {
  std::string addr = "127.0.0.1:50051";
  std::string mode = "gateway";  // gateway | direct
  std::string method = "get";    // get | list | create
  std::string secret;            // JWT secret (gateway) or identity key (direct)
  int callers = 16;
  double seconds = 10;
};

void Authorize(const Options& options, grpc::ClientContext* context) {
  const kam::Principal director{"bench-director", {"director"}, ""};
  const absl::Time now = absl::Now();
  if (options.mode == "gateway") {
    static const std::string token =
        kam::MintJwt(director, {options.secret, "kam-dev", "kam-suite", now, absl::Hours(1)});
    context->AddMetadata("authorization", "Bearer " + token);
  } else {
    const kam::SignedIdentity identity =
        kam::SignIdentity(director, options.secret, now + absl::Minutes(1));
    context->AddMetadata(kam::kIdentityHeader, identity.payload);
    context->AddMetadata(kam::kIdentitySignatureHeader, identity.signature);
  }
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

grpc::Status Create(v1::AccountService::Stub& stub, const Options& options, const std::string& key,
                    int64_t* id) {
  grpc::ClientContext context;
  Authorize(options, &context);
  v1::CreateAccountRequest request;
  request.set_request_id("bench-" + key);
  request.mutable_account()->set_name("Bench account " + key);
  request.mutable_account()->set_registration_number("BENCH-" + key);
  request.mutable_account()->set_nature(v1::NATURE_ORDINARY_COMPANY);
  request.mutable_account()->set_owner_id("bench-manager");
  v1::CreateAccountResponse response;
  grpc::Status status = stub.CreateAccount(&context, request, &response);
  *id = response.account().id();
  return status;
}

grpc::Status CallOnce(v1::AccountService::Stub& stub, const Options& options, int64_t account_id,
                      const std::string& key) {
  grpc::ClientContext context;
  Authorize(options, &context);
  if (options.method == "get") {
    v1::GetAccountRequest request;
    request.set_account_id(account_id);
    v1::GetAccountResponse response;
    return stub.GetAccount(&context, request, &response);
  }
  if (options.method == "list") {
    v1::ListAccountsRequest request;
    request.set_page_size(50);
    v1::ListAccountsResponse response;
    return stub.ListAccounts(&context, request, &response);
  }
  int64_t ignored = 0;
  return Create(stub, options, key, &ignored);
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))];
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app("kam_bench");
  app.add_option("--addr", options.addr, "gateway or accounts address");
  app.add_option("--mode", options.mode, "gateway | direct")
      ->check(CLI::IsMember({"gateway", "direct"}));
  app.add_option("--method", options.method, "get | list | create")
      ->check(CLI::IsMember({"get", "list", "create"}));
  std::string secret_file;
  app.add_option("--secret-file", secret_file, "JWT secret (gateway) or identity key (direct)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--callers", options.callers, "concurrent callers")->check(CLI::Range(1, 1024));
  app.add_option("--seconds", options.seconds, "duration")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  std::getline(std::ifstream(secret_file), options.secret);

  // Each caller gets its own channel (as separate client processes would), so the load is
  // spread over connections the way a fleet of callers spreads it.
  const std::string run = std::to_string(absl::ToUnixMicros(absl::Now()));
  auto new_stub = [&] {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return v1::AccountService::NewStub(
        grpc::CreateCustomChannel(options.addr, grpc::InsecureChannelCredentials(), args));
  };
  int64_t account_id = 0;
  if (grpc::Status s = Create(*new_stub(), options, run + "-seed", &account_id); !s.ok()) {
    std::cerr << "seed account: " << s.error_message() << std::endl;
    return 1;
  }

  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(options.callers);
  std::vector<int64_t> errors(options.callers, 0);
  std::vector<std::thread> callers;
  for (int i = 0; i < options.callers; ++i) {
    callers.emplace_back([&, i] {
      auto stub = new_stub();
      for (int64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        const auto start = std::chrono::steady_clock::now();
        const grpc::Status status =
            CallOnce(*stub, options, account_id, run + "-" + std::to_string(i) + "-" +
                                                     std::to_string(n));
        const std::chrono::duration<double, std::milli> took =
            std::chrono::steady_clock::now() - start;
        if (status.ok()) {
          latencies[i].push_back(took.count());
        } else {
          ++errors[i];
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(options.seconds));
  stop = true;
  for (std::thread& caller : callers) caller.join();

  std::vector<double> all;
  int64_t failed = 0;
  for (int i = 0; i < options.callers; ++i) {
    all.insert(all.end(), latencies[i].begin(), latencies[i].end());
    failed += errors[i];
  }
  std::sort(all.begin(), all.end());
  const nlohmann::ordered_json result = {
      {"mode", options.mode}, {"method", options.method}, {"callers", options.callers},
      {"seconds", options.seconds}, {"ok", all.size()}, {"errors", failed},
      {"rps", all.size() / options.seconds}, {"p50_ms", Percentile(all, 0.50)},
      {"p99_ms", Percentile(all, 0.99)}, {"max_ms", all.empty() ? 0.0 : all.back()}};
  std::cout << result.dump() << std::endl;
  return failed == 0 ? 0 : 1;
}
