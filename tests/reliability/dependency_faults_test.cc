// Fault 6 of issue 7: a slow or unreachable dependency between services. A TcpProxy sits
// on the link (gateway -> accounts for calls, accounts -> complaints' replica for events)
// and makes it slow, swallows answers, resets connections or refuses new ones. Deadlines
// must hold, reads are retried within their budget, writes are never applied twice, and a
// consumer catches up once its link heals.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/reliability/scenario_report.h"
#include "tests/reliability/stack_checks.h"
#include "tests/reliability/tcp_proxy.h"
#include "tests/support/process.h"

namespace kam::reliability {
namespace {

using e2e::Caller;
using e2e::KamStack;
using e2e::ServiceProcess;
namespace v1 = kam::accounts::v1;

// A call may end this much after its deadline: the client's own timer plus scheduling on a
// loaded machine, never the dependency's delay.
constexpr absl::Duration kDeadlineSlack = absl::Milliseconds(100);
constexpr char kOwner[] = "dependency-owner";

// The rows of a query (tab-separated columns); a failed query fails the test.
std::vector<std::vector<std::string>> Rows(const std::string& sql) {
  absl::StatusOr<std::string> out = KamStack::Get().db().QueryAsRoot(sql);
  EXPECT_TRUE(out.ok()) << out.status() << "\n" << sql;
  std::vector<std::vector<std::string>> rows;
  if (!out.ok()) return rows;
  for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipEmpty())) {
    rows.push_back(absl::StrSplit(line, '\t'));
  }
  return rows;
}

int64_t CountOf(const std::string& sql) {
  const std::vector<std::vector<std::string>> rows = Rows(sql);
  int64_t count = -1;
  if (rows.empty() || rows[0].empty() || !absl::SimpleAtoi(rows[0][0], &count)) return -1;
  return count;
}

// SQL string literal of a value the test made itself (names, request ids: no quotes).
std::string Quoted(const std::string& value) { return absl::StrCat("'", value, "'"); }

double Metric(int metrics_port, const std::string& name,
              const std::map<std::string, std::string>& labels) {
  absl::StatusOr<std::string> body = test_support::HttpGet(metrics_port, "/metrics");
  if (!body.ok()) return -1;
  return e2e::MetricValue(*body, name, labels).value_or(0);
}

class DependencyFaultTest : public e2e::E2eTest {
 protected:
  // A second gateway whose link to accounts runs through `proxy_`.
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TcpProxy>> proxy =
        TcpProxy::Start(stack().service("accounts").grpc_port);
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = *std::move(proxy);
    absl::StatusOr<ServiceProcess> gateway =
        stack().SpawnExtra("gateway", {{"KAM_ACCOUNTS_ADDR", proxy_->address()}});
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
    ASSERT_TRUE(e2e::Eventually(
        [&] { return e2e::HealthStatus(gateway_.address(), "") == e2e::Health::SERVING; },
        absl::Seconds(30)))
        << test_support::TailFile(gateway_.log_path);
  }

  void TearDown() override {
    if (gateway_.process != nullptr) {
      EXPECT_TRUE(gateway_.process->Terminate(KamStack::kDrainGrace + absl::Seconds(3)).ok());
    }
    proxy_.reset();
  }

  // A manager calling through the proxied gateway.
  Caller ViaProxy() const {
    return Caller(gateway_.address(),
                  {{"authorization", "Bearer " + Token(kOwner, {"account_manager"})}});
  }

  // Calls `method` on `caller` with `deadline`, recorded in `report`.
  template <typename Request, typename Response>
  static grpc::Status Timed(ScenarioReport& report, const Caller& caller,
                            grpc::Status (v1::AccountService::Stub::*method)(grpc::ClientContext*,
                                                                             const Request&,
                                                                             Response*),
                            const std::string& name, const std::string& request_id,
                            const Request& request, absl::Duration deadline,
                            Response* response = nullptr) {
    return report.Timed(request_id, name, [&] {
      grpc::ClientContext context;
      caller.Prepare(&context);
      context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
      Response ignored;
      v1::AccountService::Stub stub(caller.channel());
      return (stub.*method)(&context, request, response != nullptr ? response : &ignored);
    });
  }

  static v1::CreateAccountRequest CreateRequest(const std::string& label,
                                                const std::string& request_id) {
    v1::CreateAccountRequest request;
    request.set_request_id(request_id);
    *request.mutable_account() = Draft(label);
    return request;
  }

  static v1::GetAccountRequest GetRequest(int64_t id) {
    v1::GetAccountRequest request;
    request.set_account_id(id);
    return request;
  }

  // Per account name of this test: how many accounts, account.created events and audit rows
  // the database holds.
  struct Effects {
    int64_t accounts = 0;
    int64_t events = 0;
    int64_t audits = 0;
  };
  static std::map<std::string, Effects> EffectsByName() {
    std::map<std::string, Effects> effects;
    const std::string like = Quoted(Prefix() + "-%");
    for (const auto& row :
         Rows(absl::StrCat("SELECT a.name, COUNT(*), "
                           "(SELECT COUNT(*) FROM kam_accounts.outbox o WHERE o.event_type = "
                           "'account.created' AND o.aggregate_id = CAST(MIN(a.id) AS CHAR)), "
                           "(SELECT COUNT(*) FROM kam_accounts.audit_log l WHERE l.action = "
                           "'account.created' AND l.resource_type = 'account' AND l.resource_id = "
                           "CAST(MIN(a.id) AS CHAR)) "
                           "FROM kam_accounts.accounts a WHERE a.name LIKE ",
                           like, " GROUP BY a.name"))) {
      if (row.size() != 4) continue;
      Effects& e = effects[row[0]];
      (void)absl::SimpleAtoi(row[1], &e.accounts);
      (void)absl::SimpleAtoi(row[2], &e.events);
      (void)absl::SimpleAtoi(row[3], &e.audits);
    }
    return effects;
  }

  // Gates on the writes of this test whose names are `names` (each meant to exist once,
  // with one created event and one audit row); `acknowledged` got an OK.
  static void GateWrites(ScenarioReport& report, const std::set<std::string>& names,
                         const std::set<std::string>& acknowledged) {
    const std::map<std::string, Effects> effects = EffectsByName();
    int64_t lost = 0;
    int64_t doubled = 0;
    int64_t incomplete = 0;
    for (const std::string& name : names) {
      auto it = effects.find(Prefix() + "-" + name);
      if (it == effects.end()) {
        lost += acknowledged.count(name);
        continue;
      }
      doubled += it->second.accounts - 1;
      incomplete += (it->second.events != 1 || it->second.audits != 1) ? 1 : 0;
    }
    report.Gate("lost_acknowledged_writes", lost);
    report.Gate("duplicated_effects", doubled);
    report.Check("each account has one created event and one audit row", incomplete == 0,
                 absl::StrCat(incomplete, " accounts without exactly one of each"));
  }

  std::unique_ptr<TcpProxy> proxy_;
  ServiceProcess gateway_;
};

// ---------------------------------------------------------------------------------------
// A slow, then a slower-than-the-deadline, then an unreachable accounts service behind the
// gateway: every call ends by its deadline (+100 ms), unreachable ends fast with
// UNAVAILABLE, and the writes that failed are retried with their request ids once the link
// heals: each account exists once.

TEST_F(DependencyFaultTest, DeadlinesHoldOnASlowOrUnreachableLinkAndRetriedWritesApplyOnce) {
  ScenarioReport report("dependency_slow_link_deadlines");
  const Caller caller = ViaProxy();
  v1::CreateAccountResponse seed;
  ASSERT_THAT(Timed(report, caller, &v1::AccountService::Stub::CreateAccount, "CreateAccount",
                    "seed", CreateRequest("seed", NewRequestId()), absl::Seconds(5), &seed),
              e2e::GrpcOk());
  const int64_t account = seed.account().id();

  constexpr absl::Duration kDeadline = absl::Seconds(1);
  const int rounds = ByMode(6, 20);
  // Each write by its label, kept so that a retry sends the very same request.
  std::map<std::string, v1::CreateAccountRequest> writes;
  std::set<std::string> acknowledged;
  int64_t overruns = 0;
  absl::Duration worst_overrun = absl::ZeroDuration();
  // One read and one write in each phase's rounds; every call's overrun is measured.
  auto phase = [&](const std::string& name, std::set<grpc::StatusCode> allowed) {
    int64_t unexpected = 0;
    for (int i = 0; i < rounds; ++i) {
      const std::string label = absl::StrCat(name, "-", i);
      writes[label] = CreateRequest(label, NewRequestId());
      for (bool write : {false, true}) {
        const absl::Time start = absl::Now();
        const grpc::Status status =
            write ? Timed(report, caller, &v1::AccountService::Stub::CreateAccount, "CreateAccount",
                          writes[label].request_id(), writes[label], kDeadline)
                  : Timed(report, caller, &v1::AccountService::Stub::GetAccount, "GetAccount", "",
                          GetRequest(account), kDeadline);
        const absl::Duration overrun = absl::Now() - start - kDeadline;
        worst_overrun = std::max(worst_overrun, overrun);
        if (overrun > kDeadlineSlack) ++overruns;
        if (!allowed.count(status.error_code())) ++unexpected;
        if (write && status.ok()) acknowledged.insert(label);
      }
    }
    report.Check(name + ": only the expected codes", unexpected == 0,
                 absl::StrCat(unexpected, " calls ended otherwise"));
  };

  // Slow but within the deadline: 50 ms per chunk each way.
  proxy_->SetDelay(absl::Milliseconds(50));
  const int64_t ok_before = report.Count(grpc::StatusCode::OK);
  phase("slow", {grpc::StatusCode::OK});
  report.Figure("slow_phase_ok",
                static_cast<double>(report.Count(grpc::StatusCode::OK) - ok_before));

  // Slower than the deadline: 1.5 s per chunk.
  proxy_->SetDelay(absl::Milliseconds(1500));
  phase("slower_than_deadline", {grpc::StatusCode::DEADLINE_EXCEEDED});

  // Unreachable: live connections reset, new ones refused. Calls fail fast.
  proxy_->SetDelay(absl::ZeroDuration());
  proxy_->SetRefuseNew(true);
  proxy_->ResetAll();
  const size_t before_unreachable = report.records().size();
  phase("unreachable", {grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::DEADLINE_EXCEEDED});
  const std::vector<CallRecord> all = report.records();
  const std::vector<CallRecord> unreachable(all.begin() + before_unreachable, all.end());
  const double unreachable_p50 = PercentileMs(unreachable, 50);
  report.Figure("unreachable_p50_ms", unreachable_p50);
  report.Check("unreachable fails fast (median well under the deadline)",
               unreachable_p50 < absl::ToDoubleMilliseconds(kDeadline) / 2,
               absl::StrCat("median ", unreachable_p50, " ms"));

  // Healed: reads come back within seconds, and every write that failed is retried with its
  // own request id.
  proxy_->SetRefuseNew(false);
  const absl::Time healed = absl::Now();
  report.Check("reads succeed again after the link heals",
               e2e::Eventually(
                   [&] {
                     return Timed(report, caller, &v1::AccountService::Stub::GetAccount,
                                  "GetAccount", "", GetRequest(account), kDeadline)
                         .ok();
                   },
                   absl::Seconds(10)));
  report.Figure("recovery_ms", absl::ToDoubleMilliseconds(absl::Now() - healed));
  std::set<std::string> names;
  for (const auto& [label, write] : writes) {
    names.insert(label);
    if (acknowledged.count(label)) continue;
    const grpc::Status retried =
        Timed(report, caller, &v1::AccountService::Stub::CreateAccount, "CreateAccount",
              write.request_id(), write, absl::Seconds(5));
    report.Check("retried write " + label + " succeeds", retried.ok(), retried.error_message());
    if (retried.ok()) acknowledged.insert(label);
  }

  report.Gate("deadline_overruns", overruns);
  report.Figure("worst_overrun_ms", absl::ToDoubleMilliseconds(worst_overrun));
  GateWrites(report, names, acknowledged);
  GateCrashes(report);
  report.Check("extra gateway running", gateway_.process->Running());
  report.Finish();
}

// ---------------------------------------------------------------------------------------
// A read whose answer is lost: accounts answers, the proxy swallows the answer and then
// resets the connection. The gateway retries the read on a new connection (accounts sees
// two attempts, the gateway's client metrics one call) and the caller gets its account
// within its deadline. Between lost answers, ordinary reads refill gRPC's retry budget.

TEST_F(DependencyFaultTest, AReadWhoseAnswerIsLostIsRetriedWithinItsBudget) {
  ScenarioReport report("dependency_read_retry");
  const Caller caller = ViaProxy();
  constexpr absl::Duration kDeadline = absl::Seconds(3);
  v1::CreateAccountResponse seed;
  ASSERT_THAT(Timed(report, caller, &v1::AccountService::Stub::CreateAccount, "CreateAccount",
                    "seed", CreateRequest("seed", NewRequestId()), kDeadline, &seed),
              e2e::GrpcOk());
  const int64_t account = seed.account().id();
  const int accounts_metrics = stack().service("accounts").metrics_port;
  const std::map<std::string, std::string> get_account = {{"grpc_method", "GetAccount"}};
  auto served = [&] { return Metric(accounts_metrics, "grpc_server_started_total", get_account); };
  auto answered = [&] {
    return Metric(accounts_metrics, "grpc_server_handled_total",
                  {{"grpc_method", "GetAccount"}, {"grpc_code", "OK"}});
  };
  auto forwarded = [&] {
    return Metric(gateway_.metrics_port, "grpc_client_started_total", get_account);
  };

  const int rounds = ByMode(5, 20);
  int64_t failed_reads = 0;
  int64_t retried = 0;
  int64_t logical_calls_off = 0;
  for (int round = 0; round < rounds; ++round) {
    for (int i = 0; i < 10; ++i) {
      if (!Timed(report, caller, &v1::AccountService::Stub::GetAccount, "GetAccount", "",
                 GetRequest(account), kDeadline)
               .ok()) {
        ++failed_reads;
      }
    }
    const double served_before = served();
    const double answered_before = answered();
    const double forwarded_before = forwarded();
    proxy_->SetSwallowResponses(true);
    std::future<grpc::Status> pending = std::async(std::launch::async, [&] {
      return Timed(report, caller, &v1::AccountService::Stub::GetAccount, "GetAccount", "",
                   GetRequest(account), kDeadline);
    });
    // Accounts has answered: the answer is now lost in the proxy.
    const bool acted =
        e2e::Eventually([&] { return answered() > answered_before; }, absl::Seconds(2));
    proxy_->ResetAll();
    proxy_->SetSwallowResponses(false);
    const grpc::Status status = pending.get();
    report.Check(absl::StrCat("round ", round, ": accounts answered the first attempt"), acted);
    if (!status.ok()) ++failed_reads;
    if (served() - served_before >= 2) ++retried;
    if (forwarded() - forwarded_before != 1) ++logical_calls_off;
  }
  report.Figure("lost_answers", rounds);
  report.Figure("retried_by_gateway", static_cast<double>(retried));
  report.Check("every read succeeded", failed_reads == 0,
               absl::StrCat(failed_reads, " reads failed"));
  report.Check("every lost answer was retried upstream", retried == rounds,
               absl::StrCat(retried, " of ", rounds));
  report.Check("the gateway counts one client call per read", logical_calls_off == 0,
               absl::StrCat(logical_calls_off, " rounds off"));
  report.Check("reads within their deadline",
               PercentileMs(report.records(), 100) < absl::ToDoubleMilliseconds(kDeadline));
  GateCrashes(report);
  report.Check("extra gateway running", gateway_.process->Running());
  report.Finish();
}

// ---------------------------------------------------------------------------------------
// A write whose answer is lost: accounts creates the account, the proxy swallows the answer
// and resets the connection. The gateway does not retry the write (accounts sees one
// attempt) and tells the caller UNAVAILABLE; the caller's retry with the same request_id
// gets the account that was created, and the database holds it once, with one event and one
// audit row.

TEST_F(DependencyFaultTest, AWriteWhoseAnswerIsLostIsAppliedOnceAfterTheCallersRetry) {
  ScenarioReport report("dependency_write_answer_lost");
  const Caller caller = ViaProxy();
  constexpr absl::Duration kDeadline = absl::Seconds(5);
  const int accounts_metrics = stack().service("accounts").metrics_port;
  auto attempts = [&] {
    return Metric(accounts_metrics, "grpc_server_started_total",
                  {{"grpc_method", "CreateAccount"}});
  };
  v1::CreateAccountResponse seed;
  ASSERT_THAT(Timed(report, caller, &v1::AccountService::Stub::CreateAccount, "CreateAccount",
                    "seed", CreateRequest("seed", NewRequestId()), kDeadline, &seed),
              e2e::GrpcOk());
  const int rounds = ByMode(5, 20);
  std::set<std::string> names;
  std::set<std::string> acknowledged;
  int64_t retried_by_gateway = 0;
  for (int round = 0; round < rounds; ++round) {
    const std::string label = absl::StrCat("lost-answer-", round);
    const v1::CreateAccountRequest request = CreateRequest(label, NewRequestId());
    names.insert(label);
    // The gateway's connection to accounts is up (it reconnects after each round's reset).
    report.Check(label + ": a read before",
                 Timed(report, caller, &v1::AccountService::Stub::GetAccount, "GetAccount", "",
                       GetRequest(seed.account().id()), kDeadline)
                     .ok());
    const double attempts_before = attempts();
    proxy_->SetSwallowResponses(true);
    std::future<grpc::Status> pending = std::async(std::launch::async, [&] {
      return Timed(report, caller, &v1::AccountService::Stub::CreateAccount, "CreateAccount",
                   request.request_id(), request, kDeadline);
    });
    const std::string count_sql =
        absl::StrCat("SELECT COUNT(*) FROM kam_accounts.accounts WHERE name = ",
                     Quoted(request.account().name()));
    const bool acted = e2e::Eventually([&] { return CountOf(count_sql) == 1; }, absl::Seconds(3));
    proxy_->ResetAll();
    proxy_->SetSwallowResponses(false);
    const grpc::Status first = pending.get();
    report.Check(label + ": accounts created it before the answer was lost", acted);
    report.Check(label + ": the caller is told to retry", !first.ok(),
                 e2e::CodeName(first.error_code()));
    if (attempts() - attempts_before != 1) ++retried_by_gateway;

    v1::CreateAccountResponse retried;
    const grpc::Status again =
        Timed(report, caller, &v1::AccountService::Stub::CreateAccount, "CreateAccount",
              request.request_id(), request, kDeadline, &retried);
    report.Check(label + ": the retry succeeds", again.ok(), again.error_message());
    if (!again.ok()) continue;
    acknowledged.insert(label);
    const std::vector<std::vector<std::string>> ids = Rows(absl::StrCat(
        "SELECT id FROM kam_accounts.accounts WHERE name = ", Quoted(request.account().name())));
    report.Check(label + ": the retry returns the account created first",
                 ids.size() == 1 && ids[0][0] == absl::StrCat(retried.account().id()));
  }
  report.Check("the gateway never retries a write", retried_by_gateway == 0,
               absl::StrCat(retried_by_gateway, " writes attempted twice by the gateway"));
  GateWrites(report, names, acknowledged);
  GateCrashes(report);
  report.Check("extra gateway running", gateway_.process->Running());
  report.Finish();
}

// ---------------------------------------------------------------------------------------
// Complaints' replica of accounts, fed by accounts' event stream through the proxy: the link
// is cut (connections reset, new ones refused) while accounts are created, then healed. The
// replica catches up with every account once, and its cursor reaches accounts' head.

class DependencyFaultFeedTest : public e2e::E2eTest {};

TEST_F(DependencyFaultFeedTest, TheReplicaCatchesUpOnceTheLinkToAccountsHeals) {
  ScenarioReport report("dependency_replica_catch_up");
  // The stack's complaints stops for the scenario: its replica is fed by this one instead.
  ASSERT_TRUE(stack().StopService("complaints").ok());
  absl::Cleanup restart = [] { EXPECT_TRUE(KamStack::Get().RestartService("complaints").ok()); };
  absl::StatusOr<std::unique_ptr<TcpProxy>> proxy =
      TcpProxy::Start(stack().service("accounts").grpc_port);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  absl::StatusOr<ServiceProcess> complaints =
      stack().SpawnExtra("complaints", {{"KAM_ACCOUNTS_ADDR", (*proxy)->address()}});
  ASSERT_TRUE(complaints.ok()) << complaints.status();
  absl::Cleanup stop = [&complaints] {
    EXPECT_TRUE(complaints->process->Terminate(KamStack::kDrainGrace + absl::Seconds(3)).ok());
  };
  const int metrics = complaints->metrics_port;
  const std::map<std::string, std::string> stream = {{"stream", "accounts"}};
  auto connected = [&] { return Metric(metrics, "kam_event_consumer_connected", stream) == 1; };
  auto in_replica = [&](const std::string& like) {
    return CountOf(
        absl::StrCat("SELECT COUNT(*) FROM kam_complaints.account_replica r JOIN "
                     "kam_accounts.accounts a ON a.id = r.account_id WHERE a.name "
                     "LIKE ",
                     Quoted(Prefix() + like)));
  };
  const Caller manager = As(kOwner, {"account_manager"});
  ASSERT_THAT(Create(manager, Draft("before-cut")), e2e::GrpcOk());
  ASSERT_TRUE(e2e::Eventually([&] { return connected() && in_replica("-before-cut") == 1; },
                              absl::Seconds(30)))
      << test_support::TailFile(complaints->log_path);

  (*proxy)->SetRefuseNew(true);
  (*proxy)->ResetAll();
  report.Check("the feed notices the cut",
               e2e::Eventually([&] { return !connected(); }, absl::Seconds(10)));
  const double applied_before = Metric(metrics, "kam_event_consumer_applied_total", stream);
  const int64_t head_before = CountOf("SELECT COALESCE(MAX(id), 0) FROM kam_accounts.outbox");
  const int accounts = ByMode(20, 100);
  int64_t acknowledged = 0;
  for (int i = 0; i < accounts; ++i) {
    const std::string request_id = NewRequestId();
    v1::CreateAccountRequest request;
    request.set_request_id(request_id);
    *request.mutable_account() = Draft(absl::StrCat("during-cut-", i));
    if (report
            .Timed(request_id, "CreateAccount",
                   [&] { return manager.Call(&v1::AccountService::Stub::CreateAccount, request); })
            .ok()) {
      ++acknowledged;
    }
  }
  report.Check("every account was created", acknowledged == accounts);
  report.Check("nothing crossed the cut link", in_replica("-during-cut-%") == 0);

  (*proxy)->SetRefuseNew(false);
  const absl::Time healed = absl::Now();
  const bool caught_up = e2e::Eventually(
      [&] { return in_replica("-during-cut-%") == acknowledged; }, absl::Seconds(30));
  report.Figure("catch_up_ms", absl::ToDoubleMilliseconds(absl::Now() - healed));
  report.Check("the replica caught up", caught_up);
  const int64_t produced = CountOf(absl::StrCat(
      "SELECT COUNT(*) FROM kam_accounts.outbox WHERE event_type LIKE 'account.%' AND id > ",
      head_before));
  const int64_t head = CountOf("SELECT COALESCE(MAX(id), 0) FROM kam_accounts.outbox");
  report.Check("its cursor reaches accounts' head",
               e2e::Eventually(
                   [&] {
                     return CountOf(
                                "SELECT cursor_position FROM kam_complaints.consumer_cursors "
                                "WHERE stream = 'accounts'") >= head;
                   },
                   absl::Seconds(10)));
  const double applied =
      Metric(metrics, "kam_event_consumer_applied_total", stream) - applied_before;
  report.Figure("events_during_cut", static_cast<double>(produced));
  report.Figure("events_applied", applied);
  report.Gate("lost_acknowledged_writes", acknowledged - in_replica("-during-cut-%"));
  report.Gate("duplicated_effects", std::max<int64_t>(0, static_cast<int64_t>(applied) - produced));
  report.Check("every event applied", static_cast<int64_t>(applied) == produced,
               absl::StrCat(applied, " applied of ", produced));
  std::move(stop).Invoke();
  std::move(restart).Invoke();
  GateCrashes(report);
  report.Finish();
}

}  // namespace
}  // namespace kam::reliability
