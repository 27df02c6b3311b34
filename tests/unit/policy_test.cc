#include "services/gateway/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/gateway/v1/gateway.grpc.pb.h"

namespace kam::gateway {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;

constexpr char kCreateAccount[] = "/kam.accounts.v1.AccountService/CreateAccount";
constexpr char kListContacts[] = "/kam.accounts.v1.AccountService/ListContacts";

Policy::Services Services() {
  // Naming a message of each file links its generated code into the binary; that code is
  // what registers the file's services in the generated pool.
  kam::accounts::v1::GetAccountRequest::descriptor();
  kam::gateway::v1::WhoAmIRequest::descriptor();
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  return {pool->FindServiceByName(kam::accounts::v1::AccountService::service_full_name()),
          pool->FindServiceByName(kam::gateway::v1::GatewayService::service_full_name())};
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
  ASSERT_NE(services[0], nullptr);
  ASSERT_NE(services[1], nullptr);
  std::vector<std::string> expected;
  for (const auto* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      expected.push_back("/" + service->full_name() + "/" + service->method(i)->name());
    }
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Default().Methods(), expected);
}

TEST(PolicyTest, DefaultPolicyMatchesTheTable) {
  const std::vector<std::string> all = {"admin",   "director", "account_manager", "service_agent",
                                        "handler", "analyst",  "system"};
  const std::map<std::string, std::set<std::string>> table = {
      {"AccountService/CreateAccount", {"admin", "director", "account_manager", "system"}},
      {"AccountService/GetAccount", {all.begin(), all.end()}},
      {"AccountService/ListAccounts", {all.begin(), all.end()}},
      {"AccountService/UpdateAccount",
       {"admin", "director", "account_manager", "service_agent", "system"}},
      {"AccountService/ArchiveAccount", {"admin", "director", "account_manager"}},
      {"AccountService/CreateContact", {"admin", "director", "account_manager", "service_agent"}},
      {"AccountService/ListContacts",
       {"admin", "director", "account_manager", "service_agent", "handler"}},
      {"GatewayService/WhoAmI", {all.begin(), all.end()}},
  };
  const Policy policy = Default();
  for (const auto& [method, allowed] : table) {
    const std::string package =
        method.rfind("Gateway", 0) == 0 ? "kam.gateway.v1." : "kam.accounts.v1.";
    const std::string full_method = "/" + package + method;
    for (const auto& role : all) {
      EXPECT_EQ(policy.Check(full_method, As({role})).ok(), allowed.count(role) > 0)
          << full_method << " as " << role;
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

}  // namespace
}  // namespace kam::gateway
