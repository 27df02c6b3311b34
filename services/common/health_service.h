#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"
#include "services/common/serving_queues.h"

namespace kam {

// grpc.health.v1 on the asynchronous API, in place of gRPC's default health service (which is
// callback-based: its presence alone makes gRPC's callback threads poll, ServingQueues).
// Check answers a known service's status, NOT_FOUND otherwise; Watch sends the current status
// (SERVICE_UNKNOWN for an unknown service) at once, then each change. "" starts SERVING, as in
// gRPC's default service.
class HealthService final : public AsyncService {
 public:
  HealthService();
  // Any thread.
  void SetServingStatus(const std::string& service, bool serving);

  void Register(grpc::ServerBuilder& builder) override;
  void Start(grpc::ServerCompletionQueue* queue, LiveCalls* live) override;

 private:
  class CheckCall;
  class WatchCall;
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  ServingStatus StatusLocked(const std::string& service) const;

  grpc::health::v1::Health::AsyncService service_;
  std::mutex mutex_;
  std::map<std::string, bool> serving_;  // by service name
  std::set<WatchCall*> watches_;         // accepted, not yet done
};

}  // namespace kam
