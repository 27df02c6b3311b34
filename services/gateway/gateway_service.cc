#include "services/gateway/gateway_service.h"

#include <memory>

#include "absl/time/clock.h"
#include "services/common/status.h"

namespace kam::gateway {

grpc::ServerUnaryReactor* GatewayServiceImpl::WhoAmI(grpc::CallbackServerContext* context,
                                                     const v1::WhoAmIRequest* /*request*/,
                                                     v1::WhoAmIResponse* response) {
  static constexpr char kWhoAmI[] = "/kam.gateway.v1.GatewayService/WhoAmI";
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  CallObservation observation(metrics_, kWhoAmI);
  absl::StatusOr<Caller> caller =
      admission_.Admit(context->client_metadata(), kWhoAmI, absl::Now());
  if (caller.ok()) {
    observation.set_request_id(caller->request_id);
    response->set_subject(caller->principal.subject);
    for (const std::string& role : caller->principal.roles) response->add_roles(role);
    response->set_department(caller->principal.department);
    response->set_request_id(caller->request_id);
  }
  const grpc::Status wire = ToGrpcStatus(caller.status());
  observation.Finish(wire);
  reactor->Finish(wire);
  return reactor;
}

// PROVISIONAL (issue 8 pinning): admission and the deadline are final; Customer360 fills
// the response.
grpc::ServerUnaryReactor* GatewayServiceImpl::GetCustomer360(
    grpc::CallbackServerContext* context, const v1::GetCustomer360Request* request,
    v1::GetCustomer360Response* response) {
  static constexpr char kGetCustomer360[] = "/kam.gateway.v1.GatewayService/GetCustomer360";
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto observation = std::make_shared<CallObservation>(metrics_, kGetCustomer360);
  absl::StatusOr<Caller> caller =
      admission_.Admit(context->client_metadata(), kGetCustomer360, absl::Now());
  if (!caller.ok()) {
    const grpc::Status wire = ToGrpcStatus(caller.status());
    observation->Finish(wire);
    reactor->Finish(wire);
    return reactor;
  }
  observation->set_request_id(caller->request_id);
  context->AddInitialMetadata(kRequestIdHeader, caller->request_id);
  response->set_request_id(caller->request_id);
  const auto deadline =
      ForwardDeadline(context->deadline(), std::chrono::system_clock::now(), deadlines_);
  customer360_.Fetch(*caller, request->account_id(), deadline, response,
                     [reactor, observation](absl::Status status) {
                       const grpc::Status wire = ToGrpcStatus(status);
                       observation->Finish(wire);
                       reactor->Finish(wire);
                     });
  return reactor;
}

}  // namespace kam::gateway
