// The table of valid base requests, one per write method (FieldEdgeWorld::methods()), and
// the reads that bring written records back (FieldEdgeWorld::ReadBack).
#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "tests/reliability/field_edges_world.h"

namespace kam::reliability {
namespace {

namespace v1 = kam::accounts::v1;
namespace cv1 = kam::complaints::v1;
namespace av1 = kam::analytics::v1;
using AccountStub = v1::AccountService::Stub;
using ComplaintStub = cv1::ComplaintService::Stub;
using google::protobuf::Timestamp;
using google::protobuf::util::TimeUtil;

constexpr char kAccounts[] = "kam.accounts.v1.AccountService";
constexpr char kComplaints[] = "kam.complaints.v1.ComplaintService";
constexpr char kAnalytics[] = "kam.analytics.v1.AnalyticsService";

const Role kDirector{"director", ""};
const Role kSystem{"system", ""};
const Role kAgent{"service_agent", ""};

Timestamp At(absl::Time time) { return TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(time)); }

v1::Money Cny(int64_t minor_units) {
  v1::Money money;
  money.set_minor_units(minor_units);
  return money;
}

template <typename Message>
std::unique_ptr<pb::Message> Boxed(const Message& message) {
  return std::make_unique<Message>(message);
}

// Every updatable text of an account, so that each string field is in the mask.
void FillAccountText(v1::Account* account) {
  account->set_name("FieldEdge updated");
  account->set_industry("manufacturing");
  account->set_region("East China");
  account->set_address("88 Century Avenue");
  account->set_phone("+86 21 5555 0101");
  account->set_legal_representative("Li Wei");
  account->set_owner_id("fe-owner");
  account->add_tags("steel");
  v1::BusinessProfile* business = account->mutable_business();
  business->set_service_area("Yangtze delta");
  business->set_sales_capability("strong");
  business->set_growth_potential("high");
  business->set_business_direction("export");
  business->set_competitive_position("top three");
  business->set_reputation("good");
  business->set_trade_terms("60 days");
}

void FillOrderLine(v1::OrderLine* line) {
  line->set_product_code("PIPE-20/A");
  line->set_product_category("steel pipe");
  line->set_quantity(3);
  *line->mutable_revenue() = Cny(30000);
  *line->mutable_cost() = Cny(20000);
}

}  // namespace

void FieldEdgeWorld::AddAccountMethods() {
  Add(kAccounts, "CreateAccount", kDirector, [this] {
    v1::CreateAccountRequest request;
    request.set_request_id(NewId("fe"));
    FillAccountText(request.mutable_account());
    request.mutable_account()->set_name(NewId("FieldEdge created"));
    request.mutable_account()->set_registration_number(NewId("FE"));
    request.mutable_account()->set_nature(v1::NATURE_GOVERNMENT);
    return Boxed(request);
  });
  Add(kAccounts, "UpdateAccount", kDirector, [this] {
    v1::UpdateAccountRequest request;
    request.set_request_id(NewId("fe"));
    const int64_t id = Pooled("updatable_account", [this] { return NewAccount("fe-owner"); });
    request.mutable_account()->set_id(id);
    FillAccountText(request.mutable_account());
    request.mutable_account()->set_nature(v1::NATURE_SPECIAL_COMPANY);
    request.mutable_account()->set_scale(v1::SCALE_LARGE);
    request.mutable_account()->set_lifecycle_stage(v1::LIFECYCLE_STAGE_REPEAT);
    request.mutable_account()->set_status(v1::ACCOUNT_STATUS_ACTIVE);
    request.mutable_account()->set_transaction_process(v1::TRANSACTION_PROCESS_CURRENT);
    request.mutable_account()->set_volume_position(v1::VOLUME_POSITION_MAJOR);
    for (const char* path : {"name", "industry", "region", "address", "phone",
                             "legal_representative", "owner_id", "tags", "business", "nature",
                             "scale", "lifecycle_stage", "status", "transaction_process",
                             "volume_position"}) {
      request.mutable_update_mask()->add_paths(path);
    }
    request.set_etag(Etag("account", id));
    request.set_reason("field edge update");
    return Boxed(request);
  });
  Add(kAccounts, "ArchiveAccount", kDirector, [this] {
    v1::ArchiveAccountRequest request;
    request.set_request_id(NewId("fe"));
    request.set_account_id(Pooled("archivable", [this] { return NewAccount("fe-owner"); }));
    request.set_reason("merged into its group");
    return Boxed(request);
  }, "archivable");
  Add(kAccounts, "CreateContact", kDirector, [this] {
    v1::CreateContactRequest request;
    request.set_request_id(NewId("fe"));
    v1::Contact* contact = request.mutable_contact();
    contact->set_account_id(account_id_);
    contact->set_name("Wang Fang");
    contact->set_title("purchasing director");
    contact->set_phone("+86 21 5555 0102");
    contact->set_email("wang.fang@example.com");
    v1::PersonalNotes* notes = contact->mutable_personal_notes();
    notes->set_character("calm");
    notes->set_interests("go");
    notes->set_family("two children");
    notes->set_education("Tongji");
    return Boxed(request);
  });
  Add(kAccounts, "UpdateContact", kDirector, [this] {
    v1::UpdateContactRequest request;
    request.set_request_id(NewId("fe"));
    const int64_t id = Pooled("contact", [this] { return NewContact(); });
    v1::Contact* contact = request.mutable_contact();
    contact->set_id(id);
    contact->set_name("Wang Fang");
    contact->set_title("CFO");
    contact->set_phone("+86 21 5555 0103");
    contact->set_email("fang@example.com");
    contact->mutable_personal_notes()->set_character("calm");
    contact->mutable_personal_notes()->set_interests("chess");
    contact->mutable_personal_notes()->set_family("-");
    contact->mutable_personal_notes()->set_education("Fudan");
    contact->set_buying_role(v1::BUYING_ROLE_INFLUENCER);
    for (const char* path : {"name", "title", "phone", "email", "personal_notes", "buying_role"}) {
      request.mutable_update_mask()->add_paths(path);
    }
    request.set_etag(Etag("contact", id));
    return Boxed(request);
  });
  Add(kAccounts, "AddTeamMember", kDirector, [this] {
    v1::AddTeamMemberRequest request;
    request.set_request_id(NewId("fe"));
    request.mutable_member()->set_account_id(account_id_);
    request.mutable_member()->set_member_id(NewId("fe-member"));
    request.mutable_member()->set_role(v1::TEAM_ROLE_TECHNICAL);
    return Boxed(request);
  });
  Add(kAccounts, "RemoveTeamMember", kDirector, [this] {
    v1::RemoveTeamMemberRequest request;
    request.set_request_id(NewId("fe"));
    request.set_account_id(account_id_);
    const int64_t member = Pooled("team_member", [this] {
      v1::AddTeamMemberRequest add;
      add.set_request_id(NewId("fe-setup"));
      add.mutable_member()->set_account_id(account_id_);
      add.mutable_member()->set_member_id("fe-member-to-remove");
      add.mutable_member()->set_role(v1::TEAM_ROLE_SERVICE);
      return CallerFor(kDirector).Call(&AccountStub::AddTeamMember, add).ok() ? 1 : 0;
    });
    request.set_member_id(member != 0 ? "fe-member-to-remove" : "");
    return Boxed(request);
  }, "team_member");
  Add(kAccounts, "TransferAccounts", kDirector, [this] {
    v1::TransferAccountsRequest request;
    request.set_request_id(NewId("fe"));
    const int64_t id = Pooled("transferable", [this] { return NewAccount("fe-leaving"); });
    request.set_from_owner_id("fe-leaving");
    request.set_to_owner_id("fe-successor");
    request.add_account_ids(id);
    request.set_reason("Li Wei left the company");
    return Boxed(request);
  }, "transferable");
  Add(kAccounts, "SetTier", kDirector, [this] {
    v1::SetTierRequest request;
    request.set_request_id(NewId("fe"));
    request.set_account_id(Pooled("tiered", [this] { return NewAccount("fe-owner"); }));
    request.set_tier(v1::TIER_C);
    request.set_reason("field edge review");
    request.set_review_id("fe-review-1");
    return Boxed(request);
  });
  Add(kAccounts, "SetCredit", kDirector, [this] {
    v1::SetCreditRequest request;
    request.set_request_id(NewId("fe"));
    request.set_account_id(Pooled("tiered", [this] { return NewAccount("fe-owner"); }));
    request.mutable_update_mask()->add_paths("credit_rating");
    request.set_credit_rating(v1::CREDIT_RATING_AA);
    request.set_reason("bank report");
    return Boxed(request);
  });
  Add(kAccounts, "CreateCreditReport", kDirector, [this] {
    v1::CreateCreditReportRequest request;
    request.set_request_id(NewId("fe"));
    v1::CreditReport* report = request.mutable_report();
    report->set_account_id(account_id_);
    report->set_kind(v1::CREDIT_REPORT_KIND_ROUTINE);
    report->set_source(v1::CREDIT_SOURCE_BANK);
    report->set_summary("pays on time");
    return Boxed(request);
  });
  Add(kAccounts, "GrantCreditOverride", kDirector, [this] {
    v1::GrantCreditOverrideRequest request;
    request.set_request_id(NewId("fe"));
    v1::CreditOverride* grant = request.mutable_override();
    grant->set_account_id(account_id_);
    *grant->mutable_allowance() = Cny(100000);
    grant->set_reason("year-end order");
    *grant->mutable_expire_time() = At(absl::Now() + absl::Hours(24 * 7));
    return Boxed(request);
  });
}

void FieldEdgeWorld::AddEngagementMethods() {
  Add(kAccounts, "CreateContactRecord", kDirector, [this] {
    v1::CreateContactRecordRequest request;
    request.set_request_id(NewId("fe"));
    v1::ContactRecord* record = request.mutable_record();
    record->set_account_id(account_id_);
    record->set_kind(v1::CONTACT_KIND_CALL);
    *record->mutable_occur_time() = At(absl::Now() - absl::Hours(1));
    record->set_attendees("our engineer");
    record->set_summary("discussed the retrofit");
    record->set_outcome(v1::CONTACT_OUTCOME_EFFECTIVE);
    record->set_next_step("send the offer");
    return Boxed(request);
  });
  Add(kAccounts, "CreateVisitPlan", kDirector, [this] {
    v1::CreateVisitPlanRequest request;
    request.set_request_id(NewId("fe"));
    request.mutable_plan()->set_account_id(account_id_);
    request.mutable_plan()->set_owner_id("fe-owner");
    *request.mutable_plan()->mutable_planned_time() = At(absl::Now() + absl::Hours(48));
    request.mutable_plan()->set_objective("plant tour");
    return Boxed(request);
  });
  Add(kAccounts, "CancelVisitPlan", kDirector, [this] {
    v1::CancelVisitPlanRequest request;
    request.set_request_id(NewId("fe"));
    request.set_visit_plan_id(Pooled("visit_plan", [this] { return NewVisitPlan(); }));
    request.set_reason("customer on holiday");
    return Boxed(request);
  }, "visit_plan");
  Add(kAccounts, "RestoreVisitPlan", kDirector, [this] {
    v1::RestoreVisitPlanRequest request;
    request.set_request_id(NewId("fe"));
    request.set_account_id(Pooled("suspended", [this] { return NewSuspendedAccount(); }));
    request.set_reason("new contact person");
    return Boxed(request);
  }, "suspended");
  Add(kAccounts, "CreateOpportunity", kDirector, [this] {
    v1::CreateOpportunityRequest request;
    request.set_request_id(NewId("fe"));
    v1::Opportunity* opportunity = request.mutable_opportunity();
    opportunity->set_account_id(account_id_);
    opportunity->set_name("Line 5 retrofit");
    *opportunity->mutable_amount() = Cny(900000);
    opportunity->set_needs("three presses");
    opportunity->set_timetable("Q2");
    opportunity->set_competition("two local firms");
    opportunity->set_decision_makers("the CFO");
    opportunity->set_presales_approval("approved by Zhao");
    opportunity->set_relationship_progress("site visit done");
    return Boxed(request);
  });
  Add(kAccounts, "UpdateOpportunity", kDirector, [this] {
    v1::UpdateOpportunityRequest request;
    request.set_request_id(NewId("fe"));
    const int64_t id = Pooled("opportunity", [this] { return NewOpportunity(); });
    v1::Opportunity* opportunity = request.mutable_opportunity();
    opportunity->set_id(id);
    opportunity->set_name("Line 4 retrofit, phase 2");
    opportunity->set_needs("four presses");
    opportunity->set_timetable("Q3");
    opportunity->set_competition("none");
    opportunity->set_decision_makers("the board");
    opportunity->set_presales_approval("approved");
    opportunity->set_relationship_progress("trust built");
    for (const char* path : {"name", "needs", "timetable", "competition", "decision_makers",
                             "presales_approval", "relationship_progress"}) {
      request.mutable_update_mask()->add_paths(path);
    }
    request.set_etag(Etag("opportunity", id));
    return Boxed(request);
  });
  Add(kAccounts, "MoveOpportunity", kDirector, [this] {
    v1::MoveOpportunityRequest request;
    request.set_request_id(NewId("fe"));
    const int64_t id = Pooled("movable", [this] { return NewOpportunity(); });
    request.set_opportunity_id(id);
    request.set_to_stage(v1::STAGE_PROJECT_INITIATION);
    request.set_reason("needs confirmed");
    request.set_etag(Etag("opportunity", id));
    return Boxed(request);
  }, "movable");
}

void FieldEdgeWorld::AddCommerceMethods() {
  Add(kAccounts, "CreateContract", kDirector, [this] {
    v1::CreateContractRequest request;
    request.set_request_id(NewId("fe"));
    v1::Contract* contract = request.mutable_contract();
    contract->set_account_id(account_id_);
    contract->set_number(NewId("FE-K"));
    *contract->mutable_value() = Cny(250000);
    *contract->mutable_start_time() = At(absl::Now() - absl::Hours(24));
    *contract->mutable_end_time() = At(absl::Now() + absl::Hours(24 * 365));
    return Boxed(request);
  });
  Add(kAccounts, "SignContract", kDirector, [this] {
    v1::SignContractRequest request;
    request.set_request_id(NewId("fe"));
    request.set_contract_id(Pooled("draft_contract", [this] { return NewDraftContract(); }));
    *request.mutable_sign_time() = At(absl::Now() - absl::Hours(1));
    return Boxed(request);
  }, "draft_contract");
  Add(kAccounts, "RecordOrder", kDirector, [this] {
    v1::RecordOrderRequest request;
    request.set_request_id(NewId("fe"));
    v1::Order* order = request.mutable_order();
    order->set_account_id(account_id_);
    order->set_external_id(NewId("ERP-O"));
    *order->mutable_order_time() = At(absl::Now() - absl::Hours(2));
    FillOrderLine(order->add_lines());
    return Boxed(request);
  });
  Add(kAccounts, "RecordPayment", kDirector, [this] {
    v1::RecordPaymentRequest request;
    request.set_request_id(NewId("fe"));
    v1::Payment* payment = request.mutable_payment();
    payment->set_account_id(account_id_);
    payment->set_external_id(NewId("ERP-P"));
    *payment->mutable_amount() = Cny(1000);
    *payment->mutable_pay_time() = At(absl::Now() - absl::Hours(1));
    return Boxed(request);
  });
  Add(kAccounts, "ImportOrders", kSystem, [this] {
    v1::ImportOrdersRequest request;
    v1::Order* order = request.add_orders();
    order->set_account_id(account_id_);
    order->set_external_id(NewId("ERP-IO"));
    *order->mutable_order_time() = At(absl::Now() - absl::Hours(3));
    FillOrderLine(order->add_lines());
    return Boxed(request);
  });
  Add(kAccounts, "ImportPayments", kSystem, [this] {
    v1::ImportPaymentsRequest request;
    v1::Payment* payment = request.add_payments();
    payment->set_account_id(account_id_);
    payment->set_external_id(NewId("ERP-IP"));
    *payment->mutable_amount() = Cny(500);
    *payment->mutable_pay_time() = At(absl::Now() - absl::Hours(1));
    return Boxed(request);
  });
}

void FieldEdgeWorld::AddComplaintMethods() {
  Add(kComplaints, "CreateComplaint", kAgent, [this] {
    cv1::CreateComplaintRequest request;
    request.set_request_id(NewId("fe"));
    cv1::Complaint* complaint = request.mutable_complaint();
    complaint->set_account_id(complaint_account_id_);
    complaint->set_channel(cv1::CHANNEL_EMAIL);
    complaint->set_category(cv1::CATEGORY_PRODUCT_QUALITY);
    complaint->set_subcategory("out of tolerance");
    complaint->set_description("Two coils 0.3 mm too thick.\nLot 114.");
    complaint->set_severity(cv1::SEVERITY_MEDIUM);
    complaint->set_manner(cv1::MANNER_ASSERTIVE);
    return Boxed(request);
  });
  // Each step of the procedure from the state it needs; a step taken uses the complaint up.
  const auto step = [this](const char* name, Role role, int steps_before, auto fill) {
    const std::string kind = absl::StrCat("complaint_", name);
    Add(kComplaints, name, role, [this, kind, steps_before, fill] {
      auto request = fill();
      request.set_request_id(NewId("fe"));
      request.set_complaint_id(Pooled(kind, [&] { return NewComplaint(steps_before); }));
      return Boxed(request);
    }, kind);
  };
  step("JudgeValidity", kAgent, 0, [] {
    cv1::JudgeValidityRequest request;
    request.set_valid(false);
    request.set_reason("the customer ordered the wrong grade");
    return request;
  });
  step("ReassignComplaint", kDirector, 1, [this] {
    cv1::ReassignComplaintRequest request;
    request.set_department(department_);
    request.set_handler_id("fe-handler-2");
    request.set_reason("fe-handler is on leave");
    return request;
  });
  step("AnalyzeCause", Handler(), 1, [] {
    cv1::AnalyzeCauseRequest request;
    request.set_cause("roll gap drifted on line 3");
    return request;
  });
  step("ProposeResolution", Handler(), 2, [] {
    cv1::ProposeResolutionRequest request;
    request.set_resolution("replace the two coils");
    return request;
  });
  step("DecideResolution", kDirector, 3, [] {
    cv1::DecideResolutionRequest request;
    request.set_approve(false);
    request.set_reason("a credit note does not keep the line running");
    return request;
  });
  step("ImplementResolution", Handler(), 4, [] {
    cv1::ImplementResolutionRequest request;
    request.set_note("coils replaced on Monday");
    return request;
  });
  step("RecordFollowUp", kAgent, 5, [] {
    cv1::RecordFollowUpRequest request;
    request.set_perceived_satisfaction(4);
    request.set_expected_satisfaction(3);
    request.set_satisfied(true);
    request.set_note("happy with the speed");
    return request;
  });
  step("CloseComplaint", kDirector, 6, [] {
    cv1::CloseComplaintRequest request;
    request.set_summary("coils replaced within two days");
    request.set_evaluation("handled well");
    return request;
  });
  step("SetWaitingOnCustomer", kAgent, 1, [] {
    cv1::SetWaitingOnCustomerRequest request;
    request.set_waiting(true);
    request.set_note("waiting for photos");
    return request;
  });
  Add(kComplaints, "PutDepartment", kDirector, [this] {
    cv1::PutDepartmentRequest request;
    request.set_request_id(NewId("fe"));
    cv1::ListDepartmentsResponse listed;
    (void)CallerFor(kDirector).Call(&ComplaintStub::ListDepartments,
                                    cv1::ListDepartmentsRequest(), &listed);
    for (const cv1::Department& department : listed.departments()) {
      if (department.code() != department_) continue;
      *request.mutable_department() = department;
      request.set_etag(department.etag());
    }
    cv1::Department* department = request.mutable_department();
    department->clear_etag();
    department->set_name("Field edge quality");
    department->clear_handler_ids();
    department->add_handler_ids("fe-handler");
    department->add_handler_ids("fe-handler-2");
    department->set_manager_id("fe-manager");
    return Boxed(request);
  });
}

void FieldEdgeWorld::AddAnalyticsMethods() {
  Add(kAnalytics, "PutInventorySnapshots", kSystem, [this] {
    av1::PutInventorySnapshotsRequest request;
    request.set_request_id(NewId("fe"));
    av1::InventorySnapshot* snapshot = request.add_snapshots();
    snapshot->set_product_code("PIPE-20/A");
    snapshot->set_month("2026-10");
    snapshot->mutable_value()->set_minor_units(1000000);
    snapshot->set_quantity(40);
    return Boxed(request);
  });
  Add(kAnalytics, "PutAccountTargets", kDirector, [this] {
    av1::PutAccountTargetsRequest request;
    request.set_request_id(NewId("fe"));
    av1::AccountTarget* target = request.add_targets();
    target->set_account_id(account_id_);
    target->set_year(2026);
    target->set_expected_share_bp(500);
    target->set_industry_influence(40);
    return Boxed(request);
  });
  Add(kAnalytics, "RunTierReview", kDirector, [this] {
    av1::RunTierReviewRequest request;
    request.set_request_id(NewId("fe"));
    request.mutable_parameters()->set_period("2026");
    request.set_dry_run(true);
    return Boxed(request);
  });
}

std::unique_ptr<pb::Message> FieldEdgeWorld::ReadBack(const pb::Message& written) {
  const e2e::Caller director = CallerFor(kDirector);
  if (const auto* account = dynamic_cast<const v1::Account*>(&written)) {
    v1::GetAccountRequest request;
    request.set_account_id(account->id());
    v1::GetAccountResponse response;
    if (!director.Call(&AccountStub::GetAccount, request, &response).ok()) return nullptr;
    return Boxed(response.account());
  }
  if (const auto* opportunity = dynamic_cast<const v1::Opportunity*>(&written)) {
    v1::GetOpportunityRequest request;
    request.set_opportunity_id(opportunity->id());
    v1::GetOpportunityResponse response;
    if (!director.Call(&AccountStub::GetOpportunity, request, &response).ok()) return nullptr;
    return Boxed(response.opportunity());
  }
  if (const auto* complaint = dynamic_cast<const cv1::Complaint*>(&written)) {
    cv1::GetComplaintRequest request;
    request.set_complaint_id(complaint->id());
    cv1::GetComplaintResponse response;
    if (!director.Call(&ComplaintStub::GetComplaint, request, &response).ok()) return nullptr;
    return Boxed(response.complaint());
  }
  if (const auto* contact = dynamic_cast<const v1::Contact*>(&written)) {
    v1::ListContactsRequest request;
    request.set_account_id(contact->account_id());
    request.set_page_size(500);
    v1::ListContactsResponse response;
    if (!director.Call(&AccountStub::ListContacts, request, &response).ok()) return nullptr;
    for (const v1::Contact& read : response.contacts()) {
      if (read.id() == contact->id()) return Boxed(read);
    }
    return nullptr;
  }
  if (const auto* department = dynamic_cast<const cv1::Department*>(&written)) {
    cv1::ListDepartmentsResponse response;
    if (!director.Call(&ComplaintStub::ListDepartments, cv1::ListDepartmentsRequest(), &response)
             .ok()) {
      return nullptr;
    }
    for (const cv1::Department& read : response.departments()) {
      if (read.code() == department->code()) return Boxed(read);
    }
    return nullptr;
  }
  return nullptr;
}

}  // namespace kam::reliability
