#pragma once

#include <CLI/CLI.hpp>

#include "tools/kamctl/client.h"

namespace kam::kamctl {

// Adds `contacts create|list|update`, which call kam.accounts.v1.AccountService through the
// gateway. The subcommand given sets `*action`.
void AddContactCommands(CLI::App& app, const Options& options, Action* action);

}  // namespace kam::kamctl
