// kamctl's pure helpers: the values users type and the text they read.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "kam/accounts/v1/accounts.pb.h"
#include "tools/kamctl/client.h"
#include "tools/kamctl/field_flags.h"
#include "tools/kamctl/import.h"
#include "tools/kamctl/output.h"
#include "tools/kamctl/printers.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::accounts::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST(ParseMoney, TakesYuanWithUpToTwoDecimals) {
  EXPECT_EQ(*ParseMoney("1234.56"), 123456);
  EXPECT_EQ(*ParseMoney("1234.5"), 123450);
  EXPECT_EQ(*ParseMoney("1234"), 123400);
  EXPECT_EQ(*ParseMoney("0.01"), 1);
  EXPECT_EQ(*ParseMoney("0"), 0);
  EXPECT_EQ(*ParseMoney("500000.00"), 50000000);
}

TEST(ParseMoney, RefusesWhatCouldBeATypo) {
  EXPECT_THAT(Message(ParseMoney("12.345").status()), HasSubstr("more than 2 decimals"));
  for (const char* text : {"", ".5", "5.", "-5", "+5", "1,234.00", "1e3", "12 ", "¥12", "abc"}) {
    EXPECT_THAT(Message(ParseMoney(text).status()), HasSubstr("is not an amount")) << text;
  }
  EXPECT_THAT(Message(ParseMoney("99999999999999999999").status()), HasSubstr("too large"));
  EXPECT_EQ(*ParseMoney("92233720368547758.07"), std::numeric_limits<int64_t>::max());
  EXPECT_THAT(Message(ParseMoney("92233720368547758.08").status()), HasSubstr("too large"));
  EXPECT_THAT(Message(ParseMoney("92233720368547759").status()), HasSubstr("too large"));
}

TEST(FormatMoney, GroupsThousandsAndNamesTheCurrency) {
  EXPECT_EQ(FormatMoney(1234567, "CNY"), "12,345.67 CNY");
  EXPECT_EQ(FormatMoney(123456789012, ""), "1,234,567,890.12 CNY");
  EXPECT_EQ(FormatMoney(0, ""), "0.00 CNY");
  EXPECT_EQ(FormatMoney(5, "CNY"), "0.05 CNY");
  EXPECT_EQ(FormatMoney(100000, "CNY"), "1,000.00 CNY");
  EXPECT_EQ(FormatMoney(-100050, "CNY"), "-1,000.50 CNY");
  EXPECT_EQ(FormatMoney(std::numeric_limits<int64_t>::min(), "CNY"),
            "-92,233,720,368,547,758.08 CNY");
}

TEST(ParseMoney, RoundTripsThroughFormatMoney) {
  for (int64_t units : {int64_t{0}, int64_t{7}, int64_t{12345}, int64_t{100000000001}}) {
    std::string text = FormatMoney(units, "");
    text = text.substr(0, text.find(' '));
    text.erase(std::remove(text.begin(), text.end(), ','), text.end());
    EXPECT_EQ(*ParseMoney(text), units) << text;
  }
}

TEST(ParseTime, TakesDaysAsMidnightUtcAndRfc3339Times) {
  EXPECT_EQ(ToTimestamp(*ParseTime("2026-12-01")).seconds(), 1796083200);
  EXPECT_EQ(ToTimestamp(*ParseTime("2026-11-20T10:00:00Z")).seconds(), 1795168800);
  EXPECT_EQ(ToTimestamp(*ParseTime("2026-11-20T18:00:00+08:00")).seconds(), 1795168800);
  const google::protobuf::Timestamp precise = ToTimestamp(*ParseTime("2026-11-20T10:00:00.25Z"));
  EXPECT_EQ(precise.seconds(), 1795168800);
  EXPECT_EQ(precise.nanos(), 250000000);
}

TEST(ParseTime, RefusesOtherShapesAndDaysThatDoNotExist) {
  for (const char* text : {"", "2026-02-30", "2026-13-01", "2026/12/01", "12/01/2026",
                           "2026-11-20 10:00:00", "2026-11-20T10:00:00", "tomorrow"}) {
    EXPECT_THAT(Message(ParseTime(text).status()), HasSubstr("is not a day (2026-12-01)")) << text;
  }
}

TEST(ParseLastDay, ADayLastsToItsEnd) {
  EXPECT_EQ(ToTimestamp(*ParseLastDay("2026-12-31")).seconds(), 1798761600);  // 2027-01-01
  EXPECT_EQ(ToTimestamp(*ParseLastDay("2026-11-20T10:00:00Z")).seconds(), 1795168800);
  EXPECT_FALSE(ParseLastDay("2026-12-32").ok());
}

TEST(FormatTime, ShowsDaysAndTimesInUtc) {
  google::protobuf::Timestamp time;
  EXPECT_EQ(FormatDay(time), "");
  EXPECT_EQ(FormatTime(time), "");
  time.set_seconds(1795168800);
  EXPECT_EQ(FormatDay(time), "2026-11-20");
  EXPECT_EQ(FormatTime(time), "2026-11-20T10:00:00Z");
}

TEST(FormatBasisPoints, ShowsAPercentWithTwoDecimals) {
  EXPECT_EQ(FormatBasisPoints(8750), "87.50%");
  EXPECT_EQ(FormatBasisPoints(10000), "100.00%");
  EXPECT_EQ(FormatBasisPoints(5), "0.05%");
  EXPECT_EQ(FormatBasisPoints(0), "0.00%");
  EXPECT_EQ(FormatBasisPoints(12345), "123.45%");
}

TEST(EnumLabel, ShowsLowerCaseNamesAndGradesAsTheyAreWritten) {
  EXPECT_EQ(EnumLabel(v1::Nature_descriptor(), v1::NATURE_ORDINARY_COMPANY), "ordinary_company");
  EXPECT_EQ(EnumLabel(v1::Tier_descriptor(), v1::TIER_A), "A");
  EXPECT_EQ(EnumLabel(v1::CreditRating_descriptor(), v1::CREDIT_RATING_BBB), "BBB");
  EXPECT_EQ(EnumLabel(v1::Stage_descriptor(), v1::STAGE_COMMERCIAL_NEGOTIATION),
            "commercial_negotiation");
  EXPECT_EQ(EnumLabel(v1::Stage_descriptor(), v1::STAGE_UNSPECIFIED), "");
  EXPECT_EQ(EnumLabel(v1::Stage_descriptor(), 99), "99");
}

TEST(FindEnumValue, TakesLabelsInAnyCaseWithDashesOrUnderscores) {
  auto number = [](const google::protobuf::EnumDescriptor* type, const char* label) {
    const auto* value = FindEnumValue(type, label);
    return value == nullptr ? -1 : value->number();
  };
  EXPECT_EQ(number(v1::ContactOutcome_descriptor(), "no-result"), v1::CONTACT_OUTCOME_NO_RESULT);
  EXPECT_EQ(number(v1::ContactOutcome_descriptor(), "NO_RESULT"), v1::CONTACT_OUTCOME_NO_RESULT);
  EXPECT_EQ(number(v1::CreditRating_descriptor(), "aa"), v1::CREDIT_RATING_AA);
  EXPECT_EQ(number(v1::HistoryKind_descriptor(), "credit-limit"), v1::HISTORY_KIND_CREDIT_LIMIT);
  EXPECT_EQ(number(v1::Tier_descriptor(), "unspecified"), -1);
  EXPECT_EQ(number(v1::Tier_descriptor(), "E"), -1);
  EXPECT_EQ(number(v1::Tier_descriptor(), ""), -1);
}

TEST(EnumLabel, EveryLabelShownIsALabelTaken) {
  for (const auto* type : {v1::Nature_descriptor(), v1::Stage_descriptor(),
                           v1::CreditRating_descriptor(), v1::TeamRole_descriptor(),
                           v1::VisitPlanStatus_descriptor(), v1::CreditSource_descriptor()}) {
    for (int i = 1; i < type->value_count(); ++i) {
      const int number = type->value(i)->number();
      const auto* found = FindEnumValue(type, EnumLabel(type, number));
      ASSERT_NE(found, nullptr) << type->value(i)->name();
      EXPECT_EQ(found->number(), number);
    }
  }
  EXPECT_EQ(EnumChoices(v1::Tier_descriptor()), "A, B, C, D");
}

TEST(HistoryValue, ShowsStoredValuesAsUsersWriteThem) {
  EXPECT_EQ(HistoryValue(v1::HISTORY_KIND_TIER, "TIER_A"), "A");
  EXPECT_EQ(HistoryValue(v1::HISTORY_KIND_TIER, "TIER_UNSPECIFIED"), "");
  EXPECT_EQ(HistoryValue(v1::HISTORY_KIND_CREDIT_RATING, "CREDIT_RATING_AA"), "AA");
  EXPECT_EQ(HistoryValue(v1::HISTORY_KIND_CREDIT_LIMIT, "50000000"), "500,000.00 CNY");
  EXPECT_EQ(HistoryValue(v1::HISTORY_KIND_CREDIT_LIMIT, "0"), "no limit");
  EXPECT_EQ(HistoryValue(v1::HISTORY_KIND_PARENT, "0"), "none");
  EXPECT_EQ(HistoryValue(v1::HISTORY_KIND_PARENT, "17"), "17");
  EXPECT_EQ(HistoryValue(v1::HISTORY_KIND_OWNER, "alice"), "alice");
}

TEST(CreditLimitText, TellsNoLimitFromHidden) {
  v1::Money limit;
  EXPECT_EQ(CreditLimitText(false, limit), "");
  EXPECT_EQ(CreditLimitText(true, limit), "no limit");
  limit.set_minor_units(50000000);
  EXPECT_EQ(CreditLimitText(true, limit), "500,000.00 CNY");
}

TEST(ParseOrderLine, ReadsCodeCategoryQuantityRevenueAndCost) {
  absl::StatusOr<v1::OrderLine> line = ParseOrderLine("P-100, steel pipe ,20,1234.00,900.5");
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->product_code(), "P-100");
  EXPECT_EQ(line->product_category(), "steel pipe");
  EXPECT_EQ(line->quantity(), 20);
  EXPECT_EQ(line->revenue().minor_units(), 123400);
  EXPECT_EQ(line->revenue().currency_code(), "CNY");
  EXPECT_EQ(line->cost().minor_units(), 90050);
  EXPECT_EQ(ParseOrderLine("V-1,valves, fittings,1,1,1")->product_category(), "valves,fittings");
}

TEST(ParseOrderLine, NamesThePartThatIsWrong) {
  EXPECT_THAT(Message(ParseOrderLine("P-100,pipe,20,1234").status()),
              HasSubstr("expected CODE,CATEGORY,QUANTITY,REVENUE,COST"));
  EXPECT_THAT(Message(ParseOrderLine("P-100,pipe,0,1,1").status()), HasSubstr("quantity"));
  EXPECT_THAT(Message(ParseOrderLine("P-100,pipe,2.5,1,1").status()), HasSubstr("quantity"));
  EXPECT_THAT(Message(ParseOrderLine("P-100,pipe,2,1.234,1").status()),
              HasSubstr("revenue: \"1.234\" has more than 2 decimals"));
  EXPECT_THAT(Message(ParseOrderLine("P-100,pipe,2,1,x").status()), HasSubstr("cost"));
}

TEST(ParseJsonArray, ReadsProtoJsonItemsAndNamesTheBadOne) {
  std::vector<v1::Payment> payments;
  auto add = [&payments] { return &payments.emplace_back(); };
  ASSERT_TRUE(ParseJsonArray(R"([
      {"account_id": 12, "external_id": "PAY-1", "amount": {"minor_units": "150000"},
       "pay_time": "2026-11-20T10:00:00Z"},
      {"accountId": "13", "externalId": "PAY-2"}])",
                             add)
                  .ok());
  ASSERT_EQ(payments.size(), 2u);
  EXPECT_EQ(payments[0].amount().minor_units(), 150000);
  EXPECT_EQ(payments[0].pay_time().seconds(), 1795168800);
  EXPECT_EQ(payments[1].account_id(), 13);

  payments.clear();
  EXPECT_THAT(Message(ParseJsonArray(R"([{"external_id": "A"}, {"amuont": 5}])", add)),
              HasSubstr("item 1"));
  EXPECT_THAT(Message(ParseJsonArray(R"({"payments": []})", add)), HasSubstr("JSON array"));
  EXPECT_THAT(Message(ParseJsonArray("[1]", add)), HasSubstr("item 0: expected an object"));
  EXPECT_THAT(Message(ParseJsonArray("[{", add)), HasSubstr("not valid JSON"));
}

TEST(ImportOutcome, TellsRecordedDuplicateAndRejectedApart) {
  EXPECT_EQ(ImportOutcome(0), "recorded");
  EXPECT_EQ(ImportOutcome(6), "duplicate");
  EXPECT_EQ(ImportOutcome(9), "FAILED_PRECONDITION");
  EXPECT_TRUE(IsApplied(0));
  EXPECT_TRUE(IsApplied(6));
  EXPECT_FALSE(IsApplied(3));
  EXPECT_FALSE(IsApplied(14));  // UNAVAILABLE: not applied, to be sent again
}

TEST(Truncate, CutsLongTextToColumnsCountingWideCharactersTwice) {
  EXPECT_EQ(Truncate("short", 10), "short");
  EXPECT_EQ(Truncate("exactly10!", 10), "exactly10!");
  EXPECT_EQ(Truncate("a little too long", 10), "a little …");
  EXPECT_EQ(Truncate("华东精密机械有限公司", 9), "华东精密…");
  EXPECT_EQ(DisplayWidth(Truncate("华东精密机械有限公司", 9)), 9u);
}

TEST(SplitList, TrimsAndDropsEmptyItems) {
  EXPECT_THAT(SplitList(" key, steel ,,east "), ElementsAre("key", "steel", "east"));
  EXPECT_THAT(SplitList(""), IsEmpty());
}

TEST(Hint, TellsWhatToDoAboutTheCodesUsersCanActOn) {
  EXPECT_THAT(std::string(Hint(grpc::StatusCode::ABORTED)), HasSubstr("--etag"));
  EXPECT_THAT(std::string(Hint(grpc::StatusCode::UNAUTHENTICATED)), HasSubstr("kamctl token"));
  EXPECT_THAT(std::string(Hint(grpc::StatusCode::FAILED_PRECONDITION)), HasSubstr("missing"));
  EXPECT_EQ(Hint(grpc::StatusCode::INTERNAL), "");
}

}  // namespace
}  // namespace kam::kamctl
