#include "tools/kamctl/health_command.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tools/kamctl/output.h"

namespace kam::kamctl {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// One check; SERVING, NOT_SERVING, ... or the error of a call that failed.
std::pair<bool, std::string> Check(grpc::health::v1::Health::Stub& stub, const Options& options,
                                   const std::string& service) {
  grpc::ClientContext context;
  // No token: health answers anyone, as the probes of Kubernetes call it.
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::duration<double>(options.timeout_seconds)));
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  const grpc::Status status = stub.Check(&context, request, &response);
  if (!status.ok()) {
    return {false, "error: " + absl::StatusCodeToString(
                                   static_cast<absl::StatusCode>(status.error_code()))};
  }
  return {response.status() == HealthCheckResponse::SERVING,
          HealthCheckResponse::ServingStatus_Name(response.status())};
}

int RunHealth(const Options& options) {
  auto stub = grpc::health::v1::Health::NewStub(Connect(options));
  // "" is readiness (follows the database), "liveness" is the process itself.
  const auto [ready, readiness] = Check(*stub, options, "");
  const auto [live, liveness] = Check(*stub, options, "liveness");
  PrintFields({{"address", options.addr}, {"readiness", readiness}, {"liveness", liveness}});
  return ready && live ? kExitOk : kExitRpcError;
}

}  // namespace

void AddHealthCommand(CLI::App& app, const Options& options, Action* action) {
  CLI::App* command = app.add_subcommand(
      "health",
      "Readiness and liveness of the service at --addr (any service's gRPC port); exit 1 "
      "unless both are SERVING");
  command->callback([&options, action] { *action = [&options] { return RunHealth(options); }; });
}

}  // namespace kam::kamctl
