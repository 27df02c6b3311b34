#include "services/gateway/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "kam/gateway/v1/gateway.grpc.pb.h"

namespace kam::gateway {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;

constexpr char kCreateAccount[] = "/kam.accounts.v1.AccountService/CreateAccount";
constexpr char kListContacts[] = "/kam.accounts.v1.AccountService/ListContacts";
constexpr char kComplaints[] = "/kam.complaints.v1.ComplaintService/";
constexpr char kAnalytics[] = "/kam.analytics.v1.AnalyticsService/";

// What the gateway serves: the forwarded services and its own.
Policy::Services Services() {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  return {pool->FindServiceByName(kam::accounts::v1::AccountService::service_full_name()),
          pool->FindServiceByName(kam::complaints::v1::ComplaintService::service_full_name()),
          pool->FindServiceByName(kam::analytics::v1::AnalyticsService::service_full_name()),
          pool->FindServiceByName(kam::gateway::v1::GatewayService::service_full_name())};
}

// The package of a service as POLICY.md's table names it ("ComplaintService/...").
std::string PackageOf(const std::string& short_name) {
  for (const auto* service : Services()) {
    if (short_name.rfind(service->name() + "/", 0) == 0) return service->file()->package() + ".";
  }
  ADD_FAILURE() << "POLICY.md names a method of an unknown service: " << short_name;
  return "";
}

json DefaultDoc() { return json::parse(DefaultPolicyJson()); }

Principal As(std::vector<std::string> roles) { return {"someone", std::move(roles), ""}; }

// On failure, an empty policy (which denies everything) lets the calling test fail cleanly.
Policy Default() {
  absl::StatusOr<Policy> policy = Policy::Parse(DefaultPolicyJson(), Services());
  if (!policy.ok()) {
    ADD_FAILURE() << policy.status();
    return Policy();
  }
  return *std::move(policy);
}

absl::Status ParseError(const json& doc) { return Policy::Parse(doc.dump(), Services()).status(); }

TEST(PolicyTest, DefaultPolicyCoversEveryPublicMethod) {
  const auto services = Services();
  for (const auto* service : services) ASSERT_NE(service, nullptr);
  std::vector<std::string> expected;
  for (const auto* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      expected.push_back("/" + service->full_name() + "/" + service->method(i)->name());
    }
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Default().Methods(), expected);
}

// POLICY.md documents the policy as a role x method table; it must say what policy.json does.
TEST(PolicyTest, DefaultPolicyMatchesTheDocumentedTable) {
  std::ifstream doc(std::string(KAM_SOURCE_DIR) + "/services/gateway/POLICY.md");
  ASSERT_TRUE(doc.good());
  std::vector<std::string> roles;
  std::set<std::string> documented;
  const Policy policy = Default();
  for (std::string line; std::getline(doc, line);) {
    if (line.rfind("| method |", 0) == 0) {
      for (absl::string_view cell : absl::StrSplit(line, '|', absl::SkipWhitespace())) {
        roles.emplace_back(absl::StripAsciiWhitespace(cell));
      }
      roles.erase(roles.begin());  // "method"
      continue;
    }
    if (line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    ASSERT_EQ(cells.size(), roles.size() + 3) << line;  // leading and trailing empty cells
    const std::string method(absl::StripAsciiWhitespace(absl::StripAsciiWhitespace(cells[1])));
    const std::string short_name = method.substr(1, method.size() - 2);
    const std::string full_method = "/" + PackageOf(short_name) + short_name;
    documented.insert(full_method);
    for (size_t r = 0; r < roles.size(); ++r) {
      const bool ticked = absl::StripAsciiWhitespace(cells[r + 2]) == "✓";
      EXPECT_EQ(policy.Check(full_method, As({roles[r]})).ok(), ticked)
          << full_method << " as " << roles[r];
    }
  }
  EXPECT_EQ(roles.size(), 7u);
  const std::vector<std::string> methods = policy.Methods();
  EXPECT_EQ(documented, std::set<std::string>(methods.begin(), methods.end()));
}

// Each procedure step belongs to one role (complaints.proto); the gateway lets only that role
// (and for reassignment admins) through, so a wrong-role call never reaches the service.
TEST(PolicyTest, ComplaintStepsAreOpenOnlyToTheirRole) {
  const Policy policy = Default();
  const std::map<std::string, std::set<std::string>> steps = {
      {"CreateComplaint", {"service_agent", "account_manager", "system"}},
      {"JudgeValidity", {"service_agent"}},
      {"RecordFollowUp", {"service_agent"}},
      {"AnalyzeCause", {"handler"}},
      {"ProposeResolution", {"handler"}},
      {"ImplementResolution", {"handler"}},
      {"DecideResolution", {"director"}},
      {"CloseComplaint", {"director"}},
      {"ReassignComplaint", {"director", "admin"}},
      {"SetWaitingOnCustomer", {"service_agent", "handler"}},
      {"PutDepartment", {"director", "admin"}},
      {"ListMyQueue", {"handler", "service_agent", "director"}},
      {"WatchEvents", {"system", "admin"}},
      {"ListAuditLog", {"director", "admin"}},
  };
  for (const auto& [method, allowed] : steps) {
    for (std::string_view role : kRoles) {
      EXPECT_EQ(policy.Check(kComplaints + method, As({std::string(role)})).ok(),
                allowed.count(std::string(role)) > 0)
          << method << " as " << role;
    }
  }
}

TEST(PolicyTest, EveryRoleMayReadComplaintsAndOnlyPeopleListDepartments) {
  const Policy policy = Default();
  for (std::string_view role : kRoles) {
    for (const char* read : {"GetComplaint", "ListComplaints", "ListComplaintHistory"}) {
      EXPECT_TRUE(policy.Check(kComplaints + std::string(read), As({std::string(role)})).ok())
          << read << " as " << role;
    }
    EXPECT_EQ(
        policy.Check(kComplaints + std::string("ListDepartments"), As({std::string(role)})).ok(),
        role != "system")
        << role;
  }
}

// The roles analytics is meant for (docs/API.md shows them from policy.json): analyses for the people who plan sales (and
// managers, over their own accounts), inputs and the tier review for those who own them.
// Handlers and service agents get no analytics; system only feeds inputs and runs reviews.
TEST(PolicyTest, AnalyticsMethodsAreOpenToTheRolesTheyServe) {
  const Policy policy = Default();
  const std::set<std::string> analyses = {"director", "analyst", "account_manager", "admin"};
  const std::set<std::string> reviewers = {"director", "analyst", "admin"};
  const std::map<std::string, std::set<std::string>> methods = {
      {"PutInventorySnapshots", {"system", "admin"}},
      {"PutAccountTargets", {"director", "analyst", "admin", "system"}},
      {"AnalyzeAbc", analyses},
      {"AnalyzeComposition", analyses},
      {"AnalyzeTransactions", analyses},
      {"AnalyzeProductMix", analyses},
      {"AnalyzeProducts", analyses},
      {"ScoreAccounts", analyses},
      {"RunTierReview", {"director", "admin", "system"}},
      {"GetTierReview", reviewers},
      {"ListTierReviews", reviewers},
      {"ListTierChanges", reviewers},
      {"AnalyzeRetention", analyses},
      {"AnalyzePipeline", analyses},
      {"AnalyzeComplaints", analyses},
      {"GetManagerScorecard", analyses},
      {"GetAccountStanding", {"director", "analyst", "account_manager", "admin", "system"}},
  };
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      kam::analytics::v1::AnalyticsService::service_full_name());
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(static_cast<size_t>(service->method_count()), methods.size());
  for (const auto& [method, allowed] : methods) {
    for (std::string_view role : kRoles) {
      EXPECT_EQ(policy.Check(kAnalytics + method, As({std::string(role)})).ok(),
                allowed.count(std::string(role)) > 0)
          << method << " as " << role;
    }
  }
}

TEST(PolicyTest, DenialNamesTheMethod) {
  const absl::Status status = Default().Check(kCreateAccount, As({"analyst", "handler"}));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), std::string("role not permitted to call ") + kCreateAccount);
}

TEST(PolicyTest, AnyAllowedRoleSuffices) {
  EXPECT_TRUE(Default().Check(kCreateAccount, As({"analyst", "account_manager"})).ok());
}

TEST(PolicyTest, NoRolesAndUnknownMethodsAreDenied) {
  EXPECT_EQ(Default().Check(kCreateAccount, As({})).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Default().Check("/kam.accounts.v1.AccountService/DropAll", As({"admin"})).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Default().Check("", As({"admin"})).code(), absl::StatusCode::kPermissionDenied);
}

TEST(PolicyTest, EmptyEntryAllowsNobody) {
  json doc = DefaultDoc();
  doc["methods"][kCreateAccount] = json::array();
  absl::StatusOr<Policy> policy = Policy::Parse(doc.dump(), Services());
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_FALSE(policy->Check(kCreateAccount, As({"admin"})).ok());
}

TEST(PolicyTest, MissingEntryIsRejected) {
  json doc = DefaultDoc();
  doc["methods"].erase(kListContacts);
  const absl::Status status = ParseError(doc);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), std::string("policy has no entry for ") + kListContacts);
}

TEST(PolicyTest, UnknownMethodIsRejected) {
  json doc = DefaultDoc();
  doc["methods"]["/kam.accounts.v1.AccountService/CreateAcount"] = {"admin"};
  const absl::Status status = ParseError(doc);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("unknown method /kam.accounts.v1.AccountService/CreateAcount"));
}

TEST(PolicyTest, RoleNotListedInRolesIsRejected) {
  json doc = DefaultDoc();
  doc["methods"][kCreateAccount] = {"admin", "acount_manager"};
  const absl::Status status = ParseError(doc);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr(kCreateAccount));
  EXPECT_THAT(status.message(), HasSubstr("\"acount_manager\""));
}

TEST(PolicyTest, RolesListMayNameOnlyKamRoles) {
  json doc = DefaultDoc();
  doc["roles"].push_back("auditor");
  const absl::Status status = ParseError(doc);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("\"auditor\""));
}

TEST(PolicyTest, MalformedDocumentsAreRejected) {
  for (const std::string text :
       {"", "{", "[]", R"({"roles":[]})", R"({"roles":"admin","methods":{}})",
        R"({"roles":["admin"],"methods":[]})"}) {
    const absl::Status status = Policy::Parse(text, Services()).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(status.message(), HasSubstr("policy ")) << text;
  }
  EXPECT_THAT(Policy::Parse("{", Services()).status().message(), HasSubstr("not valid JSON"));
  // Found by fuzz_config: a number out of double's range threw out_of_range past the parser.
  EXPECT_THAT(Policy::Parse(R"({"rate_limits":1e999})", Services()).status().message(),
              HasSubstr("not valid JSON"));
}

TEST(PolicyTest, UnknownTopLevelKeyIsRejected) {
  json doc = DefaultDoc();
  doc["method"] = json::object();
  EXPECT_THAT(ParseError(doc).message(), HasSubstr("unknown key method"));
}

TEST(PolicyTest, EntryMustBeAnArray) {
  json doc = DefaultDoc();
  doc["methods"][kCreateAccount] = "admin";
  EXPECT_THAT(ParseError(doc).message(), HasSubstr(kCreateAccount));
}

TEST(PolicyTest, LoadWithoutPathUsesTheDefault) {
  absl::StatusOr<Policy> policy = Policy::Load("", Services());
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->Methods(), Default().Methods());
}

TEST(PolicyTest, LoadReadsTheFileAndPrefixesErrorsWithItsPath) {
  json doc = DefaultDoc();
  doc["methods"].erase(kListContacts);
  const std::string path = testing::TempDir() + "policy_test.json";
  std::ofstream(path) << doc.dump();
  EXPECT_EQ(Policy::Load(path, Services()).status().message(),
            "policy file " + path + ": policy has no entry for " + kListContacts);
}

TEST(PolicyTest, LoadOfUnreadableFileNamesThePath) {
  const absl::Status status = Policy::Load("/nonexistent/policy.json", Services()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("/nonexistent/policy.json"));
}

// POLICY.md's rate limit table must say what policy.json does, and every role is limited.
TEST(PolicyTest, DefaultRateLimitsMatchTheDocumentedTable) {
  std::ifstream doc(std::string(KAM_SOURCE_DIR) + "/services/gateway/POLICY.md");
  ASSERT_TRUE(doc.good());
  RateLimits documented;
  bool in_table = false;
  for (std::string line; std::getline(doc, line);) {
    if (line.rfind("| role | per_second | burst |", 0) == 0) {
      in_table = true;
      continue;
    }
    if (!in_table || line.rfind("|---", 0) == 0) continue;
    if (line.rfind("| ", 0) != 0) break;
    std::vector<std::string> cells = absl::StrSplit(line, '|', absl::SkipWhitespace());
    ASSERT_EQ(cells.size(), 3u) << line;
    double per_second = 0;
    double burst = 0;
    ASSERT_TRUE(absl::SimpleAtod(cells[1], &per_second)) << line;
    ASSERT_TRUE(absl::SimpleAtod(cells[2], &burst)) << line;
    documented[std::string(absl::StripAsciiWhitespace(cells[0]))] = {per_second, burst};
  }
  const Policy policy = Default();
  const RateLimits& limits = policy.rate_limits();
  EXPECT_EQ(limits.size(), std::size(kRoles));
  ASSERT_EQ(documented.size(), limits.size());
  for (const auto& [role, limit] : limits) {
    ASSERT_EQ(documented.count(role), 1u) << role;
    EXPECT_EQ(documented[role].per_second, limit.per_second) << role;
    EXPECT_EQ(documented[role].burst, limit.burst) << role;
  }
}

TEST(PolicyTest, RateLimitsAreReadPerRole) {
  json doc = DefaultDoc();
  doc["rate_limits"] = {{"analyst", {{"per_second", 0.5}, {"burst", 3}}}};
  absl::StatusOr<Policy> policy = Policy::Parse(doc.dump(), Services());
  ASSERT_TRUE(policy.ok()) << policy.status();
  ASSERT_EQ(policy->rate_limits().size(), 1u);
  EXPECT_EQ(policy->rate_limits().at("analyst").per_second, 0.5);
  EXPECT_EQ(policy->rate_limits().at("analyst").burst, 3);
}

TEST(PolicyTest, RateLimitsAreOptional) {
  json doc = DefaultDoc();
  doc.erase("rate_limits");
  absl::StatusOr<Policy> policy = Policy::Parse(doc.dump(), Services());
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_TRUE(policy->rate_limits().empty());
}

TEST(PolicyTest, InvalidRateLimitsAreRejectedNamingTheProblem) {
  const std::vector<std::pair<json, std::string>> cases = {
      {json::array(), "\"rate_limits\" must be an object"},
      {{{"auditor", {{"per_second", 1}, {"burst", 1}}}}, "unknown role \"auditor\""},
      {{{"analyst", 5}}, "entry for analyst must be an object"},
      {{{"analyst", {{"per_second", 1}, {"burst", 1}, {"brust", 2}}}}, "unknown key brust"},
      {{{"analyst", {{"burst", 1}}}}, "analyst: \"per_second\" must be a positive number"},
      {{{"analyst", {{"per_second", 0}, {"burst", 1}}}}, "\"per_second\" must be a positive"},
      {{{"analyst", {{"per_second", -2}, {"burst", 1}}}}, "\"per_second\" must be a positive"},
      {{{"analyst", {{"per_second", "50"}, {"burst", 1}}}}, "\"per_second\" must be a positive"},
      {{{"analyst", {{"per_second", 1}}}}, "analyst: \"burst\" must be a positive number"},
      {{{"analyst", {{"per_second", 1}, {"burst", 0.5}}}}, "\"burst\" must be at least 1"},
  };
  for (const auto& [limits, problem] : cases) {
    json doc = DefaultDoc();
    doc["rate_limits"] = limits;
    const absl::Status status = ParseError(doc);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << limits.dump();
    EXPECT_THAT(status.message(), HasSubstr(problem)) << limits.dump();
  }
  // A role the file's own "roles" list leaves out may not be limited either.
  json doc = DefaultDoc();
  doc["roles"] = {"admin", "director", "account_manager", "service_agent", "handler", "analyst"};
  for (json& roles : doc["methods"]) {
    json kept = json::array();
    for (const json& role : roles) {
      if (role != "system") kept.push_back(role);
    }
    roles = kept;
  }
  EXPECT_THAT(ParseError(doc).message(), HasSubstr("unknown role \"system\""));
}

}  // namespace
}  // namespace kam::gateway
