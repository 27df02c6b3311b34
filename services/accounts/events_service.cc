#include "services/accounts/service.h"
#include "services/common/event_service.h"
#include "services/common/log.h"

// The event stream (WatchEvents) and the audit trail (ListAuditLog).
namespace kam::accounts {
namespace {

constexpr char kWatchEvents[] = "/kam.accounts.v1.AccountService/WatchEvents";
constexpr char kListAuditLog[] = "/kam.accounts.v1.AccountService/ListAuditLog";

// Each part of the business types the payloads of its own aggregates (service.h).
using EventFiller = bool (*)(const std::string&, const nlohmann::json&, v1::Event*);
constexpr EventFiller kEventFillers[] = {FillArchiveEvent, FillEngagementEvent, FillPipelineEvent,
                                         FillCommerceEvent};

// The typed payload comes from the part that owns the aggregate; an aggregate no part knows
// leaves it unset. A payload that cannot be read is delivered without one (and logged):
// holding the stream on it would stop every consumer at that event for good.
void EventToProto(const StoredEvent& stored, v1::Event* event) {
  FillEnvelope(stored, event);
  try {
    const nlohmann::json payload = nlohmann::json::parse(stored.payload_json);
    for (EventFiller fill : kEventFillers) {
      if (fill(stored.aggregate_type, payload, event)) break;
    }
  } catch (const std::exception& e) {
    event->clear_payload();
    event->clear_changes();
    LogError("unreadable event payload", {{"sequence", stored.sequence}, {"error", e.what()}});
  }
}

}  // namespace

grpc::ServerWriteReactor<v1::WatchEventsResponse>* AccountServiceImpl::WatchEvents(
    grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) {
  return ServeWatchEvents<v1::WatchEventsResponse, v1::WatchEventsRequest, v1::Event>(
      handler_, context, kWatchEvents, *stores_.events, *request, EventToProto);
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListAuditLog(grpc::CallbackServerContext* context,
                                                           const v1::ListAuditLogRequest* request,
                                                           v1::ListAuditLogResponse* response) {
  return handler_.Run(context, kListAuditLog, [=](const CallContext& call) {
    return kam::ListAuditLog(*stores_.events, call, "ListAuditLog", *request, response);
  });
}

}  // namespace kam::accounts
