// kamctl token --rs256-key and kamctl apikey new: what they print is accepted by the
// gateway's own checks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "services/common/jwt.h"
#include "services/gateway/auth_keys.h"
#include "tests/unit/kamctl_fixture.h"
#include "tests/unit/rsa_test_keys.h"

namespace kam::kamctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

class KamctlCredentialsTest : public KamctlCommandTest {};

TEST_F(KamctlCredentialsTest, TokenWithRs256KeyVerifiesUnderItsKid) {
  const testing::RsaKeyPair pair = testing::GenerateRsaKeyPair();
  const std::string key_file = File("signing.pem", pair.private_pem);
  const Result result = Kamctl("token --subject bob --roles director,analyst --rs256-key " +
                               key_file + " --kid dev-1");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string token(absl::StripTrailingAsciiWhitespace(result.out));

  absl::StatusOr<std::shared_ptr<const RsaPublicKey>> key = RsaPublicKey::FromPem(pair.public_pem);
  ASSERT_TRUE(key.ok()) << key.status();
  JwtVerifier verifier;
  verifier.issuer = "kam-dev";
  verifier.audience = "kam-suite";
  const absl::StatusOr<JwtClaims> claims =
      VerifyJwt(token, verifier, Rs256PublicKeys{{"dev-1", *key}}, absl::Now());
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->principal.subject, "bob");
  EXPECT_THAT(claims->principal.roles, ::testing::ElementsAre("director", "analyst"));
  // Under another kid the same token names no key.
  EXPECT_FALSE(VerifyJwt(token, verifier, Rs256PublicKeys{{"dev-2", *key}}, absl::Now()).ok());
}

TEST_F(KamctlCredentialsTest, TokenWithRs256KeyNeedsKidAndAPrivateKey) {
  const testing::RsaKeyPair pair = testing::GenerateRsaKeyPair();
  const Result no_kid =
      Kamctl("token --subject bob --roles director --rs256-key " + File("k.pem", pair.private_pem));
  EXPECT_EQ(no_kid.exit_code, 2);
  EXPECT_THAT(no_kid.err, HasSubstr("--kid"));
  const Result public_only =
      Kamctl("token --subject bob --roles director --kid dev-1 --rs256-key " +
             File("pub.pem", pair.public_pem));
  EXPECT_EQ(public_only.exit_code, 2);
  EXPECT_THAT(public_only.err, HasSubstr("not an RSA private key"));
  EXPECT_THAT(public_only.err, Not(HasSubstr("BEGIN")));
}

TEST_F(KamctlCredentialsTest, ApiKeyNewPrintsAKeyAndAnEntryHoldingOnlyItsHash) {
  const Result result = Kamctl("apikey new --subject erp-feed --roles system");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> lines = absl::StrSplit(result.out, '\n', absl::SkipEmpty());
  ASSERT_THAT(lines, SizeIs(2));
  const std::string& key = lines[0];
  EXPECT_THAT(key, StartsWith("kam_"));
  EXPECT_THAT(lines[1], Not(HasSubstr(key)));

  const std::string file = "{\"keys\": [" + lines[1] + "]}";
  const absl::StatusOr<gateway::ApiKeysFile> parsed = gateway::ParseApiKeys(file, "keys.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const auto found = parsed->by_hash.find(gateway::ApiKeyHash(key));
  ASSERT_NE(found, parsed->by_hash.end());
  EXPECT_EQ(found->second.subject, "erp-feed");
  EXPECT_THAT(found->second.roles, ::testing::ElementsAre("system"));

  const Result again = Kamctl("apikey new --subject erp-feed --roles system");
  EXPECT_THAT(again.out, Not(HasSubstr(key)));  // every key is fresh
}

TEST_F(KamctlCredentialsTest, ApiKeyNewRefusesUnknownRoles) {
  const Result result = Kamctl("apikey new --subject erp-feed --roles superuser");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("unknown role"));
}

}  // namespace
}  // namespace kam::kamctl
