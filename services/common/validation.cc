#include "services/common/validation.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/identity.h"
#include "services/common/status.h"

namespace kam {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
// A digest prefix is plenty to tell queries apart and keeps tokens short.
constexpr size_t kDigestChars = 16;

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

std::string EncodePageToken(int64_t after_id, std::string_view query_digest) {
  const nlohmann::json token = {{"a", after_id}, {"q", query_digest.substr(0, kDigestChars)}};
  return Base64UrlEncode(token.dump());
}

absl::StatusOr<int64_t> DecodePageToken(std::string_view token, std::string_view query_digest) {
  if (token.empty()) return 0;
  std::string text;
  if (token.size() > 512 || !Base64UrlDecode(token, &text)) {
    return InvalidField("page_token", "not a token this service issued");
  }
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || !parsed.contains("a") || !parsed["a"].is_number_integer() ||
      !parsed.contains("q") || !parsed["q"].is_string()) {
    return InvalidField("page_token", "not a token this service issued");
  }
  if (parsed["q"].get<std::string>() != query_digest.substr(0, kDigestChars)) {
    return InvalidField("page_token", "belongs to a request with other filters");
  }
  return parsed["a"].get<int64_t>();
}

}  // namespace kam
