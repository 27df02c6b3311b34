#pragma once

#include <CLI/CLI.hpp>

#include "tools/kamctl/client.h"

namespace kam::kamctl {

// Adds `team add|remove|list`: the members of an account team.
void AddTeamCommands(CLI::App& app, const Options& options, Action* action);

}  // namespace kam::kamctl
