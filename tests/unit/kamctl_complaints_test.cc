// kamctl complaints and departments commands: command line -> ComplaintService request ->
// what the user reads (see kamctl_fixture.h; the fake answers any service's methods).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kam/complaints/v1/complaints.pb.h"
#include "tests/unit/kamctl_fixture.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::complaints::v1;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// 2026-11-20T10:00:00Z and 2026-12-01T00:00:00Z.
constexpr char kAssigned[] = R"pb(
  complaint {
    id: 31
    account_id: 12
    account_name: "华东重工"
    account_tier: TIER_A
    channel: CHANNEL_PHONE
    category: CATEGORY_PRODUCT_QUALITY
    severity: SEVERITY_HIGH
    manner: MANNER_ANGRY
    handling_guidance: "Let the customer vent first; do not argue."
    state: STATE_ASSIGNED
    department: "quality"
    handler_id: "hana"
    judgment_sla {
      due_time { seconds: 1795168800 }
      status: SLA_STATUS_MET
      met_time { seconds: 1795165200 }
    }
    resolution_sla {
      due_time { seconds: 1796083200 }
      status: SLA_STATUS_AT_RISK
    }
  })pb";

TEST_F(KamctlCommandTest, CreateMapsEveryIntakeFlagAndShowsGuidanceAndDeadlines) {
  service_.Reply("CreateComplaint", Proto<v1::CreateComplaintResponse>(kAssigned));
  const Result r = Kamctl(
      R"(complaints create --account 12 --contact 4 --channel call-centre --category )"
      R"(product_quality --subcategory "out of tolerance" --description "bolts 0.2 mm short" )"
      R"(--severity high --manner angry)");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::CreateComplaintRequest>("CreateComplaint")),
              EqualsProto(R"pb(complaint {
                                 account_id: 12
                                 contact_id: 4
                                 channel: CHANNEL_CALL_CENTRE
                                 category: CATEGORY_PRODUCT_QUALITY
                                 subcategory: "out of tolerance"
                                 description: "bolts 0.2 mm short"
                                 severity: SEVERITY_HIGH
                                 manner: MANNER_ANGRY
                               })pb"));
  EXPECT_THAT(
      r.out,
      AllOf(HasSubstr("account:           12 (华东重工)\n"),
            HasSubstr("handling guidance: Let the customer vent first; do not argue.\n"),
            HasSubstr("judgment sla:      met, due 2026-11-20 10:00, done 2026-11-20 09:00\n"),
            HasSubstr("resolution sla:    at_risk, due 2026-12-01 00:00\n")));
}

TEST_F(KamctlCommandTest, CreatePassesTheGivenRequestIdForASafeRetry) {
  service_.Fail("CreateComplaint", grpc::Status(grpc::StatusCode::UNAVAILABLE, "db down"));
  const Result r = Kamctl(
      "complaints create --account 12 --channel web --category other --description d "
      "--severity low --manner friendly --request-id intake-7");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(service_.Only<v1::CreateComplaintRequest>("CreateComplaint").request_id(), "intake-7");
  EXPECT_THAT(r.err, HasSubstr("repeat the command with --request-id intake-7"));
}

TEST_F(KamctlCommandTest, CreateRejectsUnknownLabelsAndMissingFieldsBeforeCalling) {
  Result r = Kamctl(
      "complaints create --account 12 --channel fax --category other --description d "
      "--severity low --manner friendly");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("unknown value \"fax\""),
                           HasSubstr("phone, email, visit, web, call_centre")));
  r = Kamctl(
      "complaints create --account 12 --channel web --category other --description d "
      "--severity urgent --manner friendly");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("expected one of: low, medium, high, critical"));
  r = Kamctl(
      "complaints create --account 12 --channel web --category other --description d "
      "--severity low");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--manner"));
  EXPECT_THAT(service_.Calls("CreateComplaint"), IsEmpty());
}

TEST_F(KamctlCommandTest, ListMapsEveryFilter) {
  service_.Reply("ListComplaints", v1::ListComplaintsResponse());
  const Result r = Kamctl(
      "complaints list --state recorded --state assigned,cause-analyzed --category transport "
      "--account 12 --department logistics --handler hana --breached --from 2026-11-01 "
      "--to 2026-12-01 --page-size 5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::ListComplaintsRequest>("ListComplaints"),
              EqualsProto(R"pb(page_size: 5
                               states: STATE_RECORDED
                               states: STATE_ASSIGNED
                               states: STATE_CAUSE_ANALYZED
                               category: CATEGORY_TRANSPORT
                               account_id: 12
                               department: "logistics"
                               handler_id: "hana"
                               sla: SLA_FILTER_BREACHED
                               create_time_start { seconds: 1793491200 }
                               create_time_end { seconds: 1796083200 })pb"));
}

TEST_F(KamctlCommandTest, ListTakesOneSlaFilterAndKnownStatesOnly) {
  service_.Reply("ListComplaints", v1::ListComplaintsResponse());
  ASSERT_EQ(Kamctl("complaints list --at-risk").exit_code, 0);
  EXPECT_THAT(service_.Only<v1::ListComplaintsRequest>("ListComplaints"),
              EqualsProto("sla: SLA_FILTER_AT_RISK"));
  EXPECT_EQ(Kamctl("complaints list --at-risk --breached").exit_code, 2);
  const Result r = Kamctl("complaints list --state open");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("unknown value \"open\""), HasSubstr("resolution_proposed")));
  EXPECT_THAT(service_.Calls("ListComplaints"), testing::SizeIs(1));
}

TEST_F(KamctlCommandTest, ListShowsWhereEachStandsAndItsDeadlines) {
  service_.Reply("ListComplaints", Proto<v1::ListComplaintsResponse>(R"pb(
                   complaints {
                     id: 31
                     account_id: 12
                     category: CATEGORY_PRODUCT_QUALITY
                     severity: SEVERITY_HIGH
                     state: STATE_ASSIGNED
                     department: "quality"
                     handler_id: "hana"
                     waiting_on_customer: true
                     judgment_sla {
                       due_time { seconds: 1795168800 }
                       status: SLA_STATUS_MET
                     }
                     resolution_sla {
                       due_time { seconds: 1796083200 }
                       status: SLA_STATUS_AT_RISK
                     }
                   }
                   complaints {
                     id: 32
                     account_id: 7
                     category: CATEGORY_TRANSPORT
                     severity: SEVERITY_CRITICAL
                     state: STATE_RECORDED
                     judgment_sla {
                       due_time { seconds: 1795168800 }
                       status: SLA_STATUS_BREACHED
                     }
                     resolution_sla {
                       due_time { seconds: 1796083200 }
                       status: SLA_STATUS_ON_TRACK
                     }
                   }
                   next_page_token: "p2")pb"));
  const Result r = Kamctl("complaints list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "ID  ACCOUNT  CATEGORY         SEVERITY  STATE               DEPARTMENT  HANDLER  "
            "JUDGMENT DUE      JUDGMENT  RESOLUTION DUE    RESOLUTION\n"
            "31  12       product_quality  high      assigned (waiting)  quality     hana     "
            "2026-11-20 10:00  met       2026-12-01 00:00  at_risk\n"
            "32  7        transport        critical  recorded            -           -        "
            "2026-11-20 10:00  BREACHED  2026-12-01 00:00  on_track\n"
            "1 with a deadline breached (times are UTC)\n"
            "next page: --page-token p2\n");
}

TEST_F(KamctlCommandTest, QueueAndHistoryAreReads) {
  service_.Reply("ListMyQueue", v1::ListMyQueueResponse());
  ASSERT_EQ(Kamctl("complaints queue --page-size 10").exit_code, 0);
  EXPECT_THAT(service_.Only<v1::ListMyQueueRequest>("ListMyQueue"), EqualsProto("page_size: 10"));

  service_.Reply("ListComplaintHistory", Proto<v1::ListComplaintHistoryResponse>(R"pb(
                   transitions {
                     action: "recorded"
                     to_state: STATE_RECORDED
                     actor: "sam"
                     time { seconds: 1795165200 }
                   }
                   transitions {
                     action: "judged_valid"
                     from_state: STATE_RECORDED
                     to_state: STATE_ASSIGNED
                     actor: "sam"
                     time { seconds: 1795168800 }
                     note: "bolts measured"
                   })pb"));
  const Result r = Kamctl("complaints history 31");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::ListComplaintHistoryRequest>("ListComplaintHistory"),
              EqualsProto("complaint_id: 31"));
  EXPECT_EQ(r.out,
            "TIME                  ACTION        FROM      TO        BY   NOTE\n"
            "2026-11-20T09:00:00Z  recorded      -         recorded  sam  -\n"
            "2026-11-20T10:00:00Z  judged_valid  recorded  assigned  sam  bolts measured\n");
}

TEST_F(KamctlCommandTest, JudgeNeedsAVerdictAndAReasonForInvalid) {
  service_.Reply("JudgeValidity", Proto<v1::JudgeValidityResponse>(kAssigned));
  EXPECT_EQ(Kamctl("complaints judge 31").exit_code, 2);
  EXPECT_EQ(Kamctl("complaints judge 31 --invalid").exit_code, 2);
  EXPECT_EQ(Kamctl("complaints judge 31 --valid --invalid --reason r").exit_code, 2);
  EXPECT_THAT(service_.Calls("JudgeValidity"), IsEmpty());

  ASSERT_EQ(Kamctl(R"(complaints judge 31 --invalid --reason "not our product")").exit_code, 0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::JudgeValidityRequest>("JudgeValidity")),
              EqualsProto(R"pb(complaint_id: 31 reason: "not our product")pb"));
}

TEST_F(KamctlCommandTest, JudgeValidWarnsWhenTheDepartmentHasNoHandler) {
  auto response = Proto<v1::JudgeValidityResponse>(kAssigned);
  response.mutable_complaint()->clear_handler_id();
  service_.Reply("JudgeValidity", response);
  const Result r = Kamctl("complaints judge 31 --valid --request-id j1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::JudgeValidityRequest>("JudgeValidity"),
              EqualsProto(R"pb(request_id: "j1" complaint_id: 31 valid: true)pb"));
  EXPECT_THAT(r.err, AllOf(HasSubstr("warning: department quality has no handler"),
                           HasSubstr("kamctl complaints reassign 31 --handler")));

  service_.Reply("JudgeValidity", Proto<v1::JudgeValidityResponse>(kAssigned));
  EXPECT_THAT(Kamctl("complaints judge 32 --valid").err, Not(HasSubstr("warning")));
}

TEST_F(KamctlCommandTest, ProcedureStepsMapToTheirRequests) {
  for (const char* method :
       {"ReassignComplaint", "AnalyzeCause", "ProposeResolution", "DecideResolution",
        "ImplementResolution", "CloseComplaint", "SetWaitingOnCustomer"}) {
    service_.Reply(method, Proto<v1::AnalyzeCauseResponse>(kAssigned));
  }
  ASSERT_EQ(
      Kamctl(R"(complaints reassign 31 --department logistics --reason "in transit")").exit_code,
      0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::ReassignComplaintRequest>("ReassignComplaint")),
              EqualsProto(R"pb(complaint_id: 31 department: "logistics" reason: "in transit")pb"));
  ASSERT_EQ(Kamctl(R"(complaints analyze 31 --cause "worn die")").exit_code, 0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::AnalyzeCauseRequest>("AnalyzeCause")),
              EqualsProto(R"pb(complaint_id: 31 cause: "worn die")pb"));
  ASSERT_EQ(Kamctl(R"(complaints propose 31 --resolution "replace the lot")").exit_code, 0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::ProposeResolutionRequest>("ProposeResolution")),
              EqualsProto(R"pb(complaint_id: 31 resolution: "replace the lot")pb"));
  ASSERT_EQ(Kamctl("complaints implement 31 --note shipped").exit_code, 0);
  EXPECT_THAT(
      WithoutRequestId(service_.Only<v1::ImplementResolutionRequest>("ImplementResolution")),
      EqualsProto(R"pb(complaint_id: 31 note: "shipped")pb"));
  ASSERT_EQ(Kamctl("complaints close 31 --summary s --evaluation e").exit_code, 0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::CloseComplaintRequest>("CloseComplaint")),
              EqualsProto(R"pb(complaint_id: 31 summary: "s" evaluation: "e")pb"));
  EXPECT_EQ(Kamctl("complaints close 31 --summary s").exit_code, 2);
  EXPECT_EQ(Kamctl("complaints analyze 31").exit_code, 2);
}

TEST_F(KamctlCommandTest, ApproveAndRejectDecideTheProposal) {
  service_.Reply("DecideResolution", Proto<v1::DecideResolutionResponse>(kAssigned));
  ASSERT_EQ(Kamctl("complaints approve 31").exit_code, 0);
  EXPECT_EQ(Kamctl("complaints reject 31").exit_code, 2);
  ASSERT_EQ(Kamctl(R"(complaints reject 31 --reason "too costly")").exit_code, 0);
  const auto calls = service_.Calls("DecideResolution");
  ASSERT_EQ(calls.size(), 2u);
  v1::DecideResolutionRequest approve, reject;
  ASSERT_TRUE(approve.ParseFromString(calls[0].request));
  ASSERT_TRUE(reject.ParseFromString(calls[1].request));
  EXPECT_THAT(WithoutRequestId(approve), EqualsProto("complaint_id: 31 approve: true"));
  EXPECT_THAT(WithoutRequestId(reject),
              EqualsProto(R"pb(complaint_id: 31 reason: "too costly")pb"));
}

TEST_F(KamctlCommandTest, FollowUpChecksTheScaleAndTheVerdict) {
  service_.Reply("RecordFollowUp", Proto<v1::RecordFollowUpResponse>(kAssigned));
  EXPECT_EQ(Kamctl("complaints follow-up 31 --perceived 6 --expected 3 --satisfied").exit_code, 2);
  EXPECT_EQ(Kamctl("complaints follow-up 31 --perceived 3 --expected 3").exit_code, 2);
  EXPECT_EQ(
      Kamctl("complaints follow-up 31 --perceived 3 --expected 3 --satisfied --reopen").exit_code,
      2);
  EXPECT_THAT(service_.Calls("RecordFollowUp"), IsEmpty());
  ASSERT_EQ(Kamctl(R"(complaints follow-up 31 --perceived 2 --expected 4 --unsatisfied --reopen)"
                   R"( --note "still short")")
                .exit_code,
            0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::RecordFollowUpRequest>("RecordFollowUp")),
              EqualsProto(R"pb(complaint_id: 31
                               perceived_satisfaction: 2
                               expected_satisfaction: 4
                               reopen: true
                               note: "still short")pb"));
}

TEST_F(KamctlCommandTest, WaitAndResumeSetWaitingOnCustomer) {
  service_.Reply("SetWaitingOnCustomer", Proto<v1::SetWaitingOnCustomerResponse>(kAssigned));
  ASSERT_EQ(Kamctl(R"(complaints wait 31 --note "samples requested")").exit_code, 0);
  ASSERT_EQ(Kamctl("complaints resume 31").exit_code, 0);
  const auto calls = service_.Calls("SetWaitingOnCustomer");
  ASSERT_EQ(calls.size(), 2u);
  v1::SetWaitingOnCustomerRequest wait, resume;
  ASSERT_TRUE(wait.ParseFromString(calls[0].request));
  ASSERT_TRUE(resume.ParseFromString(calls[1].request));
  EXPECT_THAT(WithoutRequestId(wait),
              EqualsProto(R"pb(complaint_id: 31 waiting: true note: "samples requested")pb"));
  EXPECT_THAT(WithoutRequestId(resume), EqualsProto("complaint_id: 31"));
}

TEST_F(KamctlCommandTest, GetPrintsJsonOnRequest) {
  service_.Reply("GetComplaint", Proto<v1::GetComplaintResponse>(kAssigned));
  const Result r = Kamctl("complaints get 31 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::GetComplaintRequest>("GetComplaint"),
              EqualsProto("complaint_id: 31"));
  EXPECT_THAT(r.out, AllOf(HasSubstr(R"("state": "STATE_ASSIGNED")"),
                           HasSubstr(R"("handling_guidance": "Let the customer vent first)")));
}

TEST_F(KamctlCommandTest, DepartmentsPutKeepsTheHandlerOrderAndListShowsRouting) {
  service_.Reply("PutDepartment", v1::PutDepartmentResponse());
  ASSERT_EQ(
      Kamctl("departments put --code quality --name Quality --category product_quality "
             "--category contract --handler \"hana, hugo\" --handler ann --manager mia --etag e1")
          .exit_code,
      0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::PutDepartmentRequest>("PutDepartment")),
              EqualsProto(R"pb(department {
                                 code: "quality"
                                 name: "Quality"
                                 categories: CATEGORY_PRODUCT_QUALITY
                                 categories: CATEGORY_CONTRACT
                                 handler_ids: "hana"
                                 handler_ids: "hugo"
                                 handler_ids: "ann"
                                 manager_id: "mia"
                               }
                               etag: "e1")pb"));
  const Result bad = Kamctl("departments put --code q --name Q --category food --manager mia");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("unknown value \"food\""));

  service_.Reply("ListDepartments", Proto<v1::ListDepartmentsResponse>(R"pb(
                   departments {
                     code: "quality"
                     name: "Quality"
                     categories: CATEGORY_PRODUCT_QUALITY
                     categories: CATEGORY_CONTRACT
                     handler_ids: "hana"
                     handler_ids: "hugo"
                     manager_id: "mia"
                     etag: "e2"
                   })pb"));
  const Result r = Kamctl("departments list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "CODE     NAME     CATEGORIES                 HANDLERS    MANAGER  ETAG\n"
            "quality  Quality  product_quality, contract  hana, hugo  mia      e2\n");
}

}  // namespace
}  // namespace kam::kamctl
