// The customer 360 view end to end: one gateway call gathers the account, its group path,
// contacts, open opportunities with the weighted pipeline, open complaints and the analytics
// standing from the three services; access follows the account; a stopped or frozen
// analytics service leaves its section missing and the answer still comes on time.
#include <signal.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"

namespace kam::e2e {
namespace {

namespace av1 = kam::analytics::v1;
namespace cv1 = kam::complaints::v1;
namespace gv1 = kam::gateway::v1;
using ComplaintStub = cv1::ComplaintService::Stub;

constexpr char kManagerA[] = "c360-mgr-a";
constexpr char kManagerB[] = "c360-mgr-b";
// The only order of the last complete quarter in the e2e database, so the largest customer
// of that quarter; below the 2,000,000,000.00 the analytics suite later makes its own
// customer the largest of the year with (that quarter can be part of its year).
constexpr int64_t kQuarterRevenue = 1'000'000'000'00;

v1::Money Cny(int64_t minor_units) {
  v1::Money money;
  money.set_currency_code("CNY");
  money.set_minor_units(minor_units);
  return money;
}

// Mid-way through the last complete quarter in the company zone: the period the standing
// defaults to.
absl::Time InLastCompleteQuarter() {
  absl::TimeZone shanghai;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  const absl::CivilMonth month = absl::ToCivilMonth(absl::Now(), shanghai);
  const absl::CivilMonth quarter_start(month.year(), month.month() - (month.month() - 1) % 3);
  return absl::FromCivil(absl::CivilDay(quarter_start - 2) + 14, shanghai);
}

std::vector<gv1::Customer360Section> MissingSections(const gv1::GetCustomer360Response& view) {
  std::vector<gv1::Customer360Section> sections;
  for (const gv1::MissingSection& missing : view.missing()) sections.push_back(missing.section());
  return sections;
}

const gv1::MissingSection* Missing(const gv1::GetCustomer360Response& view,
                                   gv1::Customer360Section section) {
  for (const gv1::MissingSection& missing : view.missing()) {
    if (missing.section() == section) return &missing;
  }
  return nullptr;
}

// One customer in a three-level group, seeded once for every test of the suite.
class Customer360E2eTest : public E2eTest {
 protected:
  static Caller ManagerA() { return As(kManagerA, {"account_manager"}); }
  static Caller ManagerB() { return As(kManagerB, {"account_manager"}); }
  static Caller Director() { return As("c360-director", {"director"}); }
  static Caller Handler() { return As("c360-handler", {"handler"}); }
  static Caller Agent() { return As("c360-agent", {"service_agent"}); }
  static Caller Erp() { return As("c360-erp", {"system"}); }

  static void SetUpTestSuite() { seeded_ = false; }

  void SetUp() override {
    if (!seeded_) {
      ASSERT_NO_FATAL_FAILURE(Seed());
      seeded_ = true;
    }
  }

  static void Seed() {
    v1::Account root = Draft("root");
    root.set_owner_id(kManagerB);
    ASSERT_THAT(Create(Director(), root, &root_), GrpcOk());
    v1::Account middle = Draft("east");
    middle.set_owner_id(kManagerA);
    middle.set_parent_id(root_.id());
    ASSERT_THAT(Create(Director(), middle, &middle_), GrpcOk());
    v1::Account plant = Draft("plant");
    plant.set_parent_id(middle_.id());
    ASSERT_THAT(Create(ManagerA(), plant, &plant_), GrpcOk());
    ASSERT_EQ(plant_.owner_id(), kManagerA);

    for (const char* name : {"Zhang Wei", "Li Na"}) {
      v1::CreateContactRequest contact;
      contact.set_request_id(NewRequestId());
      contact.mutable_contact()->set_account_id(plant_.id());
      contact.mutable_contact()->set_name(name);
      contact.mutable_contact()->set_phone("13812345678");
      contact.mutable_contact()->set_email("zhang.wei@example.com");
      ASSERT_THAT(ManagerA().Call(&AccountStub::CreateContact, contact), GrpcOk());
    }

    for (int64_t amount : {1'000'000'00, 300'000'00}) {
      v1::CreateOpportunityRequest opportunity;
      opportunity.set_request_id(NewRequestId());
      opportunity.mutable_opportunity()->set_account_id(plant_.id());
      opportunity.mutable_opportunity()->set_name(absl::StrCat("line upgrade ", amount));
      *opportunity.mutable_opportunity()->mutable_amount() = Cny(amount);
      v1::CreateOpportunityResponse created;
      ASSERT_THAT(ManagerA().Call(&AccountStub::CreateOpportunity, opportunity, &created),
                  GrpcOk());
      weighted_ += amount * created.opportunity().probability_percent() / 100;
    }

    // One order in the last complete quarter (see kQuarterRevenue).
    v1::RecordOrderRequest order;
    order.set_request_id(NewRequestId());
    order.mutable_order()->set_account_id(plant_.id());
    order.mutable_order()->set_external_id(absl::StrCat("c360-", plant_.id()));
    order.mutable_order()->mutable_order_time()->set_seconds(
        absl::ToUnixSeconds(InLastCompleteQuarter()));
    v1::OrderLine* line = order.mutable_order()->add_lines();
    line->set_product_code("COIL-360");
    line->set_product_category("steel coil");
    line->set_quantity(1);
    *line->mutable_revenue() = Cny(kQuarterRevenue);
    *line->mutable_cost() = Cny(kQuarterRevenue / 2);
    ASSERT_THAT(Erp().Call(&AccountStub::RecordOrder, order), GrpcOk());

    cv1::CreateComplaintRequest intake;
    intake.set_request_id(NewRequestId());
    cv1::Complaint* draft = intake.mutable_complaint();
    draft->set_account_id(plant_.id());
    draft->set_channel(cv1::CHANNEL_PHONE);
    draft->set_category(cv1::CATEGORY_PRODUCT_QUALITY);
    draft->set_description("coil edges cracked");
    draft->set_severity(cv1::SEVERITY_MEDIUM);
    draft->set_manner(cv1::MANNER_FRIENDLY);
    cv1::CreateComplaintResponse taken;
    ASSERT_TRUE(Eventually(
        [&] { return Agent().Call(&ComplaintStub::CreateComplaint, intake, &taken).ok(); },
        absl::Seconds(20)));
    complaint_id_ = taken.complaint().id();

    // Analytics has the order once the standing shows it.
    ASSERT_TRUE(Eventually(
        [&] {
          av1::GetAccountStandingRequest request;
          request.set_account_id(plant_.id());
          av1::GetAccountStandingResponse standing;
          return Director()
                     .Call(&av1::AnalyticsService::Stub::GetAccountStanding, request, &standing)
                     .ok() &&
                 standing.abc().revenue().minor_units() == kQuarterRevenue;
        },
        absl::Seconds(30)))
        << "analytics never showed the order";
  }

  static grpc::Status View(const Caller& caller, int64_t account_id,
                           gv1::GetCustomer360Response* view) {
    gv1::GetCustomer360Request request;
    request.set_account_id(account_id);
    view->Clear();
    return caller.Call(&GatewayStub::GetCustomer360, request, view);
  }

  // Every section present and as seeded; `names_of_root` for callers who see the root.
  void ExpectComplete(const gv1::GetCustomer360Response& view, bool sees_root_name) {
    EXPECT_THAT(MissingSections(view), IsEmpty());
    EXPECT_EQ(view.account().id(), plant_.id());
    EXPECT_EQ(view.account().name(), plant_.name());
    ASSERT_EQ(view.group_path_size(), 2);
    EXPECT_EQ(view.group_path(0).account_id(), root_.id());
    EXPECT_EQ(view.group_path(0).depth(), -2);
    EXPECT_EQ(view.group_path(0).name(), sees_root_name ? root_.name() : "");
    EXPECT_EQ(view.group_path(1).account_id(), middle_.id());
    EXPECT_EQ(view.group_path(1).name(), middle_.name());
    EXPECT_EQ(view.contacts_size(), 2);
    EXPECT_FALSE(view.contacts_truncated());
    EXPECT_EQ(view.open_opportunities_size(), 2);
    EXPECT_EQ(view.pipeline().open_amount().minor_units(), 1'300'000'00);
    EXPECT_EQ(view.pipeline().weighted_amount().minor_units(), weighted_);
    ASSERT_EQ(view.open_complaints_size(), 1);
    EXPECT_EQ(view.open_complaints(0).id(), complaint_id_);
    EXPECT_EQ(view.open_complaints(0).judgment_sla().status(), cv1::SLA_STATUS_ON_TRACK);
    EXPECT_EQ(view.standing().abc().account().id(), plant_.id());
    EXPECT_EQ(view.standing().abc().revenue().minor_units(), kQuarterRevenue);
    EXPECT_EQ(view.standing().abc().rank(), 1);
    EXPECT_EQ(view.standing().abc().abc_class(), av1::ABC_CLASS_A);
    EXPECT_EQ(view.standing().score().account().id(), plant_.id());
    EXPECT_GT(view.standing().score().score(), 0);
    EXPECT_GE(view.standing().accounts(), 3);
    EXPECT_FALSE(view.request_id().empty());
  }

  static bool seeded_;
  static v1::Account root_, middle_, plant_;
  static int64_t weighted_;
  static int64_t complaint_id_;
};

bool Customer360E2eTest::seeded_ = false;
v1::Account Customer360E2eTest::root_;
v1::Account Customer360E2eTest::middle_;
v1::Account Customer360E2eTest::plant_;
int64_t Customer360E2eTest::weighted_ = 0;
int64_t Customer360E2eTest::complaint_id_ = 0;

TEST_F(Customer360E2eTest, AManagerSeesEverySectionOfTheirAccount) {
  gv1::GetCustomer360Response view;
  ASSERT_THAT(View(ManagerA(), plant_.id(), &view), GrpcOk());
  ExpectComplete(view, /*sees_root_name=*/false);
  EXPECT_EQ(view.contacts(0).phone(), "13812345678") << "the owner works with the customer";
  EXPECT_EQ(view.contacts(0).email(), "zhang.wei@example.com");
}

TEST_F(Customer360E2eTest, ADirectorSeesEverything) {
  const std::map<std::string, std::string> standing_ok = {
      {"grpc_service", "kam.analytics.v1.AnalyticsService"},
      {"grpc_method", "GetAccountStanding"},
      {"grpc_code", "OK"}};
  const double before =
      MetricValue(Scrape("gateway"), "grpc_client_handled_total", standing_ok).value_or(0);
  gv1::GetCustomer360Response view;
  ASSERT_THAT(View(Director(), plant_.id(), &view), GrpcOk());
  ExpectComplete(view, /*sees_root_name=*/true);
  // Each section's backend call is counted on the gateway's client side.
  EXPECT_EQ(MetricValue(Scrape("gateway"), "grpc_client_handled_total", standing_ok).value_or(0),
            before + 1);
}

TEST_F(Customer360E2eTest, AnotherManagerGetsPermissionDeniedAndNothingElse) {
  gv1::GetCustomer360Response view;
  EXPECT_THAT(View(ManagerB(), plant_.id(), &view),
              GrpcError(grpc::StatusCode::PERMISSION_DENIED, ""));
  EXPECT_FALSE(view.has_account());
  EXPECT_THAT(view.contacts(), IsEmpty());
  EXPECT_FALSE(view.has_standing());
  // An id that does not exist looks the same to a manager.
  EXPECT_THAT(View(ManagerB(), plant_.id() + 1'000'000, &view),
              GrpcError(grpc::StatusCode::PERMISSION_DENIED, ""));
  EXPECT_THAT(View(ManagerB(), 0, &view),
              GrpcError(grpc::StatusCode::INVALID_ARGUMENT, "account_id"));
}

TEST_F(Customer360E2eTest, AHandlerSeesMaskedContactsAndNotTheSectionsTheirRoleLacks) {
  gv1::GetCustomer360Response view;
  ASSERT_THAT(View(Handler(), plant_.id(), &view), GrpcOk());
  EXPECT_EQ(view.account().id(), plant_.id());
  ASSERT_EQ(view.contacts_size(), 2);
  EXPECT_EQ(view.contacts(0).phone(), "138****5678");
  EXPECT_EQ(view.contacts(0).email(), "z***@example.com");
  // Opportunities and the standing are not a handler's (gateway policy): named, not fetched.
  EXPECT_THAT(MissingSections(view), ElementsAre(gv1::CUSTOMER360_SECTION_OPPORTUNITIES,
                                                 gv1::CUSTOMER360_SECTION_ANALYTICS));
  for (const gv1::MissingSection& missing : view.missing()) {
    EXPECT_EQ(missing.code(), "PERMISSION_DENIED");
  }
  EXPECT_THAT(view.open_opportunities(), IsEmpty());
  EXPECT_FALSE(view.has_standing());

  // The same contacts asked for directly are masked too (accounts applies the rule).
  kam::accounts::v1::ListContactsRequest request;
  request.set_account_id(plant_.id());
  kam::accounts::v1::ListContactsResponse contacts;
  ASSERT_THAT(Handler().Call(&AccountStub::ListContacts, request, &contacts), GrpcOk());
  ASSERT_EQ(contacts.contacts_size(), 2);
  EXPECT_EQ(contacts.contacts(0).phone(), "138****5678");
  EXPECT_EQ(contacts.contacts(0).email(), "z***@example.com");
  // A service agent, who calls customers back, sees them whole.
  ASSERT_THAT(Agent().Call(&AccountStub::ListContacts, request, &contacts), GrpcOk());
  ASSERT_EQ(contacts.contacts_size(), 2);
  EXPECT_EQ(contacts.contacts(0).phone(), "13812345678");
}

TEST_F(Customer360E2eTest, WithAnalyticsStoppedTheRestStillComes) {
  ASSERT_TRUE(stack().StopService("analytics").ok());
  absl::Cleanup restart = [] { EXPECT_TRUE(stack().RestartService("analytics").ok()); };
  gv1::GetCustomer360Response view;
  ASSERT_THAT(View(ManagerA(), plant_.id(), &view), GrpcOk());
  EXPECT_THAT(MissingSections(view), ElementsAre(gv1::CUSTOMER360_SECTION_ANALYTICS));
  const gv1::MissingSection* analytics = Missing(view, gv1::CUSTOMER360_SECTION_ANALYTICS);
  ASSERT_NE(analytics, nullptr);
  EXPECT_EQ(analytics->code(), "UNAVAILABLE");
  EXPECT_THAT(analytics->reason(), Not(HasSubstr("127.0.0.1")));
  EXPECT_THAT(analytics->reason(), Not(HasSubstr("ipv4")));
  EXPECT_FALSE(view.has_standing());
  EXPECT_EQ(view.contacts_size(), 2);
  EXPECT_EQ(view.open_opportunities_size(), 2);
  EXPECT_EQ(view.open_complaints_size(), 1);
  EXPECT_EQ(view.group_path_size(), 2);

  std::move(restart).Invoke();
  EXPECT_TRUE(Eventually(
      [&] { return View(ManagerA(), plant_.id(), &view).ok() && view.missing().empty(); },
      absl::Seconds(20)))
      << "the standing is back once analytics is";
}

TEST_F(Customer360E2eTest, AFrozenAnalyticsServiceEndsOnTimeWithoutItsSection) {
  const pid_t analytics = stack().service("analytics").process->pid();
  ASSERT_EQ(kill(analytics, SIGSTOP), 0);
  absl::Cleanup resume = [analytics] { kill(analytics, SIGCONT); };

  const Caller director = Director();
  gv1::GetCustomer360Request request;
  request.set_account_id(plant_.id());
  gv1::GetCustomer360Response view;
  grpc::ClientContext context;
  director.Prepare(&context);
  const auto deadline = std::chrono::milliseconds(1000);
  const auto start = std::chrono::steady_clock::now();
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  GatewayStub stub(director.channel());
  const grpc::Status status = stub.GetCustomer360(&context, request, &view);
  const auto elapsed = std::chrono::steady_clock::now() - start;

  ASSERT_THAT(status, GrpcOk());
  EXPECT_LT(elapsed, deadline);
  const gv1::MissingSection* missing = Missing(view, gv1::CUSTOMER360_SECTION_ANALYTICS);
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(missing->code(), "DEADLINE_EXCEEDED");
  EXPECT_THAT(MissingSections(view), ElementsAre(gv1::CUSTOMER360_SECTION_ANALYTICS));
  EXPECT_EQ(view.account().id(), plant_.id());
  EXPECT_EQ(view.open_complaints_size(), 1);
}

}  // namespace
}  // namespace kam::e2e
