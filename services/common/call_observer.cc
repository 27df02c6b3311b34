#include "services/common/call_observer.h"

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "services/common/log.h"
#include "services/common/status.h"

namespace kam {
namespace {

constexpr int kCodeCount = 17;

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *buckets;
}

// Counts the call under its code and observes its duration; returns the duration.
double RecordOutcome(const MethodSeries& series, std::chrono::steady_clock::time_point start,
                     const grpc::Status& status) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int code = static_cast<int>(status.error_code());
  series.handled[code >= 0 && code < kCodeCount ? code : 2 /* UNKNOWN */]->Increment();
  series.handling_seconds->Observe(seconds);
  return seconds;
}

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

GrpcServerMetrics::GrpcServerMetrics(prometheus::Registry& registry, GrpcSide side)
    : started_(prometheus::BuildCounter()
                   .Name(side == GrpcSide::kServer ? "grpc_server_started_total"
                                                   : "grpc_client_started_total")
                   .Help(side == GrpcSide::kServer ? "Total number of RPCs started on the server."
                                                   : "Total number of RPCs started on the client.")
                   .Register(registry)),
      handled_(prometheus::BuildCounter()
                   .Name(side == GrpcSide::kServer ? "grpc_server_handled_total"
                                                   : "grpc_client_handled_total")
                   .Help(side == GrpcSide::kServer
                             ? "Total number of RPCs completed on the server, regardless of "
                               "success or failure."
                             : "Total number of RPCs completed by the client, regardless of "
                               "success or failure.")
                   .Register(registry)),
      handling_seconds_(prometheus::BuildHistogram()
                            .Name(side == GrpcSide::kServer ? "grpc_server_handling_seconds"
                                                            : "grpc_client_handling_seconds")
                            .Help(side == GrpcSide::kServer
                                      ? "Histogram of response latency (seconds) of gRPC that "
                                        "had been application-level handled by the server."
                                      : "Histogram of response latency (seconds) of the gRPC "
                                        "until it is finished by the application.")
                            .Register(registry)),
      unknown_(Create("unary", "unknown", "unknown")) {}

MethodSeries GrpcServerMetrics::Create(const std::string& type, const std::string& service,
                                       const std::string& method) {
  const prometheus::Labels labels = {
      {"grpc_type", type}, {"grpc_service", service}, {"grpc_method", method}};
  MethodSeries series;
  series.started = &started_.Add(labels);
  series.handling_seconds = &handling_seconds_.Add(labels, LatencyBuckets());
  for (int code = 0; code < kCodeCount; ++code) {
    prometheus::Labels with_code = labels;
    with_code["grpc_code"] = std::string(GrpcCodeName(static_cast<grpc::StatusCode>(code)));
    series.handled[code] = &handled_.Add(with_code);
  }
  return series;
}

void GrpcServerMetrics::PreCreate(const google::protobuf::ServiceDescriptor& service) {
  for (int i = 0; i < service.method_count(); ++i) {
    const google::protobuf::MethodDescriptor& method = *service.method(i);
    series_["/" + service.full_name() + "/" + method.name()] =
        Create(std::string(GrpcTypeLabel(method)), service.full_name(), method.name());
  }
}

const MethodSeries& GrpcServerMetrics::Series(std::string_view full_method) const {
  auto it = series_.find(absl::string_view(full_method.data(), full_method.size()));
  return it == series_.end() ? unknown_ : it->second;
}

CallObservation::CallObservation(const GrpcServerMetrics& metrics, std::string_view full_method)
    : series_(metrics.Series(full_method)),
      method_(full_method),
      start_(std::chrono::steady_clock::now()) {
  series_.started->Increment();
}

void CallObservation::Finish(const grpc::Status& status) {
  if (finished_) return;
  finished_ = true;
  const double seconds = RecordOutcome(series_, start_, status);
  LogRpc(method_, GrpcCodeName(status.error_code()), seconds * 1000.0, request_id_);
}

ClientCallObservation::ClientCallObservation(const GrpcClientMetrics& metrics,
                                             std::string_view full_method)
    : series_(metrics.Series(full_method)), start_(std::chrono::steady_clock::now()) {
  series_.started->Increment();
}

void ClientCallObservation::Finish(const grpc::Status& status) {
  if (finished_) return;
  finished_ = true;
  RecordOutcome(series_, start_, status);
}

}  // namespace kam
