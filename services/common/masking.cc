#include "services/common/masking.h"

#include "absl/strings/str_cat.h"

namespace kam {

// "13812345678" -> "138****5678"; shorter numbers are masked whole.
std::string MaskPhone(std::string_view phone) {
  if (phone.empty()) return "";
  if (phone.size() < 8) return "****";
  return absl::StrCat(std::string(phone.substr(0, 3)), "****",
                      std::string(phone.substr(phone.size() - 4)));
}

// "zhang@example.com" -> "z***@example.com".
std::string MaskEmail(std::string_view email) {
  if (email.empty()) return "";
  const size_t at = email.rfind('@');
  if (at == std::string_view::npos || at == 0) return "***";
  // The whole first character: cutting a multi-byte UTF-8 sequence would make the response
  // invalid UTF-8, which clients refuse to parse.
  const unsigned char lead = static_cast<unsigned char>(email[0]);
  const size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
  if (length > at) return absl::StrCat("***", std::string(email.substr(at)));
  return absl::StrCat(std::string(email.substr(0, length)), "***", std::string(email.substr(at)));
}

}  // namespace kam
