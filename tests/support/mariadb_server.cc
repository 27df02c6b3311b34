#include "tests/support/mariadb_server.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"

namespace kam::test_support {
namespace {

constexpr absl::Duration kReadyTimeout = absl::Seconds(60);
constexpr absl::Duration kStopTimeout = absl::Seconds(60);
constexpr absl::Duration kClientTimeout = absl::Seconds(60);
constexpr int kPortAttempts = 3;

absl::StatusOr<std::string> MakeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = absl::StrCat(base && *base ? base : "/tmp", "/kam-mariadb-XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", templ, " failed"));
  }
  return templ;
}

// True once the server sends its handshake (protocol version 10) on the unix socket.
// The greeting only comes after start-up finished, unlike the socket file, which exists
// a little earlier, and a stale one can survive a SIGKILL.
bool Greets(const std::string& socket_path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval tv = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  socket_path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  unsigned char packet[128];
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
            recv(fd, packet, sizeof(packet), 0) >= 5 && packet[4] == 10;
  close(fd);
  return ok;
}

// MariaDB names can be quoted safely only if we restrict them; tests need nothing more.
bool IsPlainName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

bool RunningAsRoot() { return geteuid() == 0; }

}  // namespace

absl::StatusOr<std::unique_ptr<MariaDbServer>> MariaDbServer::Start() {
  absl::StatusOr<std::string> dir = MakeTempDir();
  if (!dir.ok()) return dir.status();
  std::unique_ptr<MariaDbServer> server(new MariaDbServer(*dir, 0));
  if (server->socket_path().size() >= sizeof(sockaddr_un::sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "socket path too long for AF_UNIX: ", server->socket_path(), "; use a shorter TMPDIR"));
  }
  if (absl::Status s = server->Initialize(); !s.ok()) return s;
  // The free port can be taken between probing and binding; only that failure retries.
  absl::Status status;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    server->port_ = FreeTcpPort();
    size_t log_offset = ReadFile(server->log_path()).size();
    status = server->Launch();
    if (status.ok()) status = server->WaitReady();
    if (status.ok()) return server;
    (void)server->Kill();
    if (!absl::StrContains(ReadFile(server->log_path()).substr(log_offset),
                           "Address already in use")) {
      break;
    }
  }
  return status;
}

MariaDbServer::~MariaDbServer() {
  (void)Kill();
  const char* keep = std::getenv("KAM_TEST_KEEP_DB");
  if (keep != nullptr && std::string(keep) == "1") {
    std::fprintf(stderr, "KAM_TEST_KEEP_DB=1: keeping MariaDB directory %s\n", dir_.c_str());
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

absl::Status MariaDbServer::Initialize() {
  std::vector<std::string> argv = {
      "mariadb-install-db", "--no-defaults", "--auth-root-authentication-method=normal",
      "--skip-test-db", absl::StrCat("--datadir=", data_dir()), "--skip-name-resolve",
      // Its own tmpdir: two installs sharing /tmp collide on their scratch tables.
      absl::StrCat("--tmpdir=", dir_),
      // Must match the server's setting; a small redo log keeps the directory at ~35 MB.
      "--innodb-log-file-size=16M"};
  if (RunningAsRoot()) argv.push_back("--user=root");
  absl::StatusOr<CommandResult> result = RunCommand(argv, absl::Seconds(120));
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InternalError(absl::StrCat("mariadb-install-db exited with ", result->exit_code,
                                            ":\n", result->out, result->err));
  }
  return absl::OkStatus();
}

absl::Status MariaDbServer::Launch() {
  std::vector<std::string> args = {
      "--no-defaults",  // must come first: never read /etc/mysql or ~/.my.cnf
      absl::StrCat("--datadir=", data_dir()),
      absl::StrCat("--socket=", socket_path()),
      absl::StrCat("--port=", port_),
      absl::StrCat("--pid-file=", dir_, "/mariadbd.pid"),
      absl::StrCat("--tmpdir=", dir_),
      "--bind-address=127.0.0.1",
      "--skip-name-resolve",
      "--innodb-buffer-pool-size=128M",
      "--innodb-log-file-size=16M",
      // Nothing to warm up in a throwaway server; skipping saves work at start and stop.
      "--innodb-buffer-pool-load-at-startup=OFF",
      "--innodb-buffer-pool-dump-at-shutdown=OFF",
      "--character-set-server=utf8mb4",
      "--collation-server=utf8mb4_unicode_ci",
      "--max-connections=300",
  };
  if (RunningAsRoot()) args.push_back("--user=root");
  // The log is appended across restarts; the marker shows where this start begins.
  std::ofstream(log_path(), std::ios::app)
      << "=== test harness: starting mariadbd on port " << port_ << " ===\n";
  absl::StatusOr<std::unique_ptr<ChildProcess>> process =
      ChildProcess::Spawn("mariadbd", args, {}, log_path());
  if (!process.ok()) return process.status();
  process_ = *std::move(process);
  return absl::OkStatus();
}

absl::Status MariaDbServer::WaitReady() {
  absl::Time start = absl::Now();
  while (absl::Now() - start < kReadyTimeout) {
    if (!process_->Running()) {
      return absl::InternalError(
          absl::StrCat("mariadbd exited during start-up; log tail:\n", TailFile(log_path())));
    }
    if (Greets(socket_path())) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat("mariadbd not ready after ",
                                                  absl::FormatDuration(kReadyTimeout),
                                                  "; log tail:\n", TailFile(log_path())));
}

absl::Status MariaDbServer::Stop() {
  if (process_ == nullptr || !process_->Running()) return absl::OkStatus();
  absl::Status status = process_->Terminate(kStopTimeout);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("mariadbd shutdown: ", status.message(),
                                            "; log tail:\n", TailFile(log_path())));
  }
  return absl::OkStatus();
}

absl::Status MariaDbServer::Kill() {
  if (process_ == nullptr) return absl::OkStatus();
  return process_->Kill();
}

absl::Status MariaDbServer::StartAgain() {
  if (process_ != nullptr && process_->Running()) {
    return absl::FailedPreconditionError("mariadbd is still running; Stop() or Kill() first");
  }
  if (absl::Status s = Launch(); !s.ok()) return s;
  return WaitReady();
}

absl::Status MariaDbServer::Freeze() {
  if (process_ == nullptr) return absl::FailedPreconditionError("mariadbd was never started");
  if (absl::Status sent = process_->Signal(SIGSTOP); !sent.ok()) return sent;
  // SIGSTOP is asynchronous: a thread already running could still answer one more query.
  // Return only once every thread is stopped.
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (!AllThreadsStopped(process_->pid())) {
    if (absl::Now() > give_up) return absl::DeadlineExceededError("mariadbd did not stop");
    absl::SleepFor(absl::Milliseconds(5));
  }
  return absl::OkStatus();
}

bool MariaDbServer::AllThreadsStopped(pid_t pid) {
  const std::string tasks = absl::StrCat("/proc/", pid, "/task");
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    // /proc/<pid>/task/<tid>/stat: "tid (comm) S ..."; the state follows the last ')'.
    const std::string stat = ReadFile(task.path().string() + "/stat");
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
    const char state = stat[paren + 2];
    if (state != 'T' && state != 't') return false;
  }
  return !error;
}

absl::Status MariaDbServer::Thaw() {
  if (process_ == nullptr) return absl::FailedPreconditionError("mariadbd was never started");
  return process_->Signal(SIGCONT);
}

absl::StatusOr<std::string> MariaDbServer::RunClient(std::vector<std::string> args,
                                                     const std::string& sql) {
  std::vector<std::string> argv = {"mariadb", "--no-defaults", "--connect-timeout=10"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("-e");
  argv.push_back(sql);
  absl::StatusOr<CommandResult> result = RunCommand(argv, kClientTimeout);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("mariadb client exited with ", result->exit_code, ": ", result->err));
  }
  return result->out;
}

absl::Status MariaDbServer::ExecAsRoot(const std::string& sql) {
  return RunClient({absl::StrCat("--socket=", socket_path()), "-uroot"}, sql).status();
}

absl::StatusOr<std::string> MariaDbServer::QueryAsRoot(const std::string& sql) {
  return RunClient({absl::StrCat("--socket=", socket_path()), "-uroot", "-N", "-B"}, sql);
}

absl::StatusOr<std::string> MariaDbServer::QueryAsUser(const std::string& user,
                                                       const std::string& password,
                                                       const std::string& sql) {
  return RunClient({"--protocol=TCP", "-h", host(), "-P", absl::StrCat(port_), "-u", user,
                    absl::StrCat("--password=", password), "-N", "-B"},
                   sql);
}

absl::Status MariaDbServer::CreateSchemaWithUser(const std::string& schema, const std::string& user,
                                                 const std::string& password) {
  if (!IsPlainName(schema) || !IsPlainName(user)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "schema and user must match [A-Za-z0-9_]{1,64}: '", schema, "', '", user, "'"));
  }
  std::string quoted_password = absl::StrReplaceAll(password, {{"\\", "\\\\"}, {"'", "\\'"}});
  // In GRANT, '_' in a database name is a wildcard: kam_a would also cover kamXa.
  std::string grant_db = absl::StrReplaceAll(schema, {{"_", "\\_"}});
  std::string sql = absl::StrCat("CREATE DATABASE IF NOT EXISTS `", schema,
                                 "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;");
  for (const char* host : {"127.0.0.1", "localhost"}) {
    std::string account = absl::StrCat("'", user, "'@'", host, "'");
    absl::StrAppend(&sql, "CREATE USER IF NOT EXISTS ", account, ";",  //
                    "ALTER USER ", account, " IDENTIFIED BY '", quoted_password, "';",
                    "GRANT ALL PRIVILEGES ON `", grant_db, "`.* TO ", account, ";");
  }
  return ExecAsRoot(sql);
}

}  // namespace kam::test_support
