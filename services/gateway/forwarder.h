#pragma once

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "services/common/call_observer.h"
#include "services/common/jwt.h"
#include "services/gateway/policy.h"

namespace kam::gateway {

struct ForwarderOptions {
  JwtVerifier verifier;
  std::string identity_key;
  // Applied when the caller sets no deadline.
  absl::Duration default_deadline = absl::Seconds(10);
  // No forwarded call may run longer, whatever the caller asks.
  absl::Duration max_deadline = absl::Seconds(60);
};

// The deadline a forwarded call gets: the caller's (`requested`; time_point::max() when
// none was set), the default when there is none, never later than now + max_deadline.
std::chrono::system_clock::time_point ForwardDeadline(
    std::chrono::system_clock::time_point requested, std::chrono::system_clock::time_point now,
    const ForwarderOptions& options);

// Serves every method of the routed services by forwarding the request bytes unchanged
// (no per-method code): authenticate, check the policy, sign the caller's identity for the
// service, bound the deadline, forward, and relay the response or status.
class Forwarder final : public grpc::CallbackGenericService {
 public:
  Forwarder(ForwarderOptions options, const Policy* policy, const GrpcServerMetrics* metrics)
      : options_(std::move(options)), policy_(*policy), metrics_(*metrics) {}

  // Routes every method of `service_full_name` to `address` (round-robin over its resolved
  // addresses).
  void AddRoute(const std::string& service_full_name, const std::string& address);

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override;

 private:
  friend class ForwardedCall;
  ForwarderOptions options_;
  const Policy& policy_;
  const GrpcServerMetrics& metrics_;
  std::map<std::string, std::unique_ptr<grpc::GenericStub>, std::less<>> routes_;
};

}  // namespace kam::gateway
