#include "tests/reliability/field_edges_world.h"

#include <google/protobuf/util/time_util.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"

namespace kam::reliability {
namespace {

namespace v1 = kam::accounts::v1;
namespace cv1 = kam::complaints::v1;
using AccountStub = v1::AccountService::Stub;
using ComplaintStub = cv1::ComplaintService::Stub;
using e2e::Caller;
using e2e::KamStack;
using google::protobuf::Timestamp;
using google::protobuf::util::TimeUtil;

// A subject keeps its calls well inside the gateway's per-subject burst (200).
constexpr int kCallsPerSubject = 50;

const Role kDirector{"director", ""};
const Role kAgent{"service_agent", ""};

std::atomic<int> g_sequence{0};

Timestamp At(absl::Time time) { return TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(time)); }

v1::Money Cny(int64_t minor_units) {
  v1::Money money;
  money.set_minor_units(minor_units);
  return money;
}

// Calls a typed stub method; a failure is a setup failure of the scenario.
template <typename Stub, typename Request, typename Response>
Response MustCall(const Caller& caller,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                  const Request& request, const std::string& what) {
  Response response;
  const grpc::Status status = caller.Call(method, request, &response);
  if (!status.ok()) {
    ADD_FAILURE() << "setup: " << what << ": " << e2e::CodeName(status.error_code()) << ": "
                  << status.error_message();
  }
  return response;
}

}  // namespace

FieldEdgeWorld::FieldEdgeWorld(JwtMintOptions mint) : mint_(std::move(mint)) {
  account_id_ = NewAccount("fe-owner");
  PutDepartment();
  complaint_account_id_ = NewAccount("fe-owner");
  const std::string sql = absl::StrCat(
      "SELECT COUNT(*) FROM kam_complaints.account_replica WHERE account_id = ",
      complaint_account_id_);
  const bool replicated = e2e::Eventually(
      [&] {
        absl::StatusOr<std::string> rows = KamStack::Get().db().QueryAsRoot(sql);
        return rows.ok() && *rows == "1\n";
      },
      absl::Seconds(30));
  if (!replicated) ADD_FAILURE() << "setup: account never reached complaints' replica";
  AddAccountMethods();
  AddEngagementMethods();
  AddCommerceMethods();
  AddComplaintMethods();
  AddAnalyticsMethods();
}

std::string FieldEdgeWorld::NewId(const std::string& prefix) {
  return absl::StrCat(prefix, "-", ++g_sequence);
}

Caller FieldEdgeWorld::CallerFor(const Role& role) {
  return CallerAs(absl::StrCat("fe-", role.role, "-", calls_++ / kCallsPerSubject), role);
}

Caller FieldEdgeWorld::CallerAs(const std::string& subject, const Role& role) const {
  const std::string token = MintJwt(Principal{subject, {role.role}, role.department}, mint_);
  return Caller(KamStack::Get().service("gateway").address(),
                {{"authorization", "Bearer " + token}});
}

void FieldEdgeWorld::Add(const std::string& service, const std::string& name, Role role,
                         std::function<std::unique_ptr<pb::Message>()> base,
                         std::string consumes) {
  methods_.push_back({service, name, std::move(role), std::move(base), std::move(consumes)});
}

int64_t FieldEdgeWorld::Pooled(const std::string& kind, const std::function<int64_t()>& make) {
  auto it = pool_.find(kind);
  if (it != pool_.end()) return it->second;
  return pool_[kind] = make();
}

int64_t FieldEdgeWorld::NewAccount(const std::string& owner) {
  v1::CreateAccountRequest request;
  request.set_request_id(NewId("fe-setup"));
  v1::Account* account = request.mutable_account();
  account->set_name(NewId("FieldEdge account"));
  account->set_registration_number(NewId("FE"));
  account->set_nature(v1::NATURE_ORDINARY_COMPANY);
  account->set_owner_id(owner);
  return MustCall(CallerFor(kDirector), &AccountStub::CreateAccount, request, "CreateAccount")
      .account()
      .id();
}

int64_t FieldEdgeWorld::NewContact() {
  v1::CreateContactRequest request;
  request.set_request_id(NewId("fe-setup"));
  request.mutable_contact()->set_account_id(account_id_);
  request.mutable_contact()->set_name("Wang Fang");
  return MustCall(CallerFor(kDirector), &AccountStub::CreateContact, request, "CreateContact")
      .contact()
      .id();
}

int64_t FieldEdgeWorld::NewOpportunity() {
  v1::CreateOpportunityRequest request;
  request.set_request_id(NewId("fe-setup"));
  v1::Opportunity* opportunity = request.mutable_opportunity();
  opportunity->set_account_id(account_id_);
  opportunity->set_name("Line 4 retrofit");
  opportunity->set_needs("two presses");
  *opportunity->mutable_budget() = Cny(500000);
  opportunity->set_timetable("Q1");
  return MustCall(CallerFor(kDirector), &AccountStub::CreateOpportunity, request,
                  "CreateOpportunity")
      .opportunity()
      .id();
}

int64_t FieldEdgeWorld::NewVisitPlan() {
  v1::CreateVisitPlanRequest request;
  request.set_request_id(NewId("fe-setup"));
  request.mutable_plan()->set_account_id(account_id_);
  *request.mutable_plan()->mutable_planned_time() = At(absl::Now() + absl::Hours(48));
  request.mutable_plan()->set_objective("quarterly review");
  return MustCall(CallerFor(kDirector), &AccountStub::CreateVisitPlan, request, "CreateVisitPlan")
      .plan()
      .id();
}

int64_t FieldEdgeWorld::NewDraftContract() {
  v1::CreateContractRequest request;
  request.set_request_id(NewId("fe-setup"));
  v1::Contract* contract = request.mutable_contract();
  contract->set_account_id(account_id_);
  contract->set_number(NewId("FE-C"));
  *contract->mutable_value() = Cny(100000);
  *contract->mutable_start_time() = At(absl::Now() - absl::Hours(24));
  *contract->mutable_end_time() = At(absl::Now() + absl::Hours(24 * 365));
  return MustCall(CallerFor(kDirector), &AccountStub::CreateContract, request, "CreateContract")
      .contract()
      .id();
}

// Five visits in a row without result take an account off the visit plan.
int64_t FieldEdgeWorld::NewSuspendedAccount() {
  const int64_t id = NewAccount("fe-owner");
  for (int visit = 0; visit < 5; ++visit) {
    v1::CreateContactRecordRequest request;
    request.set_request_id(NewId("fe-setup"));
    v1::ContactRecord* record = request.mutable_record();
    record->set_account_id(id);
    record->set_kind(v1::CONTACT_KIND_VISIT);
    *record->mutable_occur_time() = At(absl::Now() - absl::Hours(10 - visit));
    record->set_summary("no one available");
    record->set_outcome(v1::CONTACT_OUTCOME_NO_RESULT);
    MustCall(CallerFor(kDirector), &AccountStub::CreateContactRecord, request,
             "CreateContactRecord");
  }
  return id;
}

std::string FieldEdgeWorld::Etag(const std::string& kind, int64_t id) {
  if (kind == "account") {
    v1::GetAccountRequest request;
    request.set_account_id(id);
    return MustCall(CallerFor(kDirector), &AccountStub::GetAccount, request, "GetAccount")
        .account()
        .etag();
  }
  if (kind == "opportunity") {
    v1::GetOpportunityRequest request;
    request.set_opportunity_id(id);
    return MustCall(CallerFor(kDirector), &AccountStub::GetOpportunity, request,
                    "GetOpportunity")
        .opportunity()
        .etag();
  }
  v1::ListContactsRequest request;
  request.set_account_id(account_id_);
  request.set_page_size(500);
  const v1::ListContactsResponse listed =
      MustCall(CallerFor(kDirector), &AccountStub::ListContacts, request, "ListContacts");
  for (const v1::Contact& contact : listed.contacts()) {
    if (contact.id() == id) return contact.etag();
  }
  return "";
}

void FieldEdgeWorld::PutDepartment() {
  const Caller director = CallerFor(kDirector);
  cv1::PutDepartmentRequest request;
  request.set_request_id(NewId("fe-setup"));
  const cv1::ListDepartmentsResponse listed = MustCall(
      director, &ComplaintStub::ListDepartments, cv1::ListDepartmentsRequest(), "ListDepartments");
  for (const cv1::Department& department : listed.departments()) {
    for (int category : department.categories()) {
      if (category != cv1::CATEGORY_PRODUCT_QUALITY) continue;
      *request.mutable_department() = department;
      request.set_etag(department.etag());
      department_ = department.code();
    }
  }
  cv1::Department* department = request.mutable_department();
  department->clear_etag();
  department->clear_handler_ids();
  department->add_handler_ids("fe-handler");
  department->add_handler_ids("fe-handler-2");
  department->set_manager_id("fe-manager");
  MustCall(director, &ComplaintStub::PutDepartment, request, "PutDepartment");
}

int64_t FieldEdgeWorld::NewComplaint(int steps) {
  cv1::CreateComplaintRequest intake;
  intake.set_request_id(NewId("fe-setup"));
  cv1::Complaint* draft = intake.mutable_complaint();
  draft->set_account_id(complaint_account_id_);
  draft->set_channel(cv1::CHANNEL_PHONE);
  draft->set_category(cv1::CATEGORY_PRODUCT_QUALITY);
  draft->set_description("Coil thickness over tolerance.");
  draft->set_severity(cv1::SEVERITY_HIGH);
  draft->set_manner(cv1::MANNER_FRIENDLY);
  const int64_t id =
      MustCall(CallerFor(kAgent), &ComplaintStub::CreateComplaint, intake, "CreateComplaint")
          .complaint()
          .id();
  const auto step = [&](auto method, auto request, const Role& role, const char* what) {
    request.set_request_id(NewId("fe-setup"));
    request.set_complaint_id(id);
    MustCall(CallerFor(role), method, request, what);
  };
  cv1::JudgeValidityRequest judge;
  judge.set_valid(true);
  cv1::AnalyzeCauseRequest analyze;
  analyze.set_cause("roll gap drifted");
  cv1::ProposeResolutionRequest propose;
  propose.set_resolution("replace the coils");
  cv1::DecideResolutionRequest decide;
  decide.set_approve(true);
  cv1::ImplementResolutionRequest implement;
  implement.set_note("coils replaced");
  cv1::RecordFollowUpRequest follow_up;
  follow_up.set_perceived_satisfaction(4);
  follow_up.set_expected_satisfaction(4);
  follow_up.set_satisfied(true);
  if (steps > 0) step(&ComplaintStub::JudgeValidity, judge, kAgent, "JudgeValidity");
  if (steps > 1) step(&ComplaintStub::AnalyzeCause, analyze, Handler(), "AnalyzeCause");
  if (steps > 2) step(&ComplaintStub::ProposeResolution, propose, Handler(), "Propose");
  if (steps > 3) step(&ComplaintStub::DecideResolution, decide, kDirector, "DecideResolution");
  if (steps > 4) step(&ComplaintStub::ImplementResolution, implement, Handler(), "Implement");
  if (steps > 5) step(&ComplaintStub::RecordFollowUp, follow_up, kAgent, "RecordFollowUp");
  return id;
}

}  // namespace kam::reliability
