#pragma once

#include <string>
#include <vector>

#include "tests/reliability/scenario_report.h"

namespace kam::reliability {

// The hard gate "crashes" for the running KamStack: each service process that is no longer
// running, and each sanitizer report (AddressSanitizer, LeakSanitizer, UndefinedBehavior
// "runtime error:") in any service's log, counts one. The offending log lines go into the
// report's failed checks so the failure names them.
void GateCrashes(ScenarioReport& report);

// Sanitizer report lines in the log at `path` (empty when none or unreadable).
std::vector<std::string> SanitizerReports(const std::string& path);

}  // namespace kam::reliability
