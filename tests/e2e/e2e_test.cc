// Who may call what: the gateway's authentication and role policy, and the accounts
// service's refusal of calls that did not come through the gateway.
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "tests/e2e/e2e_fixture.h"

namespace kam::e2e {
namespace {

using GatewayAuthTest = E2eTest;

grpc::Status WhoAmI(const Caller& caller, kam::gateway::v1::WhoAmIResponse* response = nullptr) {
  return caller.Call(&GatewayStub::WhoAmI, kam::gateway::v1::WhoAmIRequest(), response);
}

TEST_F(GatewayAuthTest, CallsWithoutAValidTokenAreUnauthenticated) {
  const std::vector<std::string> roles = {"director"};
  JwtMintOptions wrong_secret = GoodMint();
  wrong_secret.hs256_secret = "not-the-gateway-secret";
  JwtMintOptions expired = GoodMint();
  expired.issued_at = absl::Now() - absl::Hours(2);
  JwtMintOptions wrong_audience = GoodMint();
  wrong_audience.audience = "another-suite";
  const struct {
    std::string what;
    std::string token;
  } cases[] = {{"no token", ""},
               {"signed with the wrong secret", Token("erin", roles, wrong_secret)},
               {"expired an hour ago", Token("erin", roles, expired)},
               {"for another audience", Token("erin", roles, wrong_audience)}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const Caller caller = WithToken(c.token);
    const grpc::Status listed = List(caller, OwnAccounts(), nullptr);
    EXPECT_THAT(listed, GrpcError(grpc::StatusCode::UNAUTHENTICATED, ""));
    if (!c.token.empty()) {
      EXPECT_THAT(listed.error_message(), Not(HasSubstr(c.token))) << "no token in errors";
    }
    EXPECT_THAT(WhoAmI(caller), GrpcError(grpc::StatusCode::UNAUTHENTICATED, ""));
  }

  kam::gateway::v1::WhoAmIResponse me;
  ASSERT_THAT(WhoAmI(WithToken(Token("erin", roles)), &me), GrpcOk());
  EXPECT_EQ(me.subject(), "erin");
  EXPECT_THAT(me.roles(), ElementsAre("director"));
  EXPECT_THAT(List(As("erin", roles), OwnAccounts(), nullptr), GrpcOk());
}

using GatewayPolicyTest = E2eTest;

TEST_F(GatewayPolicyTest, RolesWithoutPermissionAreDenied) {
  const Caller director = As("dana", {"director"});
  EXPECT_THAT(Create(As("ann", {"analyst"}), Draft("by-analyst")),
              GrpcError(grpc::StatusCode::PERMISSION_DENIED, ""));
  EXPECT_THAT(VisibleIds(director), IsEmpty()) << "the denied create must not have happened";

  v1::Account account;
  ASSERT_THAT(Create(director, Draft("kept"), &account), GrpcOk());
  EXPECT_THAT(Archive(As("sam", {"service_agent"}), account.id()),
              GrpcError(grpc::StatusCode::PERMISSION_DENIED, ""));
  v1::Account after;
  ASSERT_THAT(Get(director, account.id(), &after), GrpcOk());
  EXPECT_FALSE(after.archived());
}

using GatewayBypassTest = E2eTest;

TEST_F(GatewayBypassTest, AccountsRefusesIdentityTheGatewayDidNotSign) {
  v1::Account account;
  ASSERT_THAT(Create(As("dana", {"director"}), Draft("target"), &account), GrpcOk());
  const absl::Time expires = absl::Now() + absl::Minutes(1);
  constexpr char kGet[] = "/kam.accounts.v1.AccountService/GetAccount";
  const SignedIdentity director =
      SignIdentity({"dana", {"director"}, ""}, kGet, stack().identity_key(), expires);
  const SignedIdentity forged =
      SignIdentity({"mallory", {"admin"}, ""}, kGet, "a-key-the-gateway-never-had", expires);
  // A genuine identity captured from another call cannot be replayed against this one.
  const SignedIdentity for_archive =
      SignIdentity({"dana", {"director"}, ""}, "/kam.accounts.v1.AccountService/ArchiveAccount",
                   stack().identity_key(), expires);
  // A manager's genuine identity with its roles rewritten to admin, signature kept.
  const SignedIdentity manager =
      SignIdentity({"mallory", {"account_manager"}, ""}, kGet, stack().identity_key(), expires);
  std::string payload;
  ASSERT_TRUE(Base64UrlDecode(manager.payload, &payload));
  ASSERT_THAT(payload, HasSubstr("\"account_manager\""));
  const SignedIdentity tampered{
      Base64UrlEncode(absl::StrReplaceAll(payload, {{"\"account_manager\"", "\"admin\""}})),
      manager.signature};

  const struct {
    std::string what;
    Metadata metadata;
  } cases[] = {{"no identity", {}},
               {"signed with another key", IdentityMetadata(forged)},
               {"payload changed after signing", IdentityMetadata(tampered)},
               {"identity signed for another method", IdentityMetadata(for_archive)}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_THAT(Get(DirectToAccounts(c.metadata), account.id()),
                GrpcError(grpc::StatusCode::UNAUTHENTICATED, ""));
  }
  // The same port does serve an identity the gateway's key signed.
  EXPECT_THAT(Get(DirectToAccounts(IdentityMetadata(director)), account.id()), GrpcOk());
}

}  // namespace
}  // namespace kam::e2e
