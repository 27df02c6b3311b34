#include "tools/kamctl/analytics_inputs.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tools/kamctl/output.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::analytics::v1;
using google::protobuf::FieldDescriptor;

// The service's range for years (period.h, AccountTarget.year).
constexpr int kFirstYear = 2000;
constexpr int kLastYear = 2100;

// Debian's abseil has its own string_view, which does not convert from std::string_view.
absl::string_view Absl(std::string_view text) { return {text.data(), text.size()}; }

bool Digits(std::string_view text, size_t count) {
  if (text.size() != count) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsYear(std::string_view text) {
  int year = 0;
  return Digits(text, 4) && absl::SimpleAtoi(Absl(text), &year) && year >= kFirstYear &&
         year <= kLastYear;
}

// A whole number from `min` to `max` written with digits only (no sign, no spaces).
bool ParseBounded(std::string_view text, int64_t min, int64_t max, int64_t* value) {
  if (text.empty() || text.size() > 18 || !Digits(text, text.size())) return false;
  return absl::SimpleAtoi(Absl(text), value) && *value >= min && *value <= max;
}

// One CSV file: its data lines split into trimmed fields, each with its line number.
struct CsvLine {
  int number = 0;
  std::vector<std::string> fields;
};

std::vector<CsvLine> DataLines(std::string_view text, std::string_view header) {
  std::vector<CsvLine> lines;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(Absl(text), '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);  // also a Windows line end's '\r'
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    for (std::string& field : fields) absl::StripAsciiWhitespace(&field);
    if (lines.empty() && absl::AsciiStrToLower(absl::StrJoin(fields, ",")) == header) continue;
    lines.push_back({number, std::move(fields)});
  }
  return lines;
}

absl::Status LineError(const CsvLine& line, const std::string& problem) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line.number, ": ", problem));
}

absl::Status FieldError(const CsvLine& line, const std::string& field, const std::string& problem) {
  return LineError(line, absl::StrCat(field, ": ", problem));
}

v1::Money Cny(int64_t minor_units) {
  v1::Money money;
  money.set_currency_code(kCurrency);
  money.set_minor_units(minor_units);
  return money;
}

// Money in CNY ("1234.56"); empty is 0 when `empty_is_zero`.
absl::Status MoneyField(const CsvLine& line, size_t index, const std::string& name,
                        bool empty_is_zero, v1::Money* money) {
  const std::string& text = line.fields[index];
  if (text.empty() && empty_is_zero) {
    *money = Cny(0);
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> minor_units = ParseMoney(text);
  if (!minor_units.ok()) return FieldError(line, name, std::string(minor_units.status().message()));
  *money = Cny(*minor_units);
  return absl::OkStatus();
}

absl::StatusOr<v1::InventorySnapshot> InventoryLine(const CsvLine& line) {
  if (line.fields.size() != 4) {
    return LineError(line, "expected 4 fields: product_code,month,value,quantity");
  }
  v1::InventorySnapshot snapshot;
  if (line.fields[0].empty()) return FieldError(line, "product_code", "empty");
  snapshot.set_product_code(line.fields[0]);
  if (!IsMonth(line.fields[1])) {
    return FieldError(line, "month", absl::StrCat("\"", line.fields[1], "\" is not YYYY-MM"));
  }
  snapshot.set_month(line.fields[1]);
  if (absl::Status s = MoneyField(line, 2, "value", false, snapshot.mutable_value()); !s.ok()) {
    return s;
  }
  int64_t quantity = 0;
  if (!line.fields[3].empty() &&
      !ParseBounded(line.fields[3], 0, std::numeric_limits<int64_t>::max(), &quantity)) {
    return FieldError(line, "quantity",
                      absl::StrCat("\"", line.fields[3], "\" is not a whole number >= 0"));
  }
  snapshot.set_quantity(quantity);
  return snapshot;
}

absl::StatusOr<v1::AccountTarget> TargetLine(const CsvLine& line) {
  if (line.fields.size() != 5) {
    return LineError(line,
                     "expected 5 fields: "
                     "account_id,year,expected_share_percent,wallet_estimate,industry_influence");
  }
  v1::AccountTarget target;
  int64_t number = 0;
  if (!ParseBounded(line.fields[0], 1, std::numeric_limits<int64_t>::max(), &number)) {
    return FieldError(line, "account_id",
                      absl::StrCat("\"", line.fields[0], "\" is not an account id"));
  }
  target.set_account_id(number);
  if (!IsYear(line.fields[1])) {
    return FieldError(line, "year",
                      absl::StrCat("\"", line.fields[1], "\" is not a year from ", kFirstYear,
                                   " to ", kLastYear));
  }
  target.set_year(std::stoi(line.fields[1]));
  absl::StatusOr<int32_t> share = ParsePercent(line.fields[2]);
  if (!share.ok())
    return FieldError(line, "expected_share_percent", std::string(share.status().message()));
  target.set_expected_share_bp(*share);
  if (absl::Status s =
          MoneyField(line, 3, "wallet_estimate", true, target.mutable_wallet_estimate());
      !s.ok()) {
    return s;
  }
  if (!ParseBounded(line.fields[4], 0, 100, &number)) {
    return FieldError(line, "industry_influence",
                      absl::StrCat("\"", line.fields[4], "\" is not a whole number from 0 to 100"));
  }
  target.set_industry_influence(static_cast<int32_t>(number));
  return target;
}

template <typename Item>
absl::StatusOr<std::vector<Item>> ParseCsv(std::string_view text, std::string_view header,
                                           absl::StatusOr<Item> (*parse)(const CsvLine&)) {
  std::vector<Item> items;
  for (const CsvLine& line : DataLines(text, header)) {
    absl::StatusOr<Item> item = parse(line);
    if (!item.ok()) return item.status();
    items.push_back(*std::move(item));
  }
  return items;
}

}  // namespace

bool IsPeriod(std::string_view text) {
  if (text.size() < 4 || !IsYear(text.substr(0, 4))) return false;
  const std::string_view rest = text.substr(4);
  if (rest.empty()) return true;
  if (rest.size() == 3 && rest[0] == '-' && rest[1] == 'Q') return rest[2] >= '1' && rest[2] <= '4';
  return IsMonth(text);
}

CLI::Validator PeriodValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (IsPeriod(text)) return "";
        return absl::StrCat("\"", text, "\" is not a period: a year (2026), a quarter (2026-Q3) ",
                            "or a month (2026-07), years ", kFirstYear, "-", kLastYear);
      },
      "PERIOD");
}

bool IsMonth(std::string_view text) {
  int month = 0;
  return text.size() == 7 && IsYear(text.substr(0, 4)) && text[4] == '-' &&
         Digits(text.substr(5), 2) && absl::SimpleAtoi(Absl(text.substr(5)), &month) &&
         month >= 1 && month <= 12;
}

CLI::Validator FractionValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double value = 0;
        if (absl::SimpleAtod(text, &value) && value >= 0 && value <= 1) return "";
        return "\"" + text + "\" is not a number from 0 to 1, e.g. 0.8";
      },
      "FRACTION");
}

std::string WeightNames() {
  std::vector<std::string> names;
  const auto* type = v1::ScoreWeights::descriptor();
  for (int i = 0; i < type->field_count(); ++i) names.push_back(type->field(i)->name());
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<v1::ScoreWeights> ParseWeights(const std::vector<std::string>& items) {
  v1::ScoreWeights weights;
  const auto* reflection = weights.GetReflection();
  std::set<std::string> named;
  double sum = 0;
  for (const std::string& item : items) {
    const size_t equals = item.find('=');
    std::string name = absl::AsciiStrToLower(item.substr(0, equals));
    std::replace(name.begin(), name.end(), '-', '_');
    const FieldDescriptor* field = v1::ScoreWeights::descriptor()->FindFieldByName(name);
    if (equals == std::string::npos || field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", item, "\" is not FACTOR=WEIGHT with a factor of: ", WeightNames()));
    }
    double value = 0;
    const std::string text = item.substr(equals + 1);
    if (!absl::SimpleAtod(text, &value) || !(value >= 0 && value <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": \"", text, "\" is not a weight from 0 to 1"));
    }
    if (!named.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(name, " is weighted twice"));
    }
    reflection->SetDouble(&weights, field, value);
    sum += value;
  }
  if (!items.empty() && std::abs(sum - 1) > 1e-6) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the weights sum to ", sum, "; they must sum to 1 (factors not named weigh 0)"));
  }
  return weights;
}

absl::StatusOr<std::vector<v1::InventorySnapshot>> ParseInventoryCsv(std::string_view text) {
  return ParseCsv<v1::InventorySnapshot>(text, "product_code,month,value,quantity", &InventoryLine);
}

absl::StatusOr<std::vector<v1::AccountTarget>> ParseTargetsCsv(std::string_view text) {
  return ParseCsv<v1::AccountTarget>(
      text, "account_id,year,expected_share_percent,wallet_estimate,industry_influence",
      &TargetLine);
}

}  // namespace kam::kamctl
