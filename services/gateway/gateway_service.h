#pragma once

#include "kam/gateway/v1/gateway.grpc.pb.h"
#include "services/common/call_observer.h"
#include "services/gateway/admission.h"
#include "services/gateway/customer360.h"
#include "services/gateway/forwarder.h"

namespace kam::gateway {

// The gateway's own methods; no database, so they run on gRPC's threads directly.
class GatewayServiceImpl final : public v1::GatewayService::CallbackService {
 public:
  // `deadlines` bounds GetCustomer360 as the forwarder bounds a unary call.
  GatewayServiceImpl(const Admission* admission, Customer360* customer360,
                     ForwarderOptions deadlines, const GrpcServerMetrics* metrics)
      : admission_(*admission),
        customer360_(*customer360),
        deadlines_(std::move(deadlines)),
        metrics_(*metrics) {}

  grpc::ServerUnaryReactor* WhoAmI(grpc::CallbackServerContext* context,
                                   const v1::WhoAmIRequest* request,
                                   v1::WhoAmIResponse* response) override;

  grpc::ServerUnaryReactor* GetCustomer360(grpc::CallbackServerContext* context,
                                           const v1::GetCustomer360Request* request,
                                           v1::GetCustomer360Response* response) override;

 private:
  const Admission& admission_;
  Customer360& customer360_;
  ForwarderOptions deadlines_;
  const GrpcServerMetrics& metrics_;
};

}  // namespace kam::gateway
