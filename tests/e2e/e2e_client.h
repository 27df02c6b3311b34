#pragma once

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace kam::e2e {

// Every RPC a test makes carries this deadline, so a hung service fails a test, not the run.
inline constexpr absl::Duration kRpcDeadline = absl::Seconds(5);

using Metadata = std::vector<std::pair<std::string, std::string>>;
using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

// One client of one endpoint (the gateway, or a service reached directly): every call
// carries the same metadata (a bearer token, an identity, or nothing) and kRpcDeadline.
class Caller {
 public:
  Caller(const std::string& address, Metadata metadata);

  // Calls `method` of any generated stub, e.g. Call(&AccountService::Stub::GetAccount, ...).
  template <typename Stub, typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response = nullptr) const {
    grpc::ClientContext context;
    Prepare(&context);
    Response ignored;
    Stub stub(channel_);
    return (stub.*method)(&context, request, response != nullptr ? response : &ignored);
  }

  // For tests that need the context itself: adds the metadata and the deadline.
  void Prepare(grpc::ClientContext* context) const;
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  Metadata metadata_;
};

// grpc.health.v1.Health/Check of `service` ("" is readiness) with a 1 s deadline;
// UNKNOWN when the call itself fails.
ServingStatus HealthStatus(const std::string& address, const std::string& service);

// Polls `condition` every 100 ms until it holds (true) or `timeout` passes (false).
bool Eventually(const std::function<bool()>& condition, absl::Duration timeout);

// The value of the sample of metric `name` whose labels include all of `labels`, from a
// Prometheus text exposition; nullopt when there is no such sample.
std::optional<double> MetricValue(const std::string& exposition, const std::string& name,
                                  const std::map<std::string, std::string>& labels);

std::string CodeName(grpc::StatusCode code);

MATCHER(GrpcOk, negation ? "is not OK" : "is OK") { return arg.ok(); }

// The status has `code` and its message contains `substring` (e.g. the offending field).
MATCHER_P2(GrpcError, code, substring,
           std::string(negation ? "is not " : "is ") + CodeName(code) + " mentioning \"" +
               substring + "\"") {
  return arg.error_code() == code && arg.error_message().find(substring) != std::string::npos;
}

}  // namespace kam::e2e

namespace grpc {
// Lets GoogleTest print a status in failure messages instead of its bytes.
inline void PrintTo(const Status& status, std::ostream* os) {
  *os << kam::e2e::CodeName(status.error_code()) << ": " << status.error_message();
}
}  // namespace grpc
