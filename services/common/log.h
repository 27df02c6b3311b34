#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace kam {

// Routes spdlog to JSON lines on stderr: {"ts","level","service","msg",...fields}.
void InitLogging(std::string_view service);

// Each writes one JSON line. Fields must never hold tokens, passwords or personal data.
void LogInfo(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());
void LogWarn(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());
void LogError(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());

}  // namespace kam
