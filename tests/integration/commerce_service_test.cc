// The commerce handlers of AccountService through a real gRPC channel, against a private
// MariaDB: ERP imports item by item, who may do what, and the typed events.
#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "embedded_migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "services/accounts/commerce_store.h"
#include "services/accounts/service.h"
#include "services/accounts/store.h"
#include "services/common/call_handler.h"
#include "services/common/call_observer.h"
#include "services/common/migrations.h"
#include "tests/support/mariadb_server.h"
#include "tests/support/schema_test.h"
#include "tests/support/test_helpers.h"

namespace kam::accounts {
namespace {

using test_support::MariaDbServer;
using test_support::Ok;
using test_support::SchemaTest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kKey[] = "commerce-test-identity-key";
const Principal kErp{"erp-feed", {"system"}, ""};
const Principal kDirector{"dir-zhao", {"director"}, ""};
const Principal kLi{"mgr-li", {"account_manager"}, ""};
const Principal kAgent{"agent-wu", {"service_agent"}, ""};
const Principal kAnalyst{"analyst-qian", {"analyst"}, ""};

// Fixed per run: the same order or payment sent twice must have the same content.
const absl::Time kOrderTime = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) - 3600);

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  out->set_seconds(absl::ToUnixSeconds(t));
}

v1::Order OrderMessage(int64_t account, const std::string& external_id, int64_t revenue) {
  v1::Order o;
  o.set_account_id(account);
  o.set_external_id(external_id);
  SetTime(kOrderTime, o.mutable_order_time());
  v1::OrderLine* line = o.add_lines();
  line->set_product_code("P-100");
  line->set_product_category("steel pipe");
  line->set_quantity(4);
  line->mutable_revenue()->set_minor_units(revenue);
  line->mutable_cost()->set_currency_code("CNY");
  line->mutable_cost()->set_minor_units(revenue / 2);
  return o;
}

v1::Payment PaymentMessage(int64_t account, const std::string& external_id, int64_t amount) {
  v1::Payment p;
  p.set_account_id(account);
  p.set_external_id(external_id);
  p.mutable_amount()->set_minor_units(amount);
  SetTime(kOrderTime, p.mutable_pay_time());
  return p;
}

class CommerceServiceTest : public test_support::SchemaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenSchema("commerce_rpc", Migrations(), absl::Seconds(5)));
    accounts_ = std::make_unique<AccountStore>(*pool_);
    commerce_ = std::make_unique<CommerceStore>(*pool_);
    metrics_ = std::make_unique<GrpcServerMetrics>(registry_);
    workers_ = std::make_unique<WorkerPool>(4, 100);
    handler_ = std::make_unique<CallHandler>(kKey, workers_.get(), metrics_.get());
    service_ = std::make_unique<AccountServiceImpl>(
        Stores{accounts_.get(), nullptr, nullptr, commerce_.get(), nullptr}, handler_.get());
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::AccountService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    workers_.reset();
  }

  // A call context as the gateway would send it: signed identity and a request id.
  std::unique_ptr<grpc::ClientContext> As(const Principal& who, const std::string& method,
                                          const std::string& request_id = "x-req") {
    auto context = std::make_unique<grpc::ClientContext>();
    const SignedIdentity identity =
        SignIdentity(who, absl::StrCat("/kam.accounts.v1.AccountService/", method), kKey,
                     absl::Now() + absl::Minutes(1));
    context->AddMetadata(kIdentityHeader, identity.payload);
    context->AddMetadata(kIdentitySignatureHeader, identity.signature);
    context->AddMetadata(kRequestIdHeader, request_id);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }

  int64_t MakeAccount(const std::string& owner, int64_t parent = 0) {
    Account draft;
    draft.name = absl::StrCat("客户 ", ++accounts_made_);
    draft.registration_number = absl::StrCat("REG-", accounts_made_);
    draft.nature = Nature::kOrdinaryCompany;
    draft.owner_id = owner;
    draft.parent_id = parent;
    const Mutation m{"dir-zhao", absl::StrCat("acc-", accounts_made_), "fp", "t", absl::Now(), ""};
    absl::StatusOr<Account> created = accounts_->Create(m, *NewAccount(draft, kDirector, m.now));
    EXPECT_TRUE(Ok(created));
    return created.value_or(Account{}).id;
  }

  grpc::Status RecordOrder(const Principal& who, const v1::Order& order,
                           const std::string& request_id, v1::RecordOrderResponse* out) {
    v1::RecordOrderRequest request;
    request.set_request_id(request_id);
    *request.mutable_order() = order;
    return stub_->RecordOrder(As(who, "RecordOrder").get(), request, out);
  }

  std::unique_ptr<AccountStore> accounts_;
  std::unique_ptr<CommerceStore> commerce_;
  prometheus::Registry registry_;
  std::unique_ptr<GrpcServerMetrics> metrics_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<CallHandler> handler_;
  std::unique_ptr<AccountServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::AccountService::Stub> stub_;
  int accounts_made_ = 0;
};

struct Outcome {
  int index;
  int code;
  int64_t id;
  std::string message;
};

template <typename Response>
std::vector<Outcome> Outcomes(const Response& response) {
  std::vector<Outcome> out;
  for (const v1::ImportResult& r : response.results()) {
    out.push_back({r.index(), r.code(), r.id(), r.message()});
  }
  return out;
}

TEST_F(CommerceServiceTest, ImportReportsEveryOrderAndAppliesExactlyTheGoodOnes) {
  const int64_t a = MakeAccount("mgr-li");
  const int64_t limited = MakeAccount("mgr-li");
  Exec(absl::StrCat("UPDATE accounts SET credit_limit_minor = 100000 WHERE id = ", limited));
  v1::RecordOrderResponse earlier;
  ASSERT_TRUE(RecordOrder(kDirector, OrderMessage(a, "ERP-DUP", 700), "r-1", &earlier).ok());

  v1::ImportOrdersRequest request;
  *request.add_orders() = OrderMessage(a, "ERP-1", 1'000'00);  // 0 good
  *request.add_orders() = OrderMessage(a, "ERP-DUP", 700);     // 1 sent before
  v1::Order bad_line = OrderMessage(a, "ERP-BAD", 100);
  bad_line.add_lines()->set_product_code("P 2");                          // a bad second line
  *request.add_orders() = bad_line;                                       // 2
  *request.add_orders() = OrderMessage(987654, "ERP-NF", 100);            // 3 no such account
  *request.add_orders() = OrderMessage(limited, "ERP-CREDIT", 2'000'00);  // 4 credit gate
  *request.add_orders() = OrderMessage(limited, "ERP-2", 500'00);         // 5 good
  *request.add_orders() = OrderMessage(a, "ERP-DUP", 701);                // 6 other content
  v1::Order undated = OrderMessage(a, "ERP-U", 100);
  undated.clear_order_time();
  *request.add_orders() = undated;  // 7
  v1::ImportOrdersResponse response;
  grpc::Status status =
      stub_->ImportOrders(As(kErp, "ImportOrders", "x-import-7").get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const std::vector<Outcome> got = Outcomes(response);
  ASSERT_EQ(got.size(), 8u);
  const int expected_codes[] = {0, 6, 3, 5, 9, 0, 3, 3};
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(got[i].index, i);
    EXPECT_EQ(got[i].code, expected_codes[i]) << i << ": " << got[i].message;
    EXPECT_EQ(response.results(i).external_id(), request.orders(i).external_id());
  }
  EXPECT_GT(got[0].id, 0);
  EXPECT_EQ(got[1].id, earlier.order().id());
  EXPECT_THAT(got[2].message, HasSubstr("order.lines[1].product_code"));
  EXPECT_THAT(got[3].message, HasSubstr("987654"));
  EXPECT_THAT(got[4].message, HasSubstr("past its credit limit 1,000.00 CNY"));
  EXPECT_THAT(got[6].message, HasSubstr("already used for a different order"));
  EXPECT_THAT(got[7].message, HasSubstr("order.order_time"));
  EXPECT_EQ(response.accepted(), 2);
  EXPECT_EQ(response.duplicates(), 1);
  EXPECT_EQ(response.rejected(), 5);

  EXPECT_THAT(Rows("SELECT external_id FROM orders ORDER BY id"),
              ElementsAre(ElementsAre("ERP-DUP"), ElementsAre("ERP-1"), ElementsAre("ERP-2")));
  EXPECT_EQ(One("SELECT COUNT(*) FROM order_lines"), "3");
  EXPECT_EQ(One(absl::StrCat("SELECT receivable_minor FROM accounts WHERE id = ", a)), "100700");
  EXPECT_THAT(
      Rows("SELECT actor, request_id FROM audit_log WHERE action = 'order.recorded' "
           "AND actor = 'erp-feed'"),
      ElementsAre(ElementsAre("erp-feed", "x-import-7"), ElementsAre("erp-feed", "x-import-7")));
}

TEST_F(CommerceServiceTest, ImportPaymentsReportsEachPayment) {
  const int64_t a = MakeAccount("mgr-li");
  const int64_t b = MakeAccount("mgr-li");
  v1::RecordOrderResponse order;
  ASSERT_TRUE(RecordOrder(kErp, OrderMessage(b, "ERP-B", 10'000), "r-1", &order).ok());
  v1::ImportPaymentsRequest request;
  *request.add_payments() = PaymentMessage(a, "BANK-1", 300);
  *request.add_payments() = PaymentMessage(a, "BANK-1", 300);  // again in the same batch
  *request.add_payments() = PaymentMessage(a, "BANK-0", 0);
  v1::Payment wrong_order = PaymentMessage(a, "BANK-2", 5);
  wrong_order.set_order_id(order.order().id());
  *request.add_payments() = wrong_order;
  v1::Payment usd = PaymentMessage(b, "BANK-3", 5);
  usd.mutable_amount()->set_currency_code("USD");
  *request.add_payments() = usd;
  *request.add_payments() = PaymentMessage(b, "BANK-4", 4'000);
  v1::ImportPaymentsResponse response;
  ASSERT_TRUE(stub_->ImportPayments(As(kErp, "ImportPayments").get(), request, &response).ok());
  const std::vector<Outcome> got = Outcomes(response);
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[0].code, 0);
  EXPECT_EQ(got[1].code, 6);
  EXPECT_EQ(got[1].id, got[0].id);
  EXPECT_THAT(got[2].message, HasSubstr("payment.amount"));
  EXPECT_THAT(got[3].message, HasSubstr("payment.order_id"));
  EXPECT_THAT(got[4].message, HasSubstr("payment.amount.currency_code"));
  EXPECT_EQ(got[5].code, 0);
  EXPECT_EQ(response.accepted(), 2);
  EXPECT_EQ(response.duplicates(), 1);
  EXPECT_EQ(response.rejected(), 3);
  EXPECT_EQ(One(absl::StrCat("SELECT receivable_minor FROM accounts WHERE id = ", a)), "-300");
  EXPECT_EQ(One(absl::StrCat("SELECT receivable_minor FROM accounts WHERE id = ", b)), "6000");
}

TEST_F(CommerceServiceTest, ImportsAreForTheErpInBatchesOfOneToAThousand) {
  const int64_t a = MakeAccount("mgr-li");
  v1::ImportOrdersRequest request;
  *request.add_orders() = OrderMessage(a, "ERP-1", 100);
  v1::ImportOrdersResponse response;
  EXPECT_EQ(
      stub_->ImportOrders(As(kDirector, "ImportOrders").get(), request, &response).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  v1::ImportOrdersRequest empty;
  grpc::Status none = stub_->ImportOrders(As(kErp, "ImportOrders").get(), empty, &response);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(none.error_message(), HasSubstr("orders"));
  v1::ImportPaymentsRequest too_many;
  for (int i = 0; i < 1001; ++i) *too_many.add_payments() = PaymentMessage(a, "B", 1);
  v1::ImportPaymentsResponse payments;
  EXPECT_EQ(
      stub_->ImportPayments(As(kErp, "ImportPayments").get(), too_many, &payments).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(One("SELECT COUNT(*) FROM orders"), "0");
}

TEST_F(CommerceServiceTest, ManagersRecordOnlyForTheirAccountsAndDenialsLookAlike) {
  const int64_t theirs = MakeAccount("mgr-li");
  const int64_t others = MakeAccount("mgr-wang");
  v1::RecordOrderResponse response;
  EXPECT_TRUE(RecordOrder(kLi, OrderMessage(theirs, "ERP-1", 100), "r-1", &response).ok());
  const grpc::Status denied =
      RecordOrder(kLi, OrderMessage(others, "ERP-2", 100), "r-2", &response);
  const grpc::Status missing =
      RecordOrder(kLi, OrderMessage(987654, "ERP-3", 100), "r-3", &response);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(denied.error_message(), missing.error_message());
  EXPECT_EQ(
      RecordOrder(kAnalyst, OrderMessage(theirs, "ERP-4", 100), "r-4", &response).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // The same request id again: the first answer, nothing new.
  v1::RecordOrderResponse first;
  v1::RecordOrderResponse retry;
  const v1::Order order = OrderMessage(theirs, "ERP-5", 100);
  ASSERT_TRUE(RecordOrder(kLi, order, "r-5", &first).ok());
  ASSERT_TRUE(RecordOrder(kLi, order, "r-5", &retry).ok());
  EXPECT_EQ(retry.order().id(), first.order().id());
  EXPECT_EQ(One("SELECT COUNT(*) FROM orders"), "2");
  // Money in another currency names the field.
  v1::Order usd = OrderMessage(theirs, "ERP-6", 100);
  usd.mutable_lines(0)->mutable_revenue()->set_currency_code("USD");
  const grpc::Status currency = RecordOrder(kLi, usd, "r-6", &response);
  EXPECT_EQ(currency.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(currency.error_message(), HasSubstr("order.lines[0].revenue.currency_code"));
}

TEST_F(CommerceServiceTest, MoneyIsHiddenFromServiceAgentsAndManagersSeeTheirShare) {
  const int64_t group = MakeAccount("mgr-li");
  const int64_t theirs = MakeAccount("mgr-li", group);
  const int64_t others = MakeAccount("mgr-wang", group);
  v1::RecordOrderResponse response;
  ASSERT_TRUE(RecordOrder(kErp, OrderMessage(theirs, "ERP-1", 1'000), "r-1", &response).ok());
  ASSERT_TRUE(RecordOrder(kErp, OrderMessage(others, "ERP-2", 10'000), "r-2", &response).ok());

  v1::ListOrdersRequest list;
  list.set_account_id(theirs);
  v1::ListOrdersResponse orders;
  EXPECT_EQ(stub_->ListOrders(As(kAgent, "ListOrders").get(), list, &orders).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->ListOrders(As(kAnalyst, "ListOrders").get(), list, &orders).ok());
  ASSERT_EQ(orders.orders_size(), 1);
  EXPECT_EQ(orders.orders(0).revenue().minor_units(), 1'000);
  EXPECT_EQ(orders.orders(0).revenue().currency_code(), "CNY");
  EXPECT_EQ(orders.orders(0).lines_size(), 1);

  v1::GetGroupSummaryRequest summary;
  summary.set_account_id(group);
  v1::GetGroupSummaryResponse totals;
  grpc::Status no_period =
      stub_->GetGroupSummary(As(kDirector, "GetGroupSummary").get(), summary, &totals);
  EXPECT_EQ(no_period.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(no_period.error_message(), HasSubstr("period"));
  SetTime(absl::Now() - absl::Hours(24), summary.mutable_period()->mutable_start_time());
  SetTime(absl::Now() + absl::Hours(24), summary.mutable_period()->mutable_end_time());
  ASSERT_TRUE(stub_->GetGroupSummary(As(kLi, "GetGroupSummary").get(), summary, &totals).ok());
  EXPECT_TRUE(totals.summary().partial());
  EXPECT_EQ(totals.summary().accounts_total(), 3);
  EXPECT_EQ(totals.summary().accounts_included(), 2);
  EXPECT_EQ(totals.summary().revenue().minor_units(), 1'000);
  ASSERT_TRUE(
      stub_->GetGroupSummary(As(kDirector, "GetGroupSummary").get(), summary, &totals).ok());
  EXPECT_FALSE(totals.summary().partial());
  EXPECT_EQ(totals.summary().revenue().minor_units(), 11'000);
  EXPECT_EQ(totals.summary().gross_profit().minor_units(), 5'500);
  EXPECT_EQ(
      stub_->GetGroupSummary(As(kAgent, "GetGroupSummary").get(), summary, &totals).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(CommerceServiceTest, OnlyDirectorsGrantOverridesForAtMostNinetyDays) {
  const int64_t a = MakeAccount("mgr-li");
  Exec(absl::StrCat("UPDATE accounts SET status = 2 WHERE id = ", a));
  v1::GrantCreditOverrideRequest request;
  request.set_request_id("g-1");
  request.mutable_override()->set_account_id(a);
  request.mutable_override()->mutable_allowance()->set_minor_units(1);
  request.mutable_override()->set_reason("supply resumes after the bank guarantee");
  SetTime(absl::Now() + absl::Hours(24 * 91), request.mutable_override()->mutable_expire_time());
  v1::GrantCreditOverrideResponse granted;
  EXPECT_EQ(stub_->GrantCreditOverride(As(kLi, "GrantCreditOverride").get(), request, &granted)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status too_long =
      stub_->GrantCreditOverride(As(kDirector, "GrantCreditOverride").get(), request, &granted);
  EXPECT_EQ(too_long.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(too_long.error_message(), HasSubstr("override.expire_time"));

  v1::RecordOrderResponse order;
  const grpc::Status suspended = RecordOrder(kErp, OrderMessage(a, "ERP-1", 100), "r-1", &order);
  EXPECT_EQ(suspended.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(suspended.error_message(), absl::StrCat("supply to account ", a, " is suspended"));
  request.set_request_id("g-2");
  SetTime(absl::Now() + absl::Hours(24 * 30), request.mutable_override()->mutable_expire_time());
  ASSERT_TRUE(
      stub_->GrantCreditOverride(As(kDirector, "GrantCreditOverride").get(), request, &granted)
          .ok());
  EXPECT_EQ(granted.override().director_id(), "dir-zhao");
  ASSERT_TRUE(RecordOrder(kErp, OrderMessage(a, "ERP-1", 100), "r-2", &order).ok());
  EXPECT_EQ(order.order().credit_override_id(), granted.override().id());
}

TEST_F(CommerceServiceTest, EveryCommerceEventFillsItsTypedPayload) {
  const int64_t a = MakeAccount("mgr-li");
  v1::RecordOrderResponse order;
  ASSERT_TRUE(RecordOrder(kErp, OrderMessage(a, "ERP-1", 100), "r-1", &order).ok());
  v1::CreateContractRequest contract;
  contract.set_request_id("c-1");
  contract.mutable_contract()->set_account_id(a);
  contract.mutable_contract()->set_number("HT-1");
  SetTime(absl::Now(), contract.mutable_contract()->mutable_start_time());
  SetTime(absl::Now() + absl::Hours(24), contract.mutable_contract()->mutable_end_time());
  v1::CreateContractResponse created;
  ASSERT_TRUE(stub_->CreateContract(As(kLi, "CreateContract").get(), contract, &created).ok());
  v1::CreateCreditReportRequest report;
  report.set_request_id("cr-1");
  report.mutable_report()->set_account_id(a);
  report.mutable_report()->set_kind(v1::CREDIT_REPORT_KIND_ROUTINE);
  report.mutable_report()->set_source(v1::CREDIT_SOURCE_INTERNAL);
  report.mutable_report()->set_summary("付款及时");
  v1::CreateCreditReportResponse reported;
  ASSERT_TRUE(
      stub_->CreateCreditReport(As(kLi, "CreateCreditReport").get(), report, &reported).ok());

  const auto rows = Rows(
      "SELECT aggregate_type, payload FROM outbox WHERE aggregate_type <> 'account' ORDER BY id");
  ASSERT_EQ(rows.size(), 3u);
  v1::Event order_event;
  ASSERT_TRUE(FillCommerceEvent(rows[0][0], nlohmann::json::parse(rows[0][1]), &order_event));
  EXPECT_EQ(order_event.order().id(), order.order().id());
  EXPECT_EQ(order_event.order().lines(0).product_code(), "P-100");
  v1::Event contract_event;
  ASSERT_TRUE(FillCommerceEvent(rows[1][0], nlohmann::json::parse(rows[1][1]), &contract_event));
  EXPECT_EQ(contract_event.contract().number(), "HT-1");
  v1::Event report_event;
  ASSERT_TRUE(FillCommerceEvent(rows[2][0], nlohmann::json::parse(rows[2][1]), &report_event));
  EXPECT_EQ(report_event.credit_report().summary(), "付款及时");
  EXPECT_EQ(report_event.credit_report().author_id(), "mgr-li");
  v1::Event other;
  EXPECT_FALSE(FillCommerceEvent("account", nlohmann::json::object(), &other));
}

}  // namespace
}  // namespace kam::accounts
