// What operators and command-line users see: metrics, the supporting services, kamctl.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/support/process.h"

namespace kam::e2e {
namespace {

using test_support::CommandResult;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Optional;
using ::testing::StartsWith;

// grpc_server_handled_total of one AccountService method and code, as a service counts it.
std::optional<double> Handled(const std::string& exposition, const std::string& method,
                              const std::string& code) {
  return MetricValue(exposition, "grpc_server_handled_total",
                     {{"grpc_type", "unary"},
                      {"grpc_service", "kam.accounts.v1.AccountService"},
                      {"grpc_method", method},
                      {"grpc_code", code}});
}

// An executable named by `variable` (set by CTest), else found in PATH.
std::string ProgramFrom(const char* variable, const std::string& name) {
  const char* path = std::getenv(variable);
  if (path != nullptr && *path != '\0') return path;
  absl::StatusOr<std::string> found = test_support::FindExecutable(name);
  return found.ok() ? *found : name;
}

// Runs `argv`, turning a command that could not run at all into a test failure.
CommandResult RunToEnd(const std::vector<std::string>& argv) {
  absl::StatusOr<CommandResult> result = test_support::RunCommand(argv, absl::Seconds(30));
  if (!result.ok()) {
    ADD_FAILURE() << argv.front() << ": " << result.status();
    return {};
  }
  return *result;
}

using MetricsTest = E2eTest;

TEST_F(MetricsTest, CallsAreCountedByMethodAndCodeOnServiceAndGateway) {
  const std::string accounts_before = Scrape("accounts");
  const std::string gateway_before = Scrape("gateway");
  const Caller alice = As("alice", {"account_manager"});
  v1::Account account, updated;
  ASSERT_THAT(Create(alice, Draft("counted"), &account), GrpcOk());
  EXPECT_THAT(Get(As("bob", {"account_manager"}), account.id()),
              GrpcError(grpc::StatusCode::PERMISSION_DENIED, ""));
  account.set_region("West China");
  EXPECT_THAT(Update(alice, account, {"region"}, account.etag(), &updated), GrpcOk());
  EXPECT_THAT(Update(alice, account, {"region"}, account.etag()),
              GrpcError(grpc::StatusCode::ABORTED, ""));
  const std::string accounts_after = Scrape("accounts");
  const std::string gateway_after = Scrape("gateway");

  const struct {
    std::string method, code;
    double calls;
  } expected[] = {{"CreateAccount", "OK", 1},
                  {"GetAccount", "PermissionDenied", 1},
                  {"UpdateAccount", "OK", 1},
                  {"UpdateAccount", "Aborted", 1},
                  {"ListContacts", "Unavailable", 0}};
  auto expect_counted = [&](const std::string& service, const std::string& before,
                            const std::string& after) {
    for (const auto& e : expected) {
      SCOPED_TRACE(absl::StrCat(service, " ", e.method, " ", e.code));
      const std::optional<double> then = Handled(before, e.method, e.code);
      ASSERT_TRUE(then.has_value()) << "series missing before the calls";
      EXPECT_THAT(Handled(after, e.method, e.code), Optional(*then + e.calls));
    }
  };
  expect_counted("accounts", accounts_before, accounts_after);
  // The gateway counts the calls it forwards under the service's own names and codes.
  expect_counted("gateway", gateway_before, gateway_after);
  EXPECT_THAT(Handled(accounts_after, "ListContacts", "Unavailable"), Optional(0.0));
}

TEST_F(MetricsTest, PromtoolAcceptsEveryServicesMetrics) {
  const std::string promtool = ProgramFrom("PROMTOOL", "promtool");
  for (const ServiceProcess& service : stack().services()) {
    SCOPED_TRACE(service.name);
    const std::string body = Scrape(service.name);
    EXPECT_THAT(body, HasSubstr("grpc_server_handled_total{"));
    const std::string file =
        absl::StrCat(::testing::TempDir(), "kam-e2e-metrics-", getpid(), "-", service.name);
    std::ofstream(file) << body;
    const CommandResult checked =
        RunToEnd({"sh", "-c", "\"$0\" check metrics < \"$1\"", promtool, file});
    EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;
    std::remove(file.c_str());
  }
}

using RequestIdTest = E2eTest;

TEST_F(RequestIdTest, TheIdACallerGetsBackFindsTheCallInGatewayAndServiceLogs) {
  const Caller dora = As("dora", {"account_manager"});
  grpc::ClientContext context;
  dora.Prepare(&context);
  v1::GetAccountRequest request;
  request.set_account_id(999999999);
  v1::GetAccountResponse response;
  EXPECT_THAT(AccountStub(dora.channel()).GetAccount(&context, request, &response),
              GrpcError(grpc::StatusCode::PERMISSION_DENIED, ""));
  const auto header = context.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(header, context.GetServerInitialMetadata().end());
  const std::string id(header->second.data(), header->second.size());
  ASSERT_THAT(id, Not(IsEmpty()));
  for (const char* service : {"accounts", "gateway"}) {
    const std::string& log = stack().service(service).log_path;
    EXPECT_TRUE(
        Eventually([&] { return test_support::ReadFile(log).find(id) != std::string::npos; },
                   absl::Seconds(2)))
        << service << " log has no line with request id " << id;
  }
}

using SupportingServicesTest = E2eTest;

TEST_F(SupportingServicesTest, ComplaintsAndAnalyticsServeWithTheirSchemaMigrated) {
  for (const char* name : {"complaints", "analytics"}) {
    SCOPED_TRACE(name);
    const ServiceProcess& service = stack().service(name);
    EXPECT_EQ(HealthStatus(service.address(), ""), Health::SERVING);
    EXPECT_EQ(HealthStatus(service.address(), "liveness"), Health::SERVING);
    absl::StatusOr<std::string> migrated = stack().db().QueryAsRoot(
        absl::StrCat("SELECT COUNT(*) > 0 FROM ", service.schema, ".schema_migrations"));
    ASSERT_TRUE(migrated.ok()) << migrated.status();
    EXPECT_EQ(*migrated, "1\n");
    EXPECT_THAT(Scrape(name), HasSubstr("kam_db_pool_connections{"));
  }
}

using KamctlTest = E2eTest;

// kamctl against this suite's gateway, with `token` as KAM_TOKEN.
CommandResult Kamctl(const std::vector<std::string>& args, const std::string& token = "") {
  const KamStack& stack = KamStack::Get();
  std::vector<std::string> argv = {"env",
                                   "KAM_ADDR=" + stack.service("gateway").address(),
                                   "KAM_TOKEN=" + token,
                                   "KAM_JWT_SECRET_FILE=" + stack.jwt_secret_file(),
                                   absl::StrCat("KAM_JWT_ISSUER=", KamStack::kIssuer),
                                   absl::StrCat("KAM_JWT_AUDIENCE=", KamStack::kAudience),
                                   ProgramFrom("KAMCTL_BIN", "kamctl")};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunToEnd(argv);
}

// The value printed beside "<key>:" in kamctl's field-per-line output, as a number.
int64_t PrintedNumber(const std::string& out, const std::string& key) {
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    int64_t value = 0;
    if (absl::ConsumePrefix(&line, key + ":") &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &value)) {
      return value;
    }
  }
  return 0;
}

TEST_F(KamctlTest, ManagerCreatesListsAndReadsAccounts) {
  const CommandResult minted =
      Kamctl({"token", "--subject", "carol", "--roles", "account_manager"});
  ASSERT_EQ(minted.exit_code, 0) << minted.err;
  const std::string token(absl::StripAsciiWhitespace(minted.out));
  ASSERT_THAT(token, Not(IsEmpty()));

  const std::string name = Prefix() + "-华东重工";
  const CommandResult created =
      Kamctl({"accounts", "create", "--name", name, "--registration-number",
              Draft("kamctl").registration_number(), "--nature", "ordinary_company"},
             token);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const int64_t id = PrintedNumber(created.out, "id");
  ASSERT_GT(id, 0) << created.out;

  const CommandResult listed = Kamctl({"accounts", "list"}, token);
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(std::vector<std::string>(absl::StrSplit(listed.out, '\n')),
              Contains(AllOf(StartsWith(absl::StrCat(id, " ")), HasSubstr(name))))
      << listed.out;

  const CommandResult shown = Kamctl({"accounts", "get", absl::StrCat(id), "--json"}, token);
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const nlohmann::json json = nlohmann::json::parse(shown.out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << shown.out;
  EXPECT_EQ(json["account"]["name"], name);
  EXPECT_EQ(json["account"]["owner_id"], "carol");

  const CommandResult denied = Kamctl({"accounts", "get", "999999"}, token);
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_THAT(denied.err, HasSubstr("PERMISSION_DENIED"));
}

// ---- issue 3: the accounts commands against the real services ----

std::string MintToken(const std::string& subject, const std::string& roles) {
  const CommandResult minted = Kamctl({"token", "--subject", subject, "--roles", roles});
  EXPECT_EQ(minted.exit_code, 0) << minted.err;
  return std::string(absl::StripAsciiWhitespace(minted.out));
}

// A command's --json output; fails the test when the command failed.
nlohmann::json Json(const std::vector<std::string>& args, const std::string& token) {
  std::vector<std::string> with_json = args;
  with_json.push_back("--json");
  const CommandResult result = Kamctl(with_json, token);
  EXPECT_EQ(result.exit_code, 0) << absl::StrJoin(args, " ") << ": " << result.err;
  return nlohmann::json::parse(result.out, nullptr, false);
}

// Proto JSON prints int64 as a string.
int64_t Int(const nlohmann::json& value) {
  int64_t n = 0;
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_string()) {
    EXPECT_TRUE(absl::SimpleAtoi(value.get<std::string>(), &n)) << value;
  }
  return n;
}

TEST_F(KamctlTest, DirectorBuildsAGroupAndSeesItsYearInTheSummary) {
  const std::string director = MintToken(Prefix() + "-dir", "director");
  const std::string erp = MintToken(Prefix() + "-erp", "system");

  const nlohmann::json parent =
      Json({"accounts", "create", "--name", Prefix() + "-集团", "--registration-number",
            Draft("kg").registration_number(), "--nature", "ordinary_company"},
           director);
  const int64_t parent_id = Int(parent["account"]["id"]);
  ASSERT_GT(parent_id, 0) << parent.dump();
  const nlohmann::json child =
      Json({"accounts", "create", "--name", Prefix() + "-子公司", "--registration-number",
            Draft("kc").registration_number(), "--nature", "ordinary_company", "--parent",
            absl::StrCat(parent_id)},
           director);
  const std::string child_id = absl::StrCat(Int(child["account"]["id"]));
  EXPECT_EQ(Int(child["account"]["parent_id"]), parent_id);

  const CommandResult tree = Kamctl({"accounts", "tree", absl::StrCat(parent_id)}, director);
  EXPECT_EQ(tree.exit_code, 0) << tree.err;
  EXPECT_THAT(tree.out, HasSubstr(Prefix() + "-子公司"));

  const CommandResult opportunity =
      Kamctl({"opps", "create", child_id, "--name", "pipeline upgrade", "--amount", "1000.00",
              "--needs", "new line", "--budget", "900.00", "--timetable", "Q3"},
             director);
  EXPECT_EQ(opportunity.exit_code, 0) << opportunity.err;

  const CommandResult order =
      Kamctl({"orders", "record", child_id, "--external-id", Prefix() + "-ERP-1", "--at",
              "2026-03-01", "--line", "P-100,steel pipe,2,1500.00,1000.00"},
             erp);
  EXPECT_EQ(order.exit_code, 0) << order.err;

  const nlohmann::json summary = Json({"accounts", "summary", absl::StrCat(parent_id), "--from",
                                       "2026-01-01", "--to", "2027-01-01"},
                                      director);
  const nlohmann::json& totals = summary["summary"];
  EXPECT_EQ(Int(totals["accounts_total"]), 2) << summary.dump();
  EXPECT_EQ(Int(totals["revenue"]["minor_units"]), 150000) << summary.dump();
  EXPECT_EQ(Int(totals["gross_profit"]["minor_units"]), 50000) << summary.dump();
  EXPECT_EQ(Int(totals["open_pipeline"]["minor_units"]), 100000) << summary.dump();
  EXPECT_EQ(Int(totals["weighted_pipeline"]["minor_units"]), 10000)
      << "customer development is weighted at 10%: " << summary.dump();

  const CommandResult visit =
      Kamctl({"records", "add", child_id, "--kind", "visit", "--at", "2026-11-20T10:00:00Z",
              "--summary", "plant tour", "--outcome", "no_result"},
             director);
  EXPECT_EQ(visit.exit_code, 0) << visit.err;
  const nlohmann::json timeline = Json({"records", "timeline", child_id}, director);
  ASSERT_TRUE(timeline.contains("records")) << timeline.dump();
  EXPECT_EQ(timeline["records"].size(), 1u);
  EXPECT_EQ(timeline["records"][0]["summary"], "plant tour");
}

}  // namespace
}  // namespace kam::e2e
