#include "services/gateway/auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_split.h"
#include "services/common/digest.h"
#include "services/gateway/auth_keys.h"
#include "tests/unit/rsa_test_keys.h"

namespace kam::gateway {
namespace {

using ::nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "auth-test-secret";
constexpr char kIssuer[] = "kam-test";
constexpr char kAudience[] = "kam-suite";
constexpr char kApiKey[] = "kam_test_api_key_0123456789abcdefghijklmnop";
const absl::Time kNow = absl::FromUnixSeconds(1700000000);
const int64_t kNowSeconds = absl::ToUnixSeconds(kNow);

// Headers of one call; the Metadata view points into this object.
class Call {
 public:
  Call() = default;
  Call(std::string name, std::string value) { Add(std::move(name), std::move(value)); }
  Call& Add(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  Metadata metadata() const {
    Metadata metadata;
    for (const auto& [name, value] : headers_) metadata.emplace(name, value);
    return metadata;
  }

 private:
  std::vector<std::pair<std::string, std::string>> headers_;
};

Call Bearer(const std::string& token) { return Call("authorization", "Bearer " + token); }

json Claims() {
  return {{"iss", kIssuer},       {"aud", kAudience},
          {"sub", "alice"},       {"roles", {"account_manager"}},
          {"dept", "sales-east"}, {"exp", kNowSeconds + 600}};
}

json With(json claims, const std::string& name, json value) {
  claims[name] = std::move(value);
  return claims;
}

json Without(json claims, const std::string& name) {
  claims.erase(name);
  return claims;
}

std::string SignHs256Text(const std::string& header, const std::string& payload) {
  const std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  return input + "." + Base64UrlEncode(HmacSha256(kSecret, input));
}

std::string SigningInput(const json& header, const json& claims) {
  return Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
}

std::string SignHs256(const json& header, const json& claims, std::string_view secret = kSecret) {
  const std::string input = SigningInput(header, claims);
  return input + "." + Base64UrlEncode(HmacSha256(secret, input));
}

std::string Hs256(const json& claims) { return SignHs256({{"alg", "HS256"}}, claims); }

std::string FlipSignatureBit(const std::string& token) {
  const std::vector<std::string> parts = absl::StrSplit(token, '.');
  std::string signature;
  EXPECT_TRUE(Base64UrlDecode(parts[2], &signature));
  signature[signature.size() / 2] ^= 0x01;
  return parts[0] + "." + parts[1] + "." + Base64UrlEncode(signature);
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key1_ = new testing::RsaKeyPair(testing::GenerateRsaKeyPair());
    key2_ = new testing::RsaKeyPair(testing::GenerateRsaKeyPair());
  }

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("kam_auth_test_" + NewUuid());
    std::filesystem::create_directories(dir_ / "keys");
    WriteFile(dir_ / "keys" / "k1.pem", key1_->public_pem);
    WriteApiKeys({ApiKeyEntry(kApiKey, "erp-feed", {"system"})});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static void WriteFile(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }
  static json ApiKeyEntry(const std::string& key, const std::string& subject,
                          std::vector<std::string> roles) {
    return {{"sha256", ApiKeyHash(key)}, {"subject", subject}, {"roles", roles}};
  }
  void WriteApiKeys(const std::vector<json>& entries) {
    WriteFile(dir_ / "api_keys.json", json{{"keys", entries}}.dump());
  }

  AuthOptions Options(size_t cache_entries = 100) const {
    AuthOptions options;
    options.verifier.hs256_secret = kSecret;
    options.verifier.issuer = kIssuer;
    options.verifier.audience = kAudience;
    options.public_keys_dir = (dir_ / "keys").string();
    options.api_keys_file = (dir_ / "api_keys.json").string();
    options.reload_every = absl::ZeroDuration();  // tests reload by hand
    options.cache_entries = cache_entries;
    return options;
  }

  std::unique_ptr<Authenticator> Make(size_t cache_entries = 100) {
    absl::StatusOr<std::unique_ptr<Authenticator>> made =
        Authenticator::Create(Options(cache_entries), &registry_);
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? *std::move(made) : nullptr;
  }

  // Signs any claims with RS256 under `kid`, with key1 unless told otherwise.
  static std::string Rs256(const json& claims, const std::string& kid = "k1",
                           const testing::RsaKeyPair* key = nullptr) {
    const std::string input =
        SigningInput({{"alg", "RS256"}, {"typ", "JWT"}, {"kid", kid}}, claims);
    return input + "." +
           Base64UrlEncode(testing::SignRs256((key != nullptr ? key : key1_)->private_pem, input));
  }

  double Failures(const std::string& reason) const {
    for (const auto& family : registry_.Collect()) {
      if (family.name != "kam_gateway_auth_failures_total") continue;
      for (const auto& metric : family.metric) {
        if (metric.label.size() == 1 && metric.label[0].value == reason) {
          return metric.counter.value;
        }
      }
    }
    return -1;  // not even created
  }
  double AllFailures() const {
    double total = 0;
    for (AuthFailure failure : kAuthFailures) {
      total += Failures(std::string(AuthFailureReason(failure)));
    }
    return total;
  }

  static testing::RsaKeyPair* key1_;
  static testing::RsaKeyPair* key2_;
  std::filesystem::path dir_;
  prometheus::Registry registry_;
};

testing::RsaKeyPair* AuthenticatorTest::key1_ = nullptr;
testing::RsaKeyPair* AuthenticatorTest::key2_ = nullptr;

struct Forgery {
  std::string name;
  Call call;
  std::string reason;
};

TEST_F(AuthenticatorTest, ForgeryCorpusIsRefusedWithItsReasonCounted) {
  const std::string claims = Base64UrlEncode(Claims().dump());
  const std::vector<Forgery> corpus = {
      {"no credential", Call(), "missing"},
      {"empty authorization", Call("authorization", ""), "missing"},
      {"Bearer without a token", Bearer(""), "missing"},
      {"Basic scheme", Call("authorization", "Basic YWxpY2U6c2VjcmV0"), "malformed"},
      {"one segment", Bearer("abc"), "malformed"},
      {"two segments", Bearer("abc.def"), "malformed"},
      {"four segments", Bearer(Hs256(Claims()) + ".x"), "malformed"},
      {"header not base64url", Bearer("!!!." + claims + ".sig"), "malformed"},
      {"header not JSON", Bearer(Base64UrlEncode("RS256") + "." + claims + ".sig"), "malformed"},
      {"claims not JSON", Bearer(SignHs256Text(R"({"alg":"HS256"})", "not json")), "malformed"},
      {"jwk header", Bearer(SignHs256({{"alg", "HS256"}, {"jwk", "x"}}, Claims())), "malformed"},
      {"both token and API key", Bearer(Hs256(Claims())).Add("x-api-key", kApiKey), "malformed"},
      {"alg none, unsigned", Bearer(Base64UrlEncode(R"({"alg":"none"})") + "." + claims + "."),
       "algorithm"},
      {"alg none with an RS256 kid",
       Bearer(Base64UrlEncode(R"({"alg":"none","kid":"k1"})") + "." + claims + "."), "algorithm"},
      {"HS256 signed with the RS256 public key PEM, kid of that key",
       Bearer(SignHs256({{"alg", "HS256"}, {"kid", "k1"}}, Claims(), key1_->public_pem)),
       "algorithm"},
      {"HS256 signed with the RS256 public key PEM, no kid",
       Bearer(SignHs256({{"alg", "HS256"}}, Claims(), key1_->public_pem)), "bad_signature"},
      {"RS256 without kid (selects the HS256 secret)",
       Bearer(SigningInput({{"alg", "RS256"}}, Claims()) + "." +
              Base64UrlEncode(testing::SignRs256(key1_->private_pem,
                                                 SigningInput({{"alg", "RS256"}}, Claims())))),
       "algorithm"},
      {"flipped signature bit, HS256", Bearer(FlipSignatureBit(Hs256(Claims()))), "bad_signature"},
      {"flipped signature bit, RS256", Bearer(FlipSignatureBit(Rs256(Claims()))), "bad_signature"},
      {"RS256 signed by another key under kid k1", Bearer(Rs256(Claims(), "k1", key2_)),
       "bad_signature"},
      {"HS256 with the wrong secret", Bearer(SignHs256({{"alg", "HS256"}}, Claims(), "guess")),
       "bad_signature"},
      {"unknown kid", Bearer(Rs256(Claims(), "k9", key2_)), "unknown_key"},
      {"expired, HS256", Bearer(Hs256(With(Claims(), "exp", kNowSeconds - 3600))), "expired"},
      {"expired, RS256", Bearer(Rs256(With(Claims(), "exp", kNowSeconds - 3600))), "expired"},
      {"not yet valid", Bearer(Rs256(With(Claims(), "nbf", kNowSeconds + 3600))), "not_yet_valid"},
      {"wrong issuer", Bearer(Rs256(With(Claims(), "iss", "someone-else"))), "wrong_issuer"},
      {"wrong audience (string)", Bearer(Rs256(With(Claims(), "aud", "other-suite"))),
       "wrong_audience"},
      {"wrong audience (array)", Bearer(Hs256(With(Claims(), "aud", {"a", "other-suite"}))),
       "wrong_audience"},
      {"no expiry", Bearer(Hs256(Without(Claims(), "exp"))), "bad_claims"},
      {"unknown role", Bearer(Rs256(With(Claims(), "roles", {"superuser"}))), "bad_claims"},
      {"oversized", Bearer(Hs256(With(Claims(), "pad", std::string(9000, 'x')))), "oversized"},
      {"oversized API key", Call("x-api-key", std::string(300, 'k')), "oversized"},
      {"empty API key", Call("x-api-key", ""), "missing"},
      {"wrong API key", Call("x-api-key", std::string(kApiKey) + "x"), "unknown_api_key"},
  };
  std::unique_ptr<Authenticator> authenticator = Make();
  ASSERT_NE(authenticator, nullptr);
  for (const Forgery& forgery : corpus) {
    SCOPED_TRACE(forgery.name);
    const double before = Failures(forgery.reason);
    const double all_before = AllFailures();
    const absl::StatusOr<Caller> caller =
        authenticator->Authenticate(forgery.call.metadata(), kNow);
    ASSERT_FALSE(caller.ok()) << "accepted as " << caller->principal.subject;
    EXPECT_EQ(caller.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(Failures(forgery.reason), before + 1);
    EXPECT_EQ(AllFailures(), all_before + 1);
    for (const auto& [name, value] : forgery.call.metadata()) {
      const std::string credential(value.data(), value.size());
      for (const absl::string_view segment : absl::StrSplit(credential, absl::ByAnyChar(". "))) {
        if (segment.size() < 8) continue;
        EXPECT_THAT(std::string(caller.status().message()), Not(HasSubstr(std::string(segment))));
      }
    }
  }
}

TEST_F(AuthenticatorTest, EveryReasonIsExportedBeforeAnyFailure) {
  std::unique_ptr<Authenticator> authenticator = Make();
  for (AuthFailure failure : kAuthFailures) {
    EXPECT_EQ(Failures(std::string(AuthFailureReason(failure))), 0) << AuthFailureReason(failure);
  }
}

TEST_F(AuthenticatorTest, ValidHs256TokenGivesItsPrincipal) {
  std::unique_ptr<Authenticator> authenticator = Make();
  const absl::StatusOr<Caller> caller =
      authenticator->Authenticate(Bearer(Hs256(Claims())).metadata(), kNow);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->principal.subject, "alice");
  EXPECT_THAT(caller->principal.roles, ElementsAre("account_manager"));
  EXPECT_EQ(caller->principal.department, "sales-east");
  EXPECT_FALSE(caller->request_id.empty());
}

TEST_F(AuthenticatorTest, ValidRs256TokenMintedWithItsKidGivesItsPrincipal) {
  std::unique_ptr<Authenticator> authenticator = Make();
  JwtMintOptions mint{
      "", kIssuer, kAudience, kNow - absl::Minutes(1), absl::Hours(1), key1_->private_pem, "k1"};
  const absl::StatusOr<std::string> token =
      MintRs256Jwt({"bob", {"director", "analyst"}, ""}, mint);
  ASSERT_TRUE(token.ok()) << token.status();
  const absl::StatusOr<Caller> caller =
      authenticator->Authenticate(Bearer(*token).Add("x-request-id", "req-1").metadata(), kNow);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->principal.subject, "bob");
  EXPECT_THAT(caller->principal.roles, ElementsAre("director", "analyst"));
  EXPECT_EQ(caller->request_id, "req-1");
}

TEST_F(AuthenticatorTest, ApiKeyGivesItsPrincipalAndTheWrongKeyIsRefused) {
  std::unique_ptr<Authenticator> authenticator = Make();
  const absl::StatusOr<Caller> caller =
      authenticator->Authenticate(Call("x-api-key", kApiKey).metadata(), kNow);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->principal.subject, "erp-feed");
  EXPECT_THAT(caller->principal.roles, ElementsAre("system"));
  const absl::StatusOr<Caller> wrong =
      authenticator->Authenticate(Call("x-api-key", "kam_not_the_key").metadata(), kNow);
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Failures("unknown_api_key"), 1);
}

TEST_F(AuthenticatorTest, NewKeyFileIsAcceptedAfterReload) {
  std::unique_ptr<Authenticator> authenticator = Make();
  const Call call = Bearer(Rs256(Claims(), "k2", key2_));
  EXPECT_FALSE(authenticator->Authenticate(call.metadata(), kNow).ok());
  WriteFile(dir_ / "keys" / "k2.pem", key2_->public_pem);
  authenticator->Reload();
  const absl::StatusOr<Caller> caller = authenticator->Authenticate(call.metadata(), kNow);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->principal.subject, "alice");
}

TEST_F(AuthenticatorTest, RemovedKeyRefusesItsCachedTokenAfterReload) {
  std::unique_ptr<Authenticator> authenticator = Make();
  const Call call = Bearer(Rs256(Claims()));
  ASSERT_TRUE(authenticator->Authenticate(call.metadata(), kNow).ok());
  ASSERT_TRUE(authenticator->Authenticate(call.metadata(), kNow).ok());  // now cached
  std::filesystem::remove(dir_ / "keys" / "k1.pem");
  authenticator->Reload();
  const absl::StatusOr<Caller> caller = authenticator->Authenticate(call.metadata(), kNow);
  EXPECT_EQ(caller.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Failures("unknown_key"), 1);
}

TEST_F(AuthenticatorTest, BrokenKeyFileKeepsTheOldKeys) {
  std::unique_ptr<Authenticator> authenticator = Make(/*cache_entries=*/0);
  const Call call = Bearer(Rs256(Claims()));
  ASSERT_TRUE(authenticator->Authenticate(call.metadata(), kNow).ok());
  WriteFile(dir_ / "keys" / "k1.pem", "-----BEGIN PUBLIC KEY-----\ngarbage\n");
  WriteFile(dir_ / "keys" / "k2.pem", key2_->public_pem);
  authenticator->Reload();
  EXPECT_TRUE(authenticator->Authenticate(call.metadata(), kNow).ok());
  // The whole directory is one set: k2 only arrives with a directory that reads cleanly.
  EXPECT_FALSE(
      authenticator->Authenticate(Bearer(Rs256(Claims(), "k2", key2_)).metadata(), kNow).ok());
}

TEST_F(AuthenticatorTest, BrokenApiKeysFileKeepsTheOldKeys) {
  std::unique_ptr<Authenticator> authenticator = Make();
  WriteFile(dir_ / "api_keys.json", R"({"keys": [{"sha256": "not-a-hash"}]})");
  authenticator->Reload();
  EXPECT_TRUE(authenticator->Authenticate(Call("x-api-key", kApiKey).metadata(), kNow).ok());
}

TEST_F(AuthenticatorTest, RemovedApiKeyIsRefusedAfterReload) {
  std::unique_ptr<Authenticator> authenticator = Make();
  WriteApiKeys({ApiKeyEntry("kam_other_key", "billing", {"system"})});
  authenticator->Reload();
  EXPECT_FALSE(authenticator->Authenticate(Call("x-api-key", kApiKey).metadata(), kNow).ok());
  const absl::StatusOr<Caller> caller =
      authenticator->Authenticate(Call("x-api-key", "kam_other_key").metadata(), kNow);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->principal.subject, "billing");
}

TEST_F(AuthenticatorTest, CachedTokenGivesTheSamePrincipalAndEndsAtExpiry) {
  std::unique_ptr<Authenticator> authenticator = Make();
  const Call call = Bearer(Rs256(With(Claims(), "exp", kNowSeconds + 60)));
  const absl::StatusOr<Caller> first = authenticator->Authenticate(call.metadata(), kNow);
  const absl::StatusOr<Caller> second =
      authenticator->Authenticate(call.metadata(), kNow + absl::Seconds(30));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->principal.subject, first->principal.subject);
  EXPECT_EQ(second->principal.roles, first->principal.roles);
  EXPECT_EQ(second->principal.department, first->principal.department);
  // exp + 30 s of skew: refused exactly as an uncached token would be.
  const absl::StatusOr<Caller> late =
      authenticator->Authenticate(call.metadata(), kNow + absl::Seconds(90));
  EXPECT_EQ(late.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Failures("expired"), 1);
}

TEST_F(AuthenticatorTest, FullCacheStillAnswersEveryToken) {
  std::unique_ptr<Authenticator> authenticator = Make(/*cache_entries=*/1);
  for (int i = 0; i < 50; ++i) {
    const Call call = Bearer(Hs256(With(Claims(), "sub", "user" + std::to_string(i))));
    const absl::StatusOr<Caller> caller = authenticator->Authenticate(call.metadata(), kNow);
    ASSERT_TRUE(caller.ok()) << caller.status();
    EXPECT_EQ(caller->principal.subject, "user" + std::to_string(i));
  }
}

TEST_F(AuthenticatorTest, UnusableFilesAtStartNameTheFile) {
  WriteFile(dir_ / "keys" / "bad.pem", "not a key");
  absl::StatusOr<std::unique_ptr<Authenticator>> made = Authenticator::Create(Options(), nullptr);
  EXPECT_EQ(made.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(made.status().message()), HasSubstr("bad.pem"));
  EXPECT_THAT(std::string(made.status().message()), Not(HasSubstr("not a key")));
  std::filesystem::remove(dir_ / "keys" / "bad.pem");

  WriteFile(dir_ / "keys" / "hs256.pem", key2_->public_pem);
  made = Authenticator::Create(Options(), nullptr);
  EXPECT_THAT(std::string(made.status().message()), HasSubstr("hs256.pem"));
  std::filesystem::remove(dir_ / "keys" / "hs256.pem");

  WriteFile(dir_ / "api_keys.json", "{\"keys\": [");
  made = Authenticator::Create(Options(), nullptr);
  EXPECT_EQ(made.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(made.status().message()), HasSubstr("api_keys.json"));

  AuthOptions missing_dir = Options();
  missing_dir.api_keys_file.clear();
  missing_dir.public_keys_dir = (dir_ / "nowhere").string();
  made = Authenticator::Create(missing_dir, nullptr);
  EXPECT_THAT(std::string(made.status().message()), HasSubstr("nowhere"));
}

TEST_F(AuthenticatorTest, ApiKeysFileEntriesAreValidated) {
  const std::string hash = ApiKeyHash(kApiKey);
  for (const std::string& text : std::vector<std::string>{
           std::string(R"({"keys": [{"sha256": "abc", "subject": "s", "roles": ["system"]}]})"),
           R"({"keys": [{"sha256": ")" + hash + R"(", "subject": "s", "roles": ["root"]}]})",
           R"({"keys": [{"sha256": ")" + hash + R"(", "subject": "", "roles": ["system"]}]})",
           R"({"keys": [{"sha256": ")" + hash + R"(", "subject": "s", "roles": []}]})",
           R"({"keys": [{"sha256": ")" + hash + R"(", "subject": "s", "role": ["system"]}]})",
           R"({"keys": [{"key": "plain text", "subject": "s", "roles": ["system"]}]})",
           R"([{"sha256": ")" + hash + R"(", "subject": "s", "roles": ["system"]}])",
       }) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ParseApiKeys(text, "keys.json").status().code(), absl::StatusCode::kInvalidArgument);
  }
  const std::string twice = R"({"sha256": ")" + hash + R"(", "subject": "s", "roles": ["system"]})";
  EXPECT_THAT(std::string(ParseApiKeys(R"({"keys": [)" + twice + "," + twice + "]}", "keys.json")
                              .status()
                              .message()),
              HasSubstr("repeats"));
}

TEST_F(AuthenticatorTest, BackgroundReloaderStopsWithTheAuthenticator) {
  AuthOptions options = Options();
  options.reload_every = absl::Milliseconds(1);
  absl::StatusOr<std::unique_ptr<Authenticator>> made = Authenticator::Create(options, nullptr);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_TRUE((*made)->Authenticate(Call("x-api-key", kApiKey).metadata(), kNow).ok());
  made->reset();  // joins the reloader; a hang here fails the test run
}

}  // namespace
}  // namespace kam::gateway
