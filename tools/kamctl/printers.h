#pragma once

#include <string>

#include "kam/accounts/v1/archive.pb.h"

namespace kam::kamctl {

// "12,345.67 CNY".
std::string Amount(const kam::accounts::v1::Money& money);

// A credit limit: "no limit" for zero, empty when hidden from the caller.
std::string CreditLimitText(bool present, const kam::accounts::v1::Money& limit);

// An AccountChange value as kamctl shows it: tier "A", rating "AA", a limit as an amount,
// parent "none" for 0; owners as they are.
std::string HistoryValue(kam::accounts::v1::HistoryKind kind, const std::string& raw);

// The account as "key: value" lines; business data only when the caller may see it.
void PrintAccount(const kam::accounts::v1::Account& account);

}  // namespace kam::kamctl
