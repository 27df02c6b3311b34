#pragma once

#include <string>
#include <string_view>

namespace kam {

// Lowercase hex SHA-256. Static API keys are stored and compared as this (never the key).
std::string Sha256Hex(std::string_view data);

}  // namespace kam
