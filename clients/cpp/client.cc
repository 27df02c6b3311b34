#include "kam/client/client.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>

namespace kam::client {
namespace {

// The services a KAM client reaches through the gateway, and the descriptor table of the
// .proto file that declares each. A service's descriptor exists only once its file's object
// is linked, and nothing else pulls accounts.pb.o out of the static library (the stubs use
// messages of the other files): without the reference, GetAccount and the other reads of
// AccountService would silently get no retry policy (client_test checks they do).
struct KnownService {
  std::string_view full_name;
  const google::protobuf::internal::DescriptorTable* file;
};
const KnownService kServices[] = {
    {kam::accounts::v1::AccountService::service_full_name(),
     &descriptor_table_kam_2faccounts_2fv1_2faccounts_2eproto},
    {kam::complaints::v1::ComplaintService::service_full_name(),
     &descriptor_table_kam_2fcomplaints_2fv1_2fcomplaints_2eproto},
    {kam::analytics::v1::AnalyticsService::service_full_name(),
     &descriptor_table_kam_2fanalytics_2fv1_2fanalytics_2eproto},
    {kam::gateway::v1::GatewayService::service_full_name(),
     &descriptor_table_kam_2fgateway_2fv1_2fgateway_2eproto},
};

bool IsRead(const google::protobuf::MethodDescriptor& method) {
  return method.options().idempotency_level() == google::protobuf::MethodOptions::NO_SIDE_EFFECTS;
}

// {"service":"kam.accounts.v1.AccountService","method":"GetAccount"},... for every read. The
// proto names are identifiers, so they need no JSON escaping.
std::string ReadMethodNames() {
  std::string names;
  for (const KnownService& known : kServices) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            std::string(known.full_name));
    if (service == nullptr) continue;  // not linked after all: client_test fails
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor& method = *service->method(i);
      if (!IsRead(method)) continue;
      if (!names.empty()) names += ',';
      names += R"({"service":")" + service->full_name() + R"(","method":")" + method.name() +
               R"("})";
    }
  }
  return names;
}

std::string FromEnv(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : std::move(fallback);
}

}  // namespace

ClientOptions ClientOptions::FromEnvironment() {
  ClientOptions options;
  options.target = FromEnv("KAM_ADDR", options.target);
  options.bearer_token = FromEnv("KAM_TOKEN", "");
  options.api_key = FromEnv("KAM_API_KEY", "");
  return options;
}

std::string RetryServiceConfig() {
  // Three attempts in all, after about 50 ms and then 100 ms (gRPC picks a random backoff up
  // to these), well inside the default deadline, which bounds all attempts together. Each
  // failure takes a token and each success gives back 0.1; retries pause while half of the
  // ten tokens are gone, so a client does not multiply its load on a gateway that is down.
  return R"({"retryThrottling":{"maxTokens":10,"tokenRatio":0.1},)"
         R"("methodConfig":[{"name":[)" +
         ReadMethodNames() +
         R"(],"retryPolicy":{"maxAttempts":3,"initialBackoff":"0.05s","maxBackoff":"0.5s",)"
         R"("backoffMultiplier":2,"retryableStatusCodes":["UNAVAILABLE"]}}]})";
}

std::shared_ptr<grpc::Channel> CreateChannel(const ClientOptions& options) {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(RetryServiceConfig());
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 1);  // the default in gRPC 1.51; the config needs it
  // gRPC's reconnect backoff grows to two minutes by default: a gateway back after a restart
  // would stay out of reach for that long.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (options.use_tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.tls_root_certs_pem;
    credentials = grpc::SslCredentials(ssl);
  }
  return grpc::CreateCustomChannel(options.target, credentials, args);
}

Client::Client(ClientOptions options)
    : options_(std::move(options)),
      channel_(CreateChannel(options_)),
      accounts_(kam::accounts::v1::AccountService::NewStub(channel_)),
      complaints_(kam::complaints::v1::ComplaintService::NewStub(channel_)),
      analytics_(kam::analytics::v1::AnalyticsService::NewStub(channel_)),
      gateway_(kam::gateway::v1::GatewayService::NewStub(channel_)),
      health_(grpc::health::v1::Health::NewStub(channel_)) {}

void Client::PrepareStream(grpc::ClientContext* context) const {
  // Metadata rather than call credentials: gRPC refuses call credentials on a plaintext
  // channel, and inside a cluster the gateway is reached in plaintext.
  if (!options_.bearer_token.empty()) {
    context->AddMetadata("authorization", "Bearer " + options_.bearer_token);
  } else if (!options_.api_key.empty()) {
    context->AddMetadata("x-api-key", options_.api_key);
  }
}

void Client::Prepare(grpc::ClientContext* context) const {
  PrepareStream(context);
  context->set_deadline(std::chrono::system_clock::now() + options_.default_deadline);
}

std::string Describe(const grpc::Status& status) {
  static constexpr const char* kNames[] = {
      "OK",        "CANCELLED",         "UNKNOWN",           "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",    "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",      "UNAVAILABLE",       "DATA_LOSS",
      "UNAUTHENTICATED"};
  const int code = static_cast<int>(status.error_code());
  const std::string name = code >= 0 && code < static_cast<int>(std::size(kNames))
                               ? kNames[code]
                               : "CODE_" + std::to_string(code);
  if (status.error_message().empty()) return name;
  return name + ": " + status.error_message();
}

}  // namespace kam::client
