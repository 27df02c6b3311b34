#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kam {

// Free text from a client: valid UTF-8, no control characters, at most max_chars code
// points, non-empty when required. Errors name `field`.
absl::Status CheckText(std::string_view field, std::string_view value, size_t max_chars,
                       bool required);

// CheckText for prose (descriptions, causes, reasons): also allows line breaks and tabs.
absl::Status CheckLongText(std::string_view field, std::string_view value, size_t max_chars,
                           bool required);

// Longest user or machine id (JWT "sub", owner ids, audit actors).
inline constexpr size_t kMaxSubjectChars = 128;

// Identifiers such as subjects and owner ids: 1..max_chars of [A-Za-z0-9._@:|+-] (the
// characters identity providers use in subjects, e.g. "auth0|5f7c").
absl::Status CheckToken(std::string_view field, std::string_view value, size_t max_chars,
                        bool required);

// An enum value from the wire: proto3 accepts unknown numbers, we do not.
absl::Status CheckEnum(std::string_view field, int value, int max_value, bool required);

// AIP-158 page size: 0 means 50, above 500 is clamped to 500, negative is INVALID_ARGUMENT.
absl::StatusOr<int> NormalizePageSize(int32_t page_size);

// An opaque page token: base64url of a 16-byte tag (HMAC-SHA256 of the cursor under `key`,
// normally PageTokenKey) followed by the cursor. A token made with another key (another
// method, filters or caller) or changed in any byte does not open.
std::string SealPageToken(std::string_view cursor, std::string_view key);
// The cursor sealed in `token`; INVALID_ARGUMENT on page_token when it does not open.
absl::StatusOr<std::string> OpenPageToken(std::string_view token, std::string_view key);

// A keyset page token: the last id served, sealed with `key`.
std::string EncodePageToken(int64_t after_id, std::string_view key);
// INVALID_ARGUMENT on page_token if garbled, altered or made with another key; "" decodes to 0.
absl::StatusOr<int64_t> DecodePageToken(std::string_view token, std::string_view key);

}  // namespace kam
