// Analytics end to end: orders recorded in accounts flow through its event stream into
// analytics' rollups; a tier review run through the gateway writes the new tier back through
// accounts, and complaints' replica carries it on to the open complaint's SLA targets.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"

namespace kam::e2e {
namespace {

namespace av1 = kam::analytics::v1;
namespace cv1 = kam::complaints::v1;
using AnalyticsStub = av1::AnalyticsService::Stub;
using ComplaintStub = cv1::ComplaintService::Stub;

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

v1::Money Cny(int64_t minor_units) {
  v1::Money money;
  money.set_currency_code("CNY");
  money.set_minor_units(minor_units);
  return money;
}

class AnalyticsE2eTest : public E2eTest {
 protected:
  static Caller Director() { return As("director-analytics", {"director"}); }
  static Caller Erp() { return As("erp-analytics", {"system"}); }
  static Caller Agent() { return As("agent-analytics", {"service_agent"}); }

  // The year analytics files an order placed now under (the company zone is Asia/Shanghai).
  static std::string ThisYear() {
    absl::TimeZone shanghai;
    EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
    return absl::StrCat(absl::ToCivilYear(absl::Now(), shanghai).year());
  }

  static int64_t NewAccount(const std::string& label, v1::Tier tier) {
    v1::Account account;
    EXPECT_THAT(Create(Director(), Draft(label), &account), GrpcOk());
    v1::SetTierRequest set;
    set.set_request_id(NewRequestId());
    set.set_account_id(account.id());
    set.set_tier(tier);
    set.set_reason("starting tier");
    EXPECT_THAT(Director().Call(&AccountStub::SetTier, set), GrpcOk());
    // Complaints' replica must know the tier before intake for the SLA to start from it.
    const std::string sql = absl::StrCat(
        "SELECT tier FROM kam_complaints.account_replica WHERE account_id = ", account.id());
    EXPECT_TRUE(Eventually(
        [&] {
          absl::StatusOr<std::string> rows = stack().db().QueryAsRoot(sql);
          return rows.ok() && *rows == absl::StrCat(static_cast<int>(tier), "\n");
        },
        absl::Seconds(20)));
    return account.id();
  }

  // One order of one line, placed ten minutes ago.
  static void Order(int64_t account_id, const std::string& label, int64_t revenue) {
    v1::RecordOrderRequest request;
    request.set_request_id(NewRequestId());
    v1::Order* order = request.mutable_order();
    order->set_account_id(account_id);
    order->set_external_id(absl::StrCat(label, "-", account_id));
    *order->mutable_order_time() = Ts(absl::Now() - absl::Minutes(10));
    v1::OrderLine* line = order->add_lines();
    line->set_product_code("COIL-7");
    line->set_product_category("steel coil");
    line->set_quantity(10);
    *line->mutable_revenue() = Cny(revenue);
    *line->mutable_cost() = Cny(revenue * 7 / 10);
    EXPECT_THAT(Erp().Call(&AccountStub::RecordOrder, request), GrpcOk());
  }

  // The account's revenue this year as analytics reports it, once it reaches `expected`.
  static bool RevenueReaches(int64_t account_id, int64_t expected) {
    return Eventually(
        [&] {
          av1::AnalyzeProductMixRequest request;
          request.set_period(ThisYear());
          request.set_account_id(account_id);
          av1::AnalyzeProductMixResponse response;
          return Director().Call(&AnalyticsStub::AnalyzeProductMix, request, &response).ok() &&
                 response.revenue().minor_units() == expected;
        },
        absl::Seconds(20));
  }

  static av1::TierReview Review(const std::string& request_id) {
    av1::RunTierReviewRequest request;
    request.set_request_id(request_id);
    request.mutable_parameters()->set_period(ThisYear());
    av1::RunTierReviewResponse response;
    EXPECT_THAT(Director().Call(&AnalyticsStub::RunTierReview, request, &response), GrpcOk());
    return response.review();
  }

  static std::vector<av1::TierChange> ChangesOf(const std::string& review_id) {
    std::vector<av1::TierChange> changes;
    av1::ListTierChangesRequest request;
    request.set_review_id(review_id);
    request.set_page_size(500);
    do {
      av1::ListTierChangesResponse response;
      EXPECT_THAT(Director().Call(&AnalyticsStub::ListTierChanges, request, &response), GrpcOk());
      changes.insert(changes.end(), response.changes().begin(), response.changes().end());
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return changes;
  }

  static cv1::Complaint FetchComplaint(int64_t id) {
    cv1::GetComplaintRequest request;
    request.set_complaint_id(id);
    cv1::GetComplaintResponse response;
    EXPECT_THAT(Director().Call(&ComplaintStub::GetComplaint, request, &response), GrpcOk());
    return response.complaint();
  }
};

TEST_F(AnalyticsE2eTest, ALargeOrderMovesACustomerFromCToAAndItsOpenComplaintFollows) {
  const int64_t small = NewAccount("abc-small", v1::TIER_C);
  const int64_t large = NewAccount("abc-large", v1::TIER_A);
  Order(large, "large-1", 900'000'000'00);
  Order(small, "small-1", 1'000'00);

  // An open complaint about the small customer, taken at tier C (medium: 40 h to resolve on
  // the e2e policy, 24 h at tier A).
  cv1::CreateComplaintRequest intake;
  intake.set_request_id(NewRequestId());
  cv1::Complaint* draft = intake.mutable_complaint();
  draft->set_account_id(small);
  draft->set_channel(cv1::CHANNEL_PHONE);
  draft->set_category(cv1::CATEGORY_PRODUCT_QUALITY);
  draft->set_description("coil edges cracked");
  draft->set_severity(cv1::SEVERITY_MEDIUM);
  draft->set_manner(cv1::MANNER_FRIENDLY);
  cv1::CreateComplaintResponse taken;
  ASSERT_TRUE(
      Eventually([&] { return Agent().Call(&ComplaintStub::CreateComplaint, intake, &taken).ok(); },
                 absl::Seconds(20)));
  ASSERT_EQ(taken.complaint().account_tier(), v1::TIER_C);
  ASSERT_EQ(taken.complaint().resolution_sla().budget_seconds(), 40 * 3600);

  // Orders flow from accounts into analytics, to the cent.
  ASSERT_TRUE(RevenueReaches(small, 1'000'00));
  ASSERT_TRUE(RevenueReaches(large, 900'000'000'00));

  // One large order makes the small customer the largest of all: class A on the next review.
  Order(small, "small-2", 2'000'000'000'00);
  ASSERT_TRUE(RevenueReaches(small, 2'000'000'000'00 + 1'000'00));
  const av1::TierReview review = Review(NewRequestId());
  EXPECT_EQ(review.state(), av1::REVIEW_STATE_APPLIED);
  EXPECT_EQ(review.run_by(), "director-analytics");
  bool promoted = false;
  for (const av1::TierChange& change : ChangesOf(review.id())) {
    if (change.account().id() != small) continue;
    promoted = true;
    EXPECT_EQ(change.old_tier(), v1::TIER_C);
    EXPECT_EQ(change.new_tier(), v1::TIER_A);
    EXPECT_EQ(change.abc_class(), av1::ABC_CLASS_A);
    EXPECT_TRUE(change.applied());
    EXPECT_FALSE(change.reason().empty());
  }
  EXPECT_TRUE(promoted) << "the review did not promote account " << small;

  // Accounts owns the tier and has it now.
  v1::Account account;
  ASSERT_THAT(Get(Director(), small, &account), GrpcOk());
  EXPECT_EQ(account.tier(), v1::TIER_A);

  // The open complaint's SLA follows through the accounts stream: tier A's 24 h.
  ASSERT_TRUE(Eventually(
      [&] {
        const cv1::Complaint complaint = FetchComplaint(taken.complaint().id());
        return complaint.account_tier() == v1::TIER_A &&
               complaint.resolution_sla().budget_seconds() == 24 * 3600;
      },
      absl::Seconds(20)))
      << FetchComplaint(taken.complaint().id()).DebugString();

  // Re-running the unchanged review changes nothing: no tier, no account, no complaint.
  const std::string complaint_etag = FetchComplaint(taken.complaint().id()).etag();
  const av1::TierReview again = Review(NewRequestId());
  EXPECT_EQ(again.promotions(), 0);
  EXPECT_EQ(again.demotions(), 0);
  EXPECT_EQ(again.pending(), 0);
  EXPECT_TRUE(ChangesOf(again.id()).empty());
  v1::Account after;
  ASSERT_THAT(Get(Director(), small, &after), GrpcOk());
  EXPECT_EQ(after.etag(), account.etag());
  absl::SleepFor(absl::Milliseconds(500));  // anything the re-run set off would reach complaints
  EXPECT_EQ(FetchComplaint(taken.complaint().id()).etag(), complaint_etag);
}

}  // namespace
}  // namespace kam::e2e
