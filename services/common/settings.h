#pragma once

#include <CLI/CLI.hpp>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace kam {

// What every service process needs to serve.
// HMAC keys (identity, JWT) must have at least this many bytes: 256 bits, as HS256 wants.
inline constexpr size_t kMinKeyBytes = 32;

struct ServerSettings {
  int grpc_port = 0;
  int metrics_port = 0;
  // HMAC key that signs the identity the gateway forwards (ARCHITECTURE.md, "The gateway").
  std::string identity_key;
  // After SIGTERM, readiness reports NOT_SERVING for this long while calls are still
  // served, so that load balancers stop routing here before the server stops accepting.
  absl::Duration drain_delay = absl::ZeroDuration();
  // Then new calls are refused and in-flight ones get this long before being cancelled.
  absl::Duration drain_grace = absl::Seconds(20);
  // The largest request message the server accepts; a larger one is refused with
  // RESOURCE_EXHAUSTED before any handler runs.
  int max_message_bytes = 4 << 20;
};

struct DbSettings {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user;
  std::string password;
  std::string name;
  int pool_size = 8;
  // A caller that waits longer than this for a pooled connection gets UNAVAILABLE.
  absl::Duration pool_wait = absl::Seconds(2);
  // Bounds every network wait on the database so a frozen server cannot hang a worker.
  absl::Duration io_timeout = absl::Seconds(10);
};

// Settings from flags with environment fallbacks (flag wins), validated before anything
// starts. Each option is named by both its flag and its variable in error messages.
class Settings {
 public:
  explicit Settings(std::string program);

  void AddServer(ServerSettings& out, int default_grpc_port, int default_metrics_port);
  void AddDatabase(DbSettings& out, std::string default_name);
  // A secret given inline (--<flag> / <env>) or as a file (--<flag>-file / <env>_FILE);
  // exactly one is required when `required`. A trailing newline in the file is dropped.
  // Keys shorter than `min_bytes` are refused (a guessable HMAC key forges identities).
  void AddSecret(std::string& out, const std::string& flag, const std::string& env, bool required,
                 size_t min_bytes = 0);
  // A positive duration written as "10s", "500ms", "1m30s" (absl::ParseDuration; a bare
  // number is seconds). `out` holds the default.
  void AddDuration(absl::Duration& out, const std::string& flag, const std::string& env,
                   const std::string& help);
  // A "host:port" address; required.
  void AddAddress(std::string& out, const std::string& flag, const std::string& env,
                  std::string default_value);

  CLI::App& app() { return app_; }

  // Parses argv and the environment and runs every check. The error message is one line
  // naming the setting, e.g. "--db-user (KAM_DB_USER) is required".
  absl::Status Parse(int argc, const char* const* argv);
  // Parse, and on error print "<program>: <message>" to stderr and exit(2). --help exits 0.
  void ParseOrExit(int argc, const char* const* argv);

 private:
  std::string program_;
  CLI::App app_;
  std::vector<std::function<absl::Status()>> checks_;
  std::deque<std::string> secret_files_;  // deque: stable addresses for CLI11 to write into
};

}  // namespace kam
