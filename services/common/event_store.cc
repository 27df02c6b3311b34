#include "services/common/event_store.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace kam {
namespace {

constexpr char kSelectHead[] = "SELECT COALESCE(MAX(id), 0) FROM outbox";
constexpr char kSelectEvents[] =
    "SELECT id, event_id, event_type, aggregate_type, aggregate_id, payload, occurred_at "
    "FROM outbox WHERE id > ? AND id <= ?";
constexpr char kTypePrefix[] = "event_type LIKE ? ESCAPE '!'";
constexpr char kSelectAudit[] =
    "SELECT id, actor, action, resource_type, resource_id, request_id, occurred_at, "
    "before_json, after_json, note FROM audit_log WHERE id < ?";

// "account." -> "account.%", with LIKE's own wildcards taken literally.
std::string LikePrefix(const std::string& prefix) {
  return absl::StrCat(absl::StrReplaceAll(prefix, {{"!", "!!"}, {"%", "!%"}, {"_", "!_"}}), "%");
}

// The events query for `prefix_count` prefixes; only constant fragments are joined.
std::string EventsQuery(size_t prefix_count) {
  std::string query = kSelectEvents;
  for (size_t i = 0; i < prefix_count; ++i) {
    absl::StrAppend(&query, i == 0 ? " AND (" : " OR ", kTypePrefix);
  }
  if (prefix_count > 0) absl::StrAppend(&query, ")");
  absl::StrAppend(&query, " ORDER BY id LIMIT ?");
  return query;
}

StoredEvent ReadEvent(const sql::ResultSet& row) {
  StoredEvent e;
  e.sequence = row.getInt64("id");
  e.event_id = row.getString("event_id");
  e.type = row.getString("event_type");
  e.aggregate_type = row.getString("aggregate_type");
  e.aggregate_id = row.getString("aggregate_id");
  e.payload_json = row.getString("payload");
  e.time = FromSqlTime(row.getString("occurred_at"));
  return e;
}

AuditRecord ReadAudit(const sql::ResultSet& row) {
  AuditRecord r;
  r.id = row.getInt64("id");
  r.entry.actor = row.getString("actor");
  r.entry.action = row.getString("action");
  r.entry.resource_type = row.getString("resource_type");
  r.entry.resource_id = row.getString("resource_id");
  r.entry.request_id = row.getString("request_id");
  r.entry.time = FromSqlTime(row.getString("occurred_at"));
  r.entry.before_json = row.getString("before_json");
  r.entry.after_json = row.getString("after_json");
  r.entry.note = row.getString("note");
  return r;
}

int64_t SelectHead(DbConnection& db) {
  std::unique_ptr<sql::ResultSet> row(db.Prepare(kSelectHead).executeQuery());
  row->next();
  return row->getInt64(1);
}

prometheus::Gauge* MakeGauge(prometheus::Registry* registry, const char* name, const char* help) {
  if (registry == nullptr) return nullptr;
  return &prometheus::BuildGauge().Name(name).Help(help).Register(*registry).Add({});
}

}  // namespace

EventStore::EventStore(DbPool& pool, EventStreamOptions options, prometheus::Registry* registry)
    : pool_(pool),
      options_(options),
      head_gauge_(MakeGauge(registry, "kam_outbox_head_sequence",
                            "Highest outbox sequence committed, as last read by an event stream.")),
      streams_gauge_(
          MakeGauge(registry, "kam_event_streams_active", "WatchEvents streams currently open.")) {}

absl::StatusOr<EventBatch> EventStore::ReadAfter(int64_t after,
                                                 const std::vector<std::string>& type_prefixes,
                                                 int limit) {
  const std::string query = EventsQuery(type_prefixes.size());
  EventBatch batch;
  absl::Status status = WithConnection(pool_, "outbox.read", [&](DbConnection& db) {
    batch = {};
    // The head first: every id up to it is settled (committed or rolled back for good), so
    // the events read below it are all there will ever be in (after, head].
    batch.head_sequence = SelectHead(db);
    sql::PreparedStatement& select = db.Prepare(query);
    std::vector<SqlParam> params = {after, batch.head_sequence};
    for (const std::string& prefix : type_prefixes) params.push_back(LikePrefix(prefix));
    params.push_back(int64_t{limit} + 1);
    BindAll(select, params);
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) batch.events.push_back(ReadEvent(*rows));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (static_cast<int>(batch.events.size()) > limit) {
    batch.events.pop_back();
    batch.more = true;
  }
  batch.scanned_to =
      batch.more ? batch.events.back().sequence : std::max(after, batch.head_sequence);
  ReportHead(batch.head_sequence);
  return batch;
}

absl::StatusOr<Page<AuditRecord>> EventStore::ListAudit(const AuditFilter& filter,
                                                        int64_t before_id, int page_size) {
  std::string query = kSelectAudit;
  std::vector<SqlParam> params = {before_id > 0 ? before_id : std::numeric_limits<int64_t>::max()};
  auto add = [&](bool present, const char* clause, SqlParam value) {
    if (!present) return;
    absl::StrAppend(&query, " AND ", clause);
    params.push_back(std::move(value));
  };
  add(!filter.resource_type.empty(), "resource_type = ?", filter.resource_type);
  add(!filter.resource_id.empty(), "resource_id = ?", filter.resource_id);
  add(!filter.actor.empty(), "actor = ?", filter.actor);
  add(filter.start_time.has_value(), "occurred_at >= ?", filter.start_time.value_or(absl::Time()));
  add(filter.end_time.has_value(), "occurred_at < ?", filter.end_time.value_or(absl::Time()));
  absl::StrAppend(&query, " ORDER BY id DESC LIMIT ?");
  params.push_back(int64_t{page_size} + 1);

  Page<AuditRecord> page;
  absl::Status status = WithConnection(pool_, "audit.list", [&](DbConnection& db) {
    page = {};
    sql::PreparedStatement& select = db.Prepare(query);
    BindAll(select, params);
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) page.items.push_back(ReadAudit(*rows));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  TrimPage(page, page_size);
  return page;
}

std::optional<EventStore::StreamSlot> EventStore::OpenStream() {
  int open = open_streams_.load();
  do {
    if (open >= options_.max_streams) return std::nullopt;
  } while (!open_streams_.compare_exchange_weak(open, open + 1));
  if (streams_gauge_ != nullptr) streams_gauge_->Increment();
  return StreamSlot(this);
}

EventStore::StreamSlot::~StreamSlot() {
  if (store_ == nullptr) return;
  --store_->open_streams_;
  if (store_->streams_gauge_ != nullptr) store_->streams_gauge_->Decrement();
}

void EventStore::ReportHead(int64_t head) {
  if (head_gauge_ != nullptr) head_gauge_->Set(static_cast<double>(head));
}

}  // namespace kam
