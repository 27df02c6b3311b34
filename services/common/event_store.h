#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/outbox.h"
#include "services/common/store_support.h"

namespace prometheus {
class Gauge;
class Registry;
}  // namespace prometheus

namespace kam {

// One committed outbox row.
struct StoredEvent {
  int64_t sequence = 0;  // outbox id: increasing in commit order (see services/common/outbox.h)
  std::string event_id;
  std::string type;
  std::string aggregate_type;
  std::string aggregate_id;
  std::string payload_json;
  absl::Time time;
};

// What one read of the outbox after a cursor found.
struct EventBatch {
  std::vector<StoredEvent> events;  // ascending by sequence
  // MAX(outbox.id) when the batch was read (0 for an empty outbox).
  int64_t head_sequence = 0;
  // Every event up to here has been looked at (matching or not): the next read starts after
  // it. Beyond the last event returned when a filter skipped rows, so that a filtered stream
  // does not scan the same unrelated events again on every poll.
  int64_t scanned_to = 0;
  bool more = false;  // events beyond scanned_to were already committed
};

// One row of the audit trail with its position.
struct AuditRecord {
  int64_t id = 0;
  AuditEntry entry;
};

// The audit trail filters; empty strings and unset times match everything.
struct AuditFilter {
  std::string resource_type;
  std::string resource_id;  // only together with resource_type (that is the index)
  std::string actor;
  std::optional<absl::Time> start_time;  // occurred at or after
  std::optional<absl::Time> end_time;    // occurred before
};

// How WatchEvents paces its streams; tests shorten the intervals.
struct EventStreamOptions {
  // How often a caught-up stream looks for new events.
  absl::Duration poll_interval = absl::Milliseconds(200);
  // The longest an idle stream stays silent (events.proto promises at most 10 s).
  absl::Duration heartbeat_interval = absl::Seconds(10);
  // Open streams beyond this are refused with RESOURCE_EXHAUSTED: each holds a thread.
  int max_streams = 64;
};

// The SQL of the event stream and the audit trail (both read-only), and the bookkeeping of
// the streams it feeds (how many are open, the outbox head they last saw), exported as the
// gauges kam_event_streams_active and kam_outbox_head_sequence when given a registry.
class EventStore {
 public:
  explicit EventStore(DbPool& pool, EventStreamOptions options = {},
                      prometheus::Registry* registry = nullptr);

  // Events with sequence > after whose type starts with one of `type_prefixes` (all when
  // empty), at most `limit`, ascending. Every event at or below the returned head_sequence
  // is already committed or never will be (the outbox is ordered by commit), so nothing can
  // appear later below scanned_to. UNAVAILABLE when the database cannot be reached.
  absl::StatusOr<EventBatch> ReadAfter(int64_t after, const std::vector<std::string>& type_prefixes,
                                       int limit);

  // Audit rows matching `filter` with id < before_id (0: from the newest), newest first,
  // at most page_size.
  absl::StatusOr<Page<AuditRecord>> ListAudit(const AuditFilter& filter, int64_t before_id,
                                              int page_size);

  const EventStreamOptions& options() const { return options_; }

  // A place for one open stream, released on destruction.
  class StreamSlot {
   public:
    explicit StreamSlot(EventStore* store) : store_(store) {}
    StreamSlot(StreamSlot&& other) noexcept : store_(other.store_) { other.store_ = nullptr; }
    StreamSlot& operator=(StreamSlot&&) = delete;
    ~StreamSlot();

   private:
    EventStore* store_;
  };
  // A slot, or nullopt when options().max_streams are open.
  std::optional<StreamSlot> OpenStream();

 private:
  void ReportHead(int64_t head);

  DbPool& pool_;
  EventStreamOptions options_;
  std::atomic<int> open_streams_{0};
  prometheus::Gauge* head_gauge_ = nullptr;
  prometheus::Gauge* streams_gauge_ = nullptr;
};

}  // namespace kam
