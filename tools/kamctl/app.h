#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

namespace kam::kamctl {

// Parses the command line and runs the command given; returns the exit status (0 ok, 1 the
// call failed, 2 usage error). Calls go to `channel` when given (tests), else to the
// gateway at --addr.
int Run(int argc, const char* const* argv, std::shared_ptr<grpc::Channel> channel = nullptr);

}  // namespace kam::kamctl
