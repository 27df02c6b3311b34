#include "services/accounts/service.h"

// STUB: answers UNIMPLEMENTED (the generated base class) until this part is built.
namespace kam::accounts {

grpc::ServerWriteReactor<v1::WatchEventsResponse>* AccountServiceImpl::WatchEvents(
    grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) {
  return v1::AccountService::CallbackService::WatchEvents(context, request);
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListAuditLog(grpc::CallbackServerContext* context,
                                                           const v1::ListAuditLogRequest* request,
                                                           v1::ListAuditLogResponse* response) {
  return v1::AccountService::CallbackService::ListAuditLog(context, request, response);
}

}  // namespace kam::accounts
