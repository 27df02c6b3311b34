// The gateway as the one front door, end to end with the four real services: forged tokens
// never get in (and never reach the log), forged identities never get past a service's own
// port, every role gets exactly what services/gateway/policy.json grants, one manager never
// sees another's customers through any method, and a stopped or frozen service costs its
// own methods only, within the caller's deadline.
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "services/common/digest.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/support/process.h"

namespace kam::e2e {
namespace {

namespace av1 = kam::analytics::v1;
namespace cv1 = kam::complaints::v1;
namespace gv1 = kam::gateway::v1;
using AnalyticsStub = av1::AnalyticsService::Stub;
using ComplaintStub = cv1::ComplaintService::Stub;
using ::testing::Contains;
using ::testing::UnorderedElementsAreArray;
using json = nlohmann::json;

constexpr char kGetAccount[] = "/kam.accounts.v1.AccountService/GetAccount";
constexpr char kListComplaints[] = "/kam.complaints.v1.ComplaintService/ListComplaints";
constexpr char kAnalyzeAbc[] = "/kam.analytics.v1.AnalyticsService/AnalyzeAbc";
// No account ever gets this id: what a caller probing for ids would ask for.
constexpr int64_t kMissingAccount = 987'654'321'987;

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

// The year analytics files an order placed now under (the company zone is Asia/Shanghai).
std::string ThisYear() {
  absl::TimeZone shanghai;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  return absl::StrCat(absl::ToCivilYear(absl::Now(), shanghai).year());
}

grpc::Status WhoAmI(const Caller& caller, gv1::WhoAmIResponse* response = nullptr) {
  return caller.Call(&GatewayStub::WhoAmI, gv1::WhoAmIRequest(), response);
}

// A compact JWS signed with HS256 under `secret`, whatever the header and claims say.
std::string Hs256Jws(const json& header, const json& claims, const std::string& secret) {
  const std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  return input + "." + Base64UrlEncode(HmacSha256(secret, input));
}

// The token with one bit of its signature flipped (a signature of the same length).
std::string FlipSignatureBit(const std::string& token) {
  const size_t dot = token.rfind('.');
  std::string signature;
  EXPECT_TRUE(Base64UrlDecode(token.substr(dot + 1), &signature));
  signature[signature.size() / 2] ^= 0x01;
  return token.substr(0, dot + 1) + Base64UrlEncode(signature);
}

// "The status is `code`", for a list of statuses of different calls.
::testing::AssertionResult IsCode(const grpc::Status& status, grpc::StatusCode code) {
  if (status.error_code() == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << CodeName(status.error_code()) << ": "
                                       << status.error_message() << ", want " << CodeName(code);
}

// The credential in an authorization header value, without its scheme.
std::string CredentialOf(const std::string& header_value) {
  const size_t space = header_value.find(' ');
  return space == std::string::npos ? header_value : header_value.substr(space + 1);
}

// An authorization refusal: the gateway or the service said no, without an answer.
bool IsRefusal(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
         status.error_code() == grpc::StatusCode::UNAUTHENTICATED;
}

// The message with `id` written as <id>: a refusal must read the same for any account.
std::string WithoutId(const grpc::Status& status, int64_t id) {
  return absl::StrReplaceAll(status.error_message(), {{absl::StrCat(id), "<id>"}});
}

class GatewayE2eTest : public E2eTest {
 protected:
  static Caller Director() { return As("director-gw", {"director"}); }
  static Caller Erp() { return As("erp-gw", {"system"}); }
  static Caller Agent() { return As("agent-gw", {"service_agent"}); }

  // A caller of one service's own port with the given identity metadata.
  static Caller Direct(const std::string& service, const Metadata& metadata) {
    return Caller(stack().service(service).address(), metadata);
  }

  // A new account created by a director for `owner`, optionally under `parent`.
  static int64_t NewAccount(const std::string& label, const std::string& owner,
                            int64_t parent = 0) {
    v1::Account draft = Draft(label);
    draft.set_owner_id(owner);
    draft.set_parent_id(parent);
    v1::Account created;
    EXPECT_THAT(Create(Director(), draft, &created), GrpcOk());
    return created.id();
  }

  // Waits until complaints' replica of accounts holds the account with its owner.
  static void WaitForReplica(int64_t account_id, const std::string& owner) {
    const std::string sql = absl::StrCat(
        "SELECT owner_id FROM kam_complaints.account_replica WHERE account_id = ", account_id);
    EXPECT_TRUE(Eventually(
        [&] {
          absl::StatusOr<std::string> rows = stack().db().QueryAsRoot(sql);
          return rows.ok() && *rows == owner + "\n";
        },
        absl::Seconds(20)))
        << "account " << account_id << " never reached complaints' replica";
  }

  static cv1::Complaint ComplaintDraft(int64_t account_id, const std::string& description) {
    cv1::Complaint complaint;
    complaint.set_account_id(account_id);
    complaint.set_channel(cv1::CHANNEL_PHONE);
    complaint.set_category(cv1::CATEGORY_PRODUCT_QUALITY);
    complaint.set_description(description);
    complaint.set_severity(cv1::SEVERITY_MEDIUM);
    complaint.set_manner(cv1::MANNER_FRIENDLY);
    return complaint;
  }

  static grpc::Status Intake(const Caller& caller, int64_t account_id,
                             const std::string& description, cv1::Complaint* out = nullptr) {
    cv1::CreateComplaintRequest request;
    request.set_request_id(NewRequestId());
    *request.mutable_complaint() = ComplaintDraft(account_id, description);
    cv1::CreateComplaintResponse response;
    const grpc::Status status = caller.Call(&ComplaintStub::CreateComplaint, request, &response);
    if (out != nullptr) *out = response.complaint();
    return status;
  }

  // Every complaint the caller can list with `request`, all pages; a failed call is a test
  // failure.
  static std::vector<cv1::Complaint> AllComplaints(const Caller& caller,
                                                   cv1::ListComplaintsRequest request) {
    std::vector<cv1::Complaint> all;
    request.set_page_size(200);
    do {
      cv1::ListComplaintsResponse response;
      const grpc::Status status = caller.Call(&ComplaintStub::ListComplaints, request, &response);
      EXPECT_THAT(status, GrpcOk());
      if (!status.ok()) break;
      all.insert(all.end(), response.complaints().begin(), response.complaints().end());
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return all;
  }

  // One order of one line, placed ten minutes ago, recorded by the ERP.
  static void Order(int64_t account_id, int64_t revenue) {
    v1::RecordOrderRequest request;
    request.set_request_id(NewRequestId());
    v1::Order* order = request.mutable_order();
    order->set_account_id(account_id);
    order->set_external_id(absl::StrCat(Prefix(), "-", account_id));
    *order->mutable_order_time() = Ts(absl::Now() - absl::Minutes(10));
    v1::OrderLine* line = order->add_lines();
    line->set_product_code("COIL-7");
    line->set_product_category("steel coil");
    line->set_quantity(10);
    line->mutable_revenue()->set_currency_code("CNY");
    line->mutable_revenue()->set_minor_units(revenue);
    line->mutable_cost()->set_currency_code("CNY");
    line->mutable_cost()->set_minor_units(revenue / 2);
    EXPECT_THAT(Erp().Call(&AccountStub::RecordOrder, request), GrpcOk());
  }

  // The accounts of an ABC analysis of this year, all pages; the status of the first
  // failed call (OK if none).
  static grpc::Status AbcAccounts(const Caller& caller, av1::AnalyzeAbcRequest request,
                                  std::set<int64_t>* ids) {
    request.set_period(ThisYear());
    request.set_page_size(500);
    do {
      av1::AnalyzeAbcResponse response;
      const grpc::Status status = caller.Call(&AnalyticsStub::AnalyzeAbc, request, &response);
      if (!status.ok()) return status;
      for (const av1::AbcRow& row : response.rows()) ids->insert(row.account().id());
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return grpc::Status::OK;
  }

  static grpc::Status ScoredAccounts(const Caller& caller, av1::ScoreAccountsRequest request,
                                     std::set<int64_t>* ids) {
    request.set_period(ThisYear());
    request.set_page_size(500);
    do {
      av1::ScoreAccountsResponse response;
      const grpc::Status status = caller.Call(&AnalyticsStub::ScoreAccounts, request, &response);
      if (!status.ok()) return status;
      for (const av1::ScoreRow& row : response.rows()) ids->insert(row.account().id());
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return grpc::Status::OK;
  }

  // The ids of all pages of ListAccounts with `request`; the first failure's status.
  static grpc::Status AllAccountIds(const Caller& caller, v1::ListAccountsRequest request,
                                    std::vector<int64_t>* ids) {
    do {
      v1::ListAccountsResponse response;
      const grpc::Status status = List(caller, request, &response);
      if (!status.ok()) return status;
      for (int64_t id : Ids(response)) ids->push_back(id);
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return grpc::Status::OK;
  }
};

// ---------------------------------------------------------------------------------------
// 1. Forged tokens

using GatewayForgeryE2eTest = GatewayE2eTest;

TEST_F(GatewayForgeryE2eTest, EveryForgedTokenIsUnauthenticatedReturnsNothingAndIsNeverLogged) {
  const Caller director = Director();
  v1::Account account;
  ASSERT_THAT(Create(director, Draft("visible"), &account), GrpcOk());
  ASSERT_THAT(VisibleIds(director), ElementsAre(account.id())) << "the corpus must have a target";

  const std::string& secret = stack().jwt_secret();
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  const json claims = {{"iss", KamStack::kIssuer},
                       {"aud", KamStack::kAudience},
                       {"sub", "mallory"},
                       {"roles", {"director"}},
                       {"iat", now},
                       {"exp", now + 3600}};
  const json hs256 = {{"alg", "HS256"}, {"typ", "JWT"}};
  const std::string good = Hs256Jws(hs256, claims, secret);
  auto with = [&](const char* claim, json value) {
    json changed = claims;
    changed[claim] = std::move(value);
    return Hs256Jws(hs256, changed, secret);
  };
  const std::string unsigned_input = Base64UrlEncode(json{{"alg", "none"}, {"typ", "JWT"}}.dump()) +
                                     "." + Base64UrlEncode(claims.dump());
  json padded = claims;
  padded["pad"] = std::string(9000, 'x');

  // RS256: the stack's key pair (kid KamStack::kRs256KeyId) and one the gateway never saw.
  const std::string public_pem = stack().rs256_public_key_pem();
  auto rs256 = [&](const JwtMintOptions& options) {
    absl::StatusOr<std::string> token = MintRs256Jwt({"rita", {"director"}, ""}, options);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.value_or("");
  };
  JwtMintOptions rs = GoodMint();
  rs.hs256_secret.clear();
  rs.rs256_private_key_pem = stack().rs256_private_key_pem();
  rs.kid = KamStack::kRs256KeyId;
  const std::string good_rs256 = rs256(rs);
  JwtMintOptions unknown_kid = rs;
  unknown_kid.kid = "e2e-retired";
  JwtMintOptions stranger = rs;
  stranger.rs256_private_key_pem = GenerateRsaKeyPair().private_pem;
  JwtMintOptions rs_expired = rs;
  rs_expired.issued_at = absl::Now() - absl::Hours(2);
  JwtMintOptions rs_audience = rs;
  rs_audience.audience = "another-suite";
  const json hs256_with_rs_kid = {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", KamStack::kRs256KeyId}};

  const struct {
    std::string what;
    Metadata metadata;
  } cases[] = {
      {"no token", {}},
      {"empty bearer", {{"authorization", "Bearer "}}},
      {"not a JWT", {{"authorization", "Bearer not-a-jwt"}}},
      {"two segments", {{"authorization", "Bearer " + good.substr(0, good.rfind('.'))}}},
      {"garbage segments", {{"authorization", "Bearer e30.e30.%%%"}}},
      {"alg none, no signature", {{"authorization", "Bearer " + unsigned_input + "."}}},
      {"alg none, HS256 signature kept",
       {{"authorization", "Bearer " + unsigned_input + good.substr(good.rfind('.'))}}},
      {"alg HS512 header",
       {{"authorization", "Bearer " + Hs256Jws({{"alg", "HS512"}}, claims, secret)}}},
      {"flipped signature bit", {{"authorization", "Bearer " + FlipSignatureBit(good)}}},
      {"wrong secret", {{"authorization", "Bearer " + Hs256Jws(hs256, claims, "guessed")}}},
      {"expired", {{"authorization", "Bearer " + with("exp", now - 3600)}}},
      {"not yet valid", {{"authorization", "Bearer " + with("nbf", now + 3600)}}},
      {"wrong issuer", {{"authorization", "Bearer " + with("iss", "kam-elsewhere")}}},
      {"wrong audience", {{"authorization", "Bearer " + with("aud", "another-suite")}}},
      {"no subject", {{"authorization", "Bearer " + with("sub", "")}}},
      {"unknown role", {{"authorization", "Bearer " + with("roles", {"superuser"})}}},
      {"oversized", {{"authorization", "Bearer " + Hs256Jws(hs256, padded, secret)}}},
      {"Basic scheme", {{"authorization", "Basic " + good}}},
      {"token without a scheme", {{"authorization", good}}},
      {"bearer in another header", {{"x-authorization", "Bearer " + good}}},
      {"HS256 signed with the RS256 public key, its kid",
       {{"authorization", "Bearer " + Hs256Jws(hs256_with_rs_kid, claims, public_pem)}}},
      {"HS256 signed with the RS256 public key, no kid",
       {{"authorization", "Bearer " + Hs256Jws(hs256, claims, public_pem)}}},
      {"RS256, unknown kid", {{"authorization", "Bearer " + rs256(unknown_kid)}}},
      {"RS256, flipped signature bit",
       {{"authorization", "Bearer " + FlipSignatureBit(good_rs256)}}},
      {"RS256, another key under our kid", {{"authorization", "Bearer " + rs256(stranger)}}},
      {"RS256, expired", {{"authorization", "Bearer " + rs256(rs_expired)}}},
      {"RS256, wrong audience", {{"authorization", "Bearer " + rs256(rs_audience)}}},
      {"unknown API key", {{"x-api-key", "kam-e2e-api-key-guessed-0123456789"}}},
      {"API key with one character changed",
       {{"x-api-key", stack().api_key().substr(0, stack().api_key().size() - 1) + "#"}}},
      {"API key sent as a bearer token", {{"authorization", "Bearer " + stack().api_key()}}},
  };
  std::vector<std::string> credentials = {good, good_rs256, stack().api_key()};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const Caller caller(stack().service("gateway").address(), c.metadata);
    v1::ListAccountsResponse listed;
    const grpc::Status status = List(caller, OwnAccounts(), &listed);
    EXPECT_TRUE(IsCode(status, grpc::StatusCode::UNAUTHENTICATED));
    EXPECT_EQ(listed.accounts_size(), 0) << "a refused call returned accounts";
    EXPECT_TRUE(IsCode(WhoAmI(caller), grpc::StatusCode::UNAUTHENTICATED));
    for (const auto& [key, value] : c.metadata) {
      const std::string credential = CredentialOf(value);
      if (credential.size() < 12) continue;  // short enough to occur by chance
      credentials.push_back(credential);
      EXPECT_FALSE(absl::StrContains(status.error_message(), credential)) << "echoed";
    }
  }

  // The control: the same claims, correctly signed and sent, do get in.
  gv1::WhoAmIResponse me;
  ASSERT_THAT(WhoAmI(WithToken(good), &me), GrpcOk());
  EXPECT_EQ(me.subject(), "mallory");
  EXPECT_THAT(VisibleIds(WithToken(good)), ElementsAre(account.id()));
  // So do a valid RS256 token and the machine caller's API key.
  ASSERT_THAT(WhoAmI(WithToken(good_rs256), &me), GrpcOk());
  EXPECT_EQ(me.subject(), "rita");
  EXPECT_THAT(VisibleIds(WithToken(good_rs256)), ElementsAre(account.id()));
  const Caller machine(stack().service("gateway").address(), {{"x-api-key", stack().api_key()}});
  ASSERT_THAT(WhoAmI(machine, &me), GrpcOk());
  EXPECT_EQ(me.subject(), KamStack::kApiKeySubject);
  EXPECT_THAT(me.roles(), ElementsAre(KamStack::kApiKeyRole));
  EXPECT_THAT(VisibleIds(machine), ElementsAre(account.id()));

  // No credential reaches the gateway's log, whole or as its signature.
  const std::string log = test_support::ReadFile(stack().service("gateway").log_path);
  ASSERT_FALSE(log.empty()) << "the gateway log moved: " << stack().service("gateway").log_path;
  for (const std::string& credential : credentials) {
    EXPECT_FALSE(absl::StrContains(log, credential)) << "in the log: " << credential.substr(0, 40);
    const size_t dot = credential.rfind('.');
    if (dot != std::string::npos && credential.size() - dot > 16) {
      EXPECT_FALSE(absl::StrContains(log, credential.substr(dot + 1)))
          << "a token signature is in the log";
    }
  }
}

// ---------------------------------------------------------------------------------------
// 2. Bypassing the gateway

using GatewayBypassE2eTest = GatewayE2eTest;

TEST_F(GatewayBypassE2eTest, EveryServiceRefusesIdentityTheGatewayDidNotSign) {
  const int64_t account = NewAccount("target", "director-gw");
  const Principal director{"director-gw", {"director"}, ""};
  const absl::Time expires = absl::Now() + absl::Minutes(1);
  const std::string& key = stack().identity_key();

  // One read of each service, as its own port receives it from the gateway.
  v1::GetAccountRequest get;
  get.set_account_id(account);
  cv1::ListComplaintsRequest complaints;
  complaints.set_account_id(account);
  av1::AnalyzeAbcRequest abc;
  abc.set_period(ThisYear());
  const struct {
    std::string service;
    std::string method;
    std::function<grpc::Status(const Caller&)> call;
  } targets[] = {
      {"accounts", kGetAccount,
       [&](const Caller& c) { return c.Call(&AccountStub::GetAccount, get); }},
      {"complaints", kListComplaints,
       [&](const Caller& c) { return c.Call(&ComplaintStub::ListComplaints, complaints); }},
      {"analytics", kAnalyzeAbc,
       [&](const Caller& c) { return c.Call(&AnalyticsStub::AnalyzeAbc, abc); }},
  };
  for (const auto& target : targets) {
    SCOPED_TRACE(target.service);
    const SignedIdentity genuine = SignIdentity(director, target.method, key, expires);
    const SignedIdentity other_method =
        SignIdentity(director, "/kam.accounts.v1.AccountService/ArchiveAccount", key, expires);
    const SignedIdentity wrong_key =
        SignIdentity(director, target.method, "a-key-the-gateway-never-had", expires);
    const SignedIdentity made_up{
        Base64UrlEncode(R"({"sub":"mallory","roles":["admin"],"method":")" + target.method +
                        R"(","exp":4102444800})"),
        Base64UrlEncode(std::string(32, '\x5a'))};
    const SignedIdentity expired =
        SignIdentity(director, target.method, key, absl::Now() - absl::Minutes(5));
    const struct {
      std::string what;
      Metadata metadata;
    } cases[] = {
        {"no identity", {}},
        {"made-up payload and signature", IdentityMetadata(made_up)},
        {"signed with another key", IdentityMetadata(wrong_key)},
        {"genuine pair issued for another method", IdentityMetadata(other_method)},
        {"genuine pair, expired", IdentityMetadata(expired)},
        {"genuine payload without its signature", {{kIdentityHeader, genuine.payload}}},
        {"a bearer token instead", {{"authorization", "Bearer " + Token("d", {"admin"})}}}};
    for (const auto& c : cases) {
      SCOPED_TRACE(c.what);
      EXPECT_TRUE(IsCode(target.call(Direct(target.service, c.metadata)),
                         grpc::StatusCode::UNAUTHENTICATED));
    }
    // The control: the identity the gateway would have signed is served.
    EXPECT_THAT(target.call(Direct(target.service, IdentityMetadata(genuine))), GrpcOk());
  }
}

// ---------------------------------------------------------------------------------------
// 3. Every role against a representative read and write of each service

// services/gateway/policy.json, as the gateway built into the stack has it.
json ShippedPolicy() {
  std::ifstream file(std::string(KAM_SOURCE_DIR) + "/services/gateway/policy.json");
  EXPECT_TRUE(file.good()) << "services/gateway/policy.json not found";
  return json::parse(file, nullptr, /*allow_exceptions=*/false);
}

bool PolicyAllows(const json& policy, const std::string& method, const std::string& role) {
  if (!policy.contains("methods") || !policy["methods"].contains(method)) {
    ADD_FAILURE() << method << " has no entry in policy.json";
    return false;
  }
  const json& roles = policy["methods"][method];
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

using GatewayRolesE2eTest = GatewayE2eTest;

TEST_F(GatewayRolesE2eTest, EachRoleGetsWhatThePolicyGrantsAndADenialChangesNothing) {
  const json policy = ShippedPolicy();
  ASSERT_TRUE(policy.is_object() && policy.contains("roles"));
  const Caller director = Director();
  // The account every role reads and complains about; its owner is the manager below.
  const std::string manager = "mgr-roles";
  const int64_t account = NewAccount("subject", manager);
  WaitForReplica(account, manager);
  const std::string prefix = Prefix();

  // The representative methods; each returns the call's status and, for a write, checks
  // through a director that a denied call left nothing behind.
  struct Method {
    std::string name;
    std::function<grpc::Status(const Caller&, const std::string& role)> call;
    std::function<void(const std::string& role, const std::string& subject)> check_no_effect;
  };
  auto no_review_by = [&](const std::string& subject) {
    av1::ListTierReviewsRequest request;
    request.set_page_size(100);
    do {
      av1::ListTierReviewsResponse response;
      ASSERT_THAT(director.Call(&AnalyticsStub::ListTierReviews, request, &response), GrpcOk());
      for (const av1::TierReview& review : response.reviews()) {
        EXPECT_NE(review.run_by(), subject) << "a denied tier review was recorded";
      }
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
  };
  const std::vector<Method> methods = {
      {"/kam.gateway.v1.GatewayService/WhoAmI",
       [](const Caller& c, const std::string&) { return WhoAmI(c); }, nullptr},
      {kGetAccount, [&](const Caller& c, const std::string&) { return Get(c, account); }, nullptr},
      {"/kam.accounts.v1.AccountService/CreateAccount",
       [&](const Caller& c, const std::string& role) { return Create(c, Draft("by-" + role)); },
       [&](const std::string& role, const std::string&) {
         v1::ListAccountsRequest request = OwnAccounts();
         request.set_name_prefix(absl::StrCat(prefix, "-by-", role));
         EXPECT_THAT(VisibleIds(director, request), IsEmpty()) << "a denied create happened";
       }},
      {kListComplaints,
       [&](const Caller& c, const std::string&) {
         cv1::ListComplaintsRequest request;
         request.set_account_id(account);
         return c.Call(&ComplaintStub::ListComplaints, request);
       },
       nullptr},
      {"/kam.complaints.v1.ComplaintService/CreateComplaint",
       [&](const Caller& c, const std::string& role) {
         return Intake(c, account, absl::StrCat("recorded by ", role));
       },
       [&](const std::string& role, const std::string&) {
         cv1::ListComplaintsRequest request;
         request.set_account_id(account);
         for (const cv1::Complaint& complaint : AllComplaints(director, request)) {
           EXPECT_NE(complaint.description(), absl::StrCat("recorded by ", role))
               << "a denied complaint was recorded";
         }
       }},
      {kAnalyzeAbc,
       [&](const Caller& c, const std::string&) {
         av1::AnalyzeAbcRequest request;
         request.set_period(ThisYear());
         return c.Call(&AnalyticsStub::AnalyzeAbc, request);
       },
       nullptr},
      {"/kam.analytics.v1.AnalyticsService/RunTierReview",
       [&](const Caller& c, const std::string&) {
         av1::RunTierReviewRequest request;
         request.set_request_id(NewRequestId());
         request.mutable_parameters()->set_period(ThisYear());
         request.set_dry_run(true);
         return c.Call(&AnalyticsStub::RunTierReview, request);
       },
       [&](const std::string&, const std::string& subject) { no_review_by(subject); }},
  };

  int allowed = 0;
  int denied = 0;
  for (const json& role_json : policy["roles"]) {
    const std::string role = role_json.get<std::string>();
    // Each role acts as itself; the manager owns the account, the handler has a department.
    const std::string subject = role == "account_manager" ? manager : role + "-roles";
    const Caller caller =
        WithToken(MintJwt({subject, {role}, role == "handler" ? "QA" : ""}, GoodMint()));
    for (const Method& method : methods) {
      SCOPED_TRACE(absl::StrCat(role, " calls ", method.name));
      const grpc::Status status = method.call(caller, role);
      if (PolicyAllows(policy, method.name, role)) {
        ++allowed;
        EXPECT_FALSE(IsRefusal(status))
            << CodeName(status.error_code()) << ": " << status.error_message();
        EXPECT_THAT(status, GrpcOk()) << "a representative call of an allowed role";
      } else {
        ++denied;
        EXPECT_TRUE(IsCode(status, grpc::StatusCode::PERMISSION_DENIED));
        if (method.check_no_effect) method.check_no_effect(role, subject);
      }
    }
  }
  // The policy must keep exercising both sides, or this test proves nothing.
  EXPECT_GT(allowed, 20);
  EXPECT_GT(denied, 10);
}

// ---------------------------------------------------------------------------------------
// 4. One manager never obtains another's customers

class GatewayIsolationE2eTest : public GatewayE2eTest {
 protected:
  static constexpr char kManagerA[] = "mgr-a-isolation";
  static constexpr char kManagerB[] = "mgr-b-isolation";

  // A's calls about B's account and about an id that does not exist must fail alike: a
  // refusal, the same code, the same message but for the id.
  static void ExpectSameRefusal(const grpc::Status& about_b, int64_t b_id,
                                const grpc::Status& about_missing, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_FALSE(about_b.ok()) << "A obtained B's " << what;
    EXPECT_EQ(about_b.error_code(), about_missing.error_code())
        << CodeName(about_b.error_code()) << " for B's account, "
        << CodeName(about_missing.error_code()) << " for a missing one: ids can be probed";
    EXPECT_EQ(WithoutId(about_b, b_id), WithoutId(about_missing, kMissingAccount));
  }
};

TEST_F(GatewayIsolationE2eTest, ManagerANeverObtainsManagerBsData) {
  const Caller a = As(kManagerA, {"account_manager"});
  const Caller b = As(kManagerB, {"account_manager"});
  // One group across both: B's root, A's subsidiary, B's account below that.
  const int64_t b_root = NewAccount("b-root", kManagerB);
  const int64_t a_child = NewAccount("a-child", kManagerA, b_root);
  const int64_t b_leaf = NewAccount("b-leaf", kManagerB, a_child);
  const int64_t a_other = NewAccount("a-other", kManagerA);
  const int64_t b_other = NewAccount("b-other", kManagerB);
  const std::set<int64_t> a_accounts = {a_child, a_other};
  const std::set<int64_t> b_accounts = {b_root, b_leaf, b_other};

  // B's customer has everything A could be after: a contact, an opportunity, a visit on
  // the timeline, a complaint and orders that analytics ranks.
  v1::CreateContactRequest contact;
  contact.set_request_id(NewRequestId());
  contact.mutable_contact()->set_account_id(b_root);
  contact.mutable_contact()->set_name("Wang Fang");
  contact.mutable_contact()->set_phone("+86 10 5555 0100");
  ASSERT_THAT(b.Call(&AccountStub::CreateContact, contact), GrpcOk());
  v1::CreateOpportunityRequest opportunity;
  opportunity.set_request_id(NewRequestId());
  opportunity.mutable_opportunity()->set_account_id(b_root);
  opportunity.mutable_opportunity()->set_name("B's rolling mill upgrade");
  v1::CreateOpportunityResponse b_opportunity;
  ASSERT_THAT(b.Call(&AccountStub::CreateOpportunity, opportunity, &b_opportunity), GrpcOk());
  opportunity.set_request_id(NewRequestId());
  opportunity.mutable_opportunity()->set_account_id(a_child);
  opportunity.mutable_opportunity()->set_name("A's coil order");
  ASSERT_THAT(a.Call(&AccountStub::CreateOpportunity, opportunity), GrpcOk());
  v1::CreateContactRecordRequest visit;
  visit.set_request_id(NewRequestId());
  v1::ContactRecord* record = visit.mutable_record();
  record->set_account_id(b_root);
  record->set_kind(v1::CONTACT_KIND_CALL);
  *record->mutable_occur_time() = Ts(absl::Now() - absl::Hours(1));
  record->set_summary("B's pricing talk");
  record->set_outcome(v1::CONTACT_OUTCOME_EFFECTIVE);
  ASSERT_THAT(b.Call(&AccountStub::CreateContactRecord, visit), GrpcOk());
  WaitForReplica(b_root, kManagerB);
  WaitForReplica(a_child, kManagerA);
  cv1::Complaint b_complaint;
  ASSERT_THAT(Intake(Agent(), b_root, "B's customer complains", &b_complaint), GrpcOk());
  ASSERT_THAT(Intake(Agent(), a_child, "A's customer complains"), GrpcOk());
  for (int64_t id : {b_root, b_leaf, a_child, a_other}) Order(id, 1'000'00 + id);
  ASSERT_TRUE(Eventually(
      [&] {
        std::set<int64_t> ranked;
        return AbcAccounts(Director(), {}, &ranked).ok() && ranked.count(b_root) &&
               ranked.count(b_leaf) && ranked.count(a_child) && ranked.count(a_other);
      },
      absl::Seconds(20)))
      << "the orders never reached analytics";

  // Single reads: refused, and refused the same way as for an account that does not exist.
  v1::Account got;
  const grpc::Status get_b = Get(a, b_root, &got);
  EXPECT_TRUE(IsCode(get_b, grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_EQ(got.name(), "");
  ExpectSameRefusal(get_b, b_root, Get(a, kMissingAccount), "account");
  auto contacts_of = [&](int64_t id, v1::ListContactsResponse* out) {
    v1::ListContactsRequest request;
    request.set_account_id(id);
    return a.Call(&AccountStub::ListContacts, request, out);
  };
  v1::ListContactsResponse contacts;
  ExpectSameRefusal(contacts_of(b_root, &contacts), b_root, contacts_of(kMissingAccount, nullptr),
                    "contacts");
  EXPECT_EQ(contacts.contacts_size(), 0);
  auto timeline_of = [&](int64_t id, v1::ListTimelineResponse* out) {
    v1::ListTimelineRequest request;
    request.set_account_id(id);
    return a.Call(&AccountStub::ListTimeline, request, out);
  };
  v1::ListTimelineResponse timeline;
  ExpectSameRefusal(timeline_of(b_root, &timeline), b_root, timeline_of(kMissingAccount, nullptr),
                    "timeline");
  EXPECT_EQ(timeline.records_size(), 0);
  auto tree_of = [&](int64_t id, v1::GetGroupTreeResponse* out) {
    v1::GetGroupTreeRequest request;
    request.set_account_id(id);
    return a.Call(&AccountStub::GetGroupTree, request, out);
  };
  v1::GetGroupTreeResponse b_tree;
  ExpectSameRefusal(tree_of(b_root, &b_tree), b_root, tree_of(kMissingAccount, nullptr),
                    "group tree");
  EXPECT_EQ(b_tree.nodes_size(), 0);

  // The customer 360 view of B's account: refused as a whole, like a missing account.
  auto view_of = [&](int64_t id, gv1::GetCustomer360Response* out) {
    gv1::GetCustomer360Request request;
    request.set_account_id(id);
    return a.Call(&GatewayStub::GetCustomer360, request, out);
  };
  gv1::GetCustomer360Response b_view;
  const grpc::Status view_b = view_of(b_root, &b_view);
  EXPECT_TRUE(IsCode(view_b, grpc::StatusCode::PERMISSION_DENIED));
  ExpectSameRefusal(view_b, b_root, view_of(kMissingAccount, nullptr), "customer 360 view");
  EXPECT_EQ(b_view.ByteSizeLong(), 0u) << b_view.DebugString();
  gv1::GetCustomer360Response a_view;
  EXPECT_THAT(view_of(a_child, &a_view), GrpcOk()) << "A's own customer 360 view";

  // A's own subsidiary, ancestors included: B's accounts in it carry no names.
  v1::GetGroupTreeRequest tree;
  tree.set_account_id(a_child);
  tree.set_include_ancestors(true);
  v1::GetGroupTreeResponse a_tree;
  ASSERT_THAT(a.Call(&AccountStub::GetGroupTree, tree, &a_tree), GrpcOk());
  std::set<int64_t> in_tree;
  for (const v1::GroupNode& node : a_tree.nodes()) {
    in_tree.insert(node.account_id());
    if (b_accounts.count(node.account_id())) {
      EXPECT_EQ(node.name(), "") << "A sees the name of B's account " << node.account_id();
    } else {
      EXPECT_NE(node.name(), "") << "A's own account " << node.account_id() << " lost its name";
    }
  }
  EXPECT_TRUE(in_tree.count(a_child));

  // Lists, every page, small pages: only A's accounts.
  v1::ListAccountsRequest mine = OwnAccounts();
  mine.set_page_size(1);
  std::vector<int64_t> listed;
  ASSERT_THAT(AllAccountIds(a, mine, &listed), GrpcOk());
  EXPECT_THAT(listed, UnorderedElementsAreArray(a_accounts));
  v1::ListAccountsRequest bs = OwnAccounts();
  bs.set_owner_id(kManagerB);
  std::vector<int64_t> named_b;
  const grpc::Status by_owner = AllAccountIds(a, bs, &named_b);
  EXPECT_TRUE(by_owner.ok() || IsRefusal(by_owner)) << CodeName(by_owner.error_code());
  EXPECT_THAT(named_b, IsEmpty()) << "A listed B's accounts by naming B";

  // B's page token replayed by A: refused, or A's rows only.
  v1::ListAccountsRequest b_first = OwnAccounts();
  b_first.set_page_size(1);
  v1::ListAccountsResponse b_page;
  ASSERT_THAT(List(b, b_first, &b_page), GrpcOk());
  ASSERT_FALSE(b_page.next_page_token().empty());
  v1::ListAccountsRequest replay = b_first;
  replay.set_page_token(b_page.next_page_token());
  v1::ListAccountsResponse replayed;
  const grpc::Status replay_status = List(a, replay, &replayed);
  EXPECT_TRUE(replay_status.ok() ||
              replay_status.error_code() == grpc::StatusCode::INVALID_ARGUMENT)
      << CodeName(replay_status.error_code());
  for (int64_t id : Ids(replayed)) EXPECT_TRUE(a_accounts.count(id)) << "B's account " << id;

  v1::ListOpportunitiesRequest all_opportunities;
  all_opportunities.set_page_size(500);
  v1::ListOpportunitiesResponse opportunities;
  ASSERT_THAT(a.Call(&AccountStub::ListOpportunities, all_opportunities, &opportunities), GrpcOk());
  EXPECT_FALSE(opportunities.opportunities().empty()) << "A's own opportunity is missing";
  for (const v1::Opportunity& o : opportunities.opportunities()) {
    EXPECT_FALSE(b_accounts.count(o.account_id())) << "A sees B's opportunity " << o.id();
  }
  auto opportunities_of = [&](int64_t id, v1::ListOpportunitiesResponse* out) {
    v1::ListOpportunitiesRequest request;
    request.set_account_id(id);
    return a.Call(&AccountStub::ListOpportunities, request, out);
  };
  v1::ListOpportunitiesResponse b_opportunities;
  const grpc::Status b_opps = opportunities_of(b_root, &b_opportunities);
  EXPECT_EQ(b_opportunities.opportunities_size(), 0);
  const grpc::Status missing_opps = opportunities_of(kMissingAccount, nullptr);
  EXPECT_EQ(b_opps.error_code(), missing_opps.error_code()) << "ids can be probed";
  all_opportunities.set_owner_id(kManagerB);
  v1::ListOpportunitiesResponse named_b_opportunities;
  (void)a.Call(&AccountStub::ListOpportunities, all_opportunities, &named_b_opportunities);
  EXPECT_EQ(named_b_opportunities.opportunities_size(), 0);

  // Complaints: every page, and by B's account.
  std::vector<cv1::Complaint> a_complaints = AllComplaints(a, {});
  EXPECT_FALSE(a_complaints.empty()) << "A's own complaint is missing";
  for (const cv1::Complaint& c : a_complaints) {
    EXPECT_FALSE(b_accounts.count(c.account_id())) << "A sees B's complaint " << c.id();
  }
  auto complaints_of = [&](int64_t id, cv1::ListComplaintsResponse* out) {
    cv1::ListComplaintsRequest request;
    request.set_account_id(id);
    return a.Call(&ComplaintStub::ListComplaints, request, out);
  };
  cv1::ListComplaintsResponse b_complaints;
  const grpc::Status b_listed = complaints_of(b_root, &b_complaints);
  EXPECT_EQ(b_complaints.complaints_size(), 0);
  EXPECT_EQ(b_listed.error_code(), complaints_of(kMissingAccount, nullptr).error_code());
  cv1::GetComplaintRequest one_complaint;
  one_complaint.set_complaint_id(b_complaint.id());
  EXPECT_FALSE(a.Call(&ComplaintStub::GetComplaint, one_complaint).ok());

  // Analytics ranks A's accounts only, and refuses (or empties) a filter naming B.
  std::set<int64_t> ranked;
  ASSERT_THAT(AbcAccounts(a, {}, &ranked), GrpcOk());
  EXPECT_THAT(ranked, Contains(a_child));
  for (int64_t id : b_accounts) EXPECT_FALSE(ranked.count(id)) << "B's account " << id;
  std::set<int64_t> scored;
  ASSERT_THAT(ScoredAccounts(a, {}, &scored), GrpcOk());
  EXPECT_THAT(scored, Contains(a_child));
  for (int64_t id : b_accounts) EXPECT_FALSE(scored.count(id)) << "B's account " << id;
  av1::AnalyzeAbcRequest naming_b;
  naming_b.mutable_filter()->set_owner_id(kManagerB);
  std::set<int64_t> named_rows;
  const grpc::Status naming_status = AbcAccounts(a, naming_b, &named_rows);
  EXPECT_TRUE(naming_status.ok() || IsRefusal(naming_status));
  EXPECT_THAT(named_rows, IsEmpty());
  av1::AnalyzeAbcRequest b_group;
  b_group.mutable_filter()->set_group_id(b_root);
  std::set<int64_t> group_rows;
  const grpc::Status group_status = AbcAccounts(a, b_group, &group_rows);
  for (int64_t id : b_accounts) EXPECT_FALSE(group_rows.count(id)) << "B's account " << id;
  av1::AnalyzeAbcRequest missing_group;
  missing_group.mutable_filter()->set_group_id(kMissingAccount);
  std::set<int64_t> ignored;
  EXPECT_EQ(group_status.error_code(), AbcAccounts(a, missing_group, &ignored).error_code())
      << "B's group and a missing one differ";
  av1::ScoreAccountsRequest score_naming_b;
  score_naming_b.mutable_filter()->set_owner_id(kManagerB);
  std::set<int64_t> scored_b;
  (void)ScoredAccounts(a, score_naming_b, &scored_b);
  EXPECT_THAT(scored_b, IsEmpty());

  // B's analytics page token replayed by A.
  av1::AnalyzeAbcRequest b_abc;
  b_abc.set_period(ThisYear());
  b_abc.set_page_size(1);
  av1::AnalyzeAbcResponse b_abc_page;
  ASSERT_THAT(b.Call(&AnalyticsStub::AnalyzeAbc, b_abc, &b_abc_page), GrpcOk());
  ASSERT_FALSE(b_abc_page.next_page_token().empty()) << "B has two ranked accounts";
  b_abc.set_page_token(b_abc_page.next_page_token());
  av1::AnalyzeAbcResponse a_replayed;
  const grpc::Status abc_replay = a.Call(&AnalyticsStub::AnalyzeAbc, b_abc, &a_replayed);
  EXPECT_TRUE(abc_replay.ok() || abc_replay.error_code() == grpc::StatusCode::INVALID_ARGUMENT)
      << CodeName(abc_replay.error_code());
  for (const av1::AbcRow& row : a_replayed.rows()) {
    EXPECT_FALSE(b_accounts.count(row.account().id())) << "B's account " << row.account().id();
  }
}

// ---------------------------------------------------------------------------------------
// 5. A stopped service

using GatewayOutageE2eTest = GatewayE2eTest;

TEST_F(GatewayOutageE2eTest,
       AStoppedServiceFailsItsOwnMethodsOnlyAndComesBackWithoutAGatewayRestart) {
  const Caller director = Director();
  const int64_t account = NewAccount("steady", "director-gw");
  auto list_complaints = [&] {
    cv1::ListComplaintsRequest request;
    request.set_account_id(account);
    return director.Call(&ComplaintStub::ListComplaints, request);
  };
  auto analyze = [&] {
    av1::AnalyzeAbcRequest request;
    request.set_period(ThisYear());
    return director.Call(&AnalyticsStub::AnalyzeAbc, request);
  };
  ASSERT_THAT(list_complaints(), GrpcOk());

  ASSERT_TRUE(stack().StopService("complaints").ok());
  absl::Cleanup restart = [] {
    if (!KamStack::Get().service("complaints").process->Running()) {
      (void)KamStack::Get().RestartService("complaints");
    }
  };
  // Within a few seconds, and every call then answers promptly (no hanging until the
  // caller's deadline).
  EXPECT_TRUE(
      Eventually([&] { return list_complaints().error_code() == grpc::StatusCode::UNAVAILABLE; },
                 absl::Seconds(5)));
  for (int i = 0; i < 3; ++i) {
    const absl::Time start = absl::Now();
    EXPECT_TRUE(IsCode(list_complaints(), grpc::StatusCode::UNAVAILABLE));
    EXPECT_TRUE(IsCode(Intake(Agent(), account, "while complaints is down"),
                       grpc::StatusCode::UNAVAILABLE));
    EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  }
  // The other services keep working through the same gateway.
  EXPECT_THAT(Get(director, account), GrpcOk());
  EXPECT_THAT(Create(director, Draft("during-outage")), GrpcOk());
  EXPECT_THAT(analyze(), GrpcOk());
  EXPECT_THAT(WhoAmI(director), GrpcOk());

  const pid_t gateway_pid = stack().service("gateway").process->pid();
  ASSERT_TRUE(stack().RestartService("complaints").ok());
  EXPECT_TRUE(Eventually([&] { return list_complaints().ok(); }, absl::Seconds(10)))
      << "complaints' methods did not come back through the running gateway";
  EXPECT_EQ(stack().service("gateway").process->pid(), gateway_pid);
  EXPECT_TRUE(stack().service("gateway").process->Running());
}

// The gateway's grpc_client_* samples of GetAccount, for failure messages.
std::string GetAccountClientLines(const std::string& exposition) {
  std::string lines;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (absl::StartsWith(line, "grpc_client_handled_total") &&
        absl::StrContains(line, "\"GetAccount\"")) {
      absl::StrAppend(&lines, line, "\n");
    }
  }
  return lines;
}

// ---------------------------------------------------------------------------------------
// 6. A deadline shorter than a slow backend

using GatewayDeadlineE2eTest = GatewayE2eTest;

TEST_F(GatewayDeadlineE2eTest, ACallToAFrozenServiceEndsAtTheCallersDeadline) {
  const Caller director = Director();
  const int64_t account = NewAccount("frozen", "director-gw");
  ASSERT_THAT(Get(director, account), GrpcOk());
  // The gateway's own calls to accounts' GetAccount that ended at a deadline: the deadline
  // itself, or the cancellation that the caller's expired call sends upstream.
  const auto ended_early = [] {
    const std::string exposition = Scrape("gateway");
    double ended = 0;
    for (const char* code : {"DeadlineExceeded", "Canceled"}) {
      ended += MetricValue(exposition, "grpc_client_handled_total",
                           {{"grpc_method", "GetAccount"}, {"grpc_code", code}})
                   .value_or(0);
    }
    return ended;
  };
  const double ended_before = ended_early();

  test_support::ChildProcess& accounts = *stack().service("accounts").process;
  ASSERT_TRUE(accounts.Signal(SIGSTOP).ok());
  absl::Cleanup thaw = [&accounts] { (void)accounts.Signal(SIGCONT); };

  grpc::ClientContext context;
  director.Prepare(&context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(300)));
  v1::GetAccountRequest request;
  request.set_account_id(account);
  v1::GetAccountResponse response;
  const absl::Time start = absl::Now();
  const grpc::Status status =
      v1::AccountService::NewStub(director.channel())->GetAccount(&context, request, &response);
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_TRUE(IsCode(status, grpc::StatusCode::DEADLINE_EXCEEDED));
  EXPECT_LT(elapsed, absl::Milliseconds(300 + 150));

  // The gateway itself keeps answering, promptly, while accounts is frozen.
  for (int i = 0; i < 3; ++i) {
    const absl::Time asked = absl::Now();
    EXPECT_THAT(WhoAmI(director), GrpcOk());
    EXPECT_LT(absl::Now() - asked, absl::Milliseconds(500));
  }
  // The deadline went upstream with the call: the gateway's own call to accounts ended with
  // it, instead of waiting for accounts to wake up.
  EXPECT_TRUE(Eventually([&] { return ended_early() > ended_before; }, absl::Seconds(2)))
      << "the gateway's call to accounts did not end with the caller's deadline:\n"
      << GetAccountClientLines(Scrape("gateway"));

  std::move(thaw).Invoke();
  EXPECT_TRUE(Eventually([&] { return Get(director, account).ok(); }, absl::Seconds(10)));
}

// ---------------------------------------------------------------------------------------
// 7. Rate limits

using GatewayRateLimitE2eTest = GatewayE2eTest;

TEST_F(GatewayRateLimitE2eTest, ACallerOverItsRoleLimitIsRefusedAloneAndRecoversAfterTheRefill) {
  // A second gateway in front of the same services, whose policy gives analysts a bucket of
  // three calls refilled at two a second; everything else as shipped.
  json policy = ShippedPolicy();
  ASSERT_TRUE(policy.is_object());
  policy["rate_limits"]["analyst"] = {{"per_second", 2}, {"burst", 3}};
  const std::string policy_file = stack().WriteConfig("rate_limited_policy.json", policy.dump(2));
  absl::StatusOr<ServiceProcess> gateway =
      stack().SpawnExtra("gateway", {{"KAM_POLICY_FILE", policy_file}});
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  absl::Cleanup stop = [&gateway] {
    EXPECT_TRUE(gateway->process->Terminate(KamStack::kDrainGrace + absl::Seconds(3)).ok());
  };
  ASSERT_TRUE(Eventually([&] { return HealthStatus(gateway->address(), "") == Health::SERVING; },
                         absl::Seconds(20)))
      << test_support::TailFile(gateway->log_path);
  auto through = [&](const std::string& subject, const std::string& role) {
    return Caller(gateway->address(), {{"authorization", "Bearer " + Token(subject, {role})}});
  };
  auto limited_count = [&] {
    absl::StatusOr<std::string> body = test_support::HttpGet(gateway->metrics_port, "/metrics");
    EXPECT_TRUE(body.ok()) << body.status();
    return MetricValue(body.value_or(""), "kam_gateway_rate_limited_total", {{"role", "analyst"}})
        .value_or(0);
  };
  const double limited_before = limited_count();

  // Calls in a quick burst: the first three pass, then the bucket is empty.
  const Caller eager = through("analyst-eager", "analyst");
  int passed = 0;
  grpc::Status refused;
  for (int i = 0; i < 8 && refused.ok(); ++i) {
    const grpc::Status status = WhoAmI(eager);
    if (status.ok()) {
      ++passed;
    } else {
      refused = status;
    }
  }
  EXPECT_TRUE(IsCode(refused, grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_GE(passed, 3);
  EXPECT_LE(passed, 5) << "a burst of three plus what two a second refill meanwhile";
  // Refused calls do not reach the services either.
  EXPECT_TRUE(IsCode(List(eager, OwnAccounts(), nullptr), grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_GT(limited_count(), limited_before);

  // Other callers have their own buckets: another analyst, and a director.
  EXPECT_THAT(WhoAmI(through("analyst-patient", "analyst")), GrpcOk());
  EXPECT_THAT(List(through("director-rate", "director"), OwnAccounts(), nullptr), GrpcOk());

  // After the refill (half a second a call), the eager analyst gets in again.
  absl::SleepFor(absl::Milliseconds(1100));
  EXPECT_THAT(WhoAmI(eager), GrpcOk());
  EXPECT_THAT(List(eager, OwnAccounts(), nullptr), GrpcOk());
}

}  // namespace
}  // namespace kam::e2e
