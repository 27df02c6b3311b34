// Complaints' replica of accounts, fed by the accounts event stream: a real accounts service
// (stores, CallHandler, WatchEvents) served in-process on a loopback port, both schemas on
// one private MariaDB, and the feed following it through producer restarts and its own.
#include "services/complaints/account_replica.h"

#include <google/protobuf/descriptor.h>
#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "services/accounts/service.h"
#include "services/accounts/store.h"
#include "services/accounts/workflow.h"
#include "services/common/call_handler.h"
#include "services/common/event_feed.h"
#include "services/common/event_service.h"
#include "services/common/event_store.h"
#include "services/common/identity.h"
#include "services/common/migrations.h"
#include "services/common/outbox.h"
#include "services/common/store_support.h"
#include "services/complaints/complaint_records.h"
#include "services/complaints/procedure.h"
#include "services/complaints/sla.h"
#include "tests/support/mariadb_server.h"
#include "tests/support/schema_test.h"
#include "tests/support/test_helpers.h"

// Both libraries generate a header named embedded_migrations.h; declare what is needed.
namespace kam::accounts {
const std::vector<kam::Migration>& Migrations();
}
namespace kam::complaints {
const std::vector<kam::Migration>& Migrations();
}

namespace kam::complaints {
namespace {

namespace acc = kam::accounts;
namespace av1 = kam::accounts::v1;
using test_support::Ok;

constexpr char kIdentityKey[] = "account-replica-test-identity-key-32b";
const Principal kDirector{"dir-zhao", {"director"}, ""};
const absl::Time kNow = absl::FromUnixMicros(1'700'000'000'123'456);
// Idle streams answer quickly, so a test waits milliseconds, not the 10 s heartbeat.
const EventStreamOptions kFastStreams{absl::Milliseconds(20), absl::Milliseconds(200),
                                      /*max_streams=*/16};
constexpr absl::Duration kPatience = absl::Seconds(20);

// What a user of the replica sees about one account.
struct Row {
  std::string name;
  int64_t tier = 0;
  std::string owner_id;
  int64_t status = 0;
  bool archived = false;
  int64_t source_sequence = 0;
  bool operator==(const Row& o) const {
    return name == o.name && tier == o.tier && owner_id == o.owner_id && status == o.status &&
           archived == o.archived && source_sequence == o.source_sequence;
  }
};

std::ostream& operator<<(std::ostream& os, const Row& r) {
  return os << "{" << r.name << ", tier " << r.tier << ", owner " << r.owner_id << ", status "
            << r.status << ", archived " << r.archived << ", seq " << r.source_sequence << "}";
}

bool Eventually(const std::function<bool()>& condition, absl::Duration timeout = kPatience) {
  const absl::Time give_up = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

class AccountReplicaTest : public test_support::SchemaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenSchema("feed_accounts", acc::Migrations(), absl::Seconds(5)));
    ASSERT_NO_FATAL_FAILURE(OpenComplaintsSchema());
    accounts_ = std::make_unique<acc::AccountStore>(*pool_);
    events_ = std::make_unique<EventStore>(*pool_, kFastStreams, nullptr);
    workers_ = std::make_unique<WorkerPool>(4, 64);
    metrics_ = std::make_unique<GrpcServerMetrics>(server_registry_);
    handler_ = std::make_unique<CallHandler>(kIdentityKey, workers_.get(), metrics_.get());
    ASSERT_NO_FATAL_FAILURE(StartProducer("127.0.0.1:0"));
    replica_ = std::make_unique<AccountReplica>(*complaints_pool_, policy_);
    channel_ = MakeFeedChannel(absl::StrCat("127.0.0.1:", port_), FastOptions());
  }

  void TearDown() override {
    for (auto& feed : feeds_) feed->Stop();
    StopProducer();
  }

  void OpenComplaintsSchema() {
    const std::string schema = schema_ + "_complaints";
    const std::string password = "pw-" + schema;
    ASSERT_TRUE(Ok(server_->CreateSchemaWithUser(schema, schema, password)));
    DbSettings db{server_->host(), server_->port(), schema, password, schema};
    db.pool_size = 6;
    db.pool_wait = absl::Seconds(5);
    db.io_timeout = absl::Seconds(5);
    complaints_pool_ = std::make_unique<DbPool>(std::move(db), nullptr);
    ASSERT_TRUE(Ok(ApplyMigrations(*complaints_pool_, Migrations())));
  }

  // The accounts service on `address`; a restart reuses the port the first start got.
  void StartProducer(const std::string& address) {
    service_ = std::make_unique<acc::AccountServiceImpl>(
        acc::Stores{accounts_.get(), nullptr, nullptr, nullptr, events_.get()}, handler_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    producer_ = builder.BuildAndStart();
    ASSERT_NE(producer_, nullptr);
    ASSERT_NE(port, 0);
    port_ = port;
  }
  void StopProducer() {
    if (producer_) producer_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Milliseconds(200)));
    producer_.reset();
  }
  void RestartProducer() {
    ASSERT_NO_FATAL_FAILURE(StartProducer(absl::StrCat("127.0.0.1:", port_)));
  }

  static EventFeedOptions FastOptions() {
    EventFeedOptions options = AccountReplica::FeedOptions(kIdentityKey);
    options.min_backoff = absl::Milliseconds(20);
    options.max_backoff = absl::Milliseconds(200);
    return options;
  }

  // A started feed; `seen` (optional) receives every event sequence the feed was sent.
  AccountFeed& StartFeed(std::vector<int64_t>* seen = nullptr,
                         EventFeedOptions options = FastOptions()) {
    auto apply = [this, seen](const av1::WatchEventsResponse& message) {
      if (seen != nullptr) {
        std::lock_guard<std::mutex> lock(seen_mutex_);
        for (const av1::Event& e : message.events()) seen->push_back(e.sequence());
      }
      return replica_->Apply(message);
    };
    feeds_.push_back(std::make_unique<AccountFeed>(
        channel_, std::move(options), [this] { return replica_->Cursor(); }, apply,
        &feed_registry_));
    feeds_.back()->Start();
    return *feeds_.back();
  }

  static Mutation Request(const std::string& request_id) {
    return {kDirector.subject, request_id, "fp-" + request_id, "trace-" + request_id, kNow, ""};
  }

  int64_t Create(const std::string& registration_number, const std::string& owner = "mgr-li") {
    acc::Account draft;
    draft.name = absl::StrCat("华东精细化工 ", registration_number);
    draft.registration_number = registration_number;
    draft.nature = acc::Nature::kOrdinaryCompany;
    draft.industry = "chemicals";
    draft.region = "east";
    draft.scale = acc::Scale::kLarge;
    draft.lifecycle_stage = acc::LifecycleStage::kRepeat;
    draft.owner_id = owner;
    absl::StatusOr<acc::Account> valid = acc::NewAccount(draft, kDirector, kNow);
    EXPECT_TRUE(Ok(valid));
    absl::StatusOr<acc::Account> created = accounts_->Create(
        Request(absl::StrCat("create-", registration_number)), valid.value_or(acc::Account{}));
    EXPECT_TRUE(Ok(created)) << registration_number;
    return created.ok() ? created->id : 0;
  }

  void Rename(int64_t id, const std::string& name) {
    acc::Account patch;
    patch.name = name;
    EXPECT_TRUE(Ok(accounts_->Update(
        Request(absl::StrCat("rename-", id, name)), id, kDirector.subject, "updated",
        [&](const acc::AccountView& current) {
          return acc::ApplyUpdate(current.account, current.works_on, patch, {"name"},
                                  acc::Etag(current.account), kDirector, kNow);
        })));
  }

  void SetTier(int64_t id, acc::Tier tier) {
    EXPECT_TRUE(Ok(accounts_->Update(
        Request(absl::StrCat("tier-", id, "-", static_cast<int>(tier))), id, kDirector.subject,
        "tier_changed", [&](const acc::AccountView& current) {
          return acc::ApplyTier(current.account, tier, "annual review", "", kDirector, kNow);
        })));
  }

  void Transfer(int64_t id, const std::string& from, const std::string& to) {
    acc::Transfer transfer{from, to, {id}, "reorganisation"};
    EXPECT_TRUE(
        Ok(accounts_->TransferAccounts(Request(absl::StrCat("transfer-", id, "-", to)), transfer)));
  }

  void ArchiveAccount(int64_t id) {
    EXPECT_TRUE(Ok(accounts_->Archive(Request(absl::StrCat("archive-", id)), id, kDirector.subject,
                                      [&](const acc::AccountView& current, int live) {
                                        return acc::Archive(current.account, "merged", live,
                                                            kDirector, kNow);
                                      })));
  }

  // Another kind of event, which the replica's filter skips.
  void WriteOrderEvent() {
    ASSERT_TRUE(Ok(InTransaction(*pool_, "test.event", [&](DbConnection& db) {
      WriteOutbox(db, {"order.recorded", "order", "7", "{}", kNow});
      return absl::OkStatus();
    })));
  }

  int64_t Head() {
    absl::StatusOr<EventBatch> batch = events_->ReadAfter(0, {}, 1);
    EXPECT_TRUE(Ok(batch));
    return batch.ok() ? batch->head_sequence : -1;
  }

  // The account events in the outbox (what the replica must have applied, once each).
  std::vector<int64_t> AccountEventSequences() {
    absl::StatusOr<EventBatch> batch = events_->ReadAfter(0, {"account."}, 10000);
    EXPECT_TRUE(Ok(batch));
    std::vector<int64_t> out;
    if (batch.ok()) {
      for (const StoredEvent& e : batch->events) out.push_back(e.sequence);
    }
    return out;
  }

  // The account as accounts has it, in the replica's terms, at the newest account event.
  Row Expected(int64_t id) {
    absl::StatusOr<acc::AccountView> view = accounts_->Get(id, kDirector.subject);
    EXPECT_TRUE(Ok(view));
    Row row;
    if (!view.ok()) return row;
    row.name = view->account.name;
    row.tier = static_cast<int64_t>(view->account.tier);
    row.owner_id = view->account.owner_id;
    row.status = static_cast<int64_t>(view->account.status);
    row.archived = view->account.archived;
    absl::StatusOr<EventBatch> batch = events_->ReadAfter(0, {"account."}, 10000);
    if (batch.ok()) {
      for (const StoredEvent& e : batch->events) {
        if (e.aggregate_id == absl::StrCat(id)) row.source_sequence = e.sequence;
      }
    }
    return row;
  }

  std::optional<Row> Replica(int64_t id) {
    std::optional<Row> out;
    EXPECT_TRUE(Ok(WithConnection(*complaints_pool_, "test.replica", [&](DbConnection& db) {
      sql::PreparedStatement& select = db.Prepare(
          "SELECT name, tier, owner_id, status, archived, source_sequence FROM account_replica "
          "WHERE account_id = ?");
      BindAll(select, {id});
      std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
      if (rs->next()) {
        out = Row{rs->getString(1), rs->getInt64(2),   rs->getString(3),
                  rs->getInt64(4),  rs->getBoolean(5), rs->getInt64(6)};
      }
      return absl::OkStatus();
    })));
    return out;
  }

  bool ReplicaMatches(const std::vector<int64_t>& ids) {
    for (int64_t id : ids) {
      const std::optional<Row> row = Replica(id);
      if (!row || !(*row == Expected(id))) return false;
    }
    return true;
  }

  // A complaint recorded for `account_id` while `owner` owned it. Only the columns this
  // test reads are given; the rest take the column's implicit default (non-strict mode).
  // A complaint recorded now at intake (clocks started for the account's tier as the
  // replica knows it, `tier`).
  int64_t InsertComplaint(int64_t account_id, const std::string& owner, int tier = 0) {
    Complaint complaint;
    complaint.account_id = account_id;
    complaint.account_name = "customer";
    complaint.account_tier = tier;
    complaint.account_owner_id = owner;
    complaint.channel = Channel::kPhone;
    complaint.category = Category::kTransport;
    complaint.description = "late delivery";
    complaint.severity = Severity::kHigh;
    complaint.recorded_by = "agent-zhou";
    complaint.create_time = complaint.update_time = absl::Now();
    StartClocks(policy_, complaint.create_time, complaint);
    int64_t id = 0;
    EXPECT_TRUE(Ok(WithConnection(*complaints_pool_, "test.complaint", [&](DbConnection& db) {
      id = InsertComplaintRow(db, complaint);
      return absl::OkStatus();
    })));
    return id;
  }

  // The complaint's tier at intake as now recorded, and its resolution budget.
  std::pair<int, int64_t> ComplaintTierAndBudget(int64_t complaint_id) {
    std::pair<int, int64_t> result;
    EXPECT_TRUE(Ok(WithConnection(*complaints_pool_, "test.tier", [&](DbConnection& db) {
      sql::PreparedStatement& select =
          db.Prepare("SELECT account_tier, resolve_budget_seconds FROM complaints WHERE id = ?");
      BindAll(select, {complaint_id});
      std::unique_ptr<sql::ResultSet> row(select.executeQuery());
      if (row->next()) result = {row->getInt(1), row->getInt64(2)};
      return absl::OkStatus();
    })));
    return result;
  }

  int64_t Transitions(int64_t complaint_id, const std::string& action) {
    int64_t n = 0;
    EXPECT_TRUE(Ok(WithConnection(*complaints_pool_, "test.transitions", [&](DbConnection& db) {
      sql::PreparedStatement& select = db.Prepare(
          "SELECT COUNT(*) FROM complaint_transitions WHERE complaint_id = ? AND action = ?");
      BindAll(select, {complaint_id, action});
      std::unique_ptr<sql::ResultSet> row(select.executeQuery());
      if (row->next()) n = row->getInt64(1);
      return absl::OkStatus();
    })));
    return n;
  }

  std::string ComplaintOwner(int64_t complaint_id) {
    std::string owner;
    EXPECT_TRUE(Ok(WithConnection(*complaints_pool_, "test.owner", [&](DbConnection& db) {
      sql::PreparedStatement& select =
          db.Prepare("SELECT account_owner_id FROM complaints WHERE id = ?");
      BindAll(select, {complaint_id});
      std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
      if (rs->next()) owner = rs->getString(1);
      return absl::OkStatus();
    })));
    return owner;
  }

  std::pair<int64_t, int64_t> StoredCursorAndHead() {
    std::pair<int64_t, int64_t> out{-1, -1};
    EXPECT_TRUE(Ok(WithConnection(*complaints_pool_, "test.cursor", [&](DbConnection& db) {
      sql::PreparedStatement& select = db.Prepare(
          "SELECT cursor_position, head_sequence FROM consumer_cursors WHERE stream = 'accounts'");
      std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
      if (rs->next()) out = {rs->getInt64(1), rs->getInt64(2)};
      return absl::OkStatus();
    })));
    return out;
  }

  double Metric(const std::string& name) {
    for (const prometheus::MetricFamily& family : feed_registry_.Collect()) {
      if (family.name != name) continue;
      for (const prometheus::ClientMetric& metric : family.metric) {
        if (metric.label.size() != 1 || metric.label[0].name != "stream" ||
            metric.label[0].value != "accounts") {
          continue;
        }
        return family.type == prometheus::MetricType::Counter ? metric.counter.value
                                                              : metric.gauge.value;
      }
    }
    return -1;
  }
  double Applied() { return Metric("kam_event_consumer_applied_total"); }

  // Caught up with everything committed so far.
  bool CaughtUp(const AccountFeed& feed) {
    return feed.caught_up() && feed.cursor() == Head() && Metric("kam_event_consumer_lag") == 0;
  }

  prometheus::Registry server_registry_;
  prometheus::Registry feed_registry_;
  std::unique_ptr<DbPool> complaints_pool_;
  std::unique_ptr<acc::AccountStore> accounts_;
  std::unique_ptr<EventStore> events_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<GrpcServerMetrics> metrics_;
  std::unique_ptr<CallHandler> handler_;
  std::unique_ptr<acc::AccountServiceImpl> service_;
  std::unique_ptr<grpc::Server> producer_;
  int port_ = 0;
  const SlaPolicy policy_ = LoadSlaPolicy("").value();
  std::unique_ptr<AccountReplica> replica_;
  std::shared_ptr<grpc::Channel> channel_;
  std::mutex seen_mutex_;
  std::vector<std::unique_ptr<AccountFeed>> feeds_;
};

TEST_F(AccountReplicaTest, FollowsEveryKindOfAccountChangeAndCatchesUp) {
  AccountFeed& feed = StartFeed();
  const int64_t a = Create("91310000A");
  const int64_t b = Create("91310000B");
  ASSERT_TRUE(Eventually([&] { return ReplicaMatches({a, b}); }));
  const int64_t complaint = InsertComplaint(a, "mgr-li");

  Rename(a, "华东精细化工集团");
  SetTier(a, acc::Tier::kA);
  Transfer(a, "mgr-li", "mgr-wang");
  ArchiveAccount(b);
  // The newest event is one the replica does not subscribe to: it still counts as caught up.
  WriteOrderEvent();

  ASSERT_TRUE(Eventually([&] {
    return ReplicaMatches({a, b}) && CaughtUp(feed);
  })) << "replica a: "
      << Replica(a).value_or(Row{}) << " expected " << Expected(a);
  EXPECT_EQ(Replica(a)->name, "华东精细化工集团");
  EXPECT_EQ(Replica(a)->tier, 1);  // TIER_A
  EXPECT_EQ(Replica(a)->owner_id, "mgr-wang");
  EXPECT_TRUE(Replica(b)->archived);
  // The manager who now owns the account sees its complaints.
  EXPECT_EQ(ComplaintOwner(complaint), "mgr-wang");
  // The open complaint now runs on tier A's targets, recorded as a step of its own.
  EXPECT_EQ(ComplaintTierAndBudget(complaint),
            std::make_pair(1, absl::ToInt64Seconds(policy_.Target(1, Severity::kHigh).resolve)));
  EXPECT_EQ(Transitions(complaint, "sla_retargeted"), 1);
  EXPECT_TRUE(feed.connected());
  EXPECT_EQ(Metric("kam_event_consumer_connected"), 1);
  EXPECT_EQ(StoredCursorAndHead(), std::make_pair(Head(), Head()));
  EXPECT_EQ(Applied(), static_cast<double>(AccountEventSequences().size()));
}

TEST_F(AccountReplicaTest, AMessageDeliveredTwiceChangesNothing) {
  av1::WatchEventsResponse message;
  for (int64_t seq : {4, 9}) {
    av1::Event* e = message.add_events();
    e->set_sequence(seq);
    e->set_type(seq == 4 ? "account.created" : "account.owner_changed");
    av1::Account* account = e->mutable_account();
    account->set_id(42);
    account->set_name("Ningbo Resin");
    account->set_tier(av1::TIER_B);
    account->set_status(av1::ACCOUNT_STATUS_ACTIVE);
    account->set_owner_id(seq == 4 ? "mgr-li" : "mgr-wang");
  }
  message.set_head_sequence(12);
  const int64_t complaint = InsertComplaint(42, "mgr-li");

  absl::StatusOr<FeedProgress> first = replica_->Apply(message);
  ASSERT_TRUE(Ok(first));
  EXPECT_EQ(first->applied, 2);
  EXPECT_EQ(first->cursor, 12);  // a short message holds every account event up to its head
  const Row after_first = Replica(42).value_or(Row{});
  EXPECT_EQ(after_first, (Row{"Ningbo Resin", 2, "mgr-wang", 1, false, 9}));
  EXPECT_EQ(ComplaintOwner(complaint), "mgr-wang");

  // Delivered again (a reconnect from an older cursor): nothing moves, nothing counts.
  absl::StatusOr<FeedProgress> again = replica_->Apply(message);
  ASSERT_TRUE(Ok(again));
  EXPECT_EQ(again->applied, 0);
  EXPECT_EQ(again->cursor, 12);
  EXPECT_EQ(Replica(42), after_first);
  EXPECT_EQ(StoredCursorAndHead(), std::make_pair(int64_t{12}, int64_t{12}));

  // A later heartbeat moves the cursor to the new head; nothing else changes.
  av1::WatchEventsResponse heartbeat;
  heartbeat.set_head_sequence(20);
  absl::StatusOr<FeedProgress> beat = replica_->Apply(heartbeat);
  ASSERT_TRUE(Ok(beat));
  EXPECT_EQ(beat->cursor, 20);
  EXPECT_EQ(Replica(42), after_first);

  // A full message may stop short of the head: the cursor stops at its last event.
  EXPECT_EQ(CursorAfter(0, kMaxEventsPerMessage, 900, 1000), 900);
}

TEST_F(AccountReplicaTest, ReconnectsAfterTheProducerRestartsWithoutLosingAnEvent) {
  AccountFeed& feed = StartFeed();
  const int64_t a = Create("91310000C");
  ASSERT_TRUE(Eventually([&] { return ReplicaMatches({a}) && CaughtUp(feed); }));

  StopProducer();
  ASSERT_TRUE(Eventually([&] { return !feed.connected(); }));
  EXPECT_EQ(Metric("kam_event_consumer_connected"), 0);
  EXPECT_FALSE(feed.caught_up());
  // Committed while the feed cannot see the producer: must arrive after the restart.
  const int64_t b = Create("91310000D");
  Rename(a, "Renamed while away");
  absl::SleepFor(absl::Milliseconds(300));  // a few failed reconnects
  EXPECT_FALSE(Replica(b).has_value());

  ASSERT_NO_FATAL_FAILURE(RestartProducer());
  const int64_t c = Create("91310000E");
  SetTier(c, acc::Tier::kC);
  ASSERT_TRUE(Eventually([&] { return ReplicaMatches({a, b, c}) && CaughtUp(feed); }));
  EXPECT_EQ(Replica(a)->name, "Renamed while away");
  EXPECT_EQ(Applied(), static_cast<double>(AccountEventSequences().size()));
}

TEST_F(AccountReplicaTest, ANewFeedResumesFromTheStoredCursor) {
  std::vector<int64_t> first_seen;
  AccountFeed& first = StartFeed(&first_seen);
  std::vector<int64_t> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(Create(absl::StrCat("9131000F", i)));
  // Stopped mid-way: some of these may not be applied yet.
  for (int i = 6; i < 12; ++i) {
    ids.push_back(Create(absl::StrCat("9131000F", i)));
    if (i == 8) {
      const absl::Time asked = absl::Now();
      first.Stop();
      EXPECT_LT(absl::Now() - asked, absl::Seconds(2)) << "Stop must be prompt";
    }
  }
  const int64_t stopped_at = first.cursor();
  ASSERT_TRUE(Eventually([&] { return replica_->Cursor().value_or(-1) == stopped_at; }));
  std::map<int64_t, int64_t> sequence_before;
  for (int64_t id : ids) {
    if (std::optional<Row> row = Replica(id)) sequence_before[id] = row->source_sequence;
  }

  std::vector<int64_t> second_seen;
  AccountFeed& second = StartFeed(&second_seen);
  ASSERT_TRUE(Eventually([&] { return ReplicaMatches(ids) && CaughtUp(second); }));
  // Nothing at or below the stored cursor was sent again, and every account event was
  // applied exactly once over both feeds.
  EXPECT_FALSE(second_seen.empty());
  for (int64_t seq : second_seen) EXPECT_GT(seq, stopped_at);
  std::vector<int64_t> all_seen = first_seen;
  all_seen.insert(all_seen.end(), second_seen.begin(), second_seen.end());
  EXPECT_EQ(all_seen, AccountEventSequences());
  for (const auto& [id, seq] : sequence_before) EXPECT_EQ(Replica(id)->source_sequence, seq);
  EXPECT_EQ(Applied(), static_cast<double>(AccountEventSequences().size()));
  EXPECT_EQ(Metric("kam_event_consumer_lag"), 0);
}

TEST_F(AccountReplicaTest, AFeedTheProducerRefusesNeverConnectsAndStopsPromptly) {
  EventFeedOptions options = FastOptions();
  options.identity_key = "not-the-producers-identity-key-xxxxx";
  AccountFeed& feed = StartFeed(nullptr, options);
  Create("91310000G");
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_FALSE(feed.connected());
  EXPECT_FALSE(feed.caught_up());
  EXPECT_EQ(replica_->Cursor().value_or(-1), 0);
  const absl::Time asked = absl::Now();
  feed.Stop();
  EXPECT_LT(absl::Now() - asked, absl::Seconds(1));
}

}  // namespace
}  // namespace kam::complaints
