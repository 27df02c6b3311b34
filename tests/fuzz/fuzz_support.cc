#include "tests/fuzz/fuzz_support.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "services/common/digest.h"
#include "services/common/identity.h"

namespace kam::fuzz {

std::pair<std::string_view, std::string_view> SplitOnce(std::string_view text, char separator) {
  const size_t at = text.find(separator);
  if (at == std::string_view::npos) return {text, {}};
  return {text.substr(0, at), text.substr(at + 1)};
}

uint8_t TakeByte(std::string_view& text) {
  if (text.empty()) return 0;
  const auto byte = static_cast<uint8_t>(text.front());
  text.remove_prefix(1);
  return byte;
}

absl::Time FixedNow() { return absl::FromUnixSeconds(1'790'000'000); }  // 2026-09-21

std::string SignHs256(std::string_view header, std::string_view payload,
                      std::string_view secret) {
  const std::string signing_input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  return signing_input + "." + Base64UrlEncode(HmacSha256(secret, signing_input));
}

std::string SignRs256(std::string_view header, std::string_view payload) {
  const std::string signing_input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  return signing_input + "." +
         Base64UrlEncode(kam::testing::SignRs256(FuzzRsaKeys().private_pem, signing_input));
}

const kam::testing::RsaKeyPair& FuzzRsaKeys() {
  static const auto* keys = new kam::testing::RsaKeyPair(kam::testing::GenerateRsaKeyPair());
  return *keys;
}

void Fail(std::string_view what) {
  std::fprintf(stderr, "FUZZ PROPERTY BROKEN: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

void ExpectOkOr(const absl::Status& status, absl::StatusCode expected, std::string_view where) {
  if (status.ok() || status.code() == expected) return;
  Fail(std::string(where) + ": unexpected " + status.ToString());
}

void ExpectNotEchoed(const absl::Status& status, std::string_view secret, std::string_view where) {
  // Short fragments occur in ordinary words; only a credential-sized one proves an echo.
  constexpr size_t kShortest = 16;
  if (status.ok() || secret.size() < kShortest) return;
  const std::string message(status.message());
  if (message.find(secret) != std::string::npos) {
    Fail(std::string(where) + ": the error message echoes the credential");
  }
}

void QuietLogs() { spdlog::set_level(spdlog::level::off); }

}  // namespace kam::fuzz
