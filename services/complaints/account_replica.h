#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "services/common/db.h"
#include "services/common/event_feed.h"
#include "services/complaints/sla.h"

// Complaints' replica of what intake needs to know about accounts (name, tier, owner,
// status, archived), fed by the accounts event stream, so intake never depends on the
// accounts service being up (ARCHITECTURE.md, "Data ownership and events").
namespace kam::complaints {

// The stream's name in consumer_cursors, metrics and logs.
inline constexpr char kAccountsStream[] = "accounts";
inline constexpr char kAccountsWatchMethod[] = "/kam.accounts.v1.AccountService/WatchEvents";

// The feed that follows accounts' WatchEvents for the replica.
using AccountFeed =
    EventFeed<kam::accounts::v1::AccountService, kam::accounts::v1::WatchEventsRequest,
              kam::accounts::v1::WatchEventsResponse>;

class AccountReplica {
 public:
  AccountReplica(DbPool& pool, const SlaPolicy& policy) : pool_(pool), policy_(policy) {}

  // Applies one message in one transaction: every account event after the stored cursor
  // (older replica rows only: a row never goes back in time), the owner of that account's
  // complaints on an owner change (managers' access follows the current owner), the SLA
  // targets of its open complaints on a tier change, then the new cursor and the
  // producer's head. A message delivered again changes nothing.
  absl::StatusOr<FeedProgress> Apply(const kam::accounts::v1::WatchEventsResponse& message);

  // The stored cursor; 0 before the first message.
  absl::StatusOr<int64_t> Cursor();

  // The feed options for this replica: stream "accounts", subject "complaints", events
  // "account." only. Backoff and stall timeout keep their defaults.
  static EventFeedOptions FeedOptions(std::string identity_key);

 private:
  DbPool& pool_;
  const SlaPolicy& policy_;
};

// A feed (not started) that keeps `replica` up to date from the accounts service behind
// `channel`. `options` usually comes from AccountReplica::FeedOptions.
std::unique_ptr<AccountFeed> MakeAccountFeed(const std::shared_ptr<grpc::Channel>& channel,
                                             AccountReplica& replica, EventFeedOptions options,
                                             prometheus::Registry* registry);

}  // namespace kam::complaints
