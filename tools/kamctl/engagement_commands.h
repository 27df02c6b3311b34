#pragma once

#include <CLI/CLI.hpp>

#include "tools/kamctl/client.h"

namespace kam::kamctl {

// Adds `records add|timeline`: contact records (visits, calls, meetings, ...).
void AddRecordCommands(CLI::App& app, const Options& options, Action* action);

// Adds `visits plan|list|cancel|restore`: the visit plan.
void AddVisitCommands(CLI::App& app, const Options& options, Action* action);

}  // namespace kam::kamctl
