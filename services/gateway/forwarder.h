#pragma once

#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/common/call_observer.h"
#include "services/common/serving_queues.h"
#include "services/gateway/admission.h"
#include "services/gateway/in_flight_limit.h"

namespace kam::gateway {

struct ForwarderOptions {
  std::string identity_key;
  // Unary calls: applied when the caller sets no deadline.
  absl::Duration default_deadline = absl::Seconds(10);
  // No forwarded unary call may run longer, whatever the caller asks.
  absl::Duration max_deadline = absl::Seconds(60);
  // Server-streaming calls (WatchEvents) follow new events until the caller cancels, so the
  // unary bounds do not apply: they get the caller's deadline, capped at this (also what a
  // caller without a deadline gets), so that a forgotten consumer's stream ends within a
  // day. (Connection recycling, ServerRunner's max connection age, usually ends a stream
  // sooner with UNAVAILABLE; consumers resume from their cursor.) The identity signed for a
  // stream still expires like a unary call's: the service checks it when the stream starts.
  absl::Duration max_stream_deadline = absl::Hours(24);
  // Load shedding of unary calls (streams are long-lived and capped by their producers);
  // null: no cap.
  InFlightLimit* in_flight_limit = nullptr;
};

// The deadline a forwarded unary call gets: the caller's (`requested`; time_point::max()
// when none was set), the default when there is none, never later than now + max_deadline.
std::chrono::system_clock::time_point ForwardDeadline(
    std::chrono::system_clock::time_point requested, std::chrono::system_clock::time_point now,
    const ForwarderOptions& options);

// The deadline a forwarded server-streaming call gets: the caller's, never later than
// now + max_stream_deadline (which is also the deadline when the caller set none).
std::chrono::system_clock::time_point ForwardStreamDeadline(
    std::chrono::system_clock::time_point requested, std::chrono::system_clock::time_point now,
    const ForwarderOptions& options);

// Serves every method of the routed services by forwarding the request bytes unchanged
// (no per-method code): admit the caller (authentication, policy, rate limit), refuse a body that
// is no valid encoding of the method's request type (INVALID_ARGUMENT), sign the caller's
// identity for the service, bound the deadline, forward, and relay the response or status. The
// method's descriptor decides the shape: unary calls relay one response; server-streaming calls
// relay each upstream message as it arrives, reading the next only once the caller has taken the
// previous one (memory per stream stays one message, a slow caller slows the upstream).
// Client-streaming and bidi methods are UNIMPLEMENTED.
//
// Served with gRPC's asynchronous API on ServingQueues: each call, with the upstream call it
// makes, runs on one queue's thread, so a call needs no locks.
class Forwarder final : public AsyncService {
 public:
  Forwarder(ForwarderOptions options, const Admission* admission, const GrpcServerMetrics* metrics,
            const GrpcClientMetrics* client_metrics)
      : options_(std::move(options)),
        admission_(*admission),
        metrics_(*metrics),
        client_metrics_(*client_metrics) {}

  // Routes every method of `service` over `channel` (CreateUpstreamChannel; tests: an
  // in-process channel). Call before serving.
  void AddRoute(const google::protobuf::ServiceDescriptor& service,
                std::shared_ptr<grpc::ChannelInterface> channel);

  void Register(grpc::ServerBuilder& builder) override;
  void Start(grpc::ServerCompletionQueue* queue, LiveCalls* live) override;

 private:
  friend class ForwardedCall;
  struct Route {
    grpc::GenericStub* stub = nullptr;
    const google::protobuf::MethodDescriptor* method = nullptr;
  };

  ForwarderOptions options_;
  const Admission& admission_;
  const GrpcServerMetrics& metrics_;
  const GrpcClientMetrics& client_metrics_;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  std::map<std::string, Route, std::less<>> routes_;  // by full method, "/pkg.Service/Method"
  grpc::AsyncGenericService service_;
};

}  // namespace kam::gateway
