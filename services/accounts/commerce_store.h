#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "services/accounts/commerce.h"
#include "services/accounts/store_support.h"

namespace kam::accounts {

// How contracts, orders, payments and credit records appear in audit rows, idempotent
// responses and their outbox events (FillCommerceEvent reads them back).
nlohmann::json ToJson(const Contract& contract);
nlohmann::json ToJson(const Order& order);
nlohmann::json ToJson(const Payment& payment);
nlohmann::json ToJson(const CreditReport& report);
nlohmann::json ToJson(const CreditOverride& override);
Contract ContractFromJson(const nlohmann::json& j);
Order OrderFromJson(const nlohmann::json& j);
Payment PaymentFromJson(const nlohmann::json& j);
CreditReport CreditReportFromJson(const nlohmann::json& j);
CreditOverride CreditOverrideFromJson(const nlohmann::json& j);

// An order or payment after an import attempt: recorded now, or found recorded before with
// the same content (`duplicate`).
template <typename T>
struct Recorded {
  T record;
  bool duplicate = false;
};

// The only code that talks SQL for contracts, orders, payments, credit reports and
// overrides, and the group summary. Every mutation runs in one transaction that holds the
// account's row lock, writes its rows, then the audit row and the outbox event (last).
class CommerceStore {
 public:
  explicit CommerceStore(DbPool& pool) : pool_(pool) {}

  // Decides, under the account's row lock, whether the caller may go on: access rules and
  // the account's state. The store reports NOT_FOUND for a missing account itself.
  using AccountRule = std::function<absl::Status(const AccountView& account)>;
  // The credit gate for one order: the override id the order needs (0 for none), or why
  // it is refused (see CheckCreditGate).
  using CreditRule = std::function<absl::StatusOr<int64_t>(const CreditPosition& position)>;

  // ALREADY_EXISTS naming contract.number when the number is taken; INVALID_ARGUMENT
  // naming contract.opportunity_id when it is not an opportunity of the account.
  absl::StatusOr<Contract> CreateContract(const Mutation& m, const Contract& contract,
                                          const AccountRule& admit);
  // Reads the contract and its account under row locks and lets `sign` decide.
  // NOT_FOUND when no contract has `id`.
  using SignRule = std::function<absl::StatusOr<Contract>(const Contract& current)>;
  absl::StatusOr<Contract> SignContract(const Mutation& m, int64_t id, const AccountRule& admit,
                                        const SignRule& sign);
  // The account's contracts with id > after_id, by id.
  absl::StatusOr<Page<Contract>> ListContracts(int64_t account_id, int64_t after_id, int page_size);

  // Records a validated order (NewOrder) once per request_id. The same external_id with
  // the same content returns the order recorded before; with other content it is
  // INVALID_ARGUMENT naming order.external_id. Inside the transaction the account and every
  // ancestor with a credit limit are locked root first, `gate` decides on the credit
  // position, and the account's receivables grow by the order's revenue.
  absl::StatusOr<Order> RecordOrder(const Mutation& m, const Order& order, const AccountRule& admit,
                                    const CreditRule& gate);
  // The same for one order of an import batch (no request_id: idempotent by external_id).
  absl::StatusOr<Recorded<Order>> ImportOrder(const Mutation& m, const Order& order,
                                              const AccountRule& admit, const CreditRule& gate);
  // Records a validated payment (NewPayment): idempotent by external_id like orders; the
  // account's receivables shrink by its amount. INVALID_ARGUMENT naming payment.order_id
  // when it is not an order of the account.
  absl::StatusOr<Payment> RecordPayment(const Mutation& m, const Payment& payment,
                                        const AccountRule& admit);
  absl::StatusOr<Recorded<Payment>> ImportPayment(const Mutation& m, const Payment& payment,
                                                  const AccountRule& admit);
  // Newest first (order_time, then id), optionally within `period`, with their lines; after
  // the order `after_id` (0: from the start). INVALID_ARGUMENT on page_token when after_id
  // is not an order of the account. A page holding very many lines may hold fewer orders.
  absl::StatusOr<Page<Order>> ListOrders(int64_t account_id,
                                         const std::optional<SalesPeriod>& period, int64_t after_id,
                                         int page_size);
  // Newest first (pay_time, then id), after the payment `after_id` (0: from the start).
  absl::StatusOr<Page<Payment>> ListPayments(int64_t account_id, int64_t after_id, int page_size);

  absl::StatusOr<CreditReport> CreateCreditReport(const Mutation& m, const CreditReport& report,
                                                  const AccountRule& admit);
  // Newest first, ids below `before_id` (0: from the newest).
  absl::StatusOr<Page<CreditReport>> ListCreditReports(int64_t account_id, int64_t before_id,
                                                       int page_size);
  absl::StatusOr<CreditOverride> GrantCreditOverride(const Mutation& m,
                                                     const CreditOverride& override,
                                                     const AccountRule& admit);

  // Totals over account `account_id` and all its descendants, computed by the database;
  // with a non-empty `member_id`, only the accounts that member works on are included.
  // INVALID_ARGUMENT naming summary.<field> when a total leaves int64.
  absl::StatusOr<GroupTotals> GroupTotalsOf(int64_t account_id, const SalesPeriod& period,
                                            const std::string& member_id);

 private:
  DbPool& pool_;
};

}  // namespace kam::accounts
