// Faults 1 and 2 of the reliability suite: MariaDB killed (SIGKILL) and restarted on the same
// data, and MariaDB frozen (SIGSTOP, then SIGCONT), each in the middle of a write load of
// complaint intakes and orders sent through the gateway. Every writer retries a failed write
// with the same request_id until it is acknowledged, as a careful client does; afterwards the
// database must hold every acknowledged write exactly once (its row, audit row, outbox event
// and, for orders, the receivable it adds), and the services must have told the truth on
// their health checks, kept their callers' deadlines and recovered without a restart.
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/reliability/scenario_report.h"
#include "tests/reliability/stack_checks.h"

namespace kam::reliability {
namespace {

using e2e::Caller;
using e2e::E2eTest;
using e2e::Health;
using e2e::KamStack;
using e2e::ServiceProcess;
namespace av1 = kam::accounts::v1;
namespace cv1 = kam::complaints::v1;
using AccountStub = av1::AccountService::Stub;
using ComplaintStub = cv1::ComplaintService::Stub;

constexpr int kTargetAccounts = 4;
constexpr int64_t kOrderRevenue = 12'345'00;
constexpr char kRecordOrder[] = "RecordOrder";
constexpr char kCreateComplaint[] = "CreateComplaint";
// How long a writer keeps retrying the write it holds once the load stops: far longer than
// any recovery this suite accepts, so that an unacknowledged write means a service that
// never recovered, not an impatient client.
constexpr absl::Duration kRetryBudget = absl::Seconds(20);
// "Back within seconds": readiness SERVING and both kinds of write acknowledged again.
constexpr absl::Duration kRecoveryLimit = absl::Seconds(15);
constexpr absl::Duration kNoticeOutage = absl::Seconds(10);
// A hung database (frozen, not dead) shows in readiness within the probe's own timeout
// (kReadinessTimeout in services/common/database_service.cc, 2 s) plus its poll period (1 s), not after the business calls'
// KAM_DB_IO_TIMEOUT_SECONDS (10 s); the bound leaves one second for a loaded machine. After
// the thaw, readiness is back within a poll or two.
constexpr absl::Duration kNoticeHang = absl::Seconds(4);
constexpr absl::Duration kReadyAfterThaw = absl::Seconds(4);
// The freeze scenario's bounds: how far past its deadline a call may end, and how long a
// health check may take (its own deadline, which is a kubelet probe's default).
constexpr absl::Duration kDeadlineSlack = absl::Milliseconds(100);
constexpr absl::Duration kHealthDeadline = absl::Seconds(1);
// Each writer starts a new write at most this often: 20 a second, under the gateway's rate
// limit for people (50 a second), so that no call is refused for the load's own pace.
constexpr absl::Duration kWritePace = absl::Milliseconds(50);

enum class WriteKind { kOrder, kComplaint };

// An account the load writes to, and the signed contract its orders name.
struct Target {
  int64_t account_id = 0;
  int64_t contract_id = 0;
};

// One write, sent once or retried under the same request_id until it was acknowledged.
struct Write {
  WriteKind kind = WriteKind::kOrder;
  std::string request_id;
  Target target;
  absl::Time order_time;  // part of the request, so each retry sends the same bytes
  int attempts = 0;
  absl::Time last_attempt;      // when the latest attempt was sent
  int64_t acknowledged_id = 0;  // the order or complaint id of the OK answer; 0 if none
};

// The order's external id and the complaint's description carry the request id, so the
// database can be asked what each request did.
std::string ComplaintDescription(const std::string& request_id) {
  return absl::StrCat("db fault intake ", request_id);
}

av1::RecordOrderRequest OrderRequest(const Write& write) {
  av1::RecordOrderRequest request;
  request.set_request_id(write.request_id);
  av1::Order* order = request.mutable_order();
  order->set_account_id(write.target.account_id);
  order->set_contract_id(write.target.contract_id);
  order->set_external_id(write.request_id);
  order->mutable_order_time()->set_seconds(absl::ToUnixSeconds(write.order_time));
  av1::OrderLine* line = order->add_lines();
  line->set_product_code("COIL-DBF");
  line->set_product_category("steel coil");
  line->set_quantity(3);
  line->mutable_revenue()->set_currency_code("CNY");
  line->mutable_revenue()->set_minor_units(kOrderRevenue);
  line->mutable_cost()->set_currency_code("CNY");
  line->mutable_cost()->set_minor_units(kOrderRevenue / 2);
  return request;
}

cv1::CreateComplaintRequest ComplaintRequest(const Write& write) {
  cv1::CreateComplaintRequest request;
  request.set_request_id(write.request_id);
  cv1::Complaint* complaint = request.mutable_complaint();
  complaint->set_account_id(write.target.account_id);
  complaint->set_channel(cv1::CHANNEL_PHONE);
  complaint->set_category(cv1::CATEGORY_TRANSPORT);
  complaint->set_description(ComplaintDescription(write.request_id));
  complaint->set_severity(cv1::SEVERITY_MEDIUM);
  complaint->set_manner(cv1::MANNER_FRIENDLY);
  return request;
}

// Calls `method` through `caller` with its own deadline instead of the e2e default.
template <typename Stub, typename Request, typename Response>
grpc::Status CallWithin(const Caller& caller,
                        grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                     Response*),
                        const Request& request, Response* response, absl::Duration deadline) {
  grpc::ClientContext context;
  caller.Prepare(&context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  Stub stub(caller.channel());
  return (stub.*method)(&context, request, response);
}

// One writer: its kind and the identity it writes as (one subject each, so no writer eats
// another's rate limit).
struct Writer {
  WriteKind kind;
  Caller caller;
};

// Writers sending orders and complaint intakes as fast as they are answered, each holding one
// write at a time and retrying it with the same request_id (after `retry_pause`) until it is
// acknowledged. Every attempt goes into the report.
class WriteLoad {
 public:
  WriteLoad(ScenarioReport* report, std::string run, std::vector<Target> targets,
            absl::Duration call_deadline, absl::Duration retry_pause)
      : report_(report),
        run_(std::move(run)),
        targets_(std::move(targets)),
        call_deadline_(call_deadline),
        retry_pause_(retry_pause) {}
  ~WriteLoad() { Stop(absl::Now()); }

  void Start(std::vector<Writer> writers) {
    for (size_t i = 0; i < writers.size(); ++i) {
      threads_.emplace_back([this, i, writer = writers[i]] { Run(writer, static_cast<int>(i)); });
    }
  }

  // No new writes from now on; each writer retries the write it holds until it is
  // acknowledged or `give_up` passes. Returns once every writer has ended.
  void Stop(absl::Time give_up) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      give_up_ = std::min(give_up_, give_up);
    }
    stopping_ = true;
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
  }

  // When a write of `kind` was first acknowledged at or after `since`; nullopt if none yet.
  std::optional<absl::Time> FirstAcknowledgedSince(WriteKind kind, absl::Time since) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::optional<absl::Time> first;
    for (const auto& [acknowledged_kind, at] : acknowledgements_) {
      if (acknowledged_kind == kind && at >= since && (!first || at < *first)) first = at;
    }
    return first;
  }

  // Every write the writers made; complete once Stop returned.
  std::vector<Write> writes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return writes_;
  }

 private:
  void Run(const Writer& writer, int index) {
    for (int n = 0; !stopping_; ++n) {
      const absl::Time next = absl::Now() + kWritePace;
      Write write;
      write.kind = writer.kind;
      write.request_id = absl::StrCat(run_, "-w", index, "-", n);
      write.target = targets_[(index + n) % targets_.size()];
      write.order_time = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
      while (Retryable(Send(writer.caller, &write)) && !GaveUp()) absl::SleepFor(retry_pause_);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        writes_.push_back(std::move(write));
      }
      absl::SleepFor(next - absl::Now());
    }
  }

  bool GaveUp() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopping_ && absl::Now() > give_up_;
  }

  // What a careful client retries: the outage codes, and ABORTED, which the services answer
  // while the first attempt of a request_id is still running. Anything else ends the write.
  static bool Retryable(grpc::StatusCode code) {
    return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
           code == grpc::StatusCode::ABORTED;
  }

  // One attempt, recorded in the report and, when acknowledged, in `write`.
  grpc::StatusCode Send(const Caller& caller, Write* write) {
    ++write->attempts;
    write->last_attempt = absl::Now();
    int64_t id = 0;
    const bool order = write->kind == WriteKind::kOrder;
    const grpc::Status status =
        report_->Timed(write->request_id, order ? kRecordOrder : kCreateComplaint, [&] {
          if (order) {
            av1::RecordOrderResponse response;
            grpc::Status s = CallWithin(caller, &AccountStub::RecordOrder, OrderRequest(*write),
                                        &response, call_deadline_);
            id = response.order().id();
            return s;
          }
          cv1::CreateComplaintResponse response;
          grpc::Status s = CallWithin(caller, &ComplaintStub::CreateComplaint,
                                      ComplaintRequest(*write), &response, call_deadline_);
          id = response.complaint().id();
          return s;
        });
    if (!status.ok()) return status.error_code();
    write->acknowledged_id = id;
    std::lock_guard<std::mutex> lock(mutex_);
    acknowledgements_.emplace_back(write->kind, absl::Now());
    return grpc::StatusCode::OK;
  }

  ScenarioReport* report_;
  const std::string run_;
  const std::vector<Target> targets_;
  const absl::Duration call_deadline_;
  const absl::Duration retry_pause_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  absl::Time give_up_ = absl::InfiniteFuture();
  std::vector<Write> writes_;
  std::vector<std::pair<WriteKind, absl::Time>> acknowledgements_;
  std::vector<std::thread> threads_;
};

// Health checks of every service, readiness and liveness, every 100 ms on a thread of its own
// until destroyed: how many went unanswered within their 1 s deadline, and the slowest.
class HealthWatch {
 public:
  HealthWatch() : thread_([this] { Run(); }) {}
  ~HealthWatch() {
    stopping_ = true;
    thread_.join();
  }

  int unanswered() const { return unanswered_; }
  // Readiness answers NOT_SERVING: how soon a service notices a database that hangs.
  int not_serving() const { return not_serving_; }
  int checks() const { return checks_; }
  absl::Duration slowest() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return slowest_;
  }
  std::string unanswered_detail() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return absl::StrJoin(unanswered_names_, ", ");
  }

 private:
  void Run() {
    while (!stopping_) {
      for (const ServiceProcess& service : KamStack::Get().services()) {
        for (const char* check : {"", "liveness"}) Probe(service, check);
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  void Probe(const ServiceProcess& service, const std::string& check) {
    const absl::Time start = absl::Now();
    const Health::ServingStatus status = e2e::HealthStatus(service.address(), check);
    const bool answered = status != Health::UNKNOWN;
    const absl::Duration took = absl::Now() - start;
    ++checks_;
    if (check.empty() && status == Health::NOT_SERVING) ++not_serving_;
    std::lock_guard<std::mutex> lock(mutex_);
    slowest_ = std::max(slowest_, took);
    if (!answered || took > kHealthDeadline) {
      ++unanswered_;
      unanswered_names_.push_back(absl::StrCat(service.name, check.empty() ? " readiness" : " ",
                                               check, " at +", absl::FormatDuration(took)));
    }
  }

  std::atomic<bool> stopping_{false};
  std::atomic<int> checks_{0};
  std::atomic<int> unanswered_{0};
  std::atomic<int> not_serving_{0};
  mutable std::mutex mutex_;
  absl::Duration slowest_;
  std::vector<std::string> unanswered_names_;
  std::thread thread_;
};

// Rows of a root query, each split at tabs; a failed query fails the test (and is empty).
std::vector<std::vector<std::string>> Rows(const std::string& sql) {
  absl::StatusOr<std::string> out = KamStack::Get().db().QueryAsRoot(sql);
  if (!out.ok()) {
    ADD_FAILURE() << sql << ": " << out.status();
    return {};
  }
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipEmpty())) {
    rows.push_back(absl::StrSplit(line, '\t'));
  }
  return rows;
}

int64_t ToInt(const std::string& text) {
  int64_t value = 0;
  EXPECT_TRUE(absl::SimpleAtoi(text, &value)) << text;
  return value;
}

// What the database holds for the requests of one kind of one run: the rows each request
// made, and the creation audit rows and outbox events of each row.
struct Effects {
  std::map<std::string, std::vector<int64_t>> rows;  // request id -> order or complaint ids
  std::map<int64_t, int64_t> audit_rows;             // row id -> creation audit rows
  std::map<int64_t, int64_t> events;                 // row id -> creation outbox events
  std::map<int64_t, absl::Time> created;             // row id -> its create_time
};

// Where one kind of write lands: its schema and table, the SQL expression that names the
// request of a row, and the action of its creation ("order.recorded").
struct WriteTable {
  const char* schema;
  const char* table;
  std::string request_of_row;
  const char* resource_type;
  const char* created;
};

WriteTable TableOf(WriteKind kind) {
  if (kind == WriteKind::kOrder) {
    return {"kam_accounts", "orders", "r.external_id", "order", "order.recorded"};
  }
  const size_t prefix = ComplaintDescription("").size();
  return {"kam_complaints", "complaints",
          absl::StrCat("SUBSTRING(r.description, ", prefix + 1, ")"), "complaint",
          "complaint.recorded"};
}

// Rows of `sql` as "id \t count" pairs.
std::map<int64_t, int64_t> CountsById(const std::string& sql) {
  std::map<int64_t, int64_t> counts;
  for (const std::vector<std::string>& row : Rows(sql)) {
    if (row.size() == 2) counts[ToInt(row[0])] += ToInt(row[1]);
  }
  return counts;
}

Effects ReadEffects(WriteKind kind, const std::string& run) {
  const WriteTable t = TableOf(kind);
  const std::string rows_of_run =
      absl::StrCat(t.schema, ".", t.table, " r WHERE ", t.request_of_row, " LIKE '", run, "-%'");
  Effects effects;
  // create_time is DATETIME(6) in UTC: micros since the epoch, whatever the session's zone.
  for (const auto& row : Rows(absl::StrCat(
           "SELECT ", t.request_of_row,
           ", r.id, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', r.create_time) FROM ",
           rows_of_run))) {
    effects.rows[row[0]].push_back(ToInt(row[1]));
    effects.created[ToInt(row[1])] = absl::FromUnixMicros(ToInt(row[2]));
  }
  // The audit rows and events of the run's rows: `x` joined to them by resource id.
  auto per_row = [&](const std::string& x_table, const std::string& x_match) {
    return CountsById(absl::StrCat("SELECT r.id, COUNT(*) FROM ", t.schema, ".", x_table,
                                   " x JOIN ", rows_of_run, " AND x.", x_match, " AND x.",
                                   x_table == "audit_log" ? "resource_id" : "aggregate_id",
                                   " = CAST(r.id AS CHAR) GROUP BY r.id"));
  };
  effects.audit_rows = per_row("audit_log", absl::StrCat("action = '", t.created, "'"));
  effects.events = per_row("outbox", absl::StrCat("event_type = '", t.created, "'"));
  return effects;
}

int64_t CountOf(const std::map<int64_t, int64_t>& counts, int64_t key) {
  auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

// Tallies of the database checks over all writes of a run.
struct Findings {
  int64_t lost = 0;
  int64_t duplicated = 0;
  int64_t incomplete = 0;  // rows without their creation audit row or outbox event
  // Acknowledged writes whose row an earlier, unanswered attempt made: the retries that
  // really tested "a retry returns the first result and changes nothing".
  int64_t answered_from_earlier_attempt = 0;
  std::vector<std::string> examples;

  void Note(const std::string& what) {
    if (examples.size() < 5) examples.push_back(what);
  }
};

// One write against what the database holds: acknowledged means present under the id its
// answer named; each request makes at most one row, and each row exactly one creation audit
// row and one outbox event.
void Examine(const Write& write, const Effects& effects, Findings& findings) {
  const auto found = effects.rows.find(write.request_id);
  const std::vector<int64_t> ids =
      found == effects.rows.end() ? std::vector<int64_t>{} : found->second;
  const bool acknowledged = write.acknowledged_id != 0;
  if (acknowledged && std::find(ids.begin(), ids.end(), write.acknowledged_id) == ids.end()) {
    ++findings.lost;
    findings.Note(absl::StrCat("lost ", write.request_id, " (id ", write.acknowledged_id, ")"));
  } else if (acknowledged && effects.created.at(write.acknowledged_id) < write.last_attempt) {
    ++findings.answered_from_earlier_attempt;
  }
  if (ids.size() > 1) {
    findings.duplicated += static_cast<int64_t>(ids.size()) - 1;
    findings.Note(absl::StrCat(write.request_id, ": ", ids.size(), " rows"));
  }
  for (int64_t id : ids) {
    for (const auto* counts : {&effects.audit_rows, &effects.events}) {
      const int64_t count = CountOf(*counts, id);
      if (count == 1) continue;
      findings.duplicated += std::max<int64_t>(0, count - 1);
      findings.incomplete += count == 0 ? 1 : 0;
      findings.Note(absl::StrCat(write.request_id, " (id ", id, "): ", count,
                                 counts == &effects.events ? " outbox events" : " audit rows"));
    }
  }
}

// A receivable that moved twice for one order is a duplicated effect even when the order row
// itself is single: each target's receivable must equal the sum of its orders.
void ExamineReceivables(const std::vector<Target>& targets, Findings& findings) {
  for (const Target& target : targets) {
    const auto rows = Rows(absl::StrCat(
        "SELECT a.receivable_minor, COALESCE(SUM(o.revenue_minor), 0) FROM kam_accounts.accounts "
        "a LEFT JOIN kam_accounts.orders o ON o.account_id = a.id WHERE a.id = ",
        target.account_id, " GROUP BY a.receivable_minor"));
    if (rows.size() == 1 && rows[0].size() == 2 && rows[0][0] == rows[0][1]) continue;
    ++findings.duplicated;
    findings.Note(absl::StrCat("account ", target.account_id, " receivable vs orders: ",
                               rows.empty() ? "no row" : absl::StrJoin(rows[0], " vs ")));
  }
}

// The hard gates on the database after a run (lost_acknowledged_writes, duplicated_effects)
// and the completeness of each row's audit row and outbox event. Returns how many writes
// were answered with the effect of an earlier attempt.
int64_t GateEffects(ScenarioReport& report, const std::string& run,
                    const std::vector<Write>& writes, const std::vector<Target>& targets) {
  const std::map<WriteKind, Effects> effects = {
      {WriteKind::kOrder, ReadEffects(WriteKind::kOrder, run)},
      {WriteKind::kComplaint, ReadEffects(WriteKind::kComplaint, run)}};
  Findings findings;
  int64_t acknowledged = 0;
  for (const Write& write : writes) {
    Examine(write, effects.at(write.kind), findings);
    acknowledged += write.acknowledged_id != 0 ? 1 : 0;
  }
  ExamineReceivables(targets, findings);
  report.Gate("lost_acknowledged_writes", findings.lost);
  report.Gate("duplicated_effects", findings.duplicated);
  report.Check("every recorded row has its audit row and outbox event", findings.incomplete == 0,
               absl::StrCat(findings.incomplete, " without"));
  if (!findings.examples.empty()) {
    report.Check("database findings", false, absl::StrJoin(findings.examples, "; "));
  }
  // Once the database is back every retry must get through: a write still unacknowledged
  // after kRetryBudget of retries means a request_id the service never answers again.
  report.Check("every write acknowledged within the retry budget",
               acknowledged > 0 && acknowledged == static_cast<int64_t>(writes.size()),
               absl::StrCat(static_cast<int64_t>(writes.size()) - acknowledged, " of ",
                            writes.size(), " not"));
  report.Figure("writes", static_cast<double>(writes.size()));
  report.Figure("acknowledged_writes", static_cast<double>(acknowledged));
  report.Figure("unacknowledged_writes", static_cast<double>(writes.size()) - acknowledged);
  report.Figure("answered_from_earlier_attempt",
                static_cast<double>(findings.answered_from_earlier_attempt));
  return findings.answered_from_earlier_attempt;
}

// Any error code but those `allowed`, by name and count; empty when none.
std::string OtherCodes(const ScenarioReport& report, std::vector<grpc::StatusCode> allowed) {
  allowed.push_back(grpc::StatusCode::OK);
  std::map<std::string, int> others;
  for (const CallRecord& record : report.records()) {
    if (std::find(allowed.begin(), allowed.end(), record.code) == allowed.end()) {
      ++others[e2e::CodeName(record.code)];
    }
  }
  return absl::StrJoin(others, ", ", absl::PairFormatter("="));
}

void FigureCalls(ScenarioReport& report, const std::vector<Write>& writes) {
  int64_t retried = 0;
  for (const Write& write : writes) retried += write.attempts > 1 ? 1 : 0;
  report.Figure("retried_writes", static_cast<double>(retried));
  report.Figure("unavailable", static_cast<double>(report.Count(grpc::StatusCode::UNAVAILABLE)));
  report.Figure("deadline_exceeded",
                static_cast<double>(report.Count(grpc::StatusCode::DEADLINE_EXCEEDED)));
}

class DatabaseFaultTest : public E2eTest {
 protected:
  // Accounts with a signed contract each, known to the complaints service's replica (which
  // complaint intake needs).
  void SetUp() override {
    const Caller director = As("dbf-director", {"director"});
    for (int i = 0; i < kTargetAccounts; ++i) {
      av1::Account account;
      ASSERT_THAT(Create(director, Draft(absl::StrCat("target-", i)), &account), e2e::GrpcOk());
      targets_.push_back({account.id(), SignedContract(director, account.id())});
    }
    ASSERT_NO_FATAL_FAILURE(AwaitReplica());
  }

  static int64_t SignedContract(const Caller& director, int64_t account_id) {
    const absl::Time now = absl::Now();
    av1::CreateContractRequest create;
    create.set_request_id(NewRequestId());
    av1::Contract* contract = create.mutable_contract();
    contract->set_account_id(account_id);
    contract->set_number(absl::StrCat("DBF-", account_id, "-", absl::ToUnixMicros(now)));
    contract->mutable_value()->set_currency_code("CNY");
    contract->mutable_value()->set_minor_units(500'000'000'00);
    contract->mutable_start_time()->set_seconds(absl::ToUnixSeconds(now - absl::Hours(24)));
    contract->mutable_end_time()->set_seconds(absl::ToUnixSeconds(now + absl::Hours(24 * 365)));
    av1::CreateContractResponse drafted;
    EXPECT_THAT(director.Call(&AccountStub::CreateContract, create, &drafted), e2e::GrpcOk());
    av1::SignContractRequest sign;
    sign.set_request_id(NewRequestId());
    sign.set_contract_id(drafted.contract().id());
    sign.mutable_sign_time()->set_seconds(absl::ToUnixSeconds(now - absl::Minutes(1)));
    EXPECT_THAT(director.Call(&AccountStub::SignContract, sign), e2e::GrpcOk());
    return drafted.contract().id();
  }

  void AwaitReplica() const {
    std::vector<std::string> ids;
    for (const Target& target : targets_) ids.push_back(absl::StrCat(target.account_id));
    const std::string sql =
        absl::StrCat("SELECT COUNT(*) FROM kam_complaints.account_replica WHERE account_id IN (",
                     absl::StrJoin(ids, ","), ")");
    ASSERT_TRUE(e2e::Eventually(
        [&] {
          absl::StatusOr<std::string> count = stack().db().QueryAsRoot(sql);
          return count.ok() && absl::StripAsciiWhitespace(*count) == absl::StrCat(ids.size());
        },
        absl::Seconds(30)))
        << "the complaints replica never showed the target accounts";
  }

  // Two order writers (ERP feeds) and two intake writers (service agents), each its own
  // subject.
  static std::vector<Writer> Writers(const std::string& run) {
    std::vector<Writer> writers;
    for (int i = 0; i < 2; ++i) {
      writers.push_back({WriteKind::kOrder, As(absl::StrCat(run, "-erp-", i), {"system"})});
      writers.push_back(
          {WriteKind::kComplaint, As(absl::StrCat(run, "-agent-", i), {"service_agent"})});
    }
    return writers;
  }

  // A name no earlier run of this binary or database used.
  static std::string RunName(const std::string& scenario) {
    return absl::StrCat("dbf-", scenario, "-", absl::ToUnixMicros(absl::Now()));
  }

  // How long after `since` every database service reports readiness SERVING and a write of
  // each kind is acknowledged; nullopt if that takes longer than kRecoveryLimit.
  static std::optional<absl::Duration> Recovery(const WriteLoad& load, absl::Time since) {
    auto recovered = [&] {
      for (const ServiceProcess* service : stack().DatabaseServices()) {
        if (e2e::HealthStatus(service->address(), "") != Health::SERVING) return false;
      }
      return load.FirstAcknowledgedSince(WriteKind::kOrder, since).has_value() &&
             load.FirstAcknowledgedSince(WriteKind::kComplaint, since).has_value();
    };
    if (!e2e::Eventually(recovered, kRecoveryLimit)) return std::nullopt;
    return absl::Now() - since;
  }

  static std::map<std::string, pid_t> Pids() {
    std::map<std::string, pid_t> pids;
    for (const ServiceProcess& service : stack().services()) {
      pids[service.name] = service.process->pid();
    }
    return pids;
  }

  std::vector<Target> targets_;
};

// The database services each report NOT_SERVING within kNoticeOutage; the names of those
// that did not. Liveness must stay SERVING meanwhile.
std::vector<std::string> ReadinessMissedOutage(ScenarioReport& report) {
  std::vector<std::string> missed;
  for (const ServiceProcess* service : KamStack::Get().DatabaseServices()) {
    if (!e2e::Eventually(
            [&] { return e2e::HealthStatus(service->address(), "") == Health::NOT_SERVING; },
            kNoticeOutage)) {
      missed.push_back(service->name);
    }
    report.Check(service->name + " liveness SERVING during the outage",
                 e2e::HealthStatus(service->address(), "liveness") == Health::SERVING);
  }
  return missed;
}

// How long after `since` each database service's readiness first answered `wanted` (checked
// every 50 ms for up to `limit`): the slowest service's delay, or nullopt when one never did.
// `detail` gets each service's delay.
std::optional<absl::Duration> ReadinessTurns(Health::ServingStatus wanted, absl::Time since,
                                             absl::Duration limit, std::string* detail) {
  std::map<std::string, absl::Duration> turned;
  const std::vector<const ServiceProcess*> services = KamStack::Get().DatabaseServices();
  while (turned.size() < services.size() && absl::Now() - since <= limit) {
    for (const ServiceProcess* service : services) {
      if (turned.count(service->name) == 0 && e2e::HealthStatus(service->address(), "") == wanted) {
        turned[service->name] = absl::Now() - since;
      }
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  std::vector<std::string> parts;
  absl::Duration slowest = absl::ZeroDuration();
  for (const ServiceProcess* service : services) {
    const auto it = turned.find(service->name);
    parts.push_back(absl::StrCat(service->name, " ",
                                 it == turned.end() ? "never" : absl::FormatDuration(it->second)));
    if (it != turned.end()) slowest = std::max(slowest, it->second);
  }
  *detail = absl::StrJoin(parts, ", ");
  if (turned.size() < services.size()) return std::nullopt;
  return slowest;
}

TEST_F(DatabaseFaultTest, KilledMidWriteLoadLosesNothingAndRecoversWithoutRestart) {
  ScenarioReport report("database_killed");
  const std::string run = RunName("kill");
  const std::map<std::string, pid_t> pids_before = Pids();
  WriteLoad load(&report, run, targets_, absl::Seconds(2), absl::Milliseconds(100));
  load.Start(Writers(run));
  absl::SleepFor(ByMode(absl::Seconds(2), absl::Seconds(10)));  // load before the fault

  // Whatever fails from here on, the tests after this one still find a database.
  absl::Cleanup restart = [] { (void)KamStack::Get().db().StartAgain(); };
  const absl::Time killed_at = absl::Now();
  ASSERT_TRUE(stack().db().Kill().ok());
  const std::vector<std::string> missed = ReadinessMissedOutage(report);
  report.Check("readiness NOT_SERVING during the outage", missed.empty(),
               absl::StrCat("still SERVING: ", absl::StrJoin(missed, ", ")));
  absl::SleepFor(killed_at + ByMode(absl::Seconds(4), absl::Seconds(15)) - absl::Now());

  const absl::Status started = stack().db().StartAgain();
  std::move(restart).Cancel();
  ASSERT_TRUE(started.ok()) << started;
  const absl::Time restarted_at = absl::Now();
  report.Figure("outage_seconds", absl::ToDoubleSeconds(restarted_at - killed_at));
  const std::optional<absl::Duration> recovery = Recovery(load, restarted_at);
  report.Check("readiness SERVING and writes acknowledged within seconds of the restart",
               recovery.has_value(),
               absl::StrCat("not within ", absl::FormatDuration(kRecoveryLimit)));
  report.Figure("recovery_seconds", absl::ToDoubleSeconds(recovery.value_or(kRecoveryLimit)));
  absl::SleepFor(ByMode(absl::Seconds(2), absl::Seconds(10)));  // load after the recovery
  load.Stop(absl::Now() + kRetryBudget);

  const std::vector<Write> writes = load.writes();
  GateEffects(report, run, writes, targets_);
  FigureCalls(report, writes);
  const std::string others =
      OtherCodes(report, {grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::DEADLINE_EXCEEDED});
  report.Check("errors only UNAVAILABLE or DEADLINE_EXCEEDED", others.empty(), others);
  report.Check("the outage failed calls (the fault took hold)",
               report.Count(grpc::StatusCode::UNAVAILABLE) +
                       report.Count(grpc::StatusCode::DEADLINE_EXCEEDED) >
                   0);
  report.Check("no service restarted", Pids() == pids_before);
  GateCrashes(report);
  report.Finish();
}

TEST_F(DatabaseFaultTest, FrozenCallsKeepTheirDeadlinesAndHealthAnswers) {
  ScenarioReport report("database_frozen");
  const std::string run = RunName("freeze");
  const absl::Duration call_deadline = absl::Milliseconds(500);
  const std::map<std::string, pid_t> pids_before = Pids();
  std::optional<absl::Duration> recovery;
  {
    HealthWatch health;
    WriteLoad load(&report, run, targets_, call_deadline, absl::Milliseconds(50));
    load.Start(Writers(run));
    absl::SleepFor(ByMode(absl::Seconds(2), absl::Seconds(10)));  // load before the fault

    // SIGSTOP is sent even when Freeze then times out waiting for it to take hold.
    absl::Cleanup thaw = [] { (void)KamStack::Get().db().Thaw(); };
    ASSERT_TRUE(stack().db().Freeze().ok());
    const absl::Time frozen_at = absl::Now();  // every mariadbd thread stopped
    const absl::Duration frozen = ByMode(absl::Seconds(5), absl::Seconds(15));
    std::string detail;
    const std::optional<absl::Duration> noticed =
        ReadinessTurns(Health::NOT_SERVING, frozen_at, kNoticeHang, &detail);
    report.Check("readiness NOT_SERVING within 4 s of the freeze", noticed.has_value(), detail);
    report.Figure("readiness_not_serving_after_s",
                  absl::ToDoubleSeconds(noticed.value_or(kNoticeHang)));
    absl::SleepFor(frozen_at + frozen - absl::Now());
    std::move(thaw).Invoke();
    const absl::Time thawed_at = absl::Now();
    report.Figure("frozen_seconds", absl::ToDoubleSeconds(frozen));
    const std::optional<absl::Duration> ready =
        ReadinessTurns(Health::SERVING, thawed_at, kReadyAfterThaw, &detail);
    report.Check("readiness SERVING within 4 s of the thaw", ready.has_value(), detail);
    report.Figure("readiness_serving_after_thaw_s",
                  absl::ToDoubleSeconds(ready.value_or(kReadyAfterThaw)));
    recovery = Recovery(load, thawed_at);
    absl::SleepFor(ByMode(absl::Seconds(2), absl::Seconds(10)));  // load after the recovery
    load.Stop(absl::Now() + kRetryBudget);

    const std::vector<Write> writes = load.writes();
    // Calls cut off by their deadline while the database hung commit after the thaw; their
    // retries must be answered with that first effect.
    report.Check("retries answered with an earlier attempt's effect (deduplication ran)",
                 GateEffects(report, run, writes, targets_) > 0);
    FigureCalls(report, writes);
    report.Check("health answered within 1 s throughout", health.unanswered() == 0,
                 health.unanswered_detail());
    report.Figure("health_checks", static_cast<double>(health.checks()));
    report.Figure("health_slowest_ms", absl::ToDoubleMilliseconds(health.slowest()));
    report.Figure("readiness_not_serving_answers", static_cast<double>(health.not_serving()));
  }
  report.Check("readiness SERVING and writes acknowledged within seconds of the thaw",
               recovery.has_value(),
               absl::StrCat("not within ", absl::FormatDuration(kRecoveryLimit)));
  report.Figure("recovery_seconds", absl::ToDoubleSeconds(recovery.value_or(kRecoveryLimit)));

  absl::Duration worst = absl::ZeroDuration();
  for (const CallRecord& record : report.records()) worst = std::max(worst, record.latency);
  const absl::Duration overrun = std::max(absl::ZeroDuration(), worst - call_deadline);
  report.Figure("worst_overrun_ms", absl::ToDoubleMilliseconds(overrun));
  report.Check("no call outlived its deadline by more than 100 ms", overrun <= kDeadlineSlack,
               absl::StrCat("worst call took ", absl::FormatDuration(worst)));
  report.Check("the freeze made calls miss their deadlines (the fault took hold)",
               report.Count(grpc::StatusCode::DEADLINE_EXCEEDED) > 0);
  const std::string others =
      OtherCodes(report, {grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::DEADLINE_EXCEEDED});
  report.Check("errors only UNAVAILABLE or DEADLINE_EXCEEDED", others.empty(), others);
  report.Check("no service restarted", Pids() == pids_before);
  GateCrashes(report);
  report.Finish();
}

}  // namespace
}  // namespace kam::reliability
