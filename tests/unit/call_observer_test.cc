#include "services/common/call_observer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "kam/accounts/v1/accounts.grpc.pb.h"

namespace kam {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const google::protobuf::ServiceDescriptor& AccountService() {
  return *google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      accounts::v1::AccountService::service_full_name());
}

std::string Scrape(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

TEST(SplitFullMethod, SplitsServiceAndMethod) {
  EXPECT_EQ(
      SplitFullMethod("/kam.accounts.v1.AccountService/GetAccount"),
      std::make_pair(std::string("kam.accounts.v1.AccountService"), std::string("GetAccount")));
  EXPECT_EQ(SplitFullMethod("garbage").second, "");
}

TEST(GrpcTypeLabel, LabelsUnaryAndServerStreamingMethods) {
  EXPECT_EQ(GrpcTypeLabel(*AccountService().FindMethodByName("ListAccounts")), "unary");
  EXPECT_EQ(GrpcTypeLabel(*AccountService().FindMethodByName("WatchEvents")), "server_stream");
}

TEST(GrpcServerMetrics, PreCreatesEveryMethodAndCodeAtZero) {
  prometheus::Registry registry;
  GrpcServerMetrics metrics(registry);
  metrics.PreCreate(AccountService());
  const std::string text = Scrape(registry);
  for (int i = 0; i < AccountService().method_count(); ++i) {
    const google::protobuf::MethodDescriptor& descriptor = *AccountService().method(i);
    const std::string method = descriptor.name();
    // Checked per line so that a failure prints one line, not the whole scrape.
    const std::string series =
        "grpc_server_handled_total{grpc_code=\"Unavailable\",grpc_method=\"" + method +
        "\",grpc_service=\"kam.accounts.v1.AccountService\",grpc_type=\"" +
        std::string(GrpcTypeLabel(descriptor)) + "\"} 0";
    EXPECT_NE(text.find(series), std::string::npos) << series;
    const std::string started = "grpc_server_started_total{grpc_method=\"" + method + "\"";
    EXPECT_NE(text.find(started), std::string::npos) << started;
  }
}

TEST(CallObservation, CountsHandledCallsWithCamelCaseCode) {
  prometheus::Registry registry;
  GrpcServerMetrics metrics(registry);
  metrics.PreCreate(AccountService());
  CallObservation call(metrics, "/kam.accounts.v1.AccountService/GetAccount");
  call.Finish(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "no"));
  call.Finish(grpc::Status::OK);  // a second outcome for the same call is ignored
  const std::string text = Scrape(registry);
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{grpc_code=\"PermissionDenied\","
                              "grpc_method=\"GetAccount\",grpc_service=\"kam.accounts.v1."
                              "AccountService\",grpc_type=\"unary\"} 1"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handling_seconds_count{grpc_method=\"GetAccount\","
                              "grpc_service=\"kam.accounts.v1.AccountService\","
                              "grpc_type=\"unary\"} 1"));
  EXPECT_THAT(text,
              HasSubstr("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"GetAccount\","
                        "grpc_service=\"kam.accounts.v1.AccountService\","
                        "grpc_type=\"unary\"} 0"));
}

TEST(CallObservation, InventedMethodNamesCannotMintSeries) {
  prometheus::Registry registry;
  GrpcServerMetrics metrics(registry);
  metrics.PreCreate(AccountService());
  for (const char* method : {"/evil.Service/Method1", "/evil.Service/Method2"}) {
    CallObservation(metrics, method).Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, ""));
  }
  const std::string text = Scrape(registry);
  EXPECT_THAT(text, Not(HasSubstr("evil")));
  EXPECT_THAT(text, HasSubstr("grpc_method=\"unknown\",grpc_service=\"unknown\""));
  EXPECT_THAT(text, HasSubstr("grpc_code=\"Unimplemented\",grpc_method=\"unknown\","
                              "grpc_service=\"unknown\",grpc_type=\"unary\"} 2"));
}

}  // namespace
}  // namespace kam
