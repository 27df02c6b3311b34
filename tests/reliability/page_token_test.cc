// Tampered and foreign page tokens (RELIABILITY.md "Concurrency"): every method of the three
// services whose request has a page_token (found from the descriptors, so a new list is
// covered without an edit here) gets a real token of its own, then that token bit-flipped,
// truncated and extended, another list's token, another caller's token, its own token with a
// changed filter, and garbage. Each must be INVALID_ARGUMENT naming page_token; none may
// serve a record.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/rpc_method.h>

#include <iostream>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "tests/reliability/concurrency_support.h"
#include "tests/reliability/field_reflection.h"
#include "tests/reliability/stack_checks.h"

namespace kam::reliability {
namespace {

using e2e::AccountStub;
using e2e::Caller;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;
using grpc::StatusCode;
namespace v1 = kam::accounts::v1;
namespace cv1 = kam::complaints::v1;
namespace av1 = kam::analytics::v1;
using ComplaintStub = cv1::ComplaintService::Stub;
using AnalyticsStub = av1::AnalyticsService::Stub;

std::unique_ptr<Message> NewMessage(const Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

// Any unary method, by its descriptor, through `caller`.
grpc::Status CallMethod(const Caller& caller, const MethodDescriptor* method,
                        const Message& request, Message* response) {
  grpc::ClientContext context;
  caller.Prepare(&context);
  const std::string path = WirePath(*method);
  const grpc::internal::RpcMethod rpc(path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC,
                                      caller.channel());
  return grpc::internal::BlockingUnaryCall<Message, Message>(caller.channel().get(), rpc,
                                                             &context, request, response);
}

const FieldDescriptor* Field(const Message& message, const std::string& name) {
  return message.GetDescriptor()->FindFieldByName(name);
}

// Sets an integer or string field if the message has it; false when it has not.
bool SetField(Message* message, const std::string& name, const std::string& value) {
  const FieldDescriptor* field = Field(*message, name);
  if (field == nullptr || field->is_repeated()) return false;
  const auto* reflection = message->GetReflection();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      reflection->SetString(message, field, value);
      return true;
    case FieldDescriptor::CPPTYPE_INT64:
      reflection->SetInt64(message, field, std::stoll(value));
      return true;
    case FieldDescriptor::CPPTYPE_INT32:
      reflection->SetInt32(message, field, std::stoi(value));
      return true;
    case FieldDescriptor::CPPTYPE_ENUM:
      reflection->SetEnumValue(message, field, std::stoi(value));
      return true;
    default:
      return false;
  }
}

std::string GetString(const Message& message, const std::string& name) {
  const FieldDescriptor* field = Field(message, name);
  return field == nullptr ? "" : message.GetReflection()->GetString(message, field);
}

// How many records a list response holds (its repeated message fields together).
int Records(const Message& response) {
  int records = 0;
  const Descriptor* type = response.GetDescriptor();
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    if (field->is_repeated() && field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      records += response.GetReflection()->FieldSize(response, field);
    }
  }
  return records;
}

// Every method of the three services whose request carries a page token.
std::vector<const MethodDescriptor*> PagedMethods() {
  std::vector<const MethodDescriptor*> methods;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const std::string service :
       {v1::AccountService::service_full_name(), cv1::ComplaintService::service_full_name(),
        av1::AnalyticsService::service_full_name()}) {
    const google::protobuf::ServiceDescriptor* descriptor = pool->FindServiceByName(service);
    for (int i = 0; i < descriptor->method_count(); ++i) {
      const MethodDescriptor* method = descriptor->method(i);
      if (!method->client_streaming() && !method->server_streaming() &&
          method->input_type()->FindFieldByName("page_token") != nullptr) {
        methods.push_back(method);
      }
    }
  }
  return methods;
}

// One way of spoiling a token and the token it gives.
struct Tampered {
  std::string kind;
  std::string token;
  // The request it is sent with; null means the method's own request.
  std::shared_ptr<Message> request;
  const Caller* caller = nullptr;  // null means the token's owner
};

Tampered Spoiled(std::string kind, std::string token) {
  Tampered form;
  form.kind = std::move(kind);
  form.token = std::move(token);
  return form;
}

// Bit flips of the decoded token (each still valid base64url), flips of its characters,
// truncations, an extension and garbage.
std::vector<Tampered> SpoiledForms(const std::string& token) {
  std::vector<Tampered> forms;
  std::string bytes;
  if (absl::WebSafeBase64Unescape(token, &bytes)) {
    const size_t step = std::max<size_t>(1, bytes.size() / 40);
    for (size_t i = 0; i < bytes.size(); i += step) {
      std::string flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << (i % 8)));
      forms.push_back(Spoiled(absl::StrCat("bit_flip_at_byte_", i), absl::WebSafeBase64Escape(flipped)));
    }
  }
  for (size_t i : {size_t{0}, token.size() / 3, token.size() / 2, token.size() - 1}) {
    std::string flipped = token;
    flipped[i] = static_cast<char>(flipped[i] ^ 1);
    forms.push_back(Spoiled(absl::StrCat("char_flip_at_", i), flipped));
  }
  forms.push_back(Spoiled("truncated_by_one", token.substr(0, token.size() - 1)));
  forms.push_back(Spoiled("truncated_to_half", token.substr(0, token.size() / 2)));
  forms.push_back(Spoiled("extended", token + "AAAA"));
  forms.push_back(Spoiled("garbage", "not-a-page-token"));
  forms.push_back(Spoiled("oversized", std::string(600, 'A')));
  forms.push_back(Spoiled("forged_json", absl::WebSafeBase64Escape(R"({"a":1,"q":"0000000000000000"})")));
  return forms;
}

class ConcurrencyPageTokenTest : public e2e::E2eTest {
 protected:
  static Caller Director() { return As("conc-token-director", {"director"}); }
  static Caller Erp() { return As("conc-token-erp", {"system"}); }
  static std::string ThisYear() { return absl::FormatTime("%Y", absl::Now(), absl::UTCTimeZone()); }
  static google::protobuf::Timestamp Ts(absl::Time t) {
    google::protobuf::Timestamp ts;
    ts.set_seconds(absl::ToUnixSeconds(t));
    return ts;
  }
  static v1::Money Cny(int64_t minor) {
    v1::Money money;
    money.set_currency_code("CNY");
    money.set_minor_units(minor);
    return money;
  }

  // Two of every record an account's lists hold, so that each list has a second page.
  static void SeedAccount(int64_t id, ScenarioReport& report);
  static void SeedOrders(int64_t id, const std::string& label);
  static void SeedComplaints(int64_t id);
  // Two accounts of tier A without orders, seen by analytics. A review proposes an account
  // without revenue tier C or D, so every review has at least these two changes and
  // ListTierChanges a second page, whatever else the database holds (run alone, the seeded
  // accounts' proposals may all equal their tiers).
  static void SeedTierChanges();
  // Two tier reviews; returns the first one's id.
  static std::string SeedTierReviews();
};

void ConcurrencyPageTokenTest::SeedAccount(int64_t id, ScenarioReport& report) {
  const Caller director = Director();
  auto ok = [&](const std::string& what, const grpc::Status& status) {
    report.Check(absl::StrCat("seed_", what), status.ok(),
                 absl::StrCat(e2e::CodeName(status.error_code()), ": ", status.error_message()));
  };
  for (int i = 0; i < 2; ++i) {
    v1::CreateContactRequest contact;
    contact.set_request_id(NewRequestId());
    contact.mutable_contact()->set_account_id(id);
    contact.mutable_contact()->set_name(absl::StrCat("Buyer ", i));
    ok("contact", director.Call(&AccountStub::CreateContact, contact));

    v1::SetTierRequest tier;
    tier.set_request_id(NewRequestId());
    tier.set_account_id(id);
    tier.set_tier(i == 0 ? v1::TIER_B : v1::TIER_A);
    tier.set_reason("page token scenario");
    ok("tier", director.Call(&AccountStub::SetTier, tier));

    v1::CreateCreditReportRequest credit;
    credit.set_request_id(NewRequestId());
    credit.mutable_report()->set_account_id(id);
    credit.mutable_report()->set_kind(v1::CREDIT_REPORT_KIND_ROUTINE);
    credit.mutable_report()->set_source(v1::CREDIT_SOURCE_BANK);
    credit.mutable_report()->set_summary("pays on time");
    ok("credit_report", director.Call(&AccountStub::CreateCreditReport, credit));

    v1::CreateContactRecordRequest record;
    record.set_request_id(NewRequestId());
    record.mutable_record()->set_account_id(id);
    record.mutable_record()->set_kind(v1::CONTACT_KIND_CALL);
    *record.mutable_record()->mutable_occur_time() = Ts(absl::Now() - absl::Hours(1 + i));
    record.mutable_record()->set_summary("called purchasing");
    record.mutable_record()->set_outcome(v1::CONTACT_OUTCOME_EFFECTIVE);
    ok("contact_record", director.Call(&AccountStub::CreateContactRecord, record));

    v1::CreateVisitPlanRequest plan;
    plan.set_request_id(NewRequestId());
    plan.mutable_plan()->set_account_id(id);
    *plan.mutable_plan()->mutable_planned_time() = Ts(absl::Now() + absl::Hours(24 * (i + 2)));
    plan.mutable_plan()->set_objective("quarterly review");
    ok("visit_plan", director.Call(&AccountStub::CreateVisitPlan, plan));

    v1::CreateOpportunityRequest opportunity;
    opportunity.set_request_id(NewRequestId());
    opportunity.mutable_opportunity()->set_account_id(id);
    opportunity.mutable_opportunity()->set_name(absl::StrCat("pipe renewal ", i));
    ok("opportunity", director.Call(&AccountStub::CreateOpportunity, opportunity));

    v1::CreateContractRequest contract;
    contract.set_request_id(NewRequestId());
    contract.mutable_contract()->set_account_id(id);
    contract.mutable_contract()->set_number(absl::StrCat("CONC-", id, "-", i));
    *contract.mutable_contract()->mutable_value() = Cny(1'000'000);
    *contract.mutable_contract()->mutable_start_time() = Ts(absl::Now());
    *contract.mutable_contract()->mutable_end_time() = Ts(absl::Now() + absl::Hours(24 * 365));
    ok("contract", director.Call(&AccountStub::CreateContract, contract));

    v1::RecordPaymentRequest payment;
    payment.set_request_id(NewRequestId());
    payment.mutable_payment()->set_account_id(id);
    payment.mutable_payment()->set_external_id(absl::StrCat("conc-pay-", id, "-", i));
    *payment.mutable_payment()->mutable_amount() = Cny(50'000);
    *payment.mutable_payment()->mutable_pay_time() = Ts(absl::Now() - absl::Minutes(5));
    ok("payment", Erp().Call(&AccountStub::RecordPayment, payment));
  }
}

void ConcurrencyPageTokenTest::SeedOrders(int64_t id, const std::string& label) {
  for (int i = 0; i < 2; ++i) {
    v1::RecordOrderRequest request;
    request.set_request_id(NewRequestId());
    v1::Order* order = request.mutable_order();
    order->set_account_id(id);
    order->set_external_id(absl::StrCat("conc-order-", label, "-", i));
    *order->mutable_order_time() = Ts(absl::Now() - absl::Minutes(10));
    for (const char* product : {"PIPE-100", "VALVE-7"}) {
      v1::OrderLine* line = order->add_lines();
      line->set_product_code(product);
      line->set_product_category(product[0] == 'P' ? "steel pipe" : "valves");
      line->set_quantity(10);
      *line->mutable_revenue() = Cny(200'000 * (i + 1));
      *line->mutable_cost() = Cny(150'000 * (i + 1));
    }
    EXPECT_THAT(Erp().Call(&AccountStub::RecordOrder, request), e2e::GrpcOk());
  }
}

void ConcurrencyPageTokenTest::SeedComplaints(int64_t id) {
  const std::string sql =
      absl::StrCat("SELECT COUNT(*) FROM kam_complaints.account_replica WHERE account_id = ", id);
  ASSERT_TRUE(e2e::Eventually([&] { return QueryRows(sql) == std::vector<std::string>{"1"}; },
                              absl::Seconds(20)));
  for (int i = 0; i < 3; ++i) {
    cv1::CreateComplaintRequest request;
    request.set_request_id(NewRequestId());
    cv1::Complaint* complaint = request.mutable_complaint();
    complaint->set_account_id(id);
    complaint->set_channel(cv1::CHANNEL_EMAIL);
    complaint->set_category(cv1::CATEGORY_CONTRACT);
    complaint->set_description("Delivered grade B instead of grade A.");
    complaint->set_severity(cv1::SEVERITY_MEDIUM);
    complaint->set_manner(cv1::MANNER_HESITANT);
    EXPECT_THAT(As("conc-token-agent", {"service_agent"})
                    .Call(&ComplaintStub::CreateComplaint, request),
                e2e::GrpcOk());
  }
}

void ConcurrencyPageTokenTest::SeedTierChanges() {
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    v1::Account account;
    ASSERT_THAT(Create(Director(), Draft(absl::StrCat("tier-a-", i)), &account), e2e::GrpcOk());
    v1::SetTierRequest tier;
    tier.set_request_id(NewRequestId());
    tier.set_account_id(account.id());
    tier.set_tier(v1::TIER_A);
    tier.set_reason("page token scenario: a tier review change");
    ASSERT_THAT(Director().Call(&AccountStub::SetTier, tier), e2e::GrpcOk());
    ids.push_back(absl::StrCat(account.id()));
  }
  // The review reads analytics' copy of the accounts, which follows accounts' events.
  const std::string sql = absl::StrCat(
      "SELECT COUNT(*) FROM kam_analytics.accounts WHERE archived = 0 AND tier = ",
      static_cast<int>(v1::TIER_A), " AND account_id IN (", absl::StrJoin(ids, ","), ")");
  ASSERT_TRUE(e2e::Eventually([&] { return QueryRows(sql) == std::vector<std::string>{"2"}; },
                              absl::Seconds(20)))
      << "analytics never saw the two tier A accounts";
}

std::string ConcurrencyPageTokenTest::SeedTierReviews() {
  std::string first;
  for (int i = 0; i < 2; ++i) {
    av1::RunTierReviewRequest request;
    request.set_request_id(NewRequestId());
    request.mutable_parameters()->set_period(ThisYear());
    request.set_dry_run(true);
    av1::RunTierReviewResponse response;
    EXPECT_THAT(Director().Call(&AnalyticsStub::RunTierReview, request, &response),
                e2e::GrpcOk());
    if (first.empty()) first = response.review().id();
  }
  return first;
}

// The first page of `method` for `caller`: true with its token when it has a second page.
bool FirstPage(const Caller& caller, const MethodDescriptor* method, const Message& request,
               std::string* token, std::string* problem) {
  std::unique_ptr<Message> response = NewMessage(method->output_type());
  const grpc::Status status = CallMethod(caller, method, request, response.get());
  *token = GetString(*response, "next_page_token");
  *problem = status.ok() && token->empty() ? "no second page" : "";
  if (!status.ok()) *problem = absl::StrCat(e2e::CodeName(status.error_code()), ": ",
                                            status.error_message());
  return status.ok() && !token->empty();
}

// The request of `method` whose first page the scenario takes: one record a page, over the
// seeded account, this year, the seeded review.
std::unique_ptr<Message> PagedRequest(const MethodDescriptor* method,
                                      const std::map<std::string, std::string>& fields) {
  std::unique_ptr<Message> request = NewMessage(method->input_type());
  SetField(request.get(), "page_size", "1");
  for (const auto& [name, value] : fields) SetField(request.get(), name, value);
  return request;
}

// `request` with one filter changed (nullptr when the method has none to change).
std::shared_ptr<Message> WithChangedFilter(const Message& request,
                                           const std::map<std::string, std::string>& changes) {
  std::shared_ptr<Message> changed(request.New());
  changed->CopyFrom(request);
  for (const auto& [name, value] : changes) {
    if (Field(request, name) != nullptr && SetField(changed.get(), name, value)) return changed;
  }
  return nullptr;
}

// What one method's tampered tokens got.
struct MethodOutcome {
  int sent = 0;
  int refused_well = 0;
  int records_served = 0;
  std::string first_miss;
};

MethodOutcome SendTampered(ScenarioReport& report, const MethodDescriptor* method,
                           const Caller& owner, const Message& request,
                           const std::vector<Tampered>& forms) {
  MethodOutcome outcome;
  for (const Tampered& form : forms) {
    std::shared_ptr<Message> sent(request.New());
    sent->CopyFrom(form.request ? *form.request : request);
    SetField(sent.get(), "page_token", form.token);
    std::unique_ptr<Message> response = NewMessage(method->output_type());
    const grpc::Status status = report.Timed(NextRequestId(), method->name(), [&] {
      return CallMethod(form.caller ? *form.caller : owner, method, *sent, response.get());
    });
    ++outcome.sent;
    const bool refused_well = status.error_code() == StatusCode::INVALID_ARGUMENT &&
                              status.error_message().find("page_token") != std::string::npos;
    outcome.refused_well += refused_well;
    if (status.ok()) outcome.records_served += Records(*response);
    if (!refused_well && outcome.first_miss.empty()) {
      outcome.first_miss = absl::StrCat(form.kind, " -> ", e2e::CodeName(status.error_code()),
                                        ": ", status.error_message());
    }
  }
  return outcome;
}

TEST_F(ConcurrencyPageTokenTest, TamperedAndForeignPageTokensAreRefusedOnEveryList) {
  ScenarioReport report("concurrency.page_tokens");
  v1::Account x, y;
  ASSERT_THAT(Create(Director(), Draft("x"), &x), e2e::GrpcOk());
  ASSERT_THAT(Create(Director(), Draft("y"), &y), e2e::GrpcOk());
  SeedAccount(x.id(), report);
  SeedOrders(x.id(), "x");
  SeedOrders(y.id(), "y");
  SeedComplaints(x.id());
  // Analytics pages once both accounts' orders are in its facts.
  const auto* abc = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
      "kam.analytics.v1.AnalyticsService.AnalyzeAbc");
  const std::map<std::string, std::string> fields = {
      {"account_id", absl::StrCat(x.id())}, {"period", ThisYear()}, {"name_prefix", Prefix()},
      {"dimension", "1"}};
  std::string token, problem;
  EXPECT_TRUE(e2e::Eventually(
      [&] { return FirstPage(Director(), abc, *PagedRequest(abc, fields), &token, &problem); },
      absl::Seconds(30)))
      << "analytics never paged both accounts: " << problem;
  ASSERT_NO_FATAL_FAILURE(SeedTierChanges());
  std::map<std::string, std::string> all_fields = fields;
  all_fields["review_id"] = SeedTierReviews();
  const std::map<std::string, std::string> changes = {
      {"account_id", absl::StrCat(y.id())}, {"name_prefix", Prefix() + "-x"},
      {"period", "2020"}, {"resource_type", "contact"}, {"review_id", "0000000000000000"}};

  int methods = 0, methods_with_token = 0, methods_all_refused = 0, without_filter = 0;
  for (const MethodDescriptor* method : PagedMethods()) {
    ++methods;
    const std::string role = method->name() == "ListMyQueue" ? "service_agent" : "director";
    const Caller owner = As(absl::StrCat("conc-token-a-", method->name()), {role});
    const Caller other = As(absl::StrCat("conc-token-b-", method->name()), {role});
    const std::unique_ptr<Message> request = PagedRequest(method, all_fields);
    std::string own;
    const bool has_token = FirstPage(owner, method, *request, &own, &problem);
    report.Check(absl::StrCat("own_token_", method->name()), has_token, problem);
    if (!has_token) continue;
    ++methods_with_token;
    // The untouched token works: the scenario is not refusing everything.
    std::shared_ptr<Message> next(request->New());
    next->CopyFrom(*request);
    SetField(next.get(), "page_token", own);
    std::unique_ptr<Message> second = NewMessage(method->output_type());
    const grpc::Status good = CallMethod(owner, method, *next, second.get());
    report.Check(absl::StrCat("own_token_serves_next_page_", method->name()),
                 good.ok() && Records(*second) > 0, good.error_message());

    std::vector<Tampered> forms = SpoiledForms(own);
    Tampered foreign = Spoiled("another_callers_token", own);
    foreign.caller = &other;
    forms.push_back(foreign);
    std::string foreign_list;
    const auto* accounts_list = google::protobuf::DescriptorPool::generated_pool()
        ->FindMethodByName(method->name() == "ListAccounts"
                               ? "kam.accounts.v1.AccountService.ListContacts"
                               : "kam.accounts.v1.AccountService.ListAccounts");
    if (FirstPage(owner, accounts_list, *PagedRequest(accounts_list, all_fields), &foreign_list,
                  &problem)) {
      forms.push_back(Spoiled("another_lists_token", foreign_list));
    }
    if (std::shared_ptr<Message> changed = WithChangedFilter(*request, changes)) {
      Tampered filtered = Spoiled("changed_filter", own);
      filtered.request = changed;
      forms.push_back(filtered);
    } else {
      ++without_filter;
    }
    const MethodOutcome outcome = SendTampered(report, method, owner, *request, forms);
    methods_all_refused += outcome.refused_well == outcome.sent;
    report.Check(absl::StrCat("tampered_tokens_refused_", method->name()),
                 outcome.refused_well == outcome.sent,
                 absl::StrCat(outcome.sent - outcome.refused_well, " of ", outcome.sent,
                              " accepted or misreported, e.g. ", outcome.first_miss));
    report.Gate("tampered_tokens_served_records", outcome.records_served);
  }
  report.Check("paged_methods_found", methods >= 20, absl::StrCat(methods, " methods"));
  report.Figure("paged_methods", methods);
  report.Figure("methods_with_own_token", methods_with_token);
  report.Figure("methods_refusing_every_tampered_token", methods_all_refused);
  report.Figure("methods_without_a_filter_to_change", without_filter);
  report.Figure("tampered_tokens_sent", static_cast<double>(report.records().size()));
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

// A manager's token in another manager's hands: refused, and never their accounts.
TEST_F(ConcurrencyPageTokenTest, AnotherManagersTokenIsRefusedAndServesNothingOfTheirs) {
  ScenarioReport report("concurrency.foreign_manager_token");
  for (const char* owner : {"conc-token-manager-a", "conc-token-manager-b"}) {
    for (int i = 0; i < 3; ++i) {
      v1::Account draft = Draft(absl::StrCat(owner, "-", i));
      draft.set_owner_id(owner);
      ASSERT_THAT(Create(Director(), draft), e2e::GrpcOk());
    }
  }
  const Caller a = As("conc-token-manager-a", {"account_manager"});
  const Caller b = As("conc-token-manager-b", {"account_manager"});
  v1::ListAccountsRequest request = OwnAccounts();
  request.set_page_size(1);
  v1::ListAccountsResponse first;
  ASSERT_THAT(a.Call(&AccountStub::ListAccounts, request, &first), e2e::GrpcOk());
  ASSERT_FALSE(first.next_page_token().empty());
  request.set_page_token(first.next_page_token());
  v1::ListAccountsResponse stolen;
  const grpc::Status status = report.Timed(NextRequestId(), "ListAccounts", [&] {
    return b.Call(&AccountStub::ListAccounts, request, &stolen);
  });
  int64_t leaked = 0;
  for (const v1::Account& account : stolen.accounts()) leaked += account.owner_id() != "conc-token-manager-b";
  report.Gate("leaked_records", leaked);
  report.Check("foreign_token_refused",
               status.error_code() == StatusCode::INVALID_ARGUMENT &&
                   status.error_message().find("page_token") != std::string::npos,
               absl::StrCat(e2e::CodeName(status.error_code()), ": ", status.error_message()));
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

}  // namespace
}  // namespace kam::reliability
