// The demo company as a user meets it: loaded once by kam-demo (demo_stack.cc) through the
// gateway, then looked at through the public API as the personas of docs/DEMO.md.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "tests/demo/demo_stack.h"
#include "tools/demo/loader.h"

namespace kam::demo {
namespace {

namespace av1 = ::kam::accounts::v1;
namespace cv1 = ::kam::complaints::v1;
namespace nv1 = ::kam::analytics::v1;
using AccountStub = av1::AccountService::Stub;
using ComplaintStub = cv1::ComplaintService::Stub;
using AnalyticsStub = nv1::AnalyticsService::Stub;
using e2e::GrpcOk;
using ::testing::Contains;
using ::testing::Gt;

DemoStack& Demo() { return DemoStack::Get(); }

std::vector<av1::Account> AllAccounts() {
  std::vector<av1::Account> accounts;
  av1::ListAccountsRequest request;
  request.set_page_size(500);
  do {
    av1::ListAccountsResponse response;
    EXPECT_THAT(Demo().As("dir.wang").Call(&AccountStub::ListAccounts, request, &response), GrpcOk());
    accounts.insert(accounts.end(), response.accounts().begin(), response.accounts().end());
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return accounts;
}

std::vector<cv1::Complaint> AllComplaints() {
  std::vector<cv1::Complaint> complaints;
  cv1::ListComplaintsRequest request;
  request.set_page_size(500);
  do {
    cv1::ListComplaintsResponse response;
    EXPECT_THAT(Demo().As("dir.chen").Call(&ComplaintStub::ListComplaints, request, &response),
                GrpcOk());
    complaints.insert(complaints.end(), response.complaints().begin(), response.complaints().end());
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return complaints;
}

const av1::Account* Named(const std::vector<av1::Account>& accounts, const std::string& name) {
  for (const av1::Account& a : accounts) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

// The year the demo's tier review looked at.
std::string ReviewYear() { return ReviewPeriod(DemoStack::LoadDay()); }

TEST(DemoTest, ThePlanIsTheSameForTheSameSeedAndDiffersForAnother) {
  const DemoStack::Run a = Demo().RunDemo({"--plan-digest"});
  const DemoStack::Run b = Demo().RunDemo({"--plan-digest"});
  const DemoStack::Run other = Demo().RunDemo({"--plan-digest", "--seed", "7"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.out, PlanDigest(MakePlan(kDefaultSeed)) + "\n");
  EXPECT_NE(a.out, other.out);
}

TEST(DemoTest, ThreeHundredAccountsOfTwelveManagersAcrossIndustriesRegionsAndNatures) {
  const std::vector<av1::Account> accounts = AllAccounts();
  ASSERT_EQ(accounts.size(), 300u);
  std::set<std::string> owners, industries, regions;
  std::set<int> natures;
  for (const av1::Account& a : accounts) {
    owners.insert(a.owner_id());
    industries.insert(a.industry());
    regions.insert(a.region());
    natures.insert(a.nature());
  }
  EXPECT_EQ(owners.size(), 12u);
  EXPECT_GE(industries.size(), 8u);
  EXPECT_EQ(regions.size(), 7u);
  EXPECT_EQ(natures.size(), 5u);
  // Every name of docs/DEMO.md is there.
  for (const char* name : {"华远建设集团有限公司", "华远建设上海工程有限公司", "华远建设苏州工程有限公司",
                           "宏达机电设备有限公司", "远山新能源科技有限公司", "明川化工有限公司",
                           "长江能源集团有限公司"}) {
    EXPECT_NE(Named(accounts, name), nullptr) << name;
  }
  // Contacts carry buying roles.
  av1::ListContactsRequest contacts;
  contacts.set_account_id(Named(accounts, "华远建设集团有限公司")->id());
  av1::ListContactsResponse listed;
  ASSERT_THAT(Demo().As("am.li").Call(&AccountStub::ListContacts, contacts, &listed), GrpcOk());
  ASSERT_GE(listed.contacts_size(), 2);
  EXPECT_EQ(listed.contacts(0).buying_role(), av1::BUYING_ROLE_DECISION_MAKER);
}

TEST(DemoTest, TwelveGroupsTheFlagshipThreeLevelsOfSubsidiariesDeep) {
  const std::vector<av1::Account> accounts = AllAccounts();
  int roots_with_children = 0;
  std::set<int64_t> parents;
  for (const av1::Account& a : accounts) parents.insert(a.parent_id());
  for (const av1::Account& a : accounts) {
    if (a.parent_id() == 0 && parents.count(a.id()) != 0) ++roots_with_children;
  }
  EXPECT_EQ(roots_with_children, 12);
  av1::GetGroupTreeRequest request;
  request.set_account_id(Named(accounts, "华远建设集团有限公司")->id());
  av1::GetGroupTreeResponse tree;
  ASSERT_THAT(Demo().As("am.li").Call(&AccountStub::GetGroupTree, request, &tree), GrpcOk());
  int deepest = 0;
  std::set<std::string> names;
  for (const av1::GroupNode& node : tree.nodes()) {
    deepest = std::max(deepest, node.depth());
    names.insert(node.name());
  }
  EXPECT_EQ(tree.nodes_size(), 9);
  EXPECT_EQ(deepest, 3);
  EXPECT_THAT(names, Contains("华远建设浦东项目有限公司"));
}

TEST(DemoTest, RevenueIsParetoShapedAndTheFlagshipIsTheBiggestCustomer) {
  nv1::AnalyzeAbcRequest request;
  request.set_period(ReviewYear());
  request.set_page_size(5);
  nv1::AnalyzeAbcResponse abc;
  ASSERT_THAT(Demo().As("dir.wang").Call(&AnalyticsStub::AnalyzeAbc, request, &abc), GrpcOk());
  EXPECT_GT(abc.customers(), 200);
  EXPECT_GT(abc.pareto_top20_share(), 0.7) << "the top 20% of customers hold most revenue";
  ASSERT_GT(abc.rows_size(), 0);
  EXPECT_EQ(abc.rows(0).account().name(), "华远建设集团有限公司");
}

TEST(DemoTest, ExactlyOneAccountIsOverItsCreditLimit) {
  const std::vector<av1::Account> accounts = AllAccounts();
  std::vector<std::string> over;
  av1::Period period;
  // All of the demo's business: two years up to the load day.
  const absl::Time load_day = absl::FromCivil(DemoStack::LoadDay(), absl::UTCTimeZone());
  period.mutable_start_time()->set_seconds(absl::ToUnixSeconds(load_day - absl::Hours(24 * 800)));
  period.mutable_end_time()->set_seconds(absl::ToUnixSeconds(load_day + absl::Hours(24)));
  for (const av1::Account& a : accounts) {
    av1::GetGroupSummaryRequest request;
    request.set_account_id(a.id());
    *request.mutable_period() = period;
    av1::GetGroupSummaryResponse response;
    // 300 calls: as the ERP feed, whose rate limit is a machine's, not a person's.
    ASSERT_THAT(Demo().As("erp-feed").Call(&AccountStub::GetGroupSummary, request, &response),
                GrpcOk());
    if (response.summary().over_limit()) over.push_back(a.name());
  }
  EXPECT_EQ(over, std::vector<std::string>{"宏达机电设备有限公司"});
  const av1::Account* hongda = Named(accounts, "宏达机电设备有限公司");
  EXPECT_EQ(hongda->credit_limit().minor_units(), 500000 * 100);
  EXPECT_THAT(std::vector<std::string>(hongda->tags().begin(), hongda->tags().end()),
              Contains("slow-payer"));
}

TEST(DemoTest, OneAccountReachedTheFiveVisitsWithoutResultRule) {
  std::vector<std::string> suspended;
  for (const av1::Account& a : AllAccounts()) {
    if (a.visit_plan_suspended()) suspended.push_back(a.name());
  }
  EXPECT_EQ(suspended, std::vector<std::string>{"远山新能源科技有限公司"});
  av1::ListVisitPlansRequest request;
  request.set_page_size(500);
  request.set_status(av1::VISIT_PLAN_STATUS_PLANNED);
  av1::ListVisitPlansResponse plans;
  ASSERT_THAT(Demo().As("dir.wang").Call(&AccountStub::ListVisitPlans, request, &plans), GrpcOk());
  EXPECT_GT(plans.plans_size(), 50) << "managers have visits planned";
}

TEST(DemoTest, OpportunitiesInEveryStageWonAndLost) {
  av1::ListOpportunitiesRequest request;
  request.set_page_size(500);
  av1::ListOpportunitiesResponse response;
  ASSERT_THAT(Demo().As("dir.wang").Call(&AccountStub::ListOpportunities, request, &response),
              GrpcOk());
  std::set<int> stages;
  for (const av1::Opportunity& o : response.opportunities()) stages.insert(o.stage());
  for (int stage = av1::STAGE_CUSTOMER_DEVELOPMENT; stage <= av1::STAGE_LOST; ++stage) {
    EXPECT_THAT(stages, Contains(stage)) << av1::Stage_Name(stage);
  }
}

TEST(DemoTest, ComplaintsInEveryStateAndCategorySomeBreachingTheirSla) {
  const std::vector<cv1::Complaint> complaints = AllComplaints();
  std::set<int> states, categories;
  for (const cv1::Complaint& c : complaints) {
    states.insert(c.state());
    categories.insert(c.category());
  }
  for (int state = cv1::STATE_RECORDED; state <= cv1::STATE_CLOSED; ++state) {
    EXPECT_THAT(states, Contains(state)) << cv1::State_Name(state);
  }
  for (int category = cv1::CATEGORY_PRODUCT_QUALITY; category <= cv1::CATEGORY_OTHER; ++category) {
    EXPECT_THAT(categories, Contains(category)) << cv1::Category_Name(category);
  }
  // The sweeper marks breaches as it passes.
  EXPECT_TRUE(e2e::Eventually(
      [] {
        for (const cv1::Complaint& c : AllComplaints()) {
          if (c.account_name() == "明川化工有限公司" &&
              c.judgment_sla().status() == cv1::SLA_STATUS_BREACHED) {
            return true;
          }
        }
        return false;
      },
      absl::Seconds(30)))
      << "the 明川化工 complaint breached its judgment SLA";
  int breached = 0;
  for (const cv1::Complaint& c : AllComplaints()) {
    if (c.judgment_sla().status() == cv1::SLA_STATUS_BREACHED ||
        c.resolution_sla().status() == cv1::SLA_STATUS_BREACHED) {
      ++breached;
    }
  }
  EXPECT_THAT(breached, Gt(1));
}

TEST(DemoTest, ATierReviewWasRecordedAndTheAccountsHaveTiers) {
  nv1::ListTierReviewsRequest request;
  nv1::ListTierReviewsResponse reviews;
  ASSERT_THAT(Demo().As("dir.wang").Call(&AnalyticsStub::ListTierReviews, request, &reviews),
              GrpcOk());
  ASSERT_GE(reviews.reviews_size(), 1);
  EXPECT_EQ(reviews.reviews(0).state(), nv1::REVIEW_STATE_APPLIED);
  EXPECT_GT(reviews.reviews(0).accounts_reviewed(), 200);
  EXPECT_TRUE(e2e::Eventually(
      [] {
        for (const av1::Account& a : AllAccounts()) {
          if (a.name() == "华远建设集团有限公司") return a.tier() == av1::TIER_A;
        }
        return false;
      },
      absl::Seconds(20)));
}

// Last: a second load changes nothing (every write carries its request id).
TEST(DemoTest, ZLoadingAgainChangesNothing) {
  const size_t complaints = AllComplaints().size();
  const DemoStack::Run again = Demo().RunDemo({});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(AllAccounts().size(), 300u);
  EXPECT_EQ(AllComplaints().size(), complaints);
  nv1::ListTierReviewsRequest request;
  nv1::ListTierReviewsResponse reviews;
  ASSERT_THAT(Demo().As("dir.wang").Call(&AnalyticsStub::ListTierReviews, request, &reviews),
              GrpcOk());
  EXPECT_EQ(reviews.reviews_size(), 1);
  RecordProperty("first_load_seconds", std::to_string(Demo().first_load().seconds));
  RecordProperty("second_load_seconds", std::to_string(again.seconds));
  std::cerr << "demo load: first " << Demo().first_load().seconds << " s, again " << again.seconds
            << " s\n";
}

}  // namespace
}  // namespace kam::demo
