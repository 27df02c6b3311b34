#include "services/gateway/auth.h"

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "services/common/identity.h"
#include "services/common/log.h"
#include "services/gateway/auth_keys.h"

namespace kam::gateway {

// Verified tokens by their full text, sharded so concurrent callers rarely share a lock. An
// entry ends when its token would be refused as expired and is ignored once the keys change
// (its generation is older than the current one).
class TokenCache {
 public:
  explicit TokenCache(size_t capacity) : per_shard_((capacity + kShards - 1) / kShards) {}

  bool Find(absl::string_view token, uint64_t generation, absl::Time now, Principal* out) const {
    const Shard& shard = ShardOf(token);
    absl::MutexLock lock(&shard.mu);
    const auto entry = shard.entries.find(token);
    if (entry == shard.entries.end() || entry->second.generation != generation ||
        now >= entry->second.valid_until) {
      return false;
    }
    *out = entry->second.principal;
    return true;
  }

  void Insert(absl::string_view token, const Principal& principal, absl::Time valid_until,
              uint64_t generation, absl::Time now) {
    Shard& shard = ShardOf(token);
    absl::MutexLock lock(&shard.mu);
    if (shard.entries.size() >= per_shard_) MakeRoom(shard, now);
    shard.entries.insert_or_assign(std::string(token), Entry{principal, valid_until, generation});
  }

  void Clear() {
    for (Shard& shard : shards_) {
      absl::MutexLock lock(&shard.mu);
      shard.entries.clear();
    }
  }

 private:
  static constexpr size_t kShards = 16;
  struct Entry {
    Principal principal;
    absl::Time valid_until;
    uint64_t generation;
  };
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, Entry> entries ABSL_GUARDED_BY(mu);
  };

  const Shard& ShardOf(absl::string_view token) const {
    return shards_[absl::Hash<absl::string_view>()(token) % kShards];
  }
  Shard& ShardOf(absl::string_view token) {
    return shards_[absl::Hash<absl::string_view>()(token) % kShards];
  }

  // Expired entries go first; if the shard is still full an arbitrary one makes way (a
  // miss only costs one signature check).
  static void MakeRoom(Shard& shard, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu) {
    absl::erase_if(shard.entries,
                   [now](const auto& entry) { return now >= entry.second.valid_until; });
    if (!shard.entries.empty()) shard.entries.erase(shard.entries.begin());
  }

  const size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

// Everything read from the key files, replaced whole on a change.
struct Authenticator::Keys {
  PublicKeysDir public_keys;
  ApiKeysFile api_keys;
};

namespace {

constexpr absl::string_view kBearer = "Bearer ";
constexpr char kApiKeyHeader[] = "x-api-key";
// Generated keys are 43 characters; this only stops hashing of absurd input.
constexpr size_t kMaxApiKeyBytes = 256;

// The header's value without copying it; nullopt when absent.
std::optional<std::string_view> Header(const Metadata& metadata, std::string_view key) {
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return std::nullopt;
  return std::string_view(it->second.data(), it->second.size());
}

bool IsUsableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

std::string RequestId(const Metadata& metadata) {
  const std::optional<std::string_view> id = Header(metadata, kRequestIdHeader);
  return id && IsUsableRequestId(*id) ? std::string(*id) : NewUuid();
}

absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }

}  // namespace

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(
    AuthOptions options, prometheus::Registry* registry) {
  std::unique_ptr<Authenticator> authenticator(new Authenticator(std::move(options), registry));
  if (absl::Status loaded = authenticator->LoadAtStart(); !loaded.ok()) return loaded;
  const AuthOptions& set = authenticator->options_;
  if ((!set.public_keys_dir.empty() || !set.api_keys_file.empty()) &&
      set.reload_every > absl::ZeroDuration()) {
    authenticator->reloader_ = std::thread([raw = authenticator.get()] { raw->ReloadEvery(); });
  }
  return authenticator;
}

Authenticator::Authenticator(AuthOptions options, prometheus::Registry* registry)
    : options_(std::move(options)),
      cache_(options_.cache_entries > 0 ? std::make_unique<TokenCache>(options_.cache_entries)
                                        : nullptr),
      keys_(std::make_shared<Keys>()) {
  if (registry == nullptr) return;
  auto& family = prometheus::BuildCounter()
                     .Name("kam_gateway_auth_failures_total")
                     .Help("Calls refused by the gateway's authentication, by reason")
                     .Register(*registry);
  for (AuthFailure failure : kAuthFailures) {
    failures_[static_cast<size_t>(failure)] =
        &family.Add({{"reason", std::string(AuthFailureReason(failure))}});
  }
}

Authenticator::~Authenticator() {
  {
    absl::MutexLock lock(&stop_mu_);
    stop_ = true;
  }
  if (reloader_.joinable()) reloader_.join();
}

absl::Status Authenticator::LoadAtStart() {
  auto keys = std::make_shared<Keys>();
  if (!options_.public_keys_dir.empty()) {
    absl::StatusOr<PublicKeysDir> loaded = LoadPublicKeysDir(options_.public_keys_dir);
    if (!loaded.ok()) return loaded.status();
    keys->public_keys = *std::move(loaded);
  }
  if (!options_.api_keys_file.empty()) {
    absl::StatusOr<ApiKeysFile> loaded = LoadApiKeysFile(options_.api_keys_file);
    if (!loaded.ok()) return loaded.status();
    keys->api_keys = *std::move(loaded);
  }
  Install(std::move(keys));
  return absl::OkStatus();
}

void Authenticator::ReloadEvery() {
  absl::MutexLock lock(&stop_mu_);
  while (!stop_mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.reload_every)) {
    stop_mu_.Unlock();
    Reload();
    stop_mu_.Lock();
  }
}

void Authenticator::Reload() {
  uint64_t generation = 0;
  const std::shared_ptr<const Keys> current = CurrentKeys(&generation);
  auto next = std::make_shared<Keys>(*current);
  bool changed = false;
  if (!options_.public_keys_dir.empty()) {
    absl::StatusOr<PublicKeysDir> loaded = LoadPublicKeysDir(options_.public_keys_dir);
    if (!loaded.ok()) {
      LogWarn("public keys not reloaded, keeping the previous ones",
              {{"problem", std::string(loaded.status().message())}});
    } else if (loaded->fingerprint != current->public_keys.fingerprint) {
      next->public_keys = *std::move(loaded);
      changed = true;
    }
  }
  if (!options_.api_keys_file.empty()) {
    absl::StatusOr<ApiKeysFile> loaded = LoadApiKeysFile(options_.api_keys_file);
    if (!loaded.ok()) {
      LogWarn("API keys not reloaded, keeping the previous ones",
              {{"problem", std::string(loaded.status().message())}});
    } else if (loaded->fingerprint != current->api_keys.fingerprint) {
      next->api_keys = *std::move(loaded);
      changed = true;
    }
  }
  if (!changed) return;
  LogInfo("authentication keys reloaded", {{"rs256_keys", next->public_keys.keys.size()},
                                           {"api_keys", next->api_keys.by_hash.size()}});
  Install(std::move(next));
}

void Authenticator::Install(std::shared_ptr<const Keys> keys) {
  {
    absl::MutexLock lock(&keys_mu_);
    keys_ = std::move(keys);
    generation_.fetch_add(1);
  }
  // Entries of the old generation are already unusable; this only frees them.
  if (cache_) cache_->Clear();
}

std::shared_ptr<const Authenticator::Keys> Authenticator::CurrentKeys(uint64_t* generation) const {
  absl::ReaderMutexLock lock(&keys_mu_);
  *generation = generation_.load();
  return keys_;
}

absl::Status Authenticator::Refuse(AuthFailure failure, std::string_view message) const {
  if (prometheus::Counter* counter = failures_[static_cast<size_t>(failure)]) counter->Increment();
  return absl::UnauthenticatedError(ToAbsl(message));
}

absl::StatusOr<Caller> Authenticator::Authenticate(const Metadata& metadata, absl::Time now) const {
  const std::optional<std::string_view> authorization = Header(metadata, "authorization");
  const std::optional<std::string_view> api_key = Header(metadata, kApiKeyHeader);
  absl::StatusOr<Principal> principal;
  if (authorization && api_key) {
    // Two credentials could name two callers; guessing which one counts is not our job.
    principal = Refuse(AuthFailure::kMalformed, "send authorization or x-api-key, not both");
  } else if (api_key) {
    principal = AuthenticateApiKey(*api_key);
  } else if (!authorization || authorization->empty()) {
    principal = Refuse(AuthFailure::kMissing, "missing authorization: Bearer token");
  } else if (!absl::StartsWithIgnoreCase(ToAbsl(*authorization), kBearer)) {
    principal = Refuse(AuthFailure::kMalformed, "authorization must be a Bearer token");
  } else {
    principal = AuthenticateToken(authorization->substr(kBearer.size()), now);
  }
  if (!principal.ok()) return principal.status();
  Caller caller;
  caller.principal = *std::move(principal);
  caller.request_id = RequestId(metadata);
  return caller;
}

absl::StatusOr<Principal> Authenticator::AuthenticateToken(std::string_view token,
                                                           absl::Time now) const {
  // The cap comes before the cache so that huge input is never hashed.
  if (token.size() > options_.verifier.max_token_bytes) {
    return Refuse(AuthFailure::kOversized, "token too large");
  }
  Principal principal;
  if (cache_ && cache_->Find(ToAbsl(token), generation_.load(), now, &principal)) {
    return principal;
  }
  uint64_t generation = 0;
  const std::shared_ptr<const Keys> keys = CurrentKeys(&generation);
  AuthFailure failure = AuthFailure::kMalformed;
  absl::StatusOr<JwtClaims> claims =
      VerifyJwt(token, options_.verifier, keys->public_keys.keys, now, &failure);
  if (!claims.ok()) {
    const absl::string_view message = claims.status().message();
    return Refuse(failure, std::string_view(message.data(), message.size()));
  }
  if (cache_) {
    // Valid for as long as VerifyJwt would accept it: until exp plus the skew.
    cache_->Insert(ToAbsl(token), claims->principal, claims->expires + options_.verifier.clock_skew,
                   generation, now);
  }
  return std::move(claims->principal);
}

absl::StatusOr<Principal> Authenticator::AuthenticateApiKey(std::string_view key) const {
  if (key.empty()) return Refuse(AuthFailure::kMissing, "x-api-key is empty");
  if (key.size() > kMaxApiKeyBytes) return Refuse(AuthFailure::kOversized, "x-api-key too large");
  uint64_t generation = 0;
  const std::shared_ptr<const Keys> keys = CurrentKeys(&generation);
  // Looked up by hash: the stored side never holds a key, and a hash that differs in its
  // first byte tells an attacker nothing about the key that produced it.
  const auto found = keys->api_keys.by_hash.find(ApiKeyHash(key));
  if (found == keys->api_keys.by_hash.end()) {
    return Refuse(AuthFailure::kUnknownApiKey, "API key not recognised");
  }
  return found->second;
}

}  // namespace kam::gateway
