#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "kam/gateway/v1/gateway.grpc.pb.h"
#include "tools/kamctl/accounts_commands.h"
#include "tools/kamctl/analytics_printers.h"
#include "tools/kamctl/field_flags.h"
#include "tools/kamctl/output.h"
#include "tools/kamctl/printers.h"
#include "tools/kamctl/service_calls.h"

// kamctl accounts 360 <id>: the gateway's customer 360 view on one page, each section under
// its heading, and the sections the answer lacks with the reason.
namespace kam::kamctl {
namespace {

namespace v1 = kam::gateway::v1;
namespace accounts_v1 = kam::accounts::v1;
namespace complaints_v1 = kam::complaints::v1;
using GatewayStub = v1::GatewayService::Stub;

void Heading(const std::string& title) { std::cout << '\n' << title << '\n'; }

bool IsMissing(const v1::GetCustomer360Response& r, v1::Customer360Section section) {
  for (const v1::MissingSection& missing : r.missing()) {
    if (missing.section() == section) return true;
  }
  return false;
}

std::string MoreRows(bool truncated) { return truncated ? " (first 100)" : ""; }

void PrintGroupPath(const v1::GetCustomer360Response& r) {
  if (IsMissing(r, v1::CUSTOMER360_SECTION_GROUP_PATH)) return;
  std::vector<std::string> names;
  for (const accounts_v1::GroupNode& node : r.group_path()) {
    names.push_back(node.name().empty() ? absl::StrCat("#", node.account_id())
                                        : Printable(node.name()));
  }
  names.push_back(Printable(r.account().name()));
  Heading("Group");
  // The path holds ancestors only: a group's top company has none either, so an empty path
  // says "no parent", not "standalone".
  std::cout << (r.group_path().empty() ? "no parent company" : absl::StrJoin(names, " > "))
            << '\n';
}

void PrintContacts(const v1::GetCustomer360Response& r) {
  if (IsMissing(r, v1::CUSTOMER360_SECTION_CONTACTS)) return;
  Heading(absl::StrCat("Contacts: ", r.contacts_size(), MoreRows(r.contacts_truncated())));
  std::vector<std::vector<std::string>> rows;
  for (const accounts_v1::Contact& c : r.contacts()) {
    rows.push_back({std::to_string(c.id()), Printable(c.name()), Printable(c.title()),
                    Printable(c.phone()), Printable(c.email()),
                    EnumLabel(accounts_v1::BuyingRole_descriptor(), c.buying_role())});
  }
  if (!rows.empty()) PrintTable({"id", "name", "title", "phone", "email", "role"}, rows);
}

void PrintOpportunities(const v1::GetCustomer360Response& r) {
  if (IsMissing(r, v1::CUSTOMER360_SECTION_OPPORTUNITIES)) return;
  Heading(absl::StrCat("Open opportunities: ", r.open_opportunities_size(),
                       MoreRows(r.opportunities_truncated()), "; weighted pipeline ",
                       Amount(r.pipeline().weighted_amount()), " of ",
                       Amount(r.pipeline().open_amount())));
  std::vector<std::vector<std::string>> rows;
  for (const accounts_v1::Opportunity& o : r.open_opportunities()) {
    rows.push_back({std::to_string(o.id()), Printable(o.name()),
                    EnumLabel(accounts_v1::Stage_descriptor(), o.stage()), Amount(o.amount()),
                    absl::StrCat(o.probability_percent(), "%")});
  }
  if (!rows.empty()) PrintTable({"id", "name", "stage", "amount", "probability"}, rows, "...rr");
}

void PrintComplaints(const v1::GetCustomer360Response& r) {
  if (IsMissing(r, v1::CUSTOMER360_SECTION_COMPLAINTS)) return;
  Heading(absl::StrCat("Open complaints: ", r.open_complaints_size(),
                       MoreRows(r.complaints_truncated())));
  std::vector<std::vector<std::string>> rows;
  for (const complaints_v1::Complaint& c : r.open_complaints()) {
    rows.push_back({std::to_string(c.id()), EnumLabel(complaints_v1::State_descriptor(), c.state()),
                    EnumLabel(complaints_v1::Severity_descriptor(), c.severity()),
                    EnumLabel(complaints_v1::SlaStatus_descriptor(), c.judgment_sla().status()),
                    EnumLabel(complaints_v1::SlaStatus_descriptor(), c.resolution_sla().status()),
                    FormatTime(c.resolution_sla().due_time())});
  }
  if (!rows.empty()) {
    PrintTable({"id", "state", "severity", "judgment sla", "resolution sla", "resolution due"},
               rows);
  }
}

void PrintStanding(const v1::GetCustomer360Response& r) {
  if (IsMissing(r, v1::CUSTOMER360_SECTION_ANALYTICS)) return;
  const kam::analytics::v1::GetAccountStandingResponse& s = r.standing();
  Heading(absl::StrCat("Standing (", s.period(), ", among ", s.accounts(), " accounts)"));
  PrintFields(
      {{"abc class", EnumLabel(kam::analytics::v1::AbcClass_descriptor(), s.abc().abc_class())},
       {"revenue", absl::StrCat(Amount(s.abc().revenue()), " (rank ", s.abc().rank(), ")")},
       {"share", absl::StrFormat("%.2f%% (cumulative %.2f%%)", s.abc().share() * 100,
                                 s.abc().cumulative_share() * 100)},
       {"score", absl::StrFormat("%.3f (rank %d)", s.score().score(), s.score().rank())}});
}

void PrintMissing(const v1::GetCustomer360Response& r) {
  if (r.missing().empty()) return;
  Heading("Missing sections");
  std::vector<std::vector<std::string>> rows;
  for (const v1::MissingSection& m : r.missing()) {
    rows.push_back({EnumLabel(v1::Customer360Section_descriptor(), m.section()), m.code(),
                    Printable(m.reason())});
  }
  PrintTable({"section", "code", "reason"}, rows);
}

void PrintCustomer360(const v1::GetCustomer360Response& r) {
  if (!IsMissing(r, v1::CUSTOMER360_SECTION_ACCOUNT)) PrintAccount(r.account());
  PrintGroupPath(r);
  PrintContacts(r);
  PrintOpportunities(r);
  PrintComplaints(r);
  PrintStanding(r);
  PrintMissing(r);
}

}  // namespace

void AddCustomer360Command(CLI::App& accounts, const Options& options, Action* action) {
  CLI::App* command = accounts.add_subcommand(
      "360",
      "Everything about one customer: account, group, contacts, pipeline, complaints, "
      "standing");
  auto id = std::make_shared<int64_t>();
  AddIdOption(command, "id", id.get(), "account id");
  OnRun(command, action, [&options, id] {
    v1::GetCustomer360Request request;
    request.set_account_id(*id);
    return Query(options, &GatewayStub::GetCustomer360, request, PrintCustomer360);
  });
}

}  // namespace kam::kamctl
