#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "tools/kamctl/client.h"

namespace kam::kamctl {

// A bash completion script for the command tree below `app` (its subcommands and their
// flags, nested; the root's options everywhere, as they may follow any command; the values of
// enum flags). It defines the function _kamctl and registers it for `kamctl`.
std::string BashCompletion(CLI::App& app);

// `completion bash|zsh`: prints the script for `app`, which must outlive the action. zsh
// gets the bash script behind bashcompinit.
void AddCompletionCommand(CLI::App& app, Action* action);

}  // namespace kam::kamctl
