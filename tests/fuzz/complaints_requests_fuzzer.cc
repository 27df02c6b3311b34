// Every method of kam.complaints.v1.ComplaintService as kam-complaints serves it: fuzzed
// request bytes through gRPC's decoding, the identity check, and each handler's request
// checks and access rules (service_harness.h; the database refuses, so a request that passes
// them all ends as UNAVAILABLE).
//
// Input: "<method name>\n<caller byte><serialized request>" (corpus made by make_corpus.sh).
#include <cstddef>
#include <cstdint>

#include "services/common/event_store.h"
#include "services/complaints/complaint_store.h"
#include "services/complaints/service.h"
#include "services/complaints/sla.h"
#include "services/complaints/sla_sweeper.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/service_harness.h"

namespace {

kam::fuzz::ServiceHarness& Harness() {
  namespace complaints = kam::complaints;
  static auto* harness = [] {
    auto* h = new kam::fuzz::ServiceHarness(complaints::v1::ComplaintService::service_full_name());
    absl::StatusOr<complaints::SlaPolicy> policy = complaints::LoadSlaPolicy("");
    if (!policy.ok()) kam::fuzz::Fail("the built-in SLA policy does not load");
    auto* sla_policy = new complaints::SlaPolicy(*std::move(policy));
    auto* store = new complaints::ComplaintStore(h->pool(), *sla_policy);
    auto* events = new kam::EventStore(h->pool(), {}, &h->registry());
    auto* metrics = new complaints::ComplaintMetrics(h->registry());
    // A caught-up replica: an intake for an account it does not hold is NOT_FOUND at once
    // instead of waiting for the feed.
    auto* service = new complaints::ComplaintServiceImpl(
        {store, events, metrics, [] { return true; }}, h->handler());
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
