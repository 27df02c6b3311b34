#pragma once

#include <grpcpp/support/string_ref.h>

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/jwt.h"

namespace prometheus {
class Counter;
class Registry;
}  // namespace prometheus

namespace kam::gateway {

using Metadata = std::multimap<grpc::string_ref, grpc::string_ref>;

// An authenticated caller of one call.
struct Caller {
  Principal principal;
  std::string request_id;
};

struct AuthOptions {
  // HS256 (shared secret; tokens without "kid" or with kid "hs256"), issuer, audience,
  // clock skew and the token size cap; the same iss/aud/skew/cap apply to RS256 tokens.
  JwtVerifier verifier;
  // RS256 public keys: every "<kid>.pem" file in this directory (PEM, RSA public key). Empty:
  // no RS256. Re-read every `reload_every`, so keys rotate without a restart (a Kubernetes
  // Secret mounted as a directory). A file that does not parse keeps the previous key set.
  std::string public_keys_dir;
  // Static API keys for machine callers (format in POLICY.md "Authentication"): a JSON file
  // holding the SHA-256 of each key, never the key itself, with its subject and roles.
  // Empty: no API keys. Re-read like the public keys.
  std::string api_keys_file;
  absl::Duration reload_every = absl::Seconds(10);
  // Verified tokens are cached (until their exp) so that a caller's repeated calls do not
  // pay for signature checks; bounded. 0 turns the cache off.
  size_t cache_entries = 10000;
};

class TokenCache;

// Establishes who is calling from "authorization: Bearer <JWT>" or "x-api-key: <key>".
// Every failure is UNAUTHENTICATED with a message that never contains the credential, and is
// counted in kam_gateway_auth_failures_total{reason}.
class Authenticator {
 public:
  // INVALID_ARGUMENT naming the file and the problem when a key file cannot be used.
  // `registry` may be null (tests).
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(AuthOptions options,
                                                               prometheus::Registry* registry);
  ~Authenticator();

  // The request id is the caller's x-request-id when it is 1-64 characters of
  // [A-Za-z0-9._-], a fresh UUID otherwise.
  absl::StatusOr<Caller> Authenticate(const Metadata& metadata, absl::Time now) const;

  // Re-reads the key files now (also done every reload_every by a background thread). A file
  // that cannot be used keeps the previous keys of that file (or directory) and is logged;
  // when keys change, cached tokens are forgotten.
  void Reload();

 private:
  struct Keys;

  Authenticator(AuthOptions options, prometheus::Registry* registry);
  absl::Status LoadAtStart();
  void ReloadEvery();
  absl::StatusOr<Principal> AuthenticateToken(std::string_view token, absl::Time now) const;
  absl::StatusOr<Principal> AuthenticateApiKey(std::string_view key) const;
  absl::Status Refuse(AuthFailure failure, std::string_view message) const;
  std::shared_ptr<const Keys> CurrentKeys(uint64_t* generation) const;
  void Install(std::shared_ptr<const Keys> keys);

  const AuthOptions options_;
  std::array<prometheus::Counter*, std::size(kAuthFailures)> failures_{};
  std::unique_ptr<TokenCache> cache_;

  mutable absl::Mutex keys_mu_;
  std::shared_ptr<const Keys> keys_ ABSL_GUARDED_BY(keys_mu_);
  // Bumped with every key change; cache entries of an older generation are never used.
  std::atomic<uint64_t> generation_{0};

  absl::Mutex stop_mu_;
  bool stop_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread reloader_;
};

}  // namespace kam::gateway
