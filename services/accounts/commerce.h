#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/accounts/workflow.h"
#include "services/common/identity.h"

// Domain types and pure rules of contracts, orders, payments, credit and group totals: no
// gRPC, no SQL, time passed in. Money is int64 minor units of the deployment's one currency.
namespace kam::accounts {

// Numbering matches kam.accounts.v1 so that the edge converts with a cast.
enum class CreditReportKind { kUnspecified, kRoutine, kUrgent };
enum class CreditSource { kUnspecified, kBank, kCreditAgency, kPeers, kInternal };

struct Contract {
  int64_t id = 0;
  int64_t account_id = 0;
  std::string number;
  int64_t value_minor = 0;
  absl::Time start_time;
  absl::Time end_time;
  std::optional<absl::Time> sign_time;  // unset: a draft
  int64_t opportunity_id = 0;           // 0: none
  absl::Time create_time;
};

struct OrderLine {
  std::string product_code;
  std::string product_category;
  int64_t quantity = 0;
  int64_t revenue_minor = 0;
  int64_t cost_minor = 0;
};

struct Order {
  int64_t id = 0;
  int64_t account_id = 0;
  std::string external_id;
  int64_t contract_id = 0;  // 0: none
  absl::Time order_time;
  std::vector<OrderLine> lines;
  int64_t revenue_minor = 0;       // sum of the lines
  int64_t cost_minor = 0;          // sum of the lines
  int64_t credit_override_id = 0;  // the override that let it through the gate; 0: none
  absl::Time create_time;
};

struct Payment {
  int64_t id = 0;
  int64_t account_id = 0;
  std::string external_id;
  int64_t amount_minor = 0;
  absl::Time pay_time;
  int64_t order_id = 0;  // 0: none
  absl::Time create_time;
};

struct CreditReport {
  int64_t id = 0;
  int64_t account_id = 0;
  CreditReportKind kind = CreditReportKind::kUnspecified;
  CreditSource source = CreditSource::kUnspecified;
  std::string summary;
  CreditRating suggested_rating = CreditRating::kUnspecified;
  std::string author_id;
  absl::Time create_time;
};

struct CreditOverride {
  int64_t id = 0;
  int64_t account_id = 0;
  int64_t allowance_minor = 0;
  std::string reason;
  absl::Time expire_time;
  std::string director_id;
  absl::Time create_time;
};

// A half-open time range [start, end) of orders and payments.
struct SalesPeriod {
  absl::Time start;
  absl::Time end;
};

// What the database sums over a group for GetGroupSummary (only the accounts the caller
// may see are included).
struct GroupTotals {
  int64_t account_id = 0;
  int32_t accounts_total = 0;
  int32_t accounts_included = 0;
  int64_t revenue_minor = 0;
  int64_t cost_minor = 0;
  int64_t payments_minor = 0;
  int64_t open_pipeline_minor = 0;
  int64_t weighted_pipeline_minor = 0;
  int64_t receivables_minor = 0;
  int64_t credit_limit_minor = 0;  // the group account's own; 0: none
};

struct GroupSummary {
  GroupTotals totals;
  bool partial = false;
  int64_t gross_profit_minor = 0;
  int32_t collection_rate_bp = 0;
  int64_t credit_exposure_minor = 0;
  int64_t credit_available_minor = 0;
  bool over_limit = false;
};

// One credit limit an order counts against: the limit of `account_id` and the receivables
// of its whole subtree now.
struct CreditLimit {
  int64_t account_id = 0;
  int64_t limit_minor = 0;  // > 0
  int64_t exposure_minor = 0;
};

// What the credit gate looks at, read under the row locks of the order's transaction.
struct CreditPosition {
  int64_t account_id = 0;
  AccountStatus status = AccountStatus::kUnspecified;
  bool archived = false;
  // Every limit set on the account itself or on one of its ancestors, nearest first.
  std::vector<CreditLimit> limits;
  // Overrides granted for this account (expired ones are ignored).
  std::vector<CreditOverride> overrides;
};

// ---- Money ----

// "5,000.00 CNY" (two decimals: minor units are hundredths).
std::string FormatMoney(int64_t minor_units, std::string_view currency);
// a + b, or INVALID_ARGUMENT naming `field` when the result leaves int64.
absl::StatusOr<int64_t> AddMoney(std::string_view field, int64_t a, int64_t b);
absl::StatusOr<int64_t> SubtractMoney(std::string_view field, int64_t a, int64_t b);
// payments / revenue in basis points (10000 = 100%), rounded down; 0 without revenue;
// at most INT32_MAX (payments can exceed revenue by far when old debts are paid).
int32_t CollectionRateBp(int64_t payments_minor, int64_t revenue_minor);

// ---- Access ----

// Orders and payments one at a time: directors, admins, system callers (ERP) and managers
// who work on the account.
bool CanRecordSales(const Principal& caller, bool works_on);
// ERP batch imports: system callers and admins.
bool CanImport(const Principal& caller);
// Credit overrides: directors and admins.
bool CanGrantOverride(const Principal& caller);

// The caller may record work (contracts, credit reports) on the account: CanWork, else
// PERMISSION_DENIED; FAILED_PRECONDITION when the account is archived (read-only).
absl::Status MayWorkOn(const Principal& caller, bool works_on, const Account& account);
// The caller may record orders and payments of the account (CanRecordSales), else
// PERMISSION_DENIED. Whether the account takes them is decided after the duplicate check,
// so that a record sent again is found even if the account changed since.
absl::Status MayRecordSales(const Principal& caller, bool works_on);
// Payments are refused (FAILED_PRECONDITION) only for archived, read-only accounts; orders
// pass CheckCreditGate instead.
absl::Status CheckTakesPayments(const Account& account);

// ---- Rules ----

// The contract as it will be created: number 1-64 of [A-Za-z0-9-/_], value >= 0, start
// before end, no signature yet. INVALID_ARGUMENT naming "contract.<field>".
absl::StatusOr<Contract> NewContract(Contract draft, absl::Time now);
// Signs `current` at `sign_time`: not in the future (5 minutes of clock skew allowed).
// FAILED_PRECONDITION when it is already signed.
absl::StatusOr<Contract> Sign(Contract current, absl::Time sign_time, absl::Time now);

// Checks an order's fields (INVALID_ARGUMENT naming "order.<field>", lines as
// "order.lines[i].<field>") and fills in revenue and cost as sums of its lines.
absl::StatusOr<Order> NewOrder(Order draft, absl::Time now);
// A payment's fields: external id, amount > 0. INVALID_ARGUMENT naming "payment.<field>".
absl::StatusOr<Payment> NewPayment(Payment draft, absl::Time now);
// SHA-256 (hex) of a canonical serialisation of what the ERP sent: the same external id
// with the same fingerprint is the same order or payment sent again.
std::string OrderFingerprint(const Order& order);
std::string PaymentFingerprint(const Payment& payment);

absl::StatusOr<CreditReport> NewCreditReport(CreditReport draft, const std::string& author,
                                             absl::Time now);
// allowance > 0, reason 1-500, expiry in the future and at most 90 days ahead.
absl::StatusOr<CreditOverride> NewCreditOverride(CreditOverride draft, const std::string& director,
                                                 absl::Time now);

// The credit gate (交易中止 and credit limits) for a new order of `revenue_minor`.
// FAILED_PRECONDITION, saying why, when the account is archived, when its supply is
// suspended, or when the order would take the receivables under any limit in `position`
// past that limit; unless an override of the account is in force: then suspension is
// waived and each limit is raised by the largest allowance in force. Returns the id of the
// override the order needed, 0 when it passes on its own.
absl::StatusOr<int64_t> CheckCreditGate(const CreditPosition& position, int64_t revenue_minor,
                                        absl::Time now, std::string_view currency);

// A period from a request: start before end. INVALID_ARGUMENT naming `field`.
absl::Status CheckPeriod(std::string_view field, const SalesPeriod& period);

// The summary a caller sees from the database's totals: gross profit, collection rate,
// credit exposure and availability. INVALID_ARGUMENT naming "summary.<field>" if a figure
// leaves int64.
absl::StatusOr<GroupSummary> Summarize(const GroupTotals& totals);

}  // namespace kam::accounts
