#include "tests/reliability/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "absl/strings/str_cat.h"

namespace kam::reliability {
namespace {

// How often an idle thread looks at its stop and reset flags.
constexpr int kPollMs = 20;
constexpr size_t kChunkBytes = 64 * 1024;

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

// Closes `fd`; with `reset`, as an abort (RST) rather than an orderly FIN.
void CloseSocket(int fd, bool reset) {
  if (reset) {
    const linger abort_on_close{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
  }
  close(fd);
}

// Delays are per chunk: Nagle's algorithm would merge chunks and hide them.
void NoDelay(int fd) {
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

int ConnectTo(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const sockaddr_in address = Loopback(port);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  NoDelay(fd);
  return fd;
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t written = send(fd, data, size, MSG_NOSIGNAL);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    data += written;
    size -= static_cast<size_t>(written);
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(int target_port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("tcp proxy: socket failed");
  sockaddr_in address = Loopback(0);
  socklen_t size = sizeof(address);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, 64) != 0 || getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    close(fd);
    return absl::InternalError("tcp proxy: cannot listen on a loopback port");
  }
  return std::unique_ptr<TcpProxy>(new TcpProxy(fd, ntohs(address.sin_port), target_port));
}

TcpProxy::TcpProxy(int listen_fd, int port, int target_port)
    : listen_fd_(listen_fd), port_(port), target_port_(target_port) {
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  acceptor_.join();
  close(listen_fd_);
  std::vector<std::thread> pumps;
  {
    std::lock_guard<std::mutex> lock(pumps_mutex_);
    pumps.swap(pumps_);  // each pump takes the lock as it ends
  }
  for (std::thread& pump : pumps) pump.join();
}

std::string TcpProxy::address() const { return absl::StrCat("127.0.0.1:", port_); }

void TcpProxy::SetDelay(absl::Duration per_chunk) {
  delay_us_ = absl::ToInt64Microseconds(per_chunk);
}

void TcpProxy::SetRefuseNew(bool refuse) { refuse_new_ = refuse; }

void TcpProxy::SetSwallowResponses(bool swallow) {
  swallow_before_ = swallow ? next_connection_.load() : 0;
}

void TcpProxy::ResetAll() {
  const int generation = ++reset_generation_;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(pumps_mutex_);
      if (open_generations_.empty() || *open_generations_.begin() >= generation) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void TcpProxy::AcceptLoop() {
  pollfd listening{listen_fd_, POLLIN, 0};
  while (!stopping_) {
    if (poll(&listening, 1, kPollMs) <= 0) continue;
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const int target = refuse_new_ ? -1 : ConnectTo(target_port_);
    if (target < 0) {
      CloseSocket(client, /*reset=*/true);
      continue;
    }
    NoDelay(client);
    ++connections_;
    std::lock_guard<std::mutex> lock(pumps_mutex_);
    const int generation = reset_generation_;
    const int number = next_connection_++;
    open_generations_.insert(generation);
    pumps_.emplace_back(
        [this, client, target, number, generation] { Pump(client, target, number, generation); });
  }
}

// Copies both ways until either side closes (then closes the other in order), or until
// ResetAll or the destructor (then resets both).
void TcpProxy::Pump(int client_fd, int target_fd, int number, int generation) {
  pollfd fds[2] = {{client_fd, POLLIN, 0}, {target_fd, POLLIN, 0}};
  bool open = true;
  auto live = [&] { return open && !stopping_ && reset_generation_ == generation; };
  while (live()) {
    if (poll(fds, 2, kPollMs) <= 0) continue;
    if (fds[0].revents != 0) open = Forward(client_fd, target_fd, false);
    if (live() && fds[1].revents != 0)
      open = Forward(target_fd, client_fd, number < swallow_before_);
  }
  const bool reset = open;  // ended by a reset or the destructor, not by a peer
  CloseSocket(client_fd, reset);
  CloseSocket(target_fd, reset);
  std::lock_guard<std::mutex> lock(pumps_mutex_);
  open_generations_.erase(open_generations_.find(generation));
}

bool TcpProxy::Forward(int from, int to, bool drop) {
  char buffer[kChunkBytes];
  ssize_t got = recv(from, buffer, sizeof(buffer), 0);
  while (got < 0 && errno == EINTR) got = recv(from, buffer, sizeof(buffer), 0);
  if (got <= 0) return false;
  if (const int64_t delay = delay_us_; delay > 0) {
    std::this_thread::sleep_for(std::chrono::microseconds(delay));
  }
  if (drop) {
    swallowed_bytes_ += got;
    return true;
  }
  return WriteAll(to, buffer, static_cast<size_t>(got));
}

}  // namespace kam::reliability
