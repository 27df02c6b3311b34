// kam::HealthService, the grpc.health.v1 service every KAM server runs on its ServingQueues:
// what a prober (Check) and a watcher (Watch) see, over a real channel. And the queues'
// spin (RunQueue): a queue thread given one takes the next call without going to sleep.
#include "services/common/health_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/common/serving_queues.h"

namespace kam {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using std::chrono::milliseconds;
using std::chrono::system_clock;

// How often the thread named `name` in this process has gone to sleep so far (the kernel's
// count of its voluntary context switches).
long SleepsOfThread(const std::string& name) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::string comm;
    std::getline(std::ifstream(task.path() / "comm"), comm);
    if (comm != name) continue;
    std::ifstream status(task.path() / "status");
    for (std::string field; status >> field;) {
      long count = 0;
      if (field == "voluntary_ctxt_switches:" && status >> count) return count;
    }
  }
  ADD_FAILURE() << "no thread named " << name;
  return 0;
}

class HealthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    queues_.Add(&health_);
    queues_.set_spin(spin_);
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

  // The queue thread's sleeps per call over kCalls calls a millisecond apart: between two
  // calls it waits for the caller's next one (the gap keeps it waiting even when a busy
  // machine delays its own work until the next call is there).
  double QueueSleepsPerCall() {
    constexpr int kCalls = 200;
    HealthCheckResponse response;
    const long before = SleepsOfThread("kam-queue-0");
    for (int i = 0; i < kCalls; ++i) {
      if (!Check("", &response).ok()) ADD_FAILURE() << "Check failed";
      std::this_thread::sleep_for(milliseconds(1));
    }
    return static_cast<double>(SleepsOfThread("kam-queue-0") - before) / kCalls;
  }

  std::chrono::microseconds spin_{0};
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

TEST_F(HealthServiceTest, WithoutSpinTheQueueThreadSleepsBetweenCalls) {
  // The control for the next test: the count does see a thread that waits by sleeping.
  EXPECT_GE(QueueSleepsPerCall(), 0.9);
}

class SpinningQueueTest : public HealthServiceTest {
 protected:
  SpinningQueueTest() { spin_ = std::chrono::milliseconds(50); }
};

TEST_F(SpinningQueueTest, TheQueueThreadTakesTheNextCallWithoutSleeping) {
  // A stray sleep (a lock contended with another gRPC thread, a caller descheduled for longer
  // than the spin) is allowed; one per call is what spinning saves.
  EXPECT_LT(QueueSleepsPerCall(), 0.6);
  // And a spinning thread still ends with its queue, within the shutdown's grace.
  const auto stopping = std::chrono::steady_clock::now();
  server_->Shutdown(system_clock::now() + milliseconds(100));
  queues_.Stop();  // joins the queue thread
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(2));
}

}  // namespace
}  // namespace kam
