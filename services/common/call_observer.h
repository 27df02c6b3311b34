#pragma once

#include <google/protobuf/descriptor.h>
#include <grpcpp/support/status.h>

#include <array>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Counter;
class Histogram;
}  // namespace prometheus

namespace kam {

// grpc_type label for a method: "unary", "client_stream", "server_stream", "bidi_stream".
std::string_view GrpcTypeLabel(const google::protobuf::MethodDescriptor& method);

// Splits "/kam.accounts.v1.AccountService/GetAccount" into service and method.
std::pair<std::string, std::string> SplitFullMethod(std::string_view full_method);

// The series of one method, resolved once so that a call only increments counters.
struct MethodSeries {
  prometheus::Counter* started = nullptr;
  std::array<prometheus::Counter*, 17> handled{};  // by grpc::StatusCode
  prometheus::Histogram* handling_seconds = nullptr;
};

// Which end of a call a metrics family describes.
enum class GrpcSide { kServer, kClient };

// The standard grpc_server_* family (as go-grpc-prometheus names it), or with kClient the
// grpc_client_* family the gateway records per backend method. Label values come from
// compiled descriptors only: a caller inventing method names cannot mint series.
class GrpcServerMetrics {
 public:
  explicit GrpcServerMetrics(prometheus::Registry& registry, GrpcSide side = GrpcSide::kServer);

  // Creates every series of `service` at zero (all codes for handled_total), so dashboards
  // and rate() see a method before its first call. Call before serving.
  void PreCreate(const google::protobuf::ServiceDescriptor& service);

  // The series of `full_method`, or the shared "unknown" series for anything not pre-created.
  const MethodSeries& Series(std::string_view full_method) const;

 private:
  MethodSeries Create(const std::string& type, const std::string& service,
                      const std::string& method);

  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
  absl::flat_hash_map<std::string, MethodSeries> series_;
  MethodSeries unknown_;
};

// Observes one call from start to status: counts it, times it and writes one access-log
// line with the request id, method, code and duration. (Done here rather than in a gRPC
// interceptor: interception hooks cost about a third of the throughput of a unary call.)
class CallObservation {
 public:
  CallObservation(const GrpcServerMetrics& metrics, std::string_view full_method);

  void set_request_id(std::string request_id) { request_id_ = std::move(request_id); }
  // Records the outcome; later calls do nothing.
  void Finish(const grpc::Status& status);

 private:
  const MethodSeries& series_;
  std::string_view method_;
  std::string request_id_;
  std::chrono::steady_clock::time_point start_;
  bool finished_ = false;
};

// The gateway's calls to its backends: grpc_client_started_total, grpc_client_handled_total
// and grpc_client_handling_seconds with the standard labels.
using GrpcClientMetrics = GrpcServerMetrics;

// Counts and times one call the gateway makes to a backend (no log line: the server side of
// the same call logs it).
class ClientCallObservation {
 public:
  ClientCallObservation(const GrpcClientMetrics& metrics, std::string_view full_method);
  // Records the outcome; later calls do nothing.
  void Finish(const grpc::Status& status);

 private:
  const MethodSeries& series_;
  std::chrono::steady_clock::time_point start_;
  bool finished_ = false;
};

}  // namespace kam
