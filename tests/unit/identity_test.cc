#include "services/common/identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "absl/strings/escaping.h"
#include "services/common/digest.h"

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

// SignIdentity remembers recent signatures per thread; a remembered one must only ever be
// given back for exactly the same inputs.
TEST(IdentityTest, RepeatedSigningGivesTheSameBytes) {
  const SignedIdentity first = SignIdentity(Alice(), kMethod, kKey, kNow + absl::Seconds(5));
  const SignedIdentity again = SignIdentity(Alice(), kMethod, kKey, kNow + absl::Seconds(5));
  EXPECT_EQ(again.payload, first.payload);
  EXPECT_EQ(again.signature, first.signature);
}

TEST(IdentityTest, SigningRightAfterAnotherCallerNamesTheNewCaller) {
  const Principal bob{"bob", {"account_manager", "director"}, "quality"};
  const Principal alice_analyst{"alice", {"analyst"}, "quality"};
  const Principal alice_sales{"alice", {"account_manager", "director"}, "sales"};
  const absl::Time expires = kNow + absl::Seconds(5);
  SignIdentity(Alice(), kMethod, kKey, expires);
  for (const Principal& other : {bob, alice_analyst, alice_sales}) {
    const absl::StatusOr<Principal> verified =
        VerifyIdentity(SignIdentity(other, kMethod, kKey, expires), kMethod, kKey, kNow);
    ASSERT_TRUE(verified.ok()) << verified.status();
    EXPECT_EQ(verified->subject, other.subject);
    EXPECT_EQ(verified->roles, other.roles);
    EXPECT_EQ(verified->department, other.department);
  }
}

TEST(IdentityTest, SigningAgainForAnotherMethodKeyOrExpiryIsBoundToThem) {
  constexpr char kOther[] = "/kam.accounts.v1.AccountService/ArchiveAccount";
  const absl::Time expires = kNow + absl::Seconds(5);
  SignIdentity(Alice(), kMethod, kKey, expires);
  EXPECT_TRUE(
      VerifyIdentity(SignIdentity(Alice(), kOther, kKey, expires), kOther, kKey, kNow).ok());
  EXPECT_TRUE(VerifyIdentity(SignIdentity(Alice(), kMethod, "other-key", expires), kMethod,
                             "other-key", kNow)
                  .ok());
  // One second later is a different identity, and it expires one second later.
  const SignedIdentity later = SignIdentity(Alice(), kMethod, kKey, expires + absl::Seconds(1));
  EXPECT_NE(later.payload, SignIdentity(Alice(), kMethod, kKey, expires).payload);
  EXPECT_TRUE(VerifyIdentity(later, kMethod, kKey, expires + absl::Seconds(30)).ok());
  EXPECT_FALSE(VerifyIdentity(SignIdentity(Alice(), kMethod, kKey, expires), kMethod, kKey,
                              expires + absl::Seconds(30))
                   .ok());
}

TEST(IdentityTest, ManyCallersEachGetTheirOwnIdentity) {
  // More callers than a thread remembers, twice over: every answer still names its caller.
  const absl::Time expires = kNow + absl::Seconds(5);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 500; ++i) {
      const Principal caller{"caller-" + std::to_string(i), {"system"}, ""};
      const absl::StatusOr<Principal> verified =
          VerifyIdentity(SignIdentity(caller, kMethod, kKey, expires), kMethod, kKey, kNow);
      ASSERT_TRUE(verified.ok()) << verified.status();
      ASSERT_EQ(verified->subject, caller.subject);
    }
  }
}

}  // namespace
}  // namespace kam
