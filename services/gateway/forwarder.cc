#include "services/gateway/forwarder.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/time/clock.h"
#include "services/common/call_observer.h"
#include "services/common/identity.h"
#include "services/common/log.h"
#include "services/common/status.h"
#include "services/gateway/auth.h"

namespace kam::gateway {
namespace {

const google::protobuf::MethodDescriptor* FindMethod(const std::string& full_method) {
  auto [service, method] = SplitFullMethod(full_method);
  const auto* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  return descriptor ? descriptor->FindMethodByName(method) : nullptr;
}

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

}  // namespace

// One forwarded call. Unary only for now: read one request, forward it, relay the answer.
class ForwardedCall final : public grpc::ServerGenericBidiReactor {
 public:
  ForwardedCall(const Forwarder& forwarder, grpc::GenericCallbackServerContext* context)
      : forwarder_(forwarder),
        context_(context),
        observation_(forwarder.metrics_, context->method()) {
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
      Complete(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
      return;
    }
    const auto deadline = ForwardDeadline(context_->deadline(), std::chrono::system_clock::now(),
                                          forwarder_.options_);
    upstream_.set_deadline(deadline);
    const SignedIdentity identity =
        SignIdentity(caller_.principal, context_->method(), forwarder_.options_.identity_key,
                     absl::FromChrono(deadline));
    upstream_.AddMetadata(kIdentityHeader, identity.payload);
    upstream_.AddMetadata(kIdentitySignatureHeader, identity.signature);
    upstream_.AddMetadata(kRequestIdHeader, caller_.request_id);
    context_->AddInitialMetadata(kRequestIdHeader, caller_.request_id);
    stub_->UnaryCall(&upstream_, context_->method(), grpc::StubOptions(), &request_, &response_,
                     [this](const grpc::Status& status) { OnUpstreamDone(status); });
  }

  void OnWriteDone(bool /*ok*/) override {}
  void OnCancel() override { upstream_.TryCancel(); }
  void OnDone() override { delete this; }

 private:
  absl::Status Admit() {
    absl::StatusOr<Caller> caller =
        Authenticate(context_->client_metadata(), forwarder_.options_.verifier, absl::Now());
    if (!caller.ok()) return caller.status();
    caller_ = *std::move(caller);
    const std::string& method = context_->method();
    const auto* descriptor = FindMethod(method);
    auto route = forwarder_.routes_.find(SplitFullMethod(method).first);
    if (!descriptor || route == forwarder_.routes_.end()) {
      return absl::UnimplementedError("unknown method");
    }
    if (descriptor->client_streaming() || descriptor->server_streaming()) {
      return absl::UnimplementedError("streaming methods are not served by the gateway yet");
    }
    stub_ = route->second.get();
    return forwarder_.policy_.Check(method, caller_.principal);
  }

  void OnUpstreamDone(const grpc::Status& status) {
    if (!status.ok()) {
      Complete(ForClient(status, caller_.request_id));
      return;
    }
    observation_.Finish(status);
    StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
  }

  void Complete(const grpc::Status& status) {
    observation_.Finish(status);
    Finish(status);
  }

  const Forwarder& forwarder_;
  grpc::GenericCallbackServerContext* context_;
  CallObservation observation_;
  Caller caller_;
  grpc::GenericStub* stub_ = nullptr;
  grpc::ClientContext upstream_;
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

void Forwarder::AddRoute(const std::string& service_full_name, const std::string& address) {
  grpc::ChannelArguments args;
  args.SetLoadBalancingPolicyName("round_robin");
  auto channel =
      grpc::CreateCustomChannel("dns:///" + address, grpc::InsecureChannelCredentials(), args);
  routes_[service_full_name] = std::make_unique<grpc::GenericStub>(channel);
}

grpc::ServerGenericBidiReactor* Forwarder::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  return new ForwardedCall(*this, context);
}

}  // namespace kam::gateway
