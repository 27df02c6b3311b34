#pragma once

#include <CLI/CLI.hpp>

#include "tools/kamctl/client.h"

namespace kam::kamctl {

// Adds `opps create|get|list|update|move|history|summary`: the six-stage sales pipeline.
void AddOpportunityCommands(CLI::App& app, const Options& options, Action* action);

}  // namespace kam::kamctl
