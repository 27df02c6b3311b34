// kam::HealthService, the grpc.health.v1 service every KAM server runs on its ServingQueues:
// what a prober (Check) and a watcher (Watch) see, over a real channel.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/common/health_service.h"
#include "services/common/serving_queues.h"

namespace kam {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using std::chrono::milliseconds;
using std::chrono::system_clock;

class HealthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    queues_.Add(&health_);
    queues_.Register(builder);
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    queues_.Start();
    stub_ = Health::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    server_->Shutdown(system_clock::now() + milliseconds(500));
    queues_.Stop();
  }

  grpc::Status Check(const std::string& service, HealthCheckResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(system_clock::now() + std::chrono::seconds(5));
    HealthCheckRequest request;
    request.set_service(service);
    return stub_->Check(&context, request, response);
  }

  HealthService health_;
  ServingQueues queues_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Health::Stub> stub_;
};

TEST_F(HealthServiceTest, CheckAnswersKnownServicesAndRefusesUnknownOnes) {
  HealthCheckResponse response;
  ASSERT_TRUE(Check("", &response).ok());  // the whole server starts SERVING
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);

  health_.SetServingStatus("kam.accounts.v1.AccountService", false);
  ASSERT_TRUE(Check("kam.accounts.v1.AccountService", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  health_.SetServingStatus("kam.accounts.v1.AccountService", true);
  ASSERT_TRUE(Check("kam.accounts.v1.AccountService", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);

  EXPECT_EQ(Check("no.such.Service", &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(HealthServiceTest, WatchSendsTheCurrentStatusThenEachChangeOnce) {
  grpc::ClientContext context;
  context.set_deadline(system_clock::now() + std::chrono::seconds(10));
  HealthCheckRequest request;
  request.set_service("readiness-of-x");
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> watch = stub_->Watch(&context, request);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVICE_UNKNOWN);

  health_.SetServingStatus("readiness-of-x", true);
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVING);

  // Setting the same status again (ServerRunner does every second) sends nothing: the next
  // message is the change.
  health_.SetServingStatus("readiness-of-x", true);
  health_.SetServingStatus("other", false);
  health_.SetServingStatus("readiness-of-x", false);
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);

  context.TryCancel();
  while (watch->Read(&update)) {
  }
  EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

// A watch still open when the server shuts down ends, and the queues drain.
TEST_F(HealthServiceTest, OpenWatchEndsAtShutdown) {
  grpc::ClientContext context;
  HealthCheckRequest request;
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> watch = stub_->Watch(&context, request);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVING);
  server_->Shutdown(system_clock::now() + milliseconds(100));
  queues_.Stop();
  EXPECT_FALSE(watch->Read(&update));
  EXPECT_FALSE(watch->Finish().ok());
}

}  // namespace
}  // namespace kam
