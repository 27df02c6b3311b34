#include "services/accounts/service_support.h"

#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace kam::accounts {
void ToMoney(int64_t minor_units, v1::Money* out) {
  out->set_currency_code(kCurrency);
  out->set_minor_units(minor_units);
}

absl::StatusOr<int64_t> CheckMoney(std::string_view field, const v1::Money& money,
                                   bool allow_negative) {
  if (!money.currency_code().empty() && money.currency_code() != kCurrency) {
    return InvalidField(absl::StrCat(std::string(field), ".currency_code"),
                        absl::StrCat("must be ", kCurrency, ", the company's currency"));
  }
  if (!allow_negative && money.minor_units() < 0) {
    return InvalidField(absl::StrCat(std::string(field), ".minor_units"), "must not be negative");
  }
  return money.minor_units();
}

void ToProto(const Account& a, v1::Account* out) {
  out->set_id(a.id);
  out->set_name(a.name);
  out->set_registration_number(a.registration_number);
  out->set_nature(static_cast<v1::Nature>(a.nature));
  out->set_industry(a.industry);
  out->set_region(a.region);
  out->set_scale(static_cast<v1::Scale>(a.scale));
  out->set_lifecycle_stage(static_cast<v1::LifecycleStage>(a.lifecycle_stage));
  out->set_status(static_cast<v1::AccountStatus>(a.status));
  out->set_tier(static_cast<v1::Tier>(a.tier));
  out->set_owner_id(a.owner_id);
  out->set_archived(a.archived);
  ToTimestamp(a.create_time, out->mutable_create_time());
  ToTimestamp(a.update_time, out->mutable_update_time());
  if (a.archive_time) ToTimestamp(*a.archive_time, out->mutable_archive_time());
  out->set_etag(Etag(a));
  out->set_parent_id(a.parent_id);
  out->set_transaction_process(static_cast<v1::TransactionProcess>(a.transaction_process));
  out->set_volume_position(static_cast<v1::VolumePosition>(a.volume_position));
  out->set_address(a.address);
  out->set_phone(a.phone);
  out->set_legal_representative(a.legal_representative);
  v1::BusinessProfile* b = out->mutable_business();
  b->set_service_area(a.business.service_area);
  b->set_sales_capability(a.business.sales_capability);
  b->set_growth_potential(a.business.growth_potential);
  b->set_business_direction(a.business.business_direction);
  b->set_competitive_position(a.business.competitive_position);
  b->set_reputation(a.business.reputation);
  b->set_trade_terms(a.business.trade_terms);
  b->set_employee_count(a.business.employee_count);
  ToMoney(a.business.annual_revenue_minor, b->mutable_annual_revenue());
  out->set_credit_rating(static_cast<v1::CreditRating>(a.credit_rating));
  ToMoney(a.credit_limit_minor, out->mutable_credit_limit());
  for (const std::string& tag : a.tags) out->add_tags(tag);
  out->set_visit_plan_suspended(a.visit_plan_suspended);
}

Account FromProto(const v1::Account& p) {
  Account a;
  a.id = p.id();
  a.name = p.name();
  a.registration_number = p.registration_number();
  a.nature = static_cast<Nature>(p.nature());
  a.industry = p.industry();
  a.region = p.region();
  a.scale = static_cast<Scale>(p.scale());
  a.lifecycle_stage = static_cast<LifecycleStage>(p.lifecycle_stage());
  a.status = static_cast<AccountStatus>(p.status());
  a.owner_id = p.owner_id();
  a.parent_id = p.parent_id();
  a.transaction_process = static_cast<TransactionProcess>(p.transaction_process());
  a.volume_position = static_cast<VolumePosition>(p.volume_position());
  a.address = p.address();
  a.phone = p.phone();
  a.legal_representative = p.legal_representative();
  const v1::BusinessProfile& b = p.business();
  a.business.service_area = b.service_area();
  a.business.sales_capability = b.sales_capability();
  a.business.growth_potential = b.growth_potential();
  a.business.business_direction = b.business_direction();
  a.business.competitive_position = b.competitive_position();
  a.business.reputation = b.reputation();
  a.business.trade_terms = b.trade_terms();
  a.business.employee_count = b.employee_count();
  a.business.annual_revenue_minor = b.annual_revenue().minor_units();
  a.tags.assign(p.tags().begin(), p.tags().end());
  return a;
}

void ToProto(const Contact& c, bool notes_hidden, v1::Contact* out) {
  out->set_id(c.id);
  out->set_account_id(c.account_id);
  out->set_name(c.name);
  out->set_title(c.title);
  out->set_phone(c.phone);
  out->set_email(c.email);
  out->set_buying_role(static_cast<v1::BuyingRole>(c.buying_role));
  ToTimestamp(c.create_time, out->mutable_create_time());
  out->set_etag(Etag(c));
  out->set_personal_notes_hidden(notes_hidden);
  if (notes_hidden) return;
  v1::PersonalNotes* n = out->mutable_personal_notes();
  n->set_character(c.notes.character);
  n->set_interests(c.notes.interests);
  n->set_family(c.notes.family);
  n->set_education(c.notes.education);
  n->set_birth_year(c.notes.birth_year);
}

Contact FromProto(const v1::Contact& p) {
  Contact c;
  c.id = p.id();
  c.account_id = p.account_id();
  c.name = p.name();
  c.title = p.title();
  c.phone = p.phone();
  c.email = p.email();
  c.buying_role = static_cast<BuyingRole>(p.buying_role());
  c.notes.character = p.personal_notes().character();
  c.notes.interests = p.personal_notes().interests();
  c.notes.family = p.personal_notes().family();
  c.notes.education = p.personal_notes().education();
  c.notes.birth_year = p.personal_notes().birth_year();
  return c;
}

void ToProto(const TeamMember& m, v1::TeamMember* out) {
  out->set_account_id(m.account_id);
  out->set_member_id(m.member_id);
  out->set_role(static_cast<v1::TeamRole>(m.role));
  ToTimestamp(m.add_time, out->mutable_add_time());
}

void ToProto(const AccountChange& c, v1::AccountChange* out) {
  out->set_account_id(c.account_id);
  out->set_kind(static_cast<v1::HistoryKind>(c.kind));
  out->set_from_value(c.from_value);
  out->set_to_value(c.to_value);
  out->set_actor(c.actor);
  out->set_reason(c.reason);
  ToTimestamp(c.time, out->mutable_change_time());
  out->set_request_id(c.request_id);
}

absl::Status NoAccess() { return absl::PermissionDeniedError("no access to this account"); }

absl::Status HideExistence(absl::Status status, const Principal& caller) {
  if (absl::IsNotFound(status) && !SeesAllAccounts(caller)) return NoAccess();
  return status;
}

}  // namespace kam::accounts
