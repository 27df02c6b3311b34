// The complaints edge's conversions, ListMyQueue's two-key page token, and the event payload.
#include "services/complaints/complaint_proto.h"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/store_support.h"
#include "services/common/validation.h"
#include "services/complaints/complaint_records.h"

namespace kam::complaints {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kDue = absl::FromUnixMicros(1'717'000'000'123'456);

TEST(QueueTokenTest, CarriesTheDueTimeAndIdToTheMicrosecond) {
  const std::string token = EncodeQueueToken({kDue, 42}, "digest-of-the-queue-query");
  absl::StatusOr<QueueCursor> cursor = DecodeQueueToken(token, "digest-of-the-queue-query");
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(cursor->due, kDue);
  EXPECT_EQ(cursor->id, 42);
}

TEST(QueueTokenTest, AnEmptyTokenStartsAtTheBeginning) {
  absl::StatusOr<QueueCursor> cursor = DecodeQueueToken("", "q");
  ASSERT_TRUE(cursor.ok());
  EXPECT_EQ(cursor->due, absl::InfinitePast());
  EXPECT_EQ(cursor->id, 0);
}

TEST(QueueTokenTest, RefusesTokensOfOtherQueriesAndGarbage) {
  const std::string token = EncodeQueueToken({kDue, 42}, "digest-of-the-queue-query");
  absl::StatusOr<QueueCursor> other = DecodeQueueToken(token, "digest-of-another-query");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(other.status().message(), HasSubstr("page_token"));
  for (const std::string& garbage :
       {std::string("%%%"), std::string("e30"), token.substr(0, token.size() / 2),
        EncodePageToken(42, "digest-of-the-queue-query"), std::string(600, 'A')}) {
    EXPECT_EQ(DecodeQueueToken(garbage, "digest-of-the-queue-query").status().code(),
              absl::StatusCode::kInvalidArgument)
        << garbage;
  }
}

// A token sealed with the right key but carrying a time no queue deadline can have (one
// could be forged where the key is known) is refused like any other tampered token, instead
// of reaching the database as a time it cannot compare.
TEST(QueueTokenTest, RefusesATokenWithAnAbsurdTime) {
  const std::string key = "digest-of-the-queue-query";
  for (int64_t micros : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
                         int64_t{-1}, int64_t{253'402'300'800'000'000} /* 10000-01-01 */}) {
    const std::string token = SealPageToken(nlohmann::json{{"d", micros}, {"a", 42}}.dump(), key);
    absl::StatusOr<QueueCursor> cursor = DecodeQueueToken(token, key);
    EXPECT_EQ(cursor.status().code(), absl::StatusCode::kInvalidArgument) << micros;
    EXPECT_THAT(cursor.status().message(), HasSubstr("page_token")) << micros;
  }
  // The extremes a queue can hold still pass: the epoch and the "nobody waits" 9999-12-31.
  for (absl::Time due :
       {absl::UnixEpoch(),
        absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), absl::UTCTimeZone()) +
            absl::Microseconds(999'999)}) {
    absl::StatusOr<QueueCursor> cursor = DecodeQueueToken(EncodeQueueToken({due, 7}, key), key);
    ASSERT_TRUE(cursor.ok()) << cursor.status();
    EXPECT_EQ(cursor->due, due);
  }
}

TEST(QueueDueTest, IsTheJudgmentDeadlineWhileRecordedThenTheResolutionDeadline) {
  Complaint c;
  c.judgment.deadline.due_at = kDue;
  c.resolution_clock.deadline.due_at = kDue + absl::Hours(40);
  c.state = State::kRecorded;
  EXPECT_EQ(QueueDue(c), kDue);
  c.state = State::kCauseAnalyzed;
  EXPECT_EQ(QueueDue(c), kDue + absl::Hours(40));
}

TEST(ComplaintProtoTest, IntakeTakesOnlyTheClientsFields) {
  v1::Complaint p;
  p.set_id(99);
  p.set_account_id(7);
  p.set_contact_id(3);
  p.set_channel(v1::CHANNEL_WEB);
  p.set_category(v1::CATEGORY_TRANSPORT);
  p.set_subcategory("damaged");
  p.set_description("two crates crushed");
  p.set_severity(v1::SEVERITY_CRITICAL);
  p.set_manner(v1::MANNER_HESITANT);
  p.set_state(v1::STATE_CLOSED);
  p.set_handler_id("hd-x");
  const Complaint c = DraftFromProto(p);
  EXPECT_EQ(c.id, 0);
  EXPECT_EQ(c.account_id, 7);
  EXPECT_EQ(c.contact_id, 3);
  EXPECT_EQ(c.channel, Channel::kWeb);
  EXPECT_EQ(c.category, Category::kTransport);
  EXPECT_EQ(c.severity, Severity::kCritical);
  EXPECT_EQ(c.manner, Manner::kHesitant);
  EXPECT_EQ(c.state, State::kRecorded);
  EXPECT_EQ(c.handler_id, "");
}

TEST(ComplaintProtoTest, ComplaintToProtoKeepsClocksFollowUpAndTier) {
  Complaint c;
  c.id = 5;
  c.account_tier = 2;
  c.state = State::kFollowedUp;
  c.judgment.budget = absl::Hours(4);
  c.judgment.deadline = {kDue - absl::Hours(1), kDue};
  c.judgment.met_at = kDue - absl::Hours(2);
  c.follow_up = FollowUp{2, 5, false, "late again", "agent-wu", kDue};
  c.version = 3;
  v1::Complaint p;
  ToProto(c, kDue, &p);
  EXPECT_EQ(p.account_tier(), kam::accounts::v1::TIER_B);
  EXPECT_EQ(p.state(), v1::STATE_FOLLOWED_UP);
  EXPECT_EQ(p.judgment_sla().budget_seconds(), 4 * 3600);
  EXPECT_EQ(p.judgment_sla().due_time().seconds(), absl::ToUnixSeconds(kDue));
  EXPECT_TRUE(p.judgment_sla().has_met_time());
  EXPECT_FALSE(p.resolution_sla().has_met_time());
  EXPECT_EQ(p.follow_up().satisfaction_gap(), -3);
  EXPECT_EQ(p.follow_up().recorded_by(), "agent-wu");
  EXPECT_FALSE(p.has_close_time());
  EXPECT_EQ(p.etag(), Etag(c));
}

TEST(ComplaintProtoTest, DepartmentsRoundTrip) {
  v1::Department p;
  p.set_code("quality");
  p.set_name("Quality");
  p.add_categories(v1::CATEGORY_PRODUCT_QUALITY);
  p.add_categories(v1::CATEGORY_OTHER);
  p.add_handler_ids("hd-qiu");
  p.add_handler_ids("hd-sun");
  p.set_manager_id("mgr-quality");
  const Department d = FromProto(p);
  EXPECT_THAT(d.categories, ElementsAre(Category::kProductQuality, Category::kOther));
  v1::Department back;
  ToProto(d, &back);
  EXPECT_EQ(back.code(), "quality");
  EXPECT_THAT(back.categories(), ElementsAre(v1::CATEGORY_PRODUCT_QUALITY, v1::CATEGORY_OTHER));
  EXPECT_THAT(back.handler_ids(), ElementsAre("hd-qiu", "hd-sun"));
  EXPECT_EQ(back.manager_id(), "mgr-quality");
}

}  // namespace
}  // namespace kam::complaints

namespace kam::complaints {
namespace {

Complaint EscalatedComplaint() {
  Complaint c;
  c.id = 9;
  c.state = State::kAssigned;
  c.judgment.deadline = {kDue - absl::Hours(2), kDue};
  c.judgment.breached = true;
  c.judgment.met_at = kDue + absl::Hours(1);
  c.judgment.escalation_level = 1;
  c.judgment.second_escalation_at = kDue + absl::Hours(4);
  c.resolution_clock.deadline = {kDue + absl::Hours(30), kDue + absl::Hours(40)};
  return c;
}

TEST(ComplaintEventTest, EachClockKeepsItsLadderInTheEventPayload) {
  const Complaint c = EscalatedComplaint();
  const nlohmann::json j = ComplaintJson(c);
  EXPECT_EQ(j.at("escalation_level"), 1) << "the highest level, as the API shows it";
  const Complaint back = ComplaintFromJson(j);
  EXPECT_EQ(back.judgment.escalation_level, 1);
  EXPECT_EQ(back.judgment.second_escalation_at, kDue + absl::Hours(4));
  EXPECT_EQ(back.resolution_clock.escalation_level, 0);
  EXPECT_EQ(back.resolution_clock.second_escalation_at, std::nullopt);
}

// Events already in the outbox were written with one level per complaint: read back, the
// level goes to every clock that had breached, as migration 0003 does for the rows.
TEST(ComplaintEventTest, AnOldPayloadsLevelGoesToTheClocksThatBreached) {
  nlohmann::json old = ComplaintJson(EscalatedComplaint());
  for (const char* clock : {"judgment", "resolution_clock"}) {
    old.at(clock).erase("escalation_level");
    old.at(clock).erase("second_escalation_at");
  }
  old["escalation_level"] = 2;
  old["second_escalation_at"] = TimeJson(kDue + absl::Hours(4));
  old.at("judgment")["breached"] = true;
  old.at("resolution_clock")["breached"] = false;
  Complaint back = ComplaintFromJson(old);
  EXPECT_EQ(back.judgment.escalation_level, 2);
  EXPECT_EQ(back.resolution_clock.escalation_level, 0);
  EXPECT_EQ(EscalationLevel(back), 2);

  old.at("judgment")["breached"] = false;  // only the resolution breached
  old.at("resolution_clock")["breached"] = true;
  back = ComplaintFromJson(old);
  EXPECT_EQ(back.judgment.escalation_level, 0);
  EXPECT_EQ(back.resolution_clock.escalation_level, 2);
  EXPECT_EQ(back.resolution_clock.second_escalation_at, kDue + absl::Hours(4));

  old.at("judgment")["breached"] = true;  // both: neither escalates its breach again
  back = ComplaintFromJson(old);
  EXPECT_EQ(back.judgment.escalation_level, 2);
  EXPECT_EQ(back.resolution_clock.escalation_level, 2);
}

}  // namespace
}  // namespace kam::complaints
