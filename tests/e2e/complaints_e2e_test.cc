// Complaints end to end: every call through the gateway to the real complaints service,
// whose replica of accounts follows the real accounts service's event stream. The stack runs
// complaints with the e2e SLA policy (kam_stack.cc): a 24/7 calendar on which untiered
// low-severity complaints get seconds-long budgets, so breaches happen while a test waits.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"

namespace kam::e2e {
namespace {

namespace cv1 = kam::complaints::v1;
using ComplaintStub = cv1::ComplaintService::Stub;

class ComplaintsE2eTest : public E2eTest {
 protected:
  // A caller whose token names a department (handlers act for theirs).
  static Caller InDepartment(const std::string& subject, const std::string& role,
                             const std::string& department) {
    return WithToken(MintJwt({subject, {role}, department}, GoodMint()));
  }
  static Caller Agent() { return As("agent-e2e", {"service_agent"}); }
  static Caller Director() { return As("director-e2e", {"director"}); }

  // A new account; with a tier, set by a director. Waits until complaints' replica holds
  // the account as it now is, so intake sees its tier.
  static int64_t NewAccount(const std::string& label, v1::Tier tier) {
    v1::Account account;
    EXPECT_THAT(Create(Director(), Draft(label), &account), GrpcOk());
    if (tier != v1::TIER_UNSPECIFIED) {
      v1::SetTierRequest set;
      set.set_request_id(NewRequestId());
      set.set_account_id(account.id());
      set.set_tier(tier);
      set.set_reason("e2e");
      EXPECT_THAT(Director().Call(&AccountStub::SetTier, set), GrpcOk());
    }
    WaitForReplica(account.id(), tier);
    return account.id();
  }

  static void WaitForReplica(int64_t account_id, v1::Tier tier) {
    const std::string sql = absl::StrCat(
        "SELECT tier FROM kam_complaints.account_replica WHERE account_id = ", account_id);
    const bool replicated = Eventually(
        [&] {
          absl::StatusOr<std::string> rows = stack().db().QueryAsRoot(sql);
          return rows.ok() && *rows == absl::StrCat(static_cast<int>(tier), "\n");
        },
        absl::Seconds(20));
    ASSERT_TRUE(replicated) << "account " << account_id << " never reached the replica";
  }

  static cv1::Complaint ComplaintDraft(int64_t account_id, cv1::Category category,
                                       cv1::Severity severity) {
    cv1::Complaint complaint;
    complaint.set_account_id(account_id);
    complaint.set_channel(cv1::CHANNEL_PHONE);
    complaint.set_category(category);
    complaint.set_subcategory("out of tolerance");
    complaint.set_description("Coil thickness 0.3 mm over tolerance in lot 2026-114.\nTwo coils.");
    complaint.set_severity(severity);
    complaint.set_manner(cv1::MANNER_ANGRY);
    return complaint;
  }

  static grpc::Status Intake(const Caller& caller, const cv1::Complaint& draft,
                             cv1::Complaint* out = nullptr,
                             const std::string& request_id = NewRequestId()) {
    cv1::CreateComplaintRequest request;
    request.set_request_id(request_id);
    *request.mutable_complaint() = draft;
    cv1::CreateComplaintResponse response;
    grpc::Status status = caller.Call(&ComplaintStub::CreateComplaint, request, &response);
    if (out != nullptr) *out = response.complaint();
    return status;
  }

  static cv1::Complaint Fetch(int64_t id) {
    cv1::GetComplaintRequest request;
    request.set_complaint_id(id);
    cv1::GetComplaintResponse response;
    EXPECT_THAT(Director().Call(&ComplaintStub::GetComplaint, request, &response), GrpcOk());
    return response.complaint();
  }

  static std::vector<std::string> HistoryActions(int64_t id) {
    cv1::ListComplaintHistoryRequest request;
    request.set_complaint_id(id);
    cv1::ListComplaintHistoryResponse response;
    EXPECT_THAT(Director().Call(&ComplaintStub::ListComplaintHistory, request, &response),
                GrpcOk());
    std::vector<std::string> actions;
    for (const cv1::Transition& t : response.transitions()) actions.push_back(t.action());
    return actions;
  }

  static grpc::Status Judge(const Caller& caller, int64_t id, bool valid, const std::string& reason,
                            cv1::Complaint* out = nullptr) {
    cv1::JudgeValidityRequest request;
    request.set_request_id(NewRequestId());
    request.set_complaint_id(id);
    request.set_valid(valid);
    request.set_reason(reason);
    cv1::JudgeValidityResponse response;
    grpc::Status status = caller.Call(&ComplaintStub::JudgeValidity, request, &response);
    if (out != nullptr) *out = response.complaint();
    return status;
  }

  static grpc::Status Propose(const Caller& handler, int64_t id, const std::string& text) {
    cv1::ProposeResolutionRequest request;
    request.set_request_id(NewRequestId());
    request.set_complaint_id(id);
    request.set_resolution(text);
    return handler.Call(&ComplaintStub::ProposeResolution, request);
  }

  static grpc::Status Decide(int64_t id, bool approve, const std::string& reason,
                             cv1::Complaint* out = nullptr) {
    cv1::DecideResolutionRequest request;
    request.set_request_id(NewRequestId());
    request.set_complaint_id(id);
    request.set_approve(approve);
    request.set_reason(reason);
    cv1::DecideResolutionResponse response;
    grpc::Status status = Director().Call(&ComplaintStub::DecideResolution, request, &response);
    if (out != nullptr) *out = response.complaint();
    return status;
  }

  // A department (its code unique to this test) taking `category`, with one handler.
  static void PutDepartment(const std::string& code, cv1::Category category,
                            const std::string& handler, const std::string& manager) {
    cv1::ListDepartmentsResponse listed;
    ASSERT_THAT(
        Director().Call(&ComplaintStub::ListDepartments, cv1::ListDepartmentsRequest(), &listed),
        GrpcOk());
    cv1::PutDepartmentRequest request;
    request.set_request_id(NewRequestId());
    for (const cv1::Department& d : listed.departments()) {
      if (d.code() == code) {
        *request.mutable_department() = d;
        request.set_etag(d.etag());
      }
    }
    cv1::Department* department = request.mutable_department();
    department->set_code(code);
    department->set_name(code);
    department->clear_categories();
    department->add_categories(category);
    department->clear_handler_ids();
    department->add_handler_ids(handler);
    department->set_manager_id(manager);
    department->clear_etag();
    ASSERT_THAT(Director().Call(&ComplaintStub::PutDepartment, request), GrpcOk());
  }
};

TEST_F(ComplaintsE2eTest, TierAProductQualityComplaintGoesFromIntakeToClosedWithOneRejection) {
  const int64_t account = NewAccount("tier-a", v1::TIER_A);
  PutDepartment("quality", cv1::CATEGORY_PRODUCT_QUALITY, "handler-q1", "manager-quality");
  const Caller handler = InDepartment("handler-q1", "handler", "quality");
  const std::string before = Scrape("complaints");

  cv1::Complaint complaint;
  ASSERT_THAT(
      Intake(Agent(), ComplaintDraft(account, cv1::CATEGORY_PRODUCT_QUALITY, cv1::SEVERITY_HIGH),
             &complaint),
      GrpcOk());
  const int64_t id = complaint.id();
  EXPECT_EQ(complaint.state(), cv1::STATE_RECORDED);
  EXPECT_EQ(complaint.account_tier(), v1::TIER_A);
  EXPECT_THAT(complaint.handling_guidance(), Not(IsEmpty()));
  // Tier A, high severity: 2 h to judge, 16 h to resolve (the e2e policy keeps the shipped
  // targets for every pair but untiered/low).
  EXPECT_EQ(complaint.judgment_sla().budget_seconds(), 2 * 3600);
  EXPECT_EQ(complaint.resolution_sla().budget_seconds(), 16 * 3600);
  EXPECT_EQ(complaint.judgment_sla().status(), cv1::SLA_STATUS_ON_TRACK);

  cv1::Complaint judged;
  ASSERT_THAT(Judge(Agent(), id, true, "", &judged), GrpcOk());
  EXPECT_EQ(judged.state(), cv1::STATE_ASSIGNED);
  EXPECT_EQ(judged.department(), "quality");
  EXPECT_EQ(judged.handler_id(), "handler-q1");
  EXPECT_EQ(judged.judgment_sla().status(), cv1::SLA_STATUS_MET);

  cv1::AnalyzeCauseRequest analyze;
  analyze.set_request_id(NewRequestId());
  analyze.set_complaint_id(id);
  analyze.set_cause("Roll gap drifted on line 3 during the night shift.");
  ASSERT_THAT(handler.Call(&ComplaintStub::AnalyzeCause, analyze), GrpcOk());
  ASSERT_THAT(Propose(handler, id, "Credit note for the two coils."), GrpcOk());

  cv1::Complaint rejected;
  ASSERT_THAT(Decide(id, false, "Replace the coils; a credit note does not keep the line running.",
                     &rejected),
              GrpcOk());
  EXPECT_EQ(rejected.state(), cv1::STATE_CAUSE_ANALYZED);
  EXPECT_THAT(rejected.rejection_reason(), HasSubstr("Replace the coils"));
  EXPECT_THAT(Decide(id, true, ""), GrpcError(grpc::StatusCode::FAILED_PRECONDITION, ""));

  ASSERT_THAT(Propose(handler, id, "Replace both coils by express delivery within 48 h."),
              GrpcOk());
  ASSERT_THAT(Decide(id, true, ""), GrpcOk());

  cv1::ImplementResolutionRequest implement;
  implement.set_request_id(NewRequestId());
  implement.set_complaint_id(id);
  implement.set_note("Two coils delivered 2026-11-20, old coils collected.");
  ASSERT_THAT(handler.Call(&ComplaintStub::ImplementResolution, implement), GrpcOk());

  cv1::RecordFollowUpRequest follow_up;
  follow_up.set_request_id(NewRequestId());
  follow_up.set_complaint_id(id);
  follow_up.set_perceived_satisfaction(4);
  follow_up.set_expected_satisfaction(5);
  follow_up.set_satisfied(true);
  follow_up.set_note("Satisfied with the speed; expected a call from the plant manager.");
  ASSERT_THAT(Agent().Call(&ComplaintStub::RecordFollowUp, follow_up), GrpcOk());

  cv1::CloseComplaintRequest close;
  close.set_request_id(NewRequestId());
  close.set_complaint_id(id);
  close.set_summary("Roll gap drift; coils replaced.");
  close.set_evaluation("Handled within SLA; proposal rejected once for being too weak.");
  cv1::CloseComplaintResponse closed;
  ASSERT_THAT(Director().Call(&ComplaintStub::CloseComplaint, close, &closed), GrpcOk());

  const cv1::Complaint final_state = Fetch(id);
  EXPECT_EQ(final_state.state(), cv1::STATE_CLOSED);
  EXPECT_EQ(final_state.follow_up().satisfaction_gap(), -1);
  EXPECT_EQ(final_state.resolution_sla().status(), cv1::SLA_STATUS_MET);
  EXPECT_TRUE(final_state.has_close_time());
  EXPECT_THAT(HistoryActions(id),
              ElementsAre("recorded", "judged_valid", "cause_analyzed", "resolution_proposed",
                          "resolution_rejected", "resolution_proposed", "resolution_approved",
                          "resolution_implemented", "followed_up", "closed"));

  // One resolution observed in the histogram; the complaint is no longer open.
  const std::string after = Scrape("complaints");
  const double resolved_before =
      MetricValue(before, "kam_complaint_resolution_seconds_count", {}).value_or(0);
  EXPECT_EQ(MetricValue(after, "kam_complaint_resolution_seconds_count", {}).value_or(0),
            resolved_before + 1);
}

TEST_F(ComplaintsE2eTest, AnInvalidComplaintEndsAndTakesNoFurtherStep) {
  const int64_t account = NewAccount("invalid", v1::TIER_B);
  cv1::Complaint complaint;
  ASSERT_THAT(Intake(Agent(), ComplaintDraft(account, cv1::CATEGORY_SERVICE, cv1::SEVERITY_MEDIUM),
                     &complaint),
              GrpcOk());
  EXPECT_THAT(Judge(Agent(), complaint.id(), false, ""),
              GrpcError(grpc::StatusCode::INVALID_ARGUMENT, "reason"));
  cv1::Complaint judged;
  ASSERT_THAT(Judge(Agent(), complaint.id(), false,
                    "Delivery matched the contract; the customer ordered grade B.", &judged),
              GrpcOk());
  EXPECT_EQ(judged.state(), cv1::STATE_INVALID);
  EXPECT_THAT(judged.invalid_reason(), HasSubstr("grade B"));
  EXPECT_THAT(Judge(Agent(), complaint.id(), true, ""),
              GrpcError(grpc::StatusCode::FAILED_PRECONDITION, ""));
  EXPECT_THAT(HistoryActions(complaint.id()), ElementsAre("recorded", "judged_invalid"));
}

TEST_F(ComplaintsE2eTest, StepsOutOfOrderOrByTheWrongRoleAreRefused) {
  const int64_t account = NewAccount("jump", v1::TIER_C);
  cv1::Complaint complaint;
  ASSERT_THAT(Intake(Agent(), ComplaintDraft(account, cv1::CATEGORY_CONTRACT, cv1::SEVERITY_MEDIUM),
                     &complaint),
              GrpcOk());
  // Straight from RECORDED to a decision or a follow-up: the procedure's order is the rule.
  EXPECT_THAT(Decide(complaint.id(), true, ""),
              GrpcError(grpc::StatusCode::FAILED_PRECONDITION, "RECORDED"));
  cv1::RecordFollowUpRequest follow_up;
  follow_up.set_request_id(NewRequestId());
  follow_up.set_complaint_id(complaint.id());
  follow_up.set_perceived_satisfaction(3);
  follow_up.set_expected_satisfaction(3);
  follow_up.set_satisfied(true);
  EXPECT_THAT(Agent().Call(&ComplaintStub::RecordFollowUp, follow_up),
              GrpcError(grpc::StatusCode::FAILED_PRECONDITION, ""));
  // Handlers do not judge validity; account managers do not approve.
  EXPECT_THAT(Judge(InDepartment("handler-c1", "handler", "contracts"), complaint.id(), true, ""),
              GrpcError(grpc::StatusCode::PERMISSION_DENIED, ""));
  cv1::DecideResolutionRequest decide;
  decide.set_request_id(NewRequestId());
  decide.set_complaint_id(complaint.id());
  decide.set_approve(true);
  EXPECT_THAT(As("manager-e2e", {"account_manager"}).Call(&ComplaintStub::DecideResolution, decide),
              GrpcError(grpc::StatusCode::PERMISSION_DENIED, ""));
  EXPECT_EQ(Fetch(complaint.id()).state(), cv1::STATE_RECORDED);
  EXPECT_THAT(HistoryActions(complaint.id()), ElementsAre("recorded"));
}

TEST_F(ComplaintsE2eTest, ABreachEscalatesTwiceAndIsCountedOnce) {
  // Untiered and low severity: 2 s to judge, 5 s to resolve, level 2 three seconds after a
  // breach. Never judged, so each clock climbs its own ladder: the judgment's at 2 s and
  // 5 s, the resolution's at 5 s and 8 s.
  const int64_t account = NewAccount("breach", v1::TIER_UNSPECIFIED);
  PutDepartment("logistics", cv1::CATEGORY_TRANSPORT, "handler-l1", "manager-logistics");
  const std::map<std::string, std::string> series = {
      {"tier", "untiered"}, {"category", "transport"}, {"kind", "judgment"}};
  const double breaches_before =
      MetricValue(Scrape("complaints"), "kam_complaint_sla_breaches_total", series).value_or(0);

  cv1::Complaint complaint;
  ASSERT_THAT(Intake(Agent(), ComplaintDraft(account, cv1::CATEGORY_TRANSPORT, cv1::SEVERITY_LOW),
                     &complaint),
              GrpcOk());
  ASSERT_EQ(complaint.judgment_sla().budget_seconds(), 2);
  auto escalations = [&] {
    const std::vector<std::string> actions = HistoryActions(complaint.id());
    return std::count(actions.begin(), actions.end(), "escalated");
  };
  const bool both_ladders_climbed =
      Eventually([&] { return escalations() == 4; }, absl::Seconds(30));
  ASSERT_TRUE(both_ladders_climbed) << escalations() << " escalations";

  const cv1::Complaint escalated = Fetch(complaint.id());
  EXPECT_EQ(escalated.escalation_level(), 2);
  EXPECT_EQ(escalated.judgment_sla().status(), cv1::SLA_STATUS_BREACHED);
  const std::vector<std::string> actions = HistoryActions(complaint.id());
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "sla_breached"), 2);
  // Several sweeps later, still one judgment breach in this series and nothing more.
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(
      MetricValue(Scrape("complaints"), "kam_complaint_sla_breaches_total", series).value_or(-1),
      breaches_before + 1);
  EXPECT_EQ(escalations(), 4);
}

TEST_F(ComplaintsE2eTest, IntakeWorksWhileAccountsIsDownAndTheReplicaCatchesUpAfter) {
  const int64_t known = NewAccount("known-before-outage", v1::TIER_B);
  ASSERT_TRUE(stack().StopService("accounts").ok());

  // Known to the replica: recorded with its tier while accounts is down.
  cv1::Complaint recorded;
  EXPECT_THAT(Intake(Agent(), ComplaintDraft(known, cv1::CATEGORY_SERVICE, cv1::SEVERITY_MEDIUM),
                     &recorded),
              GrpcOk());
  EXPECT_EQ(recorded.account_tier(), v1::TIER_B);
  // Unknown while the feed is disconnected: it may be an account created a moment ago, so
  // complaints cannot say it does not exist. (The gateway replaces the message of an
  // upstream UNAVAILABLE with a generic one.)
  EXPECT_THAT(
      Intake(Agent(), ComplaintDraft(987654321, cv1::CATEGORY_SERVICE, cv1::SEVERITY_MEDIUM)),
      GrpcError(grpc::StatusCode::UNAVAILABLE, ""));

  ASSERT_TRUE(stack().RestartService("accounts").ok());
  // The gateway reconnects within its one-second backoff cap; callers retry UNAVAILABLE.
  ASSERT_TRUE(Eventually([&] { return Get(Director(), known).ok(); }, absl::Seconds(10)));
  const int64_t created_after = NewAccount("created-after-outage", v1::TIER_C);
  cv1::Complaint after;
  EXPECT_THAT(
      Intake(Agent(), ComplaintDraft(created_after, cv1::CATEGORY_SERVICE, cv1::SEVERITY_MEDIUM),
             &after),
      GrpcOk());
  EXPECT_EQ(after.account_tier(), v1::TIER_C);
  // Caught up again: an unknown account is simply not found.
  EXPECT_TRUE(Eventually(
      [&] {
        return Intake(Agent(),
                      ComplaintDraft(987654321, cv1::CATEGORY_SERVICE, cv1::SEVERITY_MEDIUM))
                   .error_code() == grpc::StatusCode::NOT_FOUND;
      },
      absl::Seconds(20)));
}

TEST_F(ComplaintsE2eTest, AnAcknowledgedIntakeSurvivesACrashAndItsRetryDoesNotDoubleIt) {
  const int64_t account = NewAccount("crash", v1::TIER_B);
  const std::string request_id = NewRequestId();
  cv1::Complaint first;
  ASSERT_THAT(Intake(Agent(), ComplaintDraft(account, cv1::CATEGORY_SERVICE, cv1::SEVERITY_MEDIUM),
                     &first, request_id),
              GrpcOk());
  // Killed right after it answered: no drain, nothing flushed on the way out.
  ASSERT_TRUE(stack().KillService("complaints").ok());
  ASSERT_TRUE(stack().RestartService("complaints").ok());
  ASSERT_TRUE(Eventually(
      [&] {
        cv1::GetComplaintRequest get;
        get.set_complaint_id(first.id());
        return Director().Call(&ComplaintStub::GetComplaint, get).ok();
      },
      absl::Seconds(10)));

  // The client never saw the answer and retries: the same complaint, recorded once.
  cv1::Complaint retried;
  ASSERT_THAT(Intake(Agent(), ComplaintDraft(account, cv1::CATEGORY_SERVICE, cv1::SEVERITY_MEDIUM),
                     &retried, request_id),
              GrpcOk());
  EXPECT_EQ(retried.id(), first.id());
  EXPECT_EQ(Fetch(first.id()).state(), cv1::STATE_RECORDED);
  EXPECT_THAT(HistoryActions(first.id()), ElementsAre("recorded"));
  absl::StatusOr<std::string> count = stack().db().QueryAsRoot(
      absl::StrCat("SELECT COUNT(*) FROM kam_complaints.complaints WHERE account_id = ", account));
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, "1\n");
}

}  // namespace
}  // namespace kam::e2e
