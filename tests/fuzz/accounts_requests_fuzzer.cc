// Every method of kam.accounts.v1.AccountService as kam-accounts serves it: fuzzed request
// bytes through gRPC's decoding, the identity check, and each handler's request checks and
// access rules (service_harness.h; the database refuses, so a request that passes them all
// ends as UNAVAILABLE).
//
// Input: "<method name>\n<caller byte><serialized request>" (corpus made by make_corpus.sh).
#include <cstddef>
#include <cstdint>

#include "services/accounts/commerce_store.h"
#include "services/accounts/engagement_store.h"
#include "services/accounts/pipeline_store.h"
#include "services/accounts/service.h"
#include "services/accounts/store.h"
#include "services/common/event_store.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/service_harness.h"

namespace {

kam::fuzz::ServiceHarness& Harness() {
  namespace accounts = kam::accounts;
  static auto* harness = [] {
    auto* h = new kam::fuzz::ServiceHarness(accounts::v1::AccountService::service_full_name());
    auto* account_store = new accounts::AccountStore(h->pool());
    auto* engagement = new accounts::EngagementStore(h->pool());
    auto* pipeline = new accounts::PipelineStore(h->pool(), accounts::StageProbabilities());
    auto* commerce = new accounts::CommerceStore(h->pool());
    auto* events = new kam::EventStore(h->pool(), {}, &h->registry());
    auto* service = new accounts::AccountServiceImpl(
        {account_store, engagement, pipeline, commerce, events}, h->handler());
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
