// Closed-loop load generator for the accounts slice: N callers, each with one call in
// flight (gRPC callback API, so the client spends little CPU of the shared two cores), for a
// fixed time; prints one JSON line with throughput and latency percentiles.
// Through the gateway it sends a bearer token; straight at accounts it signs the identity
// the way the gateway does, so the two numbers show what the gateway hop costs. Each caller
// is its own token subject ("bench-<caller>"), as separate clients would be: the gateway's
// rate limits and token cache are per caller.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "kam/gateway/v1/gateway.grpc.pb.h"
#include "services/common/identity.h"
#include "services/common/jwt.h"

namespace {

namespace v1 = kam::accounts::v1;
namespace cv1 = kam::complaints::v1;

struct Options {
  std::string addr = "127.0.0.1:50051";
  std::string mode = "gateway";  // gateway | direct
  // get | list | list-filtered | summary | create | complaint (CreateComplaint) |
  // whoami (gateway only: no database) | customer360 (gateway only: GetCustomer360)
  std::string method = "get";
  // The callers' roles, comma-separated. The default may call every accounts method and
  // complaint intake; "system" is what machine callers (and the gateway bench) use.
  std::string roles = "director,service_agent";
  std::string secret;  // JWT secret (gateway) or identity key (direct)
  int callers = 16;
  double seconds = 10;
  // get: read random ids in 1..id_range (the whole table) instead of one account.
  int64_t id_range = 0;
  // summary: the group to summarise (bench/seed_accounts.sql: 1 is the largest).
  int64_t group_id = 1;
};

std::vector<std::string> SplitRoles(const std::string& roles) {
  std::vector<std::string> out;
  std::stringstream in(roles);
  for (std::string role; std::getline(in, role, ',');) {
    if (!role.empty()) out.push_back(role);
  }
  return out;
}

// Who one caller is, and (through the gateway) its token, minted once for the whole run.
struct Credentials {
  kam::Principal principal;
  std::string authorization;  // "Bearer <JWT>" (gateway mode)
};

Credentials MakeCredentials(const Options& options, const std::string& subject) {
  Credentials credentials{{subject, SplitRoles(options.roles), ""}, ""};
  if (options.mode == "gateway") {
    credentials.authorization =
        "Bearer " + kam::MintJwt(credentials.principal, {options.secret, "kam-dev", "kam-suite",
                                                         absl::Now(), absl::Hours(1)});
  }
  return credentials;
}

void Authorize(const Options& options, const Credentials& credentials, const std::string& method,
               grpc::ClientContext* context) {
  if (options.mode == "gateway") {
    context->AddMetadata("authorization", credentials.authorization);
  } else {
    const kam::SignedIdentity identity = kam::SignIdentity(
        credentials.principal, method, options.secret, absl::Now() + absl::Minutes(1));
    context->AddMetadata(kam::kIdentityHeader, identity.payload);
    context->AddMetadata(kam::kIdentitySignatureHeader, identity.signature);
  }
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

void FillCreate(const std::string& key, v1::CreateAccountRequest* request) {
  request->set_request_id("bench-" + key);
  request->mutable_account()->set_name("Bench account " + key);
  request->mutable_account()->set_registration_number("BENCH-" + key);
  request->mutable_account()->set_nature(v1::NATURE_ORDINARY_COMPANY);
  request->mutable_account()->set_owner_id("bench-manager");
}

grpc::Status Create(v1::AccountService::Stub& stub, const Options& options,
                    const Credentials& credentials, const std::string& key, int64_t* id) {
  grpc::ClientContext context;
  Authorize(options, credentials, "/kam.accounts.v1.AccountService/CreateAccount", &context);
  v1::CreateAccountRequest request;
  FillCreate(key, &request);
  v1::CreateAccountResponse response;
  grpc::Status status = stub.CreateAccount(&context, request, &response);
  *id = response.account().id();
  return status;
}

void FillComplaint(const std::string& key, int64_t account_id,
                   cv1::CreateComplaintRequest* request) {
  request->set_request_id("bench-" + key);
  cv1::Complaint* complaint = request->mutable_complaint();
  complaint->set_account_id(account_id);
  complaint->set_channel(cv1::CHANNEL_PHONE);
  complaint->set_category(cv1::CATEGORY_PRODUCT_QUALITY);
  complaint->set_subcategory("out of tolerance");
  complaint->set_description("Bench complaint " + key + ": coil thickness out of tolerance.");
  complaint->set_severity(cv1::SEVERITY_MEDIUM);
  complaint->set_manner(cv1::MANNER_ASSERTIVE);
}

// Complaints knows an account once its replica has applied the account's creation: retry
// the first intake until then (UNAVAILABLE), for up to 30 s.
grpc::Status WaitForReplica(cv1::ComplaintService::Stub& stub, const Options& options,
                            const Credentials& credentials, const std::string& key,
                            int64_t account_id) {
  grpc::Status status;
  for (int attempt = 0; attempt < 300; ++attempt) {
    grpc::ClientContext context;
    Authorize(options, credentials, "/kam.complaints.v1.ComplaintService/CreateComplaint",
              &context);
    cv1::CreateComplaintRequest request;
    FillComplaint(key, account_id, &request);
    cv1::CreateComplaintResponse response;
    status = stub.CreateComplaint(&context, request, &response);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return status;
}

// The gRPC path of a --method value, which a direct identity is bound to.
std::string FullMethod(const std::string& method) {
  if (method == "whoami") return "/kam.gateway.v1.GatewayService/WhoAmI";
  if (method == "customer360") return "/kam.gateway.v1.GatewayService/GetCustomer360";
  if (method == "list" || method == "list-filtered") {
    return "/kam.accounts.v1.AccountService/ListAccounts";
  }
  if (method == "summary") return "/kam.accounts.v1.AccountService/GetGroupSummary";
  if (method == "create") return "/kam.accounts.v1.AccountService/CreateAccount";
  if (method == "complaint") return "/kam.complaints.v1.ComplaintService/CreateComplaint";
  return "/kam.accounts.v1.AccountService/GetAccount";
}

// One caller: a chain of calls, each issued from the previous one's completion, so that
// exactly one call per caller is in flight without a client thread per caller.
class Caller {
 public:
  Caller(v1::AccountService::Stub* stub, kam::gateway::v1::GatewayService::Stub* gateway,
         cv1::ComplaintService::Stub* complaints, const Options& options, Credentials credentials,
         int64_t account_id, std::string key_prefix, std::atomic<bool>* stop,
         std::atomic<int>* running)
      : stub_(stub),
        gateway_(gateway),
        complaints_(complaints),
        options_(options),
        credentials_(std::move(credentials)),
        account_id_(account_id),
        key_prefix_(std::move(key_prefix)),
        stop_(stop),
        running_(running) {}

  void Start() { Next(); }
  const std::vector<double>& latencies_ms() const { return latencies_ms_; }
  int64_t errors() const { return errors_; }
  const std::string& first_error() const { return first_error_; }

 private:
  struct Call {
    grpc::ClientContext context;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    v1::GetAccountRequest get;
    v1::GetAccountResponse got;
    v1::ListAccountsRequest list;
    v1::ListAccountsResponse listed;
    v1::GetGroupSummaryRequest summary;
    v1::GetGroupSummaryResponse summarised;
    v1::CreateAccountRequest create;
    v1::CreateAccountResponse created;
    kam::gateway::v1::WhoAmIRequest whoami;
    kam::gateway::v1::WhoAmIResponse who;
    kam::gateway::v1::GetCustomer360Request view;
    kam::gateway::v1::GetCustomer360Response viewed;
    cv1::CreateComplaintRequest complaint;
    cv1::CreateComplaintResponse recorded;
  };

  void Next() {
    if (stop_->load()) {
      running_->fetch_sub(1);
      return;
    }
    auto* call = new Call;
    Authorize(options_, credentials_, FullMethod(options_.method), &call->context);
    auto done = [this, call](grpc::Status status) { Done(call, status); };
    if (options_.method == "get") {
      call->get.set_account_id(RandomOrSeeded());
      stub_->async()->GetAccount(&call->context, &call->get, &call->got, done);
    } else if (options_.method == "list" || options_.method == "list-filtered") {
      call->list.set_page_size(50);
      if (options_.method == "list-filtered") {
        // Seeded: one account in 24 has this industry and region (about 4,200 of 100,000).
        call->list.set_industry("steel");
        call->list.set_region("East China");
      }
      stub_->async()->ListAccounts(&call->context, &call->list, &call->listed, done);
    } else if (options_.method == "summary") {
      call->summary.set_account_id(options_.group_id);
      v1::Period* year = call->summary.mutable_period();
      year->mutable_start_time()->set_seconds(1735689600);  // 2025-01-01
      year->mutable_end_time()->set_seconds(1767225600);    // 2026-01-01
      stub_->async()->GetGroupSummary(&call->context, &call->summary, &call->summarised, done);
    } else if (options_.method == "customer360") {
      call->view.set_account_id(RandomOrSeeded());
      gateway_->async()->GetCustomer360(&call->context, &call->view, &call->viewed, done);
    } else if (options_.method == "whoami") {
      gateway_->async()->WhoAmI(&call->context, &call->whoami, &call->who, done);
    } else if (options_.method == "complaint") {
      FillComplaint(key_prefix_ + std::to_string(++sequence_), account_id_, &call->complaint);
      complaints_->async()->CreateComplaint(&call->context, &call->complaint, &call->recorded,
                                            done);
    } else {
      const std::string key = key_prefix_ + std::to_string(++sequence_);
      FillCreate(key, &call->create);
      stub_->async()->CreateAccount(&call->context, &call->create, &call->created, done);
    }
  }

  int64_t RandomOrSeeded() {
    return options_.id_range > 0 ? 1 + static_cast<int64_t>(random_() % options_.id_range)
                                 : account_id_;
  }

  void Done(Call* call, const grpc::Status& status) {
    const std::chrono::duration<double, std::milli> took =
        std::chrono::steady_clock::now() - call->start;
    delete call;
    if (status.ok()) {
      latencies_ms_.push_back(took.count());
    } else {
      if (errors_ == 0) first_error_ = status.error_message();
      ++errors_;
    }
    Next();
  }

  v1::AccountService::Stub* stub_;
  kam::gateway::v1::GatewayService::Stub* gateway_;
  cv1::ComplaintService::Stub* complaints_;
  const Options& options_;
  const Credentials credentials_;
  int64_t account_id_;
  std::string key_prefix_;
  std::atomic<bool>* stop_;
  std::atomic<int>* running_;
  int64_t sequence_ = 0;
  std::mt19937_64 random_{std::hash<std::string>()(key_prefix_)};
  std::vector<double> latencies_ms_;
  int64_t errors_ = 0;
  std::string first_error_;
};

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
  app.add_option("--method", options.method,
                 "get | list | list-filtered | summary | create | complaint | whoami | "
                 "customer360 (the last two: gateway only)")
      ->check(CLI::IsMember({"get", "list", "list-filtered", "summary", "create", "complaint",
                             "whoami", "customer360"}));
  app.add_option("--roles", options.roles, "the callers' roles, comma-separated");
  app.add_option("--id-range", options.id_range,
                 "get, customer360: random ids in 1..N (0: one new account)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--group-id", options.group_id, "summary: the group account")
      ->check(CLI::PositiveNumber);
  std::string secret_file;
  app.add_option("--secret-file", secret_file, "JWT secret (gateway) or identity key (direct)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--callers", options.callers, "concurrent callers")->check(CLI::Range(1, 1024));
  app.add_option("--seconds", options.seconds, "duration")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  std::getline(std::ifstream(secret_file), options.secret);
  if (options.mode == "direct" && (options.method == "whoami" || options.method == "customer360")) {
    std::cerr << "kam_bench: --method " << options.method << " is a gateway method (--mode gateway)"
              << std::endl;
    return 2;
  }

  const std::string run = std::to_string(absl::ToUnixMicros(absl::Now()));
  auto new_channel = [&] {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(options.addr, grpc::InsecureChannelCredentials(), args);
  };
  auto new_stub = [&] { return v1::AccountService::NewStub(new_channel()); };
  const Credentials seeder = MakeCredentials(options, "bench-seeder");
  int64_t account_id = 0;
  if (grpc::Status s = Create(*new_stub(), options, seeder, run + "-seed", &account_id); !s.ok()) {
    std::cerr << "seed account: " << s.error_message() << std::endl;
    return 1;
  }
  if (options.method == "complaint") {
    auto stub = cv1::ComplaintService::NewStub(new_channel());
    if (grpc::Status s = WaitForReplica(*stub, options, seeder, run + "-first", account_id);
        !s.ok()) {
      std::cerr << "first complaint: " << s.error_message() << std::endl;
      return 1;
    }
  }

  // A few connections, as a handful of client processes would open; calls spread over them.
  constexpr int kChannels = 4;
  std::vector<std::unique_ptr<v1::AccountService::Stub>> stubs;
  std::vector<std::unique_ptr<kam::gateway::v1::GatewayService::Stub>> gateways;
  std::vector<std::unique_ptr<cv1::ComplaintService::Stub>> complaint_stubs;
  for (int i = 0; i < kChannels; ++i) {
    auto channel = new_channel();
    stubs.push_back(v1::AccountService::NewStub(channel));
    gateways.push_back(kam::gateway::v1::GatewayService::NewStub(channel));
    complaint_stubs.push_back(cv1::ComplaintService::NewStub(channel));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> running{options.callers};
  std::vector<std::unique_ptr<Caller>> callers;
  for (int i = 0; i < options.callers; ++i) {
    callers.push_back(
        std::make_unique<Caller>(stubs[i % kChannels].get(), gateways[i % kChannels].get(),
                                 complaint_stubs[i % kChannels].get(), options,
                                 MakeCredentials(options, "bench-" + std::to_string(i)), account_id,
                                 run + "-" + std::to_string(i) + "-", &stop, &running));
  }
  for (auto& caller : callers) caller->Start();
  std::this_thread::sleep_for(std::chrono::duration<double>(options.seconds));
  stop = true;
  while (running.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));

  std::vector<double> all;
  int64_t failed = 0;
  std::string first_error;
  for (const auto& caller : callers) {
    all.insert(all.end(), caller->latencies_ms().begin(), caller->latencies_ms().end());
    failed += caller->errors();
    if (first_error.empty()) first_error = caller->first_error();
  }
  std::sort(all.begin(), all.end());
  nlohmann::ordered_json result = {{"mode", options.mode},
                                   {"method", options.method},
                                   {"roles", options.roles},
                                   {"callers", options.callers},
                                   {"id_range", options.id_range},
                                   {"seconds", options.seconds},
                                   {"ok", all.size()},
                                   {"errors", failed},
                                   {"rps", all.size() / options.seconds},
                                   {"p50_ms", Percentile(all, 0.50)},
                                   {"p99_ms", Percentile(all, 0.99)},
                                   {"max_ms", all.empty() ? 0.0 : all.back()}};
  if (!first_error.empty()) result["first_error"] = first_error;
  std::cout << result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  return failed == 0 ? 0 : 1;
}
