#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/support/process.h"

namespace kam::test_support {

// A private MariaDB server for one test binary: its own data directory, unix socket and
// loopback TCP port under a fresh temp directory, never the system service. Root has no
// password and is reachable through the socket; services and tests connect over TCP as
// users made by CreateSchemaWithUser. The destructor kills the server and deletes the temp
// directory (kept, and its path printed, when KAM_TEST_KEEP_DB=1).
class MariaDbServer {
 public:
  // Initialises a data directory and starts the server on a free port, returning once it
  // accepts connections (about 1-2 s; gives up after 60 s). Errors carry the tail of the
  // server's log: NOT_FOUND if mariadbd is not installed, DEADLINE_EXCEEDED, INTERNAL.
  static absl::StatusOr<std::unique_ptr<MariaDbServer>> Start();

  MariaDbServer(const MariaDbServer&) = delete;
  MariaDbServer& operator=(const MariaDbServer&) = delete;
  ~MariaDbServer();

  int port() const { return port_; }
  // The server's process id while it runs (0 before the first start).
  pid_t pid() const { return process_ == nullptr ? 0 : process_->pid(); }
  std::string host() const { return "127.0.0.1"; }
  std::string socket_path() const { return dir_ + "/mysqld.sock"; }
  std::string data_dir() const { return dir_ + "/data"; }
  // The server's stdout+stderr (all of its error log), appended across restarts.
  std::string log_path() const { return dir_ + "/mariadbd.log"; }

  // Clean shutdown: SIGTERM (after SIGCONT, in case it is frozen), then waits up to 60 s.
  absl::Status Stop();
  // Crash: SIGKILL and reap. Committed transactions survive (InnoDB recovers them).
  absl::Status Kill();
  // Starts the server again on the same data directory and port and waits until it is
  // ready. FAILED_PRECONDITION if it is still running; UNAVAILABLE-like errors with the
  // log tail if the port was taken meanwhile or recovery fails.
  absl::Status StartAgain();
  // SIGSTOP / SIGCONT: the server keeps its sockets but answers nothing, as a hung
  // database does (clients see timeouts, not refused connections).
  absl::Status Freeze();
  absl::Status Thaw();

  // Runs `sql` (one or more statements) with the `mariadb` client as root over the unix
  // socket. Errors: INTERNAL with the client's stderr.
  absl::Status ExecAsRoot(const std::string& sql);
  // As ExecAsRoot, returning the rows as tab-separated lines (`-N -B`).
  absl::StatusOr<std::string> QueryAsRoot(const std::string& sql);
  // Runs `sql` as `user` over TCP 127.0.0.1:port() (the path services take), returning
  // tab-separated rows. Errors: INTERNAL with the client's stderr (e.g. access denied).
  absl::StatusOr<std::string> QueryAsUser(const std::string& user, const std::string& password,
                                          const std::string& sql);

  // Creates database `schema` (utf8mb4) and the user `user`@127.0.0.1 and
  // `user`@localhost with `password` and ALL privileges on that schema only. Idempotent;
  // an existing user gets `password`. `schema` and `user` must match [A-Za-z0-9_]+
  // (INVALID_ARGUMENT otherwise).
  absl::Status CreateSchemaWithUser(const std::string& schema, const std::string& user,
                                    const std::string& password);

 private:
  MariaDbServer(std::string dir, int port) : dir_(std::move(dir)), port_(port) {}
  absl::Status Initialize();
  absl::Status Launch();
  absl::Status WaitReady();
  static bool AllThreadsStopped(pid_t pid);
  absl::StatusOr<std::string> RunClient(std::vector<std::string> args, const std::string& sql);

  std::string dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace kam::test_support
