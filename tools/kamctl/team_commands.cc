#include "tools/kamctl/team_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "tools/kamctl/field_flags.h"
#include "tools/kamctl/service_calls.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::accounts::v1;
using Stub = AccountStub;

void PrintMember(const v1::TeamMember& m) {
  PrintFields({{"account", std::to_string(m.account_id())},
               {"member", m.member_id()},
               {"role", EnumLabel(v1::TeamRole_descriptor(), m.role())},
               {"added", FormatTime(m.add_time())}});
}

void PrintMembers(const v1::ListTeamMembersResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::TeamMember& m : response.members()) {
    rows.push_back(
        {m.member_id(), EnumLabel(v1::TeamRole_descriptor(), m.role()), FormatTime(m.add_time())});
  }
  PrintTable({"MEMBER", "ROLE", "ADDED"}, rows);
}

struct MemberFlags {
  int64_t account = 0;
  std::string member, role, request_id;
};

std::shared_ptr<MemberFlags> AddMemberArguments(CLI::App* command) {
  auto flags = std::make_shared<MemberFlags>();
  AddIdOption(command, "account", &flags->account, "account id");
  command->add_option("member", flags->member, "user id of the team member")->required();
  AddRequestIdFlag(command, &flags->request_id);
  return flags;
}

void AddAddMember(CLI::App& team, const Options& options, Action* action) {
  CLI::App* command = team.add_subcommand(
      "add", "Add a member to an account team, or change their role (owner, directors)");
  auto flags = AddMemberArguments(command);
  command->add_option("--role", flags->role, "what they do for the account")
      ->required()
      ->check(EnumValidator(v1::TeamRole_descriptor()));
  OnRun(command, action, [&options, flags] {
    v1::AddTeamMemberRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    request.mutable_member()->set_account_id(flags->account);
    request.mutable_member()->set_member_id(flags->member);
    request.mutable_member()->set_role(
        EnumOf<v1::TeamRole>(v1::TeamRole_descriptor(), flags->role));
    return Mutate(options, &Stub::AddTeamMember, request,
                  [](const auto& r) { PrintMember(r.member()); });
  });
}

void AddRemoveMember(CLI::App& team, const Options& options, Action* action) {
  CLI::App* command =
      team.add_subcommand("remove", "Remove a member from an account team; they lose access");
  auto flags = AddMemberArguments(command);
  OnRun(command, action, [&options, flags] {
    v1::RemoveTeamMemberRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    request.set_account_id(flags->account);
    request.set_member_id(flags->member);
    return Mutate(options, &Stub::RemoveTeamMember, request, [flags](const auto&) {
      std::cout << "removed " << Printable(flags->member) << " from the team of account "
                << flags->account << '\n';
    });
  });
}

void AddListMembers(CLI::App& team, const Options& options, Action* action) {
  CLI::App* command = team.add_subcommand("list", "List an account team");
  auto account = std::make_shared<int64_t>();
  AddIdOption(command, "account", account.get(), "account id");
  OnRun(command, action, [&options, account] {
    v1::ListTeamMembersRequest request;
    request.set_account_id(*account);
    return Query(options, &Stub::ListTeamMembers, request, PrintMembers);
  });
}

}  // namespace

void AddTeamCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* team = app.add_subcommand("team", "Account teams: who serves an account, and how");
  team->require_subcommand(1);
  AddAddMember(*team, options, action);
  AddRemoveMember(*team, options, action);
  AddListMembers(*team, options, action);
}

}  // namespace kam::kamctl
