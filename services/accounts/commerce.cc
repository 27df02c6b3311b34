#include "services/accounts/commerce.h"

#include <openssl/sha.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "services/common/validation.h"

namespace kam::accounts {
namespace {

constexpr size_t kMaxLines = 500;
constexpr size_t kMaxCodeChars = 64;
constexpr absl::Duration kSignClockSkew = absl::Minutes(5);
constexpr absl::Duration kLongestOverride = absl::Hours(24 * 90);
constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

// 1-max characters, each a letter, a digit or one of `punctuation`.
absl::Status CheckCode(std::string_view field, std::string_view value, size_t max_chars,
                       std::string_view punctuation) {
  if (value.empty()) return InvalidField(field, "required");
  if (value.size() > max_chars) {
    return InvalidField(field, absl::StrCat("longer than ", max_chars, " characters"));
  }
  for (char c : value) {
    if (!absl::ascii_isalnum(c) && punctuation.find(c) == std::string_view::npos) {
      return InvalidField(
          field, absl::StrCat("may hold only letters, digits and ", std::string(punctuation)));
    }
  }
  return absl::OkStatus();
}

// ERP ids: printable ASCII without spaces. Spaces are refused because the unique key
// compares PAD SPACE ("A1 " would collide with "A1").
absl::Status CheckExternalId(std::string_view field, std::string_view value) {
  if (value.empty()) return InvalidField(field, "required");
  if (value.size() > kMaxCodeChars) return InvalidField(field, "longer than 64 characters");
  for (char c : value) {
    if (c < 0x21 || c > 0x7e) {
      return InvalidField(field, "must be printable ASCII without spaces");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckLine(const std::string& prefix, const OrderLine& line) {
  if (auto s = CheckCode(prefix + ".product_code", line.product_code, kMaxCodeChars, "-_./");
      !s.ok()) {
    return s;
  }
  if (auto s = CheckText(prefix + ".product_category", line.product_category, 100, true); !s.ok()) {
    return s;
  }
  if (line.quantity <= 0) return InvalidField(prefix + ".quantity", "must be positive");
  if (line.revenue_minor < 0) return InvalidField(prefix + ".revenue", "must not be negative");
  if (line.cost_minor < 0) return InvalidField(prefix + ".cost", "must not be negative");
  return absl::OkStatus();
}

std::string Sha256Hex(const std::string& bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

// The override with the largest allowance among those in force at `now`.
const CreditOverride* LargestInForce(const std::vector<CreditOverride>& overrides, absl::Time now) {
  const CreditOverride* best = nullptr;
  for (const CreditOverride& o : overrides) {
    if (o.expire_time <= now) continue;
    if (best == nullptr || o.allowance_minor > best->allowance_minor) best = &o;
  }
  return best;
}

std::string LimitHolder(const CreditPosition& position, const CreditLimit& limit) {
  return limit.account_id == position.account_id ? absl::StrCat("account ", limit.account_id)
                                                 : absl::StrCat("group ", limit.account_id);
}

}  // namespace

std::string FormatMoney(int64_t minor_units, std::string_view currency) {
  // The magnitude as unsigned, so that INT64_MIN formats too.
  const bool negative = minor_units < 0;
  const uint64_t magnitude = negative ? uint64_t{0} - static_cast<uint64_t>(minor_units)
                                      : static_cast<uint64_t>(minor_units);
  const std::string units = absl::StrCat(magnitude / 100);
  std::string grouped;
  for (size_t i = 0; i < units.size(); ++i) {
    if (i > 0 && (units.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(units[i]);
  }
  const uint64_t cents = magnitude % 100;
  return absl::StrCat(negative ? "-" : "", grouped, ".", cents < 10 ? "0" : "", cents, " ",
                      std::string(currency));
}

absl::StatusOr<int64_t> AddMoney(std::string_view field, int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    return InvalidField(field, "the total exceeds the largest amount that can be kept");
  }
  return sum;
}

absl::StatusOr<int64_t> SubtractMoney(std::string_view field, int64_t a, int64_t b) {
  int64_t difference = 0;
  if (__builtin_sub_overflow(a, b, &difference)) {
    return InvalidField(field, "the result exceeds the largest amount that can be kept");
  }
  return difference;
}

int32_t CollectionRateBp(int64_t payments_minor, int64_t revenue_minor) {
  if (revenue_minor <= 0) return 0;
  // 128 bits: payments * 10000 leaves int64 above about 92 billion CNY.
  const __int128 rate = static_cast<__int128>(payments_minor) * 10000 / revenue_minor;
  if (rate > std::numeric_limits<int32_t>::max()) return std::numeric_limits<int32_t>::max();
  if (rate < 0) return 0;
  return static_cast<int32_t>(rate);
}

bool CanRecordSales(const Principal& caller, bool works_on) {
  return caller.HasAnyRole({"admin", "director", "system"}) ||
         (caller.HasRole("account_manager") && works_on);
}

bool CanImport(const Principal& caller) { return caller.HasAnyRole({"admin", "system"}); }

bool CanGrantOverride(const Principal& caller) { return caller.HasAnyRole({"admin", "director"}); }

absl::Status MayWorkOn(const Principal& caller, bool works_on, const Account& account) {
  if (!CanWork(caller, works_on)) return absl::PermissionDeniedError("no access to this account");
  if (account.archived) {
    return absl::FailedPreconditionError(absl::StrCat("account ", account.id, " is archived"));
  }
  return absl::OkStatus();
}

absl::Status MayRecordSales(const Principal& caller, bool works_on) {
  if (!CanRecordSales(caller, works_on)) {
    return absl::PermissionDeniedError("no access to this account");
  }
  return absl::OkStatus();
}

absl::Status CheckTakesPayments(const Account& account) {
  if (account.archived) {
    return absl::FailedPreconditionError(absl::StrCat("account ", account.id, " is archived"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Contract> NewContract(Contract draft, absl::Time now) {
  if (auto s = CheckCode("contract.number", draft.number, kMaxCodeChars, "-/_"); !s.ok()) return s;
  if (draft.value_minor < 0) return InvalidField("contract.value", "must not be negative");
  if (draft.start_time >= draft.end_time) {
    return InvalidField("contract.end_time", "must be after contract.start_time");
  }
  if (draft.opportunity_id < 0) {
    return InvalidField("contract.opportunity_id", "must be a positive id or 0 for none");
  }
  draft.id = 0;
  draft.sign_time.reset();
  draft.create_time = now;
  return draft;
}

absl::StatusOr<Contract> Sign(Contract current, absl::Time sign_time, absl::Time now) {
  if (current.sign_time) {
    return absl::FailedPreconditionError(
        absl::StrCat("contract ", current.number, " is already signed"));
  }
  if (sign_time > now + kSignClockSkew) return InvalidField("sign_time", "is in the future");
  current.sign_time = sign_time;
  return current;
}

absl::StatusOr<Order> NewOrder(Order draft, absl::Time now) {
  if (auto s = CheckExternalId("order.external_id", draft.external_id); !s.ok()) return s;
  if (draft.contract_id < 0) {
    return InvalidField("order.contract_id", "must be a positive id or 0 for none");
  }
  if (draft.lines.empty()) return InvalidField("order.lines", "required: at least one line");
  if (draft.lines.size() > kMaxLines) return InvalidField("order.lines", "more than 500 lines");
  int64_t revenue = 0;
  int64_t cost = 0;
  for (size_t i = 0; i < draft.lines.size(); ++i) {
    const std::string prefix = absl::StrCat("order.lines[", i, "]");
    if (auto s = CheckLine(prefix, draft.lines[i]); !s.ok()) return s;
    absl::StatusOr<int64_t> r =
        AddMoney(prefix + ".revenue", revenue, draft.lines[i].revenue_minor);
    if (!r.ok()) return r.status();
    absl::StatusOr<int64_t> c = AddMoney(prefix + ".cost", cost, draft.lines[i].cost_minor);
    if (!c.ok()) return c.status();
    revenue = *r;
    cost = *c;
  }
  draft.id = 0;
  draft.revenue_minor = revenue;
  draft.cost_minor = cost;
  draft.credit_override_id = 0;
  draft.create_time = now;
  return draft;
}

absl::StatusOr<Payment> NewPayment(Payment draft, absl::Time now) {
  if (auto s = CheckExternalId("payment.external_id", draft.external_id); !s.ok()) return s;
  if (draft.amount_minor <= 0) return InvalidField("payment.amount", "must be positive");
  if (draft.order_id < 0) {
    return InvalidField("payment.order_id", "must be a positive id or 0 for none");
  }
  draft.id = 0;
  draft.create_time = now;
  return draft;
}

std::string OrderFingerprint(const Order& order) {
  nlohmann::json lines = nlohmann::json::array();
  for (const OrderLine& l : order.lines) {
    lines.push_back(
        {l.product_code, l.product_category, l.quantity, l.revenue_minor, l.cost_minor});
  }
  const nlohmann::json canonical = {"order",
                                    order.account_id,
                                    order.external_id,
                                    order.contract_id,
                                    absl::ToUnixMicros(order.order_time),
                                    lines};
  return Sha256Hex(canonical.dump());
}

std::string PaymentFingerprint(const Payment& payment) {
  const nlohmann::json canonical = {"payment",
                                    payment.account_id,
                                    payment.external_id,
                                    payment.amount_minor,
                                    absl::ToUnixMicros(payment.pay_time),
                                    payment.order_id};
  return Sha256Hex(canonical.dump());
}

absl::StatusOr<CreditReport> NewCreditReport(CreditReport draft, const std::string& author,
                                             absl::Time now) {
  if (auto s = CheckEnum("report.kind", static_cast<int>(draft.kind), 2, true); !s.ok()) return s;
  if (auto s = CheckEnum("report.source", static_cast<int>(draft.source), 4, true); !s.ok()) {
    return s;
  }
  if (auto s = CheckText("report.summary", draft.summary, 2000, true); !s.ok()) return s;
  if (auto s =
          CheckEnum("report.suggested_rating", static_cast<int>(draft.suggested_rating), 7, false);
      !s.ok()) {
    return s;
  }
  draft.id = 0;
  draft.author_id = author;
  draft.create_time = now;
  return draft;
}

absl::StatusOr<CreditOverride> NewCreditOverride(CreditOverride draft, const std::string& director,
                                                 absl::Time now) {
  if (draft.allowance_minor <= 0) return InvalidField("override.allowance", "must be positive");
  if (auto s = CheckText("override.reason", draft.reason, 500, true); !s.ok()) return s;
  if (draft.expire_time <= now)
    return InvalidField("override.expire_time", "must be in the future");
  if (draft.expire_time > now + kLongestOverride) {
    return InvalidField("override.expire_time", "at most 90 days ahead");
  }
  draft.id = 0;
  draft.director_id = director;
  draft.create_time = now;
  return draft;
}

absl::StatusOr<int64_t> CheckCreditGate(const CreditPosition& position, int64_t revenue_minor,
                                        absl::Time now, std::string_view currency) {
  if (position.archived) {
    return absl::FailedPreconditionError(
        absl::StrCat("account ", position.account_id, " is archived"));
  }
  const CreditOverride* override = LargestInForce(position.overrides, now);
  bool needs_override = false;
  if (position.status == AccountStatus::kSupplySuspended) {
    if (override == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("supply to account ", position.account_id, " is suspended"));
    }
    needs_override = true;
  }
  const int64_t allowance = override == nullptr ? 0 : override->allowance_minor;
  for (const CreditLimit& limit : position.limits) {
    if (limit.limit_minor <= 0) continue;  // 0: no limit
    // 128 bits: neither sum can overflow.
    const __int128 after = static_cast<__int128>(limit.exposure_minor) + revenue_minor;
    if (after <= limit.limit_minor) continue;
    if (after > static_cast<__int128>(limit.limit_minor) + allowance) {
      const int64_t shown = after > kMaxInt64 ? kMaxInt64 : static_cast<int64_t>(after);
      std::string message = absl::StrCat(
          "order of ", FormatMoney(revenue_minor, currency), " would take receivables of ",
          LimitHolder(position, limit), " to ", FormatMoney(shown, currency),
          ", past its credit limit ", FormatMoney(limit.limit_minor, currency));
      if (override != nullptr) {
        absl::StrAppend(&message, " (plus the override's allowance of ",
                        FormatMoney(allowance, currency), ")");
      }
      return absl::FailedPreconditionError(message);
    }
    needs_override = true;
  }
  return needs_override ? override->id : 0;
}

absl::Status CheckPeriod(std::string_view field, const SalesPeriod& period) {
  if (period.start >= period.end) {
    return InvalidField(absl::StrCat(std::string(field), ".end_time"),
                        "must be after the start_time");
  }
  return absl::OkStatus();
}

absl::StatusOr<GroupSummary> Summarize(const GroupTotals& totals) {
  GroupSummary summary;
  summary.totals = totals;
  summary.partial = totals.accounts_included < totals.accounts_total;
  absl::StatusOr<int64_t> gross =
      SubtractMoney("summary.gross_profit", totals.revenue_minor, totals.cost_minor);
  if (!gross.ok()) return gross.status();
  summary.gross_profit_minor = *gross;
  summary.collection_rate_bp = CollectionRateBp(totals.payments_minor, totals.revenue_minor);
  summary.credit_exposure_minor = totals.receivables_minor;
  if (totals.credit_limit_minor > 0) {
    absl::StatusOr<int64_t> available = SubtractMoney(
        "summary.credit_available", totals.credit_limit_minor, totals.receivables_minor);
    if (!available.ok()) return available.status();
    summary.credit_available_minor = *available;
    summary.over_limit = totals.receivables_minor > totals.credit_limit_minor;
  }
  return summary;
}

}  // namespace kam::accounts
