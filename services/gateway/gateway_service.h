#pragma once

#include "kam/gateway/v1/gateway.grpc.pb.h"
#include "services/common/call_observer.h"
#include "services/common/serving_queues.h"
#include "services/gateway/admission.h"
#include "services/gateway/customer360.h"
#include "services/gateway/forwarder.h"

namespace kam::gateway {

// The gateway's own methods, on the asynchronous API (ServingQueues): no database, so they run
// on the queue's thread directly; GetCustomer360's backend calls complete on the same queue.
class GatewayServiceImpl final : public AsyncService {
 public:
  // `deadlines` bounds GetCustomer360 as the forwarder bounds a unary call.
  GatewayServiceImpl(const Admission* admission, Customer360* customer360,
                     ForwarderOptions deadlines, const GrpcServerMetrics* metrics)
      : admission_(*admission),
        customer360_(*customer360),
        deadlines_(std::move(deadlines)),
        metrics_(*metrics) {}

  void Register(grpc::ServerBuilder& builder) override { builder.RegisterService(&service_); }
  void Start(grpc::ServerCompletionQueue* queue, LiveCalls* live) override;

 private:
  class WhoAmICall;
  class Customer360Call;

  // Raw methods: gRPC's typed async handler answers a body that does not parse INTERNAL
  // "Unable to parse request"; the gateway parses it itself and answers INVALID_ARGUMENT, as
  // it does for the methods it forwards.
  using RawService = v1::GatewayService::WithRawMethod_WhoAmI<
      v1::GatewayService::WithRawMethod_GetCustomer360<v1::GatewayService::AsyncService>>;

  RawService service_;
  const Admission& admission_;
  Customer360& customer360_;
  ForwarderOptions deadlines_;
  const GrpcServerMetrics& metrics_;
};

}  // namespace kam::gateway
