#include "services/common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace kam {
namespace {

std::string& ServiceName() {
  static auto* name = new std::string("kam");
  return *name;
}

void Write(spdlog::level::level_enum level, std::string_view level_name, std::string_view msg,
           const nlohmann::json& fields) {
  // Ordered so that every line starts with the same four keys, whatever the fields are.
  nlohmann::ordered_json line = {
      {"ts", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone())},
      {"level", level_name},
      {"service", ServiceName()},
      {"msg", msg}};
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) line[key] = value;
  }
  // Invalid UTF-8 from a client must not throw from inside a log call.
  spdlog::log(level, "{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

void InitLogging(std::string_view service) {
  ServiceName() = std::string(service);
  auto logger = spdlog::stderr_logger_mt("kam");
  logger->set_pattern("%v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void LogInfo(std::string_view msg, const nlohmann::json& fields) {
  Write(spdlog::level::info, "info", msg, fields);
}
void LogWarn(std::string_view msg, const nlohmann::json& fields) {
  Write(spdlog::level::warn, "warn", msg, fields);
}
void LogError(std::string_view msg, const nlohmann::json& fields) {
  Write(spdlog::level::err, "error", msg, fields);
}

}  // namespace kam
