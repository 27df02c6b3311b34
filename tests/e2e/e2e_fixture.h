#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/gateway/v1/gateway.grpc.pb.h"
#include "services/common/identity.h"
#include "services/common/jwt.h"
#include "tests/e2e/e2e_client.h"
#include "tests/e2e/kam_stack.h"

namespace kam::e2e {

namespace v1 = kam::accounts::v1;
using AccountStub = v1::AccountService::Stub;
using GatewayStub = kam::gateway::v1::GatewayService::Stub;
using Health = grpc::health::v1::HealthCheckResponse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Helpers shared by every e2e test. Tests share one running suite and one database, so each
// test names its accounts after itself (Prefix()) and lists only those.
class E2eTest : public ::testing::Test {
 protected:
  static KamStack& stack() { return KamStack::Get(); }

  // What the gateway accepts: its secret, issuer and audience, valid from now for an hour.
  static JwtMintOptions GoodMint();
  static std::string Token(const std::string& subject, const std::vector<std::string>& roles,
                           const JwtMintOptions& options = GoodMint());

  // Callers through the gateway: with a valid token, with the given token ("" = none).
  static Caller As(const std::string& subject, const std::vector<std::string>& roles);
  static Caller WithToken(const std::string& token);
  // A caller of the accounts service's own port, bypassing the gateway.
  static Caller DirectToAccounts(const Metadata& metadata);
  static Metadata IdentityMetadata(const SignedIdentity& identity);

  // "<Suite>.<Test>": the name prefix of the accounts this test creates.
  static std::string Prefix();
  // A valid new account "<Prefix()>-<label>" with a registration number never used before.
  static v1::Account Draft(const std::string& label);
  static std::string NewRequestId();

  static grpc::Status Create(const Caller& caller, const v1::Account& draft,
                             v1::Account* created = nullptr);
  static grpc::Status CreateWithRequestId(const Caller& caller, const v1::Account& draft,
                                          const std::string& request_id,
                                          v1::Account* created = nullptr);
  static grpc::Status Get(const Caller& caller, int64_t id, v1::Account* account = nullptr);
  // UpdateAccount of the `paths` of `patch` (which names the account) from version `etag`.
  static grpc::Status Update(const Caller& caller, const v1::Account& patch,
                             const std::vector<std::string>& paths, const std::string& etag,
                             v1::Account* updated = nullptr);
  static grpc::Status Archive(const Caller& caller, int64_t id, v1::Account* archived = nullptr);
  static grpc::Status List(const Caller& caller, const v1::ListAccountsRequest& request,
                           v1::ListAccountsResponse* response);
  // ListAccounts of this test's accounts (name_prefix = Prefix()).
  static v1::ListAccountsRequest OwnAccounts();
  // The ids this caller sees among this test's accounts (one page of up to 500); a failed
  // call is a test failure (and an empty list).
  static std::vector<int64_t> VisibleIds(const Caller& caller,
                                         v1::ListAccountsRequest request = OwnAccounts());
  static std::vector<int64_t> Ids(const v1::ListAccountsResponse& response);

  // GET /metrics of one service.
  static std::string Scrape(const std::string& service);
};

}  // namespace kam::e2e
