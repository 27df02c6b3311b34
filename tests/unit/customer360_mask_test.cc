#include "gtest/gtest.h"
#include "services/common/masking.h"

namespace kam {
namespace {

TEST(Customer360MaskTest, PhonesKeepTheirFirstThreeAndLastFourCharacters) {
  EXPECT_EQ(MaskPhone("13812345678"), "138****5678");
  EXPECT_EQ(MaskPhone("+86 21 5555 0101"), "+86****0101");
  EXPECT_EQ(MaskPhone("5550101"), "****") << "short numbers are masked whole";
  EXPECT_EQ(MaskPhone(""), "");
}

TEST(Customer360MaskTest, EmailsKeepTheirFirstCharacterAndDomain) {
  EXPECT_EQ(MaskEmail("zhang.wei@example.com"), "z***@example.com");
  EXPECT_EQ(MaskEmail("a@b.cn"), "a***@b.cn");
  EXPECT_EQ(MaskEmail("张伟@example.com"), "张***@example.com") << "a whole UTF-8 character";
  EXPECT_EQ(MaskEmail("@example.com"), "***");
  EXPECT_EQ(MaskEmail("not-an-address"), "***");
  EXPECT_EQ(MaskEmail(""), "");
}

}  // namespace
}  // namespace kam
