#pragma once

#include <string>
#include <string_view>

namespace kam {

// Lowercase hex SHA-256. Static API keys are stored and compared as this (never the key).
std::string Sha256Hex(std::string_view data);

// HMAC-SHA256 of `data` under `key`: 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);

}  // namespace kam
