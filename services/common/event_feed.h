#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace prometheus {
class Counter;
class Gauge;
class Registry;
}  // namespace prometheus

// The consuming side of a producer's WatchEvents stream (ARCHITECTURE.md, "Data ownership
// and events"): connect straight to the producer with an identity signed here, resume after
// the cursor the consumer stored, hand every message to the consumer (which stores the
// events' effects and its new cursor in one transaction), and reconnect with capped
// exponential backoff whenever the stream ends (the producer recycles connections every
// 5 minutes) or anything fails. Exactly-once in effect is the consumer's part: it skips
// events at or below its stored cursor.
namespace kam {

struct EventFeedOptions {
  // Names the stream in metrics, logs and the consumer's cursor row, e.g. "accounts".
  std::string stream;
  // The producer's method, e.g. "/kam.accounts.v1.AccountService/WatchEvents"; the identity
  // is signed for it.
  std::string full_method;
  // Who this process is to the producer (the identity's subject, role "system").
  std::string subject;
  // KAM_IDENTITY_KEY, shared with the producer.
  std::string identity_key;
  // Only events whose type starts with one of these (empty: all).
  std::vector<std::string> type_prefixes;
  // Waits between reconnects: min_backoff after a stream that delivered something, then
  // doubling up to max_backoff while attempts keep failing.
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  // A stream silent for this long is taken for dead and reopened (a lost connection may
  // never report an error; the producer sends a heartbeat at least every 10 s).
  absl::Duration stall_timeout = absl::Seconds(30);
};

// The one channel a feed uses to reach its producer at `address` ("host:port"): insecure
// like every internal hop, and with gRPC's own reconnect backoff capped at the feed's
// (gRPC's default grows to 2 minutes, which would hold a feed off a producer that is back).
std::shared_ptr<grpc::Channel> MakeFeedChannel(const std::string& address,
                                               const EventFeedOptions& options);

// What the consumer's apply stored for one message.
struct FeedProgress {
  int64_t cursor = 0;   // the cursor now stored
  int64_t applied = 0;  // events whose effects were new (duplicates and skipped ones: 0)
};

// The cursor a consumer stores after `message`, given the `cursor` stored before: the last
// event's sequence, or the producer's head when the message provably holds every matching
// event up to it (fewer than the per-message maximum; services/common/event_service.h).
// Without the second rule a filtered stream whose newest events are all filtered out would
// never look caught up.
int64_t CursorAfter(int64_t cursor, int event_count, int64_t last_event_sequence,
                    int64_t head_sequence);
template <typename Response>
int64_t CursorAfter(int64_t cursor, const Response& message) {
  const int n = message.events_size();
  return CursorAfter(cursor, n, n > 0 ? message.events(n - 1).sequence() : 0,
                     message.head_sequence());
}

// The stream-independent part: the thread, reconnects, backoff, state and metrics
// (kam_event_consumer_lag{stream}, kam_event_consumer_connected{stream},
// kam_event_consumer_applied_total{stream}). EventFeed below adds the typed call.
class EventFeedCore {
 public:
  // Reads the consumer's stored cursor (0 when it has none); called at every (re)connect.
  using LoadCursor = std::function<absl::StatusOr<int64_t>()>;

  EventFeedCore(const EventFeedCore&) = delete;
  EventFeedCore& operator=(const EventFeedCore&) = delete;
  virtual ~EventFeedCore();

  // Starts following in a thread of its own. Once only.
  void Start();
  // Cancels the open stream and joins the thread; safe to call twice.
  void Stop();

  // Whether a stream is open and has delivered its first message.
  bool connected() const;
  // Connected, and the last message applied brought the cursor to the producer's head.
  bool caught_up() const;
  // The cursor as of the last message applied (or loaded).
  int64_t cursor() const;
  const EventFeedOptions& options() const { return options_; }

 protected:
  EventFeedCore(EventFeedOptions options, LoadCursor load_cursor, prometheus::Registry* registry);

  // One stream: opens it after `cursor` on `context` (identity already attached), applies
  // every message (reporting each with Applied) until the stream ends or apply fails, and
  // returns why it ended.
  virtual absl::Status Follow(grpc::ClientContext& context, int64_t cursor) = 0;
  // Follow reports each applied message: the progress the consumer stored and the
  // producer's head in the message.
  void Applied(const FeedProgress& progress, int64_t head_sequence);
  // Derived destructors must call Stop() first: the thread calls Follow.
  void StopBeforeDestruction() { Stop(); }

 private:
  void Run();
  // One connection attempt; whether the stream delivered at least one message.
  bool Attempt();
  // Cancels a stream that has been silent longer than stall_timeout.
  void Watch();
  void SetConnected(bool connected);
  // Waits `delay` unless stopped first; false when stopped.
  bool Backoff(absl::Duration delay);

  const EventFeedOptions options_;
  const LoadCursor load_cursor_;
  prometheus::Gauge* lag_gauge_ = nullptr;
  prometheus::Gauge* connected_gauge_ = nullptr;
  prometheus::Counter* applied_counter_ = nullptr;

  mutable std::mutex mutex_;
  std::condition_variable stopping_cv_;
  bool stopping_ = false;
  grpc::ClientContext* open_context_ = nullptr;  // the stream to cancel on Stop
  bool connected_ = false;
  bool caught_up_ = false;
  int64_t cursor_ = 0;
  int64_t messages_ = 0;     // in the open stream
  absl::Time last_message_;  // or the stream's start
  std::thread thread_;
  std::thread watchdog_;
};

// A feed of one producer's WatchEvents: `Service` is the generated service class
// (e.g. kam::accounts::v1::AccountService), `Request` has after_sequence and type_prefixes,
// `Response` has repeated events (each with sequence) and head_sequence.
template <typename Service, typename Request, typename Response>
class EventFeed final : public EventFeedCore {
 public:
  // Stores the message's effects and the new cursor in one transaction; an error ends the
  // stream (the feed reconnects from the stored cursor after a backoff).
  using Apply = std::function<absl::StatusOr<FeedProgress>(const Response&)>;

  EventFeed(const std::shared_ptr<grpc::Channel>& channel, EventFeedOptions options,
            LoadCursor load_cursor, Apply apply, prometheus::Registry* registry)
      : EventFeedCore(std::move(options), std::move(load_cursor), registry),
        stub_(Service::NewStub(channel)),
        apply_(std::move(apply)) {}
  ~EventFeed() override { StopBeforeDestruction(); }

 private:
  absl::Status Follow(grpc::ClientContext& context, int64_t cursor) override {
    Request request;
    request.set_after_sequence(cursor);
    for (const std::string& prefix : options().type_prefixes) request.add_type_prefixes(prefix);
    std::unique_ptr<grpc::ClientReader<Response>> reader = stub_->WatchEvents(&context, request);
    Response message;
    absl::Status failed;
    while (failed.ok() && reader->Read(&message)) {
      absl::StatusOr<FeedProgress> progress = apply_(message);
      if (progress.ok()) {
        Applied(*progress, message.head_sequence());
      } else {
        failed = progress.status();
        context.TryCancel();
      }
    }
    while (reader->Read(&message)) {
    }
    const grpc::Status status = reader->Finish();
    if (!failed.ok()) return failed;
    if (status.ok()) return absl::UnavailableError("the producer ended the stream");
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }

  std::unique_ptr<typename Service::Stub> stub_;
  const Apply apply_;
};

}  // namespace kam
