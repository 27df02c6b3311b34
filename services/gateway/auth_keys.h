#pragma once

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "services/common/identity.h"
#include "services/common/jwt.h"

// Reading the Authenticator's key files (formats in POLICY.md "Authentication"). Errors are
// INVALID_ARGUMENT naming the file and the problem, never quoting the file's contents.
namespace kam::gateway {

// RS256 public keys from every "<kid>.pem" in a directory. Names starting with "." (a
// Kubernetes Secret's ..data links) and files not ending in ".pem" are ignored; a kid must be
// 1-64 of [A-Za-z0-9._-] and not "hs256".
struct PublicKeysDir {
  Rs256PublicKeys keys;
  std::string fingerprint;  // changes whenever a key, its name or the set changes
};
absl::StatusOr<PublicKeysDir> LoadPublicKeysDir(const std::string& dir);

// Static API keys, by the lowercase hex SHA-256 of the key: {"keys": [{"sha256", "subject",
// "roles": [...], "department" (optional)}]}.
struct ApiKeysFile {
  absl::flat_hash_map<std::string, Principal> by_hash;
  std::string fingerprint;
};
absl::StatusOr<ApiKeysFile> LoadApiKeysFile(const std::string& path);
absl::StatusOr<ApiKeysFile> ParseApiKeys(std::string_view text, const std::string& path);

// Lowercase hex SHA-256: how API keys are stored and compared.
std::string ApiKeyHash(std::string_view key);

}  // namespace kam::gateway
