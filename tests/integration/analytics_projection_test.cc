// The analytics projection against a private MariaDB: hand-built WatchEvents messages of both
// streams applied to analytics' facts, exactly once in effect (replays, redeliveries,
// duplicated ids, two projections at once), with the rollups, month cuts, currency rule and
// group closure a user of the analyses would notice.
#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "services/accounts/commerce_store.h"
#include "services/accounts/service.h"
#include "services/accounts/store.h"
#include "services/accounts/workflow.h"
#include "services/analytics/projection.h"
#include "services/common/call_handler.h"
#include "services/common/call_observer.h"
#include "services/common/event_store.h"
#include "services/common/identity.h"
#include "services/common/proto_support.h"
#include "tests/support/schema_test.h"
#include "tests/support/test_helpers.h"

// Both libraries generate a header named embedded_migrations.h; declare what is needed.
namespace kam::accounts {
const std::vector<kam::Migration>& Migrations();
}
namespace kam::analytics {
const std::vector<kam::Migration>& Migrations();
}

namespace kam::analytics {
namespace {

namespace av1 = kam::accounts::v1;
namespace cv1 = kam::complaints::v1;
using Table = std::vector<std::vector<std::string>>;
using test_support::Ok;

google::protobuf::Timestamp Ts(const std::string& rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) << rfc3339 << error;
  google::protobuf::Timestamp out;
  ToTimestamp(t, &out);
  return out;
}

av1::Money Cny(int64_t minor_units, const std::string& currency = "CNY") {
  av1::Money money;
  money.set_currency_code(currency);
  money.set_minor_units(minor_units);
  return money;
}

// Numbers the events of one stream as the producer would: increasing sequences, unique ids.
class Sequencer {
 public:
  explicit Sequencer(std::string prefix) : prefix_(std::move(prefix)) {}
  template <typename Event>
  Event Stamp(Event e) {
    e.set_sequence(++last_);
    e.set_event_id(absl::StrCat(prefix_, "-", last_));
    return e;
  }

 private:
  std::string prefix_;
  int64_t last_ = 0;
};

// A message holding `events`; the producer's head is the last event's sequence unless given.
template <typename Response, typename Event>
Response Message(const std::vector<Event>& events, int64_t head = -1) {
  Response message;
  for (const Event& e : events) *message.add_events() = e;
  message.set_head_sequence(head >= 0 ? head : events.empty() ? 0 : events.back().sequence());
  return message;
}
av1::WatchEventsResponse Accounts(const std::vector<av1::Event>& events, int64_t head = -1) {
  return Message<av1::WatchEventsResponse>(events, head);
}
cv1::WatchEventsResponse Complaints(const std::vector<cv1::Event>& events, int64_t head = -1) {
  return Message<cv1::WatchEventsResponse>(events, head);
}

av1::Event Envelope(const std::string& type, const std::string& at) {
  av1::Event e;
  e.set_type(type);
  *e.mutable_occur_time() = Ts(at);
  return e;
}

av1::Event AccountEvent(const std::string& type, int64_t id, int64_t parent_id,
                        const std::string& owner = "mgr-li", av1::Tier tier = av1::TIER_UNSPECIFIED,
                        const std::string& at = "2026-01-05T02:00:00Z") {
  av1::Event e = Envelope(type, at);
  e.set_aggregate_type("account");
  e.set_aggregate_id(absl::StrCat(id));
  av1::Account& a = *e.mutable_account();
  a.set_id(id);
  a.set_name(absl::StrCat("华东精细化工 ", id));
  a.set_nature(av1::NATURE_ORDINARY_COMPANY);
  a.set_industry("chemicals");
  a.set_region("East China");
  a.set_scale(av1::SCALE_LARGE);
  a.set_lifecycle_stage(av1::LIFECYCLE_STAGE_REPEAT);
  a.set_status(av1::ACCOUNT_STATUS_ACTIVE);
  a.set_tier(tier);
  a.set_owner_id(owner);
  a.set_parent_id(parent_id);
  *a.mutable_create_time() = Ts("2026-01-05T02:00:00Z");
  return e;
}

av1::Event OwnerChanged(int64_t id, const std::string& from, const std::string& to,
                        const std::string& at) {
  av1::Event e = AccountEvent("account.owner_changed", id, 0, to, av1::TIER_UNSPECIFIED, at);
  av1::AccountChange& change = *e.add_changes();
  change.set_account_id(id);
  change.set_kind(av1::HISTORY_KIND_OWNER);
  change.set_from_value(from);
  change.set_to_value(to);
  return e;
}

av1::OrderLine Line(const std::string& code, const std::string& category, int64_t quantity,
                    int64_t revenue, int64_t cost, const std::string& currency = "CNY") {
  av1::OrderLine line;
  line.set_product_code(code);
  line.set_product_category(category);
  line.set_quantity(quantity);
  *line.mutable_revenue() = Cny(revenue, currency);
  *line.mutable_cost() = Cny(cost, currency);
  return line;
}

av1::Event OrderEvent(int64_t id, int64_t account_id, const std::string& at,
                      const std::vector<av1::OrderLine>& lines) {
  av1::Event e = Envelope("order.recorded", at);
  av1::Order& o = *e.mutable_order();
  o.set_id(id);
  o.set_account_id(account_id);
  o.set_external_id(absl::StrCat("ERP-", id));
  *o.mutable_order_time() = Ts(at);
  for (const av1::OrderLine& line : lines) *o.add_lines() = line;
  return e;
}

av1::Event PaymentEvent(int64_t id, int64_t account_id, const std::string& at, int64_t amount,
                        const std::string& currency = "CNY") {
  av1::Event e = Envelope("payment.recorded", at);
  av1::Payment& p = *e.mutable_payment();
  p.set_id(id);
  p.set_account_id(account_id);
  *p.mutable_amount() = Cny(amount, currency);
  *p.mutable_pay_time() = Ts(at);
  return e;
}

av1::Event ContractEvent(const std::string& type, int64_t id, int64_t account_id, int64_t value,
                         const std::string& signed_at) {
  av1::Event e = Envelope(type, signed_at.empty() ? "2026-03-01T00:00:00Z" : signed_at);
  av1::Contract& c = *e.mutable_contract();
  c.set_id(id);
  c.set_account_id(account_id);
  *c.mutable_value() = Cny(value);
  if (!signed_at.empty()) *c.mutable_sign_time() = Ts(signed_at);
  return e;
}

av1::Event OpportunityEvent(const std::string& type, int64_t id, int64_t account_id,
                            av1::Stage stage, const std::string& at, const std::string& created_at,
                            const std::string& owner = "mgr-li") {
  av1::Event e = Envelope(type, at);
  av1::Opportunity& o = *e.mutable_opportunity();
  o.set_id(id);
  o.set_account_id(account_id);
  o.set_owner_id(owner);
  o.set_stage(stage);
  *o.mutable_amount() = Cny(300000);
  o.set_probability_percent(stage == av1::STAGE_WON ? 100 : stage == av1::STAGE_LOST ? 0 : 20);
  *o.mutable_expected_close_time() = Ts("2026-09-30T00:00:00Z");
  *o.mutable_create_time() = Ts(created_at);
  if (stage == av1::STAGE_WON || stage == av1::STAGE_LOST) *o.mutable_close_time() = Ts(at);
  return e;
}

av1::Event VisitEvent(const std::string& type, int64_t id, int64_t account_id,
                      const std::string& planned_day, av1::VisitPlanStatus status,
                      const std::string& owner = "mgr-li",
                      const std::string& at = "2026-03-01T01:00:00Z") {
  av1::Event e = Envelope(type, at);
  av1::VisitPlan& v = *e.mutable_visit_plan();
  v.set_id(id);
  v.set_account_id(account_id);
  v.set_owner_id(owner);
  *v.mutable_planned_time() = Ts(planned_day);
  v.set_status(status);
  return e;
}

void SetClock(cv1::SlaClock* clock, cv1::SlaStatus status, const std::string& met_at = "") {
  clock->set_status(status);
  if (!met_at.empty()) *clock->mutable_met_time() = Ts(met_at);
}

// A complaint event carrying the complaint as it stood after the step.
cv1::Event ComplaintEvent(const std::string& action, int64_t id, cv1::State state,
                          const std::string& at) {
  cv1::Event e;
  e.set_type(absl::StrCat("complaint.", action));
  *e.mutable_occur_time() = Ts(at);
  cv1::Complaint& c = *e.mutable_complaint();
  c.set_id(id);
  c.set_account_id(102);
  c.set_account_tier(av1::TIER_B);
  c.set_category(cv1::CATEGORY_PRODUCT_QUALITY);
  c.set_severity(cv1::SEVERITY_HIGH);
  c.set_state(state);
  // 00:30 on 1 July in Shanghai: a July complaint.
  *c.mutable_create_time() = Ts("2026-06-30T16:30:00Z");
  SetClock(c.mutable_judgment_sla(), cv1::SLA_STATUS_ON_TRACK);
  SetClock(c.mutable_resolution_sla(), cv1::SLA_STATUS_ON_TRACK);
  return e;
}

class ProjectionTest : public test_support::SchemaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenSchema("projection", Migrations(), absl::Seconds(10)));
    projection_ = NewProjection();
  }

  std::unique_ptr<Projection> NewProjection() {
    AnalyticsConfig config;
    EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &config.zone));
    config.currency = "CNY";
    return std::make_unique<Projection>(*pool_, config, &registry_);
  }

  FeedProgress Apply(const av1::WatchEventsResponse& message) {
    absl::StatusOr<FeedProgress> progress = projection_->ApplyAccounts(message);
    EXPECT_TRUE(Ok(progress));
    return progress.value_or(FeedProgress{-1, -1});
  }
  FeedProgress Apply(const cv1::WatchEventsResponse& message) {
    absl::StatusOr<FeedProgress> progress = projection_->ApplyComplaints(message);
    EXPECT_TRUE(Ok(progress));
    return progress.value_or(FeedProgress{-1, -1});
  }

  // Every fact the projection writes, in key order (bookkeeping times left out).
  std::string DumpFacts() {
    static const char* const kQueries[] = {
        "SELECT * FROM accounts ORDER BY account_id",
        "SELECT * FROM account_groups ORDER BY group_id, account_id",
        "SELECT * FROM account_activity ORDER BY account_id",
        "SELECT * FROM account_month ORDER BY account_id, month",
        "SELECT * FROM account_product_month ORDER BY account_id, month, product_code",
        "SELECT * FROM product_month ORDER BY product_code, month",
        "SELECT * FROM complaint_facts ORDER BY complaint_id",
        "SELECT * FROM opportunity_facts ORDER BY opportunity_id",
        "SELECT * FROM opportunity_stage_stays ORDER BY opportunity_id, entered_time, stage",
        "SELECT * FROM visit_facts ORDER BY visit_plan_id",
        "SELECT stream, cursor_position, head_sequence FROM consumer_cursors ORDER BY stream",
        "SELECT event_id, stream FROM applied_events ORDER BY event_id",
    };
    std::string out;
    for (const char* query : kQueries) {
      absl::StrAppend(&out, query, "\n");
      for (const auto& row : Rows(query)) absl::StrAppend(&out, absl::StrJoin(row, "|"), "\n");
    }
    return out;
  }

  double Counter(const std::string& name, const std::string& reason) {
    for (const prometheus::MetricFamily& family : registry_.Collect()) {
      if (family.name != name) continue;
      for (const prometheus::ClientMetric& metric : family.metric) {
        if (metric.label.size() == 1 && metric.label[0].value == reason) {
          return metric.counter.value;
        }
      }
    }
    return -1;
  }

  prometheus::Registry registry_;
  std::unique_ptr<Projection> projection_;
};

// ---------------------------------------------------------------------------------------
// Each kind of event lands in its facts.

// Two accounts (102 under 101), three orders, a payment, a signed contract, two opportunities
// through their stages and two visit plans, in two messages.
std::vector<av1::WatchEventsResponse> SalesStory(Sequencer& seq) {
  std::vector<av1::Event> first = {
      seq.Stamp(AccountEvent("account.created", 101, 0, "mgr-li", av1::TIER_B)),
      seq.Stamp(AccountEvent("account.created", 102, 101)),
      seq.Stamp(AccountEvent("account.tier_changed", 101, 0, "mgr-li", av1::TIER_A,
                             "2026-01-20T00:00:00Z")),
      seq.Stamp(OrderEvent(
          1, 102, "2026-03-10T04:00:00Z",
          {Line("P-1", "pipe", 10, 100000, 60000), Line("P-2", "valve", 2, 50000, 20000)})),
      seq.Stamp(
          OrderEvent(2, 102, "2026-03-20T04:00:00Z", {Line("P-1", "steel pipe", 5, 40000, 30000)})),
      seq.Stamp(PaymentEvent(1, 102, "2026-03-25T04:00:00Z", 120000)),
      // A draft contract counts nowhere; the signature counts in the month it was signed.
      seq.Stamp(ContractEvent("contract.created", 1, 102, 900000, "")),
      seq.Stamp(ContractEvent("contract.signed", 1, 102, 900000, "2026-03-15T00:00:00Z")),
      seq.Stamp(OpportunityEvent("opportunity.created", 501, 102, av1::STAGE_CUSTOMER_DEVELOPMENT,
                                 "2026-02-01T00:00:00Z", "2026-02-01T00:00:00Z")),
      seq.Stamp(OpportunityEvent("opportunity.stage_changed", 501, 102,
                                 av1::STAGE_PROJECT_INITIATION, "2026-02-11T00:00:00Z",
                                 "2026-02-01T00:00:00Z")),
      seq.Stamp(VisitEvent("visit_plan.created", 801, 102, "2026-03-31T00:00:00Z",
                           av1::VISIT_PLAN_STATUS_PLANNED)),
  };
  std::vector<av1::Event> second = {
      seq.Stamp(OpportunityEvent("opportunity.stage_changed", 501, 102, av1::STAGE_PROPOSAL,
                                 "2026-03-01T00:00:00Z", "2026-02-01T00:00:00Z")),
      // An update without a stage change keeps the stay.
      seq.Stamp(OpportunityEvent("opportunity.updated", 501, 102, av1::STAGE_PROPOSAL,
                                 "2026-03-03T00:00:00Z", "2026-02-01T00:00:00Z")),
      seq.Stamp(OpportunityEvent("opportunity.stage_changed", 501, 102, av1::STAGE_LOST,
                                 "2026-03-08T00:00:00Z", "2026-02-01T00:00:00Z")),
      seq.Stamp(OpportunityEvent("opportunity.created", 502, 102, av1::STAGE_CUSTOMER_DEVELOPMENT,
                                 "2026-03-01T00:00:00Z", "2026-03-01T00:00:00Z")),
      seq.Stamp(OpportunityEvent("opportunity.stage_changed", 502, 102,
                                 av1::STAGE_PROJECT_INITIATION, "2026-03-02T00:00:00Z",
                                 "2026-03-01T00:00:00Z")),
      seq.Stamp(
          OrderEvent(3, 102, "2026-04-02T01:00:00Z", {Line("P-2", "valve", 1, 25000, 10000)})),
      seq.Stamp(VisitEvent("visit_plan.completed", 801, 102, "2026-03-31T00:00:00Z",
                           av1::VISIT_PLAN_STATUS_COMPLETED)),
      seq.Stamp(VisitEvent("visit_plan.created", 802, 102, "2026-04-01T00:00:00Z",
                           av1::VISIT_PLAN_STATUS_PLANNED)),
      seq.Stamp(VisitEvent("visit_plan.cancelled", 802, 102, "2026-04-01T00:00:00Z",
                           av1::VISIT_PLAN_STATUS_CANCELLED)),
  };
  return {Accounts(first), Accounts(second)};
}

TEST_F(ProjectionTest, EveryAccountsEventLandsInItsFacts) {
  Sequencer seq("acc");
  const std::vector<av1::WatchEventsResponse> messages = SalesStory(seq);
  EXPECT_EQ(Apply(messages[0]).applied, 11);
  const FeedProgress last = Apply(messages[1]);
  EXPECT_EQ(last.applied, 9);
  EXPECT_EQ(last.cursor, 20);

  // 101 as of its tier change (TIER_A = 1, sequence 3); 102 under 101.
  EXPECT_EQ(Rows("SELECT account_id, tier, owner_id, parent_id, archived, region, "
                 "source_sequence FROM accounts ORDER BY account_id"),
            (Table{{"101", "1", "mgr-li", "0", "0", "East China", "3"},
                   {"102", "0", "mgr-li", "101", "0", "East China", "2"}}));
  EXPECT_EQ(Rows("SELECT group_id, account_id, depth FROM account_groups "
                 "ORDER BY group_id, account_id"),
            (Table{{"101", "101", "0"}, {"101", "102", "1"}, {"102", "102", "0"}}));

  // March: revenue 100000 + 50000 + 40000 = 190000, cost 60000 + 20000 + 30000 = 110000,
  // quantity 10 + 2 + 5 = 17, 2 orders of 3 lines, paid 120000, one contract of 900000.
  // April: the one-line order 3.
  EXPECT_EQ(Rows("SELECT month, revenue_minor, cost_minor, quantity, orders, order_lines, "
                 "paid_minor, contract_value_minor, contracts_signed FROM account_month "
                 "WHERE account_id = 102 ORDER BY month"),
            (Table{{"202603", "190000", "110000", "17", "2", "3", "120000", "900000", "1"},
                   {"202604", "25000", "10000", "1", "1", "1", "0", "0", "0"}}));
  EXPECT_EQ(One("SELECT COUNT(*) FROM account_month WHERE account_id <> 102"), "0");
  // P-1 in March: 10 + 5 = 15, 100000 + 40000 = 140000, 60000 + 30000 = 90000.
  EXPECT_EQ(Rows("SELECT month, product_code, quantity, revenue_minor, cost_minor "
                 "FROM account_product_month WHERE account_id = 102 ORDER BY month, product_code"),
            (Table{{"202603", "P-1", "15", "140000", "90000"},
                   {"202603", "P-2", "2", "50000", "20000"},
                   {"202604", "P-2", "1", "25000", "10000"}}));
  // The category is the latest seen ("steel pipe" came with order 2).
  EXPECT_EQ(Rows("SELECT product_code, month, product_category, quantity, revenue_minor, "
                 "cost_minor FROM product_month ORDER BY product_code, month"),
            (Table{{"P-1", "202603", "steel pipe", "15", "140000", "90000"},
                   {"P-2", "202603", "valve", "2", "50000", "20000"},
                   {"P-2", "202604", "valve", "1", "25000", "10000"}}));
  EXPECT_EQ(Rows("SELECT account_id, first_order_time, first_order_month, last_order_time "
                 "FROM account_activity"),
            (Table{{"102", "2026-03-10 04:00:00.000000", "202603", "2026-04-02 01:00:00.000000"}}));

  // 501: 1 -> 2 -> 3 -> LOST (8); furthest open stage 3; closed in March. 502: in stage 2.
  EXPECT_EQ(Rows("SELECT opportunity_id, owner_id, stage, furthest_stage, amount_minor, "
                 "probability_percent, create_month, close_time, close_month, stage_entered_time, "
                 "source_sequence FROM opportunity_facts ORDER BY opportunity_id"),
            (Table{{"501", "mgr-li", "8", "3", "300000", "0", "202602",
                    "2026-03-08 00:00:00.000000", "202603", "2026-03-08 00:00:00.000000", "14"},
                   {"502", "mgr-li", "2", "2", "300000", "20", "202603", "NULL", "NULL",
                    "2026-03-02 00:00:00.000000", "16"}}));
  // One stay per stage visited, each closed when the opportunity moved on (the stay in
  // stage 2 of 501 was opened in the first message and closed in the second).
  EXPECT_EQ(
      Rows("SELECT opportunity_id, stage, entered_time, left_time, left_month "
           "FROM opportunity_stage_stays ORDER BY opportunity_id, entered_time"),
      (Table{{"501", "1", "2026-02-01 00:00:00.000000", "2026-02-11 00:00:00.000000", "202602"},
             {"501", "2", "2026-02-11 00:00:00.000000", "2026-03-01 00:00:00.000000", "202603"},
             {"501", "3", "2026-03-01 00:00:00.000000", "2026-03-08 00:00:00.000000", "202603"},
             {"502", "1", "2026-03-01 00:00:00.000000", "2026-03-02 00:00:00.000000", "202603"},
             {"502", "2", "2026-03-02 00:00:00.000000", "NULL", "NULL"}}));
  // Visits by the month of their (UTC) planned day; the latest status.
  EXPECT_EQ(Rows("SELECT visit_plan_id, account_id, owner_id, planned_month, status, "
                 "source_sequence FROM visit_facts ORDER BY visit_plan_id"),
            (Table{{"801", "102", "mgr-li", "202603", "2", "18"},
                   {"802", "102", "mgr-li", "202604", "3", "20"}}));

  absl::StatusOr<v1::FactsVersion> version = projection_->Version();
  ASSERT_TRUE(Ok(version));
  EXPECT_EQ(version->accounts_sequence(), 20);
  EXPECT_EQ(version->complaints_sequence(), 0);
  EXPECT_EQ(*projection_->Cursor(kAccountsStream), 20);
}

TEST_F(ProjectionTest, ComplaintsTakeTheNewestStateOfEachComplaint) {
  Sequencer seq("cmp");
  cv1::Event recorded =
      ComplaintEvent("recorded", 9001, cv1::STATE_RECORDED, "2026-06-30T16:30:00Z");
  cv1::Event judged =
      ComplaintEvent("judged_valid", 9001, cv1::STATE_ASSIGNED, "2026-07-01T01:00:00Z");
  SetClock(judged.mutable_complaint()->mutable_judgment_sla(), cv1::SLA_STATUS_MET,
           "2026-07-01T01:00:00Z");
  cv1::Event breached = judged;
  breached.set_type("complaint.sla_breached");
  SetClock(breached.mutable_complaint()->mutable_resolution_sla(), cv1::SLA_STATUS_BREACHED);
  cv1::Event implemented = breached;
  implemented.set_type("complaint.resolution_implemented");
  implemented.mutable_complaint()->set_state(cv1::STATE_RESOLUTION_IMPLEMENTED);
  SetClock(implemented.mutable_complaint()->mutable_resolution_sla(), cv1::SLA_STATUS_MET_LATE,
           "2026-07-03T02:00:00Z");
  cv1::Event followed = implemented;
  followed.set_type("complaint.followed_up");
  followed.mutable_complaint()->set_state(cv1::STATE_FOLLOWED_UP);
  cv1::FollowUp& follow_up = *followed.mutable_complaint()->mutable_follow_up();
  follow_up.set_perceived_satisfaction(3);
  follow_up.set_expected_satisfaction(4);
  follow_up.set_satisfaction_gap(-1);  // 3 - 4
  *follow_up.mutable_time() = Ts("2026-07-04T03:00:00Z");
  cv1::Event closed = followed;
  closed.set_type("complaint.closed");
  closed.mutable_complaint()->set_state(cv1::STATE_CLOSED);
  *closed.mutable_complaint()->mutable_close_time() = Ts("2026-07-05T03:00:00Z");

  // Judged invalid late: the judgment clock met late; the resolution clock stops too, but
  // nothing was implemented.
  cv1::Event other = ComplaintEvent("recorded", 9002, cv1::STATE_RECORDED, "2026-06-30T16:30:00Z");
  cv1::Event invalid =
      ComplaintEvent("judged_invalid", 9002, cv1::STATE_INVALID, "2026-07-06T00:00:00Z");
  SetClock(invalid.mutable_complaint()->mutable_judgment_sla(), cv1::SLA_STATUS_MET_LATE,
           "2026-07-06T00:00:00Z");
  SetClock(invalid.mutable_complaint()->mutable_resolution_sla(), cv1::SLA_STATUS_MET,
           "2026-07-06T00:00:00Z");
  cv1::Event department;
  department.set_type("department.updated");
  department.mutable_department()->set_code("quality");

  Apply(Complaints({seq.Stamp(recorded), seq.Stamp(other)}));
  EXPECT_EQ(Rows("SELECT complaint_id, state, valid, create_month FROM complaint_facts "
                 "ORDER BY complaint_id"),
            (Table{{"9001", "1", "NULL", "202607"}, {"9002", "1", "NULL", "202607"}}));
  Apply(Complaints({seq.Stamp(judged), seq.Stamp(breached), seq.Stamp(department),
                    seq.Stamp(implemented), seq.Stamp(invalid), seq.Stamp(followed),
                    seq.Stamp(closed)}));

  EXPECT_EQ(Rows("SELECT complaint_id, account_id, category, severity, state, account_tier, "
                 "create_time, create_month, valid, implemented_time, close_time, "
                 "judgment_breached, resolution_breached, follow_up_time, satisfaction_gap, "
                 "source_sequence FROM complaint_facts ORDER BY complaint_id"),
            (Table{{"9001", "102", "1", "3", "9", "2", "2026-06-30 16:30:00.000000", "202607", "1",
                    "2026-07-03 02:00:00.000000", "2026-07-05 03:00:00.000000", "0", "1",
                    "2026-07-04 03:00:00.000000", "-1", "9"},
                   {"9002", "102", "1", "3", "2", "2", "2026-06-30 16:30:00.000000", "202607", "0",
                    "NULL", "NULL", "1", "0", "NULL", "NULL", "7"}}));
  absl::StatusOr<v1::FactsVersion> version = projection_->Version();
  ASSERT_TRUE(Ok(version));
  EXPECT_EQ(version->accounts_sequence(), 0);
  EXPECT_EQ(version->complaints_sequence(), 9);
}

// ---------------------------------------------------------------------------------------
// Exactly once in effect.

TEST_F(ProjectionTest, ReplaysAndOverlappingRedeliveriesGiveIdenticalFacts) {
  Sequencer seq("acc");
  const std::vector<av1::WatchEventsResponse> messages = SalesStory(seq);
  for (const auto& message : messages) Apply(message);
  const std::string once = DumpFacts();

  // The same messages again (a consumer restarted from an old cursor): nothing applies.
  for (const auto& message : messages) EXPECT_EQ(Apply(message).applied, 0);
  EXPECT_EQ(DumpFacts(), once);

  // The same events cut differently, each overlapping the last, into a fresh schema: the
  // facts are the same rows.
  std::vector<av1::Event> all;
  for (const auto& message : messages)
    all.insert(all.end(), message.events().begin(), message.events().end());
  std::unique_ptr<DbPool> first_pool = std::move(pool_);
  std::unique_ptr<Projection> first_projection = std::move(projection_);
  ASSERT_NO_FATAL_FAILURE(OpenSchema("projection", Migrations(), absl::Seconds(10)));
  projection_ = NewProjection();
  int64_t applied = 0;
  for (size_t start = 0; start < all.size(); start += 3) {
    // Events [start - 2, start + 3): two seen before, three new.
    const size_t from = start >= 2 ? start - 2 : 0;
    const size_t to = std::min(all.size(), start + 3);
    const av1::WatchEventsResponse message =
        Accounts(std::vector<av1::Event>(all.begin() + static_cast<std::ptrdiff_t>(from),
                                         all.begin() + static_cast<std::ptrdiff_t>(to)));
    applied += Apply(message).applied;
    EXPECT_EQ(Apply(message).applied, 0) << "the same message redelivered";
  }
  EXPECT_EQ(applied, static_cast<int64_t>(all.size()));
  EXPECT_EQ(DumpFacts(), once);
}

TEST_F(ProjectionTest, AnEventDeliveredAgainUnderANewSequenceChangesNothing) {
  Sequencer seq("acc");
  const av1::Event order = seq.Stamp(
      OrderEvent(1, 102, "2026-03-10T04:00:00Z", {Line("P-1", "pipe", 10, 100000, 60000)}));
  EXPECT_EQ(Apply(Accounts({order})).applied, 1);
  const std::string once = DumpFacts();

  av1::Event again = order;
  again.set_sequence(5);
  const FeedProgress progress = Apply(Accounts({again}));
  EXPECT_EQ(progress.applied, 0);
  EXPECT_EQ(progress.cursor, 5);
  // The same id twice in one message counts once, too.
  av1::Event twice =
      seq.Stamp(OrderEvent(2, 102, "2026-03-11T04:00:00Z", {Line("P-1", "pipe", 1, 7000, 5000)}));
  twice.set_sequence(6);
  av1::Event twin = twice;
  twin.set_sequence(7);
  EXPECT_EQ(Apply(Accounts({twice, twin})).applied, 1);
  // 100000 + 7000 = 107000 over 2 orders.
  EXPECT_EQ(Rows("SELECT revenue_minor, orders, order_lines FROM account_month"),
            (Table{{"107000", "2", "2"}}));
  EXPECT_EQ(One("SELECT COUNT(*) FROM applied_events"), "2");
  EXPECT_NE(DumpFacts(), once);  // the dump sees a change when there is one
}

TEST_F(ProjectionTest, TwoProjectionsApplyingTheSameMessagesCountEachEventOnce) {
  constexpr int kMessages = 30;
  constexpr int kOrders = 40;
  Sequencer seq("acc");
  std::vector<av1::WatchEventsResponse> messages;
  for (int m = 0; m < kMessages; ++m) {
    std::vector<av1::Event> events;
    for (int o = 0; o < kOrders; ++o) {
      const int64_t id = m * kOrders + o + 1;
      events.push_back(seq.Stamp(
          OrderEvent(id, 1000 + id % 7, "2026-05-10T04:00:00Z",
                     {Line("P-1", "pipe", 1, 1000, 600), Line("P-2", "valve", 2, 500, 200)})));
    }
    messages.push_back(Accounts(events));
  }
  std::unique_ptr<Projection> other = NewProjection();
  std::atomic<int64_t> applied{0};
  test_support::RunConcurrently(2, [&](int thread) {
    Projection& projection = thread == 0 ? *projection_ : *other;
    for (const auto& message : messages) {
      absl::StatusOr<FeedProgress> progress = projection.ApplyAccounts(message);
      EXPECT_TRUE(Ok(progress));
      if (progress.ok()) applied += progress->applied;
    }
  });
  // 30 x 40 = 1200 orders of 2 lines, each once: revenue 1200 x (1000 + 500) = 1800000.
  EXPECT_EQ(applied.load(), kMessages * kOrders);
  EXPECT_EQ(Rows("SELECT SUM(revenue_minor), SUM(cost_minor), SUM(quantity), SUM(orders), "
                 "SUM(order_lines) FROM account_month"),
            (Table{{"1800000", "960000", "3600", "1200", "2400"}}));
  EXPECT_EQ(Rows("SELECT product_code, quantity FROM product_month ORDER BY product_code"),
            (Table{{"P-1", "1200"}, {"P-2", "2400"}}));
  EXPECT_EQ(One("SELECT COUNT(*) FROM applied_events"), "1200");
  EXPECT_EQ(*projection_->Cursor(kAccountsStream), kMessages * kOrders);
}

// ---------------------------------------------------------------------------------------
// Months, currency, groups, owners.

TEST_F(ProjectionTest, MonthsAreCutInTheCompanyZone) {
  Sequencer seq("acc");
  Apply(Accounts({
      // 23:59:59 on 30 June in Shanghai, and 00:30 on 1 July.
      seq.Stamp(OrderEvent(1, 102, "2026-06-30T15:59:59Z", {Line("P-1", "pipe", 1, 1000, 500)})),
      seq.Stamp(OrderEvent(2, 102, "2026-06-30T16:30:00Z", {Line("P-1", "pipe", 2, 3000, 1000)})),
      seq.Stamp(PaymentEvent(1, 102, "2026-06-30T16:30:00Z", 4000)),
      seq.Stamp(ContractEvent("contract.signed", 1, 102, 50000, "2026-06-30T16:00:00Z")),
  }));
  EXPECT_EQ(Rows("SELECT month, revenue_minor, orders, paid_minor, contract_value_minor "
                 "FROM account_month ORDER BY month"),
            (Table{{"202606", "1000", "1", "0", "0"}, {"202607", "3000", "1", "4000", "50000"}}));
  EXPECT_EQ(Rows("SELECT first_order_month FROM account_activity"), (Table{{"202606"}}));
  // An earlier first order arriving later moves the first month back.
  Apply(Accounts({seq.Stamp(
      OrderEvent(3, 102, "2026-05-31T15:00:00Z", {Line("P-1", "pipe", 1, 1000, 500)}))}));
  EXPECT_EQ(Rows("SELECT first_order_time, first_order_month, last_order_time "
                 "FROM account_activity"),
            (Table{{"2026-05-31 15:00:00.000000", "202605", "2026-06-30 16:30:00.000000"}}));
}

TEST_F(ProjectionTest, LinesAndPaymentsInAnotherCurrencyAreSkippedAndCounted) {
  Sequencer seq("acc");
  Apply(Accounts({
      seq.Stamp(OrderEvent(
          1, 102, "2026-03-10T04:00:00Z",
          {Line("P-1", "pipe", 10, 100000, 60000), Line("P-9", "import", 1, 9900, 5000, "USD")})),
      // Nothing of this order counts: no order, no first order.
      seq.Stamp(OrderEvent(2, 103, "2026-03-11T04:00:00Z",
                           {Line("P-9", "import", 1, 9900, 5000, "USD")})),
      seq.Stamp(PaymentEvent(1, 102, "2026-03-12T04:00:00Z", 5000, "USD")),
  }));
  EXPECT_EQ(Rows("SELECT account_id, revenue_minor, cost_minor, quantity, orders, order_lines, "
                 "paid_minor FROM account_month"),
            (Table{{"102", "100000", "60000", "10", "1", "1", "0"}}));
  EXPECT_EQ(Rows("SELECT product_code FROM product_month"), (Table{{"P-1"}}));
  EXPECT_EQ(Rows("SELECT account_id FROM account_activity"), (Table{{"102"}}));
  EXPECT_EQ(Counter("kam_analytics_skipped_lines_total", "currency"), 2);
  EXPECT_EQ(Counter("kam_analytics_skipped_events_total", "currency"), 1);
}

TEST_F(ProjectionTest, GroupClosureFollowsCreationsAndSubtreeMoves) {
  Sequencer seq("acc");
  // 1 > 2 > 3 > 4 (three levels under 1), and 5 alone.
  Apply(Accounts({seq.Stamp(AccountEvent("account.created", 1, 0)),
                  seq.Stamp(AccountEvent("account.created", 2, 1)),
                  seq.Stamp(AccountEvent("account.created", 3, 2))}));
  Apply(Accounts({seq.Stamp(AccountEvent("account.created", 4, 3)),
                  seq.Stamp(AccountEvent("account.created", 5, 0))}));
  const std::string query =
      "SELECT group_id, account_id, depth FROM account_groups ORDER BY group_id, account_id";
  EXPECT_EQ(Rows(query), (Table{{"1", "1", "0"},
                                {"1", "2", "1"},
                                {"1", "3", "2"},
                                {"1", "4", "3"},
                                {"2", "2", "0"},
                                {"2", "3", "1"},
                                {"2", "4", "2"},
                                {"3", "3", "0"},
                                {"3", "4", "1"},
                                {"4", "4", "0"},
                                {"5", "5", "0"}}));

  // 2 and its subtree move under 5; in the same message 6 is created under 4 (now 5 > 2 > 3
  // > 4 > 6), then 3 leaves the group with 4 and 6; the account update that follows carries
  // the same parent and moves nothing.
  av1::Event to_five = AccountEvent("account.parent_changed", 2, 5);
  Apply(Accounts({seq.Stamp(AccountEvent("account.updated", 2, 5)), seq.Stamp(to_five),
                  seq.Stamp(AccountEvent("account.created", 6, 4))}));
  EXPECT_EQ(Rows(query), (Table{{"1", "1", "0"},
                                {"2", "2", "0"},
                                {"2", "3", "1"},
                                {"2", "4", "2"},
                                {"2", "6", "3"},
                                {"3", "3", "0"},
                                {"3", "4", "1"},
                                {"3", "6", "2"},
                                {"4", "4", "0"},
                                {"4", "6", "1"},
                                {"5", "2", "1"},
                                {"5", "3", "2"},
                                {"5", "4", "3"},
                                {"5", "5", "0"},
                                {"5", "6", "4"},
                                {"6", "6", "0"}}));
  Apply(Accounts({seq.Stamp(AccountEvent("account.parent_changed", 3, 0)),
                  seq.Stamp(AccountEvent("account.created", 7, 6))}));
  EXPECT_EQ(Rows(query), (Table{{"1", "1", "0"},
                                {"2", "2", "0"},
                                {"3", "3", "0"},
                                {"3", "4", "1"},
                                {"3", "6", "2"},
                                {"3", "7", "3"},
                                {"4", "4", "0"},
                                {"4", "6", "1"},
                                {"4", "7", "2"},
                                {"5", "2", "1"},
                                {"5", "5", "0"},
                                {"6", "6", "0"},
                                {"6", "7", "1"},
                                {"7", "7", "0"}}));
  EXPECT_EQ(One("SELECT parent_id FROM accounts WHERE account_id = 3"), "0");
}

TEST_F(ProjectionTest, AnOwnerChangeMovesOpenOpportunitiesAndPlannedVisitsOfTheOldOwner) {
  Sequencer seq("acc");
  const std::string at = "2026-03-01T00:00:00Z";
  Apply(Accounts({
      seq.Stamp(AccountEvent("account.created", 201, 0, "mgr-li")),
      seq.Stamp(OpportunityEvent("opportunity.created", 601, 201, av1::STAGE_CUSTOMER_DEVELOPMENT,
                                 at, at)),
      seq.Stamp(OpportunityEvent("opportunity.stage_changed", 602, 201, av1::STAGE_WON, at, at)),
      seq.Stamp(VisitEvent("visit_plan.created", 701, 201, "2026-04-01T00:00:00Z",
                           av1::VISIT_PLAN_STATUS_PLANNED)),
      seq.Stamp(VisitEvent("visit_plan.completed", 702, 201, "2026-03-02T00:00:00Z",
                           av1::VISIT_PLAN_STATUS_COMPLETED)),
      seq.Stamp(VisitEvent("visit_plan.created", 703, 201, "2026-04-02T00:00:00Z",
                           av1::VISIT_PLAN_STATUS_PLANNED, "eng-zhou")),
  }));
  // The transfer, then (same message) a plan made for mgr-li after it: that one stays his.
  Apply(Accounts({
      seq.Stamp(OwnerChanged(201, "mgr-li", "mgr-wang", "2026-03-05T00:00:00Z")),
      seq.Stamp(VisitEvent("visit_plan.created", 704, 201, "2026-04-03T00:00:00Z",
                           av1::VISIT_PLAN_STATUS_PLANNED, "mgr-li")),
  }));
  EXPECT_EQ(Rows("SELECT opportunity_id, owner_id FROM opportunity_facts ORDER BY 1"),
            (Table{{"601", "mgr-wang"}, {"602", "mgr-li"}}));
  EXPECT_EQ(
      Rows("SELECT visit_plan_id, owner_id FROM visit_facts ORDER BY 1"),
      (Table{{"701", "mgr-wang"}, {"702", "mgr-li"}, {"703", "eng-zhou"}, {"704", "mgr-li"}}));
  EXPECT_EQ(One("SELECT owner_id FROM accounts WHERE account_id = 201"), "mgr-wang");
}

TEST_F(ProjectionTest, AHeartbeatMovesTheCursorToTheHeadAndAFullMessageDoesNot) {
  EXPECT_EQ(Apply(Accounts({}, 40)).cursor, 40);
  Sequencer seq("acc");
  std::vector<av1::Event> full;
  for (int i = 0; i < 500; ++i) {
    av1::Event e = seq.Stamp(AccountEvent("contact.created", 0, 0));
    e.set_sequence(40 + 2 * (i + 1));
    e.clear_payload();
    full.push_back(e);
  }
  // 500 events (the most a message holds) may stop short of the head: the last one counts.
  EXPECT_EQ(Apply(Accounts(full, 5000)).cursor, 1040);
  EXPECT_EQ(One("SELECT head_sequence FROM consumer_cursors WHERE stream = 'accounts'"), "5000");
}

// ---------------------------------------------------------------------------------------
// Throughput (printed, not asserted): 200 messages of 500 orders of 5 lines, from 20,000
// accounts and 400 products; orders arrive roughly in time order (a message covers one
// month), as a stream of recorded orders does.

TEST_F(ProjectionTest, ApplyThroughput) {
  constexpr int kMessages = 200;
  constexpr int kOrders = 500;
  constexpr int kLines = 5;
  Sequencer seq("acc");
  std::vector<av1::WatchEventsResponse> messages;
  int64_t order_id = 0;
  for (int m = 0; m < kMessages; ++m) {
    std::vector<av1::Event> events;
    for (int o = 0; o < kOrders; ++o) {
      ++order_id;
      std::vector<av1::OrderLine> lines;
      for (int l = 0; l < kLines; ++l) {
        const int product = static_cast<int>((order_id * 7 + l * 13) % 400);
        lines.push_back(Line(absl::StrCat("SKU-", product), absl::StrCat("cat-", product % 20),
                             1 + l, 10000 + product, 6000 + product));
      }
      const int month = 1 + m * 12 / kMessages;
      events.push_back(seq.Stamp(
          OrderEvent(order_id, 1 + (order_id * 7919) % 20000,
                     absl::StrCat("2025-", month < 10 ? "0" : "", month, "-15T04:00:00Z"), lines)));
    }
    messages.push_back(Accounts(events));
  }
  const absl::Time start = absl::Now();
  for (const auto& message : messages) ASSERT_EQ(Apply(message).applied, kOrders);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const int64_t lines = int64_t{kMessages} * kOrders * kLines;
  std::printf("[ throughput ] %lld order lines in %.2f s: %.0f lines/s, %.1f ms per message\n",
              static_cast<long long>(lines), seconds, static_cast<double>(lines) / seconds,
              1000 * seconds / kMessages);
  EXPECT_EQ(One("SELECT SUM(order_lines) FROM account_month"), absl::StrCat(lines));
}

// ---------------------------------------------------------------------------------------
// The real producer: an in-process accounts service (stores, CallHandler, WatchEvents) on a
// loopback port, its own schema on the same MariaDB, and the feed MakeAccountsFeed builds.

namespace acc = kam::accounts;

constexpr char kIdentityKey[] = "analytics-projection-test-identity-key";
const Principal kDirector{"dir-zhao", {"director"}, ""};
const Principal kErp{"erp-feed", {"system"}, ""};

class AccountServiceFeedTest : public ProjectionTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ProjectionTest::SetUp());
    ASSERT_NO_FATAL_FAILURE(OpenAccountsSchema());
    accounts_ = std::make_unique<acc::AccountStore>(*accounts_pool_);
    commerce_ = std::make_unique<acc::CommerceStore>(*accounts_pool_);
    // Idle streams answer within milliseconds, not the 10 s heartbeat.
    events_ = std::make_unique<EventStore>(
        *accounts_pool_,
        EventStreamOptions{absl::Milliseconds(20), absl::Milliseconds(200), /*max_streams=*/8},
        nullptr);
    workers_ = std::make_unique<WorkerPool>(4, 64);
    metrics_ = std::make_unique<GrpcServerMetrics>(server_registry_);
    handler_ = std::make_unique<CallHandler>(kIdentityKey, workers_.get(), metrics_.get());
    service_ = std::make_unique<acc::AccountServiceImpl>(
        acc::Stores{accounts_.get(), nullptr, nullptr, commerce_.get(), events_.get()},
        handler_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    producer_ = builder.BuildAndStart();
    ASSERT_NE(producer_, nullptr);
    EventFeedOptions options = Projection::AccountsFeedOptions(kIdentityKey);
    options.min_backoff = absl::Milliseconds(20);
    options.max_backoff = absl::Milliseconds(200);
    const std::shared_ptr<grpc::Channel> channel =
        MakeFeedChannel(absl::StrCat("127.0.0.1:", port), options);
    stub_ = av1::AccountService::NewStub(channel);
    feed_ = MakeAccountsFeed(channel, *projection_, options, &feed_registry_);
  }

  void TearDown() override {
    if (feed_) feed_->Stop();
    if (producer_) producer_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Milliseconds(200)));
    workers_.reset();
  }

  void OpenAccountsSchema() {
    const std::string schema = schema_ + "_accounts";
    const std::string password = "pw-" + schema;
    ASSERT_TRUE(Ok(server_->CreateSchemaWithUser(schema, schema, password)));
    DbSettings db{server_->host(), server_->port(), schema, password, schema};
    db.pool_size = 6;
    db.pool_wait = absl::Seconds(5);
    db.io_timeout = absl::Seconds(5);
    accounts_pool_ = std::make_unique<DbPool>(std::move(db), nullptr);
    ASSERT_TRUE(Ok(ApplyMigrations(*accounts_pool_, acc::Migrations())));
  }

  static Mutation Request(const std::string& request_id) {
    return {kDirector.subject,     request_id,  "fp-" + request_id,
            "trace-" + request_id, absl::Now(), ""};
  }

  int64_t CreateAccount(const std::string& registration, int64_t parent_id) {
    acc::Account draft;
    draft.name = absl::StrCat("客户 ", registration);
    draft.registration_number = registration;
    draft.nature = acc::Nature::kOrdinaryCompany;
    draft.region = "East China";
    draft.owner_id = "mgr-li";
    draft.parent_id = parent_id;
    const Mutation m = Request(absl::StrCat("create-", registration));
    absl::StatusOr<acc::Account> valid = acc::NewAccount(draft, kDirector, m.now);
    EXPECT_TRUE(Ok(valid));
    absl::StatusOr<acc::Account> created = accounts_->Create(m, valid.value_or(acc::Account{}));
    EXPECT_TRUE(Ok(created)) << registration;
    return created.ok() ? created->id : 0;
  }

  // An order through RecordOrder, as the ERP would send it.
  void RecordOrder(int64_t account_id, const std::string& external_id, const std::string& at,
                   const std::vector<av1::OrderLine>& lines) {
    av1::RecordOrderRequest request;
    request.set_request_id(external_id);
    *request.mutable_order() = OrderEvent(0, account_id, at, lines).order();
    request.mutable_order()->set_external_id(external_id);
    av1::RecordOrderResponse response;
    grpc::ClientContext context;
    const SignedIdentity identity =
        SignIdentity(kErp, "/kam.accounts.v1.AccountService/RecordOrder", kIdentityKey,
                     absl::Now() + absl::Minutes(1));
    context.AddMetadata(kIdentityHeader, identity.payload);
    context.AddMetadata(kIdentitySignatureHeader, identity.signature);
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    const grpc::Status status = stub_->RecordOrder(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  int64_t Head() {
    absl::StatusOr<EventBatch> batch = events_->ReadAfter(0, {}, 1);
    EXPECT_TRUE(Ok(batch));
    return batch.ok() ? batch->head_sequence : -1;
  }

  bool CaughtUp() {
    const int64_t head = Head();
    const absl::Time give_up = absl::Now() + absl::Seconds(20);
    while (absl::Now() < give_up) {
      absl::StatusOr<int64_t> cursor = projection_->Cursor(kAccountsStream);
      if (cursor.ok() && *cursor == head) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  std::unique_ptr<DbPool> accounts_pool_;
  std::unique_ptr<acc::AccountStore> accounts_;
  std::unique_ptr<acc::CommerceStore> commerce_;
  std::unique_ptr<EventStore> events_;
  prometheus::Registry server_registry_;
  prometheus::Registry feed_registry_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<GrpcServerMetrics> metrics_;
  std::unique_ptr<CallHandler> handler_;
  std::unique_ptr<acc::AccountServiceImpl> service_;
  std::unique_ptr<grpc::Server> producer_;
  std::unique_ptr<av1::AccountService::Stub> stub_;
  std::unique_ptr<AccountsFeed> feed_;
};

TEST_F(AccountServiceFeedTest, TheFeedProjectsWhatTheAccountsServiceRecords) {
  feed_->Start();
  const int64_t group = CreateAccount("91310000G", 0);
  const int64_t member = CreateAccount("91310000M", group);
  RecordOrder(member, "ERP-1", "2026-06-30T15:00:00Z",
              {Line("P-1", "pipe", 10, 100000, 60000), Line("P-2", "valve", 2, 50000, 20000)});
  // 00:30 on 1 July in Shanghai.
  RecordOrder(member, "ERP-2", "2026-06-30T16:30:00Z", {Line("P-1", "pipe", 1, 8000, 5000)});
  acc::Transfer transfer{"mgr-li", "mgr-wang", {member}, "reorganisation"};
  ASSERT_TRUE(Ok(accounts_->TransferAccounts(Request("transfer-1"), transfer)));
  ASSERT_TRUE(CaughtUp());

  // June: 100000 + 50000 = 150000 over 2 lines; July: 8000.
  EXPECT_EQ(Rows(absl::StrCat("SELECT month, revenue_minor, cost_minor, quantity, orders, "
                              "order_lines FROM account_month WHERE account_id = ",
                              member, " ORDER BY month")),
            (Table{{"202606", "150000", "80000", "12", "1", "2"},
                   {"202607", "8000", "5000", "1", "1", "1"}}));
  EXPECT_EQ(Rows(absl::StrCat("SELECT group_id, depth FROM account_groups WHERE account_id = ",
                              member, " ORDER BY depth")),
            (Table{{absl::StrCat(member), "0"}, {absl::StrCat(group), "1"}}));
  EXPECT_EQ(Rows("SELECT owner_id, COUNT(*) FROM accounts GROUP BY owner_id ORDER BY owner_id"),
            (Table{{"mgr-li", "1"}, {"mgr-wang", "1"}}));
  EXPECT_EQ(Counter("kam_analytics_skipped_lines_total", "currency"), 0);
  absl::StatusOr<v1::FactsVersion> version = projection_->Version();
  ASSERT_TRUE(Ok(version));
  EXPECT_EQ(version->accounts_sequence(), Head());
}

}  // namespace
}  // namespace kam::analytics
