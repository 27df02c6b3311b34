#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "kam/accounts/v1/events.pb.h"
#include "kam/complaints/v1/complaints.pb.h"

// Deterministic synthetic data for the analytics benchmark (analytics_bench.cc): the accounts
// and complaints event streams a company with `accounts` customers and `lines` order lines
// over 24 months would have produced, cut into WatchEventsResponse messages of at most 500
// events, exactly as the producers' WatchEvents serve them. The same seed gives the same
// events, byte for byte, on every run (no std:: distributions: their output differs between
// standard libraries).
//
// Shape (what a real customer base looks like, roughly):
//  - accounts: 7 regions, 12 industries, 400 owners, a tier for most (correlated with size,
//    with noise), about 1 % archived, and groups: accounts 1-100 are group heads, 101-1000
//    their subsidiaries, and about 1 % of the rest belong to one of those (three levels).
//  - orders of 1-10 lines (5.5 on average), spread evenly over the 24 months in time order.
//    Each account has a Pareto(alpha 2) weight w (capped at 1000): it orders with a frequency
//    proportional to w and in quantities scaled by w^0.8, so revenue per account is
//    Pareto-shaped with a heavy head (about 80 % of a year's revenue from the top 20 % of the
//    customers who buy); about half the accounts buy nothing in a given year, as in a real
//    long tail.
//  - 5,000 products in 40 categories, popular ones more often.
//  - a payment for 90 % of orders (15-75 days later, 15 % of them half the order), a signed
//    contract per ~40 orders, and a complaint per ~100 accounts (70 % judged valid).
namespace kam::bench {

struct DataShape {
  int64_t accounts = 1000000;
  int64_t lines = 10000000;
  uint64_t seed = 20261122;
  // Orders fall in the 24 months from this one (yyyymm), in `zone`.
  int first_month = 202401;
  absl::TimeZone zone;
};

// One order line as an ERP export would hold it: what a user's plain SQL runs over.
struct RawLine {
  int64_t account_id = 0;
  absl::Time order_time;
  int32_t product = 0;  // index into the catalogue: ProductCode(product)
  int64_t revenue_minor = 0;
  int64_t cost_minor = 0;
  int64_t quantity = 0;
};

std::string ProductCode(int32_t product);

// What a stream generated, for the report and for cross-checks.
struct StreamCounts {
  int64_t events = 0;
  int64_t accounts = 0;
  int64_t archived = 0;
  int64_t orders = 0;
  int64_t lines = 0;
  int64_t payments = 0;
  int64_t contracts = 0;
  int64_t complaints = 0;
};

// The accounts stream: account.created for every account (ids 1..accounts), then
// account.archived for the archived ones, then order.recorded / payment.recorded /
// contract.signed interleaved in time order until `lines` order lines have been recorded.
class AccountsStream {
 public:
  explicit AccountsStream(const DataShape& shape);

  // Replaces `message` with the next up to 500 events (head_sequence = the last one) and
  // appends the order lines it carries to `lines`. False once the stream is exhausted
  // (`message` then holds no events).
  bool Next(kam::accounts::v1::WatchEventsResponse& message, std::vector<RawLine>& lines);

  const StreamCounts& counts() const { return counts_; }
  // The accounts' Pareto weights, for the complaints stream (big customers complain more).
  const std::vector<double>& cumulative_weights() const { return cumulative_; }

 private:
  enum class Phase { kCreate, kArchive, kCommerce, kDone };

  kam::accounts::v1::Event& NewEvent(kam::accounts::v1::WatchEventsResponse& message,
                                     const char* type, const char* aggregate_type,
                                     int64_t aggregate_id, absl::Time occur_time);
  void AddCreated(kam::accounts::v1::WatchEventsResponse& message, int64_t id);
  void AddArchived(kam::accounts::v1::WatchEventsResponse& message, int64_t id);
  // One order (and perhaps its payment and a contract): up to 3 events.
  void AddCommerce(kam::accounts::v1::WatchEventsResponse& message, std::vector<RawLine>& lines);
  int64_t PickAccount(uint64_t& state) const;

  DataShape shape_;
  absl::Time start_;
  absl::Duration span_;
  std::vector<double> cumulative_;  // cumulative_[i]: sum of the weights of accounts 1..i+1
  Phase phase_ = Phase::kCreate;
  int64_t next_account_ = 1;
  uint64_t rng_;
  int64_t sequence_ = 0;
  StreamCounts counts_;
};

// The complaints stream: complaint.recorded then complaint.judged_valid or
// complaint.judged_invalid for about one complaint per 100 accounts, in time order.
class ComplaintsStream {
 public:
  ComplaintsStream(const DataShape& shape, const std::vector<double>& cumulative_weights);

  bool Next(kam::complaints::v1::WatchEventsResponse& message);
  const StreamCounts& counts() const { return counts_; }

 private:
  DataShape shape_;
  const std::vector<double>& cumulative_;
  absl::Time start_;
  absl::Duration span_;
  int64_t total_;
  int64_t next_complaint_ = 1;
  uint64_t rng_;
  int64_t sequence_ = 0;
  StreamCounts counts_;
};

}  // namespace kam::bench
