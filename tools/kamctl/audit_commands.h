#pragma once

#include <CLI/CLI.hpp>

#include "tools/kamctl/client.h"

namespace kam::kamctl {

// Adds `audit list` and `events watch`: the accounts service's audit trail and event stream.
void AddAuditCommands(CLI::App& app, const Options& options, Action* action);
void AddEventCommands(CLI::App& app, const Options& options, Action* action);

// Adds `complaints audit` and `complaints events`: the same for the complaints service.
void AddComplaintAuditCommands(CLI::App& complaints, const Options& options, Action* action);

}  // namespace kam::kamctl
