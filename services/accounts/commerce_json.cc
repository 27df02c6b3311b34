#include <nlohmann/json.hpp>

#include "services/accounts/commerce_store.h"

// Contracts, orders, payments and credit records as audit rows, idempotent responses and
// outbox payloads keep them. Times are Unix micros (TimeJson).
namespace kam::accounts {
namespace {

nlohmann::json LineJson(const OrderLine& l) {
  return {{"product_code", l.product_code},
          {"product_category", l.product_category},
          {"quantity", l.quantity},
          {"revenue_minor", l.revenue_minor},
          {"cost_minor", l.cost_minor}};
}

OrderLine LineFromJson(const nlohmann::json& j) {
  OrderLine l;
  l.product_code = j.at("product_code");
  l.product_category = j.at("product_category");
  l.quantity = j.at("quantity");
  l.revenue_minor = j.at("revenue_minor");
  l.cost_minor = j.at("cost_minor");
  return l;
}

}  // namespace

nlohmann::json ToJson(const Contract& c) {
  return {{"id", c.id},
          {"account_id", c.account_id},
          {"number", c.number},
          {"value_minor", c.value_minor},
          {"start_time", TimeJson(c.start_time)},
          {"end_time", TimeJson(c.end_time)},
          {"sign_time", OptionalTimeJson(c.sign_time)},
          {"opportunity_id", c.opportunity_id},
          {"create_time", TimeJson(c.create_time)}};
}

Contract ContractFromJson(const nlohmann::json& j) {
  Contract c;
  c.id = j.at("id");
  c.account_id = j.at("account_id");
  c.number = j.at("number");
  c.value_minor = j.at("value_minor");
  c.start_time = TimeFromJson(j.at("start_time"));
  c.end_time = TimeFromJson(j.at("end_time"));
  c.sign_time = OptionalTimeFromJson(j.at("sign_time"));
  c.opportunity_id = j.at("opportunity_id");
  c.create_time = TimeFromJson(j.at("create_time"));
  return c;
}

nlohmann::json ToJson(const Order& o) {
  nlohmann::json lines = nlohmann::json::array();
  for (const OrderLine& l : o.lines) lines.push_back(LineJson(l));
  return {{"id", o.id},
          {"account_id", o.account_id},
          {"external_id", o.external_id},
          {"contract_id", o.contract_id},
          {"order_time", TimeJson(o.order_time)},
          {"lines", lines},
          {"revenue_minor", o.revenue_minor},
          {"cost_minor", o.cost_minor},
          {"credit_override_id", o.credit_override_id},
          {"create_time", TimeJson(o.create_time)}};
}

Order OrderFromJson(const nlohmann::json& j) {
  Order o;
  o.id = j.at("id");
  o.account_id = j.at("account_id");
  o.external_id = j.at("external_id");
  o.contract_id = j.at("contract_id");
  o.order_time = TimeFromJson(j.at("order_time"));
  for (const nlohmann::json& line : j.at("lines")) o.lines.push_back(LineFromJson(line));
  o.revenue_minor = j.at("revenue_minor");
  o.cost_minor = j.at("cost_minor");
  o.credit_override_id = j.at("credit_override_id");
  o.create_time = TimeFromJson(j.at("create_time"));
  return o;
}

nlohmann::json ToJson(const Payment& p) {
  return {{"id", p.id},
          {"account_id", p.account_id},
          {"external_id", p.external_id},
          {"amount_minor", p.amount_minor},
          {"pay_time", TimeJson(p.pay_time)},
          {"order_id", p.order_id},
          {"create_time", TimeJson(p.create_time)}};
}

Payment PaymentFromJson(const nlohmann::json& j) {
  Payment p;
  p.id = j.at("id");
  p.account_id = j.at("account_id");
  p.external_id = j.at("external_id");
  p.amount_minor = j.at("amount_minor");
  p.pay_time = TimeFromJson(j.at("pay_time"));
  p.order_id = j.at("order_id");
  p.create_time = TimeFromJson(j.at("create_time"));
  return p;
}

nlohmann::json ToJson(const CreditReport& r) {
  return {{"id", r.id},
          {"account_id", r.account_id},
          {"kind", r.kind},
          {"source", r.source},
          {"summary", r.summary},
          {"suggested_rating", r.suggested_rating},
          {"author_id", r.author_id},
          {"create_time", TimeJson(r.create_time)}};
}

CreditReport CreditReportFromJson(const nlohmann::json& j) {
  CreditReport r;
  r.id = j.at("id");
  r.account_id = j.at("account_id");
  r.kind = j.at("kind");
  r.source = j.at("source");
  r.summary = j.at("summary");
  r.suggested_rating = j.at("suggested_rating");
  r.author_id = j.at("author_id");
  r.create_time = TimeFromJson(j.at("create_time"));
  return r;
}

nlohmann::json ToJson(const CreditOverride& o) {
  return {{"id", o.id},
          {"account_id", o.account_id},
          {"allowance_minor", o.allowance_minor},
          {"reason", o.reason},
          {"expire_time", TimeJson(o.expire_time)},
          {"director_id", o.director_id},
          {"create_time", TimeJson(o.create_time)}};
}

CreditOverride CreditOverrideFromJson(const nlohmann::json& j) {
  CreditOverride o;
  o.id = j.at("id");
  o.account_id = j.at("account_id");
  o.allowance_minor = j.at("allowance_minor");
  o.reason = j.at("reason");
  o.expire_time = TimeFromJson(j.at("expire_time"));
  o.director_id = j.at("director_id");
  o.create_time = TimeFromJson(j.at("create_time"));
  return o;
}

}  // namespace kam::accounts
