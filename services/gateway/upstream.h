#pragma once

#include <google/protobuf/descriptor.h>
#include <grpcpp/channel.h>

#include <memory>
#include <string>

namespace kam::gateway {

struct UpstreamOptions {
  // Largest message the gateway accepts from a backend (responses) or sends to it.
  int max_message_bytes = 4 << 20;
};

// The gRPC service config of a backend channel: round_robin over the resolved addresses,
// and a bounded, throttled retry on UNAVAILABLE for the methods whose descriptor says
// `idempotency_level = NO_SIDE_EFFECTS` (reads). Every other method (writes) is never
// retried by the gateway.
std::string UpstreamServiceConfig(const google::protobuf::ServiceDescriptor& service);

// A channel to the replicas of `service` behind `address` ("host:port", resolved by DNS; a
// headless Service in Kubernetes gives every replica's address), with the service config
// above and a reconnect backoff capped at a second. An address that already names a gRPC
// resolver ("ipv4:127.0.0.1:1,127.0.0.1:2", "dns:///...", "unix:...") is used unchanged.
std::shared_ptr<grpc::Channel> CreateUpstreamChannel(
    const google::protobuf::ServiceDescriptor& service, const std::string& address,
    const UpstreamOptions& options);

}  // namespace kam::gateway
