// The pager of whole analysis results (services/analytics/result_pages.h) without a
// database: tokens, slices, the cache's limits and the pager's rules for later pages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/analytics/result_pages.h"
#include "services/common/identity.h"
#include "services/common/validation.h"

namespace kam::analytics {
namespace {

using ::testing::HasSubstr;

const std::string kDigest = "0123456789abcdef0123456789abcdef";
const std::string kOtherDigest = "fedcba9876543210fedcba9876543210";
const absl::Time kT0 = absl::FromUnixSeconds(1790000000);

std::shared_ptr<const StoredResult> ResultOfRows(size_t rows) {
  auto result = std::make_shared<StoredResult>();
  for (size_t i = 0; i < rows; ++i) {
    result->rows += "r";
    result->row_ends.push_back(result->rows.size());
  }
  return result;
}

// ---- tokens ----

TEST(ResultTokenTest, RoundTripsVersionAndOffset) {
  const ResultCursor cursor{{41, 7, 3}, "00ff00ff00ff00ff", 100};
  absl::StatusOr<std::optional<ResultCursor>> back =
      DecodeResultToken(EncodeResultToken(cursor, kDigest), kDigest);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->version, (ResultVersion{41, 7, 3}));
  EXPECT_EQ((*back)->result_id, "00ff00ff00ff00ff");
  EXPECT_EQ((*back)->offset, 100);
}

TEST(ResultTokenTest, EmptyIsTheFirstPage) {
  absl::StatusOr<std::optional<ResultCursor>> back = DecodeResultToken("", kDigest);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->has_value());
}

TEST(ResultTokenTest, RefusesGarbledTamperedAndForeignTokens) {
  const std::string token = EncodeResultToken({{1, 2, 3}, "0123456789abcdef", 50}, kDigest);
  std::string flipped = token;
  flipped[token.size() / 2] = flipped[token.size() / 2] == 'A' ? 'B' : 'A';
  // Tokens sealed with the right key but wrong in one field.
  const auto crafted = [](nlohmann::json v, nlohmann::json r, nlohmann::json o) {
    nlohmann::json token = nlohmann::json::object();
    token["v"] = std::move(v);
    token["r"] = std::move(r);
    token["o"] = std::move(o);
    return SealPageToken(token.dump(), kDigest);
  };
  const std::string negative = crafted({1, 2, 3}, "0123456789abcdef", -50);
  const std::string short_version = crafted({1, 2}, "0123456789abcdef", 50);
  const std::string bad_id = crafted({1, 2, 3}, "0123-not-hex-xyz", 50);
  const std::string no_id = crafted({1, 2, 3}, nullptr, 50);
  for (const std::string& bad : {std::string("not-a-token"), std::string("%%%"), flipped, negative,
                                 short_version, std::string(600, 'A')}) {
    absl::StatusOr<std::optional<ResultCursor>> back = DecodeResultToken(bad, kDigest);
    EXPECT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(back.status().message(), HasSubstr("page_token")) << bad;
  }
  absl::StatusOr<std::optional<ResultCursor>> foreign = DecodeResultToken(token, kOtherDigest);
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(foreign.status().message(), HasSubstr("not issued for this request"));
}

TEST(ReviewTokenTest, RoundTripsAndRefusesForeignOrOutOfRange) {
  const ReviewPosition last{kT0 + absl::Microseconds(17), "rev-42"};
  absl::StatusOr<std::optional<ReviewPosition>> back =
      DecodeReviewToken(EncodeReviewToken(last, kDigest), kDigest);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->run_time, last.run_time);
  EXPECT_EQ((*back)->review_id, "rev-42");
  EXPECT_EQ(DecodeReviewToken(EncodeReviewToken(last, kDigest), kOtherDigest).status().code(),
            absl::StatusCode::kInvalidArgument);
  const ReviewPosition far{absl::FromUnixSeconds(int64_t{1} << 40), "x"};  // year ~36812
  EXPECT_EQ(DecodeReviewToken(EncodeReviewToken(far, kDigest), kDigest).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- slices ----

TEST(SlicePageTest, CutsPagesAndRefusesOffsetsPastTheEnd) {
  absl::StatusOr<PageSlice> first = SlicePage(5, 0, 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->begin, 0u);
  EXPECT_EQ(first->end, 2u);
  EXPECT_TRUE(first->more);
  absl::StatusOr<PageSlice> last = SlicePage(5, 4, 2);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->end, 5u);
  EXPECT_FALSE(last->more);
  absl::StatusOr<PageSlice> empty = SlicePage(0, 0, 50);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->end, 0u);
  EXPECT_FALSE(empty->more);
  EXPECT_EQ(SlicePage(5, 6, 2).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SlicePage(5, -1, 2).status().code(), absl::StatusCode::kInvalidArgument);
}

// ---- the cache ----

TEST(ResultCacheTest, EvictsTheLeastRecentlyUsedEntry) {
  ResultCache::Limits limits;
  limits.max_entries = 2;
  ResultCache cache(limits);
  cache.Put("a", ResultOfRows(1), kT0);
  cache.Put("b", ResultOfRows(1), kT0);
  EXPECT_NE(cache.Find("a", kT0 + absl::Seconds(1)), nullptr);  // a is now the most recent
  cache.Put("c", ResultOfRows(1), kT0 + absl::Seconds(2));
  EXPECT_NE(cache.Find("a", kT0 + absl::Seconds(3)), nullptr);
  EXPECT_EQ(cache.Find("b", kT0 + absl::Seconds(3)), nullptr);
  EXPECT_NE(cache.Find("c", kT0 + absl::Seconds(3)), nullptr);
  EXPECT_EQ(cache.entries(), 2u);
}

TEST(ResultCacheTest, ForgetsEntriesUnusedForTheTtl) {
  ResultCache::Limits limits;
  limits.ttl = absl::Minutes(10);
  ResultCache cache(limits);
  cache.Put("a", ResultOfRows(1), kT0);
  EXPECT_NE(cache.Find("a", kT0 + absl::Minutes(9)), nullptr);  // use renews it
  EXPECT_NE(cache.Find("a", kT0 + absl::Minutes(18)), nullptr);
  EXPECT_EQ(cache.Find("a", kT0 + absl::Minutes(28) + absl::Seconds(1)), nullptr);
  EXPECT_EQ(cache.entries(), 0u);
}

TEST(ResultCacheTest, KeepsTheRowsUnderTheCapAndSkipsAnOversizedResult) {
  ResultCache::Limits limits;
  limits.max_rows = 10;
  ResultCache cache(limits);
  cache.Put("six", ResultOfRows(6), kT0);
  cache.Put("four", ResultOfRows(4), kT0);  // 6 + 4 = 10 fits
  EXPECT_EQ(cache.entries(), 2u);
  cache.Put("five", ResultOfRows(5), kT0);  // 15 > 10: the oldest ("six") goes
  EXPECT_EQ(cache.Find("six", kT0), nullptr);
  EXPECT_NE(cache.Find("four", kT0), nullptr);
  EXPECT_NE(cache.Find("five", kT0), nullptr);
  cache.Put("eleven", ResultOfRows(11), kT0);  // never fits: not kept, nothing evicted
  EXPECT_EQ(cache.Find("eleven", kT0), nullptr);
  EXPECT_EQ(cache.entries(), 2u);
}

// ---- the pager ----

// A pager over a fake ABC result of `rows` accounts whose version the test moves.
class ResultPagerTest : public ::testing::Test {
 protected:
  ResultPager MakePager(ResultCache::Limits limits) {
    return ResultPager(limits, [this]() -> absl::StatusOr<ResultVersion> { return version_; });
  }

  absl::StatusOr<v1::AnalyzeAbcResponse> Compute() {
    ++computed_;
    v1::AnalyzeAbcResponse whole;
    whole.set_period("2026-Q3");
    whole.set_customers(rows_);
    for (int i = 1; i <= rows_; ++i) {
      v1::AbcRow* row = whole.add_rows();
      row->mutable_account()->set_id(1000 + i);
      row->set_rank(i);
    }
    return whole;
  }

  absl::Status Page(ResultPager& pager, const std::string& token, int page_size,
                    v1::AnalyzeAbcResponse* out, const std::string& digest = kDigest) {
    out->Clear();
    return pager.Serve<v1::AnalyzeAbcResponse>(
        digest, page_size, token, kT0, [this] { return Compute(); }, out);
  }

  ResultVersion version_{10, 20, 0};
  int rows_ = 7;
  int computed_ = 0;
};

TEST_F(ResultPagerTest, PagesConcatenateToTheWholeResultComputedOnce) {
  ResultPager pager = MakePager({});
  std::vector<int64_t> ids;
  std::string token;
  int pages = 0;
  do {
    v1::AnalyzeAbcResponse page;
    ASSERT_TRUE(Page(pager, token, 3, &page).ok());
    EXPECT_EQ(page.period(), "2026-Q3");  // the summary on every page
    EXPECT_EQ(page.customers(), 7);
    EXPECT_EQ(page.facts().accounts_sequence(), 10);
    EXPECT_EQ(page.facts().complaints_sequence(), 20);
    for (const v1::AbcRow& row : page.rows()) ids.push_back(row.account().id());
    token = page.next_page_token();
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 3);  // 7 rows by 3: 3 + 3 + 1
  EXPECT_EQ(ids, (std::vector<int64_t>{1001, 1002, 1003, 1004, 1005, 1006, 1007}));
  EXPECT_EQ(computed_, 1);
}

TEST_F(ResultPagerTest, ALaterPageComesFromTheHeldResultEvenAfterTheFactsMoved) {
  ResultPager pager = MakePager({});
  v1::AnalyzeAbcResponse first;
  ASSERT_TRUE(Page(pager, "", 4, &first).ok());
  version_.accounts_sequence = 11;
  rows_ = 9;  // the facts now give another result
  v1::AnalyzeAbcResponse second;
  ASSERT_TRUE(Page(pager, first.next_page_token(), 4, &second).ok());
  ASSERT_EQ(second.rows_size(), 3);  // 7 rows of the first result, 4 already served
  EXPECT_EQ(second.rows(0).account().id(), 1005);
  EXPECT_EQ(second.facts().accounts_sequence(), 10);
  EXPECT_TRUE(second.next_page_token().empty());
  EXPECT_EQ(computed_, 1);
}

TEST_F(ResultPagerTest, AMissRecomputesWhenNothingChangedAndRefusesWhenSomethingDid) {
  ResultCache::Limits nothing_kept;
  nothing_kept.max_entries = 0;
  ResultPager pager = MakePager(nothing_kept);
  v1::AnalyzeAbcResponse first;
  ASSERT_TRUE(Page(pager, "", 3, &first).ok());
  v1::AnalyzeAbcResponse second;
  ASSERT_TRUE(Page(pager, first.next_page_token(), 3, &second).ok());
  EXPECT_EQ(second.rows(0).account().id(), 1004);
  EXPECT_EQ(computed_, 2);

  version_.inputs_revision = 1;  // e.g. a target was put
  v1::AnalyzeAbcResponse third;
  absl::Status refused = Page(pager, second.next_page_token(), 3, &third);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("first page"));
  EXPECT_EQ(computed_, 2);  // refused before computing
}

// Two first pages of one request at one version are different results when the facts moved
// while one of them was computed: each caller's later pages come from their own.
TEST_F(ResultPagerTest, EachFirstPageOwnsItsResult) {
  ResultPager pager = MakePager({});
  v1::AnalyzeAbcResponse a_first;
  ASSERT_TRUE(Page(pager, "", 4, &a_first).ok());
  rows_ = 9;  // e.g. committed after the version was read, before the analysis read
  v1::AnalyzeAbcResponse b_first;
  ASSERT_TRUE(Page(pager, "", 4, &b_first).ok());
  EXPECT_EQ(b_first.customers(), 9);
  v1::AnalyzeAbcResponse a_second;
  ASSERT_TRUE(Page(pager, a_first.next_page_token(), 4, &a_second).ok());
  EXPECT_EQ(a_second.customers(), 7);
  EXPECT_EQ(a_second.rows_size(), 3);  // 7 - 4
  EXPECT_TRUE(a_second.next_page_token().empty());
  v1::AnalyzeAbcResponse b_second;
  ASSERT_TRUE(Page(pager, b_first.next_page_token(), 4, &b_second).ok());
  EXPECT_EQ(b_second.rows_size(), 4);  // 9 - 4, 4 at a time
  EXPECT_FALSE(b_second.next_page_token().empty());
  EXPECT_EQ(computed_, 2);
}

TEST_F(ResultPagerTest, RefusesATokenOfAnotherRequest) {
  ResultPager pager = MakePager({});
  v1::AnalyzeAbcResponse first;
  ASSERT_TRUE(Page(pager, "", 3, &first).ok());
  v1::AnalyzeAbcResponse other;
  absl::Status refused = Page(pager, first.next_page_token(), 3, &other, kOtherDigest);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("page_token"));
}

TEST_F(ResultPagerTest, ASharedResultIsComputedOncePerVersion) {
  ResultPager pager = MakePager({});
  auto compute = [this] { return Compute(); };
  absl::StatusOr<ResultPager::Shared> first =
      pager.SharedResult<v1::AnalyzeAbcResponse>(kDigest, kT0, compute);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->result->row_count(), 7u);
  EXPECT_EQ(first->version, version_);
  absl::StatusOr<ResultPager::Shared> again =
      pager.SharedResult<v1::AnalyzeAbcResponse>(kDigest, kT0 + absl::Minutes(1), compute);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->result, first->result) << "the held result, not a new computation";
  EXPECT_EQ(computed_, 1);

  version_.complaints_sequence = 21;
  rows_ = 9;
  absl::StatusOr<ResultPager::Shared> moved =
      pager.SharedResult<v1::AnalyzeAbcResponse>(kDigest, kT0, compute);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->result->row_count(), 9u);
  EXPECT_EQ(moved->version.complaints_sequence, 21);
  EXPECT_EQ(computed_, 2);

  // Paged first pages never read the shared entry (each owns its own result).
  v1::AnalyzeAbcResponse page;
  ASSERT_TRUE(Page(pager, "", 3, &page).ok());
  EXPECT_EQ(computed_, 3);
}

TEST(RowAccountIdTest, ReadsTheAccountIdOfAStoredRow) {
  v1::AbcRow abc;
  abc.mutable_account()->set_id(4'000'000'123);
  abc.mutable_account()->set_name("华东化工");
  abc.set_rank(3);
  EXPECT_EQ(RowAccountId(abc.SerializeAsString()), 4'000'000'123);
  v1::ScoreRow score;
  score.mutable_account()->set_id(17);
  score.set_score(0.5);
  EXPECT_EQ(RowAccountId(score.SerializeAsString()), 17);
  v1::AbcRow nameless;
  nameless.set_rank(1);
  EXPECT_EQ(RowAccountId(nameless.SerializeAsString()), 0);
  EXPECT_EQ(RowAccountId(""), 0);
}

}  // namespace
}  // namespace kam::analytics
