// kamctl work commands (records, visits, opps): command line -> request -> what the user reads (see
// kamctl_fixture.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kam/accounts/v1/accounts.pb.h"
#include "tests/unit/kamctl_fixture.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::accounts::v1;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

TEST_F(KamctlCommandTest, RecordAddMapsFlagsAndWarnsWhenTheAccountLeavesThePlan) {
  service_.Reply(
      "CreateContactRecord", Proto<v1::CreateContactRecordResponse>(R"pb(
        record { id: 40 account_id: 12 kind: CONTACT_KIND_VISIT outcome: CONTACT_OUTCOME_NO_RESULT }
        visit_plan_suspended: true)pb"));
  const Result r =
      Kamctl(R"(records add 12 --kind visit --at 2026-11-20T10:00:00Z --summary "met purchasing")"
             R"( --outcome no-result --contacts 1,2 --next-step "call back" --plan 9)");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(
      WithoutRequestId(service_.Only<v1::CreateContactRecordRequest>("CreateContactRecord")),
      EqualsProto(R"pb(record {
                         account_id: 12
                         kind: CONTACT_KIND_VISIT
                         occur_time { seconds: 1795168800 }
                         contact_ids: 1
                         contact_ids: 2
                         summary: "met purchasing"
                         outcome: CONTACT_OUTCOME_NO_RESULT
                         next_step: "call back"
                         visit_plan_id: 9
                       })pb"));
  EXPECT_THAT(r.out, HasSubstr("outcome:    no_result"));
  EXPECT_THAT(r.err, AllOf(HasSubstr("warning: this was the 5th visit in a row without result"),
                           HasSubstr("kamctl visits restore 12 --reason")));
}

TEST_F(KamctlCommandTest, RecordAddWithoutSuspensionPrintsNoWarning) {
  service_.Reply("CreateContactRecord", v1::CreateContactRecordResponse());
  const Result r =
      Kamctl("records add 12 --kind call --at 2026-11-20 --summary s --outcome effective");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

TEST_F(KamctlCommandTest, TimelineCutsLongSummaries) {
  service_.Reply("ListTimeline", Proto<v1::ListTimelineResponse>(R"pb(
                   records {
                     id: 40
                     kind: CONTACT_KIND_MEETING
                     outcome: CONTACT_OUTCOME_EFFECTIVE
                     summary: "a very long summary of the meeting that goes on and on and on"
                     occur_time { seconds: 1795168800 }
                     author_id: "alice"
                   }
                   next_page_token: "tok")pb"));
  const Result r = Kamctl("records timeline 12 --page-size 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::ListTimelineRequest>("ListTimeline"),
              EqualsProto("account_id: 12 page_size: 1"));
  EXPECT_THAT(r.out, AllOf(HasSubstr("a very long summary of the meeting that…"),
                           Not(HasSubstr("on and on")), HasSubstr("next page: --page-token tok")));
}

TEST_F(KamctlCommandTest, VisitsPlanAndListFlagOverdueRows) {
  service_.Reply("CreateVisitPlan", v1::CreateVisitPlanResponse());
  ASSERT_EQ(Kamctl(R"(visits plan 12 --on 2026-12-01 --objective "quarterly review")").exit_code,
            0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::CreateVisitPlanRequest>("CreateVisitPlan")),
              EqualsProto(R"pb(plan {
                                 account_id: 12
                                 planned_time { seconds: 1796083200 }
                                 objective: "quarterly review"
                               })pb"));

  service_.Reply("ListVisitPlans", Proto<v1::ListVisitPlansResponse>(R"pb(
                   plans {
                     id: 1
                     account_id: 12
                     owner_id: "alice"
                     status: VISIT_PLAN_STATUS_PLANNED
                     overdue: true
                     planned_time { seconds: 1795168800 }
                     objective: "late"
                   }
                   plans {
                     id: 2
                     account_id: 12
                     owner_id: "alice"
                     status: VISIT_PLAN_STATUS_PLANNED
                     planned_time { seconds: 1796083200 }
                     objective: "on time"
                   })pb"));
  const Result r = Kamctl("visits list --owner alice --status planned --overdue");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(
      service_.Only<v1::ListVisitPlansRequest>("ListVisitPlans"),
      EqualsProto(R"pb(owner_id: "alice" status: VISIT_PLAN_STATUS_PLANNED overdue_only: true)pb"));
  EXPECT_THAT(r.out, AllOf(HasSubstr("1   12       2026-11-20  alice  OVERDUE  late"),
                           HasSubstr("2   12       2026-12-01  alice  planned  on time"),
                           HasSubstr("1 overdue")));
}

TEST_F(KamctlCommandTest, VisitsCancelAndRestoreNeedAReason) {
  service_.Reply("CancelVisitPlan", v1::CancelVisitPlanResponse());
  service_.Reply("RestoreVisitPlan", v1::RestoreVisitPlanResponse());
  EXPECT_EQ(Kamctl("visits cancel 7").exit_code, 2);
  ASSERT_EQ(Kamctl(R"(visits cancel 7 --reason "customer closed")").exit_code, 0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::CancelVisitPlanRequest>("CancelVisitPlan")),
              EqualsProto(R"pb(visit_plan_id: 7 reason: "customer closed")pb"));
  ASSERT_EQ(Kamctl(R"(visits restore 12 --reason "new buyer")").exit_code, 0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::RestoreVisitPlanRequest>("RestoreVisitPlan")),
              EqualsProto(R"pb(account_id: 12 reason: "new buyer")pb"));
}

TEST_F(KamctlCommandTest, OppsCreateAndUpdateSetKeyNodes) {
  service_.Reply("CreateOpportunity", v1::CreateOpportunityResponse());
  service_.Reply("UpdateOpportunity", v1::UpdateOpportunityResponse());
  ASSERT_EQ(Kamctl(R"(opps create 12 --name "Line 3" --amount 2000000 --budget 1800000.50)"
                   R"( --needs "two presses" --timetable Q3)")
                .exit_code,
            0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::CreateOpportunityRequest>("CreateOpportunity")),
              EqualsProto(R"pb(opportunity {
                                 account_id: 12
                                 name: "Line 3"
                                 amount { currency_code: "CNY" minor_units: 200000000 }
                                 needs: "two presses"
                                 budget { currency_code: "CNY" minor_units: 180000050 }
                                 timetable: "Q3"
                               })pb"));
  ASSERT_EQ(
      Kamctl("opps update 7 --etag v3 --bid-submitted 2026-11-20T10:00:00Z --contract 5").exit_code,
      0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::UpdateOpportunityRequest>("UpdateOpportunity")),
              EqualsProto(R"pb(opportunity {
                                 id: 7
                                 bid_submit_time { seconds: 1795168800 }
                                 contract_id: 5
                               }
                               update_mask { paths: "bid_submit_time" paths: "contract_id" }
                               etag: "v3")pb"));
}

TEST_F(KamctlCommandTest, OppsMoveShowsTheStageAndExplainsARefusal) {
  service_.Reply("MoveOpportunity",
                 Proto<v1::MoveOpportunityResponse>(
                     R"pb(opportunity { id: 7 stage: STAGE_BIDDING probability_percent: 50 })pb"));
  const Result r = Kamctl("opps move 7 --to bidding --etag v3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::MoveOpportunityRequest>("MoveOpportunity")),
              EqualsProto(R"pb(opportunity_id: 7 to_stage: STAGE_BIDDING etag: "v3")pb"));
  EXPECT_THAT(r.out, AllOf(HasSubstr("stage:                 bidding\n"),
                           HasSubstr("probability:           50%\n")));

  service_.Fail("MoveOpportunity",
                grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                             "relationship_progress: required to leave proposal"));
  const Result refused = Kamctl("opps move 7 --to commercial-negotiation --etag v3");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err,
              AllOf(HasSubstr("error: FAILED_PRECONDITION: relationship_progress: required"),
                    HasSubstr("hint: not allowed in the record's current state")));
}

TEST_F(KamctlCommandTest, OppsHistoryMarksTheCreation) {
  service_.Reply("ListStageChanges", Proto<v1::ListStageChangesResponse>(R"pb(
                   changes { to_stage: STAGE_CUSTOMER_DEVELOPMENT actor: "alice" }
                   changes {
                     from_stage: STAGE_PROPOSAL
                     to_stage: STAGE_PROJECT_INITIATION
                     actor: "alice"
                     reason: "budget cut"
                   })pb"));
  const Result r = Kamctl("opps history 7");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("(created)  customer_development  alice"),
                           HasSubstr("proposal   project_initiation    alice  budget cut")));
}

TEST_F(KamctlCommandTest, OppsSummaryTakesExactlyOneScope) {
  service_.Reply("GetPipelineSummary", Proto<v1::GetPipelineSummaryResponse>(R"pb(
                   stages {
                     stage: STAGE_PROPOSAL
                     opportunities: 2
                     amount { minor_units: 300000000 }
                     weighted_amount { minor_units: 90000000 }
                   }
                   open_amount { minor_units: 300000000 }
                   weighted_amount { minor_units: 90000000 }
                   won: 1
                   lost: 4)pb"));
  const Result r = Kamctl("opps summary --group 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::GetPipelineSummaryRequest>("GetPipelineSummary"),
              EqualsProto("group_id: 1"));
  EXPECT_THAT(r.out, AllOf(HasSubstr("proposal    2     3,000,000.00 CNY  900,000.00 CNY"),
                           HasSubstr("open total  -     3,000,000.00 CNY  900,000.00 CNY"),
                           HasSubstr("won: 1, lost: 4")));
  EXPECT_EQ(Kamctl("opps summary").exit_code, 2);
  EXPECT_EQ(Kamctl("opps summary --owner a --group 1").exit_code, 2);
  EXPECT_THAT(service_.Calls("GetPipelineSummary"), SizeIs(1));
}

}  // namespace
}  // namespace kam::kamctl
