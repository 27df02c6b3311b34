#pragma once

// The demo company (docs/DEMO.md) as plain data: everything kam-demo loads, decided by the
// seed alone. Dates are day offsets from the load day (0 = the load day, negative = before),
// so the same seed gives the same content on any day and only the calendar moves.

#include <cstdint>
#include <string>
#include <vector>

namespace kam::demo {

inline constexpr uint64_t kDefaultSeed = 20261123;

struct Persona {
  std::string subject;
  std::string name;
  std::string role;
  std::string department;  // handlers only
};

struct ContactPlan {
  std::string name;
  std::string title;
  std::string phone;
  std::string email;
  int buying_role = 0;  // kam.accounts.v1.BuyingRole
};

struct AccountPlan {
  std::string key;  // stable item name for request ids, e.g. "a017"
  std::string name;
  std::string registration_number;
  int nature = 0;  // kam.accounts.v1.Nature
  std::string industry;
  std::string region;
  int scale = 0;
  int lifecycle = 0;
  int transaction_process = 0;
  int volume_position = 0;
  std::string owner;
  int parent = -1;  // index into Plan::accounts; parents come before their subsidiaries
  std::vector<std::string> tags;
  std::string address;
  std::string phone;
  std::string legal_representative;
  int credit_rating = 0;
  int64_t credit_limit = 0;  // fen; 0 = none
  std::vector<ContactPlan> contacts;
  int64_t yearly_revenue = 0;  // fen, the target the orders add up to per year
};

struct ContractPlan {
  int account = 0;
  std::string number;
  int64_t value = 0;
  int start_day = 0;
  int end_day = 0;
  int sign_day = 0;
};

struct LinePlan {
  std::string product_code;
  std::string category;
  int64_t quantity = 0;
  int64_t revenue = 0;
  int64_t cost = 0;
};

struct OrderPlan {
  int account = 0;
  std::string external_id;
  int contract = -1;  // index into Plan::contracts
  int day = 0;
  std::vector<LinePlan> lines;
};

struct PaymentPlan {
  int account = 0;
  std::string external_id;
  int order = -1;  // index into Plan::orders
  int day = 0;
  int64_t amount = 0;
};

struct RecordPlan {
  int account = 0;
  std::string key;
  int kind = 0;  // kam.accounts.v1.ContactKind
  int day = 0;
  std::string summary;
  int outcome = 0;
  std::string next_step;
};

struct VisitPlanPlan {
  int account = 0;
  std::string key;
  int day = 0;  // >= 0
  std::string objective;
};

struct OpportunityPlan {
  int account = 0;
  std::string key;
  std::string name;
  int64_t amount = 0;
  int close_day = 0;
  int target_stage = 0;  // kam.accounts.v1.Stage, WON and LOST included
  int lost_from = 0;     // for LOST: the stage it was in
  int contract = -1;     // a signed contract (commercial negotiation's key node)
  std::string competition;
  std::string decision_makers;
};

struct ComplaintPlan {
  int account = 0;
  std::string key;
  int channel = 0;   // kam.complaints.v1.Channel
  int category = 0;  // kam.complaints.v1.Category
  int severity = 0;
  int manner = 0;
  std::string subcategory;
  std::string description;
  int target_state = 0;  // kam.complaints.v1.State
  int received_hours_ago = 0;
  std::string agent;
};

struct DepartmentPlan {
  std::string code;
  std::string name;
  std::vector<int> categories;
  std::vector<std::string> handlers;
  std::string manager;
};

struct Plan {
  uint64_t seed = 0;
  std::vector<Persona> personas;
  std::vector<DepartmentPlan> departments;
  std::vector<AccountPlan> accounts;
  std::vector<ContractPlan> contracts;
  std::vector<OrderPlan> orders;
  std::vector<PaymentPlan> payments;
  std::vector<RecordPlan> records;
  std::vector<VisitPlanPlan> visits;
  std::vector<OpportunityPlan> opportunities;
  std::vector<ComplaintPlan> complaints;
  // Indexes of the notable accounts (docs/DEMO.md).
  int biggest = -1;
  int over_limit = -1;
  int five_visits = -1;
  int sla_breach = -1;

  const Persona& PersonaOf(const std::string& subject) const;
};

Plan MakePlan(uint64_t seed);

// SHA-256 over a canonical text of the whole plan: equal for equal content.
std::string PlanDigest(const Plan& plan);

}  // namespace kam::demo
