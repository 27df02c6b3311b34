#include "tools/kamctl/import.h"

#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::accounts::v1;

absl::Status LineError(std::string_view text, std::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("\"", std::string(text), "\": ", std::string(problem)));
}

absl::StatusOr<v1::Money> MoneyPart(std::string_view line, std::string_view name,
                                    std::string_view text) {
  absl::StatusOr<int64_t> minor_units = ParseMoney(text);
  if (!minor_units.ok()) {
    return LineError(line, absl::StrCat(std::string(name), ": ", minor_units.status().message()));
  }
  v1::Money money;
  money.set_currency_code(kCurrency);
  money.set_minor_units(*minor_units);
  return money;
}

}  // namespace

absl::StatusOr<v1::OrderLine> ParseOrderLine(std::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(std::string(text), ',');
  for (std::string& part : parts) absl::StripAsciiWhitespace(&part);
  if (parts.size() < 5) {
    return LineError(text, "expected CODE,CATEGORY,QUANTITY,REVENUE,COST");
  }
  const size_t n = parts.size();
  v1::OrderLine line;
  line.set_product_code(parts[0]);
  line.set_product_category(absl::StrJoin(parts.begin() + 1, parts.end() - 3, ","));
  int64_t quantity = 0;
  if (!absl::SimpleAtoi(parts[n - 3], &quantity) || quantity <= 0) {
    return LineError(text,
                     absl::StrCat("quantity \"", parts[n - 3], "\" is not a whole number > 0"));
  }
  line.set_quantity(quantity);
  absl::StatusOr<v1::Money> revenue = MoneyPart(text, "revenue", parts[n - 2]);
  if (!revenue.ok()) return revenue.status();
  absl::StatusOr<v1::Money> cost = MoneyPart(text, "cost", parts[n - 1]);
  if (!cost.ok()) return cost.status();
  *line.mutable_revenue() = *std::move(revenue);
  *line.mutable_cost() = *std::move(cost);
  return line;
}

absl::Status ParseJsonArray(std::string_view json,
                            const std::function<google::protobuf::Message*()>& add) {
  const nlohmann::json items = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (items.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  if (!items.is_array()) return absl::InvalidArgumentError("expected a JSON array of items");
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a misspelt field must not pass unnoticed
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("item ", i, ": expected an object"));
    }
    const auto status =
        google::protobuf::util::JsonStringToMessage(items[i].dump(), add(), options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("item ", i, ": ", status.message().ToString()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadInput(const std::string& path) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  text << file.rdbuf();
  return text.str();
}

bool IsApplied(int32_t code) {
  return code == static_cast<int32_t>(absl::StatusCode::kOk) ||
         code == static_cast<int32_t>(absl::StatusCode::kAlreadyExists);
}

std::string ImportOutcome(int32_t code) {
  switch (static_cast<absl::StatusCode>(code)) {
    case absl::StatusCode::kOk:
      return "recorded";
    case absl::StatusCode::kAlreadyExists:
      return "duplicate";
    default:
      return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  }
}

}  // namespace kam::kamctl
