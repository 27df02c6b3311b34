#pragma once

#include <string>

namespace kam::testing {

// A fresh RSA-2048 key pair as PEM text, generated with OpenSSL so no key file is committed.
struct RsaKeyPair {
  std::string private_pem;  // PKCS#8 "BEGIN PRIVATE KEY"
  std::string public_pem;   // "BEGIN PUBLIC KEY"
};
RsaKeyPair GenerateRsaKeyPair();

// The raw RS256 signature of `data`, for forging tokens with any header and claims.
std::string SignRs256(const std::string& private_pem, const std::string& data);

}  // namespace kam::testing
