#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "services/analytics/scope.h"
#include "services/common/db.h"
#include "services/common/event_feed.h"

namespace prometheus {
class Registry;
}

// The projection: applies the accounts and complaints event streams to analytics' facts
// (migrations/0002_facts.sql) exactly once in effect, and keeps the rollups per account,
// product and month as events arrive.
//
// Each WatchEvents message is applied in one transaction: lock the stream's cursor row, skip
// events at or below the cursor and event ids already in applied_events, apply the rest,
// record their ids and store the new cursor (CursorAfter) and the producer's head. Rollup
// increments within a message are summed in memory first and written as one upsert per key,
// in multi-row statements. Two projections applying one stream take turns on the cursor row.
//
// Accounts events used: account.* (the accounts table and the group closure; an
// account.owner_changed also moves the account's open opportunities and planned visits of
// the old owner, as TransferAccounts does), order.recorded (account_month,
// account_product_month, product_month, account_activity; lines whose revenue or cost is in
// another currency than AnalyticsConfig::currency are skipped and counted, and an order counts
// only when one of its lines does), payment.recorded (account_month.paid_minor, by pay_time),
// contract.signed (account_month contract columns, by sign_time), opportunity.*
// (opportunity_facts, opportunity_stage_stays), visit_plan.* (visit_facts, by the month of
// the planned UTC date). Complaints events: complaint.* (complaint_facts). Months are cut in
// AnalyticsConfig::zone. Records (accounts, opportunities, visits, complaints) are replaced
// only by a newer event (source_sequence); orders, payments and signatures are added once.
namespace kam::analytics {

inline constexpr char kAccountsStream[] = "accounts";
inline constexpr char kComplaintsStream[] = "complaints";

using AccountsFeed =
    EventFeed<kam::accounts::v1::AccountService, kam::accounts::v1::WatchEventsRequest,
              kam::accounts::v1::WatchEventsResponse>;
using ComplaintsFeed =
    EventFeed<kam::complaints::v1::ComplaintService, kam::complaints::v1::WatchEventsRequest,
              kam::complaints::v1::WatchEventsResponse>;

class Projection {
 public:
  // `registry` may be null (tests); it gets kam_analytics_skipped_lines_total{reason="currency"}
  // and kam_analytics_skipped_events_total{reason="currency"|"unreadable"} (payments and
  // signed contracts in another currency; events of a projected type without their record).
  Projection(DbPool& pool, AnalyticsConfig config, prometheus::Registry* registry);
  ~Projection();

  // FeedProgress::applied counts the events recorded as applied by this call (above the
  // cursor and not seen before), whatever their type. A database error leaves nothing applied.
  absl::StatusOr<FeedProgress> ApplyAccounts(const kam::accounts::v1::WatchEventsResponse& message);
  absl::StatusOr<FeedProgress> ApplyComplaints(
      const kam::complaints::v1::WatchEventsResponse& message);

  // The stored cursor of `stream` (kAccountsStream or kComplaintsStream); 0 before the first
  // message.
  absl::StatusOr<int64_t> Cursor(std::string_view stream);
  // Both cursors, for responses.
  absl::StatusOr<v1::FactsVersion> Version();

  const AnalyticsConfig& config() const { return config_; }

  // Feed options: stream name, producer method, subject "analytics", the event types above.
  static EventFeedOptions AccountsFeedOptions(std::string identity_key);
  static EventFeedOptions ComplaintsFeedOptions(std::string identity_key);

 private:
  struct Metrics;
  DbPool& pool_;
  const AnalyticsConfig config_;
  std::unique_ptr<Metrics> metrics_;
};

// Feeds (not started) that keep `projection` up to date from the producer behind `channel`.
std::unique_ptr<AccountsFeed> MakeAccountsFeed(const std::shared_ptr<grpc::Channel>& channel,
                                               Projection& projection, EventFeedOptions options,
                                               prometheus::Registry* registry);
std::unique_ptr<ComplaintsFeed> MakeComplaintsFeed(const std::shared_ptr<grpc::Channel>& channel,
                                                   Projection& projection, EventFeedOptions options,
                                                   prometheus::Registry* registry);

}  // namespace kam::analytics
