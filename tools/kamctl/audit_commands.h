#pragma once

#include <CLI/CLI.hpp>

#include "tools/kamctl/client.h"

namespace kam::kamctl {

// Adds `audit list` (directors, admins) and `events watch` (system callers, admins).
void AddAuditCommands(CLI::App& app, const Options& options, Action* action);
void AddEventCommands(CLI::App& app, const Options& options, Action* action);

}  // namespace kam::kamctl
