#include "services/common/settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <vector>

namespace kam {
namespace {

using ::testing::HasSubstr;

constexpr char kKey[] = "0123456789abcdef0123456789abcdef";

// Each test sees only the variables it sets.
class SettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name :
         {"KAM_GRPC_PORT", "KAM_METRICS_PORT", "KAM_DB_HOST", "KAM_DB_PORT", "KAM_DB_USER",
          "KAM_DB_NAME", "KAM_DB_PASSWORD", "KAM_DB_PASSWORD_FILE", "KAM_IDENTITY_KEY",
          "KAM_IDENTITY_KEY_FILE", "KAM_DB_POOL_SIZE", "KAM_DRAIN_GRACE_SECONDS"}) {
      unsetenv(name);
    }
    setenv("KAM_DB_PASSWORD", "pw", 1);
    setenv("KAM_IDENTITY_KEY", kKey, 1);
  }

  absl::Status Parse(std::vector<const char*> args) {
    args.insert(args.begin(), "kam-test");
    settings_.AddServer(server_, 50061, 9101);
    settings_.AddDatabase(db_, "kam_accounts");
    return settings_.Parse(static_cast<int>(args.size()), args.data());
  }

  Settings settings_{"kam-test"};
  ServerSettings server_;
  DbSettings db_;
};

TEST_F(SettingsTest, DefaultsApplyWhenOnlySecretsAreGiven) {
  ASSERT_TRUE(Parse({}).ok());
  EXPECT_EQ(server_.grpc_port, 50061);
  EXPECT_EQ(server_.metrics_port, 9101);
  EXPECT_EQ(db_.name, "kam_accounts");
  EXPECT_EQ(db_.user, "kam_accounts");
  EXPECT_EQ(db_.password, "pw");
  EXPECT_EQ(server_.identity_key, kKey);
}

TEST_F(SettingsTest, EnvironmentFeedsAndFlagsWin) {
  setenv("KAM_GRPC_PORT", "6000", 1);
  setenv("KAM_DB_HOST", "db.internal", 1);
  ASSERT_TRUE(Parse({"--grpc-port", "7000"}).ok());
  EXPECT_EQ(server_.grpc_port, 7000);
  EXPECT_EQ(db_.host, "db.internal");
}

TEST_F(SettingsTest, MissingSecretNamesBothForms) {
  unsetenv("KAM_DB_PASSWORD");
  const absl::Status status = Parse({});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("KAM_DB_PASSWORD"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("KAM_DB_PASSWORD_FILE"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("required"));
}

TEST_F(SettingsTest, MalformedPortNamesTheVariable) {
  setenv("KAM_GRPC_PORT", "70000", 1);
  const absl::Status status = Parse({});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("--grpc-port (KAM_GRPC_PORT)"));
}

TEST_F(SettingsTest, NonNumericPoolSizeIsRefused) {
  setenv("KAM_DB_POOL_SIZE", "many", 1);
  const absl::Status status = Parse({});
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("KAM_DB_POOL_SIZE"));
}

TEST_F(SettingsTest, NegativeDurationIsRefused) {
  setenv("KAM_DRAIN_GRACE_SECONDS", "-1", 1);
  EXPECT_THAT(std::string(Parse({}).message()), HasSubstr("KAM_DRAIN_GRACE_SECONDS"));
}

TEST_F(SettingsTest, SecretFileIsReadWithoutTrailingNewline) {
  unsetenv("KAM_DB_PASSWORD");
  const std::string path = testing::TempDir() + "/db_password";
  std::ofstream(path) << "s3cret\n";
  setenv("KAM_DB_PASSWORD_FILE", path.c_str(), 1);
  ASSERT_TRUE(Parse({}).ok());
  EXPECT_EQ(db_.password, "s3cret");
}

TEST_F(SettingsTest, UnreadableSecretFileIsNamed) {
  unsetenv("KAM_DB_PASSWORD");
  setenv("KAM_DB_PASSWORD_FILE", "/nonexistent/password", 1);
  EXPECT_THAT(std::string(Parse({}).message()), HasSubstr("KAM_DB_PASSWORD_FILE"));
}

TEST_F(SettingsTest, BothSecretFormsAtOnceIsAmbiguous) {
  const std::string path = testing::TempDir() + "/identity_key";
  std::ofstream(path) << "other";
  setenv("KAM_IDENTITY_KEY_FILE", path.c_str(), 1);
  EXPECT_THAT(std::string(Parse({}).message()), HasSubstr("set only one of --identity-key"));
}

TEST_F(SettingsTest, ShortKeyIsRefused) {
  setenv("KAM_IDENTITY_KEY", "short", 1);
  EXPECT_THAT(std::string(Parse({}).message()), HasSubstr("too short"));
}

TEST(SettingsAddress, RequiresHostAndPort) {
  for (const char* bad : {"accounts", ":50061", "accounts:port", "accounts:0"}) {
    Settings settings("kam-test");
    std::string address;
    settings.AddAddress(address, "--accounts-addr", "KAM_ACCOUNTS_ADDR", "accounts:50061");
    const char* argv[] = {"kam-test", "--accounts-addr", bad};
    const absl::Status status = settings.Parse(3, argv);
    EXPECT_THAT(std::string(status.message()), HasSubstr("KAM_ACCOUNTS_ADDR")) << bad;
  }
  Settings settings("kam-test");
  std::string address;
  settings.AddAddress(address, "--accounts-addr", "KAM_ACCOUNTS_ADDR", "accounts:50061");
  const char* argv[] = {"kam-test"};
  EXPECT_TRUE(settings.Parse(1, argv).ok());
  EXPECT_EQ(address, "accounts:50061");
}

}  // namespace
}  // namespace kam
