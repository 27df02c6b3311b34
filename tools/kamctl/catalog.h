#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

// Which gRPC method each kamctl command calls, and the roles the gateway's policy gives it.
namespace kam::kamctl {

struct CommandMethod {
  // The command as typed after `kamctl`, e.g. "accounts list".
  std::string_view command;
  // The full gRPC method it calls, as in the gateway's policy:
  // "/kam.accounts.v1.AccountService/ListAccounts".
  std::string_view method;
};

// Every command that calls the API (a method may have several: complaints approve and reject
// both call DecideResolution). Commands that call nothing (token, apikey, completion) are not
// in it.
const std::vector<CommandMethod>& CommandMethods();

// The roles services/gateway/policy.json (embedded at build time) lets call `method`, in the
// policy's order; empty when the policy does not name it.
std::vector<std::string> PolicyRoles(std::string_view method);

// The command at `path` ("accounts list") below `app`, or nullptr.
CLI::App* FindCommand(CLI::App& app, std::string_view path);

// Ends the help of every command in CommandMethods() with the roles that may run it and the
// method it calls. Call after the commands are added.
void AddRolesToHelp(CLI::App& app);

}  // namespace kam::kamctl
