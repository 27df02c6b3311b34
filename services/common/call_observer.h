#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <google/protobuf/descriptor.h>
#include <grpcpp/support/server_interceptor.h>

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

// The standard grpc_server_* family (as go-grpc-prometheus names it).
class GrpcServerMetrics {
 public:
  explicit GrpcServerMetrics(prometheus::Registry& registry);

  // Creates every series of `service` at zero (all codes for handled_total), so dashboards
  // and rate() see a method before its first call.
  void PreCreate(const google::protobuf::ServiceDescriptor& service);

  void Started(std::string_view full_method);
  void Handled(std::string_view full_method, grpc::StatusCode code, double seconds);

 private:
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
};

// Server interceptor: counts and times every call and writes one access-log line with the
// request id, method, code and duration.
class CallObserverFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallObserverFactory(GrpcServerMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  GrpcServerMetrics* metrics_;
};

}  // namespace kam
