#include "services/common/call_observer.h"

#include <chrono>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/strings/match.h"
#include "services/common/identity.h"
#include "services/common/log.h"
#include "services/common/status.h"

namespace kam {
namespace {

using grpc::experimental::InterceptionHookPoints;

constexpr grpc::StatusCode kAllCodes[] = {
    grpc::StatusCode::OK,           grpc::StatusCode::CANCELLED,
    grpc::StatusCode::UNKNOWN,      grpc::StatusCode::INVALID_ARGUMENT,
    grpc::StatusCode::DEADLINE_EXCEEDED, grpc::StatusCode::NOT_FOUND,
    grpc::StatusCode::ALREADY_EXISTS,    grpc::StatusCode::PERMISSION_DENIED,
    grpc::StatusCode::RESOURCE_EXHAUSTED, grpc::StatusCode::FAILED_PRECONDITION,
    grpc::StatusCode::ABORTED,      grpc::StatusCode::OUT_OF_RANGE,
    grpc::StatusCode::UNIMPLEMENTED, grpc::StatusCode::INTERNAL,
    grpc::StatusCode::UNAVAILABLE,  grpc::StatusCode::DATA_LOSS,
    grpc::StatusCode::UNAUTHENTICATED};

const google::protobuf::MethodDescriptor* FindMethod(std::string_view full_method) {
  auto [service, method] = SplitFullMethod(full_method);
  const auto* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  return descriptor ? descriptor->FindMethodByName(method) : nullptr;
}

// Label values come from compiled descriptors only: a caller inventing method names must
// not be able to mint new series.
prometheus::Labels MethodLabels(std::string_view full_method) {
  const auto* method = FindMethod(full_method);
  if (!method) {
    return {{"grpc_type", "unary"}, {"grpc_service", "unknown"}, {"grpc_method", "unknown"}};
  }
  return {{"grpc_type", std::string(GrpcTypeLabel(*method))},
          {"grpc_service", method->service()->full_name()},
          {"grpc_method", method->name()}};
}

prometheus::Labels WithCode(prometheus::Labels labels, grpc::StatusCode code) {
  labels["grpc_code"] = std::string(GrpcCodeName(code));
  return labels;
}

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *buckets;
}

class CallObserver : public grpc::experimental::Interceptor {
 public:
  CallObserver(GrpcServerMetrics* metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)), start_(std::chrono::steady_clock::now()) {
    metrics_->Started(method_);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      auto* metadata = methods->GetRecvInitialMetadata();
      if (auto it = metadata->find(kRequestIdHeader); it != metadata->end()) {
        request_id_.assign(it->second.data(), it->second.size());
      }
    }
    // The gateway assigns the id (when the caller sent none or an unusable one) and returns it
    // in the initial metadata: log the id the caller gets back.
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      auto* metadata = methods->GetSendInitialMetadata();
      if (auto it = metadata->find(kRequestIdHeader); it != metadata->end()) {
        request_id_ = it->second;
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Finished(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  void Finished(const grpc::Status& status) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    metrics_->Handled(method_, status.error_code(), seconds);
    if (status.ok() && absl::StartsWith(method_, "/grpc.health.v1.")) return;  // probe noise
    LogInfo("rpc", {{"method", method_},
                    {"code", GrpcCodeName(status.error_code())},
                    {"ms", seconds * 1000.0},
                    {"request_id", request_id_}});
  }

  GrpcServerMetrics* metrics_;
  std::string method_;
  std::string request_id_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

std::string_view GrpcTypeLabel(const google::protobuf::MethodDescriptor& method) {
  if (method.client_streaming() && method.server_streaming()) return "bidi_stream";
  if (method.client_streaming()) return "client_stream";
  if (method.server_streaming()) return "server_stream";
  return "unary";
}

std::pair<std::string, std::string> SplitFullMethod(std::string_view full_method) {
  if (!full_method.empty() && full_method.front() == '/') full_method.remove_prefix(1);
  const size_t slash = full_method.find('/');
  if (slash == std::string_view::npos) return {std::string(full_method), ""};
  return {std::string(full_method.substr(0, slash)), std::string(full_method.substr(slash + 1))};
}

GrpcServerMetrics::GrpcServerMetrics(prometheus::Registry& registry)
    : started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("Total number of RPCs started on the server.")
                   .Register(registry)),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("Total number of RPCs completed on the server, regardless of success "
                         "or failure.")
                   .Register(registry)),
      handling_seconds_(prometheus::BuildHistogram()
                            .Name("grpc_server_handling_seconds")
                            .Help("Histogram of response latency (seconds) of gRPC that had "
                                  "been application-level handled by the server.")
                            .Register(registry)) {}

void GrpcServerMetrics::PreCreate(const google::protobuf::ServiceDescriptor& service) {
  for (int i = 0; i < service.method_count(); ++i) {
    const std::string full_method = "/" + service.full_name() + "/" + service.method(i)->name();
    const prometheus::Labels labels = MethodLabels(full_method);
    started_.Add(labels);
    handling_seconds_.Add(labels, LatencyBuckets());
    for (grpc::StatusCode code : kAllCodes) handled_.Add(WithCode(labels, code));
  }
}

void GrpcServerMetrics::Started(std::string_view full_method) {
  started_.Add(MethodLabels(full_method)).Increment();
}

void GrpcServerMetrics::Handled(std::string_view full_method, grpc::StatusCode code,
                                double seconds) {
  const prometheus::Labels labels = MethodLabels(full_method);
  handled_.Add(WithCode(labels, code)).Increment();
  handling_seconds_.Add(labels, LatencyBuckets()).Observe(seconds);
}

grpc::experimental::Interceptor* CallObserverFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new CallObserver(metrics_, info->method());
}

}  // namespace kam
