#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/accounts/events_store.h"
#include "services/accounts/service.h"
#include "services/common/log.h"
#include "services/common/status.h"
#include "services/common/validation.h"

// The event stream (WatchEvents) and the audit trail (ListAuditLog).
namespace kam::accounts {
namespace {

constexpr char kWatchEvents[] = "/kam.accounts.v1.AccountService/WatchEvents";
constexpr char kListAuditLog[] = "/kam.accounts.v1.AccountService/ListAuditLog";

// events.proto: at most 500 events per message.
constexpr int kMaxEventsPerMessage = 500;
constexpr int kMaxTypePrefixes = 10;
constexpr size_t kMaxTypePrefixChars = 64;
// The widths of audit_log.resource_type and resource_id.
constexpr size_t kMaxResourceChars = 64;

bool IsTypePrefixChar(char c) { return (c >= 'a' && c <= 'z') || c == '_' || c == '.'; }

absl::Status CheckWatchRequest(const v1::WatchEventsRequest& request) {
  if (request.after_sequence() < 0) return InvalidField("after_sequence", "must not be negative");
  if (request.type_prefixes_size() > kMaxTypePrefixes) {
    return InvalidField("type_prefixes", absl::StrCat("at most ", kMaxTypePrefixes, " entries"));
  }
  for (int i = 0; i < request.type_prefixes_size(); ++i) {
    const std::string& prefix = request.type_prefixes(i);
    if (prefix.empty() || prefix.size() > kMaxTypePrefixChars ||
        !std::all_of(prefix.begin(), prefix.end(), IsTypePrefixChar)) {
      return InvalidField(absl::StrCat("type_prefixes[", i, "]"),
                          "1-64 characters of a-z, '_' and '.'");
    }
  }
  return absl::OkStatus();
}

// The stream carries every account's data: machine consumers and admins only.
absl::Status CheckWatcher(const Principal& caller) {
  if (caller.HasAnyRole({"system", "admin"})) return absl::OkStatus();
  return absl::PermissionDeniedError("the event stream is for system callers and admins");
}

// Identity, then role, then the request.
absl::Status AdmitWatcher(const StreamCall& call, const v1::WatchEventsRequest& request) {
  if (!call.context().ok()) return call.context().status();
  if (auto s = CheckWatcher(call.context()->principal); !s.ok()) return s;
  return CheckWatchRequest(request);
}

// Each part of the business types the payloads of its own aggregates (service.h).
using EventFiller = bool (*)(const std::string&, const nlohmann::json&, v1::Event*);
constexpr EventFiller kEventFillers[] = {FillArchiveEvent, FillEngagementEvent, FillPipelineEvent,
                                         FillCommerceEvent};

// The typed payload comes from the part that owns the aggregate; an aggregate no part knows
// leaves it unset. A payload that cannot be read is delivered without one (and logged):
// holding the stream on it would stop every consumer at that event for good.
void ToProto(const StoredEvent& stored, v1::Event* event) {
  event->set_sequence(stored.sequence);
  event->set_event_id(stored.event_id);
  event->set_type(stored.type);
  event->set_aggregate_type(stored.aggregate_type);
  event->set_aggregate_id(stored.aggregate_id);
  ToTimestamp(stored.time, event->mutable_occur_time());
  try {
    const nlohmann::json payload = nlohmann::json::parse(stored.payload_json);
    for (EventFiller fill : kEventFillers) {
      if (fill(stored.aggregate_type, payload, event)) break;
    }
  } catch (const std::exception& e) {
    event->clear_payload();
    event->clear_changes();
    LogError("unreadable event payload", {{"sequence", stored.sequence}, {"error", e.what()}});
  }
}

// One WatchEvents call. Its own thread follows the outbox (reads on a pooled connection
// that is returned before anything is written), writes one message at a time and waits for
// it to be taken, so gRPC's threads never wait on the database and a slow reader holds no
// connection. The thread ends by calling Finish exactly once; OnDone then reaps it.
class EventStream final : public grpc::ServerWriteReactor<v1::WatchEventsResponse> {
 public:
  EventStream(EventStore& store, EventStore::StreamSlot slot, StreamCall call,
              const v1::WatchEventsRequest& request)
      : store_(store),
        slot_(std::move(slot)),
        call_(std::move(call)),
        cursor_(request.after_sequence()),
        type_prefixes_(request.type_prefixes().begin(), request.type_prefixes().end()) {
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
    Finish(status);
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
    for (const StoredEvent& event : batch.events) ToProto(event, response_.add_events());
    response_.set_head_sequence(batch.head_sequence);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      writing_ = true;
    }
    // Not under the mutex: gRPC may call OnWriteDone from inside StartWrite.
    StartWrite(&response_);
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
  v1::WatchEventsResponse response_;  // the message in flight; gRPC reads it until OnWriteDone

  std::mutex mutex_;
  std::condition_variable changed_;
  bool writing_ = false;
  bool write_ok_ = false;
  bool cancelled_ = false;
  std::thread thread_;
};

// Audit readers: those who supervise the whole operation.
absl::Status CheckAuditReader(const Principal& caller) {
  if (caller.HasAnyRole({"director", "admin"})) return absl::OkStatus();
  return absl::PermissionDeniedError("the audit trail is for directors and admins");
}

absl::StatusOr<AuditFilter> CheckAuditFilter(const v1::ListAuditLogRequest& request) {
  AuditFilter filter;
  filter.resource_type = request.resource_type();
  filter.resource_id = request.resource_id();
  filter.actor = request.actor();
  if (auto s = CheckText("resource_type", filter.resource_type, kMaxResourceChars, false);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckText("resource_id", filter.resource_id, kMaxResourceChars, false); !s.ok()) {
    return s;
  }
  // resource_id alone would scan the whole trail: the index leads with the type.
  if (!filter.resource_id.empty() && filter.resource_type.empty()) {
    return InvalidField("resource_type", "required with resource_id");
  }
  if (auto s = CheckToken("actor", filter.actor, kMaxSubjectChars, false); !s.ok()) return s;
  absl::StatusOr<std::optional<absl::Time>> start =
      CheckTime("start_time", request.start_time(), request.has_start_time(), false);
  if (!start.ok()) return start.status();
  absl::StatusOr<std::optional<absl::Time>> end =
      CheckTime("end_time", request.end_time(), request.has_end_time(), false);
  if (!end.ok()) return end.status();
  if (*start && *end && **end < **start) return InvalidField("end_time", "before start_time");
  filter.start_time = *start;
  filter.end_time = *end;
  return filter;
}

void ToProto(const AuditRecord& r, v1::AuditRecord* out) {
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

}  // namespace

grpc::ServerWriteReactor<v1::WatchEventsResponse>* AccountServiceImpl::WatchEvents(
    grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) {
  StreamCall call = handler_.StartStream(context, kWatchEvents);
  absl::Status admitted = AdmitWatcher(call, *request);
  std::optional<EventStore::StreamSlot> slot =
      admitted.ok() ? stores_.events->OpenStream() : std::nullopt;
  if (admitted.ok() && !slot) {
    admitted = absl::ResourceExhaustedError("too many event streams, retry later");
  }
  if (!admitted.ok()) return RefuseStream<v1::WatchEventsResponse>(std::move(call), admitted);
  return new EventStream(*stores_.events, *std::move(slot), std::move(call), *request);
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListAuditLog(grpc::CallbackServerContext* context,
                                                           const v1::ListAuditLogRequest* request,
                                                           v1::ListAuditLogResponse* response) {
  return handler_.Run(context, kListAuditLog, [=](const CallContext& call) -> absl::Status {
    if (auto s = CheckAuditReader(call.principal); !s.ok()) return s;
    absl::StatusOr<int> page_size = NormalizePageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    absl::StatusOr<AuditFilter> filter = CheckAuditFilter(*request);
    if (!filter.ok()) return filter.status();
    const std::string digest = QueryDigest("ListAuditLog", *request);
    absl::StatusOr<int64_t> before = DecodePageToken(request->page_token(), digest);
    if (!before.ok()) return before.status();
    absl::StatusOr<Page<AuditRecord>> page =
        stores_.events->ListAudit(*filter, *before, *page_size);
    if (!page.ok()) return page.status();
    for (const AuditRecord& record : page->items) ToProto(record, response->add_records());
    if (page->more) response->set_next_page_token(EncodePageToken(page->items.back().id, digest));
    return absl::OkStatus();
  });
}

}  // namespace kam::accounts
