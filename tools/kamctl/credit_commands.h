#pragma once

#include <CLI/CLI.hpp>

#include "tools/kamctl/client.h"

namespace kam::kamctl {

// Adds `credit report|reports|override`: credit investigation and the directors' override
// of the credit gate. (The rating and limit are set by `accounts set-credit`.)
void AddCreditCommands(CLI::App& app, const Options& options, Action* action);

}  // namespace kam::kamctl
