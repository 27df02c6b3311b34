// Hostile input (issue 7): every RPC of every service sent malformed bytes, oversized
// messages, deep nesting, unknown methods, and plain HTTP/1.1 or garbage on every gRPC and
// metrics port, through the gateway and directly to the owning service. Runs on the
// sanitized binaries (ctest group reliability_hostile_input): no crash, no sanitizer report,
// every answer a documented code, the services still serve, nothing is written.
//
// The documented codes (RELIABILITY.md, "Hostile input"):
//   bytes that are no protobuf encoding    through the gateway, its own GatewayService
//                                          included: INVALID_ARGUMENT (the gateway parses
//                                          each body itself); directly at a service:
//                                          UNIMPLEMENTED with no message (gRPC C++'s callback
//                                          handler answers a failed deserialization so)
//   bytes that may parse (random, half a   the unparsable code above, or what the handler
//   message, known fields, wrong types)    answers a nonsense request: OK, INVALID_ARGUMENT,
//                                          NOT_FOUND, FAILED_PRECONDITION, PERMISSION_DENIED,
//                                          ALREADY_EXISTS, ABORTED (a stream's: also
//                                          DEADLINE_EXCEEDED, as it follows until then)
//   larger than the maximum message size   RESOURCE_EXHAUSTED
//   unknown method or service              UNIMPLEMENTED
//   HTTP/1.1 or garbage on a gRPC port     the connection is closed (no answer, no hang)
//   gRPC frame claiming 4 GiB              the stream is refused (RST_STREAM, trailers or
//                                          GOAWAY), the connection does not hang
#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "kam/gateway/v1/gateway.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/reliability/field_reflection.h"
#include "tests/reliability/hostile_payloads.h"
#include "tests/reliability/scenario_report.h"
#include "tests/reliability/stack_checks.h"
#include "tests/support/process.h"

namespace kam::reliability {
namespace {

using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;
using grpc::StatusCode;
using std::string_literals::operator""s;

// The services' maximum message size (ServerSettings::max_message_bytes, the default the
// stack runs with); the oversized request is this plus 64 KiB.
constexpr int kMaxMessageBytes = 4 << 20;
constexpr int kOversizedBytes = kMaxMessageBytes + (64 << 10);
constexpr absl::Duration kUnaryDeadline = absl::Seconds(10);
// A server stream that accepted a nonsense request follows it until the deadline.
constexpr absl::Duration kStreamDeadline = absl::Seconds(2);
// How long a port may take to close (or answer) a connection that sent it garbage.
constexpr absl::Duration kRawTimeout = absl::Seconds(10);
constexpr int kWorkers = 4;

// Every service with the name of the process that owns it.
struct OwnedService {
  const ServiceDescriptor* service;
  std::string owner;  // "accounts", ..., "gateway"
};

std::vector<OwnedService> EveryService() {
  // Naming one message of each file links its descriptor into the generated pool.
  const google::protobuf::FileDescriptor* accounts =
      kam::accounts::v1::Account::descriptor()->file()->pool()->FindFileByName(
          "kam/accounts/v1/accounts.proto");
  return {
      {accounts == nullptr ? nullptr : accounts->FindServiceByName("AccountService"),
       "accounts"},
      {kam::complaints::v1::CreateComplaintRequest::descriptor()->file()->FindServiceByName(
           "ComplaintService"),
       "complaints"},
      {kam::analytics::v1::PutAccountTargetsRequest::descriptor()->file()->FindServiceByName(
           "AnalyticsService"),
       "analytics"},
      {kam::gateway::v1::WhoAmIRequest::descriptor()->file()->FindServiceByName(
           "GatewayService"),
       "gateway"},
  };
}

// The gateway's method policy (services/gateway/policy.json): the role each method is called
// with, so that the bytes reach the service rather than a PERMISSION_DENIED at the gateway.
std::string RoleFor(const std::string& full_method) {
  static const nlohmann::json policy = [] {
    std::ifstream file(std::string(KAM_SOURCE_DIR) + "/services/gateway/policy.json");
    return nlohmann::json::parse(file);
  }();
  const auto roles = policy["methods"].find(full_method);
  if (roles == policy["methods"].end() || roles->empty()) return "admin";
  for (const auto& role : *roles) {
    if (role == "admin") return "admin";
  }
  return (*roles)[0].get<std::string>();
}

// Where a request goes: the gateway, or the owning service's own port with an identity the
// gateway would have signed.
struct Route {
  std::string name;  // "gateway" or "direct"
  std::string address;
};

class RawCaller {
 public:
  explicit RawCaller(const std::string& address)
      : channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        stub_(channel_) {}

  grpc::Status Call(const std::string& method, const e2e::Metadata& metadata,
                    const std::string& body, absl::Duration deadline) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    grpc::Slice slice(body);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub_.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                    [&done](grpc::Status status) { done.set_value(std::move(status)); });
    return done.get_future().get();
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub stub_;
};

// `unparsable` is what the receiving server answers a body it cannot parse.
std::set<StatusCode> AllowedCodes(HostileExpectation expectation, bool server_streaming,
                                  StatusCode unparsable) {
  switch (expectation) {
    case HostileExpectation::kUnparsable:
      return {unparsable};
    case HostileExpectation::kOversized:
      return {StatusCode::RESOURCE_EXHAUSTED};
    case HostileExpectation::kMaybeParsable:
      break;
  }
  std::set<StatusCode> codes = {
      unparsable,         StatusCode::OK,                StatusCode::INVALID_ARGUMENT,
      StatusCode::NOT_FOUND, StatusCode::FAILED_PRECONDITION, StatusCode::PERMISSION_DENIED,
      StatusCode::ALREADY_EXISTS, StatusCode::ABORTED};
  if (server_streaming) codes.insert(StatusCode::DEADLINE_EXCEEDED);
  return codes;
}

// What a raw TCP peer did with bytes it was sent.
struct RawExchange {
  bool connected = false;
  bool closed = false;  // by the peer, within the timeout
  std::string reply;
};

// Sends `bytes` to 127.0.0.1:`port` (ignoring a reset while sending: a peer may close early)
// and reads until the peer closes, `answered` holds for what it sent, or `timeout` passes.
RawExchange SendRaw(int port, const std::string& bytes, absl::Duration timeout,
                    const std::function<bool(const std::string&)>& answered) {
  RawExchange exchange;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return exchange;
  }
  exchange.connected = true;
  for (size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  const absl::Time give_up = absl::Now() + timeout;
  char buffer[4096];
  while (absl::Now() < give_up) {
    pollfd wait{fd, POLLIN, 0};
    const int ready = poll(&wait, 1, static_cast<int>(absl::ToInt64Milliseconds(give_up - absl::Now())));
    if (ready <= 0) break;
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      exchange.closed = true;
      break;
    }
    exchange.reply.append(buffer, static_cast<size_t>(n));
    if (answered(exchange.reply)) break;
  }
  close(fd);
  return exchange;
}

std::string RandomGarbage(uint32_t seed, size_t size) {
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string garbage(size, '\0');
  for (char& c : garbage) c = static_cast<char>(byte(random));
  return garbage;
}

// An HTTP/1.x status line and all headers arrived.
bool HttpAnswered(const std::string& reply) {
  return absl::StartsWith(reply, "HTTP/1.") && absl::StrContains(reply, "\r\n\r\n");
}

bool Http2Refused(const std::string& reply) {
  const Http2Answer answer = ReadHttp2Answer(reply);
  return answer.stream_answered || answer.goaway;
}

// A gRPC message frame: compressed flag, 4-byte big-endian length, then `payload`.
std::string GrpcFrame(uint8_t compressed, uint32_t length, const std::string& payload) {
  std::string frame(1, static_cast<char>(compressed));
  for (int shift = 24; shift >= 0; shift -= 8) frame += static_cast<char>((length >> shift) & 0xff);
  return frame + payload;
}

class HostileInputTest : public e2e::E2eTest {
 protected:
  // Rows of every table of the three service schemas, "schema.table" -> count.
  static std::map<std::string, int64_t> RowCounts() {
    std::map<std::string, int64_t> counts;
    absl::StatusOr<std::string> tables = stack().db().QueryAsRoot(
        "SELECT CONCAT(table_schema, '.', table_name) FROM information_schema.tables "
        "WHERE table_schema IN ('kam_accounts', 'kam_complaints', 'kam_analytics') "
        "AND table_type = 'BASE TABLE'");
    if (!tables.ok()) {
      ADD_FAILURE() << tables.status();
      return counts;
    }
    std::vector<std::string> selects;
    for (absl::string_view table : absl::StrSplit(*tables, '\n', absl::SkipEmpty())) {
      selects.push_back(absl::StrCat("SELECT '", table, "', COUNT(*) FROM ", table));
    }
    absl::StatusOr<std::string> rows =
        stack().db().QueryAsRoot(absl::StrJoin(selects, " UNION ALL "));
    if (!rows.ok()) {
      ADD_FAILURE() << rows.status();
      return counts;
    }
    for (absl::string_view row : absl::StrSplit(*rows, '\n', absl::SkipEmpty())) {
      std::vector<std::string> cells = absl::StrSplit(row, '\t');
      if (cells.size() == 2) counts[cells[0]] = std::stoll(cells[1]);
    }
    return counts;
  }

  // The hard gate "rows_written": rows added or removed in any table since `before`.
  static void GateWrites(ScenarioReport& report, const std::map<std::string, int64_t>& before) {
    const std::map<std::string, int64_t> after = RowCounts();
    int64_t changed = 0;
    std::vector<std::string> tables;
    for (const auto& [table, count] : after) {
      const auto was = before.find(table);
      const int64_t delta = count - (was == before.end() ? 0 : was->second);
      if (delta == 0) continue;
      changed += std::abs(delta);
      tables.push_back(absl::StrCat(table, " ", delta > 0 ? "+" : "", delta));
    }
    report.Gate("rows_written", changed);
    report.Check("nothing written", changed == 0, absl::StrJoin(tables, ", "));
    report.Figure("tables_checked", static_cast<double>(after.size()));
  }

  // Every service still answers: readiness SERVING on each, and real calls through the
  // gateway to the gateway itself and to each service behind it.
  static void CheckStillServes(ScenarioReport& report) {
    for (const e2e::ServiceProcess& service : stack().services()) {
      const bool serving = e2e::Eventually(
          [&] {
            return e2e::HealthStatus(service.address(), "") ==
                   grpc::health::v1::HealthCheckResponse::SERVING;
          },
          absl::Seconds(10));
      report.Check(service.name + " serving afterwards", serving);
      absl::StatusOr<std::string> metrics =
          test_support::HttpGet(service.metrics_port, "/metrics");
      report.Check(service.name + " metrics afterwards",
                   metrics.ok() && absl::StrContains(*metrics, "grpc_server_handled_total"),
                   metrics.ok() ? "no grpc_server_handled_total" : metrics.status().ToString());
    }
    const e2e::Caller admin = As("hostile-after", {"admin"});
    kam::gateway::v1::WhoAmIResponse who;
    const grpc::Status whoami =
        admin.Call(&e2e::GatewayStub::WhoAmI, kam::gateway::v1::WhoAmIRequest(), &who);
    report.Check("gateway WhoAmI afterwards", whoami.ok() && who.subject() == "hostile-after",
                 whoami.error_message());
    e2e::v1::ListAccountsResponse accounts;
    const grpc::Status listed = List(admin, OwnAccounts(), &accounts);
    report.Check("accounts ListAccounts afterwards", listed.ok(), listed.error_message());
    kam::complaints::v1::ListComplaintsResponse complaints;
    const grpc::Status complaints_listed =
        admin.Call(&kam::complaints::v1::ComplaintService::Stub::ListComplaints,
                   kam::complaints::v1::ListComplaintsRequest(), &complaints);
    report.Check("complaints ListComplaints afterwards", complaints_listed.ok(),
                 complaints_listed.error_message());
  }

  // The metadata a call of `method` over `route` carries: a bearer token at the gateway, a
  // signed identity at a service; the subject is per method so no rate limit is shared.
  static e2e::Metadata CallerMetadata(const MethodDescriptor& method, const std::string& route,
                                      const std::string& request_id) {
    const std::string full = WirePath(method);
    const std::string subject = absl::StrCat("hostile-", method.service()->name(), "-",
                                             method.name());
    const std::string role = RoleFor(full);
    e2e::Metadata metadata = {{kRequestIdHeader, request_id}};
    if (route == "gateway") {
      metadata.emplace_back("authorization", "Bearer " + Token(subject, {role}));
    } else {
      const SignedIdentity identity = SignIdentity(Principal{subject, {role}, ""}, full,
                                                   stack().identity_key(),
                                                   absl::Now() + absl::Minutes(5));
      for (auto& entry : IdentityMetadata(identity)) metadata.push_back(std::move(entry));
    }
    return metadata;
  }
};

// Each hostile body to every method of every service, through the gateway and directly.
TEST_F(HostileInputTest, MalformedBytesOnEveryMethod) {
  ScenarioReport report("hostile_malformed_bytes");
  const std::map<std::string, int64_t> before = RowCounts();
  ASSERT_FALSE(before.empty());

  struct Target {
    const MethodDescriptor* method;
    Route route;
    StatusCode unparsable;  // the code for a body that is no protobuf encoding
  };
  std::vector<Target> targets;
  int methods = 0;
  for (const OwnedService& owned : EveryService()) {
    ASSERT_NE(owned.service, nullptr) << owned.owner;
    for (int i = 0; i < owned.service->method_count(); ++i) {
      ++methods;
      const MethodDescriptor* method = owned.service->method(i);
      const bool forwarded = owned.owner != "gateway";
      targets.push_back({method,
                         {"gateway", stack().service("gateway").address()},
                         StatusCode::INVALID_ARGUMENT});
      if (forwarded) {
        targets.push_back({method,
                           {"direct", stack().service(owned.owner).address()},
                           StatusCode::UNIMPLEMENTED});
      }
    }
  }

  std::map<std::string, std::unique_ptr<RawCaller>> callers;
  for (const Target& target : targets) {
    auto& caller = callers[target.route.address];
    if (caller == nullptr) caller = std::make_unique<RawCaller>(target.route.address);
  }

  // Sets of four random bodies per method and route; the longer mode sends ten.
  const int random_rounds = ByMode(1, 10);
  std::mutex mutex;
  std::vector<std::string> undocumented;
  std::map<std::string, std::map<std::string, int>> codes_by_kind;
  std::atomic<size_t> next{0};
  std::atomic<int> sequence{0};
  const auto work = [&] {
    for (size_t i = next++; i < targets.size(); i = next++) {
      const Target& target = targets[i];
      const MethodDescriptor& method = *target.method;
      const std::string full = WirePath(method);
      const uint32_t seed = static_cast<uint32_t>(std::hash<std::string>()(full));
      for (const HostilePayload& payload :
           HostilePayloads(*method.input_type(), seed, random_rounds, kOversizedBytes)) {
        const std::string request_id = absl::StrCat("hostile-", ++sequence);
        const grpc::Status status = report.Timed(request_id, method.name(), [&] {
          return callers.at(target.route.address)->Call(
              full, CallerMetadata(method, target.route.name, request_id), payload.bytes,
              method.server_streaming() ? kStreamDeadline : kUnaryDeadline);
        });
        const std::set<StatusCode> allowed =
            AllowedCodes(payload.expectation, method.server_streaming(), target.unparsable);
        std::lock_guard<std::mutex> lock(mutex);
        ++codes_by_kind[payload.kind][e2e::CodeName(status.error_code())];
        if (allowed.count(status.error_code()) == 0) {
          undocumented.push_back(absl::StrCat(full, " via ", target.route.name, " ",
                                              payload.kind, ": ",
                                              e2e::CodeName(status.error_code()), " ",
                                              status.error_message()));
        }
      }
    }
  };
  std::vector<std::thread> workers;
  for (int i = 0; i < kWorkers; ++i) workers.emplace_back(work);
  for (std::thread& worker : workers) worker.join();

  report.Figure("methods", methods);
  report.Figure("routes", static_cast<double>(targets.size()));
  report.Figure("undocumented_codes", static_cast<double>(undocumented.size()));
  report.Check("every answer a documented code", undocumented.empty(),
               absl::StrJoin(undocumented.begin(),
                             undocumented.begin() + std::min<size_t>(undocumented.size(), 20),
                             "; "));
  for (const auto& [kind, codes] : codes_by_kind) {
    std::vector<std::string> parts;
    for (const auto& [code, count] : codes) parts.push_back(absl::StrCat(code, "=", count));
    std::cout << "hostile " << kind << ": " << absl::StrJoin(parts, " ") << "\n";
  }
  CheckStillServes(report);
  GateWrites(report, before);
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

// Methods and services no proto declares, on every gRPC port: UNIMPLEMENTED.
TEST_F(HostileInputTest, UnknownMethodsOnEveryService) {
  ScenarioReport report("hostile_unknown_methods");
  const std::map<std::string, int64_t> before = RowCounts();
  std::vector<std::string> wrong;
  int sequence = 0;
  for (const OwnedService& owned : EveryService()) {
    ASSERT_NE(owned.service, nullptr) << owned.owner;
    const std::string service = owned.service->full_name();
    const std::vector<std::string> unknown = {
        absl::StrCat("/", service, "/NoSuchMethod"),
        absl::StrCat("/", service, "/getaccount"),
        absl::StrCat("/", service, "/"),
        absl::StrCat("/", service, "/", std::string(2000, 'M')),
        "/kam.nosuch.v1.NoSuchService/Get",
        "/grpc.reflection.v1alpha.ServerReflection/NoSuchMethod",
        "/",
        "no-leading-slash",
    };
    for (const std::string& route : {std::string("gateway"), owned.owner}) {
      RawCaller caller(stack().service(route).address());
      for (const std::string& method : unknown) {
        const std::string request_id = absl::StrCat("hostile-unknown-", ++sequence);
        e2e::Metadata metadata = {{kRequestIdHeader, request_id},
                                  {"authorization", "Bearer " + Token("hostile", {"admin"})}};
        const grpc::Status status = report.Timed(request_id, "unknown", [&] {
          return caller.Call(method, metadata, FilledMessage(*owned.service->method(0)->input_type()),
                             kUnaryDeadline);
        });
        if (status.error_code() != StatusCode::UNIMPLEMENTED) {
          wrong.push_back(absl::StrCat(route, " ", method.substr(0, 80), ": ",
                                       e2e::CodeName(status.error_code()), " ",
                                       status.error_message()));
        }
      }
    }
  }
  report.Check("unknown methods UNIMPLEMENTED", wrong.empty(), absl::StrJoin(wrong, "; "));
  CheckStillServes(report);
  GateWrites(report, before);
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

// HTTP/1.1, garbage and broken HTTP/2 on every gRPC port and every metrics port: the port
// closes the connection or answers it within kRawTimeout, and the service keeps serving.
TEST_F(HostileInputTest, NonGrpcTrafficOnEveryPort) {
  ScenarioReport report("hostile_non_grpc_traffic");
  const std::map<std::string, int64_t> before = RowCounts();
  const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  const std::vector<std::pair<std::string, std::string>> to_grpc_port = {
      {"http1_get", "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"},
      {"http1_post_grpc_path",
       "POST /kam.accounts.v1.AccountService/GetAccount HTTP/1.1\r\nHost: localhost\r\n"
       "Content-Type: application/grpc\r\nContent-Length: 5\r\n\r\n" +
           std::string(5, '\0')},
      {"http1_upgrade_h2c",
       "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\n"
       "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n"},
      {"garbage_4k", RandomGarbage(7, 4096)},
      {"h2_preface_then_garbage", preface + RandomGarbage(8, 4096)},
      {"h2_frame_16m_length", preface + "\xff\xff\xff\x00\x00\x00\x00\x00\x01"s},
  };
  const std::vector<std::pair<std::string, std::string>> to_metrics_port = {
      {"http1_unknown_path", "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
      {"http1_bad_method", "BREW /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
      {"http1_huge_header",
       "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(256 << 10, 'a') + "\r\n\r\n"},
      {"http1_nul_in_path", "GET /met\0rics HTTP/1.1\r\nConnection: close\r\n\r\n"s},
      {"http1_negative_length",
       "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nConnection: close\r\n\r\n"},
      {"garbage_4k", RandomGarbage(9, 4096)},
      {"h2_preface", preface + RandomGarbage(10, 256)},
  };

  std::vector<std::string> hung;
  int exchanges = 0;
  absl::Duration slowest;
  const auto probe = [&](const std::string& service, const std::string& port_name, int port,
                         const std::string& kind, const std::string& bytes) {
    ++exchanges;
    const absl::Time start = absl::Now();
    const RawExchange exchange = SendRaw(port, bytes, kRawTimeout, HttpAnswered);
    slowest = std::max(slowest, absl::Now() - start);
    if (!exchange.connected || !(exchange.closed || HttpAnswered(exchange.reply))) {
      hung.push_back(absl::StrCat(service, " ", port_name, " ", kind,
                                  exchange.connected ? ": neither closed nor answered"
                                                     : ": connection refused"));
    }
  };
  for (const e2e::ServiceProcess& service : stack().services()) {
    for (const auto& [kind, bytes] : to_grpc_port) {
      probe(service.name, "grpc", service.grpc_port, kind, bytes);
    }
    for (const auto& [kind, bytes] : to_metrics_port) {
      probe(service.name, "metrics", service.metrics_port, kind, bytes);
    }
  }
  report.Figure("raw_exchanges", exchanges);
  report.Figure("slowest_raw_exchange_ms", absl::ToDoubleMilliseconds(slowest));
  report.Check("every port closes or answers garbage", hung.empty(), absl::StrJoin(hung, "; "));

  // A gRPC message frame claiming 4 GiB, and a compressed frame with no grpc-encoding: each
  // service refuses the stream (or the connection) instead of waiting for the bytes.
  std::vector<std::string> unanswered;
  for (const e2e::ServiceProcess& service : stack().services()) {
    const std::string path = "/grpc.health.v1.Health/Check";
    for (const auto& [kind, frame] :
         std::vector<std::pair<std::string, std::string>>{
             {"frame_length_4g", GrpcFrame(0, 0xffffffff, "abc")},
             {"compressed_without_encoding", GrpcFrame(1, 3, "abc")}}) {
      ++exchanges;
      const RawExchange exchange =
          SendRaw(service.grpc_port, Http2GrpcCall(path, {}, frame), kRawTimeout, Http2Refused);
      if (!Http2Refused(exchange.reply)) {
        unanswered.push_back(absl::StrCat(service.name, " ", kind));
      }
    }
  }
  report.Check("bad gRPC frames refused", unanswered.empty(), absl::StrJoin(unanswered, "; "));
  CheckStillServes(report);
  GateWrites(report, before);
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

}  // namespace
}  // namespace kam::reliability
