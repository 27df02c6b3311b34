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
          "KAM_IDENTITY_KEY_FILE", "KAM_DB_POOL_SIZE", "KAM_DRAIN_GRACE_SECONDS",
          "KAM_MAX_MESSAGE_BYTES", "KAM_TEST_DEADLINE"}) {
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

TEST_F(SettingsTest, MessageSizeCapDefaultsToFourMebibytesAndIsChecked) {
  ASSERT_TRUE(Parse({}).ok());
  EXPECT_EQ(server_.max_message_bytes, 4 << 20);
  setenv("KAM_MAX_MESSAGE_BYTES", "65536", 1);
  ASSERT_TRUE(Parse({}).ok());
  EXPECT_EQ(server_.max_message_bytes, 65536);
}

TEST_F(SettingsTest, TinyMessageSizeCapIsRefused) {
  EXPECT_THAT(std::string(Parse({"--max-message-bytes", "10"}).message()),
              HasSubstr("KAM_MAX_MESSAGE_BYTES"));
}

// A Settings with only a duration option, default 10 s; the parsed value or the error.
absl::StatusOr<absl::Duration> ParseDeadline(std::vector<const char*> args) {
  absl::Duration deadline = absl::Seconds(10);
  Settings settings("kam-test");
  settings.AddDuration(deadline, "--deadline", "KAM_TEST_DEADLINE", "a deadline");
  args.insert(args.begin(), "kam-test");
  if (absl::Status status = settings.Parse(static_cast<int>(args.size()), args.data());
      !status.ok()) {
    return status;
  }
  return deadline;
}

TEST_F(SettingsTest, DurationKeepsItsDefault) {
  EXPECT_EQ(ParseDeadline({}).value(), absl::Seconds(10));
}

TEST_F(SettingsTest, DurationReadsUnits) {
  EXPECT_EQ(ParseDeadline({"--deadline", "1m30s"}).value(), absl::Seconds(90));
  setenv("KAM_TEST_DEADLINE", "250ms", 1);
  EXPECT_EQ(ParseDeadline({}).value(), absl::Milliseconds(250));
}

TEST_F(SettingsTest, DurationAsBareNumberIsSeconds) {
  EXPECT_EQ(ParseDeadline({"--deadline=2.5"}).value(), absl::Milliseconds(2500));
}

TEST_F(SettingsTest, NonsenseZeroAndNegativeDurationsAreRefusedNamingTheSetting) {
  for (const std::string bad : {"soon", "0s", "-5s", "10 s", "inf"}) {
    const std::string arg = "--deadline=" + bad;
    const absl::Status status = ParseDeadline({arg.c_str()}).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(status.message()), HasSubstr("--deadline (KAM_TEST_DEADLINE)")) << bad;
    EXPECT_THAT(std::string(status.message()), HasSubstr("\"" + bad + "\"")) << bad;
  }
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
