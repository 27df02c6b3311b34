#pragma once

// Loads a demo Plan into a running KAM Suite through the gateway's public gRPC API, each
// write as the persona who would make it, each with a request id derived from the seed and
// the item: a second run (e.g. after a failure) completes the load without doubling anything.

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "tools/demo/plan.h"

namespace kam::demo {

struct LoadOptions {
  std::shared_ptr<grpc::Channel> channel;
  // HS256 token minting (as kamctl token): the gateway's secret, issuer and audience.
  std::string jwt_secret;
  std::string issuer = "kam-dev";
  std::string audience = "kam-suite";
  // The load day: business dates are offsets from it (UTC). It may be in the past (the tests
  // pin it, so the data is the same every day); what the services only accept from today on
  // (visit plans, complaints' received times) is dated from LiveDay instead.
  absl::CivilDay today;
  // Concurrent callers for the phases whose order does not matter.
  int workers = 4;
  // How long to wait for analytics to catch up before the tier review.
  absl::Duration projection_wait = absl::Seconds(60);
  std::ostream* log = nullptr;  // progress lines, or nothing
};

// What the load created, by plan index.
struct LoadResult {
  std::vector<int64_t> account_ids;
  std::vector<int64_t> complaint_ids;
  std::string tier_review_id;
  double seconds = 0;
};

absl::Status Load(const Plan& plan, const LoadOptions& options, LoadResult* result);

// The time a plan day offset stands for: 10:00 Asia/Shanghai (02:00 UTC) on that day.
absl::Time DayTime(absl::CivilDay today, int day);

// The later of the load day and the real day (UTC): visit plans must be today or later and a
// complaint may be logged at most 7 days after it was received.
absl::CivilDay LiveDay(absl::CivilDay today);

// The year ("YYYY", company time zone) the tier review looks at: the load day's year from
// July on, else the year before, so that it always holds at least six months of orders.
std::string ReviewPeriod(absl::CivilDay today);

}  // namespace kam::demo
