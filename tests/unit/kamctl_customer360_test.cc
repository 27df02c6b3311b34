#include "kam/gateway/v1/gateway.pb.h"
#include "tests/unit/kamctl_fixture.h"

namespace kam::kamctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kView[] = R"pb(
  account { id: 12 name: "上海工厂" tier: TIER_A owner_id: "mgr-li" }
  group_path { account_id: 1 name: "华东集团" depth: -2 }
  group_path { account_id: 5 parent_id: 1 depth: -1 }
  contacts { id: 3 account_id: 12 name: "Zhang Wei" phone: "138****5678" email: "z***@example.com" }
  open_opportunities {
    id: 7
    name: "Line 3 retrofit"
    stage: STAGE_COMMERCIAL_NEGOTIATION
    amount { currency_code: "CNY" minor_units: 50000000 }
    probability_percent: 60
  }
  pipeline {
    open_amount { currency_code: "CNY" minor_units: 50000000 }
    weighted_amount { currency_code: "CNY" minor_units: 30000000 }
  }
  open_complaints {
    id: 41
    state: STATE_ASSIGNED
    severity: SEVERITY_HIGH
    judgment_sla { status: SLA_STATUS_MET }
    resolution_sla { status: SLA_STATUS_ON_TRACK }
  }
  missing {
    section: CUSTOMER360_SECTION_ANALYTICS
    code: "UNAVAILABLE"
    reason: "the analytics service is unavailable"
  }
  request_id: "req-360"
)pb";

TEST_F(KamctlCommandTest, Customer360PrintsEverySectionAndWhatIsMissing) {
  service_.Reply("GetCustomer360", Proto<kam::gateway::v1::GetCustomer360Response>(kView));
  const Result r = Kamctl("accounts 360 12");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<kam::gateway::v1::GetCustomer360Request>("GetCustomer360"),
              EqualsProto("account_id: 12"));
  EXPECT_THAT(r.out, HasSubstr("上海工厂"));
  EXPECT_THAT(r.out, HasSubstr("Group\n华东集团 > #5 > 上海工厂\n"));
  EXPECT_THAT(r.out, HasSubstr("Contacts: 1\n"));
  EXPECT_THAT(r.out, HasSubstr("138****5678"));
  EXPECT_THAT(r.out, HasSubstr("Open opportunities: 1; weighted pipeline 300,000.00 CNY of "
                               "500,000.00 CNY"));
  EXPECT_THAT(r.out, HasSubstr("Line 3 retrofit"));
  EXPECT_THAT(r.out, HasSubstr("Open complaints: 1\n"));
  EXPECT_THAT(r.out, HasSubstr("on_track"));
  EXPECT_THAT(r.out, Not(HasSubstr("Standing"))) << "a missing section is not shown empty";
  EXPECT_THAT(r.out, HasSubstr("Missing sections"));
  EXPECT_THAT(r.out, HasSubstr("analytics  UNAVAILABLE  the analytics service is unavailable"));
}

TEST_F(KamctlCommandTest, Customer360JsonIsTheWholeResponse) {
  service_.Reply("GetCustomer360", Proto<kam::gateway::v1::GetCustomer360Response>(kView));
  const Result r = Kamctl("accounts 360 12 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"weightedAmount\""));
  EXPECT_THAT(r.out, HasSubstr("\"CUSTOMER360_SECTION_ANALYTICS\""));
  EXPECT_THAT(r.out, HasSubstr("\"requestId\": \"req-360\""));
}

TEST_F(KamctlCommandTest, Customer360RefusedShowsTheErrorAndNothingElse) {
  service_.Fail("GetCustomer360", grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                               "account 12 is not one of your accounts"));
  const Result r = Kamctl("accounts 360 12");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("not one of your accounts"));
  EXPECT_THAT(Kamctl("accounts 360 0").exit_code, Not(0));
}

}  // namespace
}  // namespace kam::kamctl
