#include <gmock/gmock.h>
#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "services/gateway/upstream.h"

namespace kam::gateway {
namespace {

using ::nlohmann::json;

const google::protobuf::ServiceDescriptor& Service(const std::string& name) {
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
  EXPECT_NE(service, nullptr) << name;
  return *service;
}

// The methods the config gives a retry policy to, as "Service/Method".
std::set<std::string> Retried(const json& config) {
  std::set<std::string> methods;
  for (const json& entry : config.value("methodConfig", json::array())) {
    if (!entry.contains("retryPolicy")) continue;
    for (const json& name : entry.at("name")) {
      methods.insert(name.at("service").get<std::string>() + "/" +
                     name.at("method").get<std::string>());
    }
  }
  return methods;
}

class UpstreamConfigTest : public ::testing::TestWithParam<std::string> {};

TEST_P(UpstreamConfigTest, ExactlyTheReadsAreRetriedOnUnavailable) {
  const auto& service = Service(GetParam());
  const json config = json::parse(UpstreamServiceConfig(service));
  std::set<std::string> reads;
  for (int i = 0; i < service.method_count(); ++i) {
    const auto& method = *service.method(i);
    if (method.options().idempotency_level() == google::protobuf::MethodOptions::NO_SIDE_EFFECTS) {
      reads.insert(service.full_name() + "/" + method.name());
    }
  }
  ASSERT_FALSE(reads.empty());
  EXPECT_EQ(Retried(config), reads);
  for (const json& entry : config.at("methodConfig")) {
    const json& policy = entry.at("retryPolicy");
    EXPECT_EQ(policy.at("retryableStatusCodes"), json::array({"UNAVAILABLE"}));
    EXPECT_LE(policy.at("maxAttempts").get<int>(), 3);
    EXPECT_GE(policy.at("maxAttempts").get<int>(), 2);
  }
}

TEST_P(UpstreamConfigTest, RetriesAreThrottledAndReplicasBalanced) {
  const json config = json::parse(UpstreamServiceConfig(Service(GetParam())));
  EXPECT_GT(config.at("retryThrottling").at("maxTokens").get<double>(), 0);
  EXPECT_GT(config.at("retryThrottling").at("tokenRatio").get<double>(), 0);
  EXPECT_EQ(config.at("loadBalancingConfig"), json::parse(R"([{"round_robin": {}}])"));
}

INSTANTIATE_TEST_SUITE_P(
    Forwarded, UpstreamConfigTest,
    ::testing::Values(kam::accounts::v1::AccountService::service_full_name(),
                      kam::complaints::v1::ComplaintService::service_full_name(),
                      kam::analytics::v1::AnalyticsService::service_full_name()));

TEST(UpstreamConfigTest, WritesAreNeverRetried) {
  const json config = json::parse(
      UpstreamServiceConfig(Service(kam::accounts::v1::AccountService::service_full_name())));
  const std::set<std::string> retried = Retried(config);
  for (const char* write : {"CreateAccount", "UpdateAccount", "RecordPayment", "ImportOrders",
                            "TransferAccounts", "SetTier"}) {
    EXPECT_EQ(retried.count(std::string("kam.accounts.v1.AccountService/") + write), 0u) << write;
  }
  EXPECT_EQ(retried.count("kam.accounts.v1.AccountService/GetAccount"), 1u);
  EXPECT_EQ(retried.count("kam.accounts.v1.AccountService/ListAccounts"), 1u);
}

// A service without reads gets no method config at all (an empty name list is invalid).
TEST(UpstreamConfigTest, ServiceWithoutReadsHasNoMethodConfig) {
  google::protobuf::DescriptorPool pool;
  google::protobuf::FileDescriptorProto file;
  file.set_name("kam/test/writes.proto");
  file.set_package("kam.test");
  file.add_message_type()->set_name("M");
  auto* service = file.add_service();
  service->set_name("WriteOnly");
  auto* method = service->add_method();
  method->set_name("Put");
  method->set_input_type(".kam.test.M");
  method->set_output_type(".kam.test.M");
  const json config = json::parse(UpstreamServiceConfig(*pool.BuildFile(file)->service(0)));
  EXPECT_FALSE(config.contains("methodConfig"));
  EXPECT_TRUE(config.contains("retryThrottling"));
}

}  // namespace
}  // namespace kam::gateway
