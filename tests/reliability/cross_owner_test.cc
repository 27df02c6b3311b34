// Cross-owner access and audited denials (issue 7, "Hostile input"): account manager A
// against manager B's book on every method of every service, through the gateway and
// directly to each service (with A's gateway-signed identity, and with forged ones), ids
// enumerated around B's; the privileged methods with every lesser role. Nothing of B's may
// reach A, B's ids must answer exactly as ids that exist nowhere, no refused call may change
// the database, and every denial must be in the audit trail (the services' audit_log, the
// gateway's log).
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/support/sync_stream.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "services/common/identity.h"
#include "services/common/jwt.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/reliability/cross_owner_requests.h"
#include "tests/reliability/field_reflection.h"
#include "tests/reliability/scenario_report.h"
#include "tests/reliability/stack_checks.h"

namespace kam::reliability {
namespace {

namespace av1 = kam::accounts::v1;
namespace cv1 = kam::complaints::v1;
namespace nv1 = kam::analytics::v1;
using e2e::Caller;
using e2e::CodeName;
using e2e::Metadata;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;
using AccountStub = av1::AccountService::Stub;
using ComplaintStub = cv1::ComplaintService::Stub;
using AnalyticsStub = nv1::AnalyticsService::Stub;

constexpr char kManagerA[] = "xo-manager-a";
constexpr char kManagerB[] = "xo-manager-b";
constexpr char kDirector[] = "xo-director";
// In a text field of every record of B's: a response that holds it holds B's data.
constexpr char kMarker[] = "QZXB7";
constexpr absl::Duration kCallDeadline = absl::Seconds(5);
constexpr char kGatewayDenial[] = "role not permitted to call";

// The methods that need more than object access: the lesser roles of each (every role the
// gateway policy does not grant it, admin aside) must be refused by the gateway and by the
// service itself.
constexpr const char* kPrivileged[] = {
    "/kam.accounts.v1.AccountService/TransferAccounts",
    "/kam.accounts.v1.AccountService/SetTier",
    "/kam.accounts.v1.AccountService/SetCredit",
    "/kam.accounts.v1.AccountService/GrantCreditOverride",
    "/kam.accounts.v1.AccountService/RestoreVisitPlan",
    "/kam.accounts.v1.AccountService/ImportOrders",
    "/kam.accounts.v1.AccountService/ImportPayments",
    "/kam.accounts.v1.AccountService/ListAuditLog",
    "/kam.accounts.v1.AccountService/WatchEvents",
    "/kam.complaints.v1.ComplaintService/ReassignComplaint",
    "/kam.complaints.v1.ComplaintService/DecideResolution",
    "/kam.complaints.v1.ComplaintService/CloseComplaint",
    "/kam.complaints.v1.ComplaintService/PutDepartment",
    "/kam.complaints.v1.ComplaintService/ListAuditLog",
    "/kam.complaints.v1.ComplaintService/WatchEvents",
    "/kam.analytics.v1.AnalyticsService/PutInventorySnapshots",
    "/kam.analytics.v1.AnalyticsService/RunTierReview",
    "/kam.analytics.v1.AnalyticsService/GetTierReview",
    "/kam.analytics.v1.AnalyticsService/ListTierReviews",
    "/kam.analytics.v1.AnalyticsService/ListTierChanges",
};

std::atomic<int> g_request{0};

std::string NextRequestId() { return absl::StrCat("xo-", absl::ToUnixMicros(absl::Now()), "-", ++g_request); }

// What one call answered.
struct Answer {
  grpc::Status status;
  std::vector<std::unique_ptr<Message>> responses;  // one for a unary call
};

// How a refusal reads with the ids it echoes taken out: two answers are the same when the
// only difference is the id the caller sent.
std::string Normalized(const grpc::Status& status) {
  static const std::regex kDigits("[0-9]+");
  return CodeName(status.error_code()) + ": " +
         std::regex_replace(status.error_message(), kDigits, "#");
}

// B's records by kind ("account", "complaint", ...): any of these ids in an answer to A, in a
// field named <kind>_id(s) or the id of a message of that kind, is a leaked record.
using OwnedIds = std::map<std::string, std::set<int64_t>>;

std::string KindOfField(const google::protobuf::FieldDescriptor& field) {
  std::string name = field.name();
  if (name == "parent_id" || name == "group_id") return "account";
  for (const char* suffix : {"_ids", "_id"}) {
    if (absl::EndsWith(name, suffix)) return name.substr(0, name.size() - std::strlen(suffix));
  }
  if (name != "id") return "";
  std::string kind;  // Message type "VisitPlan" -> "visit_plan"
  for (char c : field.containing_type()->name()) {
    if (std::isupper(static_cast<unsigned char>(c)) && !kind.empty()) kind += '_';
    kind += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return kind;
}

int CountOwnedIds(const Message& message, const OwnedIds& owned) {
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  int found = 0;
  for (const google::protobuf::FieldDescriptor* field : fields) {
    using Type = google::protobuf::FieldDescriptor::CppType;
    if (field->cpp_type() == Type::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
          found += CountOwnedIds(reflection.GetRepeatedMessage(message, field, i), owned);
        }
      } else {
        found += CountOwnedIds(reflection.GetMessage(message, field), owned);
      }
      continue;
    }
    if (field->cpp_type() != Type::CPPTYPE_INT64) continue;
    const auto ids = owned.find(KindOfField(*field));
    if (ids == owned.end()) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
        found += ids->second.count(reflection.GetRepeatedInt64(message, field, i));
      }
    } else {
      found += ids->second.count(reflection.GetInt64(message, field));
    }
  }
  return found;
}

// Records of B's in an answer: B's marker or subject in any text, or B's ids.
int LeakedRecords(const Answer& answer, const OwnedIds& owned) {
  int leaked = 0;
  for (const auto& response : answer.responses) {
    const std::string bytes = response->SerializeAsString();
    if (absl::StrContains(bytes, kMarker) || absl::StrContains(bytes, kManagerB)) ++leaked;
    leaked += CountOwnedIds(*response, owned);
  }
  return leaked;
}

// One call of any method on `channel`, unary or server-streaming, with raw messages.
Answer Invoke(const std::shared_ptr<grpc::Channel>& channel, const MethodDescriptor& method,
              const Message& request, const Metadata& metadata) {
  grpc::ClientContext context;
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
  context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
  const std::string name = WirePath(method);
  Answer answer;
  if (!method.server_streaming()) {
    const grpc::internal::RpcMethod rpc(name.c_str(), grpc::internal::RpcMethod::NORMAL_RPC);
    auto response = NewResponse(method);
    answer.status = grpc::internal::BlockingUnaryCall<Message, Message>(
        channel.get(), rpc, &context, request, response.get());
    if (answer.status.ok()) answer.responses.push_back(std::move(response));
    return answer;
  }
  const grpc::internal::RpcMethod rpc(name.c_str(), grpc::internal::RpcMethod::SERVER_STREAMING);
  std::unique_ptr<grpc::ClientReader<Message>> reader(
      grpc::internal::ClientReaderFactory<Message>::Create(channel.get(), rpc, &context, request));
  // An admitted stream never ends by itself: what it sent first is enough to judge.
  for (auto response = NewResponse(method); reader->Read(response.get());
       response = NewResponse(method)) {
    answer.responses.push_back(std::move(response));
    if (answer.responses.size() >= 3) context.TryCancel();
  }
  answer.status = reader->Finish();
  if (!answer.responses.empty()) answer.status = grpc::Status::OK;  // it was admitted
  return answer;
}

// A refusal that a caller saw, and where its audit record must be.
struct Denial {
  std::string request_id;
  std::string method;
  bool by_gateway_policy = false;
};

class CrossOwnerTest : public e2e::E2eTest {
 protected:
  static void SetUpTestSuite() { BuildBooks(); }

  // ---- The two books ----

  static Caller Director() { return As(kDirector, {"director"}); }
  static Caller ManagerB() { return As(kManagerB, {"account_manager"}); }

  static void BuildBooks();
  static int64_t NewAccount(const Caller& owner, const std::string& owner_id,
                            const std::string& name, std::string* etag = nullptr);
  static void BuildBookOfB();
  static void WaitForConsumers();

  // ---- Calls ----

  static std::shared_ptr<grpc::Channel> ChannelTo(const std::string& service);
  static std::shared_ptr<grpc::Channel> GatewayChannel() { return ChannelTo("gateway"); }
  static std::shared_ptr<grpc::Channel> ServiceChannel(const MethodDescriptor& method);
  static bool ServedByGatewayOnly(const MethodDescriptor& method) {
    return method.service()->name() == "GatewayService";
  }

  static Metadata Bearer(const std::string& token, const std::string& request_id) {
    return {{"authorization", "Bearer " + token}, {kRequestIdHeader, request_id}};
  }
  static Metadata Signed(const Principal& who, const std::string& method,
                         const std::string& request_id, const std::string& key) {
    const SignedIdentity identity = SignIdentity(who, method, key, absl::Now() + absl::Minutes(5));
    return {{kIdentityHeader, identity.payload},
            {kIdentitySignatureHeader, identity.signature},
            {kRequestIdHeader, request_id}};
  }

  // Builds the method's request for `target` and calls it, recorded in `report`. Through
  // the gateway a rate-limited call is repeated (the limit is not what is tested here).
  Answer Call(ScenarioReport& report, const std::shared_ptr<grpc::Channel>& channel,
              const MethodDescriptor& method, const Target& target,
              const std::function<Metadata(const std::string& request_id)>& metadata);
  Answer AsManagerA(ScenarioReport& report, const MethodDescriptor& method,
                    const Target& target, bool through_gateway);

  // ---- Checks ----

  // Remembers a PERMISSION_DENIED answer for the audit check.
  void NoteDenial(const Answer& answer, const MethodDescriptor& method,
                  const std::string& request_id);
  // CHECKSUM TABLE of every table of the three schemas but the audit trails.
  static std::map<std::string, std::string> TableChecksums();
  static void GateEffects(ScenarioReport& report, const std::map<std::string, std::string>& before);
  void CheckDenialsAudited(ScenarioReport& report);

  static const MethodDescriptor& Method(const std::string& full_name);

  static Target b_;
  static OwnedIds owned_by_b_;
  static std::set<int64_t> accounts_of_a_;
  static std::string last_request_id_;
  std::vector<Denial> denials_;
};

Target CrossOwnerTest::b_;
OwnedIds CrossOwnerTest::owned_by_b_;
std::set<int64_t> CrossOwnerTest::accounts_of_a_;
std::string CrossOwnerTest::last_request_id_;

// ---- Building the books ----

int64_t CrossOwnerTest::NewAccount(const Caller& owner, const std::string& owner_id,
                                   const std::string& name, std::string* etag) {
  // Not Draft(): the books are built before any test runs, so there is no test name yet.
  av1::Account draft;
  draft.set_name(name);
  draft.set_registration_number(NextRequestId());
  draft.set_nature(av1::NATURE_ORDINARY_COMPANY);
  draft.set_owner_id(owner_id);
  av1::Account created;
  EXPECT_THAT(Create(owner, draft, &created), e2e::GrpcOk()) << name;
  if (etag != nullptr) *etag = created.etag();
  return created.id();
}

void CrossOwnerTest::BuildBooks() {
  const Caller a = As(kManagerA, {"account_manager"});
  accounts_of_a_.insert(NewAccount(a, kManagerA, "xo book of A"));
  BuildBookOfB();
  WaitForConsumers();
}

void CrossOwnerTest::BuildBookOfB() {
  const Caller b = ManagerB();
  b_.owner_id = kManagerB;
  b_.period = absl::FormatTime("%Y", absl::Now(), absl::UTCTimeZone());
  b_.account_id = NewAccount(b, kManagerB, absl::StrCat(kMarker, " steelworks"), &b_.account_etag);
  for (const char* label : {" rolling mill", " foundry"}) {
    owned_by_b_["account"].insert(NewAccount(b, kManagerB, absl::StrCat(kMarker, label)));
  }
  owned_by_b_["account"].insert(b_.account_id);

  av1::CreateContactRequest contact;
  contact.set_request_id(NextRequestId());
  contact.mutable_contact()->set_account_id(b_.account_id);
  contact.mutable_contact()->set_name(absl::StrCat(kMarker, " buyer"));
  av1::CreateContactResponse contact_made;
  EXPECT_THAT(b.Call(&AccountStub::CreateContact, contact, &contact_made), e2e::GrpcOk());
  b_.contact_id = contact_made.contact().id();
  b_.contact_etag = contact_made.contact().etag();

  const auto& requests = CrossOwnerRequests();
  av1::CreateOpportunityRequest opportunity;
  requests.at("/kam.accounts.v1.AccountService/CreateOpportunity")(b_, NextRequestId(),
                                                                    opportunity);
  opportunity.mutable_opportunity()->set_name(absl::StrCat(kMarker, " deal"));
  av1::CreateOpportunityResponse opportunity_made;
  EXPECT_THAT(b.Call(&AccountStub::CreateOpportunity, opportunity, &opportunity_made),
              e2e::GrpcOk());
  b_.opportunity_id = opportunity_made.opportunity().id();
  b_.opportunity_etag = opportunity_made.opportunity().etag();

  av1::CreateContractRequest contract;
  requests.at("/kam.accounts.v1.AccountService/CreateContract")(b_, NextRequestId(), contract);
  contract.mutable_contract()->set_number(absl::StrCat(kMarker, "-", NextRequestId()));
  av1::CreateContractResponse contract_made;
  EXPECT_THAT(b.Call(&AccountStub::CreateContract, contract, &contract_made), e2e::GrpcOk());
  b_.contract_id = contract_made.contract().id();

  av1::CreateVisitPlanRequest plan;
  requests.at("/kam.accounts.v1.AccountService/CreateVisitPlan")(b_, NextRequestId(), plan);
  plan.mutable_plan()->set_objective(absl::StrCat(kMarker, " plant tour"));
  av1::CreateVisitPlanResponse plan_made;
  EXPECT_THAT(b.Call(&AccountStub::CreateVisitPlan, plan, &plan_made), e2e::GrpcOk());
  b_.visit_plan_id = plan_made.plan().id();

  av1::RecordOrderRequest order;
  requests.at("/kam.accounts.v1.AccountService/RecordOrder")(b_, NextRequestId(), order);
  EXPECT_THAT(b.Call(&AccountStub::RecordOrder, order), e2e::GrpcOk());

  b_.department = "quality";  // the stack's own department for product quality

  nv1::RunTierReviewRequest review;
  review.set_request_id(NextRequestId());
  review.mutable_parameters()->set_period(b_.period);
  review.set_dry_run(true);
  nv1::RunTierReviewResponse review_made;
  EXPECT_THAT(Director().Call(&AnalyticsStub::RunTierReview, review, &review_made),
              e2e::GrpcOk());
  b_.review_id = review_made.review().id();

  owned_by_b_["contact"] = {b_.contact_id};
  owned_by_b_["opportunity"] = {b_.opportunity_id};
  owned_by_b_["contract"] = {b_.contract_id};
  owned_by_b_["visit_plan"] = {b_.visit_plan_id};
}

// Complaint intake needs the account in complaints' replica; the analyses need it projected.
// Both must have settled before the database is checksummed.
void CrossOwnerTest::WaitForConsumers() {
  auto present = [](const std::string& sql) {
    return e2e::Eventually(
        [&] {
          absl::StatusOr<std::string> rows = stack().db().QueryAsRoot(sql);
          return rows.ok() && !rows->empty() && *rows != "0\n";
        },
        absl::Seconds(30));
  };
  ASSERT_TRUE(present(absl::StrCat("SELECT COUNT(*) FROM kam_complaints.account_replica ",
                                   "WHERE account_id = ", b_.account_id)));
  cv1::CreateComplaintRequest complaint;
  CrossOwnerRequests().at("/kam.complaints.v1.ComplaintService/CreateComplaint")(
      b_, NextRequestId(), complaint);
  complaint.mutable_complaint()->set_description(absl::StrCat(kMarker, " coils out of tolerance"));
  cv1::CreateComplaintResponse complaint_made;
  ASSERT_THAT(ManagerB().Call(&ComplaintStub::CreateComplaint, complaint, &complaint_made),
              e2e::GrpcOk());
  b_.complaint_id = complaint_made.complaint().id();
  owned_by_b_["complaint"] = {b_.complaint_id};
  ASSERT_TRUE(present(absl::StrCat("SELECT COUNT(*) FROM kam_analytics.account_month ",
                                   "WHERE account_id = ", b_.account_id)));
  ASSERT_TRUE(present(absl::StrCat("SELECT COUNT(*) FROM kam_analytics.complaint_facts ",
                                   "WHERE complaint_id = ", b_.complaint_id)));
}

// ---- Calls ----

std::shared_ptr<grpc::Channel> CrossOwnerTest::ChannelTo(const std::string& service) {
  static std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
  auto& channel = channels[service];
  if (!channel) {
    channel = grpc::CreateChannel(stack().service(service).address(),
                                  grpc::InsecureChannelCredentials());
  }
  return channel;
}

std::shared_ptr<grpc::Channel> CrossOwnerTest::ServiceChannel(const MethodDescriptor& method) {
  const std::string& service = method.service()->name();
  if (service == "AccountService") return ChannelTo("accounts");
  if (service == "ComplaintService") return ChannelTo("complaints");
  return ChannelTo("analytics");
}

const MethodDescriptor& CrossOwnerTest::Method(const std::string& full_name) {
  for (const MethodDescriptor* method : PublicMethods()) {
    if (WirePath(*method) == full_name) return *method;
  }
  ADD_FAILURE() << "no method " << full_name;
  return *PublicMethods().front();
}

Answer CrossOwnerTest::Call(ScenarioReport& report, const std::shared_ptr<grpc::Channel>& channel,
                            const MethodDescriptor& method, const Target& target,
                            const std::function<Metadata(const std::string&)>& metadata) {
  for (int attempt = 0;; ++attempt) {
    const std::string request_id = NextRequestId();
    std::unique_ptr<Message> request = NewRequest(method);
    CrossOwnerRequests().at(WirePath(method))(target, request_id, *request);
    Answer answer;
    report.Timed(request_id, method.name(), [&] {
      answer = Invoke(channel, method, *request, metadata(request_id));
      return answer.status;
    });
    last_request_id_ = request_id;
    if (answer.status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED || attempt >= 50) {
      return answer;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

Answer CrossOwnerTest::AsManagerA(ScenarioReport& report, const MethodDescriptor& method,
                                  const Target& target, bool through_gateway) {
  const std::string full = WirePath(method);
  Answer answer;
  if (through_gateway) {
    const std::string token = Token(kManagerA, {"account_manager"});
    answer = Call(report, GatewayChannel(), method, target,
                  [&](const std::string& id) { return Bearer(token, id); });
  } else {
    const Principal a{kManagerA, {"account_manager"}, ""};
    answer = Call(report, ServiceChannel(method), method, target, [&](const std::string& id) {
      return Signed(a, full, id, stack().identity_key());
    });
  }
  NoteDenial(answer, method, last_request_id_);
  return answer;
}

// ---- Checks ----

void CrossOwnerTest::NoteDenial(const Answer& answer, const MethodDescriptor& method,
                                const std::string& request_id) {
  if (answer.status.error_code() != grpc::StatusCode::PERMISSION_DENIED) return;
  denials_.push_back({request_id, WirePath(method),
                      absl::StartsWith(answer.status.error_message(), kGatewayDenial)});
}

std::map<std::string, std::string> CrossOwnerTest::TableChecksums() {
  absl::StatusOr<std::string> tables = stack().db().QueryAsRoot(
      "SELECT CONCAT(table_schema, '.', table_name) FROM information_schema.tables "
      "WHERE table_schema IN ('kam_accounts', 'kam_complaints', 'kam_analytics') "
      "AND table_name NOT IN ('audit_log', 'schema_migrations') ORDER BY 1");
  // The SLA sweeper escalates B's complaint while the scenarios run, and analytics applies
  // its events: these tables move by the clock. Complaint changes by callers are checked by
  // their transitions instead (GateEffects).
  const std::set<std::string> moved_by_the_clock = {
      "kam_complaints.complaints",     "kam_complaints.complaint_transitions",
      "kam_complaints.outbox",         "kam_complaints.outbox_lock",
      "kam_analytics.applied_events",  "kam_analytics.complaint_facts",
      "kam_analytics.consumer_cursors"};
  EXPECT_TRUE(tables.ok()) << tables.status();
  if (!tables.ok()) return {};
  std::vector<std::string> names;
  for (absl::string_view name : absl::StrSplit(*tables, '\n', absl::SkipEmpty())) {
    if (moved_by_the_clock.count(std::string(name)) == 0) names.emplace_back(name);
  }
  absl::StatusOr<std::string> sums =
      stack().db().QueryAsRoot(absl::StrCat("CHECKSUM TABLE ", absl::StrJoin(names, ", ")));
  EXPECT_TRUE(sums.ok()) << sums.status();
  std::map<std::string, std::string> checksums;
  for (absl::string_view line : absl::StrSplit(sums.value_or(""), '\n', absl::SkipEmpty())) {
    const std::vector<std::string> cells = absl::StrSplit(line, '\t');
    if (cells.size() == 2) checksums[cells[0]] = cells[1];
  }
  return checksums;
}

void CrossOwnerTest::GateEffects(ScenarioReport& report,
                                 const std::map<std::string, std::string>& before) {
  const std::map<std::string, std::string> after = TableChecksums();
  std::vector<std::string> changed;
  for (const auto& [table, sum] : after) {
    auto was = before.find(table);
    if (was == before.end() || was->second != sum) changed.push_back(table);
  }
  // Every complaint change, the sweeper's included, has a transition naming its actor.
  absl::StatusOr<std::string> by_callers = stack().db().QueryAsRoot(
      "SELECT CONCAT('kam_complaints.complaint_transitions ', action, ' by ', actor) FROM "
      "kam_complaints.complaint_transitions WHERE actor LIKE 'xo-%' AND actor NOT IN "
      "('xo-manager-b', 'xo-director')");
  EXPECT_TRUE(by_callers.ok()) << by_callers.status();
  for (absl::string_view line : absl::StrSplit(by_callers.value_or(""), '\n', absl::SkipEmpty())) {
    changed.emplace_back(line);
  }
  report.Gate("unauthorized_effects", static_cast<int64_t>(changed.size()));
  report.Check("database_unchanged_by_refused_calls", changed.empty(),
               "changed: " + absl::StrJoin(changed, ", "));
  report.Figure("tables_checksummed", static_cast<double>(after.size()));
}

void CrossOwnerTest::CheckDenialsAudited(ScenarioReport& report) {
  std::set<std::string> audited;
  for (const char* schema : {"kam_accounts", "kam_complaints", "kam_analytics"}) {
    absl::StatusOr<std::string> rows = stack().db().QueryAsRoot(absl::StrCat(
        "SELECT request_id FROM ", schema, ".audit_log WHERE action = 'denied'"));
    EXPECT_TRUE(rows.ok()) << rows.status();
    for (absl::string_view id : absl::StrSplit(rows.value_or(""), '\n', absl::SkipEmpty())) {
      audited.insert(std::string(id));
    }
  }
  auto in_gateway_log = [&](std::set<std::string>* found) {
    std::ifstream log(stack().service("gateway").log_path);
    for (std::string line; std::getline(log, line);) {
      if (!absl::StrContains(line, "\"msg\":\"audit\"")) continue;
      const nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
      if (entry.is_object() && entry.value("action", "") == "denied") {
        found->insert(entry.value("request_id", ""));
      }
    }
  };
  std::set<std::string> logged;
  std::vector<std::string> missing;
  // Info lines reach the gateway's log within a second.
  e2e::Eventually(
      [&] {
        logged.clear();
        in_gateway_log(&logged);
        missing.clear();
        for (const Denial& d : denials_) {
          const bool found =
              d.by_gateway_policy ? logged.count(d.request_id) > 0 : audited.count(d.request_id) > 0;
          if (!found) missing.push_back(d.method + " " + d.request_id);
        }
        return missing.empty();
      },
      absl::Seconds(5));
  // Every JWT starts with the base64url of '{"': none may reach a log line.
  std::ifstream whole(stack().service("gateway").log_path);
  const std::string log_text((std::istreambuf_iterator<char>(whole)), {});
  report.Check("no_token_in_gateway_log", !absl::StrContains(log_text, "eyJ"));
  report.Figure("denials", static_cast<double>(denials_.size()));
  report.Figure("denials_in_gateway_log", static_cast<double>(logged.size()));
  report.Check("every_denial_audited", missing.empty(),
               absl::StrCat(missing.size(), " not audited, e.g. ",
                            missing.empty() ? "" : missing.front()));
  report.Check("denials_seen", !denials_.empty(), "no call was refused at all");
}

// ---- Scenarios ----

// Every method of every service has a request in the table, and the table names no method
// that no longer exists: a new method cannot escape the cross-owner scenarios.
TEST_F(CrossOwnerTest, EveryMethodHasACrossOwnerRequest) {
  ScenarioReport report("cross_owner_method_table");
  std::set<std::string> described;
  for (const MethodDescriptor* method : PublicMethods()) described.insert(WirePath(*method));
  std::vector<std::string> uncovered;
  for (const std::string& method : described) {
    if (CrossOwnerRequests().count(method) == 0) uncovered.push_back(method);
  }
  std::vector<std::string> stale;
  for (const auto& [method, builder] : CrossOwnerRequests()) {
    if (described.count(method) == 0) stale.push_back(method);
  }
  report.Figure("methods", static_cast<double>(described.size()));
  report.Check("four_services_described", described.size() > 4);
  report.Check("every_method_has_a_request", uncovered.empty(), absl::StrJoin(uncovered, ", "));
  report.Check("no_request_for_a_missing_method", stale.empty(), absl::StrJoin(stale, ", "));
  EXPECT_TRUE(report.Finish());
}

// A against B's book on every method, through the gateway and straight to the service: no
// record of B's in any answer, the same answer for B's ids as for ids that exist nowhere,
// nothing changed, every denial audited.
TEST_F(CrossOwnerTest, ManagerGetsNothingOfAnotherManagersBookOnAnyMethod) {
  ScenarioReport report("cross_owner_every_method");
  const std::map<std::string, std::string> before = TableChecksums();
  const Target missing = MissingTarget(b_);
  int leaked = 0;
  int existence_revealed = 0;
  int answered_ok = 0;
  for (const MethodDescriptor* method : PublicMethods()) {
    for (const bool through_gateway : {true, false}) {
      if (!through_gateway && ServedByGatewayOnly(*method)) continue;
      const Answer of_b = AsManagerA(report, *method, b_, through_gateway);
      const Answer of_nobody = AsManagerA(report, *method, missing, through_gateway);
      const std::string where = absl::StrCat(method->name(), through_gateway ? " (gateway)" : " (direct)");
      const int records = LeakedRecords(of_b, owned_by_b_);
      leaked += records;
      report.Check("no_record_of_b_" + where, records == 0,
                   absl::StrCat(records, " records of B in the answer"));
      const bool same = Normalized(of_b.status) == Normalized(of_nobody.status);
      existence_revealed += same ? 0 : 1;
      report.Check("same_answer_as_missing_" + where, same,
                   Normalized(of_b.status) + " vs " + Normalized(of_nobody.status));
      answered_ok += of_b.status.ok() ? 1 : 0;
    }
  }
  report.Gate("leaked_records", leaked + existence_revealed);
  report.Figure("existence_revealed", existence_revealed);
  report.Figure("answered_ok_without_b_records", answered_ok);
  GateEffects(report, before);
  CheckDenialsAudited(report);
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

// Ids walked around B's (accounts, complaints, opportunities), as a scraper would: each
// answers exactly as an id that exists nowhere, and none yields a record.
TEST_F(CrossOwnerTest, EnumeratedIdsAnswerAlikeWhetherTheyExistOrNot) {
  ScenarioReport report("cross_owner_enumeration");
  const Target missing = MissingTarget(b_);
  struct Walk {
    const char* method;
    std::set<int64_t> around;
    std::function<void(Target&, int64_t)> aim;
  };
  const auto& accounts = owned_by_b_["account"];
  std::set<int64_t> account_ids;
  for (int64_t id = *accounts.begin() - 3; id <= *accounts.rbegin() + 3; ++id) {
    if (id > 0 && accounts_of_a_.count(id) == 0) account_ids.insert(id);
  }
  auto around = [](int64_t id) {
    std::set<int64_t> ids;
    for (int64_t i = std::max<int64_t>(1, id - 3); i <= id + 3; ++i) ids.insert(i);
    return ids;
  };
  auto aim_account = [](Target& t, int64_t id) { t.account_id = id; };
  const std::vector<Walk> walks = {
      {"/kam.accounts.v1.AccountService/GetAccount", account_ids, aim_account},
      {"/kam.accounts.v1.AccountService/ListContacts", account_ids, aim_account},
      {"/kam.accounts.v1.AccountService/ListOrders", account_ids, aim_account},
      {"/kam.gateway.v1.GatewayService/GetCustomer360", account_ids, aim_account},
      {"/kam.analytics.v1.AnalyticsService/GetAccountStanding", account_ids, aim_account},
      {"/kam.complaints.v1.ComplaintService/GetComplaint", around(b_.complaint_id),
       [](Target& t, int64_t id) { t.complaint_id = id; }},
      {"/kam.accounts.v1.AccountService/GetOpportunity", around(b_.opportunity_id),
       [](Target& t, int64_t id) { t.opportunity_id = id; }},
  };
  int leaked = 0;
  int existence_revealed = 0;
  int probes = 0;
  for (const Walk& walk : walks) {
    const MethodDescriptor& method = Method(walk.method);
    for (const bool through_gateway : {true, false}) {
      if (!through_gateway && ServedByGatewayOnly(method)) continue;
      const std::string expected =
          Normalized(AsManagerA(report, method, missing, through_gateway).status);
      std::vector<std::string> differing;
      for (int64_t id : walk.around) {
        Target probe = missing;
        walk.aim(probe, id);
        const Answer answer = AsManagerA(report, method, probe, through_gateway);
        ++probes;
        leaked += LeakedRecords(answer, owned_by_b_);
        if (Normalized(answer.status) != expected) {
          differing.push_back(absl::StrCat(id, ": ", Normalized(answer.status)));
        }
      }
      existence_revealed += static_cast<int>(differing.size());
      report.Check(absl::StrCat("ids_alike_", method.name(), through_gateway ? "_gateway" : "_direct"),
                   differing.empty(), expected + " expected; " + absl::StrJoin(differing, "; "));
    }
  }
  report.Gate("leaked_records", leaked + existence_revealed);
  report.Figure("ids_probed", probes);
  CheckDenialsAudited(report);
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

// Identities no gateway issued, on every method: straight to the service without a
// signature, signed with another key, or signed for another method (a replay); through the
// gateway with a token signed with another secret. All claim every privileged role; all must
// be UNAUTHENTICATED and change nothing.
TEST_F(CrossOwnerTest, ForgedIdentitiesAreRefusedOnEveryMethod) {
  ScenarioReport report("cross_owner_forged_identity");
  const std::map<std::string, std::string> before = TableChecksums();
  const Principal forger{"xo-forger", {"admin", "director", "system"}, ""};
  JwtMintOptions wrong_secret = GoodMint();
  wrong_secret.hs256_secret = "not-the-gateway-secret-0123456789abcdef";
  const std::string forged_token = MintJwt(forger, wrong_secret);
  const std::string replayed_for = "/kam.accounts.v1.AccountService/ListAccounts";
  using Forgery = std::function<Metadata(const std::string& method, const std::string& id)>;
  const std::vector<std::pair<std::string, Forgery>> direct = {
      {"unsigned",
       [&](const std::string& m, const std::string& id) {
         Metadata md = Signed(forger, m, id, stack().identity_key());
         md.erase(md.begin() + 1);  // the signature
         return md;
       }},
      {"wrong_key",
       [&](const std::string& m, const std::string& id) {
         return Signed(forger, m, id, "not-the-gateway-identity-key");
       }},
      {"other_method",
       [&](const std::string&, const std::string& id) {
         return Signed(forger, replayed_for, id, stack().identity_key());
       }},
  };
  int accepted = 0;
  std::vector<std::string> accepted_where;
  auto judge = [&](const Answer& answer, const std::string& where) {
    if (answer.status.error_code() == grpc::StatusCode::UNAUTHENTICATED) return;
    ++accepted;
    accepted_where.push_back(where + ": " + Normalized(answer.status));
  };
  for (const MethodDescriptor* method : PublicMethods()) {
    const std::string full = WirePath(*method);
    judge(Call(report, GatewayChannel(), *method, b_,
               [&](const std::string& id) { return Bearer(forged_token, id); }),
          method->name() + " gateway");
    if (ServedByGatewayOnly(*method)) continue;
    for (const auto& [name, forge] : direct) {
      if (name == "other_method" && full == replayed_for) continue;
      judge(Call(report, ServiceChannel(*method), *method, b_,
                 [&, forge = forge](const std::string& id) { return forge(full, id); }),
            method->name() + " " + name);
    }
  }
  report.Gate("forged_identities_accepted", accepted);
  report.Check("forged_identities_refused", accepted == 0, absl::StrJoin(accepted_where, "; "));
  GateEffects(report, before);
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

// The privileged methods with every lesser role, through the gateway and straight to the
// service: both refuse with PERMISSION_DENIED, nothing changes, every denial is audited.
TEST_F(CrossOwnerTest, LesserRolesAreDeniedPrivilegedMethodsAndChangeNothing) {
  ScenarioReport report("cross_owner_privileged_methods");
  std::ifstream file(std::string(KAM_SOURCE_DIR) + "/services/gateway/policy.json");
  const nlohmann::json policy = nlohmann::json::parse(file, nullptr, false);
  ASSERT_TRUE(policy.is_object()) << "services/gateway/policy.json";
  const std::map<std::string, std::string> before = TableChecksums();
  int allowed = 0;
  int tried = 0;
  for (const char* full : kPrivileged) {
    const MethodDescriptor& method = Method(full);
    const auto granted =
        policy["methods"].value(full, nlohmann::json::array()).get<std::vector<std::string>>();
    for (std::string_view role_view : kRoles) {
      const std::string role(role_view);
      if (role == "admin" || std::find(granted.begin(), granted.end(), role) != granted.end()) {
        continue;
      }
      const Principal lesser{"xo-" + role, {role}, ""};
      const std::string token = Token(lesser.subject, lesser.roles);
      for (const bool through_gateway : {true, false}) {
        const Answer answer =
            through_gateway
                ? Call(report, GatewayChannel(), method, b_,
                       [&](const std::string& id) { return Bearer(token, id); })
                : Call(report, ServiceChannel(method), method, b_, [&](const std::string& id) {
                    return Signed(lesser, full, id, stack().identity_key());
                  });
        ++tried;
        NoteDenial(answer, method, last_request_id_);
        const bool denied = answer.status.error_code() == grpc::StatusCode::PERMISSION_DENIED;
        allowed += answer.status.ok() ? 1 : 0;
        report.Check(absl::StrCat("denied_", method.name(), "_", role,
                                  through_gateway ? "_gateway" : "_direct"),
                     denied, Normalized(answer.status));
      }
    }
  }
  report.Gate("privileged_calls_allowed", allowed);
  report.Figure("privileged_attempts", tried);
  GateEffects(report, before);
  CheckDenialsAudited(report);
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

}  // namespace
}  // namespace kam::reliability
