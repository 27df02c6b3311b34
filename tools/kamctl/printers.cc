#include "tools/kamctl/printers.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "tools/kamctl/output.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::accounts::v1;
using Fields = std::vector<std::pair<std::string, std::string>>;

// The label of an enum value stored by name ("TIER_A" -> "A").
std::string LabelOfName(const google::protobuf::EnumDescriptor* type, const std::string& name) {
  const google::protobuf::EnumValueDescriptor* value = type->FindValueByName(name);
  return value == nullptr ? name : EnumLabel(type, value->number());
}

void AddBusiness(const v1::BusinessProfile& b, Fields* fields) {
  fields->insert(fields->end(),
                 {{"service area", b.service_area()},
                  {"sales capability", b.sales_capability()},
                  {"growth potential", b.growth_potential()},
                  {"business direction", b.business_direction()},
                  {"competitive position", b.competitive_position()},
                  {"reputation", b.reputation()},
                  {"trade terms", b.trade_terms()},
                  {"employees", b.employee_count() == 0 ? "" : std::to_string(b.employee_count())},
                  {"annual revenue", b.has_annual_revenue() ? Amount(b.annual_revenue()) : ""}});
}

}  // namespace

std::string Amount(const v1::Money& money) {
  return FormatMoney(money.minor_units(), money.currency_code());
}

std::string CreditLimitText(bool present, const v1::Money& limit) {
  if (!present) return "";
  return limit.minor_units() == 0 ? "no limit" : Amount(limit);
}

std::string HistoryValue(v1::HistoryKind kind, const std::string& raw) {
  int64_t number = 0;
  switch (kind) {
    case v1::HISTORY_KIND_TIER:
      return LabelOfName(v1::Tier_descriptor(), raw);
    case v1::HISTORY_KIND_CREDIT_RATING:
      return LabelOfName(v1::CreditRating_descriptor(), raw);
    case v1::HISTORY_KIND_CREDIT_LIMIT:
      if (!absl::SimpleAtoi(raw, &number)) return raw;
      return number == 0 ? "no limit" : FormatMoney(number, "");
    case v1::HISTORY_KIND_PARENT:
      return raw == "0" ? "none" : raw;
    default:
      return raw;
  }
}

void PrintAccount(const v1::Account& a) {
  Fields fields = {
      {"id", std::to_string(a.id())},
      {"name", a.name()},
      {"registration number", a.registration_number()},
      {"nature", EnumLabel(v1::Nature_descriptor(), a.nature())},
      {"industry", a.industry()},
      {"region", a.region()},
      {"scale", EnumLabel(v1::Scale_descriptor(), a.scale())},
      {"lifecycle", EnumLabel(v1::LifecycleStage_descriptor(), a.lifecycle_stage())},
      {"status", EnumLabel(v1::AccountStatus_descriptor(), a.status())},
      {"tier", EnumLabel(v1::Tier_descriptor(), a.tier())},
      {"owner", a.owner_id()},
      {"parent", IdText(a.parent_id())},
      {"transaction process",
       EnumLabel(v1::TransactionProcess_descriptor(), a.transaction_process())},
      {"volume position", EnumLabel(v1::VolumePosition_descriptor(), a.volume_position())},
      {"address", a.address()},
      {"phone", a.phone()},
      {"legal representative", a.legal_representative()},
      {"tags", absl::StrJoin(a.tags(), ", ")},
      {"credit rating", EnumLabel(v1::CreditRating_descriptor(), a.credit_rating())},
      {"credit limit", CreditLimitText(a.has_credit_limit(), a.credit_limit())},
      {"visit plan", a.visit_plan_suspended() ? "SUSPENDED (5 visits without result)" : "on"},
  };
  if (a.has_business()) AddBusiness(a.business(), &fields);
  fields.insert(fields.end(), {{"archived", a.archived() ? "yes" : "no"},
                               {"created", FormatTime(a.create_time())},
                               {"updated", FormatTime(a.update_time())},
                               {"archived at", FormatTime(a.archive_time())},
                               {"etag", a.etag()}});
  PrintFields(fields);
}

}  // namespace kam::kamctl
