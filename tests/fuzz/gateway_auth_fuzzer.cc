// The gateway's Authenticator (services/gateway/auth.*): the metadata of a call as the
// gateway receives it, with HS256, an RS256 key directory, an API keys file and the token
// cache all configured.
//
// Input: a mode byte (as jwt_fuzzer: 0 raw token, 1 signed here with HS256, 2 with RS256),
// a byte of which headers to send (1 authorization, 2 x-api-key, 4 x-request-id), then
// newline-separated fields: the token (mode 0) or "<header JSON>\n<claims JSON>" (modes 1
// and 2), the authorization scheme ("Bearer " unless the field is given), the API key and
// the request id.
//
// Properties: a refusal is UNAUTHENTICATED and echoes no credential; an accepted bearer
// token is exactly what VerifyJwt accepts, with the same principal (the cache and header
// handling change nothing); an accepted API key is the configured one; the request id is
// always 1-64 of [A-Za-z0-9._-] and is the caller's when theirs is usable.
#include <grpcpp/support/string_ref.h>
#include <stdlib.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "services/gateway/auth.h"
#include "services/gateway/auth_keys.h"
#include "tests/fuzz/fuzz_support.h"

namespace kam::fuzz {
namespace {

constexpr char kSecret[] = "fuzz-hs256-secret-of-32-bytes-at-least";
constexpr char kApiKey[] = "kam-fuzz-api-key-0123456789abcdef";
constexpr char kRequestIdChars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) Fail("cannot write " + path);
}

struct Setup {
  JwtVerifier verifier;
  Rs256PublicKeys rs256;
  std::unique_ptr<gateway::Authenticator> authenticator;
};

const Setup& TheSetup() {
  static const Setup* setup = [] {
    auto* s = new Setup;
    s->verifier.hs256_secret = kSecret;
    s->verifier.issuer = "https://auth.kam.example";
    s->verifier.audience = "kam-suite";
    s->verifier.max_token_bytes = 2048;
    static char dir_template[] = "/tmp/kam-fuzz-auth-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) Fail("cannot make a key directory");
    const std::string dir = dir_template;
    std::atexit([] { std::filesystem::remove_all(dir_template); });
    WriteFile(dir + "/fuzz-rs.pem", FuzzRsaKeys().public_pem);
    WriteFile(dir + "/api_keys.json",
              R"({"keys": [{"sha256": ")" + gateway::ApiKeyHash(kApiKey) +
                  R"(", "subject": "svc-fuzz", "roles": ["system"]}]})");
    absl::StatusOr<gateway::PublicKeysDir> keys = gateway::LoadPublicKeysDir(dir);
    if (!keys.ok()) Fail("the RS256 key directory does not load: " + keys.status().ToString());
    s->rs256 = keys->keys;
    gateway::AuthOptions options;
    options.verifier = s->verifier;
    options.public_keys_dir = dir;
    options.api_keys_file = dir + "/api_keys.json";
    options.reload_every = absl::ZeroDuration();  // no reloader thread: keys never change here
    options.cache_entries = 64;                   // small, so eviction runs too
    absl::StatusOr<std::unique_ptr<gateway::Authenticator>> authenticator =
        gateway::Authenticator::Create(options, nullptr);
    if (!authenticator.ok()) Fail("Authenticator::Create: " + authenticator.status().ToString());
    s->authenticator = *std::move(authenticator);
    return s;
  }();
  return *setup;
}

bool IsUsableRequestId(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         id.find_first_not_of(kRequestIdChars) == std::string_view::npos;
}

struct Call {
  std::string token;
  std::string authorization;
  std::string api_key;
  std::string request_id;
  bool send_authorization = false;
  bool send_api_key = false;
  bool send_request_id = false;
};

Call ReadCall(std::string_view input) {
  const int mode = TakeByte(input) % 3;
  const uint8_t headers = TakeByte(input);
  Call call;
  if (mode == 0) {
    auto [token, rest] = SplitOnce(input, '\n');
    call.token = std::string(token);
    input = rest;
  } else {
    auto [header, after_header] = SplitOnce(input, '\n');
    auto [claims, rest] = SplitOnce(after_header, '\n');
    call.token = mode == 1 ? SignHs256(header, claims, kSecret) : SignRs256(header, claims);
    input = rest;
  }
  auto [scheme, after_scheme] = SplitOnce(input, '\n');
  auto [api_key, request_id] = SplitOnce(after_scheme, '\n');
  call.authorization = (scheme.empty() ? std::string("Bearer ") : std::string(scheme)) + call.token;
  call.api_key = std::string(api_key);
  call.request_id = std::string(request_id);
  call.send_authorization = headers & 1;
  call.send_api_key = headers & 2;
  call.send_request_id = headers & 4;
  return call;
}

grpc::string_ref Ref(const std::string& s) { return grpc::string_ref(s.data(), s.size()); }

void CheckRequestId(const Call& call, const std::string& request_id) {
  if (!IsUsableRequestId(request_id)) Fail("the caller got an unusable request id");
  if (call.send_request_id && IsUsableRequestId(call.request_id) &&
      request_id != call.request_id) {
    Fail("a usable x-request-id was replaced");
  }
}

// What VerifyJwt says of the bearer token alone, when the call sends only that.
void CheckAgreesWithVerifier(const Call& call, const absl::StatusOr<gateway::Caller>& caller) {
  constexpr std::string_view kBearer = "bearer ";
  if (!call.send_authorization || call.send_api_key) return;
  if (call.authorization.size() < kBearer.size()) return;
  for (size_t i = 0; i < kBearer.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(call.authorization[i])) != kBearer[i]) return;
  }
  const Setup& setup = TheSetup();
  const std::string_view token = std::string_view(call.authorization).substr(kBearer.size());
  const absl::StatusOr<JwtClaims> claims =
      VerifyJwt(token, setup.verifier, setup.rs256, FixedNow());
  if (claims.ok() != caller.ok()) Fail("the authenticator and VerifyJwt disagree on a token");
  if (claims.ok() && (claims->principal.subject != caller->principal.subject ||
                      claims->principal.roles != caller->principal.roles ||
                      claims->principal.department != caller->principal.department)) {
    Fail("the authenticator's principal differs from the token's");
  }
}

absl::StatusOr<kam::gateway::Caller> Authenticate(const Call& call) {
  kam::gateway::Metadata metadata;
  if (call.send_authorization) metadata.emplace("authorization", Ref(call.authorization));
  if (call.send_api_key) metadata.emplace("x-api-key", Ref(call.api_key));
  if (call.send_request_id) metadata.emplace("x-request-id", Ref(call.request_id));
  return TheSetup().authenticator->Authenticate(metadata, FixedNow());
}

// libFuzzer copies the authenticator's own texts into credentials (its comparison tracing
// found "authorization or x-api-key, not both"), so a credential found in the message is an
// echo only if it is gone once the credential is replaced by another of the same length.
void ExpectCredentialsNotEchoed(const Call& call, const absl::Status& status) {
  for (const std::string& secret : {call.token, call.api_key}) {
    if (secret.empty() || !absl::StrContains(status.message(), secret)) continue;
    Call masked = call;
    const std::string mask(secret.size(), '#');
    for (std::string* field : {&masked.token, &masked.authorization, &masked.api_key}) {
      *field = absl::StrReplaceAll(*field, {{secret, mask}});
    }
    if (absl::StrContains(Authenticate(masked).status().message(), secret)) continue;
    ExpectNotEchoed(status, secret, "Authenticate");
  }
}

}  // namespace
}  // namespace kam::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  kam::fuzz::QuietLogs();
  kam::fuzz::TheSetup();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kam::fuzz;
  const Call call = ReadCall(AsText(data, size));
  const absl::StatusOr<kam::gateway::Caller> caller = Authenticate(call);
  ExpectOkOr(caller.status(), absl::StatusCode::kUnauthenticated, "Authenticate");
  ExpectCredentialsNotEchoed(call, caller.status());
  if (caller.ok()) {
    CheckRequestId(call, caller->request_id);
    if (call.send_api_key && call.api_key != kApiKey) Fail("accepted an API key not configured");
  }
  CheckAgreesWithVerifier(call, caller);
  return 0;
}
