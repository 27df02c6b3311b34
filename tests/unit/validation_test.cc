#include "services/common/validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/identity.h"

namespace kam {
namespace {

using ::testing::HasSubstr;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST(CheckText, AcceptsChineseAndCountsCharactersNotBytes) {
  EXPECT_TRUE(CheckText("account.name", "华东机械集团有限公司", 10, true).ok());
  EXPECT_FALSE(CheckText("account.name", "华东机械集团有限公司X", 10, true).ok());
}

TEST(CheckText, RefusesBadText) {
  EXPECT_THAT(Message(CheckText("account.name", "", 10, true)),
              HasSubstr("account.name: required"));
  EXPECT_THAT(Message(CheckText("account.name", "   ", 10, true)), HasSubstr("blank"));
  EXPECT_THAT(Message(CheckText("account.name", "a\x01", 10, true)), HasSubstr("control"));
  EXPECT_THAT(Message(CheckText("account.name", "\xC3\x28", 10, true)), HasSubstr("UTF-8"));
  EXPECT_THAT(Message(CheckText("account.name", "\xC0\xAF", 10, true)), HasSubstr("UTF-8"));
  EXPECT_THAT(Message(CheckText("account.name", "\xED\xA0\x80", 10, true)), HasSubstr("UTF-8"));
  EXPECT_TRUE(CheckText("account.region", "", 10, false).ok());
}

TEST(CheckToken, AllowsIdentifierCharactersOnly) {
  EXPECT_TRUE(CheckToken("owner_id", "alice.wang@corp", 128, true).ok());
  EXPECT_THAT(Message(CheckToken("owner_id", "alice wang", 128, true)), HasSubstr("owner_id"));
  EXPECT_THAT(Message(CheckToken("owner_id", "' OR 1=1", 128, true)), HasSubstr("owner_id"));
}

TEST(CheckEnum, RefusesUnknownNumbersAndMissingRequiredValues) {
  EXPECT_TRUE(CheckEnum("account.nature", 3, 5, true).ok());
  EXPECT_THAT(Message(CheckEnum("account.nature", 0, 5, true)), HasSubstr("required"));
  EXPECT_THAT(Message(CheckEnum("account.nature", 9, 5, true)), HasSubstr("unknown value"));
  EXPECT_THAT(Message(CheckEnum("account.nature", -1, 5, false)), HasSubstr("unknown value"));
}

TEST(NormalizePageSize, FollowsAip158) {
  EXPECT_EQ(*NormalizePageSize(0), 50);
  EXPECT_EQ(*NormalizePageSize(7), 7);
  EXPECT_EQ(*NormalizePageSize(100000), 500);
  EXPECT_THAT(Message(NormalizePageSize(-1).status()), HasSubstr("page_size"));
}

TEST(PageToken, RoundTripsAndIsBoundToItsQuery) {
  const std::string token = EncodePageToken(1234, "digest-a");
  EXPECT_EQ(*DecodePageToken(token, "digest-a"), 1234);
  EXPECT_EQ(*DecodePageToken("", "digest-a"), 0);
  EXPECT_THAT(Message(DecodePageToken(token, "digest-b").status()),
              HasSubstr("not issued for this request"));
  // Any changed byte of the token, or of the cursor inside it, is refused.
  std::string bytes;
  ASSERT_TRUE(Base64UrlDecode(token, &bytes));
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x04);
    EXPECT_THAT(Message(DecodePageToken(Base64UrlEncode(flipped), "digest-a").status()),
                HasSubstr("page_token"))
        << "byte " << i;
  }
  EXPECT_THAT(Message(DecodePageToken(Base64UrlEncode(bytes + "x"), "digest-a").status()),
              HasSubstr("page_token"));
  EXPECT_THAT(Message(DecodePageToken("not-a-token", "digest-a").status()),
              HasSubstr("page_token"));
}

}  // namespace
}  // namespace kam
