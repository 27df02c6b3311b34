#pragma once

#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/common/call_observer.h"
#include "services/common/health_service.h"
#include "services/common/serving_queues.h"
#include "services/common/settings.h"

namespace prometheus {
class Registry;
class Exposer;
}  // namespace prometheus

namespace kam {

// Blocks SIGTERM/SIGINT in this and every later thread (so that only the runner's signal
// thread sees them) and sets up JSON logging. Call first thing in main().
void InitProcess(const std::string& service_name);

// Whether SIGTERM/SIGINT arrived (they stay pending until the runner's signal thread takes
// them), for waits that happen before serving starts.
bool TerminationPending();

// What every KAM server enforces on its connections, set on `builder`: the largest request
// message (settings.max_message_bytes; larger ones are RESOURCE_EXHAUSTED), and a maximum
// connection age (5 minutes, then 30 s for calls in flight) so that clients reconnect and
// spread over new replicas. ServerRunner applies it; tests building servers by hand too.
void ApplyServerLimits(grpc::ServerBuilder& builder, const ServerSettings& settings);

// Serves a process's gRPC services with reflection, grpc.health.v1 (HealthService, on the
// runner's ServingQueues), the grpc_server_* metrics on /metrics and graceful drain:
//  - health "" (readiness) follows `readiness` polled every second; "liveness" is always
//    SERVING while the process runs;
//  - SIGTERM/SIGINT turn readiness NOT_SERVING, keep serving for drain_delay (so load
//    balancers stop routing here), then stop taking calls and wait up to drain_grace for
//    in-flight ones.
class ServerRunner {
 public:
  ServerRunner(std::string service_name, ServerSettings settings);
  ~ServerRunner();

  // The registry served on the metrics port; services add their own families to it.
  prometheus::Registry& registry() { return *registry_; }
  // The grpc_server_* series; every service added here has its series pre-created.
  const GrpcServerMetrics& grpc_metrics() const { return *grpc_metrics_; }

  // `full_name` is the proto service name ("kam.accounts.v1.AccountService"); its metric
  // series are created at zero and its health status follows readiness.
  void AddService(grpc::Service* service, const std::string& full_name);
  // A service on the asynchronous API, served on the runner's ServingQueues (the gateway's
  // forwarder and GatewayService); `full_names` as for AddService.
  void AddAsyncService(AsyncService* service, const std::vector<std::string>& full_names);
  // How many ServingQueues (threads) serve the async services; 1 keeps each call on one
  // thread. Before Run.
  void set_queue_count(int count) { queues_.set_count(count); }
  // How long the queue threads poll without sleeping after each completion (RunQueue). Before
  // Run.
  void set_queue_spin(std::chrono::microseconds spin) { queues_.set_spin(spin); }
  void SetReadiness(std::function<bool()> readiness) { readiness_ = std::move(readiness); }

  // Starts serving and blocks until a termination signal has been handled and the server
  // drained. Fails if a port cannot be bound.
  absl::Status Run();

 private:
  void Describe(const std::string& full_name);
  std::string service_name_;
  ServerSettings settings_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<GrpcServerMetrics> grpc_metrics_;
  std::vector<std::string> service_names_;
  grpc::ServerBuilder builder_;
  HealthService health_;
  ServingQueues queues_;  // after health_: drained before it is destroyed
  std::function<bool()> readiness_ = [] { return true; };
};

}  // namespace kam
