#include "bench/analytics_data.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "services/common/proto_support.h"

namespace kam::bench {
namespace {

namespace av1 = kam::accounts::v1;
namespace cv1 = kam::complaints::v1;

constexpr int kMessageEvents = 500;
constexpr char kCurrency[] = "CNY";
constexpr int kProducts = 5000;
constexpr int kCategories = 40;
constexpr int kOwners = 400;
constexpr int kGroupHeads = 100;
constexpr int kSubsidiaries = 1000;  // accounts kGroupHeads+1..kSubsidiaries
constexpr double kParetoAlpha = 2.0;
constexpr double kMaxWeight = 1000;
// Quantities scale with w^kSizeExponent: revenue per account ~ w^1.8, a Pareto tail.
constexpr double kSizeExponent = 0.8;
constexpr int kOrdersPerContract = 40;
constexpr int kAccountsPerComplaint = 100;

constexpr const char* kRegions[] = {"East China", "North China", "South China", "Central China",
                                    "Southwest",  "Northwest",   "Northeast"};
constexpr const char* kIndustries[] = {"steel",      "automotive", "construction", "energy",
                                       "chemicals",  "machinery",  "shipbuilding", "rail",
                                       "appliances", "aerospace",  "mining",       "logistics"};

// SplitMix64: a tiny, well-mixed, portable generator (the same sequence everywhere).
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
uint64_t Next(uint64_t& state) {
  state += 0x9E3779B97F4A7C15ULL;
  return Mix(state);
}
// [0, 1)
double Unit(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }
double Uniform(uint64_t& state) { return Unit(Next(state)); }
int64_t Below(uint64_t& state, int64_t n) {
  return static_cast<int64_t>(Uniform(state) * static_cast<double>(n));
}
// A fixed attribute of account `id` (the same in every event that mentions it).
uint64_t Attribute(uint64_t seed, int64_t id, uint64_t salt) {
  return Mix(seed ^ Mix(static_cast<uint64_t>(id) * 0x2545F4914F6CDD1DULL + salt));
}

double Weight(uint64_t seed, int64_t id) {
  const double u = Unit(Attribute(seed, id, 1));
  return std::min(kMaxWeight, std::pow(1.0 - u, -1.0 / kParetoAlpha));
}

bool IsArchived(uint64_t seed, int64_t id) { return Attribute(seed, id, 2) % 100 == 0; }

std::string OwnerId(uint64_t seed, int64_t id) {
  return absl::StrCat("manager-", Attribute(seed, id, 3) % kOwners);
}

// Bigger accounts sit in higher tiers, with a quarter of them off by noise and 30 % not
// tiered yet: a review then has real work to do.
av1::Tier TierOf(uint64_t seed, int64_t id) {
  const uint64_t roll = Attribute(seed, id, 4) % 100;
  if (roll < 30) return av1::TIER_UNSPECIFIED;
  if (roll < 55) return static_cast<av1::Tier>(1 + roll % 4);
  const double w = Weight(seed, id);
  if (w >= 7) return av1::TIER_A;
  if (w >= 3.2) return av1::TIER_B;
  if (w >= 1.6) return av1::TIER_C;
  return av1::TIER_D;
}

int64_t ParentOf(uint64_t seed, int64_t id) {
  if (id <= kGroupHeads) return 0;
  if (id <= kSubsidiaries) return 1 + (id % kGroupHeads);
  const uint64_t roll = Attribute(seed, id, 5);
  if (roll % 100 != 0) return 0;
  return 1 + static_cast<int64_t>((roll / 100) % kSubsidiaries);
}

// Deterministic, UUID-shaped event ids.
std::string EventId(uint64_t seed, const char* stream, int64_t sequence) {
  const uint64_t a = Attribute(seed, sequence, stream[0]);
  const uint64_t b = Attribute(seed, sequence, 1000 + stream[0]);
  char text[40];
  std::snprintf(
      text, sizeof(text), "%08llx-%04llx-4%03llx-8%03llx-%012llx",
      static_cast<unsigned long long>(a >> 32), static_cast<unsigned long long>((a >> 16) & 0xFFFF),
      static_cast<unsigned long long>(a & 0xFFF), static_cast<unsigned long long>(b >> 52),
      static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return text;
}

void SetMoney(int64_t minor_units, av1::Money* out) {
  out->set_currency_code(kCurrency);
  out->set_minor_units(minor_units);
}

int64_t UnitPrice(uint64_t seed, int32_t product) {
  return 500 + static_cast<int64_t>(Attribute(seed, product, 6) % 99500);
}

absl::Time MonthStart(int yyyymm, absl::TimeZone zone) {
  return absl::FromCivil(absl::CivilMonth(yyyymm / 100, yyyymm % 100), zone);
}

}  // namespace

std::string ProductCode(int32_t product) {
  char text[16];
  std::snprintf(text, sizeof(text), "P%05d", product);
  return text;
}

// ---- Accounts stream ----

AccountsStream::AccountsStream(const DataShape& shape)
    : shape_(shape),
      start_(MonthStart(shape.first_month, shape.zone)),
      span_(absl::FromCivil(absl::CivilMonth(shape.first_month / 100 + 2, shape.first_month % 100),
                            shape.zone) -
            start_),
      rng_(Mix(shape.seed)) {
  cumulative_.reserve(static_cast<size_t>(shape.accounts));
  double sum = 0;
  for (int64_t id = 1; id <= shape.accounts; ++id) {
    sum += Weight(shape.seed, id);
    cumulative_.push_back(sum);
  }
}

av1::Event& AccountsStream::NewEvent(av1::WatchEventsResponse& message, const char* type,
                                     const char* aggregate_type, int64_t aggregate_id,
                                     absl::Time occur_time) {
  av1::Event& event = *message.add_events();
  event.set_sequence(++sequence_);
  event.set_event_id(EventId(shape_.seed, "accounts", sequence_));
  event.set_type(type);
  event.set_aggregate_type(aggregate_type);
  event.set_aggregate_id(absl::StrCat(aggregate_id));
  ToTimestamp(occur_time, event.mutable_occur_time());
  ++counts_.events;
  return event;
}

namespace {

// The account as accounts' events carry it; create_time spread over 2023.
void FillAccount(uint64_t seed, int64_t id, int64_t accounts, av1::Account* out) {
  const uint64_t a = Attribute(seed, id, 7);
  out->set_id(id);
  out->set_name(absl::StrCat("Bench account ", id));
  out->set_registration_number(absl::StrCat("BR-", id));
  out->set_nature(static_cast<av1::Nature>(1 + a % 5));
  out->set_industry(kIndustries[(a >> 8) % std::size(kIndustries)]);
  out->set_region(kRegions[(a >> 16) % std::size(kRegions)]);
  out->set_scale(static_cast<av1::Scale>(1 + (a >> 24) % 4));
  out->set_lifecycle_stage(static_cast<av1::LifecycleStage>(1 + (a >> 32) % 6));
  out->set_status(av1::ACCOUNT_STATUS_ACTIVE);
  out->set_tier(TierOf(seed, id));
  out->set_owner_id(OwnerId(seed, id));
  out->set_parent_id(ParentOf(seed, id));
  out->set_credit_rating(static_cast<av1::CreditRating>((a >> 40) % 8));
  const absl::Time created = absl::FromCivil(absl::CivilDay(2023, 1, 1), absl::UTCTimeZone()) +
                             absl::Hours(24 * 365) * (static_cast<double>(id) / accounts);
  ToTimestamp(created, out->mutable_create_time());
  ToTimestamp(created, out->mutable_update_time());
}

}  // namespace

void AccountsStream::AddCreated(av1::WatchEventsResponse& message, int64_t id) {
  av1::Account account;
  FillAccount(shape_.seed, id, shape_.accounts, &account);
  const absl::Time created = FromTimestamp(account.create_time());
  *NewEvent(message, "account.created", "account", id, created).mutable_account() =
      std::move(account);
  ++counts_.accounts;
}

void AccountsStream::AddArchived(av1::WatchEventsResponse& message, int64_t id) {
  const absl::Time archived = start_ - absl::Hours(24);
  av1::Event& event = NewEvent(message, "account.archived", "account", id, archived);
  av1::Account* account = event.mutable_account();
  FillAccount(shape_.seed, id, shape_.accounts, account);
  account->set_archived(true);
  ToTimestamp(archived, account->mutable_archive_time());
  ToTimestamp(archived, account->mutable_update_time());
  ++counts_.archived;
}

int64_t AccountsStream::PickAccount(uint64_t& state) const {
  const double target = Uniform(state) * cumulative_.back();
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), target);
  return std::min<int64_t>(shape_.accounts, 1 + (it - cumulative_.begin()));
}

void AccountsStream::AddCommerce(av1::WatchEventsResponse& message, std::vector<RawLine>& lines) {
  // Orders advance through the 24 months as lines are recorded: time order, evenly spread.
  const absl::Time order_time =
      start_ + span_ * (static_cast<double>(counts_.lines) / static_cast<double>(shape_.lines));
  const int64_t order_id = ++counts_.orders;
  const int64_t account_id = PickAccount(rng_);
  const int64_t size =
      std::max<int64_t>(1, std::llround(std::pow(Weight(shape_.seed, account_id), kSizeExponent)));
  const int64_t line_count = std::min<int64_t>(1 + Below(rng_, 10), shape_.lines - counts_.lines);

  av1::Event& event = NewEvent(message, "order.recorded", "order", order_id, order_time);
  av1::Order* order = event.mutable_order();
  order->set_id(order_id);
  order->set_account_id(account_id);
  order->set_external_id(absl::StrCat("ERP-", order_id));
  ToTimestamp(order_time, order->mutable_order_time());
  ToTimestamp(order_time + absl::Minutes(5), order->mutable_create_time());
  int64_t revenue = 0;
  int64_t cost = 0;
  for (int64_t i = 0; i < line_count; ++i) {
    const double popularity = Uniform(rng_);
    const int32_t product = static_cast<int32_t>(popularity * popularity * kProducts);
    RawLine line{account_id, order_time, product, 0, 0, 0};
    line.quantity = (1 + Below(rng_, 20)) * size;
    line.revenue_minor = static_cast<int64_t>(static_cast<double>(line.quantity) *
                                              static_cast<double>(UnitPrice(shape_.seed, product)) *
                                              (0.9 + 0.2 * Uniform(rng_)));
    line.cost_minor = static_cast<int64_t>(static_cast<double>(line.revenue_minor) *
                                           (0.55 + 0.35 * Uniform(rng_)));
    av1::OrderLine* out = order->add_lines();
    out->set_product_code(ProductCode(product));
    out->set_product_category(absl::StrCat("category-", product % kCategories));
    out->set_quantity(line.quantity);
    SetMoney(line.revenue_minor, out->mutable_revenue());
    SetMoney(line.cost_minor, out->mutable_cost());
    revenue += line.revenue_minor;
    cost += line.cost_minor;
    lines.push_back(line);
  }
  SetMoney(revenue, order->mutable_revenue());
  SetMoney(cost, order->mutable_cost());
  counts_.lines += line_count;

  if (Uniform(rng_) < 0.9) {
    const absl::Time pay_time = order_time + absl::Hours(24) * (15 + Below(rng_, 61));
    const int64_t payment_id = ++counts_.payments;
    av1::Payment* payment =
        NewEvent(message, "payment.recorded", "payment", payment_id, pay_time).mutable_payment();
    payment->set_id(payment_id);
    payment->set_account_id(account_id);
    payment->set_external_id(absl::StrCat("PAY-", payment_id));
    SetMoney(Uniform(rng_) < 0.15 ? revenue / 2 : revenue, payment->mutable_amount());
    ToTimestamp(pay_time, payment->mutable_pay_time());
    payment->set_order_id(order_id);
    ToTimestamp(pay_time, payment->mutable_create_time());
  }
  if (Below(rng_, kOrdersPerContract) == 0) {
    const int64_t contract_id = ++counts_.contracts;
    const int64_t contract_account = PickAccount(rng_);
    av1::Contract* contract =
        NewEvent(message, "contract.signed", "contract", contract_id, order_time)
            .mutable_contract();
    contract->set_id(contract_id);
    contract->set_account_id(contract_account);
    contract->set_number(absl::StrCat("C-", contract_id));
    SetMoney((1 + Below(rng_, 1000)) * 1000000, contract->mutable_value());
    ToTimestamp(order_time, contract->mutable_start_time());
    ToTimestamp(order_time + absl::Hours(24 * 365), contract->mutable_end_time());
    ToTimestamp(order_time, contract->mutable_sign_time());
    ToTimestamp(order_time - absl::Hours(24 * 7), contract->mutable_create_time());
  }
}

bool AccountsStream::Next(av1::WatchEventsResponse& message, std::vector<RawLine>& lines) {
  message.Clear();
  while (phase_ != Phase::kDone && message.events_size() < kMessageEvents) {
    switch (phase_) {
      case Phase::kCreate:
        AddCreated(message, next_account_++);
        if (next_account_ > shape_.accounts) {
          phase_ = Phase::kArchive;
          next_account_ = 1;
        }
        break;
      case Phase::kArchive:
        if (IsArchived(shape_.seed, next_account_)) AddArchived(message, next_account_);
        if (++next_account_ > shape_.accounts) phase_ = Phase::kCommerce;
        break;
      case Phase::kCommerce:
        // An order brings up to 3 events: start a new message rather than split them.
        if (message.events_size() > kMessageEvents - 3) return true;
        AddCommerce(message, lines);
        if (counts_.lines >= shape_.lines) phase_ = Phase::kDone;
        break;
      case Phase::kDone:
        break;
    }
  }
  message.set_head_sequence(sequence_);
  return message.events_size() > 0;
}

// ---- Complaints stream ----

ComplaintsStream::ComplaintsStream(const DataShape& shape,
                                   const std::vector<double>& cumulative_weights)
    : shape_(shape),
      cumulative_(cumulative_weights),
      start_(MonthStart(shape.first_month, shape.zone)),
      span_(absl::FromCivil(absl::CivilMonth(shape.first_month / 100 + 2, shape.first_month % 100),
                            shape.zone) -
            start_),
      total_(std::max<int64_t>(1, shape.accounts / kAccountsPerComplaint)),
      rng_(Mix(shape.seed ^ 0xC0FFEE)) {}

bool ComplaintsStream::Next(cv1::WatchEventsResponse& message) {
  message.Clear();
  while (next_complaint_ <= total_ && message.events_size() <= kMessageEvents - 2) {
    const int64_t id = next_complaint_++;
    const absl::Time created = start_ + span_ * (static_cast<double>(id - 1) / total_);
    const double target = Uniform(rng_) * cumulative_.back();
    const int64_t account_id = std::min<int64_t>(
        shape_.accounts, 1 + (std::upper_bound(cumulative_.begin(), cumulative_.end(), target) -
                              cumulative_.begin()));
    cv1::Complaint complaint;
    complaint.set_id(id);
    complaint.set_account_id(account_id);
    complaint.set_account_name(absl::StrCat("Bench account ", account_id));
    complaint.set_account_tier(TierOf(shape_.seed, account_id));
    complaint.set_account_owner_id(OwnerId(shape_.seed, account_id));
    complaint.set_channel(static_cast<cv1::Channel>(1 + Below(rng_, 5)));
    complaint.set_category(static_cast<cv1::Category>(1 + Below(rng_, 5)));
    complaint.set_description("Bench complaint");
    complaint.set_severity(static_cast<cv1::Severity>(1 + Below(rng_, 4)));
    complaint.set_manner(static_cast<cv1::Manner>(1 + Below(rng_, 4)));
    complaint.set_state(cv1::STATE_RECORDED);
    complaint.set_recorded_by("bench-agent");
    ToTimestamp(created, complaint.mutable_create_time());
    ToTimestamp(created, complaint.mutable_update_time());

    const bool valid = Uniform(rng_) < 0.7;
    const absl::Time judged = created + absl::Hours(4);
    for (int step = 0; step < 2; ++step) {
      const bool recorded = step == 0;
      const char* action = recorded ? "recorded" : valid ? "judged_valid" : "judged_invalid";
      if (!recorded) {
        complaint.set_state(valid ? cv1::STATE_ASSIGNED : cv1::STATE_INVALID);
        if (valid) complaint.set_department("quality");
        if (!valid) complaint.set_invalid_reason("not our product");
        ToTimestamp(judged, complaint.mutable_update_time());
      }
      const absl::Time at = recorded ? created : judged;
      cv1::Event& event = *message.add_events();
      event.set_sequence(++sequence_);
      event.set_event_id(EventId(shape_.seed, "complaints", sequence_));
      event.set_type(absl::StrCat("complaint.", action));
      event.set_aggregate_type("complaint");
      event.set_aggregate_id(absl::StrCat(id));
      ToTimestamp(at, event.mutable_occur_time());
      *event.mutable_complaint() = complaint;
      cv1::Transition* transition = event.mutable_transition();
      transition->set_complaint_id(id);
      transition->set_action(action);
      transition->set_from_state(recorded ? cv1::STATE_UNSPECIFIED : cv1::STATE_RECORDED);
      transition->set_to_state(complaint.state());
      transition->set_actor("bench-agent");
      ToTimestamp(at, transition->mutable_time());
      ++counts_.events;
    }
    ++counts_.complaints;
  }
  message.set_head_sequence(sequence_);
  return message.events_size() > 0;
}

}  // namespace kam::bench
