// The event stream and the audit trail against a private MariaDB: the outbox read in commit
// order under concurrent writers, and WatchEvents / ListAuditLog through a real in-process
// gRPC server with the production CallHandler (signed identities, metrics).
#include <google/protobuf/descriptor.h>
#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "embedded_migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "services/common/event_store.h"
#include "services/accounts/service.h"
#include "services/accounts/store.h"
#include "services/accounts/workflow.h"
#include "services/common/call_handler.h"
#include "services/common/denial_audit.h"
#include "services/common/identity.h"
#include "services/common/migrations.h"
#include "services/common/outbox.h"
#include "tests/support/mariadb_server.h"
#include "tests/support/schema_test.h"
#include "tests/support/test_helpers.h"

namespace kam::accounts {
namespace {

using test_support::MariaDbServer;
using test_support::Ok;
using test_support::RunConcurrently;
using test_support::SchemaTest;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr char kIdentityKey[] = "events-test-identity-key";
constexpr char kWatch[] = "/kam.accounts.v1.AccountService/WatchEvents";
constexpr char kAudit[] = "/kam.accounts.v1.AccountService/ListAuditLog";

const Principal kDirector{"dir-zhao", {"director"}, ""};
const Principal kSystem{"svc-analytics", {"system"}, ""};
const Principal kAdmin{"ops-admin", {"admin"}, ""};
const Principal kManager{"mgr-li", {"account_manager"}, ""};
const absl::Time kNow = absl::FromUnixMicros(1'700'000'000'123'456);

// Short enough that idle streams answer within a test's patience.
const EventStreamOptions kFastStreams{absl::Milliseconds(20), absl::Milliseconds(300),
                                      /*max_streams=*/3};

Account Draft(const std::string& registration_number) {
  Account a;
  a.name = absl::StrCat("华东精细化工 ", registration_number);
  a.registration_number = registration_number;
  a.nature = Nature::kOrdinaryCompany;
  a.industry = "chemicals";
  a.region = "east";
  a.scale = Scale::kLarge;
  a.lifecycle_stage = LifecycleStage::kRepeat;
  a.tier = Tier::kB;
  a.owner_id = "mgr-li";
  return a;
}

std::vector<int64_t> Sequences(const std::vector<v1::Event>& events) {
  std::vector<int64_t> out;
  for (const v1::Event& e : events) out.push_back(e.sequence());
  return out;
}

std::vector<std::string> Types(const std::vector<v1::Event>& events) {
  std::vector<std::string> out;
  for (const v1::Event& e : events) out.push_back(e.type());
  return out;
}

// What a client of one stream has read.
struct Received {
  std::vector<v1::Event> events;
  std::vector<v1::WatchEventsResponse> messages;
};

// One WatchEvents call from the client's side.
class Watch {
 public:
  Watch(v1::AccountService::Stub& stub, const std::vector<std::pair<std::string, std::string>>& md,
        const v1::WatchEventsRequest& request) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    for (const auto& [key, value] : md) context_.AddMetadata(key, value);
    reader_ = stub.WatchEvents(&context_, request);
  }

  // Reads messages until `n` events have arrived (heartbeats included in `messages`); false
  // if the stream ended first.
  bool ReadEvents(size_t n, Received* out) {
    v1::WatchEventsResponse message;
    while (out->events.size() < n) {
      if (!reader_->Read(&message)) return false;
      out->messages.push_back(message);
      out->events.insert(out->events.end(), message.events().begin(), message.events().end());
    }
    return true;
  }
  bool ReadMessage(v1::WatchEventsResponse* message) { return reader_->Read(message); }
  void Cancel() { context_.TryCancel(); }
  // Drains what is left and returns the final status.
  grpc::Status Finish() {
    v1::WatchEventsResponse ignored;
    while (reader_->Read(&ignored)) {
    }
    finished_ = true;
    return reader_->Finish();
  }
  ~Watch() {
    if (finished_) return;
    Cancel();
    Finish();
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchEventsResponse>> reader_;
  bool finished_ = false;
};

class EventsTest : public test_support::SchemaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenSchema("events", Migrations(), absl::Seconds(5)));
    accounts_ = std::make_unique<AccountStore>(*pool_);
    events_ = std::make_unique<EventStore>(*pool_, kFastStreams, registry_.get());
    StartServer();
  }

  void TearDown() override {
    if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    AuditDenials(nullptr);  // the pool it writes to ends with this test
  }

  void StartServer() {
    metrics_ = std::make_unique<GrpcServerMetrics>(*registry_);
    metrics_->PreCreate(*google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
        v1::AccountService::service_full_name()));
    workers_ = std::make_unique<WorkerPool>(4, 64);
    handler_ = std::make_unique<CallHandler>(kIdentityKey, workers_.get(), metrics_.get());
    AuditDenials(AuditDenialsTo(*pool_));  // as DatabaseService wires it
    service_ = std::make_unique<AccountServiceImpl>(
        Stores{accounts_.get(), nullptr, nullptr, nullptr, events_.get()}, handler_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::AccountService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  static std::vector<std::pair<std::string, std::string>> As(
      const Principal& who, const char* method, const std::string& key = kIdentityKey) {
    const SignedIdentity identity = SignIdentity(who, method, key, absl::Now() + absl::Minutes(5));
    return {{kIdentityHeader, identity.payload},
            {kIdentitySignatureHeader, identity.signature},
            {kRequestIdHeader, "trace-events-test"}};
  }

  std::unique_ptr<Watch> WatchAs(const Principal& who, int64_t after,
                                 const std::vector<std::string>& prefixes = {}) {
    v1::WatchEventsRequest request;
    request.set_after_sequence(after);
    for (const std::string& p : prefixes) request.add_type_prefixes(p);
    return std::make_unique<Watch>(*stub_, As(who, kWatch), request);
  }

  // The final status of a stream that is expected to be refused at once.
  grpc::Status Refusal(const std::vector<std::pair<std::string, std::string>>& md,
                       const v1::WatchEventsRequest& request) {
    Watch watch(*stub_, md, request);
    return watch.Finish();
  }

  static Mutation Request(const std::string& request_id, absl::Time now = kNow,
                          const std::string& actor = kDirector.subject) {
    return {actor, request_id, "fp-" + request_id, "trace-" + request_id, now, /*note=*/""};
  }

  Account MustCreate(const std::string& registration_number, absl::Time now = kNow,
                     const std::string& actor = kDirector.subject) {
    absl::StatusOr<Account> valid = NewAccount(Draft(registration_number), kDirector, now);
    EXPECT_TRUE(Ok(valid));
    absl::StatusOr<Account> created =
        accounts_->Create(Request(absl::StrCat("create-", registration_number), now, actor),
                          valid.value_or(Account{}));
    EXPECT_TRUE(Ok(created)) << registration_number;
    return created.value_or(Account{});
  }

  Account MustRename(int64_t id, const std::string& name, absl::Time now = kNow,
                     const std::string& actor = kDirector.subject) {
    Account patch;
    patch.name = name;
    absl::StatusOr<Account> updated =
        accounts_->Update(Request(absl::StrCat("rename-", id, "-", name), now, actor), id,
                          kDirector.subject, "updated", [&](const AccountView& current) {
                            return ApplyUpdate(current.account, current.works_on, patch, {"name"},
                                               Etag(current.account), kDirector, now);
                          });
    EXPECT_TRUE(Ok(updated));
    return updated.value_or(Account{});
  }

  // An event of an aggregate no part of the service knows, written as stores write theirs.
  void WriteRawEvent(const std::string& type, const std::string& aggregate_type,
                     const std::string& payload_json) {
    ASSERT_TRUE(Ok(InTransaction(*pool_, "test.event", [&](DbConnection& db) {
      WriteOutbox(db, {type, aggregate_type, "7", payload_json, kNow});
      return absl::OkStatus();
    })));
  }

  int64_t Head() {
    absl::StatusOr<EventBatch> batch = events_->ReadAfter(0, {}, 1);
    EXPECT_TRUE(Ok(batch));
    return batch.ok() ? batch->head_sequence : -1;
  }

  // The value of a counter or gauge series with exactly these labels; -1 when absent.
  double Metric(const std::string& name, const std::map<std::string, std::string>& labels) {
    for (const prometheus::MetricFamily& family : registry_->Collect()) {
      if (family.name != name) continue;
      for (const prometheus::ClientMetric& metric : family.metric) {
        std::map<std::string, std::string> have;
        for (const prometheus::ClientMetric::Label& l : metric.label) have[l.name] = l.value;
        if (have != labels) continue;
        return family.type == prometheus::MetricType::Counter ? metric.counter.value
                                                              : metric.gauge.value;
      }
    }
    return -1;
  }
  double StreamsHandled(const std::string& code) {
    return Metric("grpc_server_handled_total", {{"grpc_type", "server_stream"},
                                                {"grpc_service", "kam.accounts.v1.AccountService"},
                                                {"grpc_method", "WatchEvents"},
                                                {"grpc_code", code}});
  }
  double ActiveStreams() { return Metric("kam_event_streams_active", {}); }

  static bool Eventually(const std::function<bool()>& condition, absl::Duration timeout) {
    const absl::Time give_up = absl::Now() + timeout;
    while (!condition()) {
      if (absl::Now() > give_up) return false;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return true;
  }

  // ListAuditLog as `who`.
  grpc::Status List(const Principal& who, const v1::ListAuditLogRequest& request,
                    v1::ListAuditLogResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    for (const auto& [key, value] : As(who, kAudit)) context.AddMetadata(key, value);
    return stub_->ListAuditLog(&context, request, response);
  }

  // Every record of the query, page by page.
  std::vector<v1::AuditRecord> All(v1::ListAuditLogRequest request, int page_size) {
    std::vector<v1::AuditRecord> records;
    request.set_page_size(page_size);
    for (int pages = 0; pages < 50; ++pages) {
      v1::ListAuditLogResponse response;
      const grpc::Status status = List(kDirector, request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      EXPECT_LE(response.records_size(), page_size);
      records.insert(records.end(), response.records().begin(), response.records().end());
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return records;
  }

  static std::vector<int64_t> AuditIds(const std::vector<v1::AuditRecord>& records) {
    std::vector<int64_t> ids;
    for (const v1::AuditRecord& r : records) ids.push_back(r.id());
    return ids;
  }

  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  std::unique_ptr<AccountStore> accounts_;
  std::unique_ptr<EventStore> events_;
  std::unique_ptr<GrpcServerMetrics> metrics_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<CallHandler> handler_;
  std::unique_ptr<AccountServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::AccountService::Stub> stub_;
};

// ---- The outbox in commit order ----

TEST_F(EventsTest, ReadersNeverSeeACommittedEventBelowTheirCursor) {
  constexpr int kWriters = 6;
  constexpr int kEventsPerWriter = 15;
  std::atomic<int> writers_left{kWriters};
  // Two readers: every event, and only "probe." events (whose cursor skips unrelated rows).
  struct Reader {
    std::vector<std::string> prefixes;
    std::vector<int64_t> read;
    std::vector<std::string> failures;
  };
  Reader all{{}, {}, {}};
  Reader probes{{"probe."}, {}, {}};
  auto follow = [&](Reader& reader) {
    int64_t cursor = 0;
    bool last_round = false;
    for (;;) {
      const bool writers_done = writers_left.load() == 0;
      absl::StatusOr<EventBatch> batch = events_->ReadAfter(cursor, reader.prefixes, 7);
      if (!batch.ok()) {
        reader.failures.push_back(batch.status().ToString());
        return;
      }
      for (const StoredEvent& e : batch->events) {
        if (e.sequence <= cursor) reader.failures.push_back(absl::StrCat("repeat ", e.sequence));
        reader.read.push_back(e.sequence);
      }
      if (batch->scanned_to < cursor) reader.failures.push_back("cursor went back");
      cursor = batch->scanned_to;
      if (last_round && !batch->more) return;
      last_round = writers_done;  // one full pass after the last commit
    }
  };
  std::thread all_reader([&] { follow(all); });
  std::thread probe_reader([&] { follow(probes); });
  RunConcurrently(kWriters, [&](int writer) {
    std::mt19937 random(writer);
    std::uniform_int_distribution<int> pause_ms(0, 6);
    for (int i = 0; i < kEventsPerWriter; ++i) {
      const std::string type = (i + writer) % 3 == 0 ? "probe.written" : "other.written";
      // Pauses before the event and between the event and the commit: with a plain
      // AUTO_INCREMENT a slow transaction would commit a low id after a reader moved past it.
      EXPECT_TRUE(Ok(InTransaction(*pool_, "test.writer", [&](DbConnection& db) {
        absl::SleepFor(absl::Milliseconds(pause_ms(random)));
        WriteOutbox(db, {type, "probe", absl::StrCat(writer, "-", i), "{}", kNow});
        absl::SleepFor(absl::Milliseconds(pause_ms(random)));
        return absl::OkStatus();
      })));
      if (i % 5 == 0) MustCreate(absl::StrCat("ORDER-", writer, "-", i));
    }
    --writers_left;
  });
  all_reader.join();
  probe_reader.join();

  EXPECT_THAT(all.failures, ElementsAre());
  EXPECT_THAT(probes.failures, ElementsAre());
  absl::StatusOr<EventBatch> everything = events_->ReadAfter(0, {}, 10'000);
  absl::StatusOr<EventBatch> every_probe = events_->ReadAfter(0, {"probe."}, 10'000);
  ASSERT_TRUE(Ok(everything));
  ASSERT_TRUE(Ok(every_probe));
  std::vector<int64_t> committed;
  for (const StoredEvent& e : everything->events) committed.push_back(e.sequence);
  std::vector<int64_t> committed_probes;
  for (const StoredEvent& e : every_probe->events) committed_probes.push_back(e.sequence);
  EXPECT_EQ(committed.size(), kWriters * kEventsPerWriter + kWriters * 3);
  EXPECT_EQ(committed_probes.size(), static_cast<size_t>(kWriters * kEventsPerWriter / 3));
  // Each exactly once, in order: nothing committed behind a reader's back.
  EXPECT_EQ(all.read, committed);
  EXPECT_EQ(probes.read, committed_probes);
}

// ---- WatchEvents ----

TEST_F(EventsTest, StreamFromTheStartDeliversEveryEventInOrderWithTheAccount) {
  std::vector<Account> created;
  for (int i = 0; i < 4; ++i) created.push_back(MustCreate(absl::StrCat("REG-", i)));
  const Account renamed = MustRename(created[1].id, "华东精细化工集团");

  auto watch = WatchAs(kSystem, 0);
  Received got;
  ASSERT_TRUE(watch->ReadEvents(5, &got));
  EXPECT_THAT(Types(got.events),
              ElementsAre("account.created", "account.created", "account.created",
                          "account.created", "account.updated"));
  std::set<std::string> event_ids;
  int64_t previous = 0;
  for (const v1::Event& e : got.events) {
    EXPECT_GT(e.sequence(), previous);
    previous = e.sequence();
    event_ids.insert(e.event_id());
    EXPECT_EQ(e.aggregate_type(), "account");
    EXPECT_EQ(e.payload_case(), v1::Event::kAccount);
    EXPECT_EQ(e.aggregate_id(), absl::StrCat(e.account().id()));
    EXPECT_EQ(
        absl::FromUnixSeconds(e.occur_time().seconds()) + absl::Nanoseconds(e.occur_time().nanos()),
        kNow);
  }
  EXPECT_EQ(event_ids.size(), 5u) << "event ids are unique";
  EXPECT_EQ(got.events[0].account().registration_number(), "REG-0");
  EXPECT_EQ(got.events[4].account().name(), "华东精细化工集团");
  EXPECT_EQ(got.events[4].account().etag(), Etag(renamed));
  EXPECT_EQ(got.messages.back().head_sequence(), got.events.back().sequence());
  watch->Cancel();
}

TEST_F(EventsTest, MessagesHoldAtMost500EventsAndUnknownAggregatesComeWithoutPayload) {
  ASSERT_TRUE(Ok(InTransaction(*pool_, "test.bulk", [&](DbConnection& db) {
    for (int i = 0; i < 620; ++i) WriteOutbox(db, {"widget.made", "widget", "9", "{}", kNow});
    return absl::OkStatus();
  })));
  auto watch = WatchAs(kAdmin, 0);
  Received got;
  ASSERT_TRUE(watch->ReadEvents(620, &got));
  ASSERT_EQ(got.messages.size(), 2u);
  EXPECT_EQ(got.messages[0].events_size(), 500);
  EXPECT_EQ(got.messages[1].events_size(), 120);
  EXPECT_EQ(got.messages[0].head_sequence(), 620);
  EXPECT_EQ(got.events.back().payload_case(), v1::Event::PAYLOAD_NOT_SET);
  EXPECT_EQ(got.events.back().type(), "widget.made");
  watch->Cancel();
}

TEST_F(EventsTest, ResumingFromAMidpointDeliversExactlyTheRest) {
  for (int i = 0; i < 6; ++i) MustCreate(absl::StrCat("REG-", i));
  Received first;
  {
    auto watch = WatchAs(kSystem, 0);
    ASSERT_TRUE(watch->ReadEvents(6, &first));
    watch->Cancel();
  }
  const int64_t cursor = first.events[2].sequence();
  auto resumed = WatchAs(kSystem, cursor);
  Received rest;
  ASSERT_TRUE(resumed->ReadEvents(3, &rest));
  EXPECT_THAT(Sequences(rest.events),
              ElementsAre(first.events[3].sequence(), first.events[4].sequence(),
                          first.events[5].sequence()));
  EXPECT_EQ(rest.events[0].event_id(), first.events[3].event_id()) << "ids survive redelivery";
  // Nothing else follows: the next message is a heartbeat.
  v1::WatchEventsResponse next;
  ASSERT_TRUE(resumed->ReadMessage(&next));
  EXPECT_EQ(next.events_size(), 0);
  resumed->Cancel();
}

TEST_F(EventsTest, EventsCommittedWhileStreamingArrive) {
  MustCreate("REG-before");
  auto watch = WatchAs(kSystem, 0);
  Received got;
  ASSERT_TRUE(watch->ReadEvents(1, &got));
  const Account later = MustCreate("REG-after");
  MustRename(later.id, "后来的名字");
  ASSERT_TRUE(watch->ReadEvents(3, &got));
  EXPECT_THAT(Types(got.events),
              ElementsAre("account.created", "account.created", "account.updated"));
  EXPECT_EQ(got.events[2].account().name(), "后来的名字");
  watch->Cancel();
}

TEST_F(EventsTest, TypePrefixesFilterTheStream) {
  const Account a = MustCreate("REG-1");
  WriteRawEvent("order.recorded", "order_x", "{}");
  MustRename(a.id, "新名字");
  WriteRawEvent("order_line.added", "order_x", "{}");
  WriteRawEvent("payment.recorded", "payment_x", "{}");

  auto updates = WatchAs(kSystem, 0, {"account.upd"});
  Received got_updates;
  ASSERT_TRUE(updates->ReadEvents(1, &got_updates));
  EXPECT_THAT(Types(got_updates.events), ElementsAre("account.updated"));
  // '_' is taken literally: "order_" does not match "order." events.
  auto commerce = WatchAs(kSystem, 0, {"payment.", "order_"});
  Received got_commerce;
  ASSERT_TRUE(commerce->ReadEvents(2, &got_commerce));
  EXPECT_THAT(Types(got_commerce.events), ElementsAre("order_line.added", "payment.recorded"));
  v1::WatchEventsResponse heartbeat;
  ASSERT_TRUE(commerce->ReadMessage(&heartbeat));
  EXPECT_EQ(heartbeat.events_size(), 0);
  EXPECT_EQ(heartbeat.head_sequence(), 5) << "the head counts every event, filtered or not";
  updates->Cancel();
  commerce->Cancel();
}

TEST_F(EventsTest, AccountChangesInThePayloadAreDelivered) {
  const Account a = MustCreate("REG-1");
  nlohmann::json payload = AccountJson(a);
  payload["changes"] = {{{"account_id", a.id},
                         {"kind", static_cast<int>(HistoryKind::kTier)},
                         {"from_value", "TIER_B"},
                         {"to_value", "TIER_A"},
                         {"actor", "dir-zhao"},
                         {"reason", "annual review"},
                         {"request_id", "req-9"},
                         {"time", absl::ToUnixMicros(kNow)}}};
  WriteRawEvent("account.tier_changed", "account", payload.dump());
  WriteRawEvent("account.updated", "account", "{not json");

  auto watch = WatchAs(kSystem, 0, {"account.tier", "account.updated"});
  Received got;
  ASSERT_TRUE(watch->ReadEvents(2, &got));
  const v1::Event& tier = got.events[0];
  EXPECT_EQ(tier.account().id(), a.id);
  ASSERT_EQ(tier.changes_size(), 1);
  EXPECT_EQ(tier.changes(0).kind(), v1::HISTORY_KIND_TIER);
  EXPECT_EQ(tier.changes(0).to_value(), "TIER_A");
  EXPECT_EQ(tier.changes(0).reason(), "annual review");
  EXPECT_EQ(tier.changes(0).change_time().seconds(), absl::ToUnixSeconds(kNow));
  // A payload that cannot be read does not stop the stream at that event.
  EXPECT_EQ(got.events[1].type(), "account.updated");
  EXPECT_EQ(got.events[1].payload_case(), v1::Event::PAYLOAD_NOT_SET);
  watch->Cancel();
}

TEST_F(EventsTest, OnlySystemCallersAndAdminsMayWatchWithAVerifiedIdentity) {
  v1::WatchEventsRequest request;
  EXPECT_EQ(Refusal(As(kDirector, kWatch), request).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Refusal(As(kManager, kWatch), request).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Refusal({}, request).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Refusal(As(kSystem, kWatch, "a-key-the-gateway-never-had"), request).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Refusal(As(kSystem, kAudit), request).error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << "an identity signed for another method";
  EXPECT_EQ(StreamsHandled("PermissionDenied"), 2);
  EXPECT_EQ(StreamsHandled("Unauthenticated"), 3);
  EXPECT_EQ(ActiveStreams(), 0);
}

TEST_F(EventsTest, InvalidRequestsNameTheField) {
  auto refusal = [&](const v1::WatchEventsRequest& request) {
    return Refusal(As(kSystem, kWatch), request);
  };
  v1::WatchEventsRequest negative;
  negative.set_after_sequence(-1);
  EXPECT_EQ(refusal(negative).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refusal(negative).error_message(), HasSubstr("after_sequence"));
  v1::WatchEventsRequest too_many;
  for (int i = 0; i < 11; ++i) too_many.add_type_prefixes("account.");
  EXPECT_THAT(refusal(too_many).error_message(), HasSubstr("type_prefixes"));
  for (const std::string& bad :
       std::vector<std::string>{"", "Account.", "account-", std::string(65, 'a')}) {
    v1::WatchEventsRequest request;
    request.add_type_prefixes("order.");
    request.add_type_prefixes(bad);
    const grpc::Status status = refusal(request);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(status.error_message(), HasSubstr("type_prefixes[1]")) << bad;
  }
}

TEST_F(EventsTest, IdleStreamsSendHeartbeatsWithTheHead) {
  MustCreate("REG-1");
  auto watch = WatchAs(kSystem, 0, {"nothing."});
  v1::WatchEventsResponse first;
  ASSERT_TRUE(watch->ReadMessage(&first));  // the first read answers at once
  const absl::Time start = absl::Now();
  EXPECT_EQ(first.events_size(), 0);
  EXPECT_EQ(first.head_sequence(), 1);
  MustCreate("REG-2");
  v1::WatchEventsResponse heartbeat;
  ASSERT_TRUE(watch->ReadMessage(&heartbeat));
  const absl::Duration waited = absl::Now() - start;
  EXPECT_EQ(heartbeat.events_size(), 0);
  EXPECT_EQ(heartbeat.head_sequence(), 2);
  EXPECT_GE(waited, kFastStreams.heartbeat_interval - absl::Milliseconds(50));
  EXPECT_LT(waited, absl::Seconds(3));
  EXPECT_EQ(Metric("kam_outbox_head_sequence", {}), 2);
  watch->Cancel();
}

TEST_F(EventsTest, ClientCancelEndsTheStreamPromptly) {
  auto watch = WatchAs(kSystem, 0);
  v1::WatchEventsResponse first;
  ASSERT_TRUE(watch->ReadMessage(&first));
  EXPECT_EQ(ActiveStreams(), 1);
  const absl::Time start = absl::Now();
  watch->Cancel();
  EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(Eventually([&] { return ActiveStreams() == 0; }, absl::Seconds(2)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_TRUE(Eventually([&] { return StreamsHandled("Canceled") == 1; }, absl::Seconds(2)));
  EXPECT_EQ(Metric("grpc_server_started_total", {{"grpc_type", "server_stream"},
                                                 {"grpc_service", "kam.accounts.v1.AccountService"},
                                                 {"grpc_method", "WatchEvents"}}),
            1);
}

TEST_F(EventsTest, StreamsBeyondTheLimitAreRefused) {
  std::vector<std::unique_ptr<Watch>> open;
  for (int i = 0; i < kFastStreams.max_streams; ++i) {
    open.push_back(WatchAs(kSystem, 0));
    v1::WatchEventsResponse first;
    ASSERT_TRUE(open.back()->ReadMessage(&first));
  }
  auto one_more = WatchAs(kSystem, 0);
  EXPECT_EQ(one_more->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  open.front()->Cancel();
  open.front()->Finish();
  ASSERT_TRUE(Eventually([&] { return ActiveStreams() == kFastStreams.max_streams - 1; },
                         absl::Seconds(2)));
  auto again = WatchAs(kSystem, 0);
  v1::WatchEventsResponse first;
  EXPECT_TRUE(again->ReadMessage(&first));
  again->Cancel();
  for (auto& watch : open) watch->Cancel();
}

TEST_F(EventsTest, ServerShutdownEndsOpenStreamsWithinTheGracePeriod) {
  auto watch = WatchAs(kSystem, 0);
  v1::WatchEventsResponse first;
  ASSERT_TRUE(watch->ReadMessage(&first));
  const absl::Time start = absl::Now();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Milliseconds(300)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_FALSE(watch->Finish().ok());
  EXPECT_TRUE(Eventually([&] { return ActiveStreams() == 0; }, absl::Seconds(2)));
}

TEST_F(EventsTest, AnUnreachableDatabaseEndsTheStreamWithUnavailable) {
  MustCreate("REG-1");
  auto watch = WatchAs(kSystem, 0);
  Received got;
  ASSERT_TRUE(watch->ReadEvents(1, &got));
  ASSERT_TRUE(Ok(SchemaTest::server_->Kill()));
  const grpc::Status status = watch->Finish();
  ASSERT_TRUE(Ok(SchemaTest::server_->StartAgain()));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_TRUE(Eventually([&] { return StreamsHandled("Unavailable") == 1; }, absl::Seconds(2)));
  // The client resumes from its cursor once the database is back (and the pool has
  // dropped the connections that died with it).
  ASSERT_TRUE(Eventually([&] { return events_->ReadAfter(0, {}, 1).ok(); }, absl::Seconds(10)));
  MustCreate("REG-2");
  auto resumed = WatchAs(kSystem, got.events.back().sequence());
  Received rest;
  ASSERT_TRUE(resumed->ReadEvents(1, &rest));
  EXPECT_EQ(rest.events[0].account().registration_number(), "REG-2");
  resumed->Cancel();
}

// ---- ListAuditLog ----

TEST_F(EventsTest, AuditLogPagesNewestFirstThroughEveryRecord) {
  const Account a = MustCreate("REG-1", kNow, "dir-zhao");
  const Account b = MustCreate("REG-2", kNow + absl::Hours(1), "dir-qian");
  MustRename(a.id, "改名", kNow + absl::Hours(2), "dir-qian");

  const std::vector<v1::AuditRecord> records = All({}, 2);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_GT(records[0].id(), records[1].id());
  EXPECT_GT(records[1].id(), records[2].id());
  const v1::AuditRecord& rename = records[0];
  EXPECT_EQ(rename.action(), "account.updated");
  EXPECT_EQ(rename.resource_type(), "account");
  EXPECT_EQ(rename.resource_id(), absl::StrCat(a.id));
  EXPECT_EQ(rename.actor(), "dir-qian");
  EXPECT_EQ(rename.request_id(), absl::StrCat("trace-rename-", a.id, "-改名"));
  EXPECT_EQ(rename.time().seconds(), absl::ToUnixSeconds(kNow + absl::Hours(2)));
  EXPECT_EQ(nlohmann::json::parse(rename.before_json())["name"], a.name);
  EXPECT_EQ(nlohmann::json::parse(rename.after_json())["name"], "改名");
  EXPECT_EQ(records[2].before_json(), "null") << "a creation has nothing before it";
  EXPECT_EQ(records[1].resource_id(), absl::StrCat(b.id));
  EXPECT_EQ(AuditIds(All({}, 500)), AuditIds(records)) << "one page or many, the same records";
}

TEST_F(EventsTest, AuditLogFiltersByResourceActorAndTime) {
  const Account a = MustCreate("REG-1", kNow, "dir-zhao");
  const Account b = MustCreate("REG-2", kNow + absl::Hours(1), "dir-qian");
  MustRename(a.id, "改名", kNow + absl::Hours(2), "dir-qian");
  MustRename(b.id, "又改名", kNow + absl::Hours(3), "dir-zhao");

  v1::ListAuditLogRequest of_a;
  of_a.set_resource_type("account");
  of_a.set_resource_id(absl::StrCat(a.id));
  std::vector<v1::AuditRecord> got = All(of_a, 1);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].action(), "account.updated");
  EXPECT_EQ(got[1].action(), "account.created");

  v1::ListAuditLogRequest by_qian;
  by_qian.set_actor("dir-qian");
  got = All(by_qian, 1);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].resource_id(), absl::StrCat(a.id));
  EXPECT_EQ(got[1].resource_id(), absl::StrCat(b.id));

  v1::ListAuditLogRequest window;  // [kNow + 1h, kNow + 3h)
  window.mutable_start_time()->set_seconds(absl::ToUnixSeconds(kNow + absl::Hours(1)));
  window.mutable_end_time()->set_seconds(absl::ToUnixSeconds(kNow + absl::Hours(3)));
  got = All(window, 5);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].after_json().find("改名") != std::string::npos, true);
  EXPECT_EQ(got[1].resource_id(), absl::StrCat(b.id));

  v1::ListAuditLogRequest nobody;
  nobody.set_actor("dir-sun");
  EXPECT_THAT(All(nobody, 5), ElementsAre());
}

TEST_F(EventsTest, AuditLogPageTokensAreBoundToTheirQuery) {
  for (int i = 0; i < 3; ++i) MustCreate(absl::StrCat("REG-", i));
  v1::ListAuditLogRequest request;
  request.set_page_size(1);
  v1::ListAuditLogResponse first;
  ASSERT_TRUE(List(kDirector, request, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());
  request.set_actor("dir-qian");
  request.set_page_token(first.next_page_token());
  v1::ListAuditLogResponse ignored;
  const grpc::Status status = List(kDirector, request, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_token"));
}

TEST_F(EventsTest, AuditLogOnlyDirectorsAndAdminsReadTheTrailAndRequestsAreChecked) {
  MustCreate("REG-1");
  v1::ListAuditLogResponse response;
  EXPECT_TRUE(List(kAdmin, {}, &response).ok());
  EXPECT_EQ(response.records_size(), 1);
  for (const Principal& who : {kManager, kSystem}) {
    EXPECT_EQ(List(who, {}, &response).error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << who.subject;
  }
  auto invalid = [&](const v1::ListAuditLogRequest& request) {
    v1::ListAuditLogResponse ignored;
    return List(kDirector, request, &ignored);
  };
  v1::ListAuditLogRequest negative;
  negative.set_page_size(-1);
  EXPECT_THAT(invalid(negative).error_message(), HasSubstr("page_size"));
  v1::ListAuditLogRequest id_alone;
  id_alone.set_resource_id("1");
  EXPECT_THAT(invalid(id_alone).error_message(), HasSubstr("resource_type"));
  v1::ListAuditLogRequest bad_actor;
  bad_actor.set_actor("dir zhao");
  EXPECT_THAT(invalid(bad_actor).error_message(), HasSubstr("actor"));
  v1::ListAuditLogRequest backwards;
  backwards.mutable_start_time()->set_seconds(absl::ToUnixSeconds(kNow));
  backwards.mutable_end_time()->set_seconds(absl::ToUnixSeconds(kNow) - 1);
  EXPECT_EQ(invalid(backwards).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(invalid(backwards).error_message(), HasSubstr("end_time"));
}

TEST_F(EventsTest, EveryDenialIsAuditedWithItsCallerMethodAndRequestId) {
  v1::ListAuditLogResponse ignored;
  ASSERT_EQ(List(kManager, {}, &ignored).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_EQ(Refusal(As(kDirector, kWatch), {}).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // No verified caller, nobody to name: refused, not audited.
  ASSERT_EQ(Refusal({}, {}).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  v1::ListAuditLogRequest denials;
  denials.set_resource_type("method");
  const std::vector<v1::AuditRecord> got = All(denials, 10);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].actor(), kDirector.subject);
  EXPECT_EQ(got[0].action(), "denied");
  EXPECT_EQ(got[0].resource_id(), "WatchEvents");
  EXPECT_EQ(got[0].request_id(), "trace-events-test");
  EXPECT_EQ(got[0].note(), "the event stream is for system callers and admins");
  EXPECT_EQ(nlohmann::json::parse(got[0].after_json()),
            (nlohmann::json{{"method", kWatch}, {"roles", {"director"}},
                            {"code", "PERMISSION_DENIED"}}));
  EXPECT_EQ(got[1].actor(), kManager.subject);
  EXPECT_EQ(got[1].resource_id(), "ListAuditLog");
  EXPECT_EQ(got[1].note(), "the audit trail is for directors and admins");
  EXPECT_GT(absl::FromUnixSeconds(got[1].time().seconds()), absl::Now() - absl::Minutes(1));
}

TEST_F(EventsTest, ADenialThatCannotBeAuditedIsStillAnsweredAsADenial) {
  Exec("DROP TABLE audit_log");
  v1::ListAuditLogResponse ignored;
  EXPECT_EQ(List(kManager, {}, &ignored).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace kam::accounts
