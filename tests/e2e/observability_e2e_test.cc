// Observability as deployed: a real Prometheus scrapes the running suite with the scrape job
// of k8s/base/monitoring/scrape-config.yaml and loads the PrometheusRule's groups; every
// dashboard query and alert expression then runs through its HTTP API. Each must succeed,
// and each panel the traffic below exercises must return data.
//
// Runs as its own ctest entry (observability_e2e_test, label "deploy"), which passes
// PROMETHEUS (the binary) and KAM_K8S_CHECK_DIR (k8s/check, with its npm packages
// installed: live-inputs.mjs derives the configuration from the manifests).
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"

namespace kam::e2e {
namespace {

namespace av1 = kam::analytics::v1;
namespace cv1 = kam::complaints::v1;
using AnalyticsStub = av1::AnalyticsService::Stub;
using ComplaintStub = cv1::ComplaintService::Stub;
using nlohmann::json;

constexpr char kNamespace[] = "kam-e2e";

// Panels that may be empty after the traffic of this test, with why. Every other panel must
// return data.
const std::map<std::string, std::string>& PanelsExpectedEmpty() {
  static const auto* panels = new std::map<std::string, std::string>{
      {"Gateway auth failures by reason",
       "kam_gateway_auth_failures_total arrives with the gateway's authenticator (issue 8); "
       "until then no series exists"},
      {"Gateway rate-limited calls by role",
       "no call here exceeds a rate limit, and kam_gateway_rate_limited_total{role} has a "
       "series only once a role was limited (issue 8)"},
  };
  return *panels;
}

std::string UrlEncode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

class ObservabilityE2eTest : public E2eTest {
 protected:
  static Caller Director() { return As("director-obs", {"director"}); }
  static Caller Agent() { return As("agent-obs", {"service_agent"}); }
  static Caller Erp() { return As("erp-obs", {"system"}); }

  void SetUp() override {
    const char* prometheus = std::getenv("PROMETHEUS");
    const char* check_dir = std::getenv("KAM_K8S_CHECK_DIR");
    ASSERT_TRUE(prometheus != nullptr && *prometheus != '\0')
        << "PROMETHEUS (the prometheus binary) is not set: run through ctest";
    ASSERT_TRUE(check_dir != nullptr && *check_dir != '\0')
        << "KAM_K8S_CHECK_DIR (k8s/check with its npm packages) is not set: run through ctest";
    prometheus_bin_ = prometheus;
    check_dir_ = check_dir;
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("kam-obs-", getpid(), "-", absl::ToUnixMicros(absl::Now()));
    std::filesystem::create_directories(dir_ / "data");
  }

  void TearDown() override {
    if (prometheus_ != nullptr) (void)prometheus_->Kill();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  // ---- Traffic ----

  // Accounts created, read, listed; a tier set; an order recorded; an opportunity opened;
  // client errors (InvalidArgument, NotFound) and a call without credentials.
  static int64_t DriveAccounts() {
    v1::Account account;
    EXPECT_THAT(Create(Director(), Draft("tiered"), &account), GrpcOk());
    v1::SetTierRequest set;
    set.set_request_id(NewRequestId());
    set.set_account_id(account.id());
    set.set_tier(v1::TIER_B);
    set.set_reason("observability e2e");
    EXPECT_THAT(Director().Call(&AccountStub::SetTier, set), GrpcOk());
    EXPECT_THAT(Get(Director(), account.id()), GrpcOk());
    EXPECT_THAT(Get(Director(), account.id() + 1000000),
                GrpcError(grpc::StatusCode::NOT_FOUND, ""));
    v1::Account nameless = Draft("nameless");
    nameless.clear_name();
    EXPECT_THAT(Create(Director(), nameless),
                GrpcError(grpc::StatusCode::INVALID_ARGUMENT, "name"));
    EXPECT_FALSE(Get(WithToken(""), account.id()).ok());
    VisibleIds(Director());

    v1::RecordOrderRequest order;
    order.set_request_id(NewRequestId());
    order.mutable_order()->set_account_id(account.id());
    order.mutable_order()->set_external_id(absl::StrCat("obs-", account.id()));
    order.mutable_order()->mutable_order_time()->set_seconds(
        absl::ToUnixSeconds(absl::Now() - absl::Minutes(10)));
    v1::OrderLine* line = order.mutable_order()->add_lines();
    line->set_product_code("COIL-7");
    line->set_product_category("steel coil");
    line->set_quantity(3);
    line->mutable_revenue()->set_currency_code("CNY");
    line->mutable_revenue()->set_minor_units(300000);
    line->mutable_cost()->set_currency_code("CNY");
    line->mutable_cost()->set_minor_units(210000);
    EXPECT_THAT(Erp().Call(&AccountStub::RecordOrder, order), GrpcOk());

    v1::CreateOpportunityRequest opportunity;
    opportunity.set_request_id(NewRequestId());
    opportunity.mutable_opportunity()->set_account_id(account.id());
    opportunity.mutable_opportunity()->set_name("Coil line 2027");
    EXPECT_THAT(Director().Call(&AccountStub::CreateOpportunity, opportunity), GrpcOk());
    return account.id();
  }

  // A complaint on an untiered account with low severity: the e2e SLA policy gives it 2 s
  // to be judged, so it breaches (and escalates) while the test waits.
  static void DriveComplaintBreach() {
    v1::Account account;
    ASSERT_THAT(Create(Director(), Draft("breach"), &account), GrpcOk());
    PutTransportDepartment();
    const std::map<std::string, std::string> series = {
        {"tier", "untiered"}, {"category", "transport"}, {"kind", "judgment"}};
    const double before =
        MetricValue(Scrape("complaints"), "kam_complaint_sla_breaches_total", series).value_or(0);
    cv1::CreateComplaintRequest intake;
    intake.set_request_id(NewRequestId());
    cv1::Complaint* complaint = intake.mutable_complaint();
    complaint->set_account_id(account.id());
    complaint->set_channel(cv1::CHANNEL_PHONE);
    complaint->set_category(cv1::CATEGORY_TRANSPORT);
    complaint->set_subcategory("late delivery");
    complaint->set_description("Two coils arrived three days late.");
    complaint->set_severity(cv1::SEVERITY_LOW);
    complaint->set_manner(cv1::MANNER_FRIENDLY);
    // The replica of accounts in complaints learns of the new account from the event stream.
    const bool taken =
        Eventually([&] { return Agent().Call(&ComplaintStub::CreateComplaint, intake).ok(); },
                   absl::Seconds(20));
    ASSERT_TRUE(taken) << "complaint intake never succeeded";
    const bool breached = Eventually(
        [&] {
          return MetricValue(Scrape("complaints"), "kam_complaint_sla_breaches_total", series)
                     .value_or(0) > before;
        },
        absl::Seconds(30));
    ASSERT_TRUE(breached) << "the complaint never breached its judgment SLA";
  }

  static void PutTransportDepartment() {
    cv1::ListDepartmentsResponse listed;
    ASSERT_THAT(
        Director().Call(&ComplaintStub::ListDepartments, cv1::ListDepartmentsRequest(), &listed),
        GrpcOk());
    cv1::PutDepartmentRequest request;
    request.set_request_id(NewRequestId());
    for (const cv1::Department& d : listed.departments()) {
      if (d.code() == "logistics") request.set_etag(d.etag());
    }
    cv1::Department* department = request.mutable_department();
    department->set_code("logistics");
    department->set_name("logistics");
    department->add_categories(cv1::CATEGORY_TRANSPORT);
    department->add_handler_ids("handler-obs");
    department->set_manager_id("manager-obs");
    ASSERT_THAT(Director().Call(&ComplaintStub::PutDepartment, request), GrpcOk());
  }

  // An analysis once the order reached analytics, and a dry-run tier review (recorded, so
  // kam_tier_review_last_run_timestamp_seconds is set; no tier changes).
  static void DriveAnalytics(int64_t account_id) {
    absl::TimeZone shanghai;
    ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
    const std::string year = absl::StrCat(absl::ToCivilYear(absl::Now(), shanghai).year());
    const bool projected = Eventually(
        [&] {
          av1::AnalyzeProductMixRequest request;
          request.set_period(year);
          request.set_account_id(account_id);
          av1::AnalyzeProductMixResponse response;
          return Director().Call(&AnalyticsStub::AnalyzeProductMix, request, &response).ok() &&
                 response.revenue().minor_units() == 300000;
        },
        absl::Seconds(20));
    EXPECT_TRUE(projected) << "the order never reached analytics";
    av1::RunTierReviewRequest review;
    review.set_request_id(NewRequestId());
    review.mutable_parameters()->set_period(year);
    review.set_dry_run(true);
    EXPECT_THAT(Director().Call(&AnalyticsStub::RunTierReview, review), GrpcOk());
  }

  // ---- Prometheus ----

  void WriteInputs() {
    std::vector<std::string> argv = {"node", (check_dir_ / "live-inputs.mjs").string(),
                                     dir_.string(), kNamespace};
    for (const ServiceProcess& service : stack().services()) {
      argv.push_back(absl::StrCat(service.name, "=", service.grpc_port, ":", service.metrics_port));
    }
    absl::StatusOr<test_support::CommandResult> run = test_support::RunCommand(argv);
    ASSERT_TRUE(run.ok()) << run.status();
    ASSERT_EQ(run->exit_code, 0) << run->err;
  }

  void StartPrometheus() {
    port_ = test_support::FreeTcpPort();
    absl::StatusOr<std::unique_ptr<test_support::ChildProcess>> started =
        test_support::ChildProcess::Spawn(
            prometheus_bin_,
            {absl::StrCat("--config.file=", (dir_ / "prometheus.yml").string()),
             absl::StrCat("--storage.tsdb.path=", (dir_ / "data").string()),
             absl::StrCat("--web.listen-address=127.0.0.1:", port_),
             "--storage.tsdb.retention.time=1h", "--log.level=warn"},
            {}, (dir_ / "prometheus.log").string());
    ASSERT_TRUE(started.ok()) << started.status();
    prometheus_ = std::move(*started);
  }

  // The `data` of an instant query; an error (failed call, or status not "success") fails
  // the test with the query named.
  std::optional<json> Query(const std::string& expr) {
    absl::StatusOr<std::string> body =
        test_support::HttpGet(port_, absl::StrCat("/api/v1/query?query=", UrlEncode(expr)));
    if (!body.ok()) {
      ADD_FAILURE() << "query failed: " << expr << "\n" << body.status();
      return std::nullopt;
    }
    json response = json::parse(*body, nullptr, /*allow_exceptions=*/false);
    if (response.is_discarded() || response.value("status", "") != "success") {
      ADD_FAILURE() << "query did not succeed: " << expr << "\n" << *body;
      return std::nullopt;
    }
    return response["data"];
  }

  size_t ResultCount(const std::string& expr) {
    std::optional<json> data = Query(expr);
    return data ? data->value("result", json::array()).size() : 0;
  }

  // Every target up, and enough scrapes of each for rates over them.
  void WaitForScrapes() {
    const std::string all_up = absl::StrCat("count(count_over_time(up{namespace=\"", kNamespace,
                                            "\"}[1m]) >= 5 and up == 1)");
    const bool ready = Eventually(
        [&] {
          absl::StatusOr<std::string> body =
              test_support::HttpGet(port_, absl::StrCat("/api/v1/query?query=", UrlEncode(all_up)));
          if (!body.ok()) return false;
          json response = json::parse(*body, nullptr, false);
          if (response.is_discarded()) return false;
          const json result = response["data"].value("result", json::array());
          return result.size() == 1 && result[0]["value"][1] == "4";
        },
        absl::Seconds(40));
    ASSERT_TRUE(ready) << "Prometheus never scraped all four services five times\n"
                       << test_support::TailFile((dir_ / "prometheus.log").string(), 20);
  }

  // Waits until `expr` returns a series (a filter: it returns none while false).
  void WaitForSeries(const std::string& expr) {
    const bool seen = Eventually(
        [&] {
          absl::StatusOr<std::string> body =
              test_support::HttpGet(port_, absl::StrCat("/api/v1/query?query=", UrlEncode(expr)));
          if (!body.ok()) return false;
          json response = json::parse(*body, nullptr, false);
          return !response.is_discarded() &&
                 !response["data"].value("result", json::array()).empty();
        },
        absl::Seconds(45));
    ASSERT_TRUE(seen) << "Prometheus never saw " << expr;
  }

  std::filesystem::path dir_;
  std::filesystem::path check_dir_;
  std::string prometheus_bin_;
  int port_ = 0;
  std::unique_ptr<test_support::ChildProcess> prometheus_;
};

TEST_F(ObservabilityE2eTest, EveryDashboardQueryAndAlertRunsAndExercisedPanelsHaveData) {
  // Prometheus first, so that it sees the counters grow while the traffic runs.
  ASSERT_NO_FATAL_FAILURE(WriteInputs());
  ASSERT_NO_FATAL_FAILURE(StartPrometheus());
  ASSERT_NO_FATAL_FAILURE(
      WaitForSeries(absl::StrCat("count(up{namespace=\"", kNamespace, "\"} == 1) == 4")));
  const int64_t account = DriveAccounts();
  ASSERT_NO_FATAL_FAILURE(DriveComplaintBreach());
  ASSERT_NO_FATAL_FAILURE(DriveAnalytics(account));
  ASSERT_NO_FATAL_FAILURE(WaitForScrapes());
  // Complaints counts its open complaints every 30 s (the first count, at its start, found
  // none), accounts its business gauges every second here (kam_stack.cc).
  ASSERT_NO_FATAL_FAILURE(WaitForSeries("sum(kam_complaints_open{job=\"complaints\"}) >= 1"));
  ASSERT_NO_FATAL_FAILURE(
      WaitForSeries("kam_accounts{job=\"accounts\",tier=\"B\",status=\"active\"} >= 1"));
  ASSERT_NO_FATAL_FAILURE(WaitForSeries(
      "kam_pipeline_opportunities{job=\"accounts\",stage=\"customer_development\"} >= 1"));

  const json queries = json::parse(test_support::ReadFile((dir_ / "queries.json").string()));
  std::set<std::string> panels_with_data;
  std::set<std::string> panels;
  int alerts = 0;
  for (const json& query : queries) {
    const std::string expr = query["expr"];
    std::optional<json> data = Query(expr);
    if (!data) continue;
    if (query["kind"] == "alert") {
      ++alerts;
      continue;
    }
    const std::string panel = query["panel"];
    panels.insert(panel);
    if (!data->value("result", json::array()).empty()) panels_with_data.insert(panel);
  }
  EXPECT_GE(alerts, 7);
  EXPECT_GE(panels.size(), 30u);
  for (const auto& [panel, why] : PanelsExpectedEmpty()) {
    EXPECT_EQ(panels.count(panel), 1u) << "no dashboard panel \"" << panel << "\" (" << why << ")";
  }
  for (const std::string& panel : panels) {
    if (PanelsExpectedEmpty().count(panel) > 0) continue;
    EXPECT_EQ(panels_with_data.count(panel), 1u) << "panel \"" << panel << "\" returned no data";
  }

  // The alerts follow the traffic: the breach above is one, everything is up, and the dry-run
  // review counts as a review.
  const std::map<std::string, std::string> alert_exprs = [&] {
    std::map<std::string, std::string> exprs;
    for (const json& query : queries) {
      if (query["kind"] == "alert") exprs[query["name"]] = query["expr"];
    }
    return exprs;
  }();
  EXPECT_GE(ResultCount(alert_exprs.at("KamComplaintSlaBreaches")), 1u);
  EXPECT_EQ(ResultCount(alert_exprs.at("KamServiceDown")), 0u);
  EXPECT_EQ(ResultCount(alert_exprs.at("KamTierReviewNotRun")), 0u);
  EXPECT_EQ(ResultCount(alert_exprs.at("KamDatabaseUnreachable")), 0u);
}

}  // namespace
}  // namespace kam::e2e
