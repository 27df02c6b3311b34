// The gateway's Forwarder in front of an upstream double of AccountService, both served
// in-process on loopback and called through real channels with real JWTs. The subject is
// the gateway: how it forwards server-streaming calls (WatchEvents) and still unary ones.
#include <gmock/gmock.h>
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "kam/gateway/v1/gateway.grpc.pb.h"
#include "services/common/call_observer.h"
#include "services/common/identity.h"
#include "services/common/jwt.h"
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
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kJwtSecret[] = "jwt-secret-for-gateway-stream-tests-0123456789";
constexpr char kIssuer[] = "kam-test";
constexpr char kAudience[] = "kam-gateway";
constexpr char kIdentityKey[] = "identity-key-for-gateway-stream-tests-012345";
constexpr char kWatchEvents[] = "/kam.accounts.v1.AccountService/WatchEvents";
constexpr char kGetAccount[] = "/kam.accounts.v1.AccountService/GetAccount";

// What the upstream double does and saw, shared between its reactors and the test thread.
struct Upstream : test_support::WatchedState {
  // The script of the next WatchEvents call: how many messages, how big, how it ends.
  int messages = 5;
  size_t padding = 0;
  grpc::Status end = grpc::Status::OK;
  bool follow = false;  // instead of ending, stay open until cancelled

  int calls = 0;
  std::vector<std::string> subjects;  // the verified identity of each call
  int written = 0;                    // WatchEvents messages its transport took
  bool cancelled = false;
  system_clock::time_point deadline;
  // The subject of the gateway-signed identity, or "" when it does not verify.
  void RecordCall(const grpc::CallbackServerContext& context, const std::string& method) {
    auto header = [&](const char* name) {
      auto it = context.client_metadata().find(name);
      return it == context.client_metadata().end()
                 ? std::string()
                 : std::string(it->second.data(), it->second.size());
    };
    absl::StatusOr<Principal> principal =
        VerifyIdentity({header(kIdentityHeader), header(kIdentitySignatureHeader)}, method,
                       kIdentityKey, absl::Now());
    Record([&] {
      ++calls;
      subjects.push_back(principal.ok() ? principal->subject : "");
      deadline = context.deadline();
    });
  }
};

// Streams the scripted messages, each write after the previous one completed (as a real
// server does), then the scripted status, or, when following, stays open with nothing to
// send (a watch with no new events) until cancelled.
class ScriptedStream final : public grpc::ServerWriteReactor<v1::WatchEventsResponse> {
 public:
  explicit ScriptedStream(Upstream* upstream) : upstream_(*upstream) { WriteNext(); }

  void OnWriteDone(bool ok) override {
    if (!ok) return Finish(grpc::Status::CANCELLED);
    upstream_.Record([&] { ++upstream_.written; });
    WriteNext();
  }
  void OnCancel() override {
    upstream_.Record([&] { upstream_.cancelled = true; });
    if (Idle(/*cancelled=*/true)) Finish(grpc::Status::CANCELLED);
  }
  void OnDone() override { delete this; }

 private:
  void WriteNext() {
    if (sent_ == upstream_.messages) {
      if (!upstream_.follow) return Finish(upstream_.end);
      if (Idle(/*cancelled=*/false)) Finish(grpc::Status::CANCELLED);
      return;
    }
    ++sent_;
    response_.Clear();
    response_.set_head_sequence(sent_);
    response_.add_events()->set_aggregate_id(std::string(upstream_.padding, 'x'));
    StartWrite(&response_);
  }

  // Records that the stream is idle or cancelled; true once it is both (finish then).
  bool Idle(bool cancelled) {
    std::lock_guard<std::mutex> lock(mutex_);
    (cancelled ? cancelled_ : idle_) = true;
    return cancelled_ && idle_;
  }

  Upstream& upstream_;
  int sent_ = 0;
  v1::WatchEventsResponse response_;
  std::mutex mutex_;
  bool idle_ = false;
  bool cancelled_ = false;
};

class UpstreamAccounts final : public v1::AccountService::CallbackService {
 public:
  explicit UpstreamAccounts(Upstream* upstream) : upstream_(*upstream) {}

  grpc::ServerWriteReactor<v1::WatchEventsResponse>* WatchEvents(
      grpc::CallbackServerContext* context, const v1::WatchEventsRequest* /*request*/) override {
    upstream_.RecordCall(*context, kWatchEvents);
    return new ScriptedStream(&upstream_);
  }

  grpc::ServerUnaryReactor* GetAccount(grpc::CallbackServerContext* context,
                                       const v1::GetAccountRequest* request,
                                       v1::GetAccountResponse* response) override {
    upstream_.RecordCall(*context, kGetAccount);
    response->mutable_account()->set_id(request->account_id());
    response->mutable_account()->set_name("Acme");
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  Upstream& upstream_;
};

// A service with a bidi method, as if one were ever routed through the gateway.
const google::protobuf::ServiceDescriptor* BidiService(google::protobuf::DescriptorPool* pool) {
  google::protobuf::FileDescriptorProto file;
  file.set_name("kam/test/chat.proto");
  file.set_package("kam.test");
  file.add_message_type()->set_name("Chunk");
  google::protobuf::MethodDescriptorProto* chat = file.add_service()->add_method();
  file.mutable_service(0)->set_name("ChatService");
  chat->set_name("Chat");
  chat->set_input_type(".kam.test.Chunk");
  chat->set_output_type(".kam.test.Chunk");
  chat->set_client_streaming(true);
  chat->set_server_streaming(true);
  return pool->BuildFile(file)->service(0);
}

std::unique_ptr<grpc::Server> Serve(const std::function<void(grpc::ServerBuilder&)>& add,
                                    int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), port);
  add(builder);
  return builder.BuildAndStart();
}

::testing::Environment* const kCallbackQueueKeeper =
    ::testing::AddGlobalTestEnvironment(new test_support::CallbackQueueKeeper);

class GatewayStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int upstream_port = 0;
    upstream_server_ =
        Serve([&](grpc::ServerBuilder& b) { b.RegisterService(&accounts_); }, &upstream_port);
    ASSERT_NE(upstream_port, 0);

    const auto* pool = google::protobuf::DescriptorPool::generated_pool();
    const auto* accounts = pool->FindServiceByName(v1::AccountService::service_full_name());
    const auto* gateway =
        pool->FindServiceByName(kam::gateway::v1::GatewayService::service_full_name());
    ASSERT_NE(accounts, nullptr);
    ASSERT_NE(gateway, nullptr);
    metrics_.PreCreate(*accounts);
    // The built-in policy covers every service the gateway serves, complaints and analytics
    // included.
    const auto* complaints =
        pool->FindServiceByName(kam::complaints::v1::ComplaintService::service_full_name());
    const auto* analytics =
        pool->FindServiceByName(kam::analytics::v1::AnalyticsService::service_full_name());
    ASSERT_NE(complaints, nullptr);
    ASSERT_NE(analytics, nullptr);
    absl::StatusOr<Policy> policy = Policy::Load("", {accounts, complaints, analytics, gateway});
    ASSERT_TRUE(policy.ok()) << policy.status();
    policy_ = *std::move(policy);
    AuthOptions auth;
    auth.verifier = {kJwtSecret, kIssuer, kAudience, absl::Seconds(30), 8192};
    absl::StatusOr<std::unique_ptr<Authenticator>> authenticator =
        Authenticator::Create(auth, nullptr);
    ASSERT_TRUE(authenticator.ok()) << authenticator.status();
    authenticator_ = *std::move(authenticator);
    admission_ = std::make_unique<Admission>(authenticator_.get(), &policy_, &rate_limiter_);
    ForwarderOptions options;
    options.identity_key = kIdentityKey;
    forwarder_ =
        std::make_unique<Forwarder>(options, admission_.get(), &metrics_, &client_metrics_);
    if (UpstreamInProcess()) {
      forwarder_->AddRoute(*accounts, upstream_server_->InProcessChannel({}));
    } else {
      forwarder_->AddRoute(
          *accounts, CreateUpstreamChannel(*accounts, absl::StrCat("127.0.0.1:", upstream_port),
                                           UpstreamOptions()));
    }
    // Routed to a closed port: were it forwarded, the caller would see UNAVAILABLE.
    const auto* bidi = BidiService(&test_pool_);
    forwarder_->AddRoute(*bidi, CreateUpstreamChannel(*bidi, "127.0.0.1:1", UpstreamOptions()));
    gateway_ = Serve(
        [&](grpc::ServerBuilder& b) {
          queues_.Add(forwarder_.get());
          queues_.Register(b);
        },
        &gateway_port_);
    ASSERT_NE(gateway_port_, 0);
    queues_.Start();
    stub_ = Stub(grpc::ChannelArguments());
  }

  virtual bool UpstreamInProcess() const { return false; }

  std::unique_ptr<v1::AccountService::Stub> Stub(const grpc::ChannelArguments& args) const {
    return v1::AccountService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", gateway_port_), grpc::InsecureChannelCredentials(), args));
  }

  void TearDown() override {
    gateway_->Shutdown(system_clock::now() + milliseconds(500));
    queues_.Stop();  // after the server: gRPC requires it
    upstream_server_->Shutdown(system_clock::now() + milliseconds(500));
  }

  // A context carrying a fresh token for `subject` with `roles`.
  static void Authorize(grpc::ClientContext* context, const std::string& subject,
                        const std::vector<std::string>& roles) {
    const std::string token = MintJwt(
        {subject, roles, ""}, {kJwtSecret, kIssuer, kAudience, absl::Now(), absl::Hours(1)});
    context->AddMetadata("authorization", "Bearer " + token);
  }

  std::unique_ptr<grpc::ClientReader<v1::WatchEventsResponse>> Watch(
      grpc::ClientContext* context, const std::vector<std::string>& roles = {"system"}) {
    Authorize(context, "erp-feed", roles);
    return stub_->WatchEvents(context, v1::WatchEventsRequest());
  }

  // Reads until the stream ends; the head_sequence of each message.
  static std::vector<int64_t> ReadAll(grpc::ClientReader<v1::WatchEventsResponse>* reader) {
    std::vector<int64_t> sequences;
    v1::WatchEventsResponse response;
    while (reader->Read(&response)) sequences.push_back(response.head_sequence());
    return sequences;
  }

  double Handled(const std::string& type, const std::string& method, const std::string& code) {
    for (const prometheus::MetricFamily& family : registry_.Collect()) {
      if (family.name != "grpc_server_handled_total") continue;
      for (const prometheus::ClientMetric& metric : family.metric) {
        std::map<std::string, std::string> labels;
        for (const auto& label : metric.label) labels[label.name] = label.value;
        if (labels["grpc_type"] == type && labels["grpc_method"] == method &&
            labels["grpc_code"] == code) {
          return metric.counter.value;
        }
      }
    }
    return -1;
  }

  google::protobuf::DescriptorPool test_pool_;
  Upstream upstream_;
  UpstreamAccounts accounts_{&upstream_};
  std::unique_ptr<grpc::Server> upstream_server_;
  prometheus::Registry registry_;
  GrpcServerMetrics metrics_{registry_};
  GrpcClientMetrics client_metrics_{registry_, GrpcSide::kClient};
  Policy policy_;
  RateLimiter rate_limiter_{RateLimits(), nullptr};
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<Admission> admission_;
  std::unique_ptr<Forwarder> forwarder_;
  std::unique_ptr<grpc::Server> gateway_;
  ServingQueues queues_;  // the forwarder's, as ServerRunner has them
  int gateway_port_ = 0;
  std::unique_ptr<v1::AccountService::Stub> stub_;
};

TEST_F(GatewayStreamTest, RelaysEveryMessageInOrderWithTheVerifiedIdentity) {
  upstream_.messages = 50;
  grpc::ClientContext context;
  auto reader = Watch(&context);

  std::vector<int64_t> expected;
  for (int i = 1; i <= 50; ++i) expected.push_back(i);
  EXPECT_EQ(ReadAll(reader.get()), expected);
  grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(upstream_.subjects, std::vector<std::string>{"erp-feed"});
  EXPECT_EQ(Handled("server_stream", "WatchEvents", "OK"), 1);
}

TEST_F(GatewayStreamTest, StreamWithoutCallerDeadlineGetsTheStreamCapNotTheUnaryDefault) {
  grpc::ClientContext context;
  auto reader = Watch(&context);
  ReadAll(reader.get());
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_GT(upstream_.deadline, system_clock::now() + std::chrono::hours(23));
  EXPECT_LT(upstream_.deadline, system_clock::now() + std::chrono::hours(25));
}

TEST_F(GatewayStreamTest, CallerWithoutSystemOrAdminRoleIsDenied) {
  grpc::ClientContext context;
  auto reader = Watch(&context, {"analyst", "director"});
  EXPECT_THAT(ReadAll(reader.get()), ::testing::IsEmpty());
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(upstream_.calls, 0);
}

TEST_F(GatewayStreamTest, AdminMayWatch) {
  upstream_.messages = 1;
  grpc::ClientContext context;
  auto reader = Watch(&context, {"admin"});
  EXPECT_EQ(ReadAll(reader.get()).size(), 1u);
  EXPECT_TRUE(reader->Finish().ok());
}

TEST_F(GatewayStreamTest, UpstreamFailureEndsTheStreamSanitised) {
  upstream_.messages = 3;
  upstream_.end = grpc::Status(grpc::StatusCode::INTERNAL, "mysql at 10.1.2.3:3306 gone");
  grpc::ClientContext context;
  auto reader = Watch(&context);

  EXPECT_EQ(ReadAll(reader.get()).size(), 3u);
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(status.error_message(), Not(HasSubstr("10.1.2.3")));
}

TEST_F(GatewayStreamTest, UpstreamBusinessErrorPassesUnchanged) {
  upstream_.messages = 0;
  upstream_.end = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "after_sequence: negative");
  grpc::ClientContext context;
  auto reader = Watch(&context);

  EXPECT_THAT(ReadAll(reader.get()), ::testing::IsEmpty());
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "after_sequence: negative");
}

TEST_F(GatewayStreamTest, CallerCancellationCancelsTheUpstreamPromptly) {
  upstream_.messages = 3;
  upstream_.follow = true;  // then waits for new events, sending nothing
  grpc::ClientContext context;
  auto reader = Watch(&context);
  v1::WatchEventsResponse response;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(reader->Read(&response));

  context.TryCancel();
  EXPECT_TRUE(upstream_.WaitFor([&] { return upstream_.cancelled; }, milliseconds(1000)));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

// The upstream hop is in-process (a message moves only when the receiver reads it) and the
// caller's HTTP/2 window is fixed (no BDP growth) and smaller than a message, so the
// transports buffer next to nothing and what runs ahead of the caller is the gateway's doing.
class GatewayPacingTest : public GatewayStreamTest {
 protected:
  bool UpstreamInProcess() const override { return true; }
};

TEST_F(GatewayPacingTest, SlowCallerPacesTheUpstream) {
  constexpr int kMessages = 40;
  upstream_.messages = kMessages;
  upstream_.padding = 256 << 10;  // above the caller's 64 KiB window
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 << 10);
  stub_ = Stub(args);
  grpc::ClientContext context;
  auto reader = Watch(&context);
  v1::WatchEventsResponse response;

  int max_ahead = 0;
  for (int read = 1; read <= 5; ++read) {
    ASSERT_TRUE(reader->Read(&response));
    ASSERT_EQ(response.head_sequence(), read);
    // Give the upstream time to run as far ahead as the gateway lets it.
    std::this_thread::sleep_for(milliseconds(200));
    std::lock_guard<std::mutex> lock(upstream_.mutex);
    max_ahead = std::max(max_ahead, upstream_.written - read);
  }
  EXPECT_LE(max_ahead, 2);
  EXPECT_EQ(ReadAll(reader.get()).size(), static_cast<size_t>(kMessages - 5));
  EXPECT_TRUE(reader->Finish().ok());
}

TEST_F(GatewayStreamTest, ShutdownEndsOpenStreamsWithinTheGracePeriod) {
  upstream_.messages = 1;
  upstream_.follow = true;
  grpc::ClientContext context;
  auto reader = Watch(&context);
  v1::WatchEventsResponse response;
  ASSERT_TRUE(reader->Read(&response));

  const auto start = steady_clock::now();
  gateway_->Shutdown(system_clock::now() + milliseconds(200));
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000));
  ReadAll(reader.get());
  EXPECT_FALSE(reader->Finish().ok());
  EXPECT_TRUE(upstream_.WaitFor([&] { return upstream_.cancelled; }, milliseconds(1000)));
}

TEST_F(GatewayStreamTest, BidiMethodsAreRefusedIfEverRouted) {
  grpc::GenericStub stub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", gateway_port_),
                                             grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  Authorize(&context, "ada", {"admin"});
  grpc::Slice empty_message("");
  grpc::ByteBuffer request(&empty_message, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/kam.test.ChatService/Chat", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status status) { done.set_value(std::move(status)); });

  EXPECT_EQ(done.get_future().get().error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(GatewayStreamTest, UnaryCallsStillForward) {
  grpc::ClientContext context;
  Authorize(&context, "ada", {"admin"});
  v1::GetAccountRequest request;
  request.set_account_id(42);
  v1::GetAccountResponse response;

  grpc::Status status = stub_->GetAccount(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.account().id(), 42);
  EXPECT_EQ(response.account().name(), "Acme");
  EXPECT_EQ(upstream_.subjects, std::vector<std::string>{"ada"});
  EXPECT_LT(upstream_.deadline, system_clock::now() + std::chrono::seconds(11));
  EXPECT_EQ(Handled("unary", "GetAccount", "OK"), 1);
}

}  // namespace
}  // namespace kam::gateway
