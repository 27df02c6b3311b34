#include "tools/kamctl/catalog.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_join.h"

namespace kam::kamctl {

// policy_json.cc, generated from services/gateway/policy.json.
std::string_view EmbeddedPolicyJson();

namespace {

#define KAM_ACCOUNTS "/kam.accounts.v1.AccountService/"
#define KAM_COMPLAINTS "/kam.complaints.v1.ComplaintService/"
#define KAM_ANALYTICS "/kam.analytics.v1.AnalyticsService/"
#define KAM_GATEWAY "/kam.gateway.v1.GatewayService/"

// kamctl_catalog_test checks this against the compiled service descriptors (every public
// method has a command) and against the command tree (every command here exists).
const std::vector<CommandMethod> kCommandMethods = {
    {"whoami", KAM_GATEWAY "WhoAmI"},
    {"accounts create", KAM_ACCOUNTS "CreateAccount"},
    {"accounts get", KAM_ACCOUNTS "GetAccount"},
    {"accounts list", KAM_ACCOUNTS "ListAccounts"},
    {"accounts update", KAM_ACCOUNTS "UpdateAccount"},
    {"accounts archive", KAM_ACCOUNTS "ArchiveAccount"},
    {"accounts tree", KAM_ACCOUNTS "GetGroupTree"},
    {"accounts history", KAM_ACCOUNTS "ListAccountHistory"},
    {"accounts set-tier", KAM_ACCOUNTS "SetTier"},
    {"accounts set-credit", KAM_ACCOUNTS "SetCredit"},
    {"accounts transfer", KAM_ACCOUNTS "TransferAccounts"},
    {"accounts summary", KAM_ACCOUNTS "GetGroupSummary"},
    {"accounts 360", KAM_GATEWAY "GetCustomer360"},
    {"team add", KAM_ACCOUNTS "AddTeamMember"},
    {"team remove", KAM_ACCOUNTS "RemoveTeamMember"},
    {"team list", KAM_ACCOUNTS "ListTeamMembers"},
    {"contacts create", KAM_ACCOUNTS "CreateContact"},
    {"contacts list", KAM_ACCOUNTS "ListContacts"},
    {"contacts update", KAM_ACCOUNTS "UpdateContact"},
    {"records add", KAM_ACCOUNTS "CreateContactRecord"},
    {"records timeline", KAM_ACCOUNTS "ListTimeline"},
    {"visits plan", KAM_ACCOUNTS "CreateVisitPlan"},
    {"visits list", KAM_ACCOUNTS "ListVisitPlans"},
    {"visits cancel", KAM_ACCOUNTS "CancelVisitPlan"},
    {"visits restore", KAM_ACCOUNTS "RestoreVisitPlan"},
    {"opps create", KAM_ACCOUNTS "CreateOpportunity"},
    {"opps get", KAM_ACCOUNTS "GetOpportunity"},
    {"opps list", KAM_ACCOUNTS "ListOpportunities"},
    {"opps update", KAM_ACCOUNTS "UpdateOpportunity"},
    {"opps move", KAM_ACCOUNTS "MoveOpportunity"},
    {"opps history", KAM_ACCOUNTS "ListStageChanges"},
    {"opps summary", KAM_ACCOUNTS "GetPipelineSummary"},
    {"contracts create", KAM_ACCOUNTS "CreateContract"},
    {"contracts sign", KAM_ACCOUNTS "SignContract"},
    {"contracts list", KAM_ACCOUNTS "ListContracts"},
    {"orders record", KAM_ACCOUNTS "RecordOrder"},
    {"orders import", KAM_ACCOUNTS "ImportOrders"},
    {"orders list", KAM_ACCOUNTS "ListOrders"},
    {"payments record", KAM_ACCOUNTS "RecordPayment"},
    {"payments import", KAM_ACCOUNTS "ImportPayments"},
    {"payments list", KAM_ACCOUNTS "ListPayments"},
    {"credit report", KAM_ACCOUNTS "CreateCreditReport"},
    {"credit reports", KAM_ACCOUNTS "ListCreditReports"},
    {"credit override", KAM_ACCOUNTS "GrantCreditOverride"},
    {"audit list", KAM_ACCOUNTS "ListAuditLog"},
    {"events watch", KAM_ACCOUNTS "WatchEvents"},
    {"complaints create", KAM_COMPLAINTS "CreateComplaint"},
    {"complaints get", KAM_COMPLAINTS "GetComplaint"},
    {"complaints list", KAM_COMPLAINTS "ListComplaints"},
    {"complaints queue", KAM_COMPLAINTS "ListMyQueue"},
    {"complaints history", KAM_COMPLAINTS "ListComplaintHistory"},
    {"complaints judge", KAM_COMPLAINTS "JudgeValidity"},
    {"complaints reassign", KAM_COMPLAINTS "ReassignComplaint"},
    {"complaints analyze", KAM_COMPLAINTS "AnalyzeCause"},
    {"complaints propose", KAM_COMPLAINTS "ProposeResolution"},
    {"complaints approve", KAM_COMPLAINTS "DecideResolution"},
    {"complaints reject", KAM_COMPLAINTS "DecideResolution"},
    {"complaints implement", KAM_COMPLAINTS "ImplementResolution"},
    {"complaints follow-up", KAM_COMPLAINTS "RecordFollowUp"},
    {"complaints close", KAM_COMPLAINTS "CloseComplaint"},
    {"complaints wait", KAM_COMPLAINTS "SetWaitingOnCustomer"},
    {"complaints resume", KAM_COMPLAINTS "SetWaitingOnCustomer"},
    {"complaints audit", KAM_COMPLAINTS "ListAuditLog"},
    {"complaints events", KAM_COMPLAINTS "WatchEvents"},
    {"departments list", KAM_COMPLAINTS "ListDepartments"},
    {"departments put", KAM_COMPLAINTS "PutDepartment"},
    {"analytics abc", KAM_ANALYTICS "AnalyzeAbc"},
    {"analytics composition", KAM_ANALYTICS "AnalyzeComposition"},
    {"analytics transactions", KAM_ANALYTICS "AnalyzeTransactions"},
    {"analytics product-mix", KAM_ANALYTICS "AnalyzeProductMix"},
    {"analytics products", KAM_ANALYTICS "AnalyzeProducts"},
    {"analytics score", KAM_ANALYTICS "ScoreAccounts"},
    {"analytics retention", KAM_ANALYTICS "AnalyzeRetention"},
    {"analytics pipeline", KAM_ANALYTICS "AnalyzePipeline"},
    {"analytics complaints", KAM_ANALYTICS "AnalyzeComplaints"},
    {"analytics scorecard", KAM_ANALYTICS "GetManagerScorecard"},
    {"analytics standing", KAM_ANALYTICS "GetAccountStanding"},
    {"analytics tier-review run", KAM_ANALYTICS "RunTierReview"},
    {"analytics tier-review get", KAM_ANALYTICS "GetTierReview"},
    {"analytics tier-review list", KAM_ANALYTICS "ListTierReviews"},
    {"analytics tier-review changes", KAM_ANALYTICS "ListTierChanges"},
    {"analytics inventory-put", KAM_ANALYTICS "PutInventorySnapshots"},
    {"analytics targets-put", KAM_ANALYTICS "PutAccountTargets"},
};

#undef KAM_ACCOUNTS
#undef KAM_COMPLAINTS
#undef KAM_ANALYTICS
#undef KAM_GATEWAY

// The "methods" object of the embedded policy, parsed once.
const nlohmann::json& PolicyMethods() {
  static const nlohmann::json* methods = [] {
    nlohmann::json policy = nlohmann::json::parse(EmbeddedPolicyJson(), nullptr, false);
    auto* found = new nlohmann::json(nlohmann::json::object());
    if (policy.is_object() && policy.contains("methods") && policy["methods"].is_object()) {
      *found = policy["methods"];
    }
    return found;
  }();
  return *methods;
}

}  // namespace

const std::vector<CommandMethod>& CommandMethods() { return kCommandMethods; }

std::vector<std::string> PolicyRoles(std::string_view method) {
  std::vector<std::string> roles;
  const nlohmann::json& methods = PolicyMethods();
  auto it = methods.find(std::string(method));
  if (it == methods.end() || !it->is_array()) return roles;
  for (const nlohmann::json& role : *it) {
    if (role.is_string()) roles.push_back(role.get<std::string>());
  }
  return roles;
}

CLI::App* FindCommand(CLI::App& app, std::string_view path) {
  CLI::App* command = &app;
  std::istringstream words{std::string(path)};
  for (std::string name; words >> name;) {
    CLI::App* next = nullptr;
    for (CLI::App* sub : command->get_subcommands({})) {
      if (sub->get_name() == name) next = sub;
    }
    if (next == nullptr) return nullptr;
    command = next;
  }
  return command;
}

void AddRolesToHelp(CLI::App& app) {
  for (const CommandMethod& entry : kCommandMethods) {
    CLI::App* command = FindCommand(app, entry.command);
    if (command == nullptr) continue;  // kamctl_catalog_test names it
    const std::vector<std::string> roles = PolicyRoles(entry.method);
    // The policy the gateway ships with; a deployment may run another.
    const std::string who = roles.empty() ? "none (not in the gateway policy: always denied)"
                                          : absl::StrJoin(roles, ", ");
    command->footer("Roles: " + who +
                    " (services/gateway/policy.json)\nCalls: " + std::string(entry.method));
  }
}

}  // namespace kam::kamctl
