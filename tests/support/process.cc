#include "tests/support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace kam::test_support {
namespace {

// Owns a file descriptor so that every early return closes it.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~UniqueFd() { Reset(); }
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

absl::Status ErrnoError(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

// argv and envp as owned strings; the char* arrays are built right before fork so no
// pointer can dangle after a move.
struct ExecPlan {
  std::string program;
  std::vector<std::string> argv;
  std::vector<std::string> env;
};

absl::StatusOr<ExecPlan> MakePlan(const std::string& path, const std::vector<std::string>& args,
                                  const std::map<std::string, std::string>& extra_env) {
  absl::StatusOr<std::string> program = FindExecutable(path);
  if (!program.ok()) return program.status();
  ExecPlan plan{*program, {path}, {}};
  plan.argv.insert(plan.argv.end(), args.begin(), args.end());
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    if (extra_env.count(entry.substr(0, entry.find('='))) == 0) plan.env.push_back(entry);
  }
  for (const auto& [key, value] : extra_env) plan.env.push_back(absl::StrCat(key, "=", value));
  return plan;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Runs in the forked child: only async-signal-safe calls from here to exec.
[[noreturn]] void ExecChild(const char* program, char* const* argv, char* const* envp, pid_t parent,
                            int in_fd, int out_fd, int err_fd, int report_fd) {
  // Die with the test: a killed test binary must not leave servers holding ports.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
  if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(127);
  // A descriptor some library opened without O_CLOEXEC (say, a listening socket) must not
  // outlive its owner inside mariadbd. Best effort: older kernels lack close_range.
  unsigned report = static_cast<unsigned>(report_fd);
  if (report > 3) close_range(3, report - 1, 0);
  close_range(report + 1, ~0U, 0);
  execve(program, argv, envp);
  int err = errno;
  ssize_t ignored = write(report_fd, &err, sizeof(err));
  (void)ignored;
  _exit(127);
}

// Forks and execs `plan` with the given stdio. The CLOEXEC report pipe tells the parent
// whether exec itself failed, so that error surfaces as a Status rather than a log line.
absl::StatusOr<pid_t> ForkExec(ExecPlan plan, int in_fd, int out_fd, int err_fd) {
  std::vector<char*> argv = CStrings(plan.argv);
  std::vector<char*> envp = CStrings(plan.env);
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return ErrnoError("pipe2");
  UniqueFd report_read(report[0]), report_write(report[1]);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return ErrnoError("fork");
  if (pid == 0) {
    ExecChild(plan.program.c_str(), argv.data(), envp.data(), parent, in_fd, out_fd, err_fd,
              report_write.get());
  }
  report_write.Reset();
  int child_errno = 0;
  ssize_t n;
  while ((n = read(report_read.get(), &child_errno, sizeof(child_errno))) < 0 && errno == EINTR) {
  }
  if (n == sizeof(child_errno)) {
    waitpid(pid, nullptr, 0);
    return absl::InternalError(
        absl::StrCat("exec ", plan.program, ": ", std::strerror(child_errno)));
  }
  return pid;
}

// Reaps a short-lived child; kills it first if the caller gives up on it early.
class KillOnExit {
 public:
  explicit KillOnExit(pid_t pid) : pid_(pid) {}
  ~KillOnExit() {
    if (pid_ < 0) return;
    kill(pid_, SIGKILL);
    Wait();
  }
  // Blocks until the child exits; returns its exit code (128 + signal if signalled).
  int Wait() {
    int status = 255 << 8;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return ExitCodeOf(status);
  }

 private:
  pid_t pid_;
};

absl::StatusOr<UniqueFd> OpenDevNull() {
  UniqueFd fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("open /dev/null");
  return fd;
}

// Reads whatever is available on `fd` into `out`; returns false at EOF or on error.
bool Drain(int fd, std::string& out) {
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof(buf));
  if (n > 0) out.append(buf, static_cast<size_t>(n));
  return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(
    const std::string& path, const std::vector<std::string>& args,
    const std::map<std::string, std::string>& extra_env, const std::string& log_path) {
  absl::StatusOr<ExecPlan> plan = MakePlan(path, args, extra_env);
  if (!plan.ok()) return plan.status();
  UniqueFd log(open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (log.get() < 0) return ErrnoError(absl::StrCat("open ", log_path));
  absl::StatusOr<UniqueFd> null_fd = OpenDevNull();
  if (!null_fd.ok()) return null_fd.status();
  absl::StatusOr<pid_t> pid = ForkExec(*std::move(plan), null_fd->get(), log.get(), log.get());
  if (!pid.ok()) return pid.status();
  return std::unique_ptr<ChildProcess>(new ChildProcess(*pid));
}

ChildProcess::~ChildProcess() { (void)Kill(); }

bool ChildProcess::Reap() {
  if (wait_status_.has_value()) return true;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    wait_status_ = status;
  } else if (r < 0 && errno == ECHILD) {
    wait_status_ = 255 << 8;  // reaped elsewhere; the real status is lost
  }
  return wait_status_.has_value();
}

bool ChildProcess::Running() { return !Reap(); }

std::optional<int> ChildProcess::WaitExit(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (!Reap()) {
    if (absl::Now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return ExitCodeOf(*wait_status_);
}

absl::Status ChildProcess::Signal(int signal) {
  if (!Running()) {
    return absl::FailedPreconditionError(absl::StrCat("pid ", pid_, " has already exited"));
  }
  if (kill(pid_, signal) != 0) return ErrnoError(absl::StrCat("kill ", pid_));
  return absl::OkStatus();
}

absl::Status ChildProcess::Terminate(absl::Duration grace) {
  if (Running()) {
    kill(pid_, SIGTERM);
    kill(pid_, SIGCONT);  // a frozen child could not act on SIGTERM otherwise
  }
  std::optional<int> code = WaitExit(grace);
  if (!code.has_value()) {
    (void)Kill();
    return absl::DeadlineExceededError(absl::StrCat(
        "pid ", pid_, " still running ", absl::FormatDuration(grace), " after SIGTERM; killed"));
  }
  if (*code != 0) {
    return absl::InternalError(absl::StrCat("pid ", pid_, " ended with exit code ", *code,
                                            *code > 128 ? " (128 + signal)" : ""));
  }
  return absl::OkStatus();
}

absl::Status ChildProcess::Kill() {
  if (Reap()) return absl::OkStatus();
  if (kill(pid_, SIGKILL) != 0 && errno != ESRCH) return ErrnoError("kill");
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) {
      status = 255 << 8;
      break;
    }
  }
  wait_status_ = status;
  return absl::OkStatus();
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout) {
  if (argv.empty()) return absl::InvalidArgumentError("RunCommand: empty argv");
  absl::StatusOr<ExecPlan> plan =
      MakePlan(argv[0], std::vector<std::string>(argv.begin() + 1, argv.end()), {});
  if (!plan.ok()) return plan.status();
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return ErrnoError("pipe2");
  UniqueFd out_read(out[0]), out_write(out[1]);
  if (pipe2(err, O_CLOEXEC) != 0) return ErrnoError("pipe2");
  UniqueFd err_read(err[0]), err_write(err[1]);
  absl::StatusOr<UniqueFd> null_fd = OpenDevNull();
  if (!null_fd.ok()) return null_fd.status();
  absl::StatusOr<pid_t> pid =
      ForkExec(*std::move(plan), null_fd->get(), out_write.get(), err_write.get());
  if (!pid.ok()) return pid.status();
  KillOnExit child(*pid);
  out_write.Reset();
  err_write.Reset();

  CommandResult result;
  absl::Time deadline = absl::Now() + timeout;
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    int wait_ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (wait_ms <= 0) {
      return absl::DeadlineExceededError(
          absl::StrCat(argv[0], " did not finish within ", absl::FormatDuration(timeout)));
    }
    pollfd fds[2] = {{out_open ? out_read.get() : -1, POLLIN, 0},
                     {err_open ? err_read.get() : -1, POLLIN, 0}};
    if (poll(fds, 2, wait_ms) < 0 && errno != EINTR) return ErrnoError("poll");
    if (fds[0].revents != 0) out_open = Drain(out_read.get(), result.out);
    if (fds[1].revents != 0) err_open = Drain(err_read.get(), result.err);
  }
  result.exit_code = child.Wait();
  return result;
}

absl::StatusOr<std::string> FindExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) == 0) return name;
    return absl::NotFoundError(absl::StrCat("not an executable file: ", name));
  }
  const char* path_env = std::getenv("PATH");
  std::vector<std::string> dirs = absl::StrSplit(path_env ? path_env : "", ':');
  for (const char* dir : {"/usr/local/sbin", "/usr/sbin", "/sbin"}) dirs.push_back(dir);
  for (const std::string& dir : dirs) {
    if (dir.empty()) continue;
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return absl::NotFoundError(absl::StrCat(name, " not found in PATH or sbin directories"));
}

int FreeTcpPort() {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (fd.get() < 0 || bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("FreeTcpPort");
    std::abort();  // no loopback socket at all: no test in this binary can run
  }
  return ntohs(addr.sin_port);
}

absl::StatusOr<std::string> HttpGet(int port, const std::string& path) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return ErrnoError("socket");
  timeval tv = {10, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::UnavailableError(
        absl::StrCat("connect 127.0.0.1:", port, ": ", std::strerror(errno)));
  }
  std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return absl::UnavailableError(absl::StrCat("send to port ", port, " failed"));
  }
  std::string response;
  char buf[8192];
  ssize_t n;
  while ((n = recv(fd.get(), buf, sizeof(buf), 0)) > 0) response.append(buf, n);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    return absl::DeadlineExceededError(absl::StrCat("GET ", path, " on port ", port, " timed out"));
  }
  size_t header_end = response.find("\r\n\r\n");
  std::string status_line = response.substr(0, response.find("\r\n"));
  std::vector<std::string> parts = absl::StrSplit(status_line, ' ');
  if (header_end == std::string::npos || parts.size() < 2 || parts[1] != "200") {
    return absl::FailedPreconditionError(
        absl::StrCat("GET ", path, " on port ", port, ": '", status_line, "'"));
  }
  return response.substr(header_end + 4);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::string TailFile(const std::string& path, int max_lines) {
  std::string text = ReadFile(path);
  size_t start = text.size();
  int newlines = 0;
  for (; start > 0; --start) {
    bool boundary = text[start - 1] == '\n' && start != text.size();
    if (boundary && ++newlines == max_lines) break;
  }
  return text.substr(start);
}

}  // namespace kam::test_support
