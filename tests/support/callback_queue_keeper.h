#pragma once

// For test binaries that build and destroy callback-API gRPC servers and channels per test.
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <memory>

namespace kam::test_support {

// gRPC 1.51 shares one completion queue among the process's callback-API servers and
// channels and frees it when the last of them goes. Tests that each build and destroy all of
// theirs made that teardown race with calls still being released (ASan: double free in
// grpc_cq_internal_unref, about one run in four of a suite under load). A callback server
// living as long as the binary, as the gateway's own server does in production, keeps the
// queue. Register once per binary:
//   ::testing::AddGlobalTestEnvironment(new kam::test_support::CallbackQueueKeeper);
class CallbackQueueKeeper : public ::testing::Environment {
 public:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.RegisterCallbackGenericService(&unused_);
    server_ = builder.BuildAndStart();
  }
  void TearDown() override { server_->Shutdown(); }

 private:
  grpc::CallbackGenericService unused_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace kam::test_support
