#include "services/common/health_service.h"

namespace kam {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// One Check call: answered at once from the status table.
class HealthService::CheckCall {
 public:
  CheckCall(HealthService& health, grpc::ServerCompletionQueue* queue, LiveCalls* live)
      : token_(live), live_(live), health_(health), queue_(queue), responder_(&context_) {
    health_.service_.RequestCheck(&context_, &request_, &responder_, queue_, queue_, AsTag(&accepted_));
  }

 private:
  void OnAccepted(bool ok) {
    if (!ok) {  // shutting down
      delete this;
      return;
    }
    new CheckCall(health_, queue_, live_);
    HealthCheckResponse response;
    {
      std::lock_guard<std::mutex> lock(health_.mutex_);
      response.set_status(health_.StatusLocked(request_.service()));
    }
    if (response.status() == HealthCheckResponse::SERVICE_UNKNOWN) {
      responder_.FinishWithError(grpc::Status(grpc::StatusCode::NOT_FOUND, "service name unknown"),
                                 AsTag(&finished_));
    } else {
      responder_.Finish(response, grpc::Status::OK, AsTag(&finished_));
    }
  }

  void OnFinished(bool) { delete this; }

  LiveCalls::Token token_;
  LiveCalls* live_;
  HealthService& health_;
  grpc::ServerCompletionQueue* queue_;
  grpc::ServerContext context_;
  HealthCheckRequest request_;
  grpc::ServerAsyncResponseWriter<HealthCheckResponse> responder_;
  MemberTag<CheckCall> accepted_{this, &CheckCall::OnAccepted};
  MemberTag<CheckCall> finished_{this, &CheckCall::OnFinished};
};

// One Watch call, open until the caller leaves or the server shuts down. Status changes come
// from any thread (SetServingStatus), so all of its state is under the service's mutex; one
// write at a time, and a change during a write is sent once the write completes (only the
// latest status, and only when it differs from the last one sent).
class HealthService::WatchCall {
 public:
  WatchCall(HealthService& health, grpc::ServerCompletionQueue* queue, LiveCalls* live)
      : token_(live), live_(live), health_(health), queue_(queue), writer_(&context_) {
    context_.AsyncNotifyWhenDone(AsTag(&done_));  // counted once the call is accepted
    health_.service_.RequestWatch(&context_, &request_, &writer_, queue_, queue_, AsTag(&accepted_));
  }

  // Under the service's mutex.
  const std::string& service() const { return request_.service(); }
  void SendLocked(ServingStatus status) {
    latest_ = status;
    if (writing_ || done_seen_ || status == sent_) return;
    writing_ = true;
    sent_ = status;
    ++pending_;
    HealthCheckResponse response;
    response.set_status(status);
    writer_.Write(response, AsTag(&written_));
  }

 private:
  void OnAccepted(bool ok) {
    if (!ok) {  // shutting down; no done-notification comes for a call never accepted
      delete this;
      return;
    }
    new WatchCall(health_, queue_, live_);
    std::lock_guard<std::mutex> lock(health_.mutex_);
    pending_ = 1;  // the done-notification
    health_.watches_.insert(this);
    SendLocked(health_.StatusLocked(service()));
  }

  void OnWritten(bool ok) {
    std::unique_lock<std::mutex> lock(health_.mutex_);
    --pending_;
    writing_ = false;
    if (ok) SendLocked(latest_);
    EndIfIdle(lock);
  }

  void OnDone(bool) {
    std::unique_lock<std::mutex> lock(health_.mutex_);
    --pending_;
    done_seen_ = true;
    health_.watches_.erase(this);
    EndIfIdle(lock);
  }

  void EndIfIdle(std::unique_lock<std::mutex>& lock) {
    if (pending_ > 0) return;
    lock.unlock();
    delete this;
  }

  LiveCalls::Token token_;
  LiveCalls* live_;
  HealthService& health_;
  grpc::ServerCompletionQueue* queue_;
  grpc::ServerContext context_;
  HealthCheckRequest request_;
  grpc::ServerAsyncWriter<HealthCheckResponse> writer_;
  // Under the service's mutex once accepted.
  int pending_ = 0;  // the done-notification and a write in flight
  bool writing_ = false;
  bool done_seen_ = false;
  ServingStatus sent_ = HealthCheckResponse::UNKNOWN;  // nothing sent yet
  ServingStatus latest_ = HealthCheckResponse::UNKNOWN;
  MemberTag<WatchCall> accepted_{this, &WatchCall::OnAccepted};
  MemberTag<WatchCall> written_{this, &WatchCall::OnWritten};
  MemberTag<WatchCall> done_{this, &WatchCall::OnDone};
};

HealthService::HealthService() { serving_[""] = true; }

void HealthService::SetServingStatus(const std::string& service, bool serving) {
  std::lock_guard<std::mutex> lock(mutex_);
  serving_[service] = serving;
  for (WatchCall* watch : watches_) {
    if (watch->service() == service) watch->SendLocked(StatusLocked(service));
  }
}

HealthService::ServingStatus HealthService::StatusLocked(const std::string& service) const {
  auto found = serving_.find(service);
  if (found == serving_.end()) return HealthCheckResponse::SERVICE_UNKNOWN;
  return found->second ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

void HealthService::Register(grpc::ServerBuilder& builder) { builder.RegisterService(&service_); }

void HealthService::Start(grpc::ServerCompletionQueue* queue, LiveCalls* live) {
  new CheckCall(*this, queue, live);
  new WatchCall(*this, queue, live);
}

}  // namespace kam
