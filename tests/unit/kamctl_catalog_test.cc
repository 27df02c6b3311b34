// kamctl against the API it fronts: a command for every public method, --json on every one,
// the roles of the gateway's policy in their help, and the bash completion script.
#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/empty.pb.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "kam/gateway/v1/gateway.grpc.pb.h"
#include "tests/unit/kamctl_fixture.h"
#include "tools/kamctl/catalog.h"

namespace kam::kamctl {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The services clients call through the gateway.
std::vector<std::string> PublicServices() {
  return {kam::accounts::v1::AccountService::service_full_name(),
          kam::complaints::v1::ComplaintService::service_full_name(),
          kam::analytics::v1::AnalyticsService::service_full_name(),
          kam::gateway::v1::GatewayService::service_full_name()};
}

// "/kam.accounts.v1.AccountService/GetAccount" for every method of the public services.
std::vector<std::string> PublicMethods() {
  std::vector<std::string> methods;
  for (const std::string& name : PublicServices()) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    EXPECT_NE(service, nullptr) << name;
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      methods.push_back("/" + service->full_name() + "/" + service->method(i)->name());
    }
  }
  return methods;
}

std::string ShortName(std::string_view method) {
  return std::string(method.substr(method.rfind('/') + 1));
}

TEST(KamctlCatalogTest, EveryPublicMethodHasACommand) {
  std::set<std::string> covered;
  for (const CommandMethod& entry : CommandMethods()) covered.insert(std::string(entry.method));
  std::vector<std::string> missing;
  for (const std::string& method : PublicMethods()) {
    if (covered.count(method) == 0) missing.push_back(method);
  }
  EXPECT_THAT(missing, IsEmpty()) << "add a command and its line in tools/kamctl/catalog.cc";
}

TEST(KamctlCatalogTest, EveryCommandCallsAPublicMethod) {
  const std::vector<std::string> methods = PublicMethods();
  const std::set<std::string> known(methods.begin(), methods.end());
  for (const CommandMethod& entry : CommandMethods()) {
    EXPECT_EQ(known.count(std::string(entry.method)), 1u) << entry.command << ": " << entry.method;
  }
}

// A command line for each command (after `kamctl --json`): every command of the table must
// have one, so that a new command is run here too. {file} stands for a file of `kFiles`.
const std::map<std::string, std::string> kSamples = {
    {"whoami", "whoami"},
    {"accounts create",
     "accounts create --name n --registration-number 91310000X --nature ordinary_company"},
    {"accounts get", "accounts get 12"},
    {"accounts list", "accounts list"},
    {"accounts update", "accounts update 12 --etag v4 --scale large"},
    {"accounts archive", "accounts archive 12"},
    {"accounts tree", "accounts tree 1"},
    {"accounts history", "accounts history 12"},
    {"accounts set-tier", "accounts set-tier 12 --tier A --reason r"},
    {"accounts set-credit", "accounts set-credit 12 --rating AA --reason x"},
    {"accounts transfer", "accounts transfer --from liwei --to alice --account 1 --reason r"},
    {"accounts summary", "accounts summary 1 --from 2026-01-01 --to 2026-07-01"},
    {"accounts 360", "accounts 360 12"},
    {"team add", "team add 12 bob --role technical"},
    {"team remove", "team remove 12 bob"},
    {"team list", "team list 12"},
    {"contacts create", "contacts create --account 12 --name 王芳"},
    {"contacts list", "contacts list --account 12"},
    {"contacts update", "contacts update 4 --etag v2 --title CFO"},
    {"records add", "records add 12 --kind call --at 2026-11-20 --summary s --outcome effective"},
    {"records timeline", "records timeline 12"},
    {"visits plan", "visits plan 12 --on 2026-12-01 --objective review"},
    {"visits list", "visits list"},
    {"visits cancel", "visits cancel 7 --reason r"},
    {"visits restore", "visits restore 12 --reason r"},
    {"opps create", "opps create 12 --name n"},
    {"opps get", "opps get 7"},
    {"opps list", "opps list"},
    {"opps update", "opps update 7 --etag v3 --contract 5"},
    {"opps move", "opps move 7 --to bidding --etag v3"},
    {"opps history", "opps history 7"},
    {"opps summary", "opps summary --group 1"},
    {"contracts create",
     "contracts create 12 --number HT-1 --value 1500000 --start 2026-01-01 --end 2027-01-01"},
    {"contracts sign", "contracts sign 5 --at 2026-11-20T10:00:00Z"},
    {"contracts list", "contracts list 12"},
    {"orders record", "orders record 12 --external-id ERP-1 --at 2026-11-20 --line P-100,pipe,20,1000,800"},
    {"orders import", "orders import {file}"},
    {"orders list", "orders list 12"},
    {"payments record",
     "payments record 12 --external-id PAY-1 --amount 150000.00 --at 2026-11-20T10:00:00Z"},
    {"payments import", "payments import {file}"},
    {"payments list", "payments list 12"},
    {"credit report", "credit report 12 --kind urgent --source agency --summary s"},
    {"credit reports", "credit reports 12"},
    {"credit override", "credit override 12 --allowance 200000 --reason r --until 2026-12-31"},
    {"audit list", "audit list"},
    {"events watch", "events watch"},
    {"complaints create",
     "complaints create --account 12 --channel web --category other --description d "
     "--severity low --manner friendly"},
    {"complaints get", "complaints get 31"},
    {"complaints list", "complaints list"},
    {"complaints queue", "complaints queue"},
    {"complaints history", "complaints history 31"},
    {"complaints judge", "complaints judge 31 --valid"},
    {"complaints reassign", "complaints reassign 31 --department logistics --reason r"},
    {"complaints analyze", "complaints analyze 31 --cause c"},
    {"complaints propose", "complaints propose 31 --resolution r"},
    {"complaints approve", "complaints approve 31"},
    {"complaints reject", "complaints reject 31 --reason r"},
    {"complaints implement", "complaints implement 31 --note shipped"},
    {"complaints follow-up", "complaints follow-up 31 --perceived 3 --expected 3 --satisfied"},
    {"complaints close", "complaints close 31 --summary s --evaluation e"},
    {"complaints wait", "complaints wait 31 --note n"},
    {"complaints resume", "complaints resume 31"},
    {"complaints audit", "complaints audit --resource-id 31"},
    {"complaints events", "complaints events"},
    {"departments list", "departments list"},
    {"departments put", "departments put --code q --name Q --category product_quality --manager m"},
    {"analytics abc", "analytics abc --period 2026"},
    {"analytics composition", "analytics composition --period 2026 --dimension tier"},
    {"analytics transactions", "analytics transactions --period 2026"},
    {"analytics product-mix", "analytics product-mix 12 --period 2026"},
    {"analytics products", "analytics products --period 2026"},
    {"analytics score", "analytics score --period 2026"},
    {"analytics retention", "analytics retention --period 2026"},
    {"analytics pipeline", "analytics pipeline --period 2026"},
    {"analytics complaints", "analytics complaints --period 2026"},
    {"analytics scorecard", "analytics scorecard --period 2026"},
    {"analytics standing", "analytics standing 12 --period 2026-Q3"},
    {"analytics tier-review run", "analytics tier-review run --period 2026"},
    {"analytics tier-review get", "analytics tier-review get rv-3"},
    {"analytics tier-review list", "analytics tier-review list"},
    {"analytics tier-review changes", "analytics tier-review changes rv-3"},
    {"analytics inventory-put", "analytics inventory-put {file}"},
    {"analytics targets-put", "analytics targets-put {file}"},
};

const std::map<std::string, std::string> kFiles = {
    {"orders import", R"([{"account_id": 12, "external_id": "ERP-1"}])"},
    {"payments import", R"([{"account_id": 12, "external_id": "PAY-1"}])"},
    {"analytics inventory-put", "P-100,2026-07,1000.00,5\n"},
    {"analytics targets-put", "12,2026,5,1000000,50\n"},
};

// What --json prints: one JSON document, or JSON Lines for a stream.
bool IsJson(const std::string& out, bool lines) {
  if (!lines) return nlohmann::json::accept(out);
  std::istringstream in(out);
  int documents = 0;
  for (std::string line; std::getline(in, line); ++documents) {
    if (!nlohmann::json::accept(line)) return false;
  }
  return documents > 0;
}

TEST_F(KamctlCommandTest, EveryCommandPrintsJsonAndCallsItsMethod) {
  // Streams send one event and their head; every other call answers an empty response (the
  // same bytes for every message type).
  kam::accounts::v1::WatchEventsResponse account_events;
  account_events.add_events()->set_sequence(1);
  account_events.set_head_sequence(1);
  kam::complaints::v1::WatchEventsResponse complaint_events;
  complaint_events.add_events()->set_sequence(1);
  complaint_events.set_head_sequence(1);
  for (const CommandMethod& entry : CommandMethods()) {
    const std::string command(entry.command);
    SCOPED_TRACE(command);
    auto sample = kSamples.find(command);
    ASSERT_NE(sample, kSamples.end()) << "add a sample command line to kSamples";
    const std::string method = ShortName(entry.method);
    const bool stream = command == "events watch" || command == "complaints events";
    if (command == "events watch") {
      service_.Stream(method, {&account_events});
    } else if (command == "complaints events") {
      service_.Stream(method, {&complaint_events});
    } else {
      service_.Reply(method, google::protobuf::Empty());
    }
    std::string line = sample->second;
    if (const size_t at = line.find("{file}"); at != std::string::npos) {
      line.replace(at, 6, File("sample", kFiles.at(command)));
    }
    const size_t calls_before = service_.Calls(method).size();
    const Result r = Kamctl("--json " + line);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(IsJson(r.out, stream)) << r.out;
    EXPECT_GT(service_.Calls(method).size(), calls_before) << "does not call " << entry.method;
  }
}

std::vector<std::string> RolesInPolicyFile(const std::string& method) {
  std::ifstream file(std::string(KAM_SOURCE_DIR) + "/services/gateway/policy.json");
  const nlohmann::json policy = nlohmann::json::parse(file);
  std::vector<std::string> roles;
  if (policy["methods"].contains(method)) roles = policy["methods"][method];
  return roles;
}

TEST_F(KamctlCommandTest, HelpNamesTheRolesThePolicyGives) {
  for (const CommandMethod& entry : CommandMethods()) {
    SCOPED_TRACE(entry.command);
    const std::vector<std::string> roles = RolesInPolicyFile(std::string(entry.method));
    ASSERT_THAT(roles, testing::Not(IsEmpty())) << entry.method << " is not in policy.json";
    const Result r = Kamctl(std::string(entry.command) + " --help");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_THAT(r.out, HasSubstr("\nRoles: " + absl::StrJoin(roles, ", ") + " ("));
    EXPECT_THAT(r.out, HasSubstr("Calls: " + std::string(entry.method)));
  }
  // What a director reads before approving, and what an analyst learns about the review.
  EXPECT_THAT(Kamctl("complaints approve --help").out,
              HasSubstr("Roles: director (services/gateway/policy.json)"));
  EXPECT_THAT(Kamctl("analytics tier-review run --help").out,
              HasSubstr("Roles: admin, director, system ("));
}

// Runs `script` in bash after sourcing the completion script; returns what it prints.
std::string InBash(const std::string& completion, const std::string& script) {
  const std::string path = testing::TempDir() + "kamctl_completion.bash";
  std::ofstream(path) << completion << '\n' << script << '\n';
  FILE* pipe = popen(("bash --norc --noprofile " + path).c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run bash";
    return "";
  }
  std::string out;
  char buffer[4096];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) out += buffer;
  EXPECT_EQ(pclose(pipe), 0) << out;
  return out;
}

TEST_F(KamctlCommandTest, BashCompletesGroupsCommandsAndFlags) {
  const Result script = Kamctl("completion bash");
  ASSERT_EQ(script.exit_code, 0) << script.err;
  // tab() runs the function kamctl registered, as bash does on <TAB>.
  const std::string out = InBash(script.out, R"sh(
tab() {
  COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
  "$(complete -p kamctl | sed -E 's/.* -F ([^ ]+) .*/\1/')"
  echo "${COMPREPLY[*]}"
}
echo "group: $(tab kamctl comp)"
echo "command: $(tab kamctl complaints ap)"
echo "nested: $(tab kamctl analytics tier-review "")"
echo "flag: $(tab kamctl accounts list --ti)"
echo "after a value: $(tab kamctl --token analytics tier-review r)"
echo "enum value: $(tab kamctl complaints create --severity h)"
echo "tier: $(tab kamctl accounts list --tier "")"
echo "value: [$(tab kamctl accounts list --owner "")]"
)sh");
  EXPECT_THAT(out, HasSubstr("group: complaints completion\n"));
  EXPECT_THAT(out, HasSubstr("command: approve\n"));
  EXPECT_THAT(out, HasSubstr("nested: run get list changes\n"));
  // --timeout is global: it may follow any command.
  EXPECT_THAT(out, HasSubstr("flag: --tier --timeout\n"));
  // `analytics` is --token's value, not the analytics group (whose tier-review has run).
  EXPECT_THAT(out, HasSubstr("after a value: records\n"));
  EXPECT_THAT(out, HasSubstr("enum value: high\n"));
  EXPECT_THAT(out, HasSubstr("tier: A B C D\n"));
  // Any other flag's value: nothing offered, bash falls back to file names.
  EXPECT_THAT(out, HasSubstr("value: []\n"));
}

}  // namespace
}  // namespace kam::kamctl
