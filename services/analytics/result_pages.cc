#include "services/analytics/result_pages.h"

#include <google/protobuf/io/coded_stream.h>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/identity.h"
#include "services/common/status.h"
#include "services/common/validation.h"

namespace kam::analytics {
namespace {

constexpr size_t kMaxReviewIdChars = 64;
// What DATETIME(6) holds (years 1000 to 9999), in Unix microseconds.
constexpr int64_t kEarliestMicros = -30610224000LL * 1000000;
constexpr int64_t kLatestMicros = 253402300799LL * 1000000 + 999999;

absl::Status NotOurs() { return InvalidField("page_token", "not a token this service issued"); }

// The token's JSON object, sealed (validation.h SealPageToken) with `digest` as the key.
absl::StatusOr<nlohmann::json> OpenToken(std::string_view token, std::string_view digest) {
  absl::StatusOr<std::string> cursor = OpenPageToken(token, digest);
  if (!cursor.ok()) return cursor.status();
  nlohmann::json parsed = nlohmann::json::parse(*cursor, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return NotOurs();
  return parsed;
}

bool IsCount(const nlohmann::json& value) {
  return value.is_number_integer() && value.get<int64_t>() >= 0;
}

std::string CacheKey(const std::string& digest, const ResultCursor& cursor) {
  const ResultVersion& v = cursor.version;
  return absl::StrCat(digest, "@", v.accounts_sequence, ".", v.complaints_sequence, ".",
                      v.inputs_revision, "#", cursor.result_id);
}

bool IsResultId(const nlohmann::json& value) {
  if (!value.is_string() || value.get<std::string>().size() != 16) return false;
  for (char c : value.get<std::string>()) {
    if (!absl::ascii_isxdigit(c)) return false;
  }
  return true;
}

absl::Status FactsChanged() {
  return absl::FailedPreconditionError(
      "page_token: the facts changed since the first page; request the first page again");
}

}  // namespace

// ---- result tokens ----

std::string EncodeResultToken(const ResultCursor& cursor, std::string_view digest) {
  const ResultVersion& v = cursor.version;
  nlohmann::json token = nlohmann::json::object();
  token["v"] =
      nlohmann::json::array({v.accounts_sequence, v.complaints_sequence, v.inputs_revision});
  token["r"] = cursor.result_id;
  token["o"] = cursor.offset;
  return SealPageToken(token.dump(), digest);
}

absl::StatusOr<std::optional<ResultCursor>> DecodeResultToken(std::string_view token,
                                                              std::string_view digest) {
  if (token.empty()) return std::optional<ResultCursor>();
  absl::StatusOr<nlohmann::json> parsed = OpenToken(token, digest);
  if (!parsed.ok()) return parsed.status();
  const nlohmann::json& j = *parsed;
  if (!j.contains("v") || !j["v"].is_array() || j["v"].size() != 3 || !j.contains("o") ||
      !IsCount(j["o"]) || !j.contains("r") || !IsResultId(j["r"])) {
    return NotOurs();
  }
  for (const nlohmann::json& part : j["v"]) {
    if (!IsCount(part)) return NotOurs();
  }
  ResultCursor cursor;
  cursor.version = {j["v"][0].get<int64_t>(), j["v"][1].get<int64_t>(), j["v"][2].get<int64_t>()};
  cursor.result_id = j["r"].get<std::string>();
  cursor.offset = j["o"].get<int64_t>();
  return std::optional<ResultCursor>(cursor);
}

// ---- slices ----

std::string_view StoredResult::Row(size_t i) const {
  const size_t begin = i == 0 ? 0 : row_ends[i - 1];
  return std::string_view(rows).substr(begin, row_ends[i] - begin);
}

absl::StatusOr<PageSlice> SlicePage(size_t total, int64_t offset, int page_size) {
  if (offset < 0 || static_cast<uint64_t>(offset) > total) {
    return InvalidField("page_token", "points past the end of the result");
  }
  PageSlice slice;
  slice.begin = static_cast<size_t>(offset);
  slice.end = std::min(total, slice.begin + static_cast<size_t>(std::max(page_size, 1)));
  slice.more = slice.end < total;
  return slice;
}

// ---- the cache ----

std::shared_ptr<const StoredResult> ResultCache::Find(const std::string& key, absl::Time now) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = index_.find(key);
  if (found == index_.end()) return nullptr;
  Lru::iterator it = found->second;
  if (now - it->last_use > limits_.ttl) {
    Erase(it);
    return nullptr;
  }
  it->last_use = now;
  lru_.splice(lru_.begin(), lru_, it);
  return it->result;
}

void ResultCache::Put(const std::string& key, std::shared_ptr<const StoredResult> result,
                      absl::Time now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto found = index_.find(key); found != index_.end()) Erase(found->second);
  const size_t rows = result->row_count();
  const size_t bytes = result->bytes();
  if (limits_.max_entries == 0 || rows > limits_.max_rows || bytes > limits_.max_bytes) return;
  DropExpired(now);
  while (!lru_.empty() && (lru_.size() >= limits_.max_entries || rows_ + rows > limits_.max_rows ||
                           bytes_ + bytes > limits_.max_bytes)) {
    Erase(std::prev(lru_.end()));
  }
  lru_.push_front(Entry{key, std::move(result), now});
  index_[key] = lru_.begin();
  rows_ += rows;
  bytes_ += bytes;
}

size_t ResultCache::entries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lru_.size();
}

void ResultCache::Erase(Lru::iterator it) {
  rows_ -= it->result->row_count();
  bytes_ -= it->result->bytes();
  index_.erase(it->key);
  lru_.erase(it);
}

void ResultCache::DropExpired(absl::Time now) {
  while (!lru_.empty() && now - lru_.back().last_use > limits_.ttl) Erase(std::prev(lru_.end()));
}

// ---- the pager ----

v1::FactsVersion FactsOf(const ResultVersion& version) {
  v1::FactsVersion facts;
  facts.set_accounts_sequence(version.accounts_sequence);
  facts.set_complaints_sequence(version.complaints_sequence);
  return facts;
}

absl::StatusOr<ResultPager::Served> ResultPager::Page(const std::string& digest, int page_size,
                                                      std::string_view page_token, absl::Time now,
                                                      const Compute& compute) {
  absl::StatusOr<std::optional<ResultCursor>> token = DecodeResultToken(page_token, digest);
  if (!token.ok()) return token.status();
  Served served;
  ResultCursor cursor;
  if (*token) {
    cursor = **token;
    const std::string key = CacheKey(digest, cursor);
    served.result = cache_.Find(key, now);
    if (served.result == nullptr) {
      absl::StatusOr<std::shared_ptr<const StoredResult>> again =
          Recompute(key, cursor.version, now, compute);
      if (!again.ok()) return again.status();
      served.result = *std::move(again);
    }
  } else {
    // Read before computing: a change during the computation then shows as a newer version
    // on a recomputation, never as a silently different result under the same version.
    absl::StatusOr<ResultVersion> current = version_();
    if (!current.ok()) return current.status();
    cursor.version = *current;
    cursor.result_id = NewResultId();
    absl::StatusOr<StoredResult> computed = compute(cursor.version);
    if (!computed.ok()) return computed.status();
    served.result = std::make_shared<const StoredResult>(*std::move(computed));
    cache_.Put(CacheKey(digest, cursor), served.result, now);
  }
  absl::StatusOr<PageSlice> slice = SlicePage(served.result->row_count(), cursor.offset, page_size);
  if (!slice.ok()) return slice.status();
  served.slice = *slice;
  if (slice->more) {
    cursor.offset = static_cast<int64_t>(slice->end);
    served.next_page_token = EncodeResultToken(cursor, digest);
  }
  return served;
}

// The result of a later page that is no longer held: computed again, which gives the first
// page's result only if the version is still the first page's, before and after (versions
// only grow, so the first page was then computed at exactly that version too).
absl::StatusOr<std::shared_ptr<const StoredResult>> ResultPager::Recompute(
    const std::string& key, const ResultVersion& version, absl::Time now, const Compute& compute) {
  absl::StatusOr<ResultVersion> before = version_();
  if (!before.ok()) return before.status();
  if (*before != version) return FactsChanged();
  absl::StatusOr<StoredResult> computed = compute(version);
  if (!computed.ok()) return computed.status();
  absl::StatusOr<ResultVersion> after = version_();
  if (!after.ok()) return after.status();
  if (*after != version) return FactsChanged();
  auto result = std::make_shared<const StoredResult>(*std::move(computed));
  cache_.Put(key, result, now);
  return result;
}

// Keyed by the version read before computing (as a first page): a result computed while the
// facts moved is kept under the older version, which later calls no longer ask for.
absl::StatusOr<ResultPager::Shared> ResultPager::SharedResult(const std::string& digest,
                                                              absl::Time now,
                                                              const Compute& compute) {
  absl::StatusOr<ResultVersion> current = version_();
  if (!current.ok()) return current.status();
  ResultCursor cursor;
  cursor.version = *current;
  cursor.result_id = "shared";
  const std::string key = CacheKey(digest, cursor);
  // One computation at a time: views arriving while it runs wait for its result instead of
  // each reading the whole population again.
  std::lock_guard<std::mutex> computing(shared_mutex_);
  Shared shared{cache_.Find(key, now), *current};
  if (shared.result != nullptr) return shared;
  absl::StatusOr<StoredResult> computed = compute(*current);
  if (!computed.ok()) return computed.status();
  shared.result = std::make_shared<const StoredResult>(*std::move(computed));
  cache_.Put(key, shared.result, now);
  return shared;
}

int64_t RowAccountId(std::string_view row) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(row.data()),
                                            static_cast<int>(row.size()));
  // Fields are serialized in number order: the AccountRef (field 1) comes first, and its id
  // (field 1) first within it.
  if (in.ReadTag() != ((1 << 3) | 2)) return 0;
  uint32_t length = 0;
  if (!in.ReadVarint32(&length)) return 0;
  if (in.ReadTag() != ((1 << 3) | 0)) return 0;
  uint64_t id = 0;
  if (!in.ReadVarint64(&id)) return 0;
  return static_cast<int64_t>(id);
}

std::string ResultPager::NewResultId() {
  std::lock_guard<std::mutex> lock(random_mutex_);
  return absl::StrFormat("%016x", random_());
}

// ---- review tokens ----

std::string EncodeReviewToken(const ReviewPosition& last, std::string_view digest) {
  nlohmann::json token = nlohmann::json::object();
  token["t"] = absl::ToUnixMicros(last.run_time);
  token["id"] = last.review_id;
  return SealPageToken(token.dump(), digest);
}

absl::StatusOr<std::optional<ReviewPosition>> DecodeReviewToken(std::string_view token,
                                                                std::string_view digest) {
  if (token.empty()) return std::optional<ReviewPosition>();
  absl::StatusOr<nlohmann::json> parsed = OpenToken(token, digest);
  if (!parsed.ok()) return parsed.status();
  const nlohmann::json& j = *parsed;
  if (!j.contains("t") || !j["t"].is_number_integer() || !j.contains("id") ||
      !j["id"].is_string() || j["id"].get<std::string>().size() > kMaxReviewIdChars) {
    return NotOurs();
  }
  const int64_t micros = j["t"].get<int64_t>();
  if (micros < kEarliestMicros || micros > kLatestMicros) return NotOurs();
  ReviewPosition position;
  position.run_time = absl::FromUnixMicros(micros);
  position.review_id = j["id"].get<std::string>();
  return std::optional<ReviewPosition>(position);
}

}  // namespace kam::analytics
