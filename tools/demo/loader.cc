#include "tools/demo/loader.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "services/common/jwt.h"

namespace kam::demo {

// The load day's year in the company's time zone (Asia/Shanghai, UTC+8).
std::string CurrentYear(absl::CivilDay today);

namespace {

namespace av1 = ::kam::accounts::v1;
namespace cv1 = ::kam::complaints::v1;
namespace nv1 = ::kam::analytics::v1;
using AccountStub = av1::AccountService::Stub;
using ComplaintStub = cv1::ComplaintService::Stub;
using AnalyticsStub = nv1::AnalyticsService::Stub;

constexpr int kImportBatch = 500;

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

av1::Money Cny(int64_t fen) {
  av1::Money money;
  money.set_currency_code("CNY");
  money.set_minor_units(fen);
  return money;
}

absl::Status FromGrpc(const grpc::Status& status, const std::string& what) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

// The gateway, called as any persona: one token per subject (and department), minted on
// first use. Transient refusals (UNAVAILABLE, the per-caller rate limit) are retried: every
// write carries its request id, so a retry never applies anything twice.
class Gateway {
 public:
  Gateway(const Plan& plan, const LoadOptions& options)
      : plan_(plan),
        options_(options),
        accounts_(av1::AccountService::NewStub(options.channel)),
        complaints_(cv1::ComplaintService::NewStub(options.channel)),
        analytics_(nv1::AnalyticsService::NewStub(options.channel)) {}

  AccountStub& accounts() { return *accounts_; }
  ComplaintStub& complaints() { return *complaints_; }
  AnalyticsStub& analytics() { return *analytics_; }

  // A handler of `department` (complaint handlers act in their department).
  template <typename Stub, typename Request, typename Response>
  absl::Status Call(const std::string& subject, Stub& stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response, const std::string& what) {
    const std::string token = TokenFor(subject);
    grpc::Status status;
    // Up to ~20 s: long enough for complaints' replica of a new account, or a rate limit.
    for (int attempt = 0; attempt < 15; ++attempt) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + token);
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      status = (stub.*method)(&context, request, response);
      const grpc::StatusCode code = status.error_code();
      if (code != grpc::StatusCode::UNAVAILABLE && code != grpc::StatusCode::RESOURCE_EXHAUSTED &&
          code != grpc::StatusCode::DEADLINE_EXCEEDED && code != grpc::StatusCode::ABORTED) {
        break;
      }
      absl::SleepFor(absl::Milliseconds(100 << std::min(attempt, 4)));
    }
    if (status.ok()) return absl::OkStatus();
    return FromGrpc(status, absl::StrCat(what, " as ", subject));
  }

 private:
  std::string TokenFor(const std::string& subject) {
    absl::MutexLock lock(&mu_);
    auto found = tokens_.find(subject);
    if (found != tokens_.end()) return found->second;
    const Persona& p = plan_.PersonaOf(subject);
    JwtMintOptions mint;
    mint.hs256_secret = options_.jwt_secret;
    mint.issuer = options_.issuer;
    mint.audience = options_.audience;
    mint.issued_at = absl::Now() - absl::Seconds(5);
    mint.ttl = absl::Hours(1);
    std::string token = MintJwt({p.subject, {p.role}, p.department}, mint);
    tokens_.emplace(subject, token);
    return token;
  }

  const Plan& plan_;
  const LoadOptions& options_;
  std::unique_ptr<AccountStub> accounts_;
  std::unique_ptr<ComplaintStub> complaints_;
  std::unique_ptr<AnalyticsStub> analytics_;
  absl::Mutex mu_;
  std::map<std::string, std::string> tokens_;
};

// Runs fn(i) for every item on `workers` threads; items with the same key run on the same
// thread in their order (e.g. one account's contact records, whose order is the rule's).
absl::Status ForEach(int workers, const std::vector<int>& keys,
                     const std::function<absl::Status(size_t)>& fn) {
  std::vector<std::thread> threads;
  absl::Mutex mu;
  absl::Status first;
  std::atomic<bool> failed{false};
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      for (size_t i = 0; i < keys.size() && !failed; ++i) {
        if (keys[i] % workers != w) continue;
        absl::Status s = fn(i);
        if (!s.ok()) {
          absl::MutexLock lock(&mu);
          if (first.ok()) first = s;
          failed = true;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return first;
}

class Loader {
 public:
  Loader(const Plan& plan, const LoadOptions& options, LoadResult* result)
      : plan_(plan), options_(options), result_(result), gw_(plan, options) {}

  absl::Status Run() {
    const absl::Time start = absl::Now();
    const std::vector<std::pair<std::string, absl::Status (Loader::*)()>> phases = {
        {"departments", &Loader::Departments},
        {"accounts", &Loader::Accounts},
        {"contacts", &Loader::Contacts},
        {"contracts", &Loader::Contracts},
        {"orders", &Loader::Orders},
        {"payments", &Loader::Payments},
        {"credit", &Loader::Credit},
        {"visit plans", &Loader::VisitPlans},
        {"contact records", &Loader::ContactRecords},
        {"opportunities", &Loader::Opportunities},
        {"complaints", &Loader::Complaints},
        {"today's order", &Loader::TodaysOrder},
        {"analytics catch-up", &Loader::WaitForAnalytics},
        {"tier review", &Loader::TierReview},
    };
    for (const auto& [name, phase] : phases) {
      const absl::Time phase_start = absl::Now();
      if (absl::Status s = (this->*phase)(); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat("demo load, ", name, ": ", s.message()));
      }
      Log(absl::StrFormat("%-20s %6.2f s", name, absl::ToDoubleSeconds(absl::Now() - phase_start)));
    }
    result_->seconds = absl::ToDoubleSeconds(absl::Now() - start);
    return absl::OkStatus();
  }

 private:
  void Log(const std::string& line) {
    if (options_.log != nullptr) *options_.log << "kam-demo: " << line << std::endl;
  }

  std::string Rid(const std::string& item) const { return absl::StrCat("demo-", plan_.seed, "-", item); }
  absl::Time Day(int day) const { return DayTime(options_.today, day); }
  // Dates the services check against the real clock (see LiveDay).
  absl::Time LiveDayTime(int day) const { return DayTime(LiveDay(options_.today), day); }
  absl::Time LiveMidnight() const {
    return absl::FromCivil(LiveDay(options_.today), absl::UTCTimeZone());
  }
  int64_t AccountId(int index) const { return result_->account_ids[static_cast<size_t>(index)]; }
  const AccountPlan& Acct(int index) const { return plan_.accounts[static_cast<size_t>(index)]; }

  // The complaints service may come with departments of the same codes: those are replaced
  // (at their etag) unless they already are the demo's.
  absl::Status Departments() {
    cv1::ListDepartmentsResponse existing;
    absl::Status listed = gw_.Call("dir.chen", gw_.complaints(), &ComplaintStub::ListDepartments,
                                   cv1::ListDepartmentsRequest(), &existing, "ListDepartments");
    if (!listed.ok()) return listed;
    for (const DepartmentPlan& d : plan_.departments) {
      cv1::PutDepartmentRequest request;
      cv1::Department* dept = request.mutable_department();
      dept->set_code(d.code);
      dept->set_name(d.name);
      for (int c : d.categories) dept->add_categories(static_cast<cv1::Category>(c));
      for (const std::string& h : d.handlers) dept->add_handler_ids(h);
      dept->set_manager_id(d.manager);
      std::string etag;
      bool same = false;
      for (const cv1::Department& old : existing.departments()) {
        if (old.code() != d.code) continue;
        cv1::Department compare = old;
        compare.clear_etag();
        same = compare.SerializeAsString() == dept->SerializeAsString();
        etag = old.etag();
      }
      if (same) continue;
      request.set_etag(etag);
      request.set_request_id(Rid("department-" + d.code));
      cv1::PutDepartmentResponse response;
      absl::Status s = gw_.Call("dir.chen", gw_.complaints(), &ComplaintStub::PutDepartment,
                                request, &response, "PutDepartment " + d.code);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // In plan order on one caller: account ids follow the plan on a fresh database, and a
  // subsidiary needs its parent's id.
  absl::Status Accounts() {
    result_->account_ids.assign(plan_.accounts.size(), 0);
    for (size_t i = 0; i < plan_.accounts.size(); ++i) {
      const AccountPlan& a = plan_.accounts[i];
      av1::CreateAccountRequest request;
      request.set_request_id(Rid("account-" + a.key));
      av1::Account* account = request.mutable_account();
      account->set_name(a.name);
      account->set_registration_number(a.registration_number);
      account->set_nature(static_cast<av1::Nature>(a.nature));
      account->set_industry(a.industry);
      account->set_region(a.region);
      account->set_scale(static_cast<av1::Scale>(a.scale));
      account->set_lifecycle_stage(static_cast<av1::LifecycleStage>(a.lifecycle));
      account->set_transaction_process(static_cast<av1::TransactionProcess>(a.transaction_process));
      account->set_volume_position(static_cast<av1::VolumePosition>(a.volume_position));
      account->set_owner_id(a.owner);
      if (a.parent >= 0) account->set_parent_id(AccountId(a.parent));
      for (const std::string& tag : a.tags) account->add_tags(tag);
      account->set_address(a.address);
      account->set_phone(a.phone);
      account->set_legal_representative(a.legal_representative);
      if (a.lifecycle == av1::LIFECYCLE_STAGE_DORMANT) account->set_status(av1::ACCOUNT_STATUS_DORMANT);
      // Groups are registered by the director; managers register their own customers.
      const bool in_group = a.parent >= 0 || std::count(a.tags.begin(), a.tags.end(), "group") > 0;
      av1::CreateAccountResponse response;
      absl::Status s = gw_.Call(in_group ? "dir.wang" : a.owner, gw_.accounts(),
                                &AccountStub::CreateAccount, request, &response,
                                "CreateAccount " + a.name);
      if (!s.ok()) return s;
      result_->account_ids[i] = response.account().id();
    }
    return absl::OkStatus();
  }

  std::vector<int> AccountKeys() const {
    std::vector<int> keys;
    for (size_t i = 0; i < plan_.accounts.size(); ++i) keys.push_back(static_cast<int>(i));
    return keys;
  }

  absl::Status Contacts() {
    first_contact_.assign(plan_.accounts.size(), 0);
    return ForEach(options_.workers, AccountKeys(), [&](size_t i) -> absl::Status {
      const AccountPlan& a = plan_.accounts[i];
      for (size_t c = 0; c < a.contacts.size(); ++c) {
        const ContactPlan& cp = a.contacts[c];
        av1::CreateContactRequest request;
        request.set_request_id(Rid(absl::StrCat("contact-", a.key, "-", c + 1)));
        av1::Contact* contact = request.mutable_contact();
        contact->set_account_id(result_->account_ids[i]);
        contact->set_name(cp.name);
        contact->set_title(cp.title);
        contact->set_phone(cp.phone);
        contact->set_email(cp.email);
        contact->set_buying_role(static_cast<av1::BuyingRole>(cp.buying_role));
        av1::CreateContactResponse response;
        absl::Status s = gw_.Call(a.owner, gw_.accounts(), &AccountStub::CreateContact, request,
                                  &response, "CreateContact for " + a.name);
        if (!s.ok()) return s;
        if (c == 0) first_contact_[i] = response.contact().id();
      }
      return absl::OkStatus();
    });
  }

  absl::Status Contracts() {
    contract_ids_.assign(plan_.contracts.size(), 0);
    for (size_t k = 0; k < plan_.contracts.size(); ++k) {
      const ContractPlan& c = plan_.contracts[k];
      const std::string& owner = Acct(c.account).owner;
      av1::CreateContractRequest create;
      create.set_request_id(Rid("contract-" + c.number));
      av1::Contract* contract = create.mutable_contract();
      contract->set_account_id(AccountId(c.account));
      contract->set_number(c.number);
      *contract->mutable_value() = Cny(c.value);
      *contract->mutable_start_time() = Ts(Day(c.start_day));
      *contract->mutable_end_time() = Ts(Day(c.end_day));
      av1::CreateContractResponse created;
      absl::Status s = gw_.Call(owner, gw_.accounts(), &AccountStub::CreateContract, create,
                                &created, "CreateContract " + c.number);
      if (!s.ok()) return s;
      contract_ids_[k] = created.contract().id();
      av1::SignContractRequest sign;
      sign.set_request_id(Rid("sign-" + c.number));
      sign.set_contract_id(created.contract().id());
      *sign.mutable_sign_time() = Ts(Day(c.sign_day));
      av1::SignContractResponse signed_response;
      s = gw_.Call(owner, gw_.accounts(), &AccountStub::SignContract, sign, &signed_response,
                   "SignContract " + c.number);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  av1::Order OrderOf(const OrderPlan& o) const {
    av1::Order order;
    order.set_account_id(AccountId(o.account));
    order.set_external_id(o.external_id);
    if (o.contract >= 0) order.set_contract_id(contract_ids_[static_cast<size_t>(o.contract)]);
    *order.mutable_order_time() = Ts(Day(o.day));
    for (const LinePlan& l : o.lines) {
      av1::OrderLine* line = order.add_lines();
      line->set_product_code(l.product_code);
      line->set_product_category(l.category);
      line->set_quantity(l.quantity);
      *line->mutable_revenue() = Cny(l.revenue);
      *line->mutable_cost() = Cny(l.cost);
    }
    return order;
  }

  // An import result that counts as done: recorded now or before with the same content.
  static absl::Status CheckImported(const av1::ImportResult& r) {
    if (r.code() == 0 || r.code() == static_cast<int>(grpc::StatusCode::ALREADY_EXISTS)) {
      return absl::OkStatus();
    }
    return absl::InternalError(absl::StrCat("import of ", r.external_id(), " rejected (code ",
                                            r.code(), "): ", r.message()));
  }

  // The ERP's batch import, as the system persona.
  absl::Status Orders() {
    order_ids_.assign(plan_.orders.size(), 0);
    for (size_t from = 0; from < plan_.orders.size(); from += kImportBatch) {
      const size_t to = std::min(plan_.orders.size(), from + kImportBatch);
      av1::ImportOrdersRequest request;
      for (size_t i = from; i < to; ++i) *request.add_orders() = OrderOf(plan_.orders[i]);
      av1::ImportOrdersResponse response;
      absl::Status s = gw_.Call("erp-feed", gw_.accounts(), &AccountStub::ImportOrders, request,
                                &response, "ImportOrders");
      if (!s.ok()) return s;
      for (const av1::ImportResult& r : response.results()) {
        if (absl::Status c = CheckImported(r); !c.ok()) return c;
        order_ids_[from + static_cast<size_t>(r.index())] = r.id();
      }
    }
    return absl::OkStatus();
  }

  absl::Status Payments() {
    for (size_t from = 0; from < plan_.payments.size(); from += kImportBatch) {
      const size_t to = std::min(plan_.payments.size(), from + kImportBatch);
      av1::ImportPaymentsRequest request;
      for (size_t i = from; i < to; ++i) {
        const PaymentPlan& p = plan_.payments[i];
        av1::Payment* payment = request.add_payments();
        payment->set_account_id(AccountId(p.account));
        payment->set_external_id(p.external_id);
        *payment->mutable_amount() = Cny(p.amount);
        *payment->mutable_pay_time() = Ts(Day(p.day));
        payment->set_order_id(order_ids_[static_cast<size_t>(p.order)]);
      }
      av1::ImportPaymentsResponse response;
      absl::Status s = gw_.Call("erp-feed", gw_.accounts(), &AccountStub::ImportPayments, request,
                                &response, "ImportPayments");
      if (!s.ok()) return s;
      for (const av1::ImportResult& r : response.results()) {
        if (absl::Status c = CheckImported(r); !c.ok()) return c;
      }
    }
    return absl::OkStatus();
  }

  // After the orders: the limits are set on the customers' standing, and one is already
  // beyond its new limit.
  absl::Status Credit() {
    absl::Status s = ForEach(options_.workers, AccountKeys(), [&](size_t i) -> absl::Status {
      const AccountPlan& a = plan_.accounts[i];
      if (a.credit_rating == 0) return absl::OkStatus();
      av1::SetCreditRequest request;
      request.set_request_id(Rid("credit-" + a.key));
      request.set_account_id(result_->account_ids[i]);
      request.mutable_update_mask()->add_paths("credit_rating");
      request.mutable_update_mask()->add_paths("credit_limit");
      request.set_credit_rating(static_cast<av1::CreditRating>(a.credit_rating));
      *request.mutable_credit_limit() = Cny(a.credit_limit);
      request.set_reason(static_cast<int>(i) == plan_.over_limit
                             ? "回款持续延迟，额度下调至 50 万元"
                             : "年度授信评审");
      av1::SetCreditResponse response;
      // Two directors share the work (and their rate limits).
      return gw_.Call(i % 2 == 0 ? "dir.wang" : "dir.chen", gw_.accounts(), &AccountStub::SetCredit,
                      request, &response, "SetCredit " + a.name);
    });
    if (!s.ok()) return s;
    av1::CreateCreditReportRequest report;
    report.set_request_id(Rid("credit-report-over-limit"));
    av1::CreditReport* r = report.mutable_report();
    r->set_account_id(AccountId(plan_.over_limit));
    r->set_kind(av1::CREDIT_REPORT_KIND_URGENT);
    r->set_source(av1::CREDIT_SOURCE_PEERS);
    r->set_summary("同行反映该客户近期资金紧张，多笔货款逾期超过 120 天；建议暂停赊销，待回款后恢复。");
    r->set_suggested_rating(av1::CREDIT_RATING_B);
    av1::CreateCreditReportResponse response;
    return gw_.Call(Acct(plan_.over_limit).owner, gw_.accounts(), &AccountStub::CreateCreditReport,
                    report, &response, "CreateCreditReport");
  }

  absl::Status VisitPlans() {
    std::vector<int> keys;
    for (const VisitPlanPlan& v : plan_.visits) keys.push_back(v.account);
    return ForEach(options_.workers, keys, [&](size_t i) -> absl::Status {
      const VisitPlanPlan& v = plan_.visits[i];
      av1::CreateVisitPlanRequest request;
      request.set_request_id(Rid("visit-" + v.key));
      av1::VisitPlan* p = request.mutable_plan();
      p->set_account_id(AccountId(v.account));
      *p->mutable_planned_time() = Ts(LiveDayTime(v.day));
      p->set_objective(v.objective);
      av1::CreateVisitPlanResponse response;
      absl::Status s = gw_.Call(Acct(v.account).owner, gw_.accounts(),
                                &AccountStub::CreateVisitPlan, request, &response,
                                "CreateVisitPlan " + v.key);
      // A re-run after the five-visits rule took the account off the plan.
      if (absl::IsFailedPrecondition(s) && v.account == plan_.five_visits) return absl::OkStatus();
      return s;
    });
  }

  absl::Status ContactRecords() {
    std::vector<int> keys;
    for (const RecordPlan& r : plan_.records) keys.push_back(r.account);
    return ForEach(options_.workers, keys, [&](size_t i) -> absl::Status {
      const RecordPlan& r = plan_.records[i];
      av1::CreateContactRecordRequest request;
      request.set_request_id(Rid("record-" + r.key));
      av1::ContactRecord* rec = request.mutable_record();
      rec->set_account_id(AccountId(r.account));
      rec->set_kind(static_cast<av1::ContactKind>(r.kind));
      *rec->mutable_occur_time() = Ts(Day(r.day));
      rec->add_contact_ids(first_contact_[static_cast<size_t>(r.account)]);
      rec->set_summary(r.summary);
      rec->set_outcome(static_cast<av1::ContactOutcome>(r.outcome));
      rec->set_next_step(r.next_step);
      av1::CreateContactRecordResponse response;
      return gw_.Call(Acct(r.account).owner, gw_.accounts(), &AccountStub::CreateContactRecord,
                      request, &response, "CreateContactRecord " + r.key);
    });
  }

  // Created in plan order; then each is walked stage by stage to its target.
  absl::Status Opportunities() {
    std::vector<av1::Opportunity> created(plan_.opportunities.size());
    for (size_t k = 0; k < plan_.opportunities.size(); ++k) {
      const OpportunityPlan& o = plan_.opportunities[k];
      const int reach = o.target_stage == av1::STAGE_LOST   ? o.lost_from
                        : o.target_stage == av1::STAGE_WON ? av1::STAGE_WON
                                                           : o.target_stage;
      av1::CreateOpportunityRequest request;
      request.set_request_id(Rid("opportunity-" + o.key));
      av1::Opportunity* opp = request.mutable_opportunity();
      opp->set_account_id(AccountId(o.account));
      opp->set_name(o.name);
      *opp->mutable_amount() = Cny(o.amount);
      *opp->mutable_expected_close_time() = Ts(Day(o.close_day));
      opp->set_competition(o.competition);
      opp->set_decision_makers(o.decision_makers);
      if (reach >= av1::STAGE_PROJECT_INITIATION) {
        opp->set_needs("管材、阀门与仪表的成套供应，含安装指导");
        *opp->mutable_budget() = Cny(o.amount * 11 / 10);
        opp->set_timetable("三个月内完成招标，半年内交付");
      }
      if (reach >= av1::STAGE_PROPOSAL) opp->set_presales_approval("售前立项已由王建国批准");
      if (reach >= av1::STAGE_BIDDING) opp->set_relationship_progress("已与决策人完成方案交流，获得技术认可");
      if (reach >= av1::STAGE_COMMERCIAL_NEGOTIATION) {
        *opp->mutable_bid_submit_time() = Ts(Day(std::min(o.close_day, 0) - 40));
      }
      if (reach >= av1::STAGE_IMPLEMENTATION && o.contract >= 0) {
        opp->set_contract_id(contract_ids_[static_cast<size_t>(o.contract)]);
      }
      if (reach >= av1::STAGE_WON) *opp->mutable_acceptance_time() = Ts(Day(o.close_day));
      av1::CreateOpportunityResponse response;
      absl::Status s = gw_.Call(Acct(o.account).owner, gw_.accounts(),
                                &AccountStub::CreateOpportunity, request, &response,
                                "CreateOpportunity " + o.name);
      if (!s.ok()) return s;
      created[k] = response.opportunity();
    }
    std::vector<int> keys;
    for (size_t k = 0; k < plan_.opportunities.size(); ++k) keys.push_back(static_cast<int>(k));
    return ForEach(options_.workers, keys, [&](size_t k) -> absl::Status {
      const OpportunityPlan& o = plan_.opportunities[k];
      const int reach = o.target_stage == av1::STAGE_LOST ? o.lost_from : o.target_stage;
      std::string etag = created[k].etag();
      const int64_t id = created[k].id();
      for (int stage = av1::STAGE_PROJECT_INITIATION; stage <= reach; ++stage) {
        if (absl::Status s = Move(o, id, stage, "", &etag); !s.ok()) return s;
      }
      if (o.target_stage == av1::STAGE_LOST) {
        return Move(o, id, av1::STAGE_LOST, "客户选择了" + o.competition + "，价格低 8%", &etag);
      }
      return absl::OkStatus();
    });
  }

  absl::Status Move(const OpportunityPlan& o, int64_t id, int stage, const std::string& reason,
                    std::string* etag) {
    av1::MoveOpportunityRequest request;
    request.set_request_id(Rid(absl::StrCat("move-", o.key, "-", stage)));
    request.set_opportunity_id(id);
    request.set_to_stage(static_cast<av1::Stage>(stage));
    request.set_reason(reason);
    request.set_etag(*etag);
    av1::MoveOpportunityResponse response;
    absl::Status s = gw_.Call(Acct(o.account).owner, gw_.accounts(), &AccountStub::MoveOpportunity,
                              request, &response, absl::StrCat("MoveOpportunity ", o.key));
    if (s.ok()) *etag = response.opportunity().etag();
    return s;
  }

  absl::Status Complaints() {
    const absl::Time base = LiveMidnight();
    result_->complaint_ids.assign(plan_.complaints.size(), 0);
    std::vector<cv1::Complaint> created(plan_.complaints.size());
    for (size_t k = 0; k < plan_.complaints.size(); ++k) {
      const ComplaintPlan& c = plan_.complaints[k];
      cv1::CreateComplaintRequest request;
      request.set_request_id(Rid("complaint-" + c.key));
      cv1::Complaint* complaint = request.mutable_complaint();
      complaint->set_account_id(AccountId(c.account));
      complaint->set_channel(static_cast<cv1::Channel>(c.channel));
      complaint->set_category(static_cast<cv1::Category>(c.category));
      complaint->set_subcategory(c.subcategory);
      complaint->set_description(c.description);
      complaint->set_severity(static_cast<cv1::Severity>(c.severity));
      complaint->set_manner(static_cast<cv1::Manner>(c.manner));
      *request.mutable_received_time() = Ts(base - absl::Hours(c.received_hours_ago));
      cv1::CreateComplaintResponse response;
      // complaints learns of new accounts from the accounts stream: UNAVAILABLE until then,
      // which Call retries.
      absl::Status s = gw_.Call(c.agent, gw_.complaints(), &ComplaintStub::CreateComplaint,
                                request, &response, "CreateComplaint " + c.key);
      if (!s.ok()) return s;
      created[k] = response.complaint();
      result_->complaint_ids[k] = response.complaint().id();
    }
    std::vector<int> keys;
    for (size_t k = 0; k < plan_.complaints.size(); ++k) keys.push_back(static_cast<int>(k));
    return ForEach(options_.workers, keys,
                   [&](size_t k) { return Walk(plan_.complaints[k], created[k]); });
  }

  // The procedure's steps up to the planned state, each by the role it belongs to.
  absl::Status Walk(const ComplaintPlan& c, cv1::Complaint complaint) {
    const int target = c.target_state;
    if (target == cv1::STATE_RECORDED) return absl::OkStatus();
    const int64_t id = complaint.id();
    auto step = [&](const std::string& subject, auto method, auto request,
                    const std::string& name) -> absl::Status {
      return Step(c, id, &complaint, subject, method, std::move(request), name);
    };
    cv1::JudgeValidityRequest judge;
    judge.set_valid(target != cv1::STATE_INVALID);
    if (target == cv1::STATE_INVALID) judge.set_reason("经核实为客户现场安装不当所致，不属于我方责任");
    if (absl::Status s = step(c.agent, &ComplaintStub::JudgeValidity, judge, "judge"); !s.ok()) return s;
    if (target == cv1::STATE_INVALID || target == cv1::STATE_ASSIGNED) return absl::OkStatus();
    const std::string handler = complaint.handler_id();
    if (handler.empty()) return absl::InternalError("complaint " + c.key + " has no handler");
    cv1::AnalyzeCauseRequest cause;
    cause.set_cause("批次 " + c.key + " 抽检复核：" + c.subcategory + "，原因已定位");
    if (absl::Status s = step(handler, &ComplaintStub::AnalyzeCause, cause, "cause"); !s.ok()) return s;
    if (target == cv1::STATE_CAUSE_ANALYZED) return absl::OkStatus();
    cv1::ProposeResolutionRequest propose;
    propose.set_resolution("免费补发/更换，并承担往返运费；内部整改流程");
    if (absl::Status s = step(handler, &ComplaintStub::ProposeResolution, propose, "propose"); !s.ok()) return s;
    if (target == cv1::STATE_RESOLUTION_PROPOSED) return absl::OkStatus();
    cv1::DecideResolutionRequest decide;
    decide.set_approve(true);
    if (absl::Status s = step("dir.chen", &ComplaintStub::DecideResolution, decide, "approve"); !s.ok()) return s;
    if (target == cv1::STATE_RESOLUTION_APPROVED) return absl::OkStatus();
    cv1::ImplementResolutionRequest implement;
    implement.set_note("已完成补发并经客户签收");
    if (absl::Status s = step(handler, &ComplaintStub::ImplementResolution, implement, "implement"); !s.ok()) return s;
    if (target == cv1::STATE_RESOLUTION_IMPLEMENTED) return absl::OkStatus();
    cv1::RecordFollowUpRequest follow;
    follow.set_perceived_satisfaction(4);
    follow.set_expected_satisfaction(4);
    follow.set_satisfied(true);
    follow.set_note("回访：客户认可处理结果");
    if (absl::Status s = step(c.agent, &ComplaintStub::RecordFollowUp, follow, "follow-up"); !s.ok()) return s;
    if (target == cv1::STATE_FOLLOWED_UP) return absl::OkStatus();
    cv1::CloseComplaintRequest close;
    close.set_summary("问题已解决，客户满意");
    close.set_evaluation("处理及时；已纳入供应商质量改进计划");
    return step("dir.chen", &ComplaintStub::CloseComplaint, close, "close");
  }

  template <typename Request, typename Response>
  absl::Status Step(const ComplaintPlan& c, int64_t id, cv1::Complaint* complaint,
                    const std::string& subject,
                    grpc::Status (ComplaintStub::*method)(grpc::ClientContext*, const Request&,
                                                          Response*),
                    Request request, const std::string& name) {
    request.set_request_id(Rid(absl::StrCat("complaint-", c.key, "-", name)));
    request.set_complaint_id(id);
    Response response;
    absl::Status s = gw_.Call(subject, gw_.complaints(), method, request, &response,
                              absl::StrCat(name, " ", c.key));
    if (s.ok()) *complaint = response.complaint();
    return s;
  }

  // The last write to the accounts stream: once analytics shows it, it has applied
  // everything before it (the stream is in commit order).
  absl::Status TodaysOrder() {
    av1::RecordOrderRequest request;
    request.set_request_id(Rid("order-today"));
    OrderPlan o;
    o.account = plan_.biggest;
    o.external_id = "SO-TODAY-1";
    o.day = 0;
    o.lines = {{"VALVE-BALL-50", "valve", 20, 20 * 650 * 100, 20 * 650 * 100 * 68 / 100}};
    *request.mutable_order() = OrderOf(o);
    *request.mutable_order()->mutable_order_time() =
        Ts(absl::FromCivil(options_.today, absl::UTCTimeZone()));
    av1::RecordOrderResponse response;
    absl::Status s = gw_.Call("erp-feed", gw_.accounts(), &AccountStub::RecordOrder, request,
                              &response, "RecordOrder today");
    if (s.ok()) todays_order_ = response.order().revenue().minor_units();
    return s;
  }

  // The account's revenue in the load day's year, today's order included.
  int64_t ExpectedRevenueThisYear(int account) const {
    const std::string year = CurrentYear(options_.today);
    const absl::TimeZone shanghai = absl::FixedTimeZone(8 * 3600);
    int64_t total = todays_order_ * (account == plan_.biggest ? 1 : 0);
    for (const OrderPlan& o : plan_.orders) {
      if (o.account != account) continue;
      if (absl::FormatTime("%Y", Day(o.day), shanghai) != year) continue;
      for (const LinePlan& l : o.lines) total += l.revenue;
    }
    return total;
  }

  // Waits until analytics shows the last accounts write (today's order) and the complaints
  // in their final states.
  absl::Status WaitForAnalytics() {
    const std::string period = CurrentYear(options_.today);
    const int64_t expected = ExpectedRevenueThisYear(plan_.biggest);
    const absl::Time base = LiveMidnight();
    const absl::TimeZone shanghai = absl::FixedTimeZone(8 * 3600);
    std::map<std::pair<int, int>, int> want;
    for (const ComplaintPlan& c : plan_.complaints) {
      if (absl::FormatTime("%Y", base - absl::Hours(c.received_hours_ago), shanghai) == period) {
        ++want[{c.category, c.target_state}];
      }
    }
    const absl::Time deadline = absl::Now() + options_.projection_wait;
    while (true) {
      nv1::AnalyzeProductMixRequest mix;
      mix.set_period(period);
      mix.set_account_id(AccountId(plan_.biggest));
      nv1::AnalyzeProductMixResponse mix_response;
      absl::Status s = gw_.Call("dir.wang", gw_.analytics(), &AnalyticsStub::AnalyzeProductMix, mix,
                                &mix_response, "AnalyzeProductMix");
      nv1::AnalyzeComplaintsRequest kpi;
      kpi.set_period(period);
      nv1::AnalyzeComplaintsResponse kpi_response;
      if (s.ok()) {
        s = gw_.Call("dir.wang", gw_.analytics(), &AnalyticsStub::AnalyzeComplaints, kpi,
                     &kpi_response, "AnalyzeComplaints");
      }
      if (s.ok()) {
        std::map<std::pair<int, int>, int> have;
        for (const nv1::CategoryStateCount& cell : kpi_response.counts()) {
          have[{cell.category(), cell.state()}] += cell.count();
        }
        if (mix_response.revenue().minor_units() == expected && have == want) {
          return absl::OkStatus();
        }
      }
      if (absl::Now() > deadline) {
        return absl::DeadlineExceededError(absl::StrCat(
            "analytics did not catch up within ", absl::FormatDuration(options_.projection_wait),
            ": revenue of the biggest customer ", mix_response.revenue().minor_units(), " of ",
            expected, " expected; ", s.ToString()));
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
  }

  absl::Status TierReview() {
    nv1::RunTierReviewRequest request;
    request.set_request_id(Rid("tier-review"));
    request.mutable_parameters()->set_period(ReviewPeriod(options_.today));
    nv1::RunTierReviewResponse response;
    absl::Status s = gw_.Call("dir.wang", gw_.analytics(), &AnalyticsStub::RunTierReview, request,
                              &response, "RunTierReview");
    if (s.ok()) {
      result_->tier_review_id = response.review().id();
      Log(absl::StrCat("tier review ", response.review().id(), ": ",
                       response.review().accounts_reviewed(), " reviewed, ",
                       response.review().promotions(), " promoted, ",
                       response.review().demotions(), " demoted"));
    }
    return s;
  }

  const Plan& plan_;
  const LoadOptions& options_;
  LoadResult* result_;
  Gateway gw_;
  std::vector<int64_t> first_contact_;
  std::vector<int64_t> contract_ids_;
  std::vector<int64_t> order_ids_;
  int64_t todays_order_ = 0;
};

}  // namespace

absl::Time DayTime(absl::CivilDay today, int day) {
  return absl::FromCivil(absl::CivilHour(today + day) + 2, absl::UTCTimeZone());
}

absl::CivilDay LiveDay(absl::CivilDay today) {
  return std::max(today, absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()));
}

std::string CurrentYear(absl::CivilDay today) {
  return absl::FormatTime("%Y", absl::FromCivil(today, absl::UTCTimeZone()) + absl::Hours(8),
                          absl::UTCTimeZone());
}

std::string ReviewPeriod(absl::CivilDay today) {
  return today.month() >= 7 ? CurrentYear(today) : absl::StrCat(today.year() - 1);
}

absl::Status Load(const Plan& plan, const LoadOptions& options, LoadResult* result) {
  return Loader(plan, options, result).Run();
}

}  // namespace kam::demo
