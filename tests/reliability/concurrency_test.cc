// Concurrency (RELIABILITY.md "Concurrency"): many callers at once on one account (etags),
// on one complaint (each step of the procedure) and on one list (keyset paging while others
// insert and archive), all through the gateway, each outcome checked in the database.
#include <atomic>
#include <iostream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "tests/reliability/concurrency_support.h"
#include "tests/reliability/stack_checks.h"

namespace kam::reliability {
namespace {

using e2e::AccountStub;
using e2e::Caller;
namespace v1 = kam::accounts::v1;
namespace cv1 = kam::complaints::v1;
using ComplaintStub = cv1::ComplaintService::Stub;
using grpc::StatusCode;

class ConcurrencyTest : public e2e::E2eTest {
 protected:
  // `count` callers of one role, each its own subject (rate limits are per subject).
  static std::vector<Caller> Callers(const std::string& name, const std::string& role, int count,
                                     const std::string& department = "") {
    std::vector<Caller> callers;
    for (int i = 0; i < count; ++i) {
      const std::string subject = absl::StrCat(name, "-", i);
      callers.push_back(WithToken(MintJwt({subject, {role}, department}, GoodMint())));
    }
    return callers;
  }
  static Caller Director() { return As("conc-director", {"director"}); }

  static v1::Account NewAccount(const std::string& label, const std::string& owner = "") {
    v1::Account draft = Draft(label);
    draft.set_owner_id(owner);
    v1::Account created;
    EXPECT_THAT(Create(Director(), draft, &created), e2e::GrpcOk());
    return created;
  }

  // An account complaints' replica knows, with tier A (SLA budgets of hours: no sweeper step
  // lands in the history while the test runs).
  static int64_t ReplicatedAccount(const std::string& label) {
    const v1::Account account = NewAccount(label);
    v1::SetTierRequest set;
    set.set_request_id(NewRequestId());
    set.set_account_id(account.id());
    set.set_tier(v1::TIER_A);
    set.set_reason("concurrency scenario");
    EXPECT_THAT(Director().Call(&AccountStub::SetTier, set), e2e::GrpcOk());
    const std::string sql = absl::StrCat(
        "SELECT tier FROM kam_complaints.account_replica WHERE account_id = ", account.id());
    EXPECT_TRUE(e2e::Eventually(
        [&] { return QueryRows(sql) == std::vector<std::string>{"1"}; }, absl::Seconds(20)))
        << "account " << account.id() << " never reached the replica";
    return account.id();
  }

  // Audit rows of account `id` by action, as (x-)request ids.
  static std::vector<std::string> AccountAuditIds(int64_t id, const std::string& action) {
    return QueryRows(absl::StrCat(
        "SELECT request_id FROM kam_accounts.audit_log WHERE resource_type = 'account' AND "
        "resource_id = '", id, "' AND action = '", action, "'"));
  }
};

// ---- Etags: one winner per version -------------------------------------------------------

struct UpdateAttempt {
  std::string request_id;
  std::string etag_in;
  std::string value;
  StatusCode code = StatusCode::OK;
  std::string etag_out;
};

// Every writer reads the account, then all update it at once from what they read.
std::vector<UpdateAttempt> UpdateRound(ScenarioReport& report, const std::vector<Caller>& writers,
                                       int64_t id, int round) {
  const int n = static_cast<int>(writers.size());
  std::vector<v1::Account> read(n);
  RunTogether(n, [&](int i) {
    const std::string request_id = NextRequestId();
    report.Timed(request_id, "GetAccount", [&] {
      v1::GetAccountRequest request;
      request.set_account_id(id);
      v1::GetAccountResponse response;
      grpc::Status status =
          CallWithId(writers[i], &AccountStub::GetAccount, request, &response, request_id);
      read[i] = response.account();
      return status;
    });
  });
  std::vector<UpdateAttempt> attempts(n);
  RunTogether(n, [&](int i) {
    UpdateAttempt& attempt = attempts[i];
    attempt.request_id = NextRequestId();
    attempt.etag_in = read[i].etag();
    attempt.value = absl::StrCat("round ", round, " writer ", i);
    v1::UpdateAccountRequest request;
    request.set_request_id(attempt.request_id);
    request.mutable_account()->set_id(id);
    request.mutable_account()->set_address(attempt.value);
    request.mutable_update_mask()->add_paths("address");
    request.set_etag(attempt.etag_in);
    v1::UpdateAccountResponse response;
    attempt.code = report
                       .Timed(attempt.request_id, "UpdateAccount",
                              [&] {
                                return CallWithId(writers[i], &AccountStub::UpdateAccount, request,
                                                  &response, attempt.request_id);
                              })
                       .error_code();
    attempt.etag_out = response.account().etag();
  });
  return attempts;
}

TEST_F(ConcurrencyTest, FiftyEtagUpdatesOfOneAccountHaveOneWinnerPerVersion) {
  ScenarioReport report("concurrency.etag_updates");
  const int kWriters = 50;
  const int rounds = ByMode(3, 12);
  const std::vector<Caller> writers = Callers("conc-etag-director", "director", kWriters);
  const v1::Account account = NewAccount("etag");

  std::vector<UpdateAttempt> all;
  std::vector<const UpdateAttempt*> winners;  // in round order
  int64_t other_codes = 0;
  int64_t rounds_with_one_winner = 0;
  for (int round = 0; round < rounds; ++round) {
    std::vector<UpdateAttempt> attempts = UpdateRound(report, writers, account.id(), round);
    all.insert(all.end(), attempts.begin(), attempts.end());
  }
  // Winners per etag they started from: a version can be replaced once.
  std::map<std::string, int> wins_per_version;
  for (const UpdateAttempt& attempt : all) {
    if (attempt.code == StatusCode::OK) {
      ++wins_per_version[attempt.etag_in];
      winners.push_back(&attempt);
    } else if (attempt.code != StatusCode::ABORTED) {
      ++other_codes;
    }
  }
  int64_t extra_wins = 0;
  for (const auto& [etag, wins] : wins_per_version) extra_wins += wins - 1;
  for (int round = 0; round < rounds; ++round) {
    int wins = 0;
    for (int i = 0; i < kWriters; ++i) wins += all[round * kWriters + i].code == StatusCode::OK;
    rounds_with_one_winner += wins == 1;
  }
  report.Gate("duplicated_effects", extra_wins);
  report.Check("one_winner_every_round", rounds_with_one_winner == rounds,
               absl::StrCat(rounds_with_one_winner, " of ", rounds, " rounds"));
  report.Check("losers_aborted", other_codes == 0,
               absl::StrCat(other_codes, " updates ended neither OK nor ABORTED"));

  // The archive holds the last acknowledged update, with its etag.
  v1::Account final_state;
  EXPECT_THAT(Get(Director(), account.id(), &final_state), e2e::GrpcOk());
  const bool last_kept = !winners.empty() && final_state.address() == winners.back()->value &&
                         final_state.etag() == winners.back()->etag_out;
  report.Gate("lost_acknowledged_writes", last_kept ? 0 : 1);
  report.Check("final_is_last_acknowledged", last_kept,
               absl::StrCat("address \"", final_state.address(), "\""));

  // One audit row per acknowledged update, none for a refused one.
  const std::map<std::string, int> audited = Tally(AccountAuditIds(account.id(), "account.updated"));
  int64_t lost = 0;
  int64_t duplicated = 0;
  for (const UpdateAttempt& attempt : all) {
    const auto it = audited.find(attempt.request_id);
    const int rows = it == audited.end() ? 0 : it->second;
    const int expected = attempt.code == StatusCode::OK ? 1 : 0;
    lost += rows < expected;
    duplicated += std::max(0, rows - expected);
  }
  report.Gate("lost_acknowledged_writes", lost);
  report.Gate("duplicated_effects", duplicated);
  report.Figure("writers", kWriters);
  report.Figure("rounds", rounds);
  report.Figure("acknowledged_updates", static_cast<double>(winners.size()));
  report.Figure("aborted_updates", static_cast<double>(report.Count(StatusCode::ABORTED)));
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

// ---- Read-modify-write loops that retry on ABORTED ---------------------------------------

// Appends `contribution` to business.trade_terms, re-reading and retrying on ABORTED. True
// once acknowledged; false on any other outcome or after too many attempts.
bool AppendWithRetry(ScenarioReport& report, const Caller& writer, int64_t id,
                     const std::string& contribution, std::atomic<int64_t>* unexpected) {
  for (int attempt = 0; attempt < 400; ++attempt) {
    v1::Account current;
    if (!report.Timed(NextRequestId(), "GetAccount",
                      [&] {
                        v1::GetAccountRequest get;
                        get.set_account_id(id);
                        v1::GetAccountResponse got;
                        grpc::Status status = writer.Call(&AccountStub::GetAccount, get, &got);
                        current = got.account();
                        return status;
                      })
             .ok()) {
      ++*unexpected;
      continue;
    }
    v1::Account patch;
    patch.set_id(id);
    patch.mutable_business()->set_trade_terms(current.business().trade_terms() + contribution);
    const std::string request_id = NextRequestId();
    v1::UpdateAccountRequest request;
    request.set_request_id(request_id);
    *request.mutable_account() = patch;
    request.mutable_update_mask()->add_paths("business.trade_terms");
    request.set_etag(current.etag());
    v1::UpdateAccountResponse response;
    const grpc::Status status = report.Timed(request_id, "UpdateAccount", [&] {
      return CallWithId(writer, &AccountStub::UpdateAccount, request, &response, request_id);
    });
    if (status.ok()) return true;
    if (status.error_code() != StatusCode::ABORTED) ++*unexpected;
  }
  return false;
}

TEST_F(ConcurrencyTest, RetryingReadModifyWriteLoopsKeepEveryContribution) {
  ScenarioReport report("concurrency.read_modify_write");
  const int kWriters = 10;
  const int appends = ByMode(4, 9);
  const std::vector<Caller> writers = Callers("conc-rmw-director", "director", kWriters);
  const v1::Account account = NewAccount("rmw");
  std::vector<std::vector<bool>> acknowledged(kWriters, std::vector<bool>(appends, false));
  std::atomic<int64_t> unexpected{0};

  const absl::Time start = absl::Now();
  RunTogether(kWriters, [&](int w) {
    for (int j = 0; j < appends; ++j) {
      acknowledged[w][j] = AppendWithRetry(report, writers[w], account.id(),
                                           absl::StrCat("w", w, ".", j, ";"), &unexpected);
    }
  });
  const absl::Duration took = absl::Now() - start;

  v1::Account final_state;
  EXPECT_THAT(Get(Director(), account.id(), &final_state), e2e::GrpcOk());
  const std::map<std::string, int> present =
      Tally(absl::StrSplit(final_state.business().trade_terms(), ';', absl::SkipEmpty()));
  int64_t lost = 0;
  int64_t duplicated = 0;
  int64_t acked = 0;
  for (int w = 0; w < kWriters; ++w) {
    for (int j = 0; j < appends; ++j) {
      const auto it = present.find(absl::StrCat("w", w, ".", j));
      const int copies = it == present.end() ? 0 : it->second;
      acked += acknowledged[w][j];
      lost += acknowledged[w][j] && copies == 0;
      duplicated += std::max(0, copies - 1);
    }
  }
  report.Gate("lost_acknowledged_writes", lost);
  report.Gate("duplicated_effects", duplicated);
  report.Check("every_contribution_acknowledged", acked == kWriters * appends,
               absl::StrCat(acked, " of ", kWriters * appends));
  report.Check("only_ok_or_aborted", unexpected == 0,
               absl::StrCat(unexpected.load(), " calls ended otherwise"));
  const int64_t audit_rows =
      static_cast<int64_t>(AccountAuditIds(account.id(), "account.updated").size());
  report.Check("one_audit_row_per_acknowledged_update", audit_rows == acked,
               absl::StrCat(audit_rows, " audit rows for ", acked, " updates"));
  double attempts = 0;
  for (const CallRecord& record : report.records()) attempts += record.method == "UpdateAccount";
  report.Figure("writers", kWriters);
  report.Figure("contributions", static_cast<double>(acked));
  report.Figure("update_attempts", attempts);
  report.Figure("aborted_share",
                attempts > 0 ? static_cast<double>(report.Count(StatusCode::ABORTED)) / attempts
                             : 0);
  report.Figure("acknowledged_updates_per_s", static_cast<double>(acked) /
                                                  absl::ToDoubleSeconds(took));
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

// ---- Complaint steps: one winner each --------------------------------------------------

// What one race of a step ended with.
struct Race {
  std::vector<std::string> winners;  // request ids acknowledged
  std::vector<int> winner_index;
  std::vector<std::string> losers;  // request ids refused
  int64_t unclear = 0;              // refusals other than ABORTED/FAILED_PRECONDITION
  std::string refusal;              // one refusal message, for the report
};

// Runs `attempt(i, request_id)` for every racer at once.
Race RaceStep(ScenarioReport& report, const std::string& method, int racers,
              const std::function<grpc::Status(int, const std::string&)>& attempt) {
  std::vector<std::string> ids(racers);
  std::vector<grpc::Status> outcomes(racers);
  for (std::string& id : ids) id = NextRequestId();
  RunTogether(racers, [&](int i) {
    outcomes[i] = report.Timed(ids[i], method, [&] { return attempt(i, ids[i]); });
  });
  Race race;
  for (int i = 0; i < racers; ++i) {
    const StatusCode code = outcomes[i].error_code();
    if (code == StatusCode::OK) {
      race.winners.push_back(ids[i]);
      race.winner_index.push_back(i);
      continue;
    }
    race.losers.push_back(ids[i]);
    const bool clear = (code == StatusCode::FAILED_PRECONDITION || code == StatusCode::ABORTED) &&
                       !outcomes[i].error_message().empty();
    race.unclear += !clear;
    if (race.refusal.empty() || !clear) {
      race.refusal = absl::StrCat(e2e::CodeName(code), ": ", outcomes[i].error_message());
    }
  }
  return race;
}

class ConcurrencyComplaintTest : public ConcurrencyTest {
 protected:
  static constexpr int kRacers = 8;

  void SetUp() override {
    agents_ = Callers("conc-agent", "service_agent", kRacers);
    handlers_ = Callers("conc-handler", "handler", kRacers, TakeOverQualityDepartment());
    directors_ = Callers("conc-step-director", "director", kRacers);
  }

  // The department product-quality complaints are routed to, its handlers replaced by ours.
  static std::string TakeOverQualityDepartment() {
    cv1::ListDepartmentsResponse listed;
    EXPECT_THAT(Director().Call(&ComplaintStub::ListDepartments, cv1::ListDepartmentsRequest(),
                                &listed),
                e2e::GrpcOk());
    cv1::PutDepartmentRequest request;
    request.set_request_id(NewRequestId());
    cv1::Department* department = request.mutable_department();
    department->set_code("conc-quality");
    department->set_name("Quality (concurrency)");
    department->add_categories(cv1::CATEGORY_PRODUCT_QUALITY);
    for (const cv1::Department& existing : listed.departments()) {
      for (int category : existing.categories()) {
        if (category != cv1::CATEGORY_PRODUCT_QUALITY) continue;
        *department = existing;
        request.set_etag(existing.etag());
      }
    }
    department->clear_handler_ids();
    for (int i = 0; i < kRacers; ++i) department->add_handler_ids(absl::StrCat("conc-handler-", i));
    department->set_manager_id("conc-quality-manager");
    department->clear_etag();
    EXPECT_THAT(Director().Call(&ComplaintStub::PutDepartment, request), e2e::GrpcOk());
    return department->code();
  }

  int64_t Intake(int64_t account_id) {
    cv1::CreateComplaintRequest request;
    request.set_request_id(NewRequestId());
    cv1::Complaint* complaint = request.mutable_complaint();
    complaint->set_account_id(account_id);
    complaint->set_channel(cv1::CHANNEL_PHONE);
    complaint->set_category(cv1::CATEGORY_PRODUCT_QUALITY);
    complaint->set_description("Coil thickness over tolerance in lot 2026-114.");
    complaint->set_severity(cv1::SEVERITY_HIGH);
    complaint->set_manner(cv1::MANNER_ASSERTIVE);
    cv1::CreateComplaintResponse response;
    EXPECT_THAT(agents_[0].Call(&ComplaintStub::CreateComplaint, request, &response),
                e2e::GrpcOk());
    return response.complaint().id();
  }

  // Races `method` among `callers`; `fill(i, request_id, request)` builds racer i's request.
  template <typename Request, typename Response>
  Race Step(ScenarioReport& report, const std::string& method,
            grpc::Status (ComplaintStub::*rpc)(grpc::ClientContext*, const Request&, Response*),
            const std::vector<Caller>& callers, int64_t complaint_id,
            const std::function<void(int, Request*)>& fill = nullptr) {
    return RaceStep(report, method, kRacers, [&](int i, const std::string& request_id) {
      Request request;
      request.set_request_id(request_id);
      request.set_complaint_id(complaint_id);
      if (fill) fill(i, &request);
      Response response;
      return CallWithId(callers[i], rpc, request, &response, request_id);
    });
  }

  // Drives one complaint from RECORDED to CLOSED, every step raced by kRacers callers; returns
  // the actions the history must hold, in order.
  std::vector<std::string> RaceThroughProcedure(ScenarioReport& report, int64_t id,
                                                std::vector<Race>* races) {
    std::vector<std::string> expected = {"recorded"};
    auto run = [&](Race race, const std::string& action) {
      if (race.winners.size() == 1) expected.push_back(action);
      races->push_back(std::move(race));
      return races->back().winners.size() == 1 ? races->back().winner_index.front() : -1;
    };
    run(Step<cv1::JudgeValidityRequest, cv1::JudgeValidityResponse>(
            report, "JudgeValidity", &ComplaintStub::JudgeValidity, agents_, id,
            [](int, cv1::JudgeValidityRequest* r) { r->set_valid(true); }),
        "judged_valid");
    run(Step<cv1::AnalyzeCauseRequest, cv1::AnalyzeCauseResponse>(
            report, "AnalyzeCause", &ComplaintStub::AnalyzeCause, handlers_, id,
            [](int i, cv1::AnalyzeCauseRequest* r) {
              r->set_cause(absl::StrCat("roll gap drift seen by handler ", i));
            }),
        "cause_analyzed");
    for (int attempt = 0; attempt < 6; ++attempt) {
      run(Step<cv1::ProposeResolutionRequest, cv1::ProposeResolutionResponse>(
              report, "ProposeResolution", &ComplaintStub::ProposeResolution, handlers_, id,
              [](int i, cv1::ProposeResolutionRequest* r) {
                r->set_resolution(absl::StrCat("replace the coils (proposal of handler ", i, ")"));
              }),
          "resolution_proposed");
      // Half the directors approve, half reject: whoever wins decides.
      const int winner = run(
          Step<cv1::DecideResolutionRequest, cv1::DecideResolutionResponse>(
              report, "DecideResolution", &ComplaintStub::DecideResolution, directors_, id,
              [](int i, cv1::DecideResolutionRequest* r) {
                r->set_approve(i % 2 == 0);
                if (i % 2 != 0) r->set_reason("a credit note is not enough");
              }),
          "decided");
      if (winner < 0) break;
      expected.back() = winner % 2 == 0 ? "resolution_approved" : "resolution_rejected";
      if (winner % 2 == 0) break;
    }
    run(Step<cv1::ImplementResolutionRequest, cv1::ImplementResolutionResponse>(
            report, "ImplementResolution", &ComplaintStub::ImplementResolution, handlers_, id,
            [](int, cv1::ImplementResolutionRequest* r) { r->set_note("coils replaced"); }),
        "resolution_implemented");
    run(Step<cv1::RecordFollowUpRequest, cv1::RecordFollowUpResponse>(
            report, "RecordFollowUp", &ComplaintStub::RecordFollowUp, agents_, id,
            [](int, cv1::RecordFollowUpRequest* r) {
              r->set_perceived_satisfaction(4);
              r->set_expected_satisfaction(4);
              r->set_satisfied(true);
            }),
        "followed_up");
    run(Step<cv1::CloseComplaintRequest, cv1::CloseComplaintResponse>(
            report, "CloseComplaint", &ComplaintStub::CloseComplaint, directors_, id,
            [](int, cv1::CloseComplaintRequest* r) {
              r->set_summary("coils replaced");
              r->set_evaluation("handled in time");
            }),
        "closed");
    return expected;
  }

  std::vector<Caller> agents_;
  std::vector<Caller> handlers_;
  std::vector<Caller> directors_;
};

TEST_F(ConcurrencyComplaintTest, ConcurrentStepsOfOneComplaintHaveExactlyOneWinnerEach) {
  ScenarioReport report("concurrency.complaint_steps");
  const int64_t account = ReplicatedAccount("complaint-race");
  const int complaints = ByMode(2, 8);
  int64_t races_total = 0;
  int64_t races_with_one_winner = 0;
  int64_t unclear = 0;
  std::string refusal_sample;
  for (int c = 0; c < complaints; ++c) {
    const int64_t id = Intake(account);
    std::vector<Race> races;
    const std::vector<std::string> expected = RaceThroughProcedure(report, id, &races);
    std::vector<std::string> acked;
    std::vector<std::string> refused;
    for (const Race& race : races) {
      ++races_total;
      races_with_one_winner += race.winners.size() == 1;
      report.Gate("duplicated_effects", std::max<int64_t>(0, race.winners.size() - 1));
      unclear += race.unclear;
      if (refusal_sample.empty() || race.unclear > 0) refusal_sample = race.refusal;
      acked.insert(acked.end(), race.winners.begin(), race.winners.end());
      refused.insert(refused.end(), race.losers.begin(), race.losers.end());
    }
    // The register: one transition per acknowledged step, nothing else.
    const std::vector<std::string> history = QueryRows(absl::StrCat(
        "SELECT action FROM kam_complaints.complaint_transitions WHERE complaint_id = ", id,
        " ORDER BY id"));
    report.Check(absl::StrCat("history_of_complaint_", id), history == expected,
                 absl::StrCat("history [", absl::StrJoin(history, ","), "] expected [",
                              absl::StrJoin(expected, ","), "]"));
    report.Gate("duplicated_effects",
                std::max<int64_t>(0, static_cast<int64_t>(history.size() - expected.size())));
    // Audit: one row per acknowledged step, none for a refused one.
    const std::map<std::string, int> audited = Tally(QueryRows(absl::StrCat(
        "SELECT request_id FROM kam_complaints.audit_log WHERE resource_id = '", id, "'")));
    for (const std::string& request_id : acked) {
      const auto it = audited.find(request_id);
      report.Gate("lost_acknowledged_writes", it == audited.end() ? 1 : 0);
      if (it != audited.end()) report.Gate("duplicated_effects", it->second - 1);
    }
    for (const std::string& request_id : refused) {
      report.Gate("duplicated_effects", audited.count(request_id) ? audited.at(request_id) : 0);
    }
    cv1::GetComplaintRequest get;
    get.set_complaint_id(id);
    cv1::GetComplaintResponse got;
    EXPECT_THAT(Director().Call(&ComplaintStub::GetComplaint, get, &got), e2e::GrpcOk());
    report.Check("complaint_closed", got.complaint().state() == cv1::STATE_CLOSED,
                 absl::StrCat("complaint ", id, " state ", got.complaint().state()));
  }
  report.Check("one_winner_every_step", races_with_one_winner == races_total,
               absl::StrCat(races_with_one_winner, " of ", races_total, " races"));
  report.Check("losers_get_a_clear_error", unclear == 0,
               absl::StrCat(unclear, " refusals, e.g. ", refusal_sample));
  report.Figure("complaints", complaints);
  report.Figure("racers_per_step", kRacers);
  report.Figure("races", static_cast<double>(races_total));
  report.Figure("failed_precondition", static_cast<double>(report.Count(StatusCode::FAILED_PRECONDITION)));
  report.Figure("aborted", static_cast<double>(report.Count(StatusCode::ABORTED)));
  std::cout << "a refusal: " << refusal_sample << "\n";
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

// ---- Paging while others insert and archive ---------------------------------------------

// One page: its status, the ids it served in order and the token of the next.
struct ServedPage {
  grpc::Status status;
  std::vector<int64_t> ids;
  std::string next_page_token;
};
using FetchPage = std::function<ServedPage(const std::string& page_token)>;

// What the pagers saw, over all their passes.
struct PagingFindings {
  std::mutex mutex;
  int64_t passes = 0;
  int64_t passes_during_churn = 0;
  int64_t served_twice = 0;
  int64_t stable_missed = 0;
  int64_t out_of_order = 0;
  int64_t failed_pages = 0;
  std::string first_problem;

  void Note(int64_t* counter, int64_t count, const std::string& what) {
    *counter += count;
    if (count > 0 && first_problem.empty()) first_problem = what;
  }
};

// Pages through one list from the first page to the last, then checks the pass: no id twice,
// ids in keyset order (`ascending` or descending) and every id of `stable` present. Adds the
// ids served to `served` when given (whose they are is checked at the end).
void CheckOnePass(ScenarioReport& report, const std::string& method, const FetchPage& fetch,
                  bool ascending, const std::set<int64_t>& stable, std::set<int64_t>* served,
                  bool during_churn, PagingFindings* findings) {
  std::vector<int64_t> ids;
  std::string token;
  bool failed = false;
  int64_t throttled = 0;
  for (;;) {
    ServedPage page;
    report.Timed(NextRequestId(), method, [&] {
      page = fetch(token);
      return page.status;
    });
    // A rate-limited page is asked again, as a client would: the token stays good.
    if (page.status.error_code() == StatusCode::RESOURCE_EXHAUSTED && throttled++ < 100) {
      absl::SleepFor(absl::Milliseconds(50));
      continue;
    }
    if (!page.status.ok()) {
      failed = true;
      break;
    }
    ids.insert(ids.end(), page.ids.begin(), page.ids.end());
    token = page.next_page_token;
    if (token.empty()) break;
  }

  std::lock_guard<std::mutex> lock(findings->mutex);
  ++findings->passes;
  findings->passes_during_churn += during_churn;
  if (failed) return findings->Note(&findings->failed_pages, 1, method + ": a page failed");
  std::set<int64_t> seen;
  int64_t twice = 0, order = 0, missed = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    twice += !seen.insert(ids[i]).second;
    if (i > 0) order += ascending ? ids[i] <= ids[i - 1] : ids[i] >= ids[i - 1];
  }
  if (served != nullptr) served->insert(ids.begin(), ids.end());
  for (int64_t id : stable) missed += seen.count(id) == 0;
  const std::string pass = absl::StrCat(method, " pass of ", ids.size(), " ids: ");
  findings->Note(&findings->served_twice, twice, pass + "an id served twice");
  findings->Note(&findings->out_of_order, order, pass + "ids out of keyset order");
  findings->Note(&findings->stable_missed, missed, pass + "a stable record missed");
}

// Pagers page through their lists again and again while `churn` runs, and once more after.
void PageDuringChurn(const std::vector<std::function<void(bool during_churn)>>& pagers,
                     const std::function<void()>& churn) {
  std::atomic<bool> churning{true};
  std::vector<std::thread> threads;
  for (const auto& pager : pagers) {
    threads.emplace_back([&churning, &pager] {
      do pager(true);
      while (churning.load());
      pager(false);
    });
  }
  churn();
  churning = false;
  for (std::thread& thread : threads) thread.join();
}

void ReportPaging(ScenarioReport& report, const PagingFindings& findings, int pagers) {
  report.Gate("records_served_twice", findings.served_twice);
  report.Gate("stable_records_missed", findings.stable_missed);
  report.Check("keyset_order", findings.out_of_order == 0, findings.first_problem);
  report.Check("every_page_served", findings.failed_pages == 0, findings.first_problem);
  report.Check("every_pager_paged_during_churn", findings.passes_during_churn >= pagers,
               absl::StrCat(findings.passes_during_churn, " passes during churn"));
  report.Figure("passes", static_cast<double>(findings.passes));
  report.Figure("passes_during_churn", static_cast<double>(findings.passes_during_churn));
}

class ConcurrencyPagingTest : public ConcurrencyTest {
 protected:
  // `count` accounts of `owner`, created by four callers at once.
  static std::vector<int64_t> AccountsOf(const std::string& owner, const std::string& label,
                                         int count) {
    std::vector<int64_t> ids(count);
    RunTogether(4, [&](int t) {
      for (int i = t; i < count; i += 4) {
        ids[i] = NewAccount(absl::StrCat(label, "-", owner, "-", i), owner).id();
      }
    });
    return ids;
  }

  static FetchPage AccountPages(const Caller& caller, int page_size) {
    return [caller, page_size](const std::string& token) {
      v1::ListAccountsRequest request = OwnAccounts();
      request.set_page_size(page_size);
      request.set_page_token(token);
      v1::ListAccountsResponse response;
      ServedPage page;
      page.status = caller.Call(&AccountStub::ListAccounts, request, &response);
      page.ids = Ids(response);
      page.next_page_token = response.next_page_token();
      return page;
    };
  }
};

TEST_F(ConcurrencyPagingTest, ListAccountsWhileOthersInsertAndArchiveSkipsAndRepeatsNothing) {
  ScenarioReport report("concurrency.paging_accounts");
  const std::string kOwnerA = "conc-manager-a";
  const std::string kOwnerB = "conc-manager-b";
  const int stable_each = ByMode(60, 300);
  const int volatile_each = ByMode(20, 100);
  const int inserts = ByMode(60, 300);
  std::vector<int64_t> stable_a = AccountsOf(kOwnerA, "stable", stable_each);
  std::vector<int64_t> stable_b = AccountsOf(kOwnerB, "stable", stable_each);
  std::vector<int64_t> doomed = AccountsOf(kOwnerA, "volatile", volatile_each);
  const std::vector<int64_t> doomed_b = AccountsOf(kOwnerB, "volatile", volatile_each);
  doomed.insert(doomed.end(), doomed_b.begin(), doomed_b.end());
  std::set<int64_t> stable_all(stable_a.begin(), stable_a.end());
  stable_all.insert(stable_b.begin(), stable_b.end());
  const std::set<int64_t> stable_of_a(stable_a.begin(), stable_a.end());

  // Everything manager A's pages served (under findings.mutex): A's accounts only.
  std::set<int64_t> served_to_a;
  PagingFindings findings;
  const Caller director = As("conc-pager-director", {"director"});
  const Caller director_b = As("conc-pager-director-b", {"director"});
  const Caller manager_a = As(kOwnerA, {"account_manager"});
  const std::vector<std::function<void(bool)>> pagers = {
      [&](bool churn) {
        CheckOnePass(report, "ListAccounts", AccountPages(director, 7), true, stable_all, nullptr,
                     churn, &findings);
      },
      [&](bool churn) {
        CheckOnePass(report, "ListAccounts", AccountPages(director_b, 23), true, stable_all, nullptr,
                     churn, &findings);
      },
      [&](bool churn) {
        CheckOnePass(report, "ListAccounts", AccountPages(manager_a, 9), true, stable_of_a,
                     &served_to_a, churn, &findings);
      }};
  std::atomic<int64_t> churn_failures{0};
  // Its own callers: the setup spent the shared director's rate-limit burst.
  const Caller archiver = As("conc-churn-archiver", {"director"});
  const Caller inserter = As("conc-churn-inserter", {"director"});
  PageDuringChurn(pagers, [&] {
    RunTogether(2, [&](int t) {
      if (t == 1) {
        for (int64_t id : doomed) {
          churn_failures += !report.Timed(NextRequestId(), "ArchiveAccount", [&] {
                                    return Archive(archiver, id);
                                  }).ok();
        }
        return;
      }
      for (int i = 0; i < inserts; ++i) {
        const std::string& owner = i % 2 == 0 ? kOwnerA : kOwnerB;
        v1::Account draft = Draft(absl::StrCat("inserted-", i));
        draft.set_owner_id(owner);
        v1::Account created;
        const grpc::Status status = report.Timed(
            NextRequestId(), "CreateAccount", [&] { return Create(inserter, draft, &created); });
        churn_failures += !status.ok();
      }
    });
  });
  ReportPaging(report, findings, static_cast<int>(pagers.size()));
  const std::vector<std::string> leaked = QueryRows(absl::StrCat(
      "SELECT id FROM kam_accounts.accounts WHERE owner_id <> '", kOwnerA, "' AND id IN (0,",
      absl::StrJoin(served_to_a, ","), ")"));
  report.Gate("leaked_records", static_cast<int64_t>(leaked.size()));
  report.Check("manager_pages_served", !served_to_a.empty());
  report.Check("churn_acknowledged", churn_failures == 0,
               absl::StrCat(churn_failures.load(), " inserts or archives failed"));
  report.Figure("stable_accounts", static_cast<double>(stable_all.size()));
  report.Figure("inserted_during_paging", inserts);
  report.Figure("archived_during_paging", static_cast<double>(doomed.size()));
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

TEST_F(ConcurrencyPagingTest, ListComplaintsWhileOthersRecordAndJudgeSkipsAndRepeatsNothing) {
  ScenarioReport report("concurrency.paging_complaints");
  const Caller agent = As("conc-paging-agent", {"service_agent"});
  const int64_t account = ReplicatedAccount("complaint-paging");
  auto intake = [&] {
    cv1::CreateComplaintRequest request;
    request.set_request_id(NextRequestId());
    cv1::Complaint* complaint = request.mutable_complaint();
    complaint->set_account_id(account);
    complaint->set_channel(cv1::CHANNEL_WEB);
    complaint->set_category(cv1::CATEGORY_SERVICE);
    complaint->set_description("The driver was rude at the gate.");
    complaint->set_severity(cv1::SEVERITY_LOW);
    complaint->set_manner(cv1::MANNER_FRIENDLY);
    cv1::CreateComplaintResponse response;
    const grpc::Status status = report.Timed(request.request_id(), "CreateComplaint", [&] {
      return agent.Call(&ComplaintStub::CreateComplaint, request, &response);
    });
    return status.ok() ? response.complaint().id() : 0;
  };
  std::set<int64_t> stable;
  std::vector<int64_t> doomed;
  for (int i = 0; i < ByMode(40, 200); ++i) stable.insert(intake());
  for (int i = 0; i < ByMode(20, 80); ++i) doomed.push_back(intake());
  stable.erase(0);

  // RECORDED complaints of the account, newest first: judged ones leave, new ones arrive.
  auto fetch = [&](int page_size) -> FetchPage {
    const Caller pager = As(absl::StrCat("conc-complaint-pager-", page_size), {"director"});
    return [&, pager, page_size](const std::string& token) {
      cv1::ListComplaintsRequest request;
      request.set_account_id(account);
      request.add_states(cv1::STATE_RECORDED);
      request.set_page_size(page_size);
      request.set_page_token(token);
      cv1::ListComplaintsResponse response;
      ServedPage page;
      page.status = pager.Call(&ComplaintStub::ListComplaints, request, &response);
      for (const cv1::Complaint& c : response.complaints()) page.ids.push_back(c.id());
      page.next_page_token = response.next_page_token();
      return page;
    };
  };
  PagingFindings findings;
  const std::vector<std::function<void(bool)>> pagers = {
      [&](bool churn) {
        CheckOnePass(report, "ListComplaints", fetch(6), false, stable, nullptr, churn, &findings);
      },
      [&](bool churn) {
        CheckOnePass(report, "ListComplaints", fetch(17), false, stable, nullptr, churn, &findings);
      }};
  std::atomic<int64_t> churn_failures{0};
  const int inserts = ByMode(30, 150);
  PageDuringChurn(pagers, [&] {
    RunTogether(2, [&](int t) {
      if (t == 0) {
        for (int i = 0; i < inserts; ++i) churn_failures += intake() == 0;
        return;
      }
      for (int64_t id : doomed) {
        cv1::JudgeValidityRequest judge;
        judge.set_request_id(NextRequestId());
        judge.set_complaint_id(id);
        judge.set_valid(false);
        judge.set_reason("the customer withdrew it");
        churn_failures += !report.Timed(judge.request_id(), "JudgeValidity", [&] {
                                  return agent.Call(&ComplaintStub::JudgeValidity, judge);
                                }).ok();
      }
    });
  });
  ReportPaging(report, findings, static_cast<int>(pagers.size()));
  report.Check("churn_acknowledged", churn_failures == 0,
               absl::StrCat(churn_failures.load(), " intakes or judgments failed"));
  report.Figure("stable_complaints", static_cast<double>(stable.size()));
  report.Figure("recorded_during_paging", inserts);
  report.Figure("judged_during_paging", static_cast<double>(doomed.size()));
  GateCrashes(report);
  EXPECT_TRUE(report.Finish());
}

}  // namespace
}  // namespace kam::reliability
