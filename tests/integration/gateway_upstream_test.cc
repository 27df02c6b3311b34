// The gateway's limits and resilience: a Forwarder, with the real upstream channel
// (CreateUpstreamChannel), in front of two replicas of an AccountService double, all on
// loopback and called through real channels with real JWTs. The subject is what a caller
// and a service notice: reads retried on UNAVAILABLE, writes never, retries throttled,
// replicas balanced, deadlines and cancellation passed on, message sizes and rate limits
// enforced, client-side metrics counted per call.
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "kam/gateway/v1/gateway.grpc.pb.h"
#include "services/common/call_observer.h"
#include "services/common/jwt.h"
#include "services/common/server_runner.h"
#include "services/gateway/forwarder.h"
#include "services/gateway/policy.h"
#include "services/gateway/upstream.h"
#include "tests/support/callback_queue_keeper.h"
#include "tests/support/test_helpers.h"

namespace kam::gateway {
namespace {

namespace v1 = kam::accounts::v1;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
using std::chrono::system_clock;

constexpr char kJwtSecret[] = "jwt-secret-for-gateway-upstream-tests-0123456";
constexpr char kIssuer[] = "kam-test";
constexpr char kAudience[] = "kam-gateway";
constexpr char kIdentityKey[] = "identity-key-for-gateway-upstream-tests-0123";
constexpr char kAccountService[] = "kam.accounts.v1.AccountService";
// What the gateway accepts from callers, and from or to the services.
constexpr int kGatewayMessageCap = 64 << 10;
constexpr int kUpstreamMessageCap = 128 << 10;
// GetAccount of this id answers with more than the gateway takes from a service.
constexpr int64_t kHugeAccount = 999;

// What the replicas do and saw, shared by both and the test thread.
struct Backend : test_support::WatchedState {
  int failing_reads = 0;   // the next this many GetAccount attempts are UNAVAILABLE; < 0: all
  int failing_writes = 0;  // the same for CreateAccount
  bool hang = false;       // GetAccount answers only when cancelled
  int read_attempts = 0;
  int write_attempts = 0;
  std::map<std::string, int> reads_by_replica;
  system_clock::time_point deadline;  // of the last GetAccount attempt
  bool cancelled = false;
  // Whether this attempt fails, consuming one scripted failure.
  static bool TakeFailure(int& failures) {
    if (failures == 0) return false;
    if (failures > 0) --failures;
    return true;
  }
};

// A call that never answers on its own, as a service stuck on a slow query: it ends when the
// gateway cancels it (the caller left or the deadline passed).
class HangingCall final : public grpc::ServerUnaryReactor {
 public:
  explicit HangingCall(Backend* backend) : backend_(*backend) {}
  void OnCancel() override {
    backend_.Record([&] { backend_.cancelled = true; });
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  }
  void OnDone() override { delete this; }

 private:
  Backend& backend_;
};

class Replica final : public v1::AccountService::CallbackService {
 public:
  Replica(Backend* backend, std::string name) : backend_(*backend), name_(std::move(name)) {}

  grpc::ServerUnaryReactor* GetAccount(grpc::CallbackServerContext* context,
                                       const v1::GetAccountRequest* request,
                                       v1::GetAccountResponse* response) override {
    bool fail = false;
    bool hang = false;
    backend_.Record([&] {
      ++backend_.read_attempts;
      ++backend_.reads_by_replica[name_];
      backend_.deadline = context->deadline();
      fail = Backend::TakeFailure(backend_.failing_reads);
      hang = backend_.hang;
    });
    if (hang) return new HangingCall(&backend_);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (fail) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "replica restarting"));
      return reactor;
    }
    response->mutable_account()->set_id(request->account_id());
    response->mutable_account()->set_name(
        request->account_id() == kHugeAccount ? std::string(kUpstreamMessageCap, 'x') : name_);
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* CreateAccount(grpc::CallbackServerContext* context,
                                          const v1::CreateAccountRequest* request,
                                          v1::CreateAccountResponse* response) override {
    bool fail = false;
    backend_.Record([&] {
      ++backend_.write_attempts;
      fail = Backend::TakeFailure(backend_.failing_writes);
    });
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (fail) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "replica restarting"));
      return reactor;
    }
    *response->mutable_account() = request->account();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  Backend& backend_;
  const std::string name_;
};

::testing::Environment* const kCallbackQueueKeeper =
    ::testing::AddGlobalTestEnvironment(new test_support::CallbackQueueKeeper);

std::unique_ptr<grpc::Server> Serve(grpc::Service* service, int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), port);
  builder.RegisterService(service);
  return builder.BuildAndStart();
}

class GatewayUpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int port_a = 0;
    int port_b = 0;
    replica_a_server_ = Serve(&replica_a_, &port_a);
    replica_b_server_ = Serve(&replica_b_, &port_b);
    ASSERT_NE(port_a, 0);
    ASSERT_NE(port_b, 0);

    const auto* pool = google::protobuf::DescriptorPool::generated_pool();
    const auto* accounts = pool->FindServiceByName(kAccountService);
    ASSERT_NE(accounts, nullptr);
    absl::StatusOr<Policy> policy = Policy::Load(
        "", {accounts,
             pool->FindServiceByName(kam::complaints::v1::ComplaintService::service_full_name()),
             pool->FindServiceByName(kam::analytics::v1::AnalyticsService::service_full_name()),
             pool->FindServiceByName(kam::gateway::v1::GatewayService::service_full_name())});
    ASSERT_TRUE(policy.ok()) << policy.status();
    policy_ = *std::move(policy);
    AuthOptions auth;
    auth.verifier = {kJwtSecret, kIssuer, kAudience, absl::Seconds(30), 8192};
    absl::StatusOr<std::unique_ptr<Authenticator>> authenticator =
        Authenticator::Create(auth, nullptr);
    ASSERT_TRUE(authenticator.ok()) << authenticator.status();
    authenticator_ = *std::move(authenticator);
    admission_ = std::make_unique<Admission>(authenticator_.get(), &policy_, &rate_limiter_);
    server_metrics_.PreCreate(*accounts);
    client_metrics_.PreCreate(*accounts);
    ForwarderOptions options;
    options.identity_key = kIdentityKey;
    forwarder_ =
        std::make_unique<Forwarder>(options, admission_.get(), &server_metrics_, &client_metrics_);
    UpstreamOptions upstream;
    upstream.max_message_bytes = kUpstreamMessageCap;
    // Both replicas behind one channel, as DNS would list a headless service's pods.
    forwarder_->AddRoute(
        *accounts,
        CreateUpstreamChannel(
            *accounts, absl::StrCat("ipv4:127.0.0.1:", port_a, ",127.0.0.1:", port_b), upstream));

    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &gateway_port_);
    ServerSettings settings;
    settings.max_message_bytes = kGatewayMessageCap;
    ApplyServerLimits(builder, settings);  // as ServerRunner does
    queues_.Add(forwarder_.get());
    queues_.Register(builder);
    gateway_ = builder.BuildAndStart();
    ASSERT_NE(gateway_port_, 0);
    queues_.Start();
    stub_ = v1::AccountService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", gateway_port_), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    gateway_->Shutdown(system_clock::now() + milliseconds(500));
    queues_.Stop();  // after the server: gRPC requires it
    replica_a_server_->Shutdown(system_clock::now() + milliseconds(500));
    replica_b_server_->Shutdown(system_clock::now() + milliseconds(500));
  }

  static void Authorize(grpc::ClientContext* context, const std::string& subject,
                        const std::vector<std::string>& roles) {
    const std::string token = MintJwt(
        {subject, roles, ""}, {kJwtSecret, kIssuer, kAudience, absl::Now(), absl::Hours(1)});
    context->AddMetadata("authorization", "Bearer " + token);
  }

  grpc::Status GetAccount(int64_t id, const std::string& subject = "erp-feed",
                          const std::vector<std::string>& roles = {"system"},
                          v1::GetAccountResponse* response = nullptr) {
    grpc::ClientContext context;
    Authorize(&context, subject, roles);
    v1::GetAccountRequest request;
    request.set_account_id(id);
    v1::GetAccountResponse ignored;
    return stub_->GetAccount(&context, request, response ? response : &ignored);
  }

  grpc::Status CreateAccount(const std::string& name) {
    grpc::ClientContext context;
    Authorize(&context, "erp-feed", {"system"});
    v1::CreateAccountRequest request;
    request.set_request_id("req-1");
    request.mutable_account()->set_name(name);
    v1::CreateAccountResponse response;
    return stub_->CreateAccount(&context, request, &response);
  }

  int ReadAttempts() {
    std::lock_guard<std::mutex> lock(backend_.mutex);
    return backend_.read_attempts;
  }

  // A sample of `family` with these labels, or -1 when there is none.
  double Sample(const std::string& family_name, const std::map<std::string, std::string>& want) {
    for (const prometheus::MetricFamily& family : registry_.Collect()) {
      if (family.name != family_name) continue;
      for (const prometheus::ClientMetric& metric : family.metric) {
        std::map<std::string, std::string> labels;
        for (const auto& label : metric.label) labels[label.name] = label.value;
        if (labels != want) continue;
        return family.type == prometheus::MetricType::Histogram
                   ? static_cast<double>(metric.histogram.sample_count)
                   : metric.counter.value;
      }
    }
    return -1;
  }
  double ClientHandled(const std::string& method, const std::string& code) {
    return Sample("grpc_client_handled_total", {{"grpc_type", "unary"},
                                                {"grpc_service", kAccountService},
                                                {"grpc_method", method},
                                                {"grpc_code", code}});
  }

  Backend backend_;
  Replica replica_a_{&backend_, "replica-a"};
  Replica replica_b_{&backend_, "replica-b"};
  std::unique_ptr<grpc::Server> replica_a_server_;
  std::unique_ptr<grpc::Server> replica_b_server_;
  prometheus::Registry registry_;
  GrpcServerMetrics server_metrics_{registry_};
  GrpcClientMetrics client_metrics_{registry_, GrpcSide::kClient};
  Policy policy_;
  // Analysts get two calls and then next to nothing; system callers are not limited here.
  RateLimiter rate_limiter_{RateLimits{{"analyst", {0.001, 2}}}, &registry_};
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<Admission> admission_;
  std::unique_ptr<Forwarder> forwarder_;
  std::unique_ptr<grpc::Server> gateway_;
  ServingQueues queues_;  // the forwarder's, as ServerRunner has them
  int gateway_port_ = 0;
  std::unique_ptr<v1::AccountService::Stub> stub_;
};

TEST_F(GatewayUpstreamTest, ReadAnsweredUnavailableOnceIsRetriedAndSucceeds) {
  backend_.failing_reads = 1;
  v1::GetAccountResponse response;
  const grpc::Status status = GetAccount(7, "erp-feed", {"system"}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.account().id(), 7);
  EXPECT_EQ(ReadAttempts(), 2);
  // One call for the metrics, whatever the attempts.
  EXPECT_EQ(ClientHandled("GetAccount", "OK"), 1);
  EXPECT_EQ(ClientHandled("GetAccount", "Unavailable"), 0);
}

TEST_F(GatewayUpstreamTest, ReadThatKeepsFailingIsTriedThreeTimesThenUnavailable) {
  backend_.failing_reads = -1;
  const grpc::Status status = GetAccount(7);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "service unavailable, safe to retry");
  EXPECT_EQ(ReadAttempts(), 3);
}

TEST_F(GatewayUpstreamTest, WriteAnsweredUnavailableIsTriedExactlyOnce) {
  backend_.failing_writes = 1;
  EXPECT_EQ(CreateAccount("Acme").error_code(), grpc::StatusCode::UNAVAILABLE);
  std::lock_guard<std::mutex> lock(backend_.mutex);
  EXPECT_EQ(backend_.write_attempts, 1);
}

TEST_F(GatewayUpstreamTest, ThrottlingStopsRetriesWhileTheServiceKeepsFailing) {
  backend_.failing_reads = -1;
  std::vector<int> attempts;
  for (int call = 0; call < 10; ++call) {
    const int before = ReadAttempts();
    EXPECT_EQ(GetAccount(7).error_code(), grpc::StatusCode::UNAVAILABLE);
    attempts.push_back(ReadAttempts() - before);
  }
  EXPECT_EQ(attempts.front(), 3);
  // Once the throttle's tokens are spent, each call is tried once: no load multiplication.
  EXPECT_THAT(std::vector<int>(attempts.begin() + 5, attempts.end()), ::testing::Each(1));
}

TEST_F(GatewayUpstreamTest, BothReplicasReceiveCalls) {
  for (int call = 0; call < 200; ++call) {
    ASSERT_TRUE(GetAccount(7).ok());
    std::lock_guard<std::mutex> lock(backend_.mutex);
    if (backend_.reads_by_replica.size() == 2 && call >= 20) break;
  }
  std::lock_guard<std::mutex> lock(backend_.mutex);
  EXPECT_GT(backend_.reads_by_replica["replica-a"], 0);
  EXPECT_GT(backend_.reads_by_replica["replica-b"], 0);
}

TEST_F(GatewayUpstreamTest, ClientMetricsCountEachBackendMethodWithItsCode) {
  for (int call = 0; call < 3; ++call) ASSERT_TRUE(GetAccount(7).ok());
  backend_.failing_writes = 1;
  ASSERT_FALSE(CreateAccount("Acme").ok());
  EXPECT_EQ(ClientHandled("GetAccount", "OK"), 3);
  EXPECT_EQ(ClientHandled("CreateAccount", "Unavailable"), 1);
  EXPECT_EQ(ClientHandled("CreateAccount", "OK"), 0);
  EXPECT_EQ(Sample("grpc_client_handling_seconds", {{"grpc_type", "unary"},
                                                    {"grpc_service", kAccountService},
                                                    {"grpc_method", "GetAccount"}}),
            3);
}

TEST_F(GatewayUpstreamTest, CallerDeadlineReachesTheServiceAndEndsTheCallOnTime) {
  backend_.hang = true;
  grpc::ClientContext context;
  Authorize(&context, "erp-feed", {"system"});
  const system_clock::time_point deadline = system_clock::now() + milliseconds(300);
  context.set_deadline(deadline);
  v1::GetAccountRequest request;
  v1::GetAccountResponse response;
  const steady_clock::time_point start = steady_clock::now();
  const grpc::Status status = stub_->GetAccount(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000));
  // The service saw the caller's deadline (not the gateway's 10 s default) and was cancelled
  // when it passed, so it stops working on an answer nobody waits for.
  EXPECT_TRUE(backend_.WaitFor([&] { return backend_.cancelled; }));
  std::lock_guard<std::mutex> lock(backend_.mutex);
  EXPECT_LT(backend_.deadline, deadline + milliseconds(100));
  EXPECT_GT(backend_.deadline, deadline - milliseconds(100));
}

TEST_F(GatewayUpstreamTest, CallerCancellationCancelsTheServiceCall) {
  backend_.hang = true;
  grpc::ClientContext context;
  Authorize(&context, "erp-feed", {"system"});
  v1::GetAccountRequest request;
  v1::GetAccountResponse response;
  std::promise<grpc::Status> done;
  stub_->async()->GetAccount(&context, &request, &response,
                             [&done](grpc::Status status) { done.set_value(std::move(status)); });
  ASSERT_TRUE(backend_.WaitFor([&] { return backend_.read_attempts == 1; }));
  context.TryCancel();
  EXPECT_TRUE(backend_.WaitFor([&] { return backend_.cancelled; }, milliseconds(1000)));
  EXPECT_EQ(done.get_future().get().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(GatewayUpstreamTest, OversizedRequestIsRefusedBeforeReachingTheService) {
  const grpc::Status status = CreateAccount(std::string(kGatewayMessageCap + 1, 'x'));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(CreateAccount("Acme").ok());  // a normal one still passes
  std::lock_guard<std::mutex> lock(backend_.mutex);
  EXPECT_EQ(backend_.write_attempts, 1);
}

// Not a protobuf encoding (a length prefix past the end): without the gateway's check the
// service's gRPC handler would answer UNIMPLEMENTED, as if the method did not exist.
TEST_F(GatewayUpstreamTest, UnparsableRequestIsInvalidArgumentAndNeverReachesTheService) {
  grpc::GenericStub generic(grpc::CreateChannel(absl::StrCat("127.0.0.1:", gateway_port_),
                                                grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  Authorize(&context, "erp-feed", {"system"});
  const std::string truncated = "\x0a\x7f" "abc";  // field 1, 127 bytes announced, 3 sent
  grpc::Slice slice(truncated);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&context, absl::StrCat("/", kAccountService, "/CreateAccount"),
                    grpc::StubOptions(), &request, &response,
                    [&done](grpc::Status status) { done.set_value(std::move(status)); });
  const grpc::Status status = done.get_future().get();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "request is not a valid kam.accounts.v1.CreateAccountRequest message");
  EXPECT_TRUE(CreateAccount("Acme").ok());  // a valid one still passes
  std::lock_guard<std::mutex> lock(backend_.mutex);
  EXPECT_EQ(backend_.write_attempts, 1);
}

TEST_F(GatewayUpstreamTest, OversizedResponseFromAServiceIsResourceExhausted) {
  EXPECT_EQ(GetAccount(kHugeAccount).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ReadAttempts(), 1);  // not retried
  EXPECT_TRUE(GetAccount(7).ok());
}

TEST_F(GatewayUpstreamTest, RateLimitRefusesAfterTheBurstAndCountsTheRefusal) {
  EXPECT_EQ(Sample("kam_gateway_rate_limited_total", {{"role", "analyst"}}), 0);
  EXPECT_TRUE(GetAccount(7, "ann", {"analyst"}).ok());
  EXPECT_TRUE(GetAccount(7, "ann", {"analyst"}).ok());
  const grpc::Status refused = GetAccount(7, "ann", {"analyst"});
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(refused.error_message(), "rate limit exceeded, retry later");
  EXPECT_EQ(ReadAttempts(), 2);  // the refused call never reached the service
  EXPECT_EQ(Sample("kam_gateway_rate_limited_total", {{"role", "analyst"}}), 1);
  // Another caller of the same role has their own bucket.
  EXPECT_TRUE(GetAccount(7, "bob", {"analyst"}).ok());
}

}  // namespace
}  // namespace kam::gateway
