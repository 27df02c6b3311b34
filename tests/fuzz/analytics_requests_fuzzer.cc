// Every method of kam.analytics.v1.AnalyticsService as kam-analytics serves it: fuzzed
// request bytes through gRPC's decoding, the identity check, and each handler's request
// checks (periods, filters, inventory and targets, page tokens) and access rules
// (service_harness.h; the database and accounts refuse, so a request that passes them all
// ends as UNAVAILABLE).
//
// Input: "<method name>\n<caller byte><serialized request>" (corpus made by make_corpus.sh).
#include <cstddef>
#include <cstdint>

#include "services/analytics/service.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/service_harness.h"

namespace {

kam::fuzz::ServiceHarness& Harness() {
  namespace analytics = kam::analytics;
  static auto* harness = [] {
    auto* h = new kam::fuzz::ServiceHarness(analytics::v1::AnalyticsService::service_full_name());
    analytics::AnalyticsConfig config;
    if (!absl::LoadTimeZone("Asia/Shanghai", &config.zone)) {
      kam::fuzz::Fail("no time zone data for Asia/Shanghai");
    }
    auto* projection = new analytics::Projection(h->pool(), config, &h->registry());
    auto* inputs = new analytics::InputsStore(h->pool());
    auto* sales = new analytics::SalesAnalyses(h->pool(), projection->config());
    auto* scorer = new analytics::Scorer(h->pool(), projection->config());
    auto* kpis = new analytics::KpiAnalyses(h->pool(), projection->config());
    auto* writer = analytics::MakeGrpcTierWriter(
                       grpc::CreateChannel(h->refusing_address(), grpc::InsecureChannelCredentials()),
                       "fuzz-identity-key-of-at-least-32-bytes")
                       .release();
    auto* reviews =
        new analytics::TierReviews(h->pool(), *sales, *scorer, *projection, *writer, nullptr);
    auto* service = new analytics::AnalyticsServiceImpl(
        {projection, inputs, sales, scorer, kpis, reviews}, h->handler());
    h->Start(service);
    return h;
  }();
  return *harness;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Harness();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Harness().Call(kam::fuzz::AsText(data, size));
  return 0;
}
