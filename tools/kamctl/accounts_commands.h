#pragma once

#include <CLI/CLI.hpp>

#include "tools/kamctl/client.h"

namespace kam::kamctl {

// Adds `accounts create|get|list|update|archive|tree` and the control commands below, which
// call kam.accounts.v1.AccountService through the gateway. The subcommand given sets
// `*action`.
void AddAccountCommands(CLI::App& app, const Options& options, Action* action);

// Adds `history|set-tier|set-credit|transfer|summary` to the `accounts` command: tier,
// ownership, credit and the group summary.
void AddAccountControlCommands(CLI::App& accounts, const Options& options, Action* action);
// accounts 360 (customer360_command.cc).
void AddCustomer360Command(CLI::App& accounts, const Options& options, Action* action);

}  // namespace kam::kamctl
