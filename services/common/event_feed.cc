#include "services/common/event_feed.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/event_service.h"
#include "services/common/identity.h"
#include "services/common/log.h"

namespace kam {
namespace {

// The identity is checked once, when the stream opens (CallHandler::StartStream).
constexpr absl::Duration kIdentityLifetime = absl::Seconds(10);
// How often the watchdog looks for a silent stream.
constexpr absl::Duration kWatchInterval = absl::Seconds(1);

prometheus::Gauge* StreamGauge(prometheus::Registry* registry, const char* name, const char* help,
                               const std::string& stream) {
  if (registry == nullptr) return nullptr;
  return &prometheus::BuildGauge().Name(name).Help(help).Register(*registry).Add(
      {{"stream", stream}});
}

prometheus::Counter* StreamCounter(prometheus::Registry* registry, const char* name,
                                   const char* help, const std::string& stream) {
  if (registry == nullptr) return nullptr;
  return &prometheus::BuildCounter().Name(name).Help(help).Register(*registry).Add(
      {{"stream", stream}});
}

}  // namespace

std::shared_ptr<grpc::Channel> MakeFeedChannel(const std::string& address,
                                               const EventFeedOptions& options) {
  grpc::ChannelArguments args;
  const auto ms = [](absl::Duration d) { return static_cast<int>(absl::ToInt64Milliseconds(d)); };
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, ms(options.min_backoff));
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, ms(options.min_backoff));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, ms(options.max_backoff));
  return grpc::CreateCustomChannel("dns:///" + address, grpc::InsecureChannelCredentials(), args);
}

int64_t CursorAfter(int64_t cursor, int event_count, int64_t last_event_sequence,
                    int64_t head_sequence) {
  if (event_count > 0) cursor = std::max(cursor, last_event_sequence);
  // A full message may have stopped short of the head (the producer read only that many);
  // a shorter one holds every matching event up to it.
  if (event_count < kMaxEventsPerMessage) cursor = std::max(cursor, head_sequence);
  return cursor;
}

EventFeedCore::EventFeedCore(EventFeedOptions options, LoadCursor load_cursor,
                             prometheus::Registry* registry)
    : options_(std::move(options)),
      load_cursor_(std::move(load_cursor)),
      lag_gauge_(StreamGauge(registry, "kam_event_consumer_lag",
                             "Producer head minus this consumer's cursor, in sequence numbers, "
                             "as of the last message applied.",
                             options_.stream)),
      connected_gauge_(StreamGauge(registry, "kam_event_consumer_connected",
                                   "1 while the consumer's stream to its producer is open.",
                                   options_.stream)),
      applied_counter_(StreamCounter(registry, "kam_event_consumer_applied_total",
                                     "Events whose effects this consumer applied (duplicates "
                                     "not counted).",
                                     options_.stream)) {}

EventFeedCore::~EventFeedCore() { Stop(); }

void EventFeedCore::Start() {
  thread_ = std::thread([this] { Run(); });
  watchdog_ = std::thread([this] { Watch(); });
}

void EventFeedCore::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    if (open_context_ != nullptr) open_context_->TryCancel();
  }
  stopping_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (watchdog_.joinable()) watchdog_.join();
}

bool EventFeedCore::connected() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return connected_;
}

bool EventFeedCore::caught_up() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return connected_ && caught_up_;
}

int64_t EventFeedCore::cursor() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cursor_;
}

void EventFeedCore::Applied(const FeedProgress& progress, int64_t head_sequence) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cursor_ = progress.cursor;
    caught_up_ = progress.cursor >= head_sequence;
    ++messages_;
    last_message_ = absl::Now();
  }
  SetConnected(true);
  if (head_sequence < progress.cursor && progress.applied == 0) {
    // Nothing after the cursor will arrive until the head passes it again.
    LogError("event feed: the producer's head is behind the stored cursor (restored?)",
             {{"stream", options_.stream}, {"cursor", progress.cursor}, {"head", head_sequence}});
  }
  if (lag_gauge_ != nullptr) {
    lag_gauge_->Set(static_cast<double>(std::max<int64_t>(0, head_sequence - progress.cursor)));
  }
  if (applied_counter_ != nullptr && progress.applied > 0) {
    applied_counter_->Increment(static_cast<double>(progress.applied));
  }
}

void EventFeedCore::SetConnected(bool connected) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    connected_ = connected;
  }
  if (connected_gauge_ != nullptr) connected_gauge_->Set(connected ? 1 : 0);
}

void EventFeedCore::Run() {
  absl::Duration delay = options_.min_backoff;
  while (true) {
    const bool delivered = Attempt();
    SetConnected(false);
    // A stream that worked ended normally (the producer recycles connections): come back
    // quickly. Repeated failures back off up to the cap.
    if (delivered) delay = options_.min_backoff;
    if (!Backoff(delay)) return;
    delay = std::min(delay * 2, options_.max_backoff);
  }
}

bool EventFeedCore::Attempt() {
  // The consumer's own record is the truth: whatever it committed last, nothing else.
  absl::StatusOr<int64_t> cursor = load_cursor_();
  if (!cursor.ok()) {
    LogWarn("event feed: cannot read the stored cursor",
            {{"stream", options_.stream}, {"error", cursor.status().ToString()}});
    return false;
  }
  grpc::ClientContext context;
  const SignedIdentity identity =
      SignIdentity(Principal{options_.subject, {"system"}, ""}, options_.full_method,
                   options_.identity_key, absl::Now() + kIdentityLifetime);
  context.AddMetadata(kIdentityHeader, identity.payload);
  context.AddMetadata(kIdentitySignatureHeader, identity.signature);
  context.AddMetadata(kRequestIdHeader, absl::StrCat("feed-", options_.stream, "-", NewUuid()));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return false;
    cursor_ = *cursor;
    messages_ = 0;
    last_message_ = absl::Now();
    open_context_ = &context;
  }
  const absl::Status ended = Follow(context, *cursor);
  int64_t messages = 0;
  bool stopping = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    open_context_ = nullptr;
    messages = messages_;
    stopping = stopping_;
  }
  if (!stopping) {
    LogWarn("event feed: stream ended, reconnecting",
            {{"stream", options_.stream}, {"messages", messages}, {"error", ended.ToString()}});
  }
  return messages > 0;
}

bool EventFeedCore::Backoff(absl::Duration delay) {
  std::unique_lock<std::mutex> lock(mutex_);
  return !stopping_cv_.wait_for(lock, absl::ToChronoNanoseconds(delay),
                                [this] { return stopping_; });
}

void EventFeedCore::Watch() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_cv_.wait_for(lock, absl::ToChronoNanoseconds(kWatchInterval),
                                [this] { return stopping_; })) {
    if (open_context_ != nullptr && absl::Now() - last_message_ > options_.stall_timeout) {
      LogWarn("event feed: stream silent, reopening", {{"stream", options_.stream}});
      open_context_->TryCancel();
      last_message_ = absl::Now();  // once per stall
    }
  }
}

}  // namespace kam
