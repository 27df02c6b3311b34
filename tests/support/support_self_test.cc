// Proves the harness itself, so a failing integration test points at the service, not here.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/mariadb_server.h"
#include "tests/support/process.h"

namespace kam::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class MariaDbServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Time start = absl::Now();
    absl::StatusOr<std::unique_ptr<MariaDbServer>> server = MariaDbServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    RecordProperty("start_ms", absl::StrCat(absl::ToInt64Milliseconds(absl::Now() - start)));
    server_ = *std::move(server);
  }

  std::unique_ptr<MariaDbServer> server_;
};

TEST_F(MariaDbServerTest, UserReachesOwnSchemaOverTcpOnly) {
  ASSERT_TRUE(server_->CreateSchemaWithUser("kam_a", "kam_a", "s3cret'pw").ok());
  // "kamxa" would match an unescaped grant on kam_a, where '_' is a wildcard.
  absl::Status others = server_->ExecAsRoot(
      "CREATE DATABASE kamxa; CREATE TABLE kamxa.t (id INT);"
      "CREATE DATABASE kam_b; CREATE TABLE kam_b.t (id INT);");
  ASSERT_TRUE(others.ok()) << others;

  absl::StatusOr<std::string> rows =
      server_->QueryAsUser("kam_a", "s3cret'pw",
                           "CREATE TABLE kam_a.t (id INT PRIMARY KEY, name VARCHAR(20));"
                           "INSERT INTO kam_a.t VALUES (1, '客户');"
                           "SELECT id, name, @@character_set_server FROM kam_a.t;");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, "1\t客户\tutf8mb4\n");

  absl::StatusOr<std::string> databases =
      server_->QueryAsUser("kam_a", "s3cret'pw", "SHOW DATABASES");
  ASSERT_TRUE(databases.ok()) << databases.status();
  EXPECT_THAT(*databases, HasSubstr("kam_a\n"));
  EXPECT_THAT(*databases, Not(HasSubstr("kamxa")));
  EXPECT_THAT(*databases, Not(HasSubstr("kam_b")));
  for (const char* other : {"kamxa", "kam_b"}) {
    absl::StatusOr<std::string> denied =
        server_->QueryAsUser("kam_a", "s3cret'pw", absl::StrCat("SELECT * FROM ", other, ".t"));
    EXPECT_THAT(denied.status().message(), HasSubstr("denied")) << other;
  }
  EXPECT_FALSE(server_->QueryAsUser("kam_a", "wrong", "SELECT 1").ok());
}

TEST_F(MariaDbServerTest, KillAndStartAgainKeepCommittedRows) {
  absl::Status created = server_->ExecAsRoot(
      "CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY) ENGINE=InnoDB;"
      "INSERT INTO d.t VALUES (42);");
  ASSERT_TRUE(created.ok()) << created;
  int port = server_->port();
  ASSERT_TRUE(server_->Kill().ok());
  EXPECT_FALSE(server_->QueryAsRoot("SELECT 1").ok());

  absl::Status restarted = server_->StartAgain();
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_EQ(server_->port(), port);
  absl::StatusOr<std::string> rows = server_->QueryAsRoot("SELECT id FROM d.t");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, "42\n");
}

TEST_F(MariaDbServerTest, StopShutsDownCleanlyAndCanRestart) {
  EXPECT_EQ(server_->StartAgain().code(), absl::StatusCode::kFailedPrecondition);
  absl::Status stopped = server_->Stop();
  ASSERT_TRUE(stopped.ok()) << stopped;
  EXPECT_THAT(ReadFile(server_->log_path()), HasSubstr("Shutdown complete"));
  EXPECT_FALSE(server_->QueryAsRoot("SELECT 1").ok());
  ASSERT_TRUE(server_->StartAgain().ok());
  EXPECT_TRUE(server_->QueryAsRoot("SELECT 1").ok());
}

// True if the server sends its greeting on TCP within `wait`.
bool GreetsOverTcp(int port, absl::Duration wait) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv = absl::ToTimeval(wait);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  char buf[128];
  bool greeted = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                 recv(fd, buf, sizeof(buf), 0) > 0;
  close(fd);
  return greeted;
}

TEST_F(MariaDbServerTest, FrozenServerHangsUntilThawed) {
  EXPECT_TRUE(GreetsOverTcp(server_->port(), absl::Seconds(5)));
  ASSERT_TRUE(server_->Freeze().ok());
  // The port still accepts (the kernel queues it) but nothing answers: a hung database.
  EXPECT_FALSE(GreetsOverTcp(server_->port(), absl::Milliseconds(500)));
  ASSERT_TRUE(server_->Thaw().ok());
  EXPECT_TRUE(server_->QueryAsRoot("SELECT 1").ok());
}

class ChildProcessTest : public ::testing::Test {
 protected:
  std::string LogPath() {
    return absl::StrCat(::testing::TempDir(), "/child_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".log");
  }
};

TEST_F(ChildProcessTest, PassesEnvironmentAndAppendsOutputToLog) {
  std::string log = LogPath();
  std::remove(log.c_str());
  for (int i = 0; i < 2; ++i) {
    auto child = ChildProcess::Spawn("sh", {"-c", "echo out=$KAM_X; echo err >&2; exit 3"},
                                     {{"KAM_X", "hello"}}, log);
    ASSERT_TRUE(child.ok()) << child.status();
    EXPECT_EQ((*child)->WaitExit(absl::Seconds(10)), 3);
    EXPECT_FALSE((*child)->Running());
  }
  EXPECT_EQ(ReadFile(log), "out=hello\nerr\nout=hello\nerr\n");
  EXPECT_EQ(TailFile(log, 2), "out=hello\nerr\n");
}

TEST_F(ChildProcessTest, DoesNotInheritStrayDescriptors) {
  int stray = open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(stray, 3);
  std::string log = LogPath();
  std::remove(log.c_str());
  auto child = ChildProcess::Spawn(
      "sh", {"-c", absl::StrCat("test -e /proc/self/fd/", stray, " && echo leaked || echo closed")},
      {}, log);
  close(stray);
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ((*child)->WaitExit(absl::Seconds(10)), 0);
  EXPECT_EQ(ReadFile(log), "closed\n");
}

TEST_F(ChildProcessTest, TerminateTellsHowTheChildEnded) {
  auto graceful = ChildProcess::Spawn(
      "sh", {"-c", "trap 'exit 0' TERM; while :; do sleep 0.05; done"}, {}, LogPath());
  ASSERT_TRUE(graceful.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the trap be set
  EXPECT_TRUE((*graceful)->Terminate(absl::Seconds(10)).ok());

  auto no_handler = ChildProcess::Spawn("sleep", {"30"}, {}, LogPath());
  ASSERT_TRUE(no_handler.ok());
  absl::Status killed_by_term = (*no_handler)->Terminate(absl::Seconds(10));
  EXPECT_THAT(killed_by_term.message(), HasSubstr("exit code 143"));

  auto stubborn = ChildProcess::Spawn("sh", {"-c", "trap '' TERM; sleep 30"}, {}, LogPath());
  ASSERT_TRUE(stubborn.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ((*stubborn)->Terminate(absl::Milliseconds(300)).code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE((*stubborn)->Running());
}

TEST_F(ChildProcessTest, MissingProgramIsNotFound) {
  auto child = ChildProcess::Spawn("/nonexistent/kam-nothing", {}, {}, LogPath());
  EXPECT_EQ(child.status().code(), absl::StatusCode::kNotFound);
}

// Serves one canned HTTP response on a fresh port; returns the port, or -1.
int ServeOnce(const std::string& response, std::thread& server) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      listen(listener, 1) != 0) {
    close(listener);
    return -1;
  }
  server = std::thread([listener, response] {
    int conn = accept(listener, nullptr, nullptr);
    char buf[1024];
    if (recv(conn, buf, sizeof(buf), 0) > 0) {
      send(conn, response.data(), response.size(), MSG_NOSIGNAL);
    }
    close(conn);
    close(listener);
  });
  return ntohs(addr.sin_port);
}

TEST(HttpGetTest, ReturnsBodyOn200AndErrorOtherwise) {
  std::thread server;
  int port = ServeOnce("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nup 1\n", server);
  ASSERT_GT(port, 0);
  absl::StatusOr<std::string> body = HttpGet(port, "/metrics");
  server.join();
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "up 1\n");

  port = ServeOnce("HTTP/1.1 404 Not Found\r\n\r\nnope", server);
  ASSERT_GT(port, 0);
  absl::StatusOr<std::string> missing = HttpGet(port, "/nope");
  server.join();
  EXPECT_THAT(missing.status().message(), HasSubstr("404"));
  EXPECT_EQ(HttpGet(FreeTcpPort(), "/").status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace kam::test_support
