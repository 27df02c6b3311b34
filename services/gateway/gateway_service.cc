#include "services/gateway/gateway_service.h"

#include "absl/time/clock.h"
#include "services/common/status.h"
#include "services/gateway/auth.h"

namespace kam::gateway {

grpc::ServerUnaryReactor* GatewayServiceImpl::WhoAmI(grpc::CallbackServerContext* context,
                                                     const v1::WhoAmIRequest* /*request*/,
                                                     v1::WhoAmIResponse* response) {
  static constexpr char kWhoAmI[] = "/kam.gateway.v1.GatewayService/WhoAmI";
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  CallObservation observation(metrics_, kWhoAmI);
  absl::StatusOr<Caller> caller = Authenticate(context->client_metadata(), verifier_, absl::Now());
  absl::Status status = caller.status();
  if (status.ok()) {
    observation.set_request_id(caller->request_id);
    status = policy_.Check(kWhoAmI, caller->principal);
  }
  if (status.ok()) {
    response->set_subject(caller->principal.subject);
    for (const std::string& role : caller->principal.roles) response->add_roles(role);
    response->set_department(caller->principal.department);
    response->set_request_id(caller->request_id);
  }
  const grpc::Status wire = ToGrpcStatus(status);
  observation.Finish(wire);
  reactor->Finish(wire);
  return reactor;
}

}  // namespace kam::gateway
