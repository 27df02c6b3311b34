// A key account's year (issue 3), end to end through the gateway: a director sets up a
// customer group for a manager, who works it (contacts, visits, a deal through all six
// stages); orders meet the group's credit limit; the accounts change hands; and the event
// stream and the audit trail tell the same story. Each step checks what the people involved
// would notice, from the old manager's and the new manager's side.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/e2e/e2e_fixture.h"

namespace kam::e2e {
namespace {

using grpc::StatusCode;

constexpr char kWatchEventsMethod[] = "/kam.accounts.v1.AccountService/WatchEvents";
// 1,000,000.00 CNY: the group's credit limit.
constexpr int64_t kGroupLimit = 100'000'000;

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  ts.set_seconds(micros / 1'000'000);
  ts.set_nanos(static_cast<int32_t>(micros % 1'000'000) * 1000);
  return ts;
}

v1::Money Cny(int64_t minor_units) {
  v1::Money money;
  money.set_currency_code("CNY");
  money.set_minor_units(minor_units);
  return money;
}

// "id<-parent@depth" per node, for readable failures.
std::vector<std::string> Nodes(const v1::GetGroupTreeResponse& tree) {
  std::vector<std::string> nodes;
  for (const v1::GroupNode& node : tree.nodes()) {
    nodes.push_back(absl::StrCat(node.account_id(), "<-", node.parent_id(), "@", node.depth()));
  }
  return nodes;
}

std::string Node(int64_t id, int64_t parent, int depth) {
  return absl::StrCat(id, "<-", parent, "@", depth);
}

// The account an event is about, from its aggregate or its payload; 0 when none.
int64_t AccountOf(const v1::Event& event) {
  switch (event.payload_case()) {
    case v1::Event::kAccount:
      return event.account().id();
    case v1::Event::kContact:
      return event.contact().account_id();
    case v1::Event::kTeamMember:
      return event.team_member().account_id();
    case v1::Event::kContactRecord:
      return event.contact_record().account_id();
    case v1::Event::kVisitPlan:
      return event.visit_plan().account_id();
    case v1::Event::kOpportunity:
      return event.opportunity().account_id();
    case v1::Event::kContract:
      return event.contract().account_id();
    case v1::Event::kOrder:
      return event.order().account_id();
    case v1::Event::kPayment:
      return event.payment().account_id();
    case v1::Event::kCreditReport:
      return event.credit_report().account_id();
    case v1::Event::kCreditOverride:
      return event.credit_override().account_id();
    case v1::Event::PAYLOAD_NOT_SET:
      break;
  }
  if (event.aggregate_type() == "account") return std::atoll(event.aggregate_id().c_str());
  return 0;
}

// Whether `expected` occurs in `actual` in this order (other entries may come between).
bool InOrder(const std::vector<std::string>& actual, const std::vector<std::string>& expected) {
  auto next = actual.begin();
  for (const std::string& type : expected) {
    next = std::find(next, actual.end(), type);
    if (next == actual.end()) return false;
    ++next;
  }
  return true;
}

// Reads WatchEvents after `after_sequence` until it has delivered everything committed when
// the stream started (the head of its first message), then hangs up.
grpc::Status Replay(const Caller& caller, int64_t after_sequence, std::vector<v1::Event>* events) {
  grpc::ClientContext context;
  caller.Prepare(&context);
  // The whole suite's history may be long: more time than one unary call.
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::WatchEventsRequest request;
  request.set_after_sequence(after_sequence);
  AccountStub stub(caller.channel());
  std::unique_ptr<grpc::ClientReader<v1::WatchEventsResponse>> reader =
      stub.WatchEvents(&context, request);
  v1::WatchEventsResponse response;
  int64_t head = -1;
  int64_t last = after_sequence;
  bool caught_up = false;
  while (!caught_up && reader->Read(&response)) {
    if (head < 0) head = response.head_sequence();
    for (const v1::Event& event : response.events()) {
      events->push_back(event);
      last = event.sequence();
    }
    caught_up = last >= head;
  }
  if (caught_up) context.TryCancel();
  const grpc::Status status = reader->Finish();
  return caught_up ? grpc::Status::OK : status;
}

class KeyAccountYearTest : public E2eTest {
 protected:
  void SetUp() override {
    old_manager_ = Prefix() + "-old";
    new_manager_ = Prefix() + "-new";
    director_ = Prefix() + "-director";
    now_ = absl::Now();
  }

  Caller Old() const { return As(old_manager_, {"account_manager"}); }
  Caller New() const { return As(new_manager_, {"account_manager"}); }
  Caller Director() const { return As(director_, {"director"}); }
  Caller Erp() const { return As(Prefix() + "-erp", {"system"}); }
  // Through the gateway with a request id of the caller's choosing (kept in the audit trail).
  Caller DirectorWithRequestId(const std::string& request_id) const {
    return Caller(stack().service("gateway").address(),
                  {{"authorization", "Bearer " + Token(director_, {"director"})},
                   {kRequestIdHeader, request_id}});
  }

  void BuildTheGroup();
  void AddContacts();
  void WorkTheVisitPlan();
  void WinTheDeal();
  void SellOnCredit();
  void TransferToTheNewManager();
  void ReplayTheEvents();
  void ReadTheAuditTrail();

  // Opportunity helpers: on success *opportunity becomes the stored version.
  grpc::Status Patch(v1::Opportunity* opportunity, const std::vector<std::string>& paths);
  grpc::Status Move(v1::Opportunity* opportunity, v1::Stage to, const std::string& reason = "");
  grpc::Status CreateVisitPlan(absl::Time day, v1::VisitPlan* plan = nullptr);
  grpc::Status Visit(v1::ContactOutcome outcome, absl::Time when, int64_t plan_id,
                     v1::CreateContactRecordResponse* response);
  grpc::Status Order(int64_t account_id, const std::string& label, int64_t revenue, int64_t cost,
                     v1::Order* recorded = nullptr);
  grpc::Status Pay(int64_t account_id, const std::string& label, int64_t amount);
  std::vector<v1::VisitPlan> Plans(const Caller& caller, v1::ListVisitPlansRequest request);

  std::string old_manager_, new_manager_, director_;
  absl::Time now_;
  v1::Account parent_, subsidiary_, plant_;
  std::vector<int64_t> account_ids_;
  v1::Contact buyer_, engineer_;
  v1::VisitPlan completed_plan_, cancelled_plan_, next_plan_;
  v1::Opportunity won_, open_;
  v1::Contract contract_;
  std::string credit_request_id_;
};

grpc::Status KeyAccountYearTest::Patch(v1::Opportunity* opportunity,
                                       const std::vector<std::string>& paths) {
  v1::UpdateOpportunityRequest request;
  request.set_request_id(NewRequestId());
  *request.mutable_opportunity() = *opportunity;
  for (const std::string& path : paths) request.mutable_update_mask()->add_paths(path);
  request.set_etag(opportunity->etag());
  v1::UpdateOpportunityResponse response;
  grpc::Status status = Old().Call(&AccountStub::UpdateOpportunity, request, &response);
  if (status.ok()) *opportunity = response.opportunity();
  return status;
}

grpc::Status KeyAccountYearTest::Move(v1::Opportunity* opportunity, v1::Stage to,
                                      const std::string& reason) {
  v1::MoveOpportunityRequest request;
  request.set_request_id(NewRequestId());
  request.set_opportunity_id(opportunity->id());
  request.set_to_stage(to);
  request.set_reason(reason);
  request.set_etag(opportunity->etag());
  v1::MoveOpportunityResponse response;
  grpc::Status status = Old().Call(&AccountStub::MoveOpportunity, request, &response);
  if (status.ok()) *opportunity = response.opportunity();
  return status;
}

grpc::Status KeyAccountYearTest::CreateVisitPlan(absl::Time day, v1::VisitPlan* plan) {
  v1::CreateVisitPlanRequest request;
  request.set_request_id(NewRequestId());
  request.mutable_plan()->set_account_id(parent_.id());
  *request.mutable_plan()->mutable_planned_time() = Ts(day);
  request.mutable_plan()->set_objective("quarterly review with purchasing");
  v1::CreateVisitPlanResponse response;
  grpc::Status status = Old().Call(&AccountStub::CreateVisitPlan, request, &response);
  if (plan != nullptr) *plan = response.plan();
  return status;
}

grpc::Status KeyAccountYearTest::Visit(v1::ContactOutcome outcome, absl::Time when, int64_t plan_id,
                                       v1::CreateContactRecordResponse* response) {
  v1::CreateContactRecordRequest request;
  request.set_request_id(NewRequestId());
  v1::ContactRecord* record = request.mutable_record();
  record->set_account_id(parent_.id());
  record->set_kind(v1::CONTACT_KIND_VISIT);
  *record->mutable_occur_time() = Ts(when);
  record->add_contact_ids(buyer_.id());
  record->set_summary("walked the plant with purchasing");
  record->set_outcome(outcome);
  record->set_visit_plan_id(plan_id);
  return Old().Call(&AccountStub::CreateContactRecord, request, response);
}

grpc::Status KeyAccountYearTest::Order(int64_t account_id, const std::string& label,
                                       int64_t revenue, int64_t cost, v1::Order* recorded) {
  v1::RecordOrderRequest request;
  request.set_request_id(NewRequestId());
  v1::Order* order = request.mutable_order();
  order->set_account_id(account_id);
  order->set_external_id(absl::StrCat(Prefix(), "-", label));
  *order->mutable_order_time() = Ts(now_ - absl::Minutes(10));
  // Two lines, so that revenue and cost are sums.
  v1::OrderLine* pipe = order->add_lines();
  pipe->set_product_code("PIPE-100");
  pipe->set_product_category("steel pipe");
  pipe->set_quantity(40);
  *pipe->mutable_revenue() = Cny(revenue / 2);
  *pipe->mutable_cost() = Cny(cost / 2);
  v1::OrderLine* valve = order->add_lines();
  valve->set_product_code("VALVE-7");
  valve->set_product_category("valves");
  valve->set_quantity(12);
  *valve->mutable_revenue() = Cny(revenue - revenue / 2);
  *valve->mutable_cost() = Cny(cost - cost / 2);
  v1::RecordOrderResponse response;
  grpc::Status status = Erp().Call(&AccountStub::RecordOrder, request, &response);
  if (recorded != nullptr) *recorded = response.order();
  return status;
}

grpc::Status KeyAccountYearTest::Pay(int64_t account_id, const std::string& label, int64_t amount) {
  v1::RecordPaymentRequest request;
  request.set_request_id(NewRequestId());
  request.mutable_payment()->set_account_id(account_id);
  request.mutable_payment()->set_external_id(absl::StrCat(Prefix(), "-", label));
  *request.mutable_payment()->mutable_amount() = Cny(amount);
  *request.mutable_payment()->mutable_pay_time() = Ts(now_ - absl::Minutes(5));
  return Erp().Call(&AccountStub::RecordPayment, request);
}

std::vector<v1::VisitPlan> KeyAccountYearTest::Plans(const Caller& caller,
                                                     v1::ListVisitPlansRequest request) {
  request.set_page_size(100);
  v1::ListVisitPlansResponse response;
  const grpc::Status status = caller.Call(&AccountStub::ListVisitPlans, request, &response);
  EXPECT_THAT(status, GrpcOk());
  return {response.plans().begin(), response.plans().end()};
}

// 1. The director sets up the group for the old manager; the hierarchy cannot loop.
void KeyAccountYearTest::BuildTheGroup() {
  v1::Account draft = Draft("group");
  draft.set_owner_id(old_manager_);
  ASSERT_THAT(Create(Director(), draft, &parent_), GrpcOk());
  draft = Draft("subsidiary");
  draft.set_owner_id(old_manager_);
  draft.set_parent_id(parent_.id());
  ASSERT_THAT(Create(Director(), draft, &subsidiary_), GrpcOk());
  draft = Draft("plant");
  draft.set_owner_id(old_manager_);
  draft.set_parent_id(subsidiary_.id());
  ASSERT_THAT(Create(Director(), draft, &plant_), GrpcOk());
  account_ids_ = {parent_.id(), subsidiary_.id(), plant_.id()};
  EXPECT_EQ(plant_.owner_id(), old_manager_);

  v1::GetGroupTreeRequest tree_request;
  tree_request.set_account_id(parent_.id());
  v1::GetGroupTreeResponse tree;
  ASSERT_THAT(Old().Call(&AccountStub::GetGroupTree, tree_request, &tree), GrpcOk());
  EXPECT_THAT(Nodes(tree),
              ElementsAre(Node(parent_.id(), 0, 0), Node(subsidiary_.id(), parent_.id(), 1),
                          Node(plant_.id(), subsidiary_.id(), 2)));
  EXPECT_FALSE(tree.truncated());
  EXPECT_THAT(VisibleIds(Old()), ElementsAre(parent_.id(), subsidiary_.id(), plant_.id()));

  v1::Account loop = parent_;
  loop.set_parent_id(plant_.id());
  EXPECT_THAT(Update(Director(), loop, {"parent_id"}, parent_.etag()),
              GrpcError(StatusCode::FAILED_PRECONDITION, ""));
  v1::Account parent_now;
  ASSERT_THAT(Get(Old(), parent_.id(), &parent_now), GrpcOk());
  EXPECT_EQ(parent_now.parent_id(), 0) << "the refused move changed nothing";
}

// 2. Contacts with buying roles; their personal notes only for the owner's side.
void KeyAccountYearTest::AddContacts() {
  const auto create = [&](const std::string& name, v1::BuyingRole role, const std::string& hobby,
                          v1::Contact* out) {
    v1::CreateContactRequest request;
    request.set_request_id(NewRequestId());
    v1::Contact* contact = request.mutable_contact();
    contact->set_account_id(parent_.id());
    contact->set_name(name);
    contact->set_title("purchasing");
    contact->set_buying_role(role);
    contact->mutable_personal_notes()->set_interests(hobby);
    contact->mutable_personal_notes()->set_birth_year(1975);
    v1::CreateContactResponse response;
    const grpc::Status status = Old().Call(&AccountStub::CreateContact, request, &response);
    *out = response.contact();
    return status;
  };
  ASSERT_THAT(create("Zhang Wei", v1::BUYING_ROLE_DECISION_MAKER, "go and calligraphy", &buyer_),
              GrpcOk());
  ASSERT_THAT(create("Li Na", v1::BUYING_ROLE_TECHNICAL_EVALUATOR, "marathons", &engineer_),
              GrpcOk());

  v1::ListContactsRequest request;
  request.set_account_id(parent_.id());
  v1::ListContactsResponse owners_view;
  ASSERT_THAT(Old().Call(&AccountStub::ListContacts, request, &owners_view), GrpcOk());
  ASSERT_EQ(owners_view.contacts_size(), 2);
  EXPECT_EQ(owners_view.contacts(0).buying_role(), v1::BUYING_ROLE_DECISION_MAKER);
  EXPECT_EQ(owners_view.contacts(0).personal_notes().interests(), "go and calligraphy");
  EXPECT_FALSE(owners_view.contacts(0).personal_notes_hidden());
  EXPECT_EQ(owners_view.contacts(1).buying_role(), v1::BUYING_ROLE_TECHNICAL_EVALUATOR);
  EXPECT_EQ(owners_view.contacts(1).personal_notes().interests(), "marathons");

  for (const Caller& outsider :
       {As(Prefix() + "-agent", {"service_agent"}), As(Prefix() + "-analyst", {"analyst"})}) {
    v1::ListContactsResponse view;
    ASSERT_THAT(outsider.Call(&AccountStub::ListContacts, request, &view), GrpcOk());
    ASSERT_EQ(view.contacts_size(), 2);
    for (const v1::Contact& contact : view.contacts()) {
      EXPECT_TRUE(contact.personal_notes_hidden()) << contact.name();
      EXPECT_EQ(contact.personal_notes().ByteSizeLong(), 0u) << contact.name();
      EXPECT_FALSE(contact.name().empty());
    }
  }
}

// 3. A planned visit done; five fruitless visits take the account off the plan; a director
// puts it back.
void KeyAccountYearTest::WorkTheVisitPlan() {
  // A minute ahead, so that it is still "today or later" if the day ends meanwhile.
  ASSERT_THAT(CreateVisitPlan(now_ + absl::Minutes(1), &completed_plan_), GrpcOk());
  EXPECT_EQ(completed_plan_.owner_id(), old_manager_);
  v1::CreateContactRecordResponse done;
  ASSERT_THAT(
      Visit(v1::CONTACT_OUTCOME_EFFECTIVE, now_ - absl::Hours(2), completed_plan_.id(), &done),
      GrpcOk());
  EXPECT_FALSE(done.visit_plan_suspended());
  ASSERT_THAT(CreateVisitPlan(now_ + absl::Hours(24 * 7), &cancelled_plan_), GrpcOk());

  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE(absl::StrCat("visit without result #", i + 1));
    v1::CreateContactRecordResponse response;
    ASSERT_THAT(
        Visit(v1::CONTACT_OUTCOME_NO_RESULT, now_ - absl::Minutes(60 - 5 * i), 0, &response),
        GrpcOk());
    EXPECT_EQ(response.visit_plan_suspended(), i == 4);
  }
  v1::Account suspended;
  ASSERT_THAT(Get(Old(), parent_.id(), &suspended), GrpcOk());
  EXPECT_TRUE(suspended.visit_plan_suspended());
  v1::ListVisitPlansRequest of_parent;
  of_parent.set_account_id(parent_.id());
  const std::vector<v1::VisitPlan> plans = Plans(Old(), of_parent);
  ASSERT_EQ(plans.size(), 2u);
  EXPECT_EQ(plans[0].id(), completed_plan_.id());
  EXPECT_EQ(plans[0].status(), v1::VISIT_PLAN_STATUS_COMPLETED);
  EXPECT_EQ(plans[0].contact_record_id(), done.record().id());
  EXPECT_EQ(plans[1].id(), cancelled_plan_.id());
  EXPECT_EQ(plans[1].status(), v1::VISIT_PLAN_STATUS_CANCELLED);
  EXPECT_THAT(plans[1].cancel_reason(), HasSubstr("without result"));
  EXPECT_THAT(CreateVisitPlan(now_ + absl::Hours(24)),
              GrpcError(StatusCode::FAILED_PRECONDITION, ""));

  v1::RestoreVisitPlanRequest restore;
  restore.set_request_id(NewRequestId());
  restore.set_account_id(parent_.id());
  restore.set_reason("new purchasing director, worth another try");
  EXPECT_THAT(Old().Call(&AccountStub::RestoreVisitPlan, restore),
              GrpcError(StatusCode::PERMISSION_DENIED, ""));
  v1::RestoreVisitPlanResponse restored;
  ASSERT_THAT(Director().Call(&AccountStub::RestoreVisitPlan, restore, &restored), GrpcOk());
  EXPECT_FALSE(restored.account().visit_plan_suspended());
  ASSERT_THAT(CreateVisitPlan(now_ + absl::Hours(24 * 14), &next_plan_), GrpcOk());
  EXPECT_EQ(next_plan_.status(), v1::VISIT_PLAN_STATUS_PLANNED);
}

// 4. A deal through all six stages, one step back, and won; the history is exact.
void KeyAccountYearTest::WinTheDeal() {
  v1::CreateOpportunityRequest create;
  create.set_request_id(NewRequestId());
  create.mutable_opportunity()->set_account_id(subsidiary_.id());
  create.mutable_opportunity()->set_name("pipeline network renewal");
  *create.mutable_opportunity()->mutable_amount() = Cny(80'000'000);
  v1::CreateOpportunityResponse created;
  ASSERT_THAT(Old().Call(&AccountStub::CreateOpportunity, create, &created), GrpcOk());
  won_ = created.opportunity();
  EXPECT_EQ(won_.stage(), v1::STAGE_CUSTOMER_DEVELOPMENT);
  EXPECT_EQ(won_.owner_id(), old_manager_);

  const auto refused = GrpcError(StatusCode::FAILED_PRECONDITION, "");
  EXPECT_THAT(Move(&won_, v1::STAGE_PROJECT_INITIATION), refused) << "no project information";
  won_.set_needs("replace 40 km of district heating pipe");
  *won_.mutable_budget() = Cny(85'000'000);
  won_.set_timetable("tender in Q2, build over the summer");
  ASSERT_THAT(Patch(&won_, {"needs", "budget", "timetable"}), GrpcOk());
  EXPECT_THAT(Move(&won_, v1::STAGE_PROPOSAL), refused) << "skipping a stage";
  ASSERT_THAT(Move(&won_, v1::STAGE_PROJECT_INITIATION), GrpcOk());
  won_.set_presales_approval("approved by the regional director, ref PS-2291");
  ASSERT_THAT(Patch(&won_, {"presales_approval"}), GrpcOk());
  ASSERT_THAT(Move(&won_, v1::STAGE_PROPOSAL), GrpcOk());
  won_.set_relationship_progress("the decision maker backs our design");
  ASSERT_THAT(Patch(&won_, {"relationship_progress"}), GrpcOk());
  ASSERT_THAT(Move(&won_, v1::STAGE_BIDDING), GrpcOk());
  *won_.mutable_bid_submit_time() = Ts(now_ - absl::Hours(1));
  ASSERT_THAT(Patch(&won_, {"bid_submit_time"}), GrpcOk());
  ASSERT_THAT(Move(&won_, v1::STAGE_COMMERCIAL_NEGOTIATION), GrpcOk());

  const std::string rollback_reason = "customer reopened the technical evaluation";
  EXPECT_THAT(Move(&won_, v1::STAGE_BIDDING), refused) << "moving back needs a reason";
  ASSERT_THAT(Move(&won_, v1::STAGE_BIDDING, rollback_reason), GrpcOk());
  ASSERT_THAT(Move(&won_, v1::STAGE_COMMERCIAL_NEGOTIATION), GrpcOk());
  EXPECT_THAT(Move(&won_, v1::STAGE_IMPLEMENTATION), refused) << "no signed contract";

  v1::CreateContractRequest contract;
  contract.set_request_id(NewRequestId());
  contract.mutable_contract()->set_account_id(subsidiary_.id());
  contract.mutable_contract()->set_number(absl::StrCat("KAY-", absl::ToUnixMicros(now_)));
  *contract.mutable_contract()->mutable_value() = Cny(80'000'000);
  *contract.mutable_contract()->mutable_start_time() = Ts(now_);
  *contract.mutable_contract()->mutable_end_time() = Ts(now_ + absl::Hours(24 * 365));
  contract.mutable_contract()->set_opportunity_id(won_.id());
  v1::CreateContractResponse drafted;
  ASSERT_THAT(Old().Call(&AccountStub::CreateContract, contract, &drafted), GrpcOk());
  EXPECT_FALSE(drafted.contract().has_sign_time());
  v1::SignContractRequest sign;
  sign.set_request_id(NewRequestId());
  sign.set_contract_id(drafted.contract().id());
  *sign.mutable_sign_time() = Ts(now_ - absl::Minutes(30));
  v1::SignContractResponse signed_contract;
  ASSERT_THAT(Old().Call(&AccountStub::SignContract, sign, &signed_contract), GrpcOk());
  contract_ = signed_contract.contract();
  EXPECT_TRUE(contract_.has_sign_time());

  won_.set_contract_id(contract_.id());
  ASSERT_THAT(Patch(&won_, {"contract_id"}), GrpcOk());
  ASSERT_THAT(Move(&won_, v1::STAGE_IMPLEMENTATION), GrpcOk());
  EXPECT_THAT(Move(&won_, v1::STAGE_WON), refused) << "no customer acceptance";
  *won_.mutable_acceptance_time() = Ts(now_ - absl::Minutes(20));
  ASSERT_THAT(Patch(&won_, {"acceptance_time"}), GrpcOk());
  ASSERT_THAT(Move(&won_, v1::STAGE_WON), GrpcOk());
  EXPECT_EQ(won_.stage(), v1::STAGE_WON);
  EXPECT_EQ(won_.probability_percent(), 100);
  EXPECT_TRUE(won_.has_close_time());

  v1::ListStageChangesRequest history_request;
  history_request.set_opportunity_id(won_.id());
  v1::ListStageChangesResponse history;
  ASSERT_THAT(Old().Call(&AccountStub::ListStageChanges, history_request, &history), GrpcOk());
  std::vector<std::string> changes;
  for (const v1::StageChange& change : history.changes()) {
    changes.push_back(absl::StrCat(v1::Stage_Name(change.from_stage()), ">",
                                   v1::Stage_Name(change.to_stage()), ":", change.reason()));
    EXPECT_EQ(change.actor(), old_manager_);
  }
  EXPECT_THAT(
      changes,
      ElementsAre(
          "STAGE_UNSPECIFIED>STAGE_CUSTOMER_DEVELOPMENT:",
          "STAGE_CUSTOMER_DEVELOPMENT>STAGE_PROJECT_INITIATION:",
          "STAGE_PROJECT_INITIATION>STAGE_PROPOSAL:", "STAGE_PROPOSAL>STAGE_BIDDING:",
          "STAGE_BIDDING>STAGE_COMMERCIAL_NEGOTIATION:",
          "STAGE_COMMERCIAL_NEGOTIATION>STAGE_BIDDING:" + rollback_reason,
          "STAGE_BIDDING>STAGE_COMMERCIAL_NEGOTIATION:",
          "STAGE_COMMERCIAL_NEGOTIATION>STAGE_IMPLEMENTATION:", "STAGE_IMPLEMENTATION>STAGE_WON:"));

  // The next deal, still open at the end of the year.
  create.set_request_id(NewRequestId());
  create.mutable_opportunity()->set_account_id(parent_.id());
  create.mutable_opportunity()->set_name("group-wide maintenance contract");
  *create.mutable_opportunity()->mutable_amount() = Cny(50'000'000);
  ASSERT_THAT(Old().Call(&AccountStub::CreateOpportunity, create, &created), GrpcOk());
  open_ = created.opportunity();
}

// 5. Orders against the group's credit limit, an override, payments, and the year's totals.
void KeyAccountYearTest::SellOnCredit() {
  v1::SetCreditRequest credit;
  credit.set_request_id(NewRequestId());
  credit.set_account_id(parent_.id());
  credit.mutable_update_mask()->add_paths("credit_limit");
  *credit.mutable_credit_limit() = Cny(kGroupLimit);
  credit.set_reason("annual credit review");
  credit_request_id_ = absl::StrCat("kay-credit-", absl::ToUnixMicros(now_));
  v1::SetCreditResponse limited;
  ASSERT_THAT(
      DirectorWithRequestId(credit_request_id_).Call(&AccountStub::SetCredit, credit, &limited),
      GrpcOk());
  EXPECT_EQ(limited.account().credit_limit().minor_units(), kGroupLimit);

  // Revenue and cost of each order; 400k + 300k stays under the 1,000,000.00 limit.
  struct Sale {
    int64_t account_id;
    int64_t revenue;
    int64_t cost;
  };
  const Sale pipes{parent_.id(), 40'000'000, 30'000'000};
  const Sale valves{subsidiary_.id(), 30'000'000, 21'000'000};
  const Sale plant_order{plant_.id(), 60'000'000, 45'000'000};
  v1::Order recorded;
  ASSERT_THAT(Order(pipes.account_id, "pipes", pipes.revenue, pipes.cost, &recorded), GrpcOk());
  EXPECT_EQ(recorded.revenue().minor_units(), pipes.revenue);
  EXPECT_EQ(recorded.credit_override_id(), 0);
  ASSERT_THAT(Order(valves.account_id, "valves", valves.revenue, valves.cost), GrpcOk());
  ASSERT_THAT(Pay(parent_.id(), "payment-1", 10'000'000), GrpcOk());

  // Receivables 600k: the plant's 600k order would take the group to 1.2M.
  EXPECT_THAT(Order(plant_order.account_id, "plant", plant_order.revenue, plant_order.cost),
              GrpcError(StatusCode::FAILED_PRECONDITION, ""));
  v1::GrantCreditOverrideRequest grant;
  grant.set_request_id(NewRequestId());
  grant.mutable_override()->set_account_id(plant_.id());
  *grant.mutable_override()->mutable_allowance() = Cny(25'000'000);
  grant.mutable_override()->set_reason("plant expansion, payment guaranteed by the group");
  *grant.mutable_override()->mutable_expire_time() = Ts(now_ + absl::Hours(24 * 7));
  v1::GrantCreditOverrideResponse granted;
  ASSERT_THAT(Director().Call(&AccountStub::GrantCreditOverride, grant, &granted), GrpcOk());
  ASSERT_THAT(
      Order(plant_order.account_id, "plant", plant_order.revenue, plant_order.cost, &recorded),
      GrpcOk());
  EXPECT_EQ(recorded.credit_override_id(), granted.override().id());
  ASSERT_THAT(Pay(subsidiary_.id(), "payment-2", 5'000'000), GrpcOk());

  const int64_t revenue = pipes.revenue + valves.revenue + plant_order.revenue;
  const int64_t cost = pipes.cost + valves.cost + plant_order.cost;
  const int64_t payments = 10'000'000 + 5'000'000;
  const int64_t receivables = revenue - payments;
  const int64_t weighted = (open_.amount().minor_units() * open_.probability_percent() + 50) / 100;
  v1::GetGroupSummaryRequest request;
  request.set_account_id(parent_.id());
  *request.mutable_period()->mutable_start_time() = Ts(now_ - absl::Hours(24 * 365));
  *request.mutable_period()->mutable_end_time() = Ts(now_ + absl::Hours(1));
  for (const Caller& reader : {Director(), Old()}) {
    v1::GetGroupSummaryResponse response;
    ASSERT_THAT(reader.Call(&AccountStub::GetGroupSummary, request, &response), GrpcOk());
    const v1::GroupSummary& summary = response.summary();
    EXPECT_EQ(summary.accounts_total(), 3);
    EXPECT_EQ(summary.accounts_included(), 3);
    EXPECT_FALSE(summary.partial());
    EXPECT_EQ(summary.revenue().minor_units(), revenue);
    EXPECT_EQ(summary.cost().minor_units(), cost);
    EXPECT_EQ(summary.gross_profit().minor_units(), revenue - cost);
    EXPECT_EQ(summary.payments().minor_units(), payments);
    EXPECT_EQ(summary.collection_rate_bp(), payments * 10000 / revenue);
    EXPECT_EQ(summary.open_pipeline().minor_units(), open_.amount().minor_units())
        << "the won deal is no longer pipeline";
    EXPECT_EQ(summary.weighted_pipeline().minor_units(), weighted);
    EXPECT_EQ(summary.receivables().minor_units(), receivables);
    EXPECT_EQ(summary.credit_limit().minor_units(), kGroupLimit);
    EXPECT_EQ(summary.credit_exposure().minor_units(), receivables);
    EXPECT_EQ(summary.credit_available().minor_units(), kGroupLimit - receivables);
    EXPECT_TRUE(summary.over_limit());
  }
}

// 6. The accounts change hands: the old manager loses them at once, the new one gets them
// with the open work.
void KeyAccountYearTest::TransferToTheNewManager() {
  const std::string reason = "old manager moved to the northern region";
  v1::TransferAccountsRequest transfer;
  transfer.set_request_id(NewRequestId());
  transfer.set_from_owner_id(old_manager_);
  transfer.set_to_owner_id(new_manager_);
  for (int64_t id : account_ids_) transfer.add_account_ids(id);
  transfer.set_reason(reason);
  EXPECT_THAT(Old().Call(&AccountStub::TransferAccounts, transfer),
              GrpcError(StatusCode::PERMISSION_DENIED, ""));
  v1::TransferAccountsResponse moved;
  ASSERT_THAT(Director().Call(&AccountStub::TransferAccounts, transfer, &moved), GrpcOk());
  EXPECT_EQ(moved.accounts_moved(), 3);
  EXPECT_EQ(moved.opportunities_moved(), 1) << "only the open deal moves";
  EXPECT_EQ(moved.visit_plans_moved(), 1) << "only the planned visit moves";

  EXPECT_THAT(Get(Old(), parent_.id()), GrpcError(StatusCode::PERMISSION_DENIED, ""));
  EXPECT_THAT(VisibleIds(Old()), IsEmpty());
  EXPECT_THAT(Plans(Old(), {}), IsEmpty());
  EXPECT_THAT(VisibleIds(New()), ElementsAre(parent_.id(), subsidiary_.id(), plant_.id()));
  v1::Account parent_now;
  ASSERT_THAT(Get(New(), parent_.id(), &parent_now), GrpcOk());
  EXPECT_EQ(parent_now.owner_id(), new_manager_);

  v1::ListOpportunitiesRequest mine;
  mine.set_owner_id(new_manager_);
  v1::ListOpportunitiesResponse opportunities;
  ASSERT_THAT(New().Call(&AccountStub::ListOpportunities, mine, &opportunities), GrpcOk());
  ASSERT_EQ(opportunities.opportunities_size(), 1);
  EXPECT_EQ(opportunities.opportunities(0).id(), open_.id());
  v1::GetOpportunityRequest get_won;
  get_won.set_opportunity_id(won_.id());
  v1::GetOpportunityResponse won_now;
  ASSERT_THAT(New().Call(&AccountStub::GetOpportunity, get_won, &won_now), GrpcOk());
  EXPECT_EQ(won_now.opportunity().owner_id(), old_manager_) << "a won deal stays with who won it";

  v1::ListVisitPlansRequest my_plans;
  my_plans.set_owner_id(new_manager_);
  const std::vector<v1::VisitPlan> plans = Plans(New(), my_plans);
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(plans[0].id(), next_plan_.id());
  EXPECT_EQ(plans[0].status(), v1::VISIT_PLAN_STATUS_PLANNED);

  v1::ListAccountHistoryRequest history_request;
  history_request.set_account_id(plant_.id());
  history_request.set_kind(v1::HISTORY_KIND_OWNER);
  v1::ListAccountHistoryResponse history;
  ASSERT_THAT(New().Call(&AccountStub::ListAccountHistory, history_request, &history), GrpcOk());
  ASSERT_EQ(history.changes_size(), 1);
  EXPECT_EQ(history.changes(0).kind(), v1::HISTORY_KIND_OWNER);
  EXPECT_EQ(history.changes(0).from_value(), old_manager_);
  EXPECT_EQ(history.changes(0).to_value(), new_manager_);
  EXPECT_EQ(history.changes(0).actor(), director_);
  EXPECT_EQ(history.changes(0).reason(), reason);
}

// 7. The event stream replays the year in commit order, and resumes exactly.
void KeyAccountYearTest::ReplayTheEvents() {
  const Caller through_gateway = As(Prefix() + "-consumer", {"system"});
  std::vector<v1::Event> all;
  grpc::Status status = Replay(through_gateway, 0, &all);
  Caller watcher = through_gateway;
  if (status.error_code() == StatusCode::UNIMPLEMENTED) {
    // The gateway does not forward server-streaming calls yet: call the service directly.
    watcher = DirectToAccounts(IdentityMetadata(
        SignIdentity(Principal{Prefix() + "-consumer", {"system"}, ""}, kWatchEventsMethod,
                     stack().identity_key(), absl::Now() + absl::Minutes(5))));
    all.clear();
    status = Replay(watcher, 0, &all);
  }
  ASSERT_THAT(status, GrpcOk());

  const std::set<int64_t> ours(account_ids_.begin(), account_ids_.end());
  std::vector<std::string> types;
  std::set<std::string> event_ids;
  int64_t previous = 0;
  for (const v1::Event& event : all) {
    EXPECT_GT(event.sequence(), previous) << event.type();
    previous = event.sequence();
    EXPECT_TRUE(event_ids.insert(event.event_id()).second) << "repeated " << event.event_id();
    if (event.has_contact()) {
      EXPECT_FALSE(event.contact().has_personal_notes()) << "personal notes in " << event.type();
    }
    if (ours.count(AccountOf(event)) != 0) types.push_back(event.type());
  }
  const std::vector<std::string> expected = {"account.created",
                                             "account.created",
                                             "account.created",
                                             "contact.created",
                                             "contact.created",
                                             "visit_plan.created",
                                             "contact_record.created",
                                             "visit_plan.completed",
                                             "visit_plan.created",
                                             "contact_record.created",
                                             "contact_record.created",
                                             "contact_record.created",
                                             "contact_record.created",
                                             "contact_record.created",
                                             "visit_plan.cancelled",
                                             "account.visit_plan_suspended",
                                             "account.visit_plan_restored",
                                             "visit_plan.created",
                                             "opportunity.created",
                                             "opportunity.stage_changed",
                                             "opportunity.stage_changed",
                                             "opportunity.stage_changed",
                                             "opportunity.stage_changed",
                                             "opportunity.stage_changed",
                                             "opportunity.stage_changed",
                                             "contract.created",
                                             "contract.signed",
                                             "opportunity.stage_changed",
                                             "opportunity.stage_changed",
                                             "opportunity.created",
                                             "account.credit_changed",
                                             "order.recorded",
                                             "order.recorded",
                                             "payment.recorded",
                                             "credit_override.granted",
                                             "order.recorded",
                                             "payment.recorded",
                                             "account.owner_changed",
                                             "account.owner_changed",
                                             "account.owner_changed"};
  EXPECT_TRUE(InOrder(types, expected)) << "events of the scenario: " << absl::StrJoin(types, ", ");
  EXPECT_EQ(std::count(types.begin(), types.end(), "opportunity.stage_changed"), 8);
  EXPECT_EQ(std::count(types.begin(), types.end(), "order.recorded"), 3)
      << "the refused order left no event";
  EXPECT_EQ(std::count(types.begin(), types.end(), "account.owner_changed"), 3);
  ASSERT_GE(all.size(), 2u);

  // Resuming after any event delivers exactly what followed it.
  const size_t middle = all.size() / 2;
  std::vector<v1::Event> tail;
  ASSERT_THAT(Replay(watcher, all[middle].sequence(), &tail), GrpcOk());
  std::vector<std::string> expected_ids, tail_ids;
  for (size_t i = middle + 1; i < all.size(); ++i) expected_ids.push_back(all[i].event_id());
  for (const v1::Event& event : tail) tail_ids.push_back(event.event_id());
  EXPECT_EQ(tail_ids, expected_ids);
}

// 8. The audit trail of the group account: every change with its request id, for directors.
void KeyAccountYearTest::ReadTheAuditTrail() {
  v1::ListAuditLogRequest request;
  request.set_resource_type("account");
  request.set_resource_id(absl::StrCat(parent_.id()));
  request.set_page_size(100);
  v1::ListAuditLogResponse response;
  ASSERT_THAT(Director().Call(&AccountStub::ListAuditLog, request, &response), GrpcOk());
  std::vector<std::string> actions;
  for (const v1::AuditRecord& record : response.records()) {
    actions.push_back(record.action());
    EXPECT_EQ(record.resource_id(), absl::StrCat(parent_.id()));
    EXPECT_FALSE(record.request_id().empty()) << record.action();
    if (record.action() == "account.credit_changed") {
      EXPECT_EQ(record.request_id(), credit_request_id_);
      EXPECT_EQ(record.actor(), director_);
    }
  }
  // Newest first.
  EXPECT_THAT(actions, ElementsAre("account.owner_changed", "account.credit_changed",
                                   "account.visit_plan_restored", "account.visit_plan_suspended",
                                   "account.created"));
  EXPECT_THAT(New().Call(&AccountStub::ListAuditLog, request),
              GrpcError(StatusCode::PERMISSION_DENIED, ""));
}

TEST_F(KeyAccountYearTest, AGroupThroughTheYear) {
  ASSERT_NO_FATAL_FAILURE(BuildTheGroup());
  ASSERT_NO_FATAL_FAILURE(AddContacts());
  ASSERT_NO_FATAL_FAILURE(WorkTheVisitPlan());
  ASSERT_NO_FATAL_FAILURE(WinTheDeal());
  ASSERT_NO_FATAL_FAILURE(SellOnCredit());
  ASSERT_NO_FATAL_FAILURE(TransferToTheNewManager());
  ASSERT_NO_FATAL_FAILURE(ReplayTheEvents());
  ReadTheAuditTrail();
}

}  // namespace
}  // namespace kam::e2e
