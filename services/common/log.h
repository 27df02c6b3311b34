#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace kam {

// Routes spdlog to JSON lines on stderr: {"ts","level","service","msg",...fields}.
// Lines are buffered: written when 64 KiB have gathered, at least every second, at once for a
// warning or an error (with everything before it), and at exit. A crash can lose up to a
// second of info lines, never a warning or an error.
void InitLogging(std::string_view service);

// Each writes one JSON line. Fields must never hold tokens, passwords or personal data.
void LogInfo(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());
void LogWarn(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());
void LogError(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());

// The access-log line of one call, {"ts","level":"info","service","msg":"rpc","code",
// "method","ms","request_id"}: the same line as LogInfo("rpc", {...}) without building a
// JSON object (it is written once per call).
void LogRpc(std::string_view method, std::string_view code, double ms, std::string_view request_id);

}  // namespace kam
