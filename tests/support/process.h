#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace kam::test_support {

// A child process started by the test (a service binary, mariadbd, ...). It inherits the
// test's environment plus `extra_env`, and its stdout and stderr are appended to one log
// file so a failing test can show what the child said. On Linux the child receives SIGKILL
// when the thread that spawned it dies, so a crashed or timed-out test leaves no orphan.
class ChildProcess {
 public:
  // Starts `path` (absolute, relative, or a bare name looked up in PATH and the sbin
  // directories) with `args` (argv[1..]). Errors: NOT_FOUND if the program does not
  // exist, INTERNAL if the log cannot be opened or fork/exec fails.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(
      const std::string& path, const std::vector<std::string>& args,
      const std::map<std::string, std::string>& extra_env, const std::string& log_path);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Kills and reaps the child if it is still running.
  ~ChildProcess();

  pid_t pid() const { return pid_; }

  // SIGTERM, then waits up to `grace`; if it is still running, SIGKILL. OK only when the
  // child exited by itself with code 0 within the grace period; otherwise the error says
  // how it ended (exit code, signal, or killed after the grace period).
  absl::Status Terminate(absl::Duration grace);

  // SIGKILL and reap. OK also when the child had already exited.
  absl::Status Kill();

  // Sends `signal` (e.g. SIGSTOP/SIGCONT) without waiting. FAILED_PRECONDITION if exited.
  absl::Status Signal(int signal);

  // True until the child has exited (reaps it if it just did).
  bool Running();

  // Waits up to `timeout` for the child to exit. Returns its exit code, or 128 + signal
  // number when a signal ended it (the shell convention); nullopt on timeout.
  std::optional<int> WaitExit(absl::Duration timeout);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  // Non-blocking reap; records the exit status. Returns true if the child has exited.
  bool Reap();

  pid_t pid_;
  std::optional<int> wait_status_;  // raw waitpid() status once reaped
};

// Output of a short-lived command run to completion.
struct CommandResult {
  int exit_code = -1;  // 128 + signal number when a signal ended it
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] resolved like ChildProcess::Spawn; stdin is /dev/null) to
// completion, capturing stdout and stderr. Errors: NOT_FOUND for a missing program,
// DEADLINE_EXCEEDED (child killed) after `timeout`, INTERNAL if it cannot be started.
// A non-zero exit code is not an error here; callers decide.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout = absl::Seconds(60));

// Finds an executable by name in PATH, then /usr/local/sbin, /usr/sbin and /sbin (which
// are not in a normal user's PATH on Debian, but hold mariadbd). NOT_FOUND otherwise.
absl::StatusOr<std::string> FindExecutable(const std::string& name);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
// Another process may take it before the caller binds it; callers that can, retry.
// Aborts the test binary if no socket can be bound at all.
int FreeTcpPort();

// Plain HTTP/1.0 GET of `path` from 127.0.0.1:`port` with a 10 s timeout. Returns the
// body. Errors: UNAVAILABLE if the connection fails, DEADLINE_EXCEEDED on timeout,
// FAILED_PRECONDITION with the status line on any status other than 200.
absl::StatusOr<std::string> HttpGet(int port, const std::string& path);

// The whole file, or "" if it cannot be read (logs that do not exist yet read as empty).
std::string ReadFile(const std::string& path);

// The last `max_lines` lines of a file, for error messages that quote a log.
std::string TailFile(const std::string& path, int max_lines = 30);

}  // namespace kam::test_support
