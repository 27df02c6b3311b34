// Every page token a service decodes from a client: the keyset tokens of the list methods
// (services/common/validation.h), ListMyQueue's (complaints/complaint_proto.h), and
// analytics' result and tier review tokens with the page slicing behind them
// (analytics/result_pages.h).
//
// Input: a mode byte, then
//   even mode: a token as a client would send it, tried with every decoder;
//   odd mode: 8-byte values and text from which tokens are encoded here, then decoded.
//
// Properties: a refused token is INVALID_ARGUMENT on "page_token"; an accepted one encodes
// and decodes again to the same position; a token is refused for any other request (digest);
// a slice of a result stays within it.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/analytics/result_pages.h"
#include "services/common/validation.h"
#include "services/complaints/complaint_proto.h"
#include "tests/fuzz/fuzz_support.h"

namespace kam::fuzz {
namespace {

// Digests are hex SHA-256 text (RequestFingerprint); tokens keep a prefix of it.
constexpr char kDigest[] = "3f2a9c0d5e7b1a46c8d90e1f2a3b4c5d6e7f80910a1b2c3d4e5f60718293a4b5";
constexpr char kOtherDigest[] = "a0b1c2d3e4f5061728394a5b6c7d8e9f00112233445566778899aabbccddeeff";

void ExpectPageTokenError(const absl::Status& status, std::string_view decoder) {
  ExpectOkOr(status, absl::StatusCode::kInvalidArgument, decoder);
  if (!status.ok() && std::string(status.message()).rfind("page_token", 0) != 0) {
    Fail(std::string(decoder) + ": the error does not name page_token");
  }
}

int64_t TakeInt64(std::string_view& input) {
  int64_t value = 0;
  const size_t n = std::min(sizeof value, input.size());
  std::memcpy(&value, input.data(), n);
  input.remove_prefix(n);
  return value;
}

void CheckSlice(size_t total, int64_t offset, int page_size) {
  const absl::StatusOr<analytics::PageSlice> slice = analytics::SlicePage(total, offset, page_size);
  ExpectPageTokenError(slice.status(), "SlicePage");
  if (!slice.ok()) return;
  if (slice->begin > slice->end || slice->end > total || slice->more != (slice->end < total) ||
      (slice->end - slice->begin) > static_cast<size_t>(std::max(page_size, 1))) {
    Fail("SlicePage returned a slice outside the result");
  }
}

void DecodeAll(std::string_view token, int page_size) {
  const absl::StatusOr<int64_t> after = DecodePageToken(token, kDigest);
  ExpectPageTokenError(after.status(), "DecodePageToken");
  if (after.ok() && DecodePageToken(EncodePageToken(*after, kDigest), kDigest).value() != *after) {
    Fail("a keyset token does not survive re-encoding");
  }
  const absl::StatusOr<complaints::QueueCursor> queue =
      complaints::DecodeQueueToken(token, kDigest);
  ExpectPageTokenError(queue.status(), "DecodeQueueToken");
  const absl::StatusOr<std::optional<analytics::ResultCursor>> result =
      analytics::DecodeResultToken(token, kDigest);
  ExpectPageTokenError(result.status(), "DecodeResultToken");
  if (result.ok() && *result) {
    for (size_t total : {size_t{0}, size_t{1}, size_t{50}, size_t{1} << 20}) {
      CheckSlice(total, (*result)->offset, page_size);
    }
  }
  const absl::StatusOr<std::optional<analytics::ReviewPosition>> review =
      analytics::DecodeReviewToken(token, kDigest);
  ExpectPageTokenError(review.status(), "DecodeReviewToken");
}

template <typename Decoded>
void ExpectForeign(const absl::StatusOr<Decoded>& decoded, std::string_view what) {
  if (decoded.ok()) Fail(std::string(what) + " accepted for another request");
  ExpectPageTokenError(decoded.status(), what);
}

// The last microsecond of 9999-12-31 (UTC), the latest queue deadline.
const int64_t kLastQueueMicros = absl::ToUnixMicros(
    absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), absl::UTCTimeZone()) +
    absl::Microseconds(999'999));

void RoundTrip(std::string_view input) {
  const int64_t a = TakeInt64(input);
  const int64_t b = TakeInt64(input);
  const int64_t c = TakeInt64(input);
  const int64_t id = a;
  const std::string keyset = EncodePageToken(id, kDigest);
  if (DecodePageToken(keyset, kDigest).value() != id) Fail("keyset token round trip");
  ExpectForeign(DecodePageToken(keyset, kOtherDigest), "a keyset token");

  // Queue deadlines lie between 1970 and the end of 9999 (DATETIME's range): a token the
  // service issues round-trips, one sealed with any other time is refused as foreign.
  const complaints::QueueCursor queue{absl::FromUnixMicros(b), id};
  const std::string queue_token = complaints::EncodeQueueToken(queue, kDigest);
  const absl::StatusOr<complaints::QueueCursor> queue_back =
      complaints::DecodeQueueToken(queue_token, kDigest);
  const bool issuable = b >= 0 && b <= kLastQueueMicros;
  if (issuable &&
      (!queue_back.ok() || queue_back->due != queue.due || queue_back->id != queue.id)) {
    Fail("queue token round trip");
  }
  if (!issuable) ExpectForeign(queue_back, "a queue token with a time outside 1970..9999");
  ExpectForeign(complaints::DecodeQueueToken(queue_token, kOtherDigest), "a queue token");

  // Positions a service issues: counts and sequences are never negative, result ids are
  // 16 hex characters.
  analytics::ResultCursor cursor;
  cursor.version = {a & INT64_MAX, b & INT64_MAX, c & INT64_MAX};
  cursor.result_id = "0123456789abcdef";
  cursor.offset = c & INT64_MAX;
  const std::string result_token = analytics::EncodeResultToken(cursor, kDigest);
  const auto result_back = analytics::DecodeResultToken(result_token, kDigest);
  if (!result_back.ok() || !*result_back || (*result_back)->version != cursor.version ||
      (*result_back)->offset != cursor.offset || (*result_back)->result_id != cursor.result_id) {
    Fail("result token round trip");
  }
  ExpectForeign(analytics::DecodeResultToken(result_token, kOtherDigest), "a result token");
  CheckSlice(static_cast<size_t>(b & 0xffffff), cursor.offset, static_cast<int>(a % 1000));
}

}  // namespace
}  // namespace kam::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kam::fuzz;
  std::string_view input = AsText(data, size);
  const uint8_t mode = TakeByte(input);
  if (mode % 2 == 0) {
    DecodeAll(input, static_cast<int>(mode) - 100);
  } else {
    RoundTrip(input);
  }
  return 0;
}
