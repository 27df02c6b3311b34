#pragma once

#include <string>
#include <string_view>

namespace kam {

// Contact details shown to roles that do not work with the customer directly (handlers,
// analysts): enough to recognise a number or an address, not to call or write.
// "13812345678" -> "138****5678"; numbers under 8 characters -> "****".
std::string MaskPhone(std::string_view phone);
// "zhang@example.com" -> "z***@example.com" (the whole first UTF-8 character); no '@' -> "***".
std::string MaskEmail(std::string_view email);

}  // namespace kam
