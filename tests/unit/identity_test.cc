#include "services/common/identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/escaping.h"

namespace kam {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

constexpr char kKey[] = "identity-test-key";
constexpr char kMethod[] = "/kam.accounts.v1.AccountService/GetAccount";
const absl::Time kNow = absl::FromUnixSeconds(1700000000);

Principal Alice() { return {"alice", {"account_manager", "director"}, "quality"}; }

TEST(IdentityTest, SignThenVerifyRoundTrips) {
  const SignedIdentity signed_identity =
      SignIdentity(Alice(), kMethod, kKey, kNow + absl::Minutes(1));
  const absl::StatusOr<Principal> principal = VerifyIdentity(signed_identity, kMethod, kKey, kNow);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "alice");
  EXPECT_THAT(principal->roles, ElementsAre("account_manager", "director"));
  EXPECT_EQ(principal->department, "quality");
}

TEST(IdentityTest, IdentityForOneMethodIsRefusedByAnother) {
  const SignedIdentity read = SignIdentity(Alice(), kMethod, kKey, kNow + absl::Minutes(1));
  const absl::StatusOr<Principal> archive =
      VerifyIdentity(read, "/kam.accounts.v1.AccountService/ArchiveAccount", kKey, kNow);
  EXPECT_EQ(archive.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(archive.status().message(), "identity issued for another method");
}

TEST(IdentityTest, WrongKeyIsRejected) {
  const SignedIdentity signed_identity =
      SignIdentity(Alice(), kMethod, kKey, kNow + absl::Minutes(1));
  const absl::StatusOr<Principal> principal =
      VerifyIdentity(signed_identity, kMethod, "other", kNow);
  EXPECT_EQ(principal.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(principal.status().message(), "identity signature invalid");
}

TEST(IdentityTest, EmptyKeyRejectsEvenAnEmptyKeySignature) {
  const SignedIdentity signed_identity =
      SignIdentity(Alice(), kMethod, "", kNow + absl::Minutes(1));
  EXPECT_EQ(VerifyIdentity(signed_identity, kMethod, "", kNow).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(IdentityTest, TamperedPayloadIsRejectedWithoutEchoingIt) {
  SignedIdentity signed_identity = SignIdentity(Alice(), kMethod, kKey, kNow + absl::Minutes(1));
  signed_identity.payload =
      Base64UrlEncode(R"({"sub":"mallory","roles":["admin"],"dept":"","exp":1800000000})");
  const absl::StatusOr<Principal> principal = VerifyIdentity(signed_identity, kMethod, kKey, kNow);
  EXPECT_EQ(principal.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(principal.status().message(), Not(HasSubstr("mallory")));
}

TEST(IdentityTest, MissingPartsAreRejected) {
  const SignedIdentity signed_identity =
      SignIdentity(Alice(), kMethod, kKey, kNow + absl::Minutes(1));
  EXPECT_EQ(VerifyIdentity({signed_identity.payload, ""}, kMethod, kKey, kNow).status().message(),
            "identity missing");
  EXPECT_EQ(VerifyIdentity({"", signed_identity.signature}, kMethod, kKey, kNow).status().message(),
            "identity missing");
}

TEST(IdentityTest, GarbledSignedPayloadIsRejected) {
  for (const std::string json :
       {"not json", "[1,2]",
        R"({"m":"/kam.accounts.v1.AccountService/GetAccount","sub":"a","roles":"admin","exp":1})",
        R"({"m":"/kam.accounts.v1.AccountService/GetAccount","sub":"a","roles":["admin"]})",
        R"({"sub":"a","roles":["admin"],"exp":1800000000})"}) {
    SignedIdentity garbled;
    garbled.payload = Base64UrlEncode(json);
    garbled.signature = Base64UrlEncode(HmacSha256(kKey, garbled.payload));
    EXPECT_EQ(VerifyIdentity(garbled, kMethod, kKey, kNow).status().message(), "identity malformed")
        << json;
  }
}

TEST(IdentityTest, ExpiryAllowsThirtySecondsOfSkew) {
  const SignedIdentity signed_identity = SignIdentity(Alice(), kMethod, kKey, kNow);
  EXPECT_TRUE(VerifyIdentity(signed_identity, kMethod, kKey, kNow + absl::Seconds(29)).ok());
  const absl::StatusOr<Principal> late =
      VerifyIdentity(signed_identity, kMethod, kKey, kNow + absl::Seconds(30));
  EXPECT_EQ(late.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(late.status().message(), "identity expired");
}

TEST(IdentityTest, HmacSha256MatchesRfc4231) {
  // RFC 4231, test case 2.
  EXPECT_EQ(absl::BytesToHexString(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(IdentityTest, Base64UrlRoundTripsWithoutPadding) {
  const std::string bytes("\xfb\xff\x00?", 4);
  const std::string encoded = Base64UrlEncode(bytes);
  EXPECT_EQ(encoded, "-_8APw");
  std::string decoded;
  ASSERT_TRUE(Base64UrlDecode(encoded, &decoded));
  EXPECT_EQ(decoded, bytes);
}

TEST(IdentityTest, Base64UrlDecodeRefusesNonCanonicalSpellings) {
  std::string decoded;
  EXPECT_FALSE(Base64UrlDecode("-_8APw==", &decoded));  // padding
  EXPECT_FALSE(Base64UrlDecode("+/8APw", &decoded));    // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("-_8A Pw", &decoded));   // whitespace
  EXPECT_FALSE(Base64UrlDecode("-_8APx", &decoded));    // stray low bits
  EXPECT_FALSE(Base64UrlDecode("-_8AP", &decoded));     // impossible length
  EXPECT_TRUE(decoded.empty());
}

TEST(IdentityTest, ConstantTimeEqualsComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(IdentityTest, NewUuidIsVersion4AndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string uuid = NewUuid();
    EXPECT_THAT(uuid, MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                   "[0-9a-f]{12}"));
    seen.insert(uuid);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(IdentityTest, PrincipalRoleQueries) {
  const Principal alice = Alice();
  EXPECT_TRUE(alice.HasRole("director"));
  EXPECT_FALSE(alice.HasRole("admin"));
  EXPECT_TRUE(alice.HasAnyRole({"admin", "account_manager"}));
  EXPECT_FALSE(alice.HasAnyRole({"admin", "system"}));
}

TEST(IdentityTest, KnownRolesAreTheSevenKamRoles) {
  for (const char* role :
       {"admin", "director", "account_manager", "service_agent", "handler", "analyst", "system"}) {
    EXPECT_TRUE(IsKnownRole(role)) << role;
  }
  EXPECT_FALSE(IsKnownRole("Admin"));
  EXPECT_FALSE(IsKnownRole(""));
}

}  // namespace
}  // namespace kam
