#pragma once

#include <CLI/CLI.hpp>

#include "tools/kamctl/client.h"

namespace kam::kamctl {

// Adds `contracts create|sign|list`.
void AddContractCommands(CLI::App& app, const Options& options, Action* action);

// Adds `orders record|import|list` and `payments record|import|list`.
void AddOrderCommands(CLI::App& app, const Options& options, Action* action);
void AddPaymentCommands(CLI::App& app, const Options& options, Action* action);

}  // namespace kam::kamctl
