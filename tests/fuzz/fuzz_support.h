#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tests/unit/rsa_test_keys.h"

// What the fuzz targets share: reading their input, signing what the fuzzer wrote so that
// it gets past signature checks into the parsers behind them, and stopping on a property
// that does not hold (libFuzzer reports the abort and keeps the input as a crash).
namespace kam::fuzz {

// The whole input as text.
inline std::string_view AsText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Splits `text` at the first `separator`: (before, after); (text, "") when there is none.
std::pair<std::string_view, std::string_view> SplitOnce(std::string_view text, char separator);

// Takes the first byte of `text` (0 when empty) and removes it.
uint8_t TakeByte(std::string_view& text);

// A fixed "now" for every target, so that a crash input replays the same way later.
absl::Time FixedNow();

// A compact JWS "<b64 header>.<b64 payload>.<b64 HS256 signature>" over the fuzzer's header
// and payload text, signed with `secret`: the verifier's claims checks see fuzzed JSON.
std::string SignHs256(std::string_view header, std::string_view payload, std::string_view secret);
// The same signed with the process's RSA-2048 key (FuzzRsaKeys), header kid or not as given.
std::string SignRs256(std::string_view header, std::string_view payload);
// One RSA key pair per process, generated at first use (no key file is committed).
const kam::testing::RsaKeyPair& FuzzRsaKeys();

// Prints `what` and aborts: a broken property is a finding like a crash.
[[noreturn]] void Fail(std::string_view what);
// Fails unless `status` is OK or has code `expected`.
void ExpectOkOr(const absl::Status& status, absl::StatusCode expected, std::string_view where);
// Fails when an error message repeats `secret` (credentials are never echoed).
void ExpectNotEchoed(const absl::Status& status, std::string_view secret, std::string_view where);

// Logging off: the services log every refused call, which would drown libFuzzer's output.
void QuietLogs();

}  // namespace kam::fuzz
