#include "services/gateway/upstream.h"

#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <nlohmann/json.hpp>
#include <string_view>

namespace kam::gateway {
namespace {

using nlohmann::json;

// A read that met UNAVAILABLE (the replica is restarting or its connection was just recycled)
// is tried twice more, after about 50 ms and then 100 ms (gRPC picks a random backoff up to
// these), well within the default deadline. The deadline bounds all attempts together.
json ReadRetryPolicy() {
  return {{"maxAttempts", 3},
          {"initialBackoff", "0.05s"},
          {"maxBackoff", "0.5s"},
          {"backoffMultiplier", 2},
          {"retryableStatusCodes", json::array({"UNAVAILABLE"})}};
}

// Each failed call takes a token, each success gives back 0.1, and retries stop while half
// the tokens are gone: when a backend is down, not up and flaky, the gateway stops
// multiplying its load after about five failures and retries again once calls succeed.
json RetryThrottling() { return {{"maxTokens", 10}, {"tokenRatio", 0.1}}; }

bool IsRead(const google::protobuf::MethodDescriptor& method) {
  return method.options().idempotency_level() == google::protobuf::MethodOptions::NO_SIDE_EFFECTS;
}

// gRPC target URIs the caller already spelled out (tests list replicas as
// "ipv4:127.0.0.1:1,127.0.0.1:2"); anything else is a "host:port" for DNS.
bool HasScheme(const std::string& address) {
  for (std::string_view scheme : {"dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:"}) {
    if (address.compare(0, scheme.size(), scheme.data(), scheme.size()) == 0) return true;
  }
  return false;
}

}  // namespace

std::string UpstreamServiceConfig(const google::protobuf::ServiceDescriptor& service) {
  json reads = json::array();
  for (int i = 0; i < service.method_count(); ++i) {
    const google::protobuf::MethodDescriptor& method = *service.method(i);
    if (IsRead(method))
      reads.push_back({{"service", service.full_name()}, {"method", method.name()}});
  }
  json config = {{"loadBalancingConfig", json::array({{{"round_robin", json::object()}}})},
                 {"retryThrottling", RetryThrottling()}};
  // Writes get no method config, so gRPC never retries them: a write that reached the
  // service before the connection broke must not be applied twice.
  if (!reads.empty()) {
    config["methodConfig"] =
        json::array({{{"name", std::move(reads)}, {"retryPolicy", ReadRetryPolicy()}}});
  }
  return config.dump();
}

std::shared_ptr<grpc::Channel> CreateUpstreamChannel(
    const google::protobuf::ServiceDescriptor& service, const std::string& address,
    const UpstreamOptions& options) {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(UpstreamServiceConfig(service));
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 1);  // the default in 1.51; the config relies on it
  // gRPC's default reconnect backoff grows to 2 minutes: a service restarted after a long
  // outage would stay unreachable through the gateway for that long. Retrying a refused
  // loopback/cluster connection every second costs nothing.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetMaxReceiveMessageSize(options.max_message_bytes);
  args.SetMaxSendMessageSize(options.max_message_bytes);
  const std::string target = HasScheme(address) ? address : "dns:///" + address;
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

}  // namespace kam::gateway
