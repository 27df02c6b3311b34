#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/db.h"
#include "services/common/migrations.h"
#include "tests/support/mariadb_server.h"
#include "tests/support/test_helpers.h"

namespace kam::test_support {

// A store test against real MariaDB: one private server per test suite, and for each test
// (OpenSchema in SetUp) a fresh schema with its own user, a pool and the service's
// migrations, so tests never see each other's rows.
class SchemaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<MariaDbServer>> server = MariaDbServer::Start();
    ASSERT_TRUE(Ok(server));
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  // `wait` bounds the wait for a pooled connection and each statement: concurrent tests
  // queue for the pool's 12 connections.
  void OpenSchema(const std::string& prefix, const std::vector<Migration>& migrations,
                  absl::Duration wait) {
    ASSERT_NE(server_, nullptr) << "the private MariaDB did not start";
    schema_ = absl::StrCat(prefix, "_", ++schemas_opened_);
    const std::string password = "pw-" + schema_;
    ASSERT_TRUE(Ok(server_->CreateSchemaWithUser(schema_, schema_, password)));
    DbSettings db{server_->host(), server_->port(), schema_, password, schema_};
    db.pool_size = 12;
    db.pool_wait = wait;
    db.io_timeout = wait;
    pool_ = std::make_unique<DbPool>(std::move(db), nullptr);
    ASSERT_TRUE(Ok(ApplyMigrations(*pool_, migrations)));
  }

  // SQL as root in this test's schema: rows as tab-split fields, a statement, one value.
  std::vector<std::vector<std::string>> Rows(const std::string& sql) const {
    absl::StatusOr<std::string> out =
        SchemaTest::server_->QueryAsRoot(absl::StrCat("USE ", schema_, "; ", sql));
    EXPECT_TRUE(Ok(out)) << sql;
    std::vector<std::vector<std::string>> rows;
    if (!out.ok()) return rows;
    for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipEmpty())) {
      rows.push_back(absl::StrSplit(line, '\t'));
    }
    return rows;
  }
  void Exec(const std::string& sql) const {
    ASSERT_TRUE(Ok(SchemaTest::server_->ExecAsRoot(absl::StrCat("USE ", schema_, "; ", sql))))
        << sql;
  }
  std::string One(const std::string& sql) const {
    auto rows = Rows(sql);
    return rows.empty() ? "" : rows[0][0];
  }

  static inline MariaDbServer* server_ = nullptr;
  static inline int schemas_opened_ = 0;
  std::string schema_;
  std::unique_ptr<DbPool> pool_;
};

}  // namespace kam::test_support
