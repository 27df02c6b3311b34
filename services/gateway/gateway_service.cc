#include "services/gateway/gateway_service.h"

#include <functional>
#include <optional>

#include "absl/time/clock.h"
#include "services/common/status.h"

namespace kam::gateway {
namespace {

// `bytes` as `Request`; INVALID_ARGUMENT naming the type when they are not one.
template <typename Request>
absl::Status ParseRequest(grpc::ByteBuffer* bytes, Request* request) {
  if (grpc::SerializationTraits<Request>::Deserialize(bytes, request).ok()) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("request is not a valid " + Request::descriptor()->full_name() +
                                    " message");
}

template <typename Response>
grpc::ByteBuffer Serialize(const Response& response) {
  grpc::ByteBuffer bytes;
  bool own_buffer = false;
  (void)grpc::SerializationTraits<Response>::Serialize(response, &bytes, &own_buffer);
  return bytes;
}

}  // namespace

// Each call object waits for one caller, puts a successor in its place once matched, answers,
// and deletes itself when the answer has been sent (or the server shut down first).
class GatewayServiceImpl::WhoAmICall {
 public:
  WhoAmICall(GatewayServiceImpl& service, grpc::ServerCompletionQueue* queue, LiveCalls* live)
      : token_(live), live_(live), service_(service), queue_(queue), responder_(&context_) {
    service_.service_.RequestWhoAmI(&context_, &request_bytes_, &responder_, queue_, queue_,
                                    AsTag(&accepted_));
  }

 private:
  static constexpr char kWhoAmI[] = "/kam.gateway.v1.GatewayService/WhoAmI";

  void OnAccepted(bool ok) {
    if (!ok) {  // shutting down
      delete this;
      return;
    }
    new WhoAmICall(service_, queue_, live_);
    CallObservation observation(service_.metrics_, kWhoAmI);
    absl::StatusOr<Caller> caller =
        service_.admission_.Admit(context_.client_metadata(), kWhoAmI, absl::Now());
    v1::WhoAmIRequest request;
    if (caller.ok()) {
      if (absl::Status parsed = ParseRequest(&request_bytes_, &request); !parsed.ok()) {
        caller = parsed;
      }
    }
    v1::WhoAmIResponse response;
    if (caller.ok()) {
      observation.set_request_id(caller->request_id);
      response.set_subject(caller->principal.subject);
      for (const std::string& role : caller->principal.roles) response.add_roles(role);
      response.set_department(caller->principal.department);
      response.set_request_id(caller->request_id);
    }
    const grpc::Status wire = ToGrpcStatus(caller.status());
    observation.Finish(wire);
    responder_.Finish(Serialize(response), wire, AsTag(&finished_));
  }

  void OnFinished(bool) { delete this; }

  LiveCalls::Token token_;
  LiveCalls* live_;
  GatewayServiceImpl& service_;
  grpc::ServerCompletionQueue* queue_;
  grpc::ServerContext context_;
  grpc::ByteBuffer request_bytes_;
  grpc::ServerAsyncResponseWriter<grpc::ByteBuffer> responder_;
  MemberTag<WhoAmICall> accepted_{this, &WhoAmICall::OnAccepted};
  MemberTag<WhoAmICall> finished_{this, &WhoAmICall::OnFinished};
};

// Admission and the deadline here; Customer360 fills the response, its backend calls
// completing on this call's queue. Deleted once answered and done (the done-notification
// comes for every accepted call).
class GatewayServiceImpl::Customer360Call {
 public:
  Customer360Call(GatewayServiceImpl& service, grpc::ServerCompletionQueue* queue,
                  LiveCalls* live)
      : token_(live), live_(live), service_(service), queue_(queue), responder_(&context_) {
    context_.AsyncNotifyWhenDone(AsTag(&done_));
    service_.service_.RequestGetCustomer360(&context_, &request_bytes_, &responder_, queue_,
                                            queue_, AsTag(&accepted_));
  }

 private:
  static constexpr char kGetCustomer360[] = "/kam.gateway.v1.GatewayService/GetCustomer360";

  void OnAccepted(bool ok) {
    if (!ok) {  // shutting down; no done-notification comes for a call never accepted
      delete this;
      return;
    }
    pending_ = 2;  // the answer and the done-notification
    new Customer360Call(service_, queue_, live_);
    observation_.emplace(service_.metrics_, kGetCustomer360);
    absl::StatusOr<Caller> caller =
        service_.admission_.Admit(context_.client_metadata(), kGetCustomer360, absl::Now());
    if (!caller.ok()) {
      Answer(caller.status());
      return;
    }
    if (absl::Status parsed = ParseRequest(&request_bytes_, &request_); !parsed.ok()) {
      Answer(parsed);
      return;
    }
    observation_->set_request_id(caller->request_id);
    context_.AddInitialMetadata(kRequestIdHeader, caller->request_id);
    response_.set_request_id(caller->request_id);
    const auto deadline = ForwardDeadline(context_.deadline(), std::chrono::system_clock::now(),
                                          service_.deadlines_);
    cancel_ = service_.customer360_.Fetch(*caller, request_.account_id(), deadline, &response_,
                                          queue_, [this](absl::Status status) { Answer(status); });
  }

  // The caller left, its deadline passed or the server shut down: the view ends now rather
  // than at its deadline (nothing if it was answered already).
  void OnDone(bool) {
    if (context_.IsCancelled() && cancel_) cancel_();
    Release();
  }

  void Answer(const absl::Status& status) {
    const grpc::Status wire = ToGrpcStatus(status);
    observation_->Finish(wire);
    responder_.Finish(Serialize(response_), wire, AsTag(&finished_));
  }

  void OnFinished(bool) { Release(); }

  void Release() {
    if (--pending_ == 0) delete this;
  }

  LiveCalls::Token token_;
  LiveCalls* live_;
  GatewayServiceImpl& service_;
  grpc::ServerCompletionQueue* queue_;
  grpc::ServerContext context_;
  grpc::ByteBuffer request_bytes_;
  v1::GetCustomer360Request request_;
  v1::GetCustomer360Response response_;
  grpc::ServerAsyncResponseWriter<grpc::ByteBuffer> responder_;
  std::optional<CallObservation> observation_;  // once accepted
  std::function<void()> cancel_;                // once fetching
  int pending_ = 0;
  MemberTag<Customer360Call> accepted_{this, &Customer360Call::OnAccepted};
  MemberTag<Customer360Call> done_{this, &Customer360Call::OnDone};
  MemberTag<Customer360Call> finished_{this, &Customer360Call::OnFinished};
};

void GatewayServiceImpl::Start(grpc::ServerCompletionQueue* queue, LiveCalls* live) {
  new WhoAmICall(*this, queue, live);
  new Customer360Call(*this, queue, live);
}

}  // namespace kam::gateway
