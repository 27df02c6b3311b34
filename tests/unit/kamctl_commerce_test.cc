// kamctl commerce, credit, audit and events commands, and what all commands share: command line ->
// request -> what the user reads (see kamctl_fixture.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kam/accounts/v1/accounts.pb.h"
#include "tests/unit/kamctl_fixture.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::accounts::v1;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST_F(KamctlCommandTest, ContractsCreateAndSign) {
  service_.Reply("CreateContract", v1::CreateContractResponse());
  service_.Reply("SignContract", Proto<v1::SignContractResponse>(R"pb(contract {
                                                                        id: 5
                                                                        value { minor_units: 100 }
                                                                      })pb"));
  ASSERT_EQ(Kamctl("contracts create 12 --number HT-2026-001 --value 1500000 --start 2026-01-01 "
                   "--end 2027-01-01 --opportunity 7")
                .exit_code,
            0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::CreateContractRequest>("CreateContract")),
              EqualsProto(R"pb(contract {
                                 account_id: 12
                                 number: "HT-2026-001"
                                 value { currency_code: "CNY" minor_units: 150000000 }
                                 start_time { seconds: 1767225600 }
                                 end_time { seconds: 1798761600 }
                                 opportunity_id: 7
                               })pb"));
  const Result r = Kamctl("contracts sign 5 --at 2026-11-20T10:00:00Z");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::SignContractRequest>("SignContract")),
              EqualsProto("contract_id: 5 sign_time { seconds: 1795168800 }"));
  EXPECT_THAT(r.out, HasSubstr("signed:      no (draft)"));  // as the fake answered
}

TEST_F(KamctlCommandTest, OrdersRecordTakesRepeatedLines) {
  service_.Reply("RecordOrder", v1::RecordOrderResponse());
  const Result r = Kamctl(
      "orders record 12 --external-id ERP-1 --at 2026-11-20T10:00:00Z"
      R"( --line "P-100,steel pipe,20,1234.00,900" --line "V-1,valves, fittings,1,10.5,7")");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::RecordOrderRequest>("RecordOrder")),
              EqualsProto(R"pb(order {
                                 account_id: 12
                                 external_id: "ERP-1"
                                 order_time { seconds: 1795168800 }
                                 lines {
                                   product_code: "P-100"
                                   product_category: "steel pipe"
                                   quantity: 20
                                   revenue { currency_code: "CNY" minor_units: 123400 }
                                   cost { currency_code: "CNY" minor_units: 90000 }
                                 }
                                 lines {
                                   product_code: "V-1"
                                   product_category: "valves,fittings"
                                   quantity: 1
                                   revenue { currency_code: "CNY" minor_units: 1050 }
                                   cost { currency_code: "CNY" minor_units: 700 }
                                 }
                               })pb"));
  const Result bad =
      Kamctl("orders record 12 --external-id ERP-1 --at 2026-11-20 --line P-100,pipe,20");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("expected CODE,CATEGORY,QUANTITY,REVENUE,COST"));
}

TEST_F(KamctlCommandTest, OrdersListTakesAPeriod) {
  service_.Reply("ListOrders", Proto<v1::ListOrdersResponse>(R"pb(
                   orders {
                     id: 3
                     external_id: "ERP-1"
                     revenue { minor_units: 123400 }
                     cost { minor_units: 90000 }
                     lines {}
                     lines {}
                   })pb"));
  const Result r = Kamctl("orders list 12 --from 2026-01-01 --to 2026-07-01");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::ListOrdersRequest>("ListOrders"),
              EqualsProto(R"pb(account_id: 12
                               period {
                                 start_time { seconds: 1767225600 }
                                 end_time { seconds: 1782864000 }
                               })pb"));
  EXPECT_THAT(r.out, HasSubstr("3   ERP-1        -       2      1,234.00 CNY  900.00 CNY"));
  EXPECT_EQ(Kamctl("orders list 12 --from 2026-01-01").exit_code, 2);
}

TEST_F(KamctlCommandTest, OrdersImportReportsEachItemAndFailsWhenAnyIsRejected) {
  service_.Reply(
      "ImportOrders", Proto<v1::ImportOrdersResponse>(R"pb(
        results { index: 0 external_id: "ERP-1" code: 0 id: 31 }
        results { index: 1 external_id: "ERP-2" code: 9 message: "credit limit exceeded" }
        accepted: 1
        rejected: 1)pb"));
  const std::string path = File("orders.json", R"([
    {"account_id": 12, "external_id": "ERP-1", "order_time": "2026-11-20T10:00:00Z",
     "lines": [{"product_code": "P-1", "product_category": "pipe", "quantity": 2,
                "revenue": {"minor_units": 1000}, "cost": {"minor_units": 800}}]},
    {"account_id": 12, "external_id": "ERP-2"}])");
  const Result r = KamctlArgv({"orders", "import", path});
  EXPECT_EQ(r.exit_code, 1);
  const auto request = service_.Only<v1::ImportOrdersRequest>("ImportOrders");
  ASSERT_EQ(request.orders_size(), 2);
  EXPECT_EQ(request.orders(0).lines(0).revenue().minor_units(), 1000);
  EXPECT_EQ(request.orders(1).external_id(), "ERP-2");
  EXPECT_THAT(r.out, AllOf(HasSubstr("0  ERP-1        recorded             31  -"),
                           HasSubstr("1  ERP-2        FAILED_PRECONDITION  -   credit limit "
                                     "exceeded"),
                           HasSubstr("accepted: 1, duplicates: 0, rejected: 1")));
  EXPECT_THAT(r.err, HasSubstr("1 item(s) not applied"));
}

TEST_F(KamctlCommandTest, OrdersImportSendsLargeFilesInBatchesNumberedFromTheFileStart) {
  std::string json = "[";
  for (int i = 0; i < 1001; ++i) {
    json += (i ? "," : "") + std::string(R"({"external_id": "E)") + std::to_string(i) + "\"}";
  }
  json += "]";
  // The fake answers each batch alike: one duplicate at index 0.
  service_.Reply("ImportOrders", Proto<v1::ImportOrdersResponse>(
                                     R"pb(results { index: 0 external_id: "x" code: 6 id: 1 }
                                          duplicates: 1)pb"));
  const Result r = KamctlArgv({"--json", "orders", "import", File("many.json", json)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto calls = service_.Calls("ImportOrders");
  ASSERT_THAT(calls, SizeIs(2));
  v1::ImportOrdersRequest second;
  ASSERT_TRUE(second.ParseFromString(calls[1].request));
  ASSERT_EQ(second.orders_size(), 1);
  EXPECT_EQ(second.orders(0).external_id(), "E1000");
  const nlohmann::json out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["duplicates"], 2);
  EXPECT_EQ(out["results"][1]["index"], 1000);
}

TEST_F(KamctlCommandTest, ImportRefusesABadFileWithoutCalling) {
  EXPECT_EQ(KamctlArgv({"payments", "import", File("bad.json", "[{\"amuont\": 1}]")}).exit_code, 2);
  EXPECT_THAT(KamctlArgv({"payments", "import", File("bad.json", "[{\"amuont\": 1}]")}).err,
              HasSubstr("item 0"));
  EXPECT_EQ(Kamctl("payments import /nonexistent/file.json").exit_code, 2);
  EXPECT_EQ(KamctlArgv({"payments", "import", File("empty.json", "[]")}).exit_code, 2);
  EXPECT_THAT(service_.Calls("ImportPayments"), IsEmpty());
}

TEST_F(KamctlCommandTest, PaymentsRecordAndList) {
  service_.Reply("RecordPayment", v1::RecordPaymentResponse());
  ASSERT_EQ(Kamctl("payments record 12 --external-id PAY-1 --amount 150000.00 --at "
                   "2026-11-20T10:00:00Z --order 31")
                .exit_code,
            0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::RecordPaymentRequest>("RecordPayment")),
              EqualsProto(R"pb(payment {
                                 account_id: 12
                                 external_id: "PAY-1"
                                 amount { currency_code: "CNY" minor_units: 15000000 }
                                 pay_time { seconds: 1795168800 }
                                 order_id: 31
                               })pb"));
  service_.Reply("ListPayments", Proto<v1::ListPaymentsResponse>(
                                     R"pb(payments {
                                            id: 2
                                            external_id: "PAY-1"
                                            amount { minor_units: 15000000 }
                                          })pb"));
  EXPECT_THAT(Kamctl("payments list 12 --all").out, HasSubstr("150,000.00 CNY"));
}

TEST_F(KamctlCommandTest, CreditReportAndOverride) {
  service_.Reply("CreateCreditReport", v1::CreateCreditReportResponse());
  service_.Reply("GrantCreditOverride", v1::GrantCreditOverrideResponse());
  ASSERT_EQ(Kamctl("credit report 12 --kind urgent --source agency"
                   R"( --summary "late payments" --suggest BB)")
                .exit_code,
            0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::CreateCreditReportRequest>("CreateCreditReport")),
              EqualsProto(R"pb(report {
                                 account_id: 12
                                 kind: CREDIT_REPORT_KIND_URGENT
                                 source: CREDIT_SOURCE_CREDIT_AGENCY
                                 summary: "late payments"
                                 suggested_rating: CREDIT_RATING_BB
                               })pb"));
  ASSERT_EQ(
      Kamctl("credit override 12 --allowance 200000 --reason harvest --until 2026-12-31").exit_code,
      0);
  EXPECT_THAT(
      WithoutRequestId(service_.Only<v1::GrantCreditOverrideRequest>("GrantCreditOverride")),
      EqualsProto(R"pb(override {
                         account_id: 12
                         allowance { currency_code: "CNY" minor_units: 20000000 }
                         reason: "harvest"
                         expire_time { seconds: 1798761600 }
                       })pb"));
}

TEST_F(KamctlCommandTest, AuditListFilters) {
  service_.Reply("ListAuditLog", Proto<v1::ListAuditLogResponse>(R"pb(
                   records {
                     actor: "dora"
                     action: "account.tier_changed"
                     resource_type: "account"
                     resource_id: "12"
                     request_id: "req-1"
                     time { seconds: 1795168800 }
                   })pb"));
  const Result r =
      Kamctl("audit list --resource-type account --resource-id 12 --actor dora --from 2026-11-01");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::ListAuditLogRequest>("ListAuditLog"),
              EqualsProto(R"pb(resource_type: "account"
                               resource_id: "12"
                               actor: "dora"
                               start_time { seconds: 1793491200 })pb"));
  EXPECT_THAT(r.out, HasSubstr("dora   account.tier_changed  account/12  req-1"));
}

TEST_F(KamctlCommandTest, EventsWatchStopsWhenCaughtUp) {
  const auto first = Proto<v1::WatchEventsResponse>(R"pb(
    events { sequence: 5 type: "account.created" aggregate_type: "account" aggregate_id: "12" }
    head_sequence: 9)pb");
  const auto second = Proto<v1::WatchEventsResponse>(R"pb(
    events { sequence: 9 type: "order.recorded" aggregate_type: "order" aggregate_id: "31" }
    head_sequence: 9)pb");
  const auto never = Proto<v1::WatchEventsResponse>(R"pb(
    events { sequence: 10 type: "late" }
    head_sequence: 10)pb");
  service_.Stream("WatchEvents", {&first, &second, &never});
  const Result r = Kamctl("events watch --after 4 --type account.,order.");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(
      service_.Only<v1::WatchEventsRequest>("WatchEvents"),
      EqualsProto(R"pb(after_sequence: 4 type_prefixes: "account." type_prefixes: "order.")pb"));
  EXPECT_EQ(r.out, "5    account.created  account/12\n9    order.recorded  order/31\n");
}

TEST_F(KamctlCommandTest, JsonOutputIsTheResponse) {
  service_.Reply("GetOpportunity", Proto<v1::GetOpportunityResponse>(
                                       R"pb(opportunity { id: 7 stage: STAGE_WON })pb"));
  const Result r = Kamctl("opps get 7 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["opportunity"]["stage"], "STAGE_WON");
  EXPECT_EQ(json["opportunity"]["id"], "7");
}

TEST_F(KamctlCommandTest, AnUnknownOutcomeTellsHowToRetrySafely) {
  service_.Fail("SetTier", grpc::Status(grpc::StatusCode::UNAVAILABLE, "service unavailable"));
  const Result r = Kamctl("accounts set-tier 12 --tier B --reason x --request-id r-1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(service_.Only<v1::SetTierRequest>("SetTier").request_id(), "r-1");
  EXPECT_THAT(r.err, HasSubstr("to retry safely, repeat the command with --request-id r-1"));
}

TEST_F(KamctlCommandTest, EveryCommandHasHelp) {
  for (const char* group : {"accounts", "team", "contacts", "records", "visits", "opps",
                            "contracts", "orders", "payments", "credit", "audit", "events"}) {
    const Result r = KamctlArgv({group, "--help"});
    EXPECT_EQ(r.exit_code, 0) << group;
    EXPECT_THAT(r.out, HasSubstr("Subcommands:")) << group;
  }
  EXPECT_THAT(Kamctl("opps move --help").out,
              HasSubstr("customer_development, project_initiation, proposal, bidding"));
}

}  // namespace
}  // namespace kam::kamctl
