#include "tests/fuzz/service_harness.h"

#include <arpa/inet.h>
#include <google/protobuf/message.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <vector>

#include "absl/time/clock.h"
#include "services/common/identity.h"
#include "tests/fuzz/fuzz_support.h"

namespace kam::fuzz {
namespace {

constexpr char kIdentityKey[] = "fuzz-identity-key-of-at-least-32-bytes";

// Every role, a department for the handler, and a caller with no role at all.
const std::vector<Principal>& Callers() {
  static const auto* callers = new std::vector<Principal>{
      {"ops-admin", {"admin"}, ""},
      {"dir-zhao", {"director"}, ""},
      {"mgr-li", {"account_manager"}, ""},
      {"agent-wu", {"service_agent"}, ""},
      {"hd-qiu", {"handler"}, "quality"},
      {"analyst-qian", {"analyst"}, ""},
      {"svc-analytics", {"system"}, ""},
      {"nobody", {}, ""},
  };
  return *callers;
}

// A loopback port that refuses connections for as long as `fd` stays open: bound, never
// listening, so no other process can take it.
int RefusingPort(int* fd) {
  *fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (*fd < 0 || bind(*fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      getsockname(*fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    Fail("cannot reserve a refusing port");
  }
  return ntohs(address.sin_port);
}

bool Parses(const google::protobuf::MethodDescriptor& method, std::string_view bytes) {
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(method.input_type());
  std::unique_ptr<google::protobuf::Message> request(prototype->New());
  return request->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

void CheckOutcome(const grpc::Status& status, bool parses, const std::string& method) {
  const grpc::StatusCode code = status.error_code();
  const bool internal_allowed = !parses;  // gRPC's own answer to bytes that do not parse
  if (code == grpc::StatusCode::UNKNOWN || code == grpc::StatusCode::DATA_LOSS ||
      (code == grpc::StatusCode::INTERNAL && !internal_allowed)) {
    Fail(method + " answered " + std::to_string(code) + ": " + status.error_message());
  }
  // Bytes that do not parse get gRPC's own UNIMPLEMENTED without a message (RELIABILITY.md,
  // hostile input); every refusal of a parsed request must say why.
  if (code != grpc::StatusCode::OK && status.error_message().empty() && parses) {
    Fail(method + " refused without a message");
  }
}

const google::protobuf::ServiceDescriptor& FindService(const std::string& full_name) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(full_name);
  if (service == nullptr) Fail("no service " + full_name);
  return *service;
}

}  // namespace

ServiceHarness::ServiceHarness(const std::string& service_full_name)
    : service_(FindService(service_full_name)) {
  QuietLogs();
  DbSettings db;
  refusing_port_ = RefusingPort(&refusing_socket_);
  db.port = refusing_port_;
  db.user = "fuzz";
  db.name = "fuzz";
  db.pool_wait = absl::Milliseconds(100);
  db.io_timeout = absl::Seconds(1);
  pool_ = std::make_unique<DbPool>(db, &registry_);
  metrics_ = std::make_unique<GrpcServerMetrics>(registry_);
  metrics_->PreCreate(service_);
  workers_ = std::make_unique<WorkerPool>(2, 100);
  handler_ = std::make_unique<CallHandler>(kIdentityKey, workers_.get(), metrics_.get());
}

ServiceHarness::~ServiceHarness() {
  if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  workers_.reset();
  if (refusing_socket_ >= 0) close(refusing_socket_);
}

std::string ServiceHarness::refusing_address() const {
  return "127.0.0.1:" + std::to_string(refusing_port_);
}

void ServiceHarness::Start(grpc::Service* service) {
  grpc::ServerBuilder builder;
  builder.RegisterService(service);
  server_ = builder.BuildAndStart();
  if (!server_) Fail("the in-process server did not start");
  stub_ = std::make_unique<grpc::GenericStub>(server_->InProcessChannel(grpc::ChannelArguments()));
}

void ServiceHarness::Call(std::string_view input) {
  const auto [name, rest] = SplitOnce(input, '\n');
  const google::protobuf::MethodDescriptor* method =
      service_.FindMethodByName(std::string(name));
  if (method == nullptr) return;
  std::string_view request = rest;
  const Principal& caller = Callers()[TakeByte(request) % Callers().size()];
  const std::string full_method = "/" + service_.full_name() + "/" + method->name();

  grpc::ClientContext context;
  // A stream (WatchEvents) with a valid request keeps polling its store: a short deadline
  // ends it; unary calls answer at once.
  const bool stream = method->server_streaming();
  context.set_deadline(absl::ToChronoTime(
      absl::Now() + (stream ? absl::Milliseconds(50) : absl::Seconds(10))));
  const SignedIdentity identity =
      SignIdentity(caller, full_method, kIdentityKey, absl::Now() + absl::Minutes(1));
  context.AddMetadata(kIdentityHeader, identity.payload);
  context.AddMetadata(kIdentitySignatureHeader, identity.signature);
  context.AddMetadata(kRequestIdHeader, "fuzz-call");

  grpc::Slice slice(request.data(), request.size());
  const grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub_->UnaryCall(&context, full_method, grpc::StubOptions(), &request_buffer, &response,
                   [&done](grpc::Status status) { done.set_value(std::move(status)); });
  const grpc::Status status = done.get_future().get();
  if (stream && status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) return;
  CheckOutcome(status, Parses(*method, request), full_method);
}

}  // namespace kam::fuzz
