#pragma once

#include <CLI/CLI.hpp>

#include "tools/kamctl/client.h"

namespace kam::kamctl {

// Adds `complaints create|get|list|queue|history` and the steps of the handling procedure
// (judge, reassign, analyze, propose, approve, reject, implement, follow-up, close, wait,
// resume), the audit trail and the event stream (audit, events): the complaints service
// through the gateway.
void AddComplaintCommands(CLI::App& app, const Options& options, Action* action);

// Adds `departments list|put`: the handling departments complaints are routed to.
void AddDepartmentCommands(CLI::App& app, const Options& options, Action* action);

// The procedure steps of `complaints` (complaint_steps_commands.cc).
void AddComplaintStepCommands(CLI::App& complaints, const Options& options, Action* action);

}  // namespace kam::kamctl
