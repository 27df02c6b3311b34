#include "services/gateway/gateway_service.h"

#include "absl/time/clock.h"
#include "services/common/status.h"
#include "services/gateway/auth.h"

namespace kam::gateway {

grpc::ServerUnaryReactor* GatewayServiceImpl::WhoAmI(grpc::CallbackServerContext* context,
                                                     const v1::WhoAmIRequest* /*request*/,
                                                     v1::WhoAmIResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Caller> caller = Authenticate(context->client_metadata(), verifier_, absl::Now());
  absl::Status status = caller.status();
  if (status.ok()) {
    status = policy_.Check("/kam.gateway.v1.GatewayService/WhoAmI", caller->principal);
  }
  if (status.ok()) {
    response->set_subject(caller->principal.subject);
    for (const std::string& role : caller->principal.roles) response->add_roles(role);
    response->set_department(caller->principal.department);
    response->set_request_id(caller->request_id);
  }
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace kam::gateway
