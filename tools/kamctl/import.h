#pragma once

#include <google/protobuf/message.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kam/accounts/v1/commerce.pb.h"

namespace kam::kamctl {

// The most items one ImportOrders or ImportPayments call takes.
inline constexpr int kImportBatchSize = 1000;

// "CODE,CATEGORY,QTY,REVENUE,COST" -> an order line; revenue and cost in CNY (1234.56). The
// category is everything between the code and the last three fields, so it may contain
// commas. INVALID_ARGUMENT naming the part that is wrong.
absl::StatusOr<kam::accounts::v1::OrderLine> ParseOrderLine(std::string_view text);

// Parses a JSON array whose items are messages in the proto JSON form; `add` gives the
// message to fill for each item in turn. INVALID_ARGUMENT names the item (from 0).
absl::Status ParseJsonArray(std::string_view json,
                            const std::function<google::protobuf::Message*()>& add);

// The file's content, or standard input for "-".
absl::StatusOr<std::string> ReadInput(const std::string& path);

// True when an import item is recorded: now (OK) or before (ALREADY_EXISTS).
bool IsApplied(int32_t code);

// How an import item ended: "recorded", "duplicate", or the code's name for the others.
std::string ImportOutcome(int32_t code);

}  // namespace kam::kamctl
