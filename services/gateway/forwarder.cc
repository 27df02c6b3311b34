#include "services/gateway/forwarder.h"

#include <google/protobuf/message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "absl/time/clock.h"
#include "services/common/call_observer.h"
#include "services/common/identity.h"
#include "services/common/log.h"
#include "services/common/status.h"
#include "services/gateway/auth.h"

namespace kam::gateway {
namespace {

// What the caller sees of a failed upstream call. Business errors pass unchanged (the
// service chose a safe message), but transport errors can name internal addresses, and an
// upstream UNAUTHENTICATED after the gateway authenticated the caller is our
// misconfiguration (identity keys differ), not the caller's fault.
grpc::Status ForClient(const grpc::Status& upstream, const std::string& request_id) {
  auto logged = [&](grpc::StatusCode code, const std::string& message) {
    LogWarn("upstream call failed", {{"request_id", request_id},
                                     {"code", GrpcCodeName(upstream.error_code())},
                                     {"detail", upstream.error_message()}});
    return grpc::Status(code, message);
  };
  switch (upstream.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return logged(grpc::StatusCode::UNAVAILABLE, "service unavailable, safe to retry");
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return logged(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline exceeded");
    case grpc::StatusCode::CANCELLED:
      return logged(grpc::StatusCode::CANCELLED, "cancelled");
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::DATA_LOSS:
      return logged(grpc::StatusCode::INTERNAL, "internal error");
    default:
      return upstream;
  }
}

// Whether `request` is a valid encoding of `type` (within protobuf's recursion limit, as the
// service will parse it). gRPC C++ answers a request its generated handler cannot parse with
// UNIMPLEMENTED and no message, which tells the caller the method does not exist; the gateway
// checks first and names the real problem.
bool ParsesAs(const google::protobuf::Descriptor& type, const grpc::ByteBuffer& request) {
  std::unique_ptr<google::protobuf::Message> message(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(&type)->New());
  grpc::ByteBuffer slices(request);  // shares the slices; the reader needs a mutable buffer
  grpc::ProtoBufferReader reader(&slices);
  return message->ParseFromZeroCopyStream(&reader);
}

}  // namespace

// One forwarded call: admit the caller, read the request, forward it, relay the response
// (unary) or each response as it arrives (server streaming), then the status.
//
// Every operation it starts carries one of its Steps as the completion-queue tag, and all of
// them complete on its queue's one thread, so the call needs no lock. It deletes itself once
// no operation is outstanding (Run), which also covers the gRPC done-notification that comes
// whenever an accepted call ends, finished or cancelled.
class ForwardedCall {
 public:
  // Waits for the next caller on `queue`.
  static void Accept(Forwarder& forwarder, grpc::ServerCompletionQueue* queue, LiveCalls* live) {
    new ForwardedCall(forwarder, queue, live);
  }

 private:
  using Handler = void (ForwardedCall::*)(bool ok);
  // The tag of one operation of the call.
  class Step final : public QueueTag {
   public:
    Step(ForwardedCall* call, Handler handler) : call_(call), handler_(handler) {}
    void OnCompleted(bool ok) override {
      ForwardedCall* call = call_;
      --call->pending_;
      (call->*handler_)(ok);
      if (call->pending_ == 0) delete call;
    }

   private:
    ForwardedCall* call_;
    Handler handler_;
  };

  ForwardedCall(Forwarder& forwarder, grpc::ServerCompletionQueue* queue, LiveCalls* live)
      : token_(live), live_(live), forwarder_(forwarder), queue_(queue), stream_(&context_) {
    context_.AsyncNotifyWhenDone(AsTag(&done_));  // counted once the call is accepted
    forwarder_.service_.RequestCall(&context_, &stream_, queue_, queue_, Begin(accepted_));
  }

  // The tag of an operation about to start.
  void* Begin(Step& step) {
    ++pending_;
    return AsTag(&step);
  }

  void OnAccepted(bool ok) {
    if (!ok) return;  // shutting down; no done-notification comes for a call never accepted
    ++pending_;       // the done-notification
    Accept(forwarder_, queue_, live_);
    observation_.emplace(forwarder_.metrics_, context_.method());
    const absl::Status admitted = Admit();
    observation_->set_request_id(caller_.request_id);
    if (!admitted.ok()) {
      Complete(ToGrpcStatus(admitted));
      return;
    }
    stream_.Read(&request_, Begin(read_));
  }

  // The caller left, its deadline passed or the server is draining: stop the upstream call.
  void OnDone(bool) {
    if (context_.IsCancelled()) {
      cancelled_ = true;
      upstream_.TryCancel();
    }
  }

  void OnReadDone(bool ok) {
    if (!ok) {
      Complete(Cancelled()
                   ? grpc::Status(grpc::StatusCode::CANCELLED, "cancelled")
                   : grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
      return;
    }
    const google::protobuf::Descriptor& type = *route_.method->input_type();
    if (!ParsesAs(type, request_)) {
      Complete(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "request is not a valid " + type.full_name() + " message"));
      return;
    }
    if (route_.method->server_streaming()) {
      ForwardStream();
    } else {
      ForwardUnary();
    }
  }

  // Method names are public (the protos), so an unknown method is UNIMPLEMENTED before the
  // caller's credentials are looked at.
  absl::Status Admit() {
    const std::string& method = context_.method();
    auto route = forwarder_.routes_.find(method);
    if (route == forwarder_.routes_.end()) return absl::UnimplementedError("unknown method");
    if (route->second.method->client_streaming()) {
      return absl::UnimplementedError("client-streaming methods are not served by the gateway");
    }
    route_ = route->second;
    // Shedding comes before authentication so that refusing costs as little as possible.
    if (InFlightLimit* limit = forwarder_.options_.in_flight_limit;
        limit != nullptr && !route_.method->server_streaming()) {
      absl::StatusOr<InFlightLimit::Slot> slot =
          limit->Acquire(context_.deadline(), std::chrono::system_clock::now());
      if (!slot.ok()) return slot.status();
      slot_ = *std::move(slot);
    }
    absl::StatusOr<Caller> caller =
        forwarder_.admission_.Admit(context_.client_metadata(), method, absl::Now());
    if (!caller.ok()) return caller.status();
    caller_ = *std::move(caller);
    return absl::OkStatus();
  }

  // Sets what every forwarded call carries: the deadline, the caller's identity signed for
  // this method (valid until `identity_expires`), the request id both ways.
  void PrepareUpstream(std::chrono::system_clock::time_point deadline,
                       std::chrono::system_clock::time_point identity_expires) {
    upstream_.set_deadline(deadline);
    const SignedIdentity identity =
        SignIdentity(caller_.principal, context_.method(), forwarder_.options_.identity_key,
                     absl::FromChrono(identity_expires));
    upstream_.AddMetadata(kIdentityHeader, identity.payload);
    upstream_.AddMetadata(kIdentitySignatureHeader, identity.signature);
    upstream_.AddMetadata(kRequestIdHeader, caller_.request_id);
    context_.AddInitialMetadata(kRequestIdHeader, caller_.request_id);
    client_observation_.emplace(forwarder_.client_metrics_, context_.method());
  }

  void ForwardUnary() {
    const auto deadline =
        ForwardDeadline(context_.deadline(), std::chrono::system_clock::now(), forwarder_.options_);
    PrepareUpstream(deadline, deadline);
    upstream_unary_ =
        route_.stub->PrepareUnaryCall(&upstream_, context_.method(), request_, queue_);
    upstream_unary_->StartCall();
    upstream_unary_->Finish(&response_, &upstream_status_, Begin(upstream_unary_done_));
  }

  // The metrics are recorded before the answer goes out, so that a caller that has its
  // answer also finds it counted.
  void OnUpstreamUnaryDone(bool) {
    client_observation_->Finish(upstream_status_);
    if (!upstream_status_.ok()) {
      Complete(ForCaller(upstream_status_));
      return;
    }
    observation_->Finish(upstream_status_);
    stream_.WriteAndFinish(response_, grpc::WriteOptions(), grpc::Status::OK, Begin(finished_));
  }

  // A server-streaming method is a bidi call on the wire that writes the one request and
  // then only reads. The next upstream message is read only once the caller's transport took
  // the previous one: a slow caller slows the upstream instead of filling the gateway's
  // memory.
  void ForwardStream() {
    const auto now = std::chrono::system_clock::now();
    const auto deadline = ForwardStreamDeadline(context_.deadline(), now, forwarder_.options_);
    // The upstream verifies the identity when the stream starts; a unary-length expiry keeps
    // captured metadata from being replayable for the stream's whole deadline.
    PrepareUpstream(
        deadline,
        std::min(deadline, now + absl::ToChronoNanoseconds(forwarder_.options_.default_deadline)));
    upstream_stream_ = route_.stub->PrepareCall(&upstream_, context_.method(), queue_);
    upstream_stream_->StartCall(Begin(upstream_started_));
  }

  void OnUpstreamStarted(bool ok) {
    if (!ok) {
      FinishUpstream();
      return;
    }
    upstream_stream_->WriteLast(request_, grpc::WriteOptions(), Begin(upstream_written_));
  }

  void OnUpstreamWritten(bool ok) {
    if (!ok) {
      FinishUpstream();
      return;
    }
    upstream_stream_->Read(&response_, Begin(upstream_read_));
  }

  void OnUpstreamRead(bool ok) {
    if (!ok) {
      FinishUpstream();  // the stream ended; fetch its status
      return;
    }
    stream_.Write(response_, Begin(written_));
  }

  void OnWritten(bool ok) {
    if (!ok) {
      upstream_.TryCancel();  // the caller is gone; no more reads
      FinishUpstream();
      return;
    }
    upstream_stream_->Read(&response_, Begin(upstream_read_));
  }

  void FinishUpstream() {
    upstream_stream_->Finish(&upstream_status_, Begin(upstream_stream_done_));
  }

  void OnUpstreamStreamDone(bool) {
    client_observation_->Finish(upstream_status_);
    Complete(ForCaller(upstream_status_));
  }

  bool Cancelled() { return cancelled_ || context_.IsCancelled(); }

  // What the caller sees of the upstream's status: sanitised (ForClient), except that a
  // cancellation the caller caused (it left, its deadline passed, the gateway is draining) is
  // expected and not logged as an upstream failure.
  grpc::Status ForCaller(const grpc::Status& upstream) {
    if (upstream.error_code() == grpc::StatusCode::CANCELLED && Cancelled()) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    }
    return ForClient(upstream, caller_.request_id);
  }

  void Complete(const grpc::Status& status) {
    observation_->Finish(status);
    stream_.Finish(status, Begin(finished_));
  }

  void OnFinished(bool) {}

  LiveCalls::Token token_;
  LiveCalls* live_;
  Forwarder& forwarder_;
  grpc::ServerCompletionQueue* queue_;
  grpc::GenericServerContext context_;
  grpc::GenericServerAsyncReaderWriter stream_;
  std::optional<CallObservation> observation_;               // once accepted
  std::optional<ClientCallObservation> client_observation_;  // once forwarded
  Caller caller_;
  Forwarder::Route route_;
  InFlightLimit::Slot slot_;  // held until the call is deleted
  grpc::ClientContext upstream_;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> upstream_unary_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> upstream_stream_;
  grpc::Status upstream_status_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  bool cancelled_ = false;
  int pending_ = 0;  // operations started and not yet completed

  Step accepted_{this, &ForwardedCall::OnAccepted};
  Step done_{this, &ForwardedCall::OnDone};
  Step read_{this, &ForwardedCall::OnReadDone};
  Step upstream_unary_done_{this, &ForwardedCall::OnUpstreamUnaryDone};
  Step upstream_started_{this, &ForwardedCall::OnUpstreamStarted};
  Step upstream_written_{this, &ForwardedCall::OnUpstreamWritten};
  Step upstream_read_{this, &ForwardedCall::OnUpstreamRead};
  Step written_{this, &ForwardedCall::OnWritten};
  Step upstream_stream_done_{this, &ForwardedCall::OnUpstreamStreamDone};
  Step finished_{this, &ForwardedCall::OnFinished};
};

std::chrono::system_clock::time_point ForwardDeadline(
    std::chrono::system_clock::time_point requested, std::chrono::system_clock::time_point now,
    const ForwarderOptions& options) {
  if (requested == std::chrono::system_clock::time_point::max()) {
    return now + absl::ToChronoNanoseconds(options.default_deadline);
  }
  return std::min(requested, now + absl::ToChronoNanoseconds(options.max_deadline));
}

std::chrono::system_clock::time_point ForwardStreamDeadline(
    std::chrono::system_clock::time_point requested, std::chrono::system_clock::time_point now,
    const ForwarderOptions& options) {
  return std::min(requested, now + absl::ToChronoNanoseconds(options.max_stream_deadline));
}

void Forwarder::AddRoute(const google::protobuf::ServiceDescriptor& service,
                         std::shared_ptr<grpc::ChannelInterface> channel) {
  stubs_.push_back(std::make_unique<grpc::GenericStub>(std::move(channel)));
  for (int i = 0; i < service.method_count(); ++i) {
    const google::protobuf::MethodDescriptor* method = service.method(i);
    routes_["/" + service.full_name() + "/" + method->name()] = Route{stubs_.back().get(), method};
  }
}

void Forwarder::Register(grpc::ServerBuilder& builder) {
  builder.RegisterAsyncGenericService(&service_);
}

// A few calls wait for callers on each queue, so that a burst is matched at once.
void Forwarder::Start(grpc::ServerCompletionQueue* queue, LiveCalls* live) {
  constexpr int kWaitingCalls = 8;
  for (int i = 0; i < kWaitingCalls; ++i) ForwardedCall::Accept(*this, queue, live);
}

}  // namespace kam::gateway
