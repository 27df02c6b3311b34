// The files and settings the services parse at start-up and on reload: the gateway's
// policy.json (services/gateway/policy.*), the API keys file it re-reads while serving
// (auth_keys.*), complaints' sla_policy.json (complaints/sla.h) and accounts' stage
// probabilities setting (accounts/pipeline.h). A hostile or broken file must be refused
// with a message, never crash or hang a service.
//
// Input: a selector byte (which parser), then the text.
// Properties: refusals are INVALID_ARGUMENT with a message.
#include <google/protobuf/descriptor.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "kam/gateway/v1/gateway.grpc.pb.h"
#include "services/accounts/pipeline.h"
#include "services/complaints/sla.h"
#include "services/gateway/auth_keys.h"
#include "services/gateway/policy.h"
#include "tests/fuzz/fuzz_support.h"

namespace kam::fuzz {
namespace {

// The services the gateway's policy describes, as kam-gateway passes them.
const gateway::Policy::Services& PolicyServices() {
  static const auto* services = [] {
    const auto* pool = google::protobuf::DescriptorPool::generated_pool();
    return new gateway::Policy::Services{
        pool->FindServiceByName(accounts::v1::AccountService::service_full_name()),
        pool->FindServiceByName(complaints::v1::ComplaintService::service_full_name()),
        pool->FindServiceByName(analytics::v1::AnalyticsService::service_full_name()),
        pool->FindServiceByName(gateway::v1::GatewayService::service_full_name())};
  }();
  return *services;
}

void ExpectRefusedWithMessage(const absl::Status& status, std::string_view parser) {
  ExpectOkOr(status, absl::StatusCode::kInvalidArgument, parser);
  if (!status.ok() && status.message().empty()) Fail(std::string(parser) + ": no message");
}

}  // namespace
}  // namespace kam::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace kam::fuzz;
  QuietLogs();
  // The built-in files parse: otherwise every input below would only test the refusal path.
  if (!kam::gateway::Policy::Parse(kam::gateway::DefaultPolicyJson(), PolicyServices()).ok() ||
      !kam::complaints::ParseSlaPolicy(kam::complaints::DefaultSlaPolicyJson()).ok()) {
    Fail("a built-in policy does not parse");
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kam::fuzz;
  std::string_view input = AsText(data, size);
  switch (TakeByte(input) % 4) {
    case 0:
      ExpectRefusedWithMessage(kam::gateway::Policy::Parse(input, PolicyServices()).status(),
                               "Policy::Parse");
      break;
    case 1:
      ExpectRefusedWithMessage(kam::complaints::ParseSlaPolicy(input).status(), "ParseSlaPolicy");
      break;
    case 2:
      ExpectRefusedWithMessage(kam::gateway::ParseApiKeys(input, "api_keys.json").status(),
                               "ParseApiKeys");
      break;
    default:
      ExpectRefusedWithMessage(kam::accounts::ParseStageProbabilities(input).status(),
                               "ParseStageProbabilities");
  }
  return 0;
}
