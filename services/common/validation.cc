#include "services/common/validation.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/digest.h"
#include "services/common/identity.h"
#include "services/common/status.h"

namespace kam {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
// 128 bits of HMAC-SHA256 tag: plenty against forgery, and short tokens.
constexpr size_t kTagBytes = 16;
constexpr size_t kMaxTokenChars = 512;

// Decodes one UTF-8 sequence at `pos`; returns its length, or 0 when malformed.
size_t Utf8SequenceLength(std::string_view text, size_t pos, uint32_t* code_point) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  size_t length = 0;
  uint32_t value = 0;
  if (lead < 0x80) return *code_point = lead, 1;
  if ((lead & 0xE0) == 0xC0)
    length = 2, value = lead & 0x1F;
  else if ((lead & 0xF0) == 0xE0)
    length = 3, value = lead & 0x0F;
  else if ((lead & 0xF8) == 0xF0)
    length = 4, value = lead & 0x07;
  else
    return 0;
  if (pos + length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[pos + i]);
    if ((next & 0xC0) != 0x80) return 0;
    value = (value << 6) | (next & 0x3F);
  }
  static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (value < kMinForLength[length] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return 0;  // overlong, out of range or a surrogate
  }
  *code_point = value;
  return length;
}

bool IsLineBreakOrTab(uint32_t code_point) {
  return code_point == '\n' || code_point == '\r' || code_point == '\t';
}

absl::Status CheckTextOf(std::string_view field, std::string_view value, size_t max_chars,
                         bool required, bool multiline) {
  if (value.empty()) return required ? InvalidField(field, "required") : absl::OkStatus();
  size_t chars = 0;
  for (size_t pos = 0; pos < value.size();) {
    uint32_t code_point = 0;
    const size_t length = Utf8SequenceLength(value, pos, &code_point);
    if (length == 0) return InvalidField(field, "not valid UTF-8");
    const bool allowed = multiline && IsLineBreakOrTab(code_point);
    if ((code_point < 0x20 || code_point == 0x7F) && !allowed) {
      return InvalidField(field, "contains control characters");
    }
    pos += length;
    ++chars;
  }
  if (chars > max_chars) {
    return InvalidField(field, absl::StrCat("longer than ", max_chars, " characters"));
  }
  if (absl::StripAsciiWhitespace(absl::string_view(value.data(), value.size())).empty())
    return InvalidField(field, "blank");
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckText(std::string_view field, std::string_view value, size_t max_chars,
                       bool required) {
  return CheckTextOf(field, value, max_chars, required, /*multiline=*/false);
}

absl::Status CheckLongText(std::string_view field, std::string_view value, size_t max_chars,
                           bool required) {
  return CheckTextOf(field, value, max_chars, required, /*multiline=*/true);
}

absl::Status CheckToken(std::string_view field, std::string_view value, size_t max_chars,
                        bool required) {
  if (value.empty()) return required ? InvalidField(field, "required") : absl::OkStatus();
  if (value.size() > max_chars) {
    return InvalidField(field, absl::StrCat("longer than ", max_chars, " characters"));
  }
  for (char c : value) {
    if (!absl::ascii_isalnum(c) && std::string_view("._@:|+-").find(c) == std::string_view::npos) {
      return InvalidField(field, "may hold only letters, digits and . _ @ : | + -");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckEnum(std::string_view field, int value, int max_value, bool required) {
  if (value < 0 || value > max_value) return InvalidField(field, "unknown value");
  if (required && value == 0) return InvalidField(field, "required");
  return absl::OkStatus();
}

absl::StatusOr<int> NormalizePageSize(int32_t page_size) {
  if (page_size < 0) return InvalidField("page_size", "must not be negative");
  if (page_size == 0) return kDefaultPageSize;
  return std::min(page_size, kMaxPageSize);
}

std::string SealPageToken(std::string_view cursor, std::string_view key) {
  return Base64UrlEncode(HmacSha256(key, cursor).substr(0, kTagBytes) + std::string(cursor));
}

absl::StatusOr<std::string> OpenPageToken(std::string_view token, std::string_view key) {
  std::string bytes;
  if (token.size() > kMaxTokenChars || !Base64UrlDecode(token, &bytes) ||
      bytes.size() < kTagBytes) {
    return InvalidField("page_token", "not a token this service issued");
  }
  std::string cursor = bytes.substr(kTagBytes);
  if (!ConstantTimeEquals(bytes.substr(0, kTagBytes), HmacSha256(key, cursor).substr(0, kTagBytes))) {
    return InvalidField("page_token",
                        "not issued for this request: same method, filters and caller, unaltered");
  }
  return cursor;
}

std::string EncodePageToken(int64_t after_id, std::string_view key) {
  return SealPageToken(nlohmann::json{{"a", after_id}}.dump(), key);
}

absl::StatusOr<int64_t> DecodePageToken(std::string_view token, std::string_view key) {
  if (token.empty()) return 0;
  absl::StatusOr<std::string> cursor = OpenPageToken(token, key);
  if (!cursor.ok()) return cursor.status();
  const nlohmann::json parsed = nlohmann::json::parse(*cursor, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || !parsed.contains("a") || !parsed["a"].is_number_integer()) {
    return InvalidField("page_token", "not a token this service issued");
  }
  return parsed["a"].get<int64_t>();
}

}  // namespace kam
