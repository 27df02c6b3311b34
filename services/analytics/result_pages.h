#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "kam/analytics/v1/analytics.pb.h"

// Paging of whole analysis results (analytics.proto: "the first call computes the whole
// analysis; later pages come from that same result").
//
// The first page computes the analysis and keeps it, serialized, in a small in-process cache
// (LRU, a TTL since last use, caps on entries, rows and bytes) under the request's digest,
// the version of the facts read before it was computed and a random result id (each first
// page owns its entry: two first pages at one version may still differ when the facts moved
// during one of them). Its page token carries that digest, version, result id and the offset
// of the next row. A later page is served from the cache; when the
// result is no longer held it is computed again, which is only the same result if nothing
// changed since: otherwise FAILED_PRECONDITION, start again from the first page. Summary
// fields (everything but `rows`) are the same on every page.
namespace kam::analytics {

// What a result depends on: the stream positions of the facts (FactsVersion) and the
// revision of analytics' own inputs (inventory, targets, tier reviews), which no stream
// position covers. Results computed at equal versions are equal.
struct ResultVersion {
  int64_t accounts_sequence = 0;
  int64_t complaints_sequence = 0;
  int64_t inputs_revision = 0;

  bool operator==(const ResultVersion& other) const {
    return accounts_sequence == other.accounts_sequence &&
           complaints_sequence == other.complaints_sequence &&
           inputs_revision == other.inputs_revision;
  }
  bool operator!=(const ResultVersion& other) const { return !(*this == other); }
};

// Where a later page of a result starts.
struct ResultCursor {
  ResultVersion version;
  std::string result_id;  // which first page's result (16 hex characters)
  int64_t offset = 0;
};

// An opaque token for `cursor` within the request whose digest is `digest`, sealed with it
// as the key (validation.h SealPageToken).
std::string EncodeResultToken(const ResultCursor& cursor, std::string_view digest);
// nullopt for "" (the first page); INVALID_ARGUMENT on "page_token" when garbled or issued
// for another request (other fields, filter or caller).
absl::StatusOr<std::optional<ResultCursor>> DecodeResultToken(std::string_view token,
                                                              std::string_view digest);

// A whole result as kept for paging: the response without rows (the summary every page
// repeats) and each row serialized, one after the other.
struct StoredResult {
  std::string summary;
  std::string rows;
  std::vector<size_t> row_ends;  // where row i ends in `rows`

  size_t row_count() const { return row_ends.size(); }
  std::string_view Row(size_t i) const;
  size_t bytes() const { return summary.size() + rows.size() + row_ends.size() * sizeof(size_t); }
};

// The rows [begin, end) of a page of `page_size` rows from `offset` of `total`.
struct PageSlice {
  size_t begin = 0;
  size_t end = 0;
  bool more = false;  // rows follow `end`
};
// INVALID_ARGUMENT on "page_token" when `offset` is not within the result.
absl::StatusOr<PageSlice> SlicePage(size_t total, int64_t offset, int page_size);

// The bounded, thread-safe cache of whole results.
class ResultCache {
 public:
  struct Limits {
    size_t max_entries = 8;
    // Results together; a single result over either cap is not kept (its later pages are
    // computed again).
    size_t max_rows = 2'000'000;
    size_t max_bytes = size_t{512} << 20;
    // Since last use.
    absl::Duration ttl = absl::Minutes(10);
  };

  explicit ResultCache(Limits limits) : limits_(limits) {}

  // The result kept under `key`, if still held (a hit counts as use).
  std::shared_ptr<const StoredResult> Find(const std::string& key, absl::Time now);
  // Keeps `result` under `key`, evicting expired entries, then the least recently used, until
  // it fits.
  void Put(const std::string& key, std::shared_ptr<const StoredResult> result, absl::Time now);
  size_t entries() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const StoredResult> result;
    absl::Time last_use;
  };
  using Lru = std::list<Entry>;  // most recently used first

  void Erase(Lru::iterator it);
  void DropExpired(absl::Time now);

  const Limits limits_;
  mutable std::mutex mutex_;
  Lru lru_;
  std::map<std::string, Lru::iterator> index_;
  size_t rows_ = 0;
  size_t bytes_ = 0;
};

// Serves pages of whole results through a ResultCache.
class ResultPager {
 public:
  using VersionSource = std::function<absl::StatusOr<ResultVersion>()>;
  using Compute = std::function<absl::StatusOr<StoredResult>(const ResultVersion&)>;

  // `version` reads the current version of the facts and inputs.
  ResultPager(ResultCache::Limits limits, VersionSource version)
      : cache_(limits), version_(std::move(version)), random_(std::random_device()()) {}

  // One page of `response_type`'s whole result: `compute` runs the analysis for the first
  // page, and for a later page whose result is no longer held (FAILED_PRECONDITION when the
  // version moved since the first page). `digest` identifies the request (its fields but the
  // paging ones, with the effective filter).
  template <typename Response>
  absl::Status Serve(const std::string& digest, int page_size, std::string_view page_token,
                     absl::Time now, const std::function<absl::StatusOr<Response>()>& compute,
                     Response* out);

  // A whole result shared by every caller at one version (GetAccountStanding reads one row of
  // it): computed at the current version unless already held under (`digest`, version).
  struct Shared {
    std::shared_ptr<const StoredResult> result;
    ResultVersion version;
  };
  template <typename Response>
  absl::StatusOr<Shared> SharedResult(const std::string& digest, absl::Time now,
                                      const std::function<absl::StatusOr<Response>()>& compute);

  size_t cached_results() const { return cache_.entries(); }

 private:
  absl::StatusOr<Shared> SharedResult(const std::string& digest, absl::Time now,
                                      const Compute& compute);
  struct Served {
    std::shared_ptr<const StoredResult> result;
    PageSlice slice;
    std::string next_page_token;
  };
  absl::StatusOr<Served> Page(const std::string& digest, int page_size, std::string_view page_token,
                              absl::Time now, const Compute& compute);
  absl::StatusOr<std::shared_ptr<const StoredResult>> Recompute(const std::string& key,
                                                                const ResultVersion& version,
                                                                absl::Time now,
                                                                const Compute& compute);
  std::string NewResultId();

  ResultCache cache_;
  VersionSource version_;
  std::mutex shared_mutex_;  // held while a shared result is looked up or computed
  std::mutex random_mutex_;
  std::mt19937_64 random_;
};

// The account id of a stored row whose field 1 is an AccountRef (AbcRow, ScoreRow, ...),
// read without parsing the whole row; 0 when the row has none.
int64_t RowAccountId(std::string_view row);

// The facts part of a version, for responses.
v1::FactsVersion FactsOf(const ResultVersion& version);

// Splits a whole response (any with `rows`, `facts` and `next_page_token`) into a stored
// result, with `facts` set on the summary.
template <typename Response>
StoredResult StoreResult(Response response, const v1::FactsVersion& facts) {
  StoredResult stored;
  stored.row_ends.reserve(response.rows_size());
  for (const auto& row : response.rows()) {
    row.AppendToString(&stored.rows);
    stored.row_ends.push_back(stored.rows.size());
  }
  response.clear_rows();
  response.clear_next_page_token();
  *response.mutable_facts() = facts;
  response.SerializeToString(&stored.summary);
  return stored;
}

// ---- keyset tokens of the tier review lists ----

// The last review of a page of ListTierReviews (newest first: run_time, then review id).
struct ReviewPosition {
  absl::Time run_time;
  std::string review_id;
};
std::string EncodeReviewToken(const ReviewPosition& last, std::string_view digest);
// nullopt for ""; INVALID_ARGUMENT on "page_token" when garbled or for another request.
absl::StatusOr<std::optional<ReviewPosition>> DecodeReviewToken(std::string_view token,
                                                                std::string_view digest);

// ---- template definition ----

template <typename Response>
absl::Status ResultPager::Serve(const std::string& digest, int page_size,
                                std::string_view page_token, absl::Time now,
                                const std::function<absl::StatusOr<Response>()>& compute,
                                Response* out) {
  const Compute store = [&compute](const ResultVersion& version) -> absl::StatusOr<StoredResult> {
    absl::StatusOr<Response> response = compute();
    if (!response.ok()) return response.status();
    return StoreResult(*std::move(response), FactsOf(version));
  };
  absl::StatusOr<Served> served = Page(digest, page_size, page_token, now, store);
  if (!served.ok()) return served.status();
  const StoredResult& result = *served->result;
  if (!out->ParseFromString(result.summary)) return absl::InternalError("stored result unreadable");
  for (size_t i = served->slice.begin; i < served->slice.end; ++i) {
    const std::string_view row = result.Row(i);
    if (!out->add_rows()->ParseFromArray(row.data(), static_cast<int>(row.size()))) {
      return absl::InternalError("stored row unreadable");
    }
  }
  out->set_next_page_token(served->next_page_token);
  return absl::OkStatus();
}

template <typename Response>
absl::StatusOr<ResultPager::Shared> ResultPager::SharedResult(
    const std::string& digest, absl::Time now,
    const std::function<absl::StatusOr<Response>()>& compute) {
  const Compute store = [&compute](const ResultVersion& version) -> absl::StatusOr<StoredResult> {
    absl::StatusOr<Response> response = compute();
    if (!response.ok()) return response.status();
    return StoreResult(*std::move(response), FactsOf(version));
  };
  return SharedResult(digest, now, store);
}

}  // namespace kam::analytics
