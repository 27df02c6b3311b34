#include "services/analytics/projection.h"

// PROVISIONAL: the projection helper replaces this file.
namespace kam::analytics {

struct Projection::Metrics {};

Projection::Projection(DbPool& pool, AnalyticsConfig config, prometheus::Registry*)
    : pool_(pool), config_(std::move(config)) {}
Projection::~Projection() = default;

absl::StatusOr<FeedProgress> Projection::ApplyAccounts(
    const kam::accounts::v1::WatchEventsResponse&) {
  return absl::UnimplementedError("PROVISIONAL");
}
absl::StatusOr<FeedProgress> Projection::ApplyComplaints(
    const kam::complaints::v1::WatchEventsResponse&) {
  return absl::UnimplementedError("PROVISIONAL");
}
absl::StatusOr<int64_t> Projection::Cursor(std::string_view) { return int64_t{0}; }
absl::StatusOr<v1::FactsVersion> Projection::Version() { return v1::FactsVersion(); }

EventFeedOptions Projection::AccountsFeedOptions(std::string identity_key) {
  EventFeedOptions options;
  options.stream = kAccountsStream;
  options.full_method = "/kam.accounts.v1.AccountService/WatchEvents";
  options.subject = "analytics";
  options.identity_key = std::move(identity_key);
  return options;
}
EventFeedOptions Projection::ComplaintsFeedOptions(std::string identity_key) {
  EventFeedOptions options;
  options.stream = kComplaintsStream;
  options.full_method = "/kam.complaints.v1.ComplaintService/WatchEvents";
  options.subject = "analytics";
  options.identity_key = std::move(identity_key);
  return options;
}

std::unique_ptr<AccountsFeed> MakeAccountsFeed(const std::shared_ptr<grpc::Channel>& channel,
                                               Projection& projection, EventFeedOptions options,
                                               prometheus::Registry* registry) {
  return std::make_unique<AccountsFeed>(
      channel, std::move(options), [&projection] { return projection.Cursor(kAccountsStream); },
      [&projection](const kam::accounts::v1::WatchEventsResponse& message) {
        return projection.ApplyAccounts(message);
      },
      registry);
}

std::unique_ptr<ComplaintsFeed> MakeComplaintsFeed(const std::shared_ptr<grpc::Channel>& channel,
                                                   Projection& projection, EventFeedOptions options,
                                                   prometheus::Registry* registry) {
  return std::make_unique<ComplaintsFeed>(
      channel, std::move(options), [&projection] { return projection.Cursor(kComplaintsStream); },
      [&projection](const kam::complaints::v1::WatchEventsResponse& message) {
        return projection.ApplyComplaints(message);
      },
      registry);
}

}  // namespace kam::analytics
