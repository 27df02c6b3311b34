#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/db.h"
#include "services/common/idempotency.h"

// What the stores of every service share: the idempotent transaction, the audit + outbox
// record of a change, paging, and the JSON/SQL forms of times.
namespace kam {

// Who changes what, for the idempotency key and the audit trail.
struct Mutation {
  std::string actor;        // principal subject
  std::string request_id;   // client-chosen idempotency key
  std::string fingerprint;  // RequestFingerprint of the request
  std::string trace_id;     // x-request-id, for the audit row
  absl::Time now;
  std::string note;  // kept in the audit row, e.g. the reason for archiving
};

template <typename T>
struct Page {
  std::vector<T> items;
  bool more = false;  // another page follows
};

// Pages are read with one extra row: its presence says whether another page follows.
template <typename T>
void TrimPage(Page<T>& page, int page_size) {
  if (static_cast<int>(page.items.size()) > page_size) {
    page.items.pop_back();
    page.more = true;
  }
}

template <typename E>
int64_t Enum(E value) {
  return static_cast<int64_t>(value);
}

int64_t LastInsertId(DbConnection& db);

// Times in domain JSON (audit rows, idempotent responses, outbox payloads): Unix micros.
nlohmann::json TimeJson(absl::Time t);
absl::Time TimeFromJson(const nlohmann::json& j);
nlohmann::json OptionalTimeJson(const std::optional<absl::Time>& t);
std::optional<absl::Time> OptionalTimeFromJson(const nlohmann::json& j);
SqlParam OptionalTimeParam(const std::optional<absl::Time>& t);
std::optional<absl::Time> OptionalTimeColumn(const sql::ResultSet& row, const char* column);
// NULL for 0, the id otherwise (optional references such as contract_id).
SqlParam OptionalIdParam(int64_t id);

// Writes the audit row ("<type>.<action>") and the outbox event of one change, in the
// caller's transaction. `before` is null for a creation.
void Record(DbConnection& db, const Mutation& m, const std::string& type, const std::string& action,
            const std::string& id, const nlohmann::json& before, const nlohmann::json& after);

// How a result is kept in idempotency_keys and read back on a retry.
template <typename T>
struct Codec {
  std::function<nlohmann::json(const T&)> encode;
  std::function<T(const nlohmann::json&)> decode;
};

// Runs `effect` in a transaction at most once per (actor, request_id): a retry gets the
// first result back from the idempotency record; a reused id for another request is
// INVALID_ARGUMENT. An error from `effect` rolls everything back and is not recorded, so a
// retry after fixing the cause runs again.
template <typename T>
absl::StatusOr<T> RunIdempotent(DbPool& pool, const Mutation& m, const char* context,
                                const Codec<T>& codec,
                                const std::function<absl::StatusOr<T>(DbConnection&)>& effect);

// ---- template definition ----

template <typename T>
absl::StatusOr<T> RunIdempotent(DbPool& pool, const Mutation& m, const char* context,
                                const Codec<T>& codec,
                                const std::function<absl::StatusOr<T>(DbConnection&)>& effect) {
  std::optional<T> result;
  absl::Status status = InTransaction(pool, context, [&](DbConnection& db) -> absl::Status {
    result.reset();
    absl::StatusOr<std::optional<std::string>> replay =
        ClaimRequest(db, m.actor, m.request_id, m.fingerprint);
    if (!replay.ok()) return replay.status();
    if (*replay) {
      result = codec.decode(nlohmann::json::parse(**replay));
      return absl::OkStatus();
    }
    absl::StatusOr<T> done = effect(db);
    if (!done.ok()) return done.status();
    result = *std::move(done);
    RecordResponse(db, m.actor, m.request_id, codec.encode(*result).dump());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return *std::move(result);
}

}  // namespace kam
