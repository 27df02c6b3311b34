#include "tests/reliability/stack_checks.h"

#include <fstream>

#include "tests/e2e/kam_stack.h"

namespace kam::reliability {

std::vector<std::string> SanitizerReports(const std::string& path) {
  std::vector<std::string> found;
  std::ifstream log(path);
  std::string line;
  while (std::getline(log, line)) {
    if (line.find("ERROR: AddressSanitizer") != std::string::npos ||
        line.find("ERROR: LeakSanitizer") != std::string::npos ||
        line.find("runtime error:") != std::string::npos) {
      found.push_back(line);
    }
  }
  return found;
}

void GateCrashes(ScenarioReport& report) {
  for (const e2e::ServiceProcess& service : e2e::KamStack::Get().services()) {
    const bool running = service.process != nullptr && service.process->Running();
    report.Gate("crashes", running ? 0 : 1);
    report.Check(service.name + " still running", running);
    const std::vector<std::string> reports = SanitizerReports(service.log_path);
    report.Gate("crashes", static_cast<int64_t>(reports.size()));
    for (const std::string& line : reports) report.Check(service.name + " sanitizer", false, line);
  }
}

}  // namespace kam::reliability
