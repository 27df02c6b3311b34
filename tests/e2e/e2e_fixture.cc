#include "tests/e2e/e2e_fixture.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/process.h"

namespace kam::e2e {
namespace {

// One suite for the whole binary; GoogleTest owns and tears down the environment.
[[maybe_unused]] ::testing::Environment* const kStack =
    ::testing::AddGlobalTestEnvironment(new KamStack);

std::atomic<int> g_sequence{0};

// Calls an AccountService method whose response holds one account, copied to `out`.
template <typename Request, typename Response>
grpc::Status CallForAccount(const Caller& caller,
                            grpc::Status (AccountStub::*method)(grpc::ClientContext*,
                                                                const Request&, Response*),
                            const Request& request, v1::Account* out) {
  Response response;
  grpc::Status status = caller.Call(method, request, &response);
  if (out != nullptr) *out = response.account();
  return status;
}

}  // namespace

JwtMintOptions E2eTest::GoodMint() {
  JwtMintOptions options;
  options.hs256_secret = stack().jwt_secret();
  options.issuer = KamStack::kIssuer;
  options.audience = KamStack::kAudience;
  options.issued_at = absl::Now();
  options.ttl = absl::Hours(1);
  return options;
}

std::string E2eTest::Token(const std::string& subject, const std::vector<std::string>& roles,
                           const JwtMintOptions& options) {
  return MintJwt(Principal{subject, roles, ""}, options);
}

Caller E2eTest::As(const std::string& subject, const std::vector<std::string>& roles) {
  return WithToken(Token(subject, roles));
}

Caller E2eTest::WithToken(const std::string& token) {
  Metadata metadata;
  if (!token.empty()) metadata.emplace_back("authorization", "Bearer " + token);
  return Caller(stack().service("gateway").address(), std::move(metadata));
}

Caller E2eTest::DirectToAccounts(const Metadata& metadata) {
  return Caller(stack().service("accounts").address(), metadata);
}

Metadata E2eTest::IdentityMetadata(const SignedIdentity& identity) {
  return {{kIdentityHeader, identity.payload}, {kIdentitySignatureHeader, identity.signature}};
}

std::string E2eTest::Prefix() {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  return absl::StrCat(test->test_suite_name(), ".", test->name());
}

v1::Account E2eTest::Draft(const std::string& label) {
  v1::Account account;
  account.set_name(absl::StrCat(Prefix(), "-", label));
  account.set_registration_number(absl::StrCat("E2E-", ++g_sequence));
  account.set_nature(v1::NATURE_ORDINARY_COMPANY);
  return account;
}

std::string E2eTest::NewRequestId() { return absl::StrCat("e2e-request-", ++g_sequence); }

grpc::Status E2eTest::Create(const Caller& caller, const v1::Account& draft, v1::Account* created) {
  return CreateWithRequestId(caller, draft, NewRequestId(), created);
}

grpc::Status E2eTest::CreateWithRequestId(const Caller& caller, const v1::Account& draft,
                                          const std::string& request_id, v1::Account* created) {
  v1::CreateAccountRequest request;
  request.set_request_id(request_id);
  *request.mutable_account() = draft;
  return CallForAccount(caller, &AccountStub::CreateAccount, request, created);
}

grpc::Status E2eTest::Get(const Caller& caller, int64_t id, v1::Account* account) {
  v1::GetAccountRequest request;
  request.set_account_id(id);
  return CallForAccount(caller, &AccountStub::GetAccount, request, account);
}

grpc::Status E2eTest::Update(const Caller& caller, const v1::Account& patch,
                             const std::vector<std::string>& paths, const std::string& etag,
                             v1::Account* updated) {
  v1::UpdateAccountRequest request;
  request.set_request_id(NewRequestId());
  *request.mutable_account() = patch;
  for (const std::string& path : paths) request.mutable_update_mask()->add_paths(path);
  request.set_etag(etag);
  return CallForAccount(caller, &AccountStub::UpdateAccount, request, updated);
}

grpc::Status E2eTest::Archive(const Caller& caller, int64_t id, v1::Account* archived) {
  v1::ArchiveAccountRequest request;
  request.set_request_id(NewRequestId());
  request.set_account_id(id);
  request.set_reason("customer merged into its parent group");
  return CallForAccount(caller, &AccountStub::ArchiveAccount, request, archived);
}

grpc::Status E2eTest::List(const Caller& caller, const v1::ListAccountsRequest& request,
                           v1::ListAccountsResponse* response) {
  return caller.Call(&AccountStub::ListAccounts, request, response);
}

v1::ListAccountsRequest E2eTest::OwnAccounts() {
  v1::ListAccountsRequest request;
  request.set_name_prefix(Prefix());
  request.set_page_size(500);
  return request;
}

std::vector<int64_t> E2eTest::VisibleIds(const Caller& caller, v1::ListAccountsRequest request) {
  v1::ListAccountsResponse response;
  const grpc::Status status = List(caller, request, &response);
  if (!status.ok()) {
    ADD_FAILURE() << "ListAccounts failed: " << CodeName(status.error_code()) << ": "
                  << status.error_message();
  }
  return Ids(response);
}

std::vector<int64_t> E2eTest::Ids(const v1::ListAccountsResponse& response) {
  std::vector<int64_t> ids;
  for (const v1::Account& account : response.accounts()) ids.push_back(account.id());
  return ids;
}

std::string E2eTest::Scrape(const std::string& service) {
  absl::StatusOr<std::string> body =
      test_support::HttpGet(stack().service(service).metrics_port, "/metrics");
  if (!body.ok()) {
    ADD_FAILURE() << service << " /metrics: " << body.status();
    return "";
  }
  return *body;
}

}  // namespace kam::e2e
