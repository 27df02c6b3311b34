#include "services/common/jwt.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/str_split.h"
#include "services/common/digest.h"
#include "tests/unit/rsa_test_keys.h"

namespace kam {
namespace {

using ::nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "jwt-test-secret";
constexpr char kIssuer[] = "kam-test";
constexpr char kAudience[] = "kam-suite";
const absl::Time kNow = absl::FromUnixSeconds(1700000000);
const int64_t kNowSeconds = absl::ToUnixSeconds(kNow);

JwtVerifier Verifier() {
  JwtVerifier verifier;
  verifier.hs256_secret = kSecret;
  verifier.issuer = kIssuer;
  verifier.audience = kAudience;
  return verifier;
}

json Claims() {
  return {{"iss", kIssuer},
          {"aud", kAudience},
          {"sub", "alice"},
          {"roles", {"account_manager"}},
          {"exp", kNowSeconds + 600}};
}

json With(json claims, const std::string& name, json value) {
  claims[name] = std::move(value);
  return claims;
}

json Without(json claims, const std::string& name) {
  claims.erase(name);
  return claims;
}

// Signs exactly the header and claims text given, so tests can forge any header.
std::string Sign(const std::string& header, const std::string& claims,
                 std::string_view secret = kSecret) {
  const std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(claims);
  return input + "." + Base64UrlEncode(HmacSha256(secret, input));
}

std::string Token(const json& claims) {
  return Sign(R"({"alg":"HS256","typ":"JWT"})", claims.dump());
}

std::string FlipSignatureBit(const std::string& token) {
  const std::vector<std::string> parts = absl::StrSplit(token, '.');
  std::string signature;
  EXPECT_TRUE(Base64UrlDecode(parts[2], &signature));
  signature[7] ^= 0x10;
  return parts[0] + "." + parts[1] + "." + Base64UrlEncode(signature);
}

absl::Status Verify(const std::string& token, absl::Time now = kNow) {
  return VerifyJwt(token, Verifier(), now).status();
}

struct Forgery {
  std::string name;
  std::string token;
  std::string message;
};

std::vector<Forgery> ForgeryCorpus() {
  const std::string unsigned_claims = Base64UrlEncode(Claims().dump());
  return {
      {"no token", "", "token missing"},
      {"one segment", "abc", "token malformed"},
      {"two segments", "abc.def", "token malformed"},
      {"four segments", Token(Claims()) + ".x", "token malformed"},
      {"header not base64url", "!!!." + unsigned_claims + ".sig", "token malformed"},
      {"header not JSON", Base64UrlEncode("HS256") + "." + unsigned_claims + ".sig",
       "token malformed"},
      {"alg none, unsigned", Base64UrlEncode(R"({"alg":"none"})") + "." + unsigned_claims + ".",
       "token algorithm not accepted"},
      {"alg none, signed", Sign(R"({"alg":"none"})", Claims().dump()),
       "token algorithm not accepted"},
      {"alg HS512", Sign(R"({"alg":"HS512","typ":"JWT"})", Claims().dump()),
       "token algorithm not accepted"},
      {"alg RS256", Sign(R"({"alg":"RS256","typ":"JWT"})", Claims().dump()),
       "token algorithm not accepted"},
      {"alg missing", Sign(R"({"typ":"JWT"})", Claims().dump()), "token algorithm not accepted"},
      {"typ not JWT", Sign(R"({"alg":"HS256","typ":"JOSE+JSON"})", Claims().dump()),
       "token type not accepted"},
      {"crit header", Sign(R"({"alg":"HS256","crit":["exp"]})", Claims().dump()),
       "token header not accepted"},
      {"jku header", Sign(R"({"alg":"HS256","jku":"https://evil/"})", Claims().dump()),
       "token header not accepted"},
      {"flipped signature bit", FlipSignatureBit(Token(Claims())), "token signature invalid"},
      {"signature stripped", Token(Claims()).substr(0, Token(Claims()).rfind('.') + 1),
       "token signature invalid"},
      {"wrong secret", Sign(R"({"alg":"HS256"})", Claims().dump(), "not-the-secret"),
       "token signature invalid"},
      {"claims not an object", Token(json::array({1, 2})), "token malformed"},
      {"exp missing", Token(Without(Claims(), "exp")), "token has no expiry"},
      {"exp not a number", Token(With(Claims(), "exp", "tomorrow")), "token expiry invalid"},
      {"expired", Token(With(Claims(), "exp", kNowSeconds - 3600)), "token expired"},
      {"nbf in future", Token(With(Claims(), "nbf", kNowSeconds + 3600)), "token not yet valid"},
      {"iat in future", Token(With(Claims(), "iat", kNowSeconds + 3600)), "token not yet valid"},
      {"nbf not a number", Token(With(Claims(), "nbf", "now")), "token time claims invalid"},
      {"wrong iss", Token(With(Claims(), "iss", "someone-else")), "token issuer not accepted"},
      {"iss missing", Token(Without(Claims(), "iss")), "token issuer not accepted"},
      {"wrong aud", Token(With(Claims(), "aud", "other-suite")), "token audience not accepted"},
      {"aud array without ours", Token(With(Claims(), "aud", {"a", "b"})),
       "token audience not accepted"},
      {"aud missing", Token(Without(Claims(), "aud")), "token audience not accepted"},
      {"oversized", Token(With(Claims(), "pad", std::string(9000, 'x'))), "token too large"},
      {"sub missing", Token(Without(Claims(), "sub")), "token subject missing"},
      {"sub empty", Token(With(Claims(), "sub", "")), "token subject missing"},
      {"sub not a string", Token(With(Claims(), "sub", 42)), "token subject missing"},
      {"roles missing", Token(Without(Claims(), "roles")), "token roles missing"},
      {"roles not an array", Token(With(Claims(), "roles", "admin")), "token roles missing"},
      {"roles empty", Token(With(Claims(), "roles", json::array())), "token roles missing"},
      {"unknown role", Token(With(Claims(), "roles", {"account_manager", "superuser"})),
       "token role not recognised"},
      {"role not a string", Token(With(Claims(), "roles", {1})), "token role not recognised"},
      {"dept not a string", Token(With(Claims(), "dept", {"quality"})), "token department invalid"},
  };
}

TEST(JwtTest, ForgeryCorpusIsRejected) {
  for (const Forgery& forgery : ForgeryCorpus()) {
    SCOPED_TRACE(forgery.name);
    const absl::Status status = Verify(forgery.token);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(status.message(), forgery.message);
    for (const auto segment : absl::StrSplit(forgery.token, '.', absl::SkipEmpty())) {
      EXPECT_THAT(std::string(status.message()), Not(HasSubstr(std::string(segment))));
    }
  }
}

TEST(JwtTest, MintThenVerifyRoundTrips) {
  JwtMintOptions options;
  options.hs256_secret = kSecret;
  options.issuer = kIssuer;
  options.audience = kAudience;
  options.issued_at = kNow;
  options.ttl = absl::Hours(8);
  const std::string token = MintJwt({"alice", {"director", "analyst"}, "quality"}, options);

  const absl::StatusOr<JwtClaims> claims = VerifyJwt(token, Verifier(), kNow + absl::Hours(1));
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->principal.subject, "alice");
  EXPECT_THAT(claims->principal.roles, ElementsAre("director", "analyst"));
  EXPECT_EQ(claims->principal.department, "quality");
  EXPECT_EQ(claims->expires, kNow + absl::Hours(8));
  EXPECT_EQ(Verify(token, kNow + absl::Hours(9)).message(), "token expired");
}

TEST(JwtTest, MintedTokenWithoutDepartmentHasNone) {
  JwtMintOptions options{kSecret, kIssuer, kAudience, kNow};
  const absl::StatusOr<JwtClaims> claims =
      VerifyJwt(MintJwt({"erp-feed", {"system"}, ""}, options), Verifier(), kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->principal.department, "");
}

TEST(JwtTest, AudienceArrayContainingOursIsAccepted) {
  EXPECT_TRUE(Verify(Token(With(Claims(), "aud", {"other", kAudience}))).ok());
}

TEST(JwtTest, KeyIdHs256SelectsTheSecret) {
  EXPECT_TRUE(Verify(Sign(R"({"alg":"HS256","kid":"hs256"})", Claims().dump())).ok());
}

TEST(JwtTest, AnyOtherKeyIdMustNameAnRs256Key) {
  EXPECT_EQ(Verify(Sign(R"({"alg":"HS256","kid":"2024-01"})", Claims().dump())).message(),
            "token key not recognised");
}

TEST(JwtTest, PastNotBeforeAndIssuedAtAreAccepted) {
  json claims = With(Claims(), "nbf", kNowSeconds - 10);
  EXPECT_TRUE(Verify(Token(With(claims, "iat", kNowSeconds - 10))).ok());
}

TEST(JwtTest, FractionalExpiryIsAccepted) {
  EXPECT_TRUE(Verify(Token(With(Claims(), "exp", kNowSeconds + 60.5))).ok());
}

TEST(JwtTest, AbsurdExpiryIsRejectedNotOverflowed) {
  EXPECT_EQ(Verify(Token(With(Claims(), "exp", 1e300))).message(), "token expiry invalid");
  EXPECT_EQ(Verify(Token(With(Claims(), "exp", UINT64_MAX))).message(), "token expiry invalid");
}

TEST(JwtTest, ExpiryAllowsClockSkew) {
  const std::string token = Token(With(Claims(), "exp", kNowSeconds));
  EXPECT_TRUE(Verify(token, kNow + absl::Seconds(29)).ok());
  EXPECT_EQ(Verify(token, kNow + absl::Seconds(30)).message(), "token expired");
}

TEST(JwtTest, NotBeforeAllowsClockSkew) {
  const std::string token = Token(With(Claims(), "nbf", kNowSeconds + 30));
  EXPECT_TRUE(Verify(token).ok());
  EXPECT_EQ(Verify(token, kNow - absl::Seconds(1)).message(), "token not yet valid");
}

TEST(JwtTest, ZeroSkewIsExact) {
  JwtVerifier verifier = Verifier();
  verifier.clock_skew = absl::ZeroDuration();
  const std::string token = Token(With(Claims(), "exp", kNowSeconds + 1));
  EXPECT_TRUE(VerifyJwt(token, verifier, kNow).ok());
  EXPECT_FALSE(VerifyJwt(token, verifier, kNow + absl::Seconds(1)).ok());
}

TEST(JwtTest, SizeCapIsCheckedBeforeParsing) {
  JwtVerifier verifier = Verifier();
  const std::string token = Token(Claims());
  verifier.max_token_bytes = token.size() - 1;
  EXPECT_EQ(VerifyJwt(token, verifier, kNow).status().message(), "token too large");
  EXPECT_EQ(VerifyJwt(std::string(9000, '.'), Verifier(), kNow).status().message(),
            "token too large");
}

TEST(JwtTest, EmptySecretRefusesEveryToken) {
  JwtVerifier verifier = Verifier();
  verifier.hs256_secret.clear();
  const std::string token = Sign(R"({"alg":"HS256"})", Claims().dump(), "");
  EXPECT_EQ(VerifyJwt(token, verifier, kNow).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(JwtTest, Rs256MintNeedsAnRsaPrivateKeyAndAnRs256Kid) {
  const testing::RsaKeyPair pair = testing::GenerateRsaKeyPair();
  JwtMintOptions options{"", kIssuer, kAudience, kNow, absl::Hours(1), pair.private_pem, "k1"};
  const absl::StatusOr<std::string> token = MintRs256Jwt({"alice", {"admin"}, ""}, options);
  ASSERT_TRUE(token.ok()) << token.status();
  absl::StatusOr<std::shared_ptr<const RsaPublicKey>> key = RsaPublicKey::FromPem(pair.public_pem);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_TRUE(VerifyJwt(*token, Verifier(), Rs256PublicKeys{{"k1", *key}}, kNow).ok());

  options.kid = kHs256KeyId;
  EXPECT_EQ(MintRs256Jwt({"alice", {"admin"}, ""}, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.kid = "k1";
  options.rs256_private_key_pem = pair.public_pem;
  EXPECT_EQ(MintRs256Jwt({"alice", {"admin"}, ""}, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(JwtTest, PublicKeyMustBeAPemPublicKey) {
  const testing::RsaKeyPair pair = testing::GenerateRsaKeyPair();
  EXPECT_EQ(RsaPublicKey::FromPem("not a key").status().code(), absl::StatusCode::kInvalidArgument);
  // A private key in the public keys directory is a mistake worth stopping for.
  EXPECT_EQ(RsaPublicKey::FromPem(pair.private_pem).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(JwtTest, FailureReasonsAreDistinctLabels) {
  std::set<std::string_view> reasons;
  for (AuthFailure failure : kAuthFailures) reasons.insert(AuthFailureReason(failure));
  EXPECT_EQ(reasons.size(), std::size(kAuthFailures));
  EXPECT_TRUE(reasons.count("unknown_api_key"));
}

}  // namespace
}  // namespace kam
