#include "services/gateway/forwarder.h"

#include <google/protobuf/message.h>
#include <grpcpp/support/client_callback.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <algorithm>
#include <atomic>
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
// service will parse it). gRPC C++ answers a request its callback handler cannot parse with
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

// One forwarded call: read the request, forward it, relay the response (unary) or each
// response as it arrives (server streaming), then the status.
//
// Lifetime: the object deletes itself when the server half is done (OnDone) and, for a
// stream, the upstream half too (UpstreamStream::OnDone), whichever comes last, so that no
// member is freed under a reaction still running.
class ForwardedCall final : public grpc::ServerGenericBidiReactor {
 public:
  ForwardedCall(const Forwarder& forwarder, grpc::GenericCallbackServerContext* context)
      : forwarder_(forwarder),
        context_(context),
        observation_(forwarder.metrics_, context->method()),
        upstream_stream_(this) {
    absl::Status admitted = Admit();
    observation_.set_request_id(caller_.request_id);
    if (!admitted.ok()) {
      Complete(ToGrpcStatus(admitted));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Complete(context_->IsCancelled()
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

  // Streams only: the caller's transport took the previous message, so fetch the next one.
  // Reading only now is the flow control: a slow caller slows the upstream instead of
  // filling the gateway's memory.
  void OnWriteDone(bool ok) override {
    if (ok) {
      upstream_stream_.StartRead(&response_);
      return;
    }
    upstream_.TryCancel();  // the caller is gone; no more reads
    upstream_stream_.RemoveHold();
  }

  void OnCancel() override { upstream_.TryCancel(); }
  void OnDone() override { Release(); }

 private:
  // The upstream half of a server-streaming call, a bidi call on the wire that writes the one
  // request and then only reads.
  class UpstreamStream final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
   public:
    explicit UpstreamStream(ForwardedCall* call) : call_(call) {}
    void OnReadDone(bool ok) override { call_->OnUpstreamMessage(ok); }
    void OnDone(const grpc::Status& status) override { call_->OnUpstreamStreamDone(status); }

   private:
    ForwardedCall* call_;
  };

  // Method names are public (the protos), so an unknown method is UNIMPLEMENTED before the
  // caller's credentials are looked at.
  absl::Status Admit() {
    const std::string& method = context_->method();
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
          limit->Acquire(context_->deadline(), std::chrono::system_clock::now());
      if (!slot.ok()) return slot.status();
      slot_ = *std::move(slot);
    }
    absl::StatusOr<Caller> caller =
        forwarder_.admission_.Admit(context_->client_metadata(), method, absl::Now());
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
        SignIdentity(caller_.principal, context_->method(), forwarder_.options_.identity_key,
                     absl::FromChrono(identity_expires));
    upstream_.AddMetadata(kIdentityHeader, identity.payload);
    upstream_.AddMetadata(kIdentitySignatureHeader, identity.signature);
    upstream_.AddMetadata(kRequestIdHeader, caller_.request_id);
    context_->AddInitialMetadata(kRequestIdHeader, caller_.request_id);
  }

  void ForwardUnary() {
    const auto deadline = ForwardDeadline(context_->deadline(), std::chrono::system_clock::now(),
                                          forwarder_.options_);
    PrepareUpstream(deadline, deadline);
    client_observation_.emplace(forwarder_.client_metrics_, context_->method());
    route_.stub->UnaryCall(&upstream_, context_->method(), grpc::StubOptions(), &request_,
                           &response_,
                           [this](const grpc::Status& status) { OnUpstreamDone(status); });
  }

  void OnUpstreamDone(const grpc::Status& status) {
    client_observation_->Finish(status);
    if (!status.ok()) {
      Complete(ForCaller(status));
      return;
    }
    observation_.Finish(status);
    StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
  }

  // Upstream reads are started from this reactor's OnWriteDone, outside the upstream's own
  // reactions, so a hold keeps the upstream from finishing until reading has stopped.
  void ForwardStream() {
    const auto now = std::chrono::system_clock::now();
    const auto deadline = ForwardStreamDeadline(context_->deadline(), now, forwarder_.options_);
    // The upstream verifies the identity when the stream starts; a unary-length expiry keeps
    // captured metadata from being replayable for the stream's whole deadline.
    PrepareUpstream(
        deadline,
        std::min(deadline, now + absl::ToChronoNanoseconds(forwarder_.options_.default_deadline)));
    halves_alive_.fetch_add(1, std::memory_order_relaxed);
    client_observation_.emplace(forwarder_.client_metrics_, context_->method());
    route_.stub->PrepareBidiStreamingCall(&upstream_, context_->method(), grpc::StubOptions(),
                                          &upstream_stream_);
    upstream_stream_.StartWriteLast(&request_, grpc::WriteOptions());
    upstream_stream_.StartRead(&response_);
    upstream_stream_.AddHold();
    upstream_stream_.StartCall();
  }

  void OnUpstreamMessage(bool ok) {
    if (ok) {
      StartWrite(&response_);
    } else {
      upstream_stream_.RemoveHold();  // the stream ended; its status follows in OnDone
    }
  }

  void OnUpstreamStreamDone(const grpc::Status& status) {
    client_observation_->Finish(status);
    Complete(ForCaller(status));
    Release();
  }

  // What the caller sees of the upstream's status: sanitised (ForClient), except that a
  // cancellation the caller caused (it left, its deadline passed, the gateway is draining) is
  // expected and not logged as an upstream failure.
  grpc::Status ForCaller(const grpc::Status& upstream) const {
    if (upstream.error_code() == grpc::StatusCode::CANCELLED && context_->IsCancelled()) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    }
    return ForClient(upstream, caller_.request_id);
  }

  void Complete(const grpc::Status& status) {
    observation_.Finish(status);
    Finish(status);
  }

  void Release() {
    if (halves_alive_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  const Forwarder& forwarder_;
  grpc::GenericCallbackServerContext* context_;
  CallObservation observation_;
  std::optional<ClientCallObservation> client_observation_;  // once forwarded
  Caller caller_;
  Forwarder::Route route_;
  InFlightLimit::Slot slot_;  // held until the call is deleted
  grpc::ClientContext upstream_;
  UpstreamStream upstream_stream_;
  std::atomic<int> halves_alive_{1};
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
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

grpc::ServerGenericBidiReactor* Forwarder::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  return new ForwardedCall(*this, context);
}

}  // namespace kam::gateway
