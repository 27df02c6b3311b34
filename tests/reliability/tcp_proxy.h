#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace kam::reliability {

// A loopback TCP proxy to put between two services (e.g. the gateway and accounts) and make
// the link between them slow or broken on command. It listens on a free port of 127.0.0.1 and
// forwards every accepted connection to `target_port`, one thread per connection copying
// bytes both ways. Faults, each changeable at any time:
//  - a delay before every chunk it forwards (a slow network or a slow peer);
//  - refusing new connections (accepted and reset at once: the peer is unreachable);
//  - swallowing what the target sends back on the connections open now (the target acts, its
//    answer never arrives);
//  - resetting every live connection (RST, as when a peer or a middlebox dies).
// Thread-safe. The destructor resets every connection and joins every thread.
class TcpProxy {
 public:
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // "127.0.0.1:<port>", for a service's *_ADDR setting.
  std::string address() const;

  void SetDelay(absl::Duration per_chunk);
  void SetRefuseNew(bool refuse);
  // From now on, drops what the target sends on the connections open now (not on later
  // ones: a new connection's handshake must get through); false forwards again.
  void SetSwallowResponses(bool swallow);
  // Resets (RST) every connection open now, and returns once they are closed (nothing more
  // crosses them); later connections are not affected.
  void ResetAll();

  // Connections accepted and forwarded so far (refused ones not counted).
  int connections() const { return connections_.load(); }
  // Bytes the target sent that were dropped while swallowing.
  int64_t swallowed_bytes() const { return swallowed_bytes_.load(); }

 private:
  TcpProxy(int listen_fd, int port, int target_port);
  void AcceptLoop();
  void Pump(int client_fd, int target_fd, int number, int generation);
  // Copies one chunk from `from` to `to` (or drops it when `drop`); false when `from` ended.
  bool Forward(int from, int to, bool drop);

  int listen_fd_;
  int port_;
  int target_port_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> delay_us_{0};
  std::atomic<bool> refuse_new_{false};
  std::atomic<int> next_connection_{0};
  std::atomic<int> swallow_before_{0};  // connections numbered below this are swallowed
  std::atomic<int> reset_generation_{0};
  std::multiset<int> open_generations_;  // of the pumps still running
  std::atomic<int> connections_{0};
  std::atomic<int64_t> swallowed_bytes_{0};
  std::thread acceptor_;
  std::mutex pumps_mutex_;
  std::vector<std::thread> pumps_;
};

}  // namespace kam::reliability
