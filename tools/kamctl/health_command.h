#pragma once

#include <CLI/CLI.hpp>

#include "tools/kamctl/client.h"

namespace kam::kamctl {

// `kamctl health`: the standard gRPC health check of the process at --addr (any of the four
// services, not only the gateway), readiness and liveness, as Kubernetes probes them.
void AddHealthCommand(CLI::App& app, const Options& options, Action* action);

}  // namespace kam::kamctl
