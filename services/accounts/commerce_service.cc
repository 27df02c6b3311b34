#include "absl/strings/str_cat.h"
#include "services/accounts/commerce.h"
#include "services/accounts/commerce_store.h"
#include "services/accounts/service.h"
#include "services/common/log.h"
#include "services/common/status.h"
#include "services/common/validation.h"

// Contracts, orders, payments, credit reports and overrides, and the group summary.
namespace kam::accounts {
namespace {

constexpr char kCreateCreditReport[] = "/kam.accounts.v1.AccountService/CreateCreditReport";
constexpr char kListCreditReports[] = "/kam.accounts.v1.AccountService/ListCreditReports";
constexpr char kGrantCreditOverride[] = "/kam.accounts.v1.AccountService/GrantCreditOverride";
constexpr char kCreateContract[] = "/kam.accounts.v1.AccountService/CreateContract";
constexpr char kSignContract[] = "/kam.accounts.v1.AccountService/SignContract";
constexpr char kListContracts[] = "/kam.accounts.v1.AccountService/ListContracts";
constexpr char kRecordOrder[] = "/kam.accounts.v1.AccountService/RecordOrder";
constexpr char kRecordPayment[] = "/kam.accounts.v1.AccountService/RecordPayment";
constexpr char kImportOrders[] = "/kam.accounts.v1.AccountService/ImportOrders";
constexpr char kImportPayments[] = "/kam.accounts.v1.AccountService/ImportPayments";
constexpr char kListOrders[] = "/kam.accounts.v1.AccountService/ListOrders";
constexpr char kListPayments[] = "/kam.accounts.v1.AccountService/ListPayments";
constexpr char kGetGroupSummary[] = "/kam.accounts.v1.AccountService/GetGroupSummary";

constexpr int kMaxImportItems = 1000;

// ---- domain -> proto ----

void ToProto(const Contract& c, v1::Contract* out) {
  out->set_id(c.id);
  out->set_account_id(c.account_id);
  out->set_number(c.number);
  ToMoney(c.value_minor, out->mutable_value());
  ToTimestamp(c.start_time, out->mutable_start_time());
  ToTimestamp(c.end_time, out->mutable_end_time());
  if (c.sign_time) ToTimestamp(*c.sign_time, out->mutable_sign_time());
  out->set_opportunity_id(c.opportunity_id);
  ToTimestamp(c.create_time, out->mutable_create_time());
}

void ToProto(const Order& o, v1::Order* out) {
  out->set_id(o.id);
  out->set_account_id(o.account_id);
  out->set_external_id(o.external_id);
  out->set_contract_id(o.contract_id);
  ToTimestamp(o.order_time, out->mutable_order_time());
  for (const OrderLine& l : o.lines) {
    v1::OrderLine* line = out->add_lines();
    line->set_product_code(l.product_code);
    line->set_product_category(l.product_category);
    line->set_quantity(l.quantity);
    ToMoney(l.revenue_minor, line->mutable_revenue());
    ToMoney(l.cost_minor, line->mutable_cost());
  }
  ToMoney(o.revenue_minor, out->mutable_revenue());
  ToMoney(o.cost_minor, out->mutable_cost());
  out->set_credit_override_id(o.credit_override_id);
  ToTimestamp(o.create_time, out->mutable_create_time());
}

void ToProto(const Payment& p, v1::Payment* out) {
  out->set_id(p.id);
  out->set_account_id(p.account_id);
  out->set_external_id(p.external_id);
  ToMoney(p.amount_minor, out->mutable_amount());
  ToTimestamp(p.pay_time, out->mutable_pay_time());
  out->set_order_id(p.order_id);
  ToTimestamp(p.create_time, out->mutable_create_time());
}

void ToProto(const CreditReport& r, v1::CreditReport* out) {
  out->set_id(r.id);
  out->set_account_id(r.account_id);
  out->set_kind(static_cast<v1::CreditReportKind>(r.kind));
  out->set_source(static_cast<v1::CreditSource>(r.source));
  out->set_summary(r.summary);
  out->set_suggested_rating(static_cast<v1::CreditRating>(r.suggested_rating));
  out->set_author_id(r.author_id);
  ToTimestamp(r.create_time, out->mutable_create_time());
}

void ToProto(const CreditOverride& o, v1::CreditOverride* out) {
  out->set_id(o.id);
  out->set_account_id(o.account_id);
  ToMoney(o.allowance_minor, out->mutable_allowance());
  out->set_reason(o.reason);
  ToTimestamp(o.expire_time, out->mutable_expire_time());
  out->set_director_id(o.director_id);
  ToTimestamp(o.create_time, out->mutable_create_time());
}

void ToProto(const GroupSummary& s, v1::GroupSummary* out) {
  out->set_account_id(s.totals.account_id);
  out->set_accounts_total(s.totals.accounts_total);
  out->set_accounts_included(s.totals.accounts_included);
  out->set_partial(s.partial);
  ToMoney(s.totals.revenue_minor, out->mutable_revenue());
  ToMoney(s.totals.cost_minor, out->mutable_cost());
  ToMoney(s.gross_profit_minor, out->mutable_gross_profit());
  ToMoney(s.totals.payments_minor, out->mutable_payments());
  out->set_collection_rate_bp(s.collection_rate_bp);
  ToMoney(s.totals.open_pipeline_minor, out->mutable_open_pipeline());
  ToMoney(s.totals.weighted_pipeline_minor, out->mutable_weighted_pipeline());
  ToMoney(s.totals.receivables_minor, out->mutable_receivables());
  ToMoney(s.totals.credit_limit_minor, out->mutable_credit_limit());
  ToMoney(s.credit_exposure_minor, out->mutable_credit_exposure());
  ToMoney(s.credit_available_minor, out->mutable_credit_available());
  out->set_over_limit(s.over_limit);
}

// ---- proto -> domain (wire checks: ids, money, times; the rules check the rest) ----

absl::StatusOr<absl::Time> RequiredTime(std::string_view field,
                                        const google::protobuf::Timestamp& t, bool present) {
  absl::StatusOr<std::optional<absl::Time>> time = CheckTime(field, t, present, true);
  if (!time.ok()) return time.status();
  return **time;
}

absl::StatusOr<Contract> FromRequest(const v1::Contract& p) {
  if (auto s = CheckId("contract.account_id", p.account_id()); !s.ok()) return s;
  Contract c;
  c.account_id = p.account_id();
  c.number = p.number();
  c.opportunity_id = p.opportunity_id();
  absl::StatusOr<int64_t> value = CheckMoney("contract.value", p.value());
  if (!value.ok()) return value.status();
  c.value_minor = *value;
  absl::StatusOr<absl::Time> start =
      RequiredTime("contract.start_time", p.start_time(), p.has_start_time());
  if (!start.ok()) return start.status();
  absl::StatusOr<absl::Time> end =
      RequiredTime("contract.end_time", p.end_time(), p.has_end_time());
  if (!end.ok()) return end.status();
  c.start_time = *start;
  c.end_time = *end;
  return c;
}

absl::StatusOr<OrderLine> FromRequest(const std::string& prefix, const v1::OrderLine& p) {
  absl::StatusOr<int64_t> revenue = CheckMoney(prefix + ".revenue", p.revenue());
  if (!revenue.ok()) return revenue.status();
  absl::StatusOr<int64_t> cost = CheckMoney(prefix + ".cost", p.cost());
  if (!cost.ok()) return cost.status();
  return OrderLine{p.product_code(), p.product_category(), p.quantity(), *revenue, *cost};
}

// The order as the rules see it, validated (NewOrder).
absl::StatusOr<Order> ValidOrder(const v1::Order& p, absl::Time now) {
  if (auto s = CheckId("order.account_id", p.account_id()); !s.ok()) return s;
  Order o;
  o.account_id = p.account_id();
  o.external_id = p.external_id();
  o.contract_id = p.contract_id();
  absl::StatusOr<absl::Time> time =
      RequiredTime("order.order_time", p.order_time(), p.has_order_time());
  if (!time.ok()) return time.status();
  o.order_time = *time;
  for (int i = 0; i < p.lines_size(); ++i) {
    absl::StatusOr<OrderLine> line = FromRequest(absl::StrCat("order.lines[", i, "]"), p.lines(i));
    if (!line.ok()) return line.status();
    o.lines.push_back(*std::move(line));
  }
  return NewOrder(std::move(o), now);
}

absl::StatusOr<Payment> ValidPayment(const v1::Payment& p, absl::Time now) {
  if (auto s = CheckId("payment.account_id", p.account_id()); !s.ok()) return s;
  Payment payment;
  payment.account_id = p.account_id();
  payment.external_id = p.external_id();
  payment.order_id = p.order_id();
  absl::StatusOr<int64_t> amount = CheckMoney("payment.amount", p.amount(), true);
  if (!amount.ok()) return amount.status();
  payment.amount_minor = *amount;
  absl::StatusOr<absl::Time> time =
      RequiredTime("payment.pay_time", p.pay_time(), p.has_pay_time());
  if (!time.ok()) return time.status();
  payment.pay_time = *time;
  return NewPayment(std::move(payment), now);
}

absl::StatusOr<CreditReport> ValidReport(const v1::CreditReport& p, const std::string& author,
                                         absl::Time now) {
  if (auto s = CheckId("report.account_id", p.account_id()); !s.ok()) return s;
  CreditReport r;
  r.account_id = p.account_id();
  r.kind = static_cast<CreditReportKind>(p.kind());
  r.source = static_cast<CreditSource>(p.source());
  r.summary = p.summary();
  r.suggested_rating = static_cast<CreditRating>(p.suggested_rating());
  return NewCreditReport(std::move(r), author, now);
}

absl::StatusOr<CreditOverride> ValidOverride(const v1::CreditOverride& p,
                                             const std::string& director, absl::Time now) {
  if (auto s = CheckId("override.account_id", p.account_id()); !s.ok()) return s;
  CreditOverride o;
  o.account_id = p.account_id();
  o.reason = p.reason();
  absl::StatusOr<int64_t> allowance = CheckMoney("override.allowance", p.allowance(), true);
  if (!allowance.ok()) return allowance.status();
  o.allowance_minor = *allowance;
  absl::StatusOr<absl::Time> expire =
      RequiredTime("override.expire_time", p.expire_time(), p.has_expire_time());
  if (!expire.ok()) return expire.status();
  o.expire_time = *expire;
  return NewCreditOverride(std::move(o), director, now);
}

// A period from a request; unset is nullopt unless `required`.
absl::StatusOr<std::optional<SalesPeriod>> PeriodFrom(const v1::Period& p, bool present,
                                                      bool required) {
  if (!present) {
    if (required) return InvalidField("period", "required");
    return std::optional<SalesPeriod>();
  }
  absl::StatusOr<absl::Time> start =
      RequiredTime("period.start_time", p.start_time(), p.has_start_time());
  if (!start.ok()) return start.status();
  absl::StatusOr<absl::Time> end = RequiredTime("period.end_time", p.end_time(), p.has_end_time());
  if (!end.ok()) return end.status();
  const SalesPeriod period{*start, *end};
  if (auto s = CheckPeriod("period", period); !s.ok()) return s;
  return std::optional<SalesPeriod>(period);
}

// ---- imports ----

// Orders and payments in import results: whether each was applied, and why not.
class ImportTally {
 public:
  template <typename Response>
  void Add(int index, const std::string& external_id, const absl::Status& status, int64_t id,
           bool duplicate, Response* response) {
    v1::ImportResult* result = response->add_results();
    result->set_index(index);
    // Echoed only when it is short, valid UTF-8: a result must not carry garbage back.
    if (CheckText("external_id", external_id, 64, false).ok()) {
      result->set_external_id(external_id);
    }
    const absl::Status reported = Reported(status);
    if (duplicate) {
      result->set_code(static_cast<int>(absl::StatusCode::kAlreadyExists));
      result->set_message("already recorded with the same content");
      result->set_id(id);
      response->set_duplicates(response->duplicates() + 1);
    } else if (reported.ok()) {
      result->set_code(0);
      result->set_id(id);
      response->set_accepted(response->accepted() + 1);
    } else {
      result->set_code(static_cast<int>(reported.code()));
      result->set_message(std::string(reported.message()));
      response->set_rejected(response->rejected() + 1);
    }
  }

 private:
  // The codes a result may carry (see ImportResult): conflicts and timeouts become
  // UNAVAILABLE (retry the item); bugs are logged and say nothing more.
  static absl::Status Reported(const absl::Status& status) {
    switch (status.code()) {
      case absl::StatusCode::kOk:
      case absl::StatusCode::kInvalidArgument:
      case absl::StatusCode::kFailedPrecondition:
      case absl::StatusCode::kNotFound:
      case absl::StatusCode::kAlreadyExists:
      case absl::StatusCode::kPermissionDenied:
      case absl::StatusCode::kUnavailable:
        return status;
      case absl::StatusCode::kAborted:
      case absl::StatusCode::kDeadlineExceeded:
      case absl::StatusCode::kResourceExhausted:
        return absl::UnavailableError(
            absl::StrCat("not applied, retry the item: ", std::string(status.message())));
      default:
        LogError("import item failed", {{"detail", std::string(status.message())}});
        return absl::InternalError("internal error");
    }
  }
};

absl::Status CheckBatchSize(std::string_view field, int size) {
  if (size < 1 || size > kMaxImportItems) {
    return InvalidField(field, "send 1 to 1000 items per call");
  }
  return absl::OkStatus();
}

// Imports carry no request_id: each item is idempotent by its external id. The audit rows
// keep the call's x-request-id.
Mutation ImportMutation(const CallContext& call) {
  return {call.principal.subject, "", "", call.request_id, call.now, /*note=*/""};
}

bool DeadlinePassed(const CallContext& call) { return absl::Now() >= call.deadline; }

const absl::Status kDeadlinePassed =
    absl::UnavailableError("not applied: the call's deadline passed; import the item again");

}  // namespace

bool FillCommerceEvent(const std::string& aggregate_type, const nlohmann::json& payload,
                       v1::Event* event) {
  if (aggregate_type == "contract") {
    ToProto(ContractFromJson(payload), event->mutable_contract());
  } else if (aggregate_type == "order") {
    ToProto(OrderFromJson(payload), event->mutable_order());
  } else if (aggregate_type == "payment") {
    ToProto(PaymentFromJson(payload), event->mutable_payment());
  } else if (aggregate_type == "credit_report") {
    ToProto(CreditReportFromJson(payload), event->mutable_credit_report());
  } else if (aggregate_type == "credit_override") {
    ToProto(CreditOverrideFromJson(payload), event->mutable_credit_override());
  } else {
    return false;
  }
  return true;
}

// ---- credit ----

grpc::ServerUnaryReactor* AccountServiceImpl::CreateCreditReport(
    grpc::CallbackServerContext* context, const v1::CreateCreditReportRequest* request,
    v1::CreateCreditReportResponse* response) {
  return handler_.Run(context, kCreateCreditReport, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    absl::StatusOr<CreditReport> report =
        ValidReport(request->report(), call.principal.subject, call.now);
    if (!report.ok()) return report.status();
    absl::StatusOr<CreditReport> created = stores_.commerce->CreateCreditReport(
        MutationFor(call, "CreateCreditReport", *request, request->request_id()), *report,
        [&](const AccountView& v) { return MayWorkOn(call.principal, v.works_on, v.account); });
    if (!created.ok()) return HideExistence(created.status(), call.principal);
    ToProto(*created, response->mutable_report());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListCreditReports(
    grpc::CallbackServerContext* context, const v1::ListCreditReportsRequest* request,
    v1::ListCreditReportsResponse* response) {
  return handler_.Run(context, kListCreditReports, [=](const CallContext& call) -> absl::Status {
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    absl::StatusOr<int> page_size = NormalizePageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    const std::string digest = PageTokenKey(call, "ListCreditReports", *request);
    absl::StatusOr<int64_t> before = DecodePageToken(request->page_token(), digest);
    if (!before.ok()) return before.status();
    if (!SeesFinancials(call.principal)) return NoAccess();
    if (auto a = ReadableAccount(call, request->account_id()); !a.ok()) return a.status();
    absl::StatusOr<Page<CreditReport>> page =
        stores_.commerce->ListCreditReports(request->account_id(), *before, *page_size);
    if (!page.ok()) return page.status();
    for (const CreditReport& r : page->items) ToProto(r, response->add_reports());
    if (page->more) response->set_next_page_token(EncodePageToken(page->items.back().id, digest));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::GrantCreditOverride(
    grpc::CallbackServerContext* context, const v1::GrantCreditOverrideRequest* request,
    v1::GrantCreditOverrideResponse* response) {
  return handler_.Run(context, kGrantCreditOverride, [=](const CallContext& call) -> absl::Status {
    if (!CanGrantOverride(call.principal)) {
      return absl::PermissionDeniedError("only directors grant credit overrides");
    }
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    absl::StatusOr<CreditOverride> override =
        ValidOverride(request->override(), call.principal.subject, call.now);
    if (!override.ok()) return override.status();
    absl::StatusOr<CreditOverride> granted = stores_.commerce->GrantCreditOverride(
        MutationFor(call, "GrantCreditOverride", *request, request->request_id()), *override,
        [&](const AccountView& v) { return MayWorkOn(call.principal, v.works_on, v.account); });
    if (!granted.ok()) return granted.status();
    ToProto(*granted, response->mutable_override());
    return absl::OkStatus();
  });
}

// ---- contracts ----

grpc::ServerUnaryReactor* AccountServiceImpl::CreateContract(
    grpc::CallbackServerContext* context, const v1::CreateContractRequest* request,
    v1::CreateContractResponse* response) {
  return handler_.Run(context, kCreateContract, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    absl::StatusOr<Contract> draft = FromRequest(request->contract());
    if (!draft.ok()) return draft.status();
    absl::StatusOr<Contract> contract = NewContract(*std::move(draft), call.now);
    if (!contract.ok()) return contract.status();
    absl::StatusOr<Contract> created = stores_.commerce->CreateContract(
        MutationFor(call, "CreateContract", *request, request->request_id()), *contract,
        [&](const AccountView& v) { return MayWorkOn(call.principal, v.works_on, v.account); });
    if (!created.ok()) return HideExistence(created.status(), call.principal);
    ToProto(*created, response->mutable_contract());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::SignContract(grpc::CallbackServerContext* context,
                                                           const v1::SignContractRequest* request,
                                                           v1::SignContractResponse* response) {
  return handler_.Run(context, kSignContract, [=](const CallContext& call) -> absl::Status {
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    if (auto s = CheckId("contract_id", request->contract_id()); !s.ok()) return s;
    absl::StatusOr<absl::Time> sign_time =
        RequiredTime("sign_time", request->sign_time(), request->has_sign_time());
    if (!sign_time.ok()) return sign_time.status();
    absl::StatusOr<Contract> signed_contract = stores_.commerce->SignContract(
        MutationFor(call, "SignContract", *request, request->request_id()), request->contract_id(),
        [&](const AccountView& v) { return MayWorkOn(call.principal, v.works_on, v.account); },
        [&](const Contract& current) { return Sign(current, *sign_time, call.now); });
    if (!signed_contract.ok()) return HideExistence(signed_contract.status(), call.principal);
    ToProto(*signed_contract, response->mutable_contract());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListContracts(grpc::CallbackServerContext* context,
                                                            const v1::ListContractsRequest* request,
                                                            v1::ListContractsResponse* response) {
  return handler_.Run(context, kListContracts, [=](const CallContext& call) -> absl::Status {
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    absl::StatusOr<int> page_size = NormalizePageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    const std::string digest = PageTokenKey(call, "ListContracts", *request);
    absl::StatusOr<int64_t> after = DecodePageToken(request->page_token(), digest);
    if (!after.ok()) return after.status();
    if (!SeesFinancials(call.principal)) return NoAccess();
    if (auto a = ReadableAccount(call, request->account_id()); !a.ok()) return a.status();
    absl::StatusOr<Page<Contract>> page =
        stores_.commerce->ListContracts(request->account_id(), *after, *page_size);
    if (!page.ok()) return page.status();
    for (const Contract& c : page->items) ToProto(c, response->add_contracts());
    if (page->more) response->set_next_page_token(EncodePageToken(page->items.back().id, digest));
    return absl::OkStatus();
  });
}

// ---- orders and payments ----

grpc::ServerUnaryReactor* AccountServiceImpl::RecordOrder(grpc::CallbackServerContext* context,
                                                          const v1::RecordOrderRequest* request,
                                                          v1::RecordOrderResponse* response) {
  return handler_.Run(context, kRecordOrder, [=](const CallContext& call) -> absl::Status {
    // Roles that may never record sales are refused before any database work.
    if (!CanRecordSales(call.principal, /*works_on=*/true)) return NoAccess();
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    absl::StatusOr<Order> order = ValidOrder(request->order(), call.now);
    if (!order.ok()) return order.status();
    absl::StatusOr<Order> recorded = stores_.commerce->RecordOrder(
        MutationFor(call, "RecordOrder", *request, request->request_id()), *order,
        [&](const AccountView& v) { return MayRecordSales(call.principal, v.works_on); },
        [&](const CreditPosition& position) {
          return CheckCreditGate(position, order->revenue_minor, call.now, kCurrency);
        });
    if (!recorded.ok()) return HideExistence(recorded.status(), call.principal);
    ToProto(*recorded, response->mutable_order());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::RecordPayment(grpc::CallbackServerContext* context,
                                                            const v1::RecordPaymentRequest* request,
                                                            v1::RecordPaymentResponse* response) {
  return handler_.Run(context, kRecordPayment, [=](const CallContext& call) -> absl::Status {
    // Roles that may never record sales are refused before any database work.
    if (!CanRecordSales(call.principal, /*works_on=*/true)) return NoAccess();
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    absl::StatusOr<Payment> payment = ValidPayment(request->payment(), call.now);
    if (!payment.ok()) return payment.status();
    absl::StatusOr<Payment> recorded = stores_.commerce->RecordPayment(
        MutationFor(call, "RecordPayment", *request, request->request_id()), *payment,
        [&](const AccountView& v) { return MayRecordSales(call.principal, v.works_on); });
    if (!recorded.ok()) return HideExistence(recorded.status(), call.principal);
    ToProto(*recorded, response->mutable_payment());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ImportOrders(grpc::CallbackServerContext* context,
                                                           const v1::ImportOrdersRequest* request,
                                                           v1::ImportOrdersResponse* response) {
  return handler_.Run(context, kImportOrders, [=](const CallContext& call) -> absl::Status {
    if (!CanImport(call.principal)) return absl::PermissionDeniedError("imports are for the ERP");
    if (auto s = CheckBatchSize("orders", request->orders_size()); !s.ok()) return s;
    const Mutation mutation = ImportMutation(call);
    const auto admit = [&](const AccountView& v) {
      return MayRecordSales(call.principal, v.works_on);
    };
    ImportTally tally;
    for (int i = 0; i < request->orders_size(); ++i) {
      const v1::Order& item = request->orders(i);
      absl::StatusOr<Order> order = ValidOrder(item, call.now);
      absl::StatusOr<Recorded<Order>> done = absl::UnknownError("not tried");
      if (!order.ok()) {
        done = order.status();
      } else if (DeadlinePassed(call)) {
        done = kDeadlinePassed;
      } else {
        const auto gate = [&](const CreditPosition& position) {
          return CheckCreditGate(position, order->revenue_minor, call.now, kCurrency);
        };
        done = stores_.commerce->ImportOrder(mutation, *order, admit, gate);
      }
      tally.Add(i, item.external_id(), done.status(), done.ok() ? done->record.id : 0,
                done.ok() && done->duplicate, response);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ImportPayments(
    grpc::CallbackServerContext* context, const v1::ImportPaymentsRequest* request,
    v1::ImportPaymentsResponse* response) {
  return handler_.Run(context, kImportPayments, [=](const CallContext& call) -> absl::Status {
    if (!CanImport(call.principal)) return absl::PermissionDeniedError("imports are for the ERP");
    if (auto s = CheckBatchSize("payments", request->payments_size()); !s.ok()) return s;
    const Mutation mutation = ImportMutation(call);
    const auto admit = [&](const AccountView& v) {
      return MayRecordSales(call.principal, v.works_on);
    };
    ImportTally tally;
    for (int i = 0; i < request->payments_size(); ++i) {
      const v1::Payment& item = request->payments(i);
      absl::StatusOr<Payment> payment = ValidPayment(item, call.now);
      absl::StatusOr<Recorded<Payment>> done = absl::UnknownError("not tried");
      if (!payment.ok()) {
        done = payment.status();
      } else if (DeadlinePassed(call)) {
        done = kDeadlinePassed;
      } else {
        done = stores_.commerce->ImportPayment(mutation, *payment, admit);
      }
      tally.Add(i, item.external_id(), done.status(), done.ok() ? done->record.id : 0,
                done.ok() && done->duplicate, response);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListOrders(grpc::CallbackServerContext* context,
                                                         const v1::ListOrdersRequest* request,
                                                         v1::ListOrdersResponse* response) {
  return handler_.Run(context, kListOrders, [=](const CallContext& call) -> absl::Status {
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    absl::StatusOr<std::optional<SalesPeriod>> period =
        PeriodFrom(request->period(), request->has_period(), /*required=*/false);
    if (!period.ok()) return period.status();
    absl::StatusOr<int> page_size = NormalizePageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    const std::string digest = PageTokenKey(call, "ListOrders", *request);
    absl::StatusOr<int64_t> after = DecodePageToken(request->page_token(), digest);
    if (!after.ok()) return after.status();
    if (!SeesFinancials(call.principal)) return NoAccess();
    if (auto a = ReadableAccount(call, request->account_id()); !a.ok()) return a.status();
    absl::StatusOr<Page<Order>> page =
        stores_.commerce->ListOrders(request->account_id(), *period, *after, *page_size);
    if (!page.ok()) return page.status();
    for (const Order& o : page->items) ToProto(o, response->add_orders());
    if (page->more) response->set_next_page_token(EncodePageToken(page->items.back().id, digest));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListPayments(grpc::CallbackServerContext* context,
                                                           const v1::ListPaymentsRequest* request,
                                                           v1::ListPaymentsResponse* response) {
  return handler_.Run(context, kListPayments, [=](const CallContext& call) -> absl::Status {
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    absl::StatusOr<int> page_size = NormalizePageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    const std::string digest = PageTokenKey(call, "ListPayments", *request);
    absl::StatusOr<int64_t> after = DecodePageToken(request->page_token(), digest);
    if (!after.ok()) return after.status();
    if (!SeesFinancials(call.principal)) return NoAccess();
    if (auto a = ReadableAccount(call, request->account_id()); !a.ok()) return a.status();
    absl::StatusOr<Page<Payment>> page =
        stores_.commerce->ListPayments(request->account_id(), *after, *page_size);
    if (!page.ok()) return page.status();
    for (const Payment& p : page->items) ToProto(p, response->add_payments());
    if (page->more) response->set_next_page_token(EncodePageToken(page->items.back().id, digest));
    return absl::OkStatus();
  });
}

// ---- group summary ----

grpc::ServerUnaryReactor* AccountServiceImpl::GetGroupSummary(
    grpc::CallbackServerContext* context, const v1::GetGroupSummaryRequest* request,
    v1::GetGroupSummaryResponse* response) {
  return handler_.Run(context, kGetGroupSummary, [=](const CallContext& call) -> absl::Status {
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    absl::StatusOr<std::optional<SalesPeriod>> period =
        PeriodFrom(request->period(), request->has_period(), /*required=*/true);
    if (!period.ok()) return period.status();
    if (!SeesFinancials(call.principal)) return NoAccess();
    if (auto a = ReadableAccount(call, request->account_id()); !a.ok()) return a.status();
    // A manager's summary counts only the subsidiaries they work on (partial is then set).
    const std::string member = SeesAllAccounts(call.principal) ? "" : call.principal.subject;
    absl::StatusOr<GroupTotals> totals =
        stores_.commerce->GroupTotalsOf(request->account_id(), **period, member);
    if (!totals.ok()) return totals.status();
    absl::StatusOr<GroupSummary> summary = Summarize(*totals);
    if (!summary.ok()) return summary.status();
    ToProto(*summary, response->mutable_summary());
    return absl::OkStatus();
  });
}

}  // namespace kam::accounts
