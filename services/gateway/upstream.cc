#include "services/gateway/upstream.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

// PROVISIONAL (issue 8 pinning): round_robin only, no retries.
namespace kam::gateway {

std::string UpstreamServiceConfig(const google::protobuf::ServiceDescriptor& /*service*/) {
  return R"({"loadBalancingConfig": [{"round_robin": {}}]})";
}

std::shared_ptr<grpc::Channel> CreateUpstreamChannel(
    const google::protobuf::ServiceDescriptor& service, const std::string& address,
    const UpstreamOptions& options) {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(UpstreamServiceConfig(service));
  // gRPC's default reconnect backoff grows to 2 minutes: a service restarted after a long
  // outage would stay unreachable through the gateway for that long. Retrying a refused
  // loopback/cluster connection every second costs nothing.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetMaxReceiveMessageSize(options.max_message_bytes);
  args.SetMaxSendMessageSize(options.max_message_bytes);
  return grpc::CreateCustomChannel("dns:///" + address, grpc::InsecureChannelCredentials(), args);
}

}  // namespace kam::gateway
