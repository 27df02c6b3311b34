#pragma once

#include <google/protobuf/repeated_field.h>
#include <grpcpp/support/server_callback.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "services/common/call_handler.h"
#include "services/common/denial_audit.h"
#include "services/common/event_store.h"
#include "services/common/proto_support.h"
#include "services/common/validation.h"

// The two read sides of the outbox and audit trail that every producing service serves the
// same way: WatchEvents (a resumable server stream of committed events) and ListAuditLog.
// Each service's protos declare their own Event/AuditRecord messages with the same field
// names; these templates work on any of them.
namespace kam {

// Messages of WatchEvents: at most this many events each.
inline constexpr int kMaxEventsPerMessage = 500;

// WatchEvents request fields: after_sequence >= 0; at most 10 type prefixes of 1-64
// characters of a-z, '_' and '.'.
absl::Status CheckWatchRequest(int64_t after_sequence,
                               const google::protobuf::RepeatedPtrField<std::string>& prefixes);
// The stream carries every record's data: machine consumers and admins only.
absl::Status CheckWatcher(const Principal& caller);
// The audit trail: directors and admins.
absl::Status CheckAuditReader(const Principal& caller);
// The filters of a ListAuditLog request (fields resource_type, resource_id, actor,
// start_time, end_time), validated.
absl::StatusOr<AuditFilter> CheckAuditFilter(std::string resource_type, std::string resource_id,
                                             std::string actor,
                                             const google::protobuf::Timestamp& start_time,
                                             bool has_start, const google::protobuf::Timestamp& end,
                                             bool has_end);

// Fills the envelope of an event (sequence, id, type, aggregate, time); the caller types
// the payload.
template <typename Event>
void FillEnvelope(const StoredEvent& stored, Event* event) {
  event->set_sequence(stored.sequence);
  event->set_event_id(stored.event_id);
  event->set_type(stored.type);
  event->set_aggregate_type(stored.aggregate_type);
  event->set_aggregate_id(stored.aggregate_id);
  ToTimestamp(stored.time, event->mutable_occur_time());
}

// One WatchEvents call. Its own thread follows the outbox (reads on a pooled connection
// that is returned before anything is written), writes one message at a time and waits for
// it to be taken, so gRPC's threads never wait on the database and a slow reader holds no
// connection. The thread ends by calling Finish exactly once; OnDone then reaps it.
// `Response` has `repeated Event events` and `int64 head_sequence`.
template <typename Response, typename Event>
class EventStreamReactor final : public grpc::ServerWriteReactor<Response> {
 public:
  // Converts a stored event to the wire (envelope and typed payload).
  using ToProto = std::function<void(const StoredEvent&, Event*)>;

  EventStreamReactor(EventStore& store, EventStore::StreamSlot slot, StreamCall call,
                     int64_t after_sequence, std::vector<std::string> type_prefixes,
                     ToProto to_proto)
      : store_(store),
        slot_(std::move(slot)),
        call_(std::move(call)),
        cursor_(after_sequence),
        type_prefixes_(std::move(type_prefixes)),
        to_proto_(std::move(to_proto)) {
    thread_ = std::thread([this] { Serve(); });
  }

  void OnWriteDone(bool ok) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      writing_ = false;
      write_ok_ = ok;
    }
    changed_.notify_all();
  }

  void OnCancel() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cancelled_ = true;
    }
    changed_.notify_all();
  }

  void OnDone() override {
    // Finish was the thread's last act, so this join is short. gRPC may also run OnDone
    // inside Finish, on the thread itself, which then touches nothing after Finish returns.
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
    delete this;
  }

 private:
  void Serve() {
    const grpc::Status status = call_.Finish(Follow());
    this->Finish(status);
  }

  // Sends what is committed after the cursor, then follows new commits, until the client
  // goes away (CANCELLED), its deadline passes or the database fails (UNAVAILABLE: the
  // client resumes from its cursor).
  absl::Status Follow() {
    const EventStreamOptions& options = store_.options();
    absl::Time last_message = absl::InfinitePast();  // the first read always answers
    for (;;) {
      if (absl::Status stop = Stopped(); !stop.ok()) return stop;
      absl::StatusOr<EventBatch> batch =
          store_.ReadAfter(cursor_, type_prefixes_, kMaxEventsPerMessage);
      if (!batch.ok()) return batch.status();
      if (!batch->events.empty() || absl::Now() - last_message >= options.heartbeat_interval) {
        if (!Send(*batch)) return absl::CancelledError("the client went away");
        last_message = absl::Now();
      }
      cursor_ = batch->scanned_to;
      if (!batch->more) WaitForCancel(options.poll_interval);
    }
  }

  absl::Status Stopped() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!cancelled_) return absl::OkStatus();
    if (absl::Now() >= call_.context()->deadline) {
      return absl::DeadlineExceededError("deadline exceeded");
    }
    return absl::CancelledError("the client went away");
  }

  // Writes one message and waits until gRPC is done with it; false if it was not delivered.
  bool Send(const EventBatch& batch) {
    response_.Clear();
    for (const StoredEvent& event : batch.events) to_proto_(event, response_.add_events());
    response_.set_head_sequence(batch.head_sequence);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      writing_ = true;
    }
    // Not under the mutex: gRPC may call OnWriteDone from inside StartWrite.
    this->StartWrite(&response_);
    std::unique_lock<std::mutex> lock(mutex_);
    // A cancelled call still completes its write (with ok = false), so this always ends.
    changed_.wait(lock, [this] { return !writing_; });
    return write_ok_;
  }

  void WaitForCancel(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return cancelled_; });
  }

  EventStore& store_;
  EventStore::StreamSlot slot_;
  StreamCall call_;
  int64_t cursor_;
  const std::vector<std::string> type_prefixes_;
  const ToProto to_proto_;
  Response response_;  // the message in flight; gRPC reads it until OnWriteDone

  std::mutex mutex_;
  std::condition_variable changed_;
  bool writing_ = false;
  bool write_ok_ = false;
  bool cancelled_ = false;
  std::thread thread_;
};

// A whole WatchEvents handler: identity, role, request, a stream slot, then the stream.
template <typename Response, typename Request, typename Event>
grpc::ServerWriteReactor<Response>* ServeWatchEvents(
    const CallHandler& handler, grpc::CallbackServerContext* context, std::string_view full_method,
    EventStore& store, const Request& request,
    typename EventStreamReactor<Response, Event>::ToProto to_proto) {
  StreamCall call = handler.StartStream(context, full_method);
  absl::Status admitted = call.context().status();
  if (admitted.ok()) admitted = CheckWatcher(call.context()->principal);
  if (admitted.ok())
    admitted = CheckWatchRequest(request.after_sequence(), request.type_prefixes());
  std::optional<EventStore::StreamSlot> slot = admitted.ok() ? store.OpenStream() : std::nullopt;
  if (admitted.ok() && !slot) {
    admitted = absl::ResourceExhaustedError("too many event streams, retry later");
  }
  if (absl::IsPermissionDenied(admitted)) {
    AuditDenial(*call.context(), full_method, admitted);
  }
  if (!admitted.ok()) return RefuseStream<Response>(std::move(call), admitted);
  return new EventStreamReactor<Response, Event>(
      store, *std::move(slot), std::move(call), request.after_sequence(),
      {request.type_prefixes().begin(), request.type_prefixes().end()}, std::move(to_proto));
}

// A whole ListAuditLog body (run it with CallHandler::Run): role, filters, page token, page.
// `method` is the short name the page token is bound to.
template <typename Request, typename Response>
absl::Status ListAuditLog(EventStore& store, const CallContext& call, std::string_view method,
                          const Request& request, Response* response) {
  if (auto s = CheckAuditReader(call.principal); !s.ok()) return s;
  absl::StatusOr<int> page_size = NormalizePageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  absl::StatusOr<AuditFilter> filter = CheckAuditFilter(
      request.resource_type(), request.resource_id(), request.actor(), request.start_time(),
      request.has_start_time(), request.end_time(), request.has_end_time());
  if (!filter.ok()) return filter.status();
  const std::string digest = PageTokenKey(call, method, request);
  absl::StatusOr<int64_t> before = DecodePageToken(request.page_token(), digest);
  if (!before.ok()) return before.status();
  absl::StatusOr<Page<AuditRecord>> page = store.ListAudit(*filter, *before, *page_size);
  if (!page.ok()) return page.status();
  for (const AuditRecord& r : page->items) {
    auto* out = response->add_records();
    out->set_id(r.id);
    out->set_actor(r.entry.actor);
    out->set_action(r.entry.action);
    out->set_resource_type(r.entry.resource_type);
    out->set_resource_id(r.entry.resource_id);
    out->set_request_id(r.entry.request_id);
    ToTimestamp(r.entry.time, out->mutable_time());
    out->set_before_json(r.entry.before_json);
    out->set_after_json(r.entry.after_json);
    out->set_note(r.entry.note);
  }
  if (page->more) response->set_next_page_token(EncodePageToken(page->items.back().id, digest));
  return absl::OkStatus();
}

}  // namespace kam
