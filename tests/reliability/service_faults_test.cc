// Faults 3, 4 and 5 of issue 7: a service killed in the middle of its transactions, a
// replica drained by SIGTERM while its calls are slow, and event consumers killed in the
// middle of a batch or running twice. Each scenario then reads the three schemas: every
// business row with its audit row and outbox event (and the reverse), every acknowledged
// write present once, and every event applied exactly once in effect (service_fault_support.h).
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "services/common/identity.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/reliability/scenario_report.h"
#include "tests/reliability/service_fault_support.h"
#include "tests/reliability/stack_checks.h"

namespace kam::reliability {
namespace {

namespace v1 = kam::accounts::v1;
namespace cv1 = kam::complaints::v1;
using e2e::AccountStub;
using e2e::Caller;
using e2e::Eventually;
using e2e::KamStack;
using e2e::ServiceProcess;
using ComplaintStub = cv1::ComplaintService::Stub;
using Health = grpc::health::v1::HealthCheckResponse;

// How long one logical write keeps retrying (same request_id) across an outage.
constexpr absl::Duration kWriteBudget = absl::Seconds(40);
constexpr absl::Duration kCatchUp = absl::Seconds(60);
constexpr absl::Duration kStart = absl::Seconds(30);
constexpr char kRecordOrder[] = "/kam.accounts.v1.AccountService/RecordOrder";

bool OutageCode(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

google::protobuf::Timestamp TenMinutesAgo() {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(absl::Now() - absl::Minutes(10)));
  return ts;
}

// One order of one CNY line (revenue `revenue`, cost 70 %), placed ten minutes ago.
v1::Order OrderOf(int64_t account_id, const std::string& external_id, int64_t revenue) {
  v1::Order order;
  order.set_account_id(account_id);
  order.set_external_id(external_id);
  *order.mutable_order_time() = TenMinutesAgo();
  v1::OrderLine* line = order.add_lines();
  line->set_product_code("COIL-7");
  line->set_product_category("steel coil");
  line->set_quantity(3);
  line->mutable_revenue()->set_currency_code("CNY");
  line->mutable_revenue()->set_minor_units(revenue);
  line->mutable_cost()->set_currency_code("CNY");
  line->mutable_cost()->set_minor_units(revenue * 7 / 10);
  return order;
}

grpc::Status RecordOrder(const Caller& caller, const std::string& request_id,
                         const v1::Order& order, int64_t* id) {
  v1::RecordOrderRequest request;
  request.set_request_id(request_id);
  *request.mutable_order() = order;
  v1::RecordOrderResponse response;
  grpc::Status status = caller.Call(&AccountStub::RecordOrder, request, &response);
  *id = response.order().id();
  return status;
}

// One logical write: retried with the same request id until acknowledged. `call` fills the
// id of what it created.
struct Write {
  std::string request_id;
  std::string method;
  std::function<grpc::Status(int64_t* id)> call;
};

struct Outcome {
  std::string method;
  bool acknowledged = false;
  int64_t id = 0;
};

// Writers in threads, each making logical writes one after the other (make(n) builds the
// n-th) and retrying each across an outage until it is acknowledged or kWriteBudget passes.
// Every attempt is recorded in the report.
class WriteLoad {
 public:
  WriteLoad(ScenarioReport& report, int threads, std::function<Write(int)> make)
      : report_(report), make_(std::move(make)) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
  }
  ~WriteLoad() { Stop(); }

  // Lets each writer finish (acknowledge) the write it is on, then joins them.
  void Stop() {
    stop_ = true;
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

  std::vector<Outcome> outcomes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return outcomes_;
  }
  // Attempts that failed with UNAVAILABLE/DEADLINE_EXCEEDED, and with anything else.
  int64_t outage_errors() const { return outage_errors_; }
  int64_t other_errors() const { return other_errors_; }
  // When an attempt last failed with an outage code.
  absl::Time last_outage_error() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_outage_error_;
  }

 private:
  void Run() {
    while (!stop_) {
      const Outcome outcome = Complete(make_(next_++));
      std::lock_guard<std::mutex> lock(mutex_);
      outcomes_.push_back(outcome);
    }
  }

  Outcome Complete(const Write& write) {
    const absl::Time give_up = absl::Now() + kWriteBudget;
    Outcome outcome{write.method};
    while (absl::Now() < give_up) {
      const grpc::Status status =
          report_.Timed(write.request_id, write.method, [&] { return write.call(&outcome.id); });
      if (status.ok()) {
        outcome.acknowledged = true;
        return outcome;
      }
      if (!OutageCode(status.error_code())) {
        ++other_errors_;
        return outcome;
      }
      ++outage_errors_;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        last_outage_error_ = absl::Now();
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    return outcome;
  }

  ScenarioReport& report_;
  const std::function<Write(int)> make_;
  std::atomic<bool> stop_{false};
  std::atomic<int> next_{0};
  std::atomic<int64_t> outage_errors_{0};
  std::atomic<int64_t> other_errors_{0};
  mutable std::mutex mutex_;
  std::vector<Outcome> outcomes_;
  absl::Time last_outage_error_ = absl::InfinitePast();
  std::vector<std::thread> threads_;
};

class ServiceFaultTest : public e2e::E2eTest {
 protected:
  // Machine callers (the "system" role's rate limit is high enough for a write load).
  static Caller Erp() { return As("erp-service-faults", {"system"}); }
  static Caller Director() { return As("director-service-faults", {"director"}); }

  static int64_t NewAccount(const Caller& caller, const std::string& label) {
    v1::Account account;
    EXPECT_THAT(Create(caller, Draft(label), &account), e2e::GrpcOk());
    return account.id();
  }

  // A medium complaint (hours of SLA on the e2e policy: the sweeper stays quiet).
  static grpc::Status Intake(const Caller& caller, const std::string& request_id,
                             int64_t account_id, const std::string& description, int64_t* id) {
    cv1::CreateComplaintRequest request;
    request.set_request_id(request_id);
    cv1::Complaint* draft = request.mutable_complaint();
    draft->set_account_id(account_id);
    draft->set_channel(cv1::CHANNEL_PHONE);
    draft->set_category(cv1::CATEGORY_PRODUCT_QUALITY);
    draft->set_description(description);
    draft->set_severity(cv1::SEVERITY_MEDIUM);
    draft->set_manner(cv1::MANNER_FRIENDLY);
    cv1::CreateComplaintResponse response;
    grpc::Status status = caller.Call(&ComplaintStub::CreateComplaint, request, &response);
    *id = response.complaint().id();
    return status;
  }

  // `count` orders of `revenue` each over `accounts` in turn, in ImportOrders calls of 50
  // retried as an ERP would on UNAVAILABLE/DEADLINE_EXCEEDED (orders are idempotent by
  // external id: a retry reports the ones already recorded as duplicates).
  static void ImportOrders(ScenarioReport& report, const std::vector<int64_t>& accounts,
                           const std::string& label, int count, int64_t revenue) {
    constexpr int kPerCall = 50;
    int recorded = 0;
    for (int first = 0; first < count; first += kPerCall) {
      v1::ImportOrdersRequest request;
      for (int i = first; i < std::min(count, first + kPerCall); ++i) {
        const int64_t account = accounts[static_cast<size_t>(i) % accounts.size()];
        *request.add_orders() = OrderOf(account, absl::StrCat(label, "-", i), revenue);
      }
      recorded += ImportBatch(report, absl::StrCat(label, "-", first), request);
    }
    report.Check("ImportOrders " + label + " recorded every order", recorded == count,
                 absl::StrCat(recorded, " of ", count));
  }

  // Orders of `request` recorded (now or by an earlier attempt), after up to three attempts.
  static int ImportBatch(ScenarioReport& report, const std::string& label,
                         const v1::ImportOrdersRequest& request) {
    grpc::Status status;
    for (int attempt = 0; attempt < 3; ++attempt) {
      v1::ImportOrdersResponse response;
      status = report.Timed(label, "ImportOrders", [&] {
        return Erp().Call(&AccountStub::ImportOrders, request, &response);
      });
      if (status.ok()) return response.accepted() + response.duplicates();
      if (!OutageCode(status.error_code())) break;
    }
    report.Check("ImportOrders " + label, false, e2e::CodeName(status.error_code()));
    return 0;
  }

  // Waits until `user`'s service has at least `count` transactions waiting on a row lock
  // after writing rows of their own (so a kill now lands in their middle); returns the rows
  // they had written, or -1 when they never got there.
  static int64_t WaitForStuckTransactions(ScenarioReport& report, const std::string& user,
                                          int count) {
    const std::string where = absl::StrCat(
        "FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = "
        "t.trx_mysql_thread_id WHERE p.USER = '",
        user, "' AND t.trx_state = 'LOCK WAIT' AND t.trx_rows_modified > 0");
    const bool stuck =
        Eventually([&] { return QueryNumber(report, "SELECT COUNT(*) " + where) >= count; },
                   absl::Seconds(20));
    report.Check(user + " transactions stuck mid-way before the kill", stuck);
    if (!stuck) return -1;
    return QueryNumber(report, "SELECT COALESCE(SUM(t.trx_rows_modified), 0) " + where);
  }

  // Ids of the acknowledged outcomes of `method`, for "id IN (...)".
  static std::string AcknowledgedIds(const std::vector<Outcome>& outcomes,
                                     const std::string& method, int64_t* count, int64_t* total) {
    std::vector<int64_t> ids;
    *total = 0;
    for (const Outcome& outcome : outcomes) {
      if (outcome.method != method) continue;
      ++*total;
      if (outcome.acknowledged) ids.push_back(outcome.id);
    }
    *count = static_cast<int64_t>(ids.size());
    return ids.empty() ? "0" : absl::StrJoin(ids, ",");
  }

  // For the writes of `method`: lost_acknowledged_writes for rows of `table` whose `key`
  // column starts with `key_prefix` (each logical write had a key of its own), and
  // duplicated_effects for keys stored twice.
  static void GateWrites(ScenarioReport& report, const std::vector<Outcome>& outcomes,
                         const std::string& method, const std::string& table,
                         const std::string& key, const std::string& key_prefix) {
    int64_t acknowledged = 0;
    int64_t total = 0;
    const std::string ids = AcknowledgedIds(outcomes, method, &acknowledged, &total);
    const std::string mine = absl::StrCat(key, " LIKE '", key_prefix, "%'");
    const int64_t present = QueryNumber(
        report,
        absl::StrCat("SELECT COUNT(*) FROM ", table, " WHERE ", mine, " AND id IN (", ids, ")"));
    report.Gate("lost_acknowledged_writes", acknowledged - present);
    report.Gate("duplicated_effects",
                QueryNumber(report, absl::StrCat("SELECT COUNT(*) - COUNT(DISTINCT ", key,
                                                 ") FROM ", table, " WHERE ", mine)));
    report.Figure(method + "_acknowledged", static_cast<double>(acknowledged));
    report.Check(method + ": every write acknowledged in the end", acknowledged == total,
                 absl::StrCat(acknowledged, " of ", total));
  }

  // The outage as the writers saw it: only UNAVAILABLE/DEADLINE_EXCEEDED, and the kill did
  // hit them.
  static void CheckOutage(ScenarioReport& report, const WriteLoad& load, absl::Time killed) {
    report.Figure("attempts_failed_in_outage", static_cast<double>(load.outage_errors()));
    report.Check("errors during the outage only UNAVAILABLE/DEADLINE_EXCEEDED",
                 load.other_errors() == 0, absl::StrCat(load.other_errors(), " other errors"));
    report.Check("the kill interrupted writes", load.outage_errors() > 0);
    report.Figure("writes_failing_for_s",
                  std::max(0.0, absl::ToDoubleSeconds(load.last_outage_error() - killed)));
  }

  // Kills `service` while its write transactions wait on `lock_sql` mid-way, frees the rows,
  // and starts it again.
  static absl::Time KillMidTransaction(ScenarioReport& report, const std::string& service,
                                       const std::string& lock_sql, int stuck) {
    RowLockHolder hold(lock_sql);
    report.Check("row lock taken", hold.Held(absl::Seconds(10)));
    const int64_t rows = WaitForStuckTransactions(report, "kam_" + service, stuck);
    report.Figure("rows_written_by_killed_transactions", static_cast<double>(rows));
    const absl::Time killed = absl::Now();
    const absl::Status kill = stack().KillService(service);
    report.Check("SIGKILL " + service, kill.ok(), kill.ToString());
    hold.Release();
    const absl::Time restart = absl::Now();
    const absl::Status restarted = stack().RestartService(service);
    report.Check(service + " restarted", restarted.ok(), restarted.ToString());
    report.Figure("restart_to_serving_s", absl::ToDoubleSeconds(absl::Now() - restart));
    return killed;
  }

  // `count` accounts owned by `manager`, known to complaints' replica when this returns.
  static std::vector<int64_t> ManagerAccounts(ScenarioReport& report, const std::string& manager,
                                              int count) {
    const Caller caller = As(manager, {"account_manager"});
    std::vector<int64_t> ids;
    for (int i = 0; i < count; ++i) ids.push_back(NewAccount(caller, absl::StrCat("m", i)));
    WaitForConsumers(report, "setup", kCatchUp);
    return ids;
  }

  // One open complaint on each of `accounts`.
  static std::vector<int64_t> OpenComplaints(ScenarioReport& report,
                                             const std::vector<int64_t>& accounts) {
    std::vector<int64_t> ids;
    for (int64_t account : accounts) {
      const std::string request_id = NewRequestId();
      int64_t id = 0;
      const grpc::Status status = report.Timed(request_id, "CreateComplaint", [&] {
        return Intake(Erp(), request_id, account, absl::StrCat(Prefix(), "-open"), &id);
      });
      report.Check("complaint taken", status.ok(), e2e::CodeName(status.error_code()));
      ids.push_back(id);
    }
    return ids;
  }

  // The burst of account events a replica applies: tier A for `to_tier_a` (their open
  // complaints' clocks are retargeted), then every one of `accounts` moved from `from` to
  // `to` in one transaction (their complaints follow the owner).
  static void AccountEventBurst(ScenarioReport& report, const std::vector<int64_t>& to_tier_a,
                                const std::vector<int64_t>& accounts, const std::string& from,
                                const std::string& to) {
    for (int64_t account : to_tier_a) {
      v1::SetTierRequest request;
      request.set_request_id(NewRequestId());
      request.set_account_id(account);
      request.set_tier(v1::TIER_A);
      request.set_reason("service fault burst");
      const grpc::Status status = report.Timed(request.request_id(), "SetTier", [&] {
        return Director().Call(&AccountStub::SetTier, request);
      });
      report.Check("SetTier", status.ok(), e2e::CodeName(status.error_code()));
    }
    v1::TransferAccountsRequest transfer;
    transfer.set_request_id(NewRequestId());
    transfer.set_from_owner_id(from);
    transfer.set_to_owner_id(to);
    for (int64_t account : accounts) transfer.add_account_ids(account);
    transfer.set_reason("service fault burst");
    v1::TransferAccountsResponse moved;
    const grpc::Status status = report.Timed(transfer.request_id(), "TransferAccounts", [&] {
      return Director().Call(&AccountStub::TransferAccounts, transfer, &moved);
    });
    report.Check("TransferAccounts moved every account",
                 status.ok() && moved.accounts_moved() == static_cast<int>(accounts.size()),
                 absl::StrCat(e2e::CodeName(status.error_code()), " ", moved.accounts_moved()));
  }

  // Each of `complaints` had its clocks retargeted exactly once (one tier change each):
  // none is a lost event, two a duplicated effect.
  static void GateRetargets(ScenarioReport& report, const std::vector<int64_t>& complaints) {
    for (int64_t complaint : complaints) {
      const int64_t retargets = QueryNumber(
          report, absl::StrCat("SELECT COUNT(*) FROM kam_complaints.complaint_transitions WHERE "
                               "action = 'sla_retargeted' AND complaint_id = ",
                               complaint));
      report.Gate("lost_events", retargets == 0 ? 1 : 0);
      report.Gate("duplicated_effects", std::max<int64_t>(0, retargets - 1));
    }
  }

  // Whether `process`'s feed of `stream` is connected (kam_event_consumer_connected).
  static bool FeedConnected(const ServiceProcess& process, const std::string& stream) {
    absl::StatusOr<std::string> metrics = test_support::HttpGet(process.metrics_port, "/metrics");
    if (!metrics.ok()) return false;
    return e2e::MetricValue(*metrics, "kam_event_consumer_connected", {{"stream", stream}}) == 1;
  }

  // Waits until `process` reports SERVING on readiness.
  static bool Serving(const ServiceProcess& process) {
    return Eventually([&] { return e2e::HealthStatus(process.address(), "") == Health::SERVING; },
                      kStart);
  }
};

TEST_F(ServiceFaultTest, AccountsKilledMidWriteKeepsRowsAuditAndEventsTogether) {
  ScenarioReport report("service_faults.accounts_killed_mid_write");
  const Caller erp = Erp();
  std::vector<int64_t> customers;
  for (int i = 0; i < 4; ++i) customers.push_back(NewAccount(erp, absl::StrCat("customer-", i)));
  // Even writes create accounts, odd ones record orders on the customers.
  WriteLoad load(report, 4, [&](int n) {
    const std::string request_id = NewRequestId();
    if (n % 2 == 0) {
      const v1::Account draft = Draft(absl::StrCat("w", n));
      return Write{request_id, "CreateAccount", [=](int64_t* id) {
                     v1::Account created;
                     grpc::Status status = CreateWithRequestId(erp, draft, request_id, &created);
                     *id = created.id();
                     return status;
                   }};
    }
    const v1::Order order = OrderOf(customers[static_cast<size_t>(n / 2) % customers.size()],
                                    absl::StrCat("akill-o", n), 100'00 + n);
    return Write{request_id, "RecordOrder",
                 [=](int64_t* id) { return RecordOrder(erp, request_id, order, id); }};
  });
  absl::SleepFor(absl::Seconds(1));
  const absl::Time killed = KillMidTransaction(
      report, "accounts", "SELECT events FROM kam_accounts.outbox_lock WHERE id = 1 FOR UPDATE", 2);
  absl::SleepFor(ByMode(absl::Seconds(1.5), absl::Seconds(20)));
  load.Stop();
  CheckOutage(report, load, killed);

  GateWrites(report, load.outcomes(), "CreateAccount", "kam_accounts.accounts", "name",
             Prefix() + "-w");
  GateWrites(report, load.outcomes(), "RecordOrder", "kam_accounts.orders", "external_id",
             "akill-o");
  GateAccountsTrails(report);
  if (WaitForConsumers(report, "accounts_killed", kCatchUp)) GateConsumers(report);
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

TEST_F(ServiceFaultTest, ComplaintsKilledMidWriteKeepsRowsAuditAndEventsTogether) {
  ScenarioReport report("service_faults.complaints_killed_mid_write");
  const Caller erp = Erp();
  std::vector<int64_t> customers;
  for (int i = 0; i < 4; ++i) customers.push_back(NewAccount(erp, absl::StrCat("customer-", i)));
  report.Check("complaints' replica has the customers",
               WaitForConsumers(report, "replica_before", kCatchUp));
  WriteLoad load(report, 4, [&](int n) {
    const std::string request_id = NewRequestId();
    const int64_t account = customers[static_cast<size_t>(n) % customers.size()];
    const std::string description = absl::StrCat(Prefix(), "-c", n);
    return Write{request_id, "CreateComplaint",
                 [=](int64_t* id) { return Intake(erp, request_id, account, description, id); }};
  });
  absl::SleepFor(absl::Seconds(1));
  const absl::Time killed = KillMidTransaction(
      report, "complaints", "SELECT events FROM kam_complaints.outbox_lock WHERE id = 1 FOR UPDATE",
      2);
  absl::SleepFor(ByMode(absl::Seconds(1.5), absl::Seconds(20)));
  load.Stop();
  CheckOutage(report, load, killed);

  GateWrites(report, load.outcomes(), "CreateComplaint", "kam_complaints.complaints", "description",
             Prefix() + "-c");
  GateComplaintsTrails(report);
  if (WaitForConsumers(report, "complaints_killed", kCatchUp)) GateConsumers(report);
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

// RecordOrder calls of one customer, each in a thread of its own, recorded in the report.
class OrderCalls {
 public:
  OrderCalls(ScenarioReport& report, int64_t customer) : report_(report), customer_(customer) {}
  ~OrderCalls() { Join(); }

  // Starts one call through `caller`.
  void Start(const Caller& caller) {
    const std::string request_id = NewUuid();
    const v1::Order order = OrderOf(customer_, "drain-o" + request_id, 500'00);
    threads_.emplace_back([this, caller, request_id, order] {
      Outcome outcome{"RecordOrder"};
      const grpc::Status status = report_.Timed(request_id, "RecordOrder", [&] {
        return RecordOrder(caller, request_id, order, &outcome.id);
      });
      outcome.acknowledged = status.ok();
      std::lock_guard<std::mutex> lock(mutex_);
      outcomes_.push_back(outcome);
      codes_.push_back(status.error_code());
    });
  }
  void Join() {
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }
  // After Join().
  const std::vector<Outcome>& outcomes() const { return outcomes_; }
  const std::vector<grpc::StatusCode>& codes() const { return codes_; }

 private:
  ScenarioReport& report_;
  const int64_t customer_;
  std::mutex mutex_;
  std::vector<Outcome> outcomes_;
  std::vector<grpc::StatusCode> codes_;
  std::vector<std::thread> threads_;
};

// When a process given SIGTERM exits, watched from a thread of its own.
class ExitWatch {
 public:
  explicit ExitWatch(test_support::ChildProcess& process)
      : start_(absl::Now()), thread_([this, &process] {
          code_ = process.WaitExit(KamStack::kDrainGrace + absl::Seconds(3));
          exited_ = absl::Now();
        }) {}
  ~ExitWatch() { Join(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  // After Join(): the exit code (nullopt: still running) and seconds from start to exit.
  std::optional<int> code() const { return code_; }
  double seconds() const { return absl::ToDoubleSeconds(exited_ - start_); }

 private:
  const absl::Time start_;
  std::optional<int> code_;
  absl::Time exited_ = absl::InfiniteFuture();
  std::thread thread_;
};

class ServiceFaultDrainTest : public ServiceFaultTest {
 protected:
  // Reads of `customer` through `caller` during the drain: the gateway's read retry must
  // find the replica that stays.
  static void CheckReadsAnswered(ScenarioReport& report, const Caller& caller, int64_t customer) {
    constexpr int kReads = 6;
    int reads_ok = 0;
    for (int i = 0; i < kReads; ++i) {
      v1::GetAccountRequest request;
      request.set_account_id(customer);
      const grpc::Status read = report.Timed(absl::StrCat("drain-read-", i), "GetAccount", [&] {
        return caller.Call(&AccountStub::GetAccount, request);
      });
      if (read.ok()) ++reads_ok;
    }
    report.Check("reads during the drain answered by the other replica", reads_ok == kReads,
                 absl::StrCat(reads_ok, " of ", kReads));
  }

  // A call opened on the draining replica's own port after SIGTERM is refused UNAVAILABLE.
  static void CheckRefused(ScenarioReport& report, const ServiceProcess& replica,
                           int64_t customer) {
    const grpc::Status refused = report.Timed("drain-direct-after", "GetAccount", [&] {
      v1::GetAccountRequest request;
      request.set_account_id(customer);
      return Caller(replica.address(), {}).Call(&AccountStub::GetAccount, request);
    });
    report.Check("a new direct call to the draining replica is refused UNAVAILABLE",
                 refused.error_code() == grpc::StatusCode::UNAVAILABLE,
                 e2e::CodeName(refused.error_code()));
  }

  static void CheckDrained(ScenarioReport& report, const ExitWatch& exit,
                           const OrderCalls& in_flight, const OrderCalls& after) {
    report.Figure("exit_after_sigterm_s", exit.seconds());
    report.Check("the drained replica exits 0", exit.code() == 0,
                 exit.code() ? absl::StrCat("exit ", *exit.code()) : "still running");
    report.Check("the drained replica exits within its grace",
                 exit.seconds() <= absl::ToDoubleSeconds(KamStack::kDrainGrace) + 1,
                 absl::StrCat(exit.seconds()));
    int64_t ok = 0;
    for (const Outcome& outcome : in_flight.outcomes()) ok += outcome.acknowledged ? 1 : 0;
    report.Figure("in_flight_calls", static_cast<double>(in_flight.outcomes().size()));
    report.Check("calls in flight at SIGTERM complete OK",
                 ok == static_cast<int64_t>(in_flight.outcomes().size()),
                 absl::StrCat(ok, " of ", in_flight.outcomes().size()));
    for (grpc::StatusCode code : after.codes()) {
      report.Check("a write after SIGTERM is OK or UNAVAILABLE",
                   code == grpc::StatusCode::OK || code == grpc::StatusCode::UNAVAILABLE,
                   e2e::CodeName(code));
    }
  }

  // Every acknowledged order present once; rows, audit and events together.
  static void GateOrders(ScenarioReport& report, const OrderCalls& in_flight,
                         const OrderCalls& after) {
    std::vector<Outcome> all = in_flight.outcomes();
    all.insert(all.end(), after.outcomes().begin(), after.outcomes().end());
    GateWrites(report, all, "RecordOrder", "kam_accounts.orders", "external_id", "drain-o");
    GateAccountsTrails(report);
  }
};

// A second accounts replica behind a second gateway (KAM_ACCOUNTS_ADDR lists both) gets
// SIGTERM while writes through it wait on a row lock: they complete OK, new calls go to the
// other replica or are refused UNAVAILABLE, and the process exits 0 within its drain grace.
TEST_F(ServiceFaultDrainTest, SigtermDrainsSlowCallsAndNewCallsGoElsewhere) {
  ScenarioReport report("service_faults.sigterm_drain");
  const int64_t customer = NewAccount(Erp(), "customer");
  absl::StatusOr<ServiceProcess> replica = stack().SpawnExtra("accounts", {});
  ASSERT_TRUE(replica.ok()) << replica.status();
  ASSERT_TRUE(Serving(*replica)) << test_support::TailFile(replica->log_path);
  absl::StatusOr<ServiceProcess> gateway = stack().SpawnExtra(
      "gateway", {{"KAM_ACCOUNTS_ADDR", absl::StrCat("ipv4:", stack().service("accounts").address(),
                                                     ",", replica->address())}});
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  ASSERT_TRUE(Serving(*gateway)) << test_support::TailFile(gateway->log_path);
  const Caller via_gateway(gateway->address(),
                           {{"authorization", "Bearer " + Token("erp-drain", {"system"})}});
  const Caller direct(
      replica->address(),
      IdentityMetadata(SignIdentity({"erp-drain", {"system"}, ""}, kRecordOrder,
                                    stack().identity_key(), absl::Now() + absl::Minutes(1))));

  RowLockHolder hold("SELECT events FROM kam_accounts.outbox_lock WHERE id = 1 FOR UPDATE");
  ASSERT_TRUE(hold.Held(absl::Seconds(10)));
  OrderCalls in_flight(report, customer), after(report, customer);
  // Few enough that neither replica's pool (8 connections) fills up with waiting writes.
  for (int i = 0; i < 4; ++i) in_flight.Start(direct);
  for (int i = 0; i < 2; ++i) in_flight.Start(via_gateway);
  report.Check("slow calls wait in the database",
               WaitForStuckTransactions(report, "kam_accounts", 6) > 0);

  ASSERT_TRUE(replica->process->Signal(SIGTERM).ok());
  ExitWatch exit(*replica->process);
  // The rows are freed a second after SIGTERM, well within the drain grace and the deadlines.
  std::thread release([&] {
    absl::SleepFor(absl::Seconds(1));
    hold.Release();
  });
  // Readiness turns NOT_SERVING when the drain starts (then the port closes).
  report.Check(
      "the replica starts draining",
      Eventually([&] { return e2e::HealthStatus(replica->address(), "") != Health::SERVING; },
                 absl::Seconds(3)));
  for (int i = 0; i < 2; ++i) after.Start(via_gateway);
  CheckRefused(report, *replica, customer);
  CheckReadsAnswered(report, via_gateway, customer);
  release.join();
  in_flight.Join();
  after.Join();
  exit.Join();

  CheckDrained(report, exit, in_flight, after);
  GateOrders(report, in_flight, after);
  const absl::Status gateway_stopped =
      gateway->process->Terminate(KamStack::kDrainGrace + absl::Seconds(3));
  report.Check("the second gateway exits 0 on SIGTERM", gateway_stopped.ok(),
               gateway_stopped.ToString());
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

// analytics killed while a projection transaction, having written part of a message's
// rollups, waits on a row lock; restarted, it applies every event exactly once.
TEST_F(ServiceFaultTest, ProjectionKilledMidBatchAppliesEveryEventOnce) {
  ScenarioReport report("service_faults.projection_killed_mid_batch");
  std::vector<int64_t> customers;
  for (int i = 0; i < 20; ++i) customers.push_back(NewAccount(Erp(), absl::StrCat("c", i)));
  ImportOrders(report, customers, "pkill-seed", 20, 1'000'00);
  ASSERT_TRUE(WaitForConsumers(report, "seed", kCatchUp));
  {
    // A customer in the middle of the burst: the projection writes others' rows, then waits.
    RowLockHolder hold(absl::StrCat("SELECT revenue_minor FROM kam_analytics.account_month ",
                                    "WHERE account_id = ", customers[10], " FOR UPDATE"));
    report.Check("row lock taken", hold.Held(absl::Seconds(10)));
    ImportOrders(report, customers, "pkill-burst", ByMode(400, 1000), 123'45);
    const int64_t rows = WaitForStuckTransactions(report, "kam_analytics", 1);
    report.Figure("rows_written_by_killed_transaction", static_cast<double>(rows));
    const absl::Status kill = stack().KillService("analytics");
    report.Check("SIGKILL analytics", kill.ok(), kill.ToString());
  }
  const absl::Status restarted = stack().RestartService("analytics");
  report.Check("analytics restarted", restarted.ok(), restarted.ToString());
  if (WaitForConsumers(report, "after_kill", kCatchUp)) GateConsumers(report);
  GateAccountsTrails(report);
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

// complaints killed while its replica's transaction, having moved part of a transfer (and
// maybe retargeted clocks), waits on a row lock; restarted, the replica, the complaints'
// owners and the retargeted clocks show every account event applied exactly once.
TEST_F(ServiceFaultTest, ReplicaKilledMidBatchAppliesEveryEventOnce) {
  ScenarioReport report("service_faults.replica_killed_mid_batch");
  const std::vector<int64_t> accounts = ManagerAccounts(report, "mgr-from-replica-kill", 30);
  const std::vector<int64_t> with_complaints(accounts.begin(), accounts.begin() + 3);
  const std::vector<int64_t> complaints = OpenComplaints(report, with_complaints);
  ASSERT_TRUE(WaitForConsumers(report, "seed", kCatchUp));
  {
    RowLockHolder hold(absl::StrCat("SELECT tier FROM kam_complaints.account_replica ",
                                    "WHERE account_id = ", accounts[15], " FOR UPDATE"));
    report.Check("row lock taken", hold.Held(absl::Seconds(10)));
    AccountEventBurst(report, with_complaints, accounts, "mgr-from-replica-kill",
                      "mgr-to-replica-kill");
    const int64_t rows = WaitForStuckTransactions(report, "kam_complaints", 1);
    report.Figure("rows_written_by_killed_transaction", static_cast<double>(rows));
    const absl::Status kill = stack().KillService("complaints");
    report.Check("SIGKILL complaints", kill.ok(), kill.ToString());
  }
  const absl::Status restarted = stack().RestartService("complaints");
  report.Check("complaints restarted", restarted.ok(), restarted.ToString());
  if (WaitForConsumers(report, "after_kill", kCatchUp)) GateConsumers(report);
  GateRetargets(report, complaints);
  GateComplaintsTrails(report);
  GateAccountsTrails(report);
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

// A second analytics and a second complaints process on the same schemas: both projections
// and both replicas follow the same streams through a burst, and every event still takes
// effect exactly once.
TEST_F(ServiceFaultTest, TwoConsumersOfEachKindApplyEveryEventOnce) {
  ScenarioReport report("service_faults.two_consumers_each");
  absl::StatusOr<ServiceProcess> analytics = stack().SpawnExtra("analytics", {});
  ASSERT_TRUE(analytics.ok()) << analytics.status();
  absl::StatusOr<ServiceProcess> complaints = stack().SpawnExtra("complaints", {});
  ASSERT_TRUE(complaints.ok()) << complaints.status();
  ASSERT_TRUE(Serving(*analytics)) << test_support::TailFile(analytics->log_path);
  ASSERT_TRUE(Serving(*complaints)) << test_support::TailFile(complaints->log_path);

  const std::vector<int64_t> accounts = ManagerAccounts(report, "mgr-from-two", 20);
  const std::vector<int64_t> with_complaints(accounts.begin(), accounts.begin() + 3);
  const std::vector<int64_t> complaint_ids = OpenComplaints(report, with_complaints);
  ASSERT_TRUE(WaitForConsumers(report, "seed", kCatchUp));
  report.Check("the second projection follows accounts",
               Eventually([&] { return FeedConnected(*analytics, "accounts"); }, kStart));
  report.Check("the second replica follows accounts",
               Eventually([&] { return FeedConnected(*complaints, "accounts"); }, kStart));
  AccountEventBurst(report, with_complaints, accounts, "mgr-from-two", "mgr-to-two");
  ImportOrders(report, accounts, "two-burst", ByMode(300, 1000), 77'00);

  if (WaitForConsumers(report, "two_each", kCatchUp)) GateConsumers(report);
  GateRetargets(report, complaint_ids);
  GateComplaintsTrails(report);
  GateAccountsTrails(report);
  for (ServiceProcess* extra : {&*analytics, &*complaints}) {
    const absl::Status stopped =
        extra->process->Terminate(KamStack::kDrainGrace + absl::Seconds(3));
    report.Check("the second " + extra->name + " exits 0 on SIGTERM", stopped.ok(),
                 stopped.ToString());
  }
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

}  // namespace
}  // namespace kam::reliability
