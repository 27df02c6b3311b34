#include "services/gateway/auth_keys.h"

#include <openssl/sha.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/common/validation.h"

namespace kam::gateway {
namespace {

using nlohmann::json;

// Far above any real PEM public key or API keys file; stops a mistaken mount of a huge file.
constexpr std::uintmax_t kMaxKeyFileBytes = 1 << 20;

absl::Status FileError(const std::string& path, std::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::string(problem)));
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) return FileError(path, "cannot be read");
  if (size > kMaxKeyFileBytes) return FileError(path, "larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return FileError(path, "cannot be read");
  return text.str();
}

bool IsUsableKeyId(std::string_view kid) {
  if (kid.empty() || kid.size() > 64 || kid == kHs256KeyId) return false;
  for (char c : kid) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

absl::Status AddPublicKey(const std::filesystem::path& file, PublicKeysDir* loaded) {
  const std::string kid = file.stem().string();
  if (!IsUsableKeyId(kid)) {
    return FileError(file.string(),
                     "the kid (file name) must be 1-64 of [A-Za-z0-9._-], not hs256");
  }
  absl::StatusOr<std::string> pem = ReadSmallFile(file.string());
  if (!pem.ok()) return pem.status();
  absl::StatusOr<std::shared_ptr<const RsaPublicKey>> key = RsaPublicKey::FromPem(*pem);
  if (!key.ok()) return FileError(file.string(), std::string(key.status().message()));
  loaded->keys.emplace(kid, *std::move(key));
  // Public keys are not secret: their text is a fine change detector.
  absl::StrAppend(&loaded->fingerprint, kid, "\n", *pem, "\n");
  return absl::OkStatus();
}

absl::Status EntryError(const std::string& path, size_t index, std::string_view problem) {
  return FileError(path, absl::StrCat("keys[", index, "]", std::string(problem)));
}

absl::Status AddApiKey(const json& entry, size_t index, const std::string& path,
                       ApiKeysFile* loaded) {
  if (!entry.is_object()) return EntryError(path, index, " must be an object");
  for (const auto& [name, value] : entry.items()) {
    if (name != "sha256" && name != "subject" && name != "roles" && name != "department") {
      return EntryError(path, index, absl::StrCat(": unknown field ", name));
    }
  }
  const auto hash = entry.find("sha256");
  if (hash == entry.end() || !hash->is_string() ||
      hash->get_ref<const std::string&>().size() != 64 ||
      !std::all_of(hash->get_ref<const std::string&>().begin(),
                   hash->get_ref<const std::string&>().end(),
                   [](char c) { return absl::ascii_isxdigit(c); })) {
    return EntryError(path, index, ".sha256 must be 64 hex digits");
  }
  Principal principal;
  const auto subject = entry.find("subject");
  if (subject == entry.end() || !subject->is_string() ||
      !CheckToken("subject", subject->get_ref<const std::string&>(), kMaxSubjectChars, true).ok()) {
    return EntryError(path, index, ".subject must be 1-128 of [A-Za-z0-9._@:|+-]");
  }
  principal.subject = subject->get<std::string>();
  const auto roles = entry.find("roles");
  if (roles == entry.end() || !roles->is_array() || roles->empty()) {
    return EntryError(path, index, ".roles must be a non-empty array");
  }
  for (const auto& role : *roles) {
    if (!role.is_string() || !IsKnownRole(role.get_ref<const std::string&>())) {
      return EntryError(path, index, ".roles holds an unknown role");
    }
    principal.roles.push_back(role.get<std::string>());
  }
  const auto department = entry.find("department");
  if (department != entry.end()) {
    if (!department->is_string()) return EntryError(path, index, ".department must be a string");
    principal.department = department->get<std::string>();
  }
  if (!loaded->by_hash
           .emplace(absl::AsciiStrToLower(hash->get<std::string>()), std::move(principal))
           .second) {
    return EntryError(path, index, ".sha256 repeats an earlier key");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PublicKeysDir> LoadPublicKeysDir(const std::string& dir) {
  std::error_code error;
  std::filesystem::directory_iterator entries(dir, error);
  if (error) return FileError(dir, "cannot list the public keys directory");
  PublicKeysDir loaded;
  std::vector<std::filesystem::path> files;
  for (const std::filesystem::directory_entry& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || entry.path().extension() != ".pem") continue;
    files.push_back(entry.path());
  }
  // Sorted, so the fingerprint does not depend on the directory's order.
  std::sort(files.begin(), files.end());
  for (const std::filesystem::path& file : files) {
    if (absl::Status added = AddPublicKey(file, &loaded); !added.ok()) return added;
  }
  return loaded;
}

absl::StatusOr<ApiKeysFile> ParseApiKeys(std::string_view text, const std::string& path) {
  // Parse errors are not passed on: their excerpts could quote the file.
  const json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return FileError(path, "not valid JSON");
  if (!document.is_object() || document.size() != 1 || !document.contains("keys") ||
      !document["keys"].is_array()) {
    return FileError(path, "must be an object {\"keys\": [...]}");
  }
  ApiKeysFile loaded;
  const json& keys = document["keys"];
  for (size_t index = 0; index < keys.size(); ++index) {
    if (absl::Status added = AddApiKey(keys[index], index, path, &loaded); !added.ok()) {
      return added;
    }
  }
  loaded.fingerprint = std::string(text);
  return loaded;
}

absl::StatusOr<ApiKeysFile> LoadApiKeysFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  return ParseApiKeys(*text, path);
}

std::string ApiKeyHash(std::string_view key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace kam::gateway
