#pragma once

#include "kam/gateway/v1/gateway.grpc.pb.h"
#include "services/common/call_observer.h"
#include "services/common/jwt.h"
#include "services/gateway/policy.h"

namespace kam::gateway {

// The gateway's own methods; no database, so they run on gRPC's threads directly.
class GatewayServiceImpl final : public v1::GatewayService::CallbackService {
 public:
  GatewayServiceImpl(JwtVerifier verifier, const Policy* policy, const GrpcServerMetrics* metrics)
      : verifier_(std::move(verifier)), policy_(*policy), metrics_(*metrics) {}

  grpc::ServerUnaryReactor* WhoAmI(grpc::CallbackServerContext* context,
                                   const v1::WhoAmIRequest* request,
                                   v1::WhoAmIResponse* response) override;

 private:
  JwtVerifier verifier_;
  const Policy& policy_;
  const GrpcServerMetrics& metrics_;
};

}  // namespace kam::gateway
