// kam_client's helper against an AccountService double on loopback, through a real channel:
// what a caller of the kit notices (reads retried on UNAVAILABLE, writes never, the
// credentials and the deadline on every call).
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "kam/client/client.h"

namespace kam::client {
namespace {

namespace v1 = kam::accounts::v1;
using std::chrono::system_clock;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Fails the next `failures` calls of each method with UNAVAILABLE and records what came in.
class FlakyAccounts final : public v1::AccountService::Service {
 public:
  struct Seen {
    int list_attempts = 0;
    int create_attempts = 0;
    std::vector<std::string> authorization;
    std::vector<std::string> api_key;
    system_clock::time_point deadline;
  };

  explicit FlakyAccounts(int failures) : failures_(failures) {}

  grpc::Status ListAccounts(grpc::ServerContext* context, const v1::ListAccountsRequest*,
                            v1::ListAccountsResponse* response) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++seen_.list_attempts;
    Record(*context);
    if (seen_.list_attempts <= failures_) return Unavailable();
    response->add_accounts()->set_name("Northwind Logistics");
    return grpc::Status::OK;
  }

  grpc::Status CreateAccount(grpc::ServerContext* context, const v1::CreateAccountRequest*,
                             v1::CreateAccountResponse*) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++seen_.create_attempts;
    Record(*context);
    if (seen_.create_attempts <= failures_) return Unavailable();
    return grpc::Status::OK;
  }

  Seen seen() {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }

 private:
  static grpc::Status Unavailable() {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "gateway restarting");
  }
  void Record(const grpc::ServerContext& context) {
    seen_.authorization.clear();
    seen_.api_key.clear();
    for (const auto& [key, value] : context.client_metadata()) {
      const std::string text(value.data(), value.size());
      if (key == "authorization") seen_.authorization.push_back(text);
      if (key == "x-api-key") seen_.api_key.push_back(text);
    }
    seen_.deadline = context.deadline();
  }

  const int failures_;
  std::mutex mutex_;
  Seen seen_;
};

class ClientTest : public ::testing::Test {
 protected:
  // A double that fails the first `failures` calls of each method, and a Client for it.
  Client Start(int failures, ClientOptions options = {}) {
    service_ = std::make_unique<FlakyAccounts>(failures);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    options.target = "127.0.0.1:" + std::to_string(port);
    return Client(std::move(options));
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  std::unique_ptr<FlakyAccounts> service_;
  std::unique_ptr<grpc::Server> server_;
};

grpc::Status List(const Client& client, v1::ListAccountsResponse* response) {
  grpc::ClientContext context;
  client.Prepare(&context);
  return client.accounts().ListAccounts(&context, v1::ListAccountsRequest(), response);
}

TEST_F(ClientTest, AReadThatMeetsUnavailableIsTriedAgain) {
  const Client client = Start(/*failures=*/2);
  v1::ListAccountsResponse response;
  const grpc::Status status = List(client, &response);
  EXPECT_TRUE(status.ok()) << Describe(status);
  ASSERT_EQ(response.accounts_size(), 1);
  EXPECT_EQ(service_->seen().list_attempts, 3);
}

TEST_F(ClientTest, AReadGivesUpAfterThreeAttempts) {
  const Client client = Start(/*failures=*/5);
  v1::ListAccountsResponse response;
  EXPECT_EQ(List(client, &response).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(service_->seen().list_attempts, 3);
}

TEST_F(ClientTest, AWriteIsNeverRetried) {
  const Client client = Start(/*failures=*/1);
  grpc::ClientContext context;
  client.Prepare(&context);
  v1::CreateAccountResponse response;
  const grpc::Status status =
      client.accounts().CreateAccount(&context, v1::CreateAccountRequest(), &response);
  EXPECT_EQ(Describe(status), "UNAVAILABLE: gateway restarting");
  EXPECT_EQ(service_->seen().create_attempts, 1) << "a write may have been applied already";
}

TEST_F(ClientTest, EachCallCarriesTheTokenAndTheDefaultDeadline) {
  ClientOptions options;
  options.bearer_token = "header.payload.signature";
  options.api_key = "also-set";  // the gateway refuses both, so the token wins
  options.default_deadline = std::chrono::seconds(30);
  const Client client = Start(/*failures=*/0, options);
  const system_clock::time_point before = system_clock::now();
  v1::ListAccountsResponse response;
  ASSERT_TRUE(List(client, &response).ok());
  const FlakyAccounts::Seen seen = service_->seen();
  EXPECT_THAT(seen.authorization, ElementsAre("Bearer header.payload.signature"));
  EXPECT_THAT(seen.api_key, IsEmpty());
  EXPECT_GE(seen.deadline, before + std::chrono::seconds(29)) << "about 30 s from the call";
  EXPECT_LE(seen.deadline, system_clock::now() + std::chrono::seconds(35)) << "not unbounded";
}

TEST_F(ClientTest, AnApiKeyIsSentWhenThereIsNoToken) {
  ClientOptions options;
  options.api_key = "erp-key";
  const Client client = Start(/*failures=*/0, options);
  v1::ListAccountsResponse response;
  ASSERT_TRUE(List(client, &response).ok());
  EXPECT_THAT(service_->seen().api_key, ElementsAre("erp-key"));
  EXPECT_THAT(service_->seen().authorization, IsEmpty());
}

// The other services' reads get the same policy; their writes none.
TEST(RetryServiceConfigTest, NamesTheReadsOfEveryServiceAndNoWrite) {
  const std::string config = RetryServiceConfig();
  for (const char* read : {R"("kam.accounts.v1.AccountService","method":"GetAccount")",
                           R"("kam.complaints.v1.ComplaintService","method":"ListComplaints")",
                           R"("kam.analytics.v1.AnalyticsService","method":"GetTierReview")",
                           R"("kam.gateway.v1.GatewayService","method":"WhoAmI")"}) {
    EXPECT_THAT(config, HasSubstr(read));
  }
  EXPECT_THAT(config, Not(HasSubstr(R"("method":"CreateAccount")")));
  EXPECT_THAT(config, Not(HasSubstr(R"("method":"CreateComplaint")")));
}

TEST(DescribeTest, NamesTheCodeBeforeTheMessage) {
  EXPECT_EQ(Describe(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "token expired")),
            "UNAUTHENTICATED: token expired");
  EXPECT_EQ(Describe(grpc::Status::OK), "OK");
}

}  // namespace
}  // namespace kam::client
