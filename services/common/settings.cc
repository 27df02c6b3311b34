#include "services/common/settings.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace kam {
namespace {

// Seconds as a flag, absl::Duration in the struct.
void AddSeconds(CLI::App& app, const std::string& flag, const std::string& env, absl::Duration& out,
                const std::string& help) {
  app.add_option_function<double>(
         flag, [&out](double value) { out = absl::Seconds(value); }, help)
      ->envname(env)
      ->check(CLI::NonNegativeNumber)
      ->default_str(absl::StrCat(absl::ToDoubleSeconds(out)));
}

// "10s", "250ms", "1m30s", or a bare number of seconds; only positive durations.
absl::StatusOr<absl::Duration> ParsePositiveDuration(const std::string& text) {
  absl::Duration duration;
  double seconds = 0;
  if (absl::SimpleAtod(text, &seconds)) {
    duration = std::isfinite(seconds) ? absl::Seconds(seconds) : absl::InfiniteDuration();
  } else if (!absl::ParseDuration(text, &duration)) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be a duration such as 10s or 500ms, got \"", text, "\""));
  }
  if (duration <= absl::ZeroDuration() || duration == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be a positive duration, got \"", text, "\""));
  }
  return duration;
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read file " + path);
  std::stringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

}  // namespace

Settings::Settings(std::string program) : program_(std::move(program)), app_(program_) {}

void Settings::AddServer(ServerSettings& out, int default_grpc_port, int default_metrics_port) {
  out.grpc_port = default_grpc_port;
  out.metrics_port = default_metrics_port;
  app_.add_option("--grpc-port", out.grpc_port, "gRPC listen port")
      ->envname("KAM_GRPC_PORT")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app_.add_option("--metrics-port", out.metrics_port, "Prometheus /metrics port")
      ->envname("KAM_METRICS_PORT")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  AddSeconds(app_, "--drain-delay", "KAM_DRAIN_DELAY_SECONDS", out.drain_delay,
             "seconds between readiness turning NOT_SERVING and refusing new calls");
  AddSeconds(app_, "--drain-grace", "KAM_DRAIN_GRACE_SECONDS", out.drain_grace,
             "seconds SIGTERM waits for in-flight calls");
  app_.add_option("--max-message-bytes", out.max_message_bytes,
                  "largest request message accepted (bytes)")
      ->envname("KAM_MAX_MESSAGE_BYTES")
      ->check(CLI::Range(1024, 1 << 30))
      ->capture_default_str();
  AddSecret(out.identity_key, "--identity-key", "KAM_IDENTITY_KEY", true, kMinKeyBytes);
}

void Settings::AddDuration(absl::Duration& out, const std::string& flag, const std::string& env,
                           const std::string& help) {
  app_.add_option_function<std::string>(
          flag,
          [&out, flag](const std::string& text) {
            absl::StatusOr<absl::Duration> duration = ParsePositiveDuration(text);
            if (!duration.ok())
              throw CLI::ValidationError(flag, std::string(duration.status().message()));
            out = *duration;
          },
          help)
      ->envname(env)
      ->default_str(absl::FormatDuration(out));
}

void Settings::AddDatabase(DbSettings& out, std::string default_name) {
  out.name = default_name;
  out.user = std::move(default_name);
  app_.add_option("--db-host", out.host, "database host")
      ->envname("KAM_DB_HOST")
      ->capture_default_str();
  app_.add_option("--db-port", out.port, "database port")
      ->envname("KAM_DB_PORT")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app_.add_option("--db-user", out.user, "database user")
      ->envname("KAM_DB_USER")
      ->capture_default_str();
  app_.add_option("--db-name", out.name, "database schema")
      ->envname("KAM_DB_NAME")
      ->capture_default_str();
  app_.add_option("--db-pool-size", out.pool_size, "pooled connections")
      ->envname("KAM_DB_POOL_SIZE")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  AddSeconds(app_, "--db-pool-wait", "KAM_DB_POOL_WAIT_SECONDS", out.pool_wait,
             "seconds a call waits for a pooled connection");
  AddSeconds(app_, "--db-io-timeout", "KAM_DB_IO_TIMEOUT_SECONDS", out.io_timeout,
             "seconds a database read or write may take");
  AddSecret(out.password, "--db-password", "KAM_DB_PASSWORD", true);
  checks_.push_back([&out]() -> absl::Status {
    if (out.host.empty()) return absl::InvalidArgumentError("--db-host (KAM_DB_HOST) is empty");
    if (out.user.empty()) return absl::InvalidArgumentError("--db-user (KAM_DB_USER) is empty");
    if (out.name.empty()) return absl::InvalidArgumentError("--db-name (KAM_DB_NAME) is empty");
    return absl::OkStatus();
  });
}

void Settings::AddSecret(std::string& out, const std::string& flag, const std::string& env,
                         bool required, size_t min_bytes) {
  std::string* file = &secret_files_.emplace_back();
  app_.add_option(flag, out, "secret value (prefer the file form)")->envname(env);
  app_.add_option(flag + "-file", *file, "file holding the secret")->envname(env + "_FILE");
  checks_.push_back([&out, file, flag, env, required, min_bytes]() -> absl::Status {
    const std::string names =
        absl::StrCat(flag, " (", env, ") or ", flag, "-file (", env, "_FILE)");
    if (!out.empty() && !file->empty()) {
      return absl::InvalidArgumentError(absl::StrCat("set only one of ", names));
    }
    if (!file->empty()) {
      absl::StatusOr<std::string> secret = ReadSecretFile(*file);
      if (!secret.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, "-file (", env, "_FILE): ", secret.status().message()));
      }
      out = *std::move(secret);
    }
    if (required && out.empty()) return absl::InvalidArgumentError(names + " is required");
    if (!out.empty() && out.size() < min_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(names, " is too short: use at least ", min_bytes, " random bytes"));
    }
    return absl::OkStatus();
  });
}

void Settings::AddAddress(std::string& out, const std::string& flag, const std::string& env,
                          std::string default_value) {
  out = std::move(default_value);
  app_.add_option(flag, out, "host:port")->envname(env)->capture_default_str();
  checks_.push_back([&out, flag, env]() -> absl::Status {
    const size_t colon = out.rfind(':');
    int port = 0;
    if (colon == std::string::npos || colon == 0 ||
        !absl::SimpleAtoi(out.substr(colon + 1), &port) || port < 1 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, " (", env, ") must be host:port, got \"", out, "\""));
    }
    return absl::OkStatus();
  });
}

absl::Status Settings::Parse(int argc, const char* const* argv) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return absl::CancelledError("help");  // --help
    std::string message = e.what();
    // CLI11 names flags only; say which environment variable feeds each one too.
    for (const CLI::Option* option : app_.get_options()) {
      if (!option->get_envname().empty() && !option->get_lnames().empty()) {
        const std::string flag = "--" + option->get_lnames().front();
        if (message.find(flag + " (") == std::string::npos) {
          absl::StrReplaceAll({{flag + ":", flag + " (" + option->get_envname() + "):"}}, &message);
        }
      }
    }
    return absl::InvalidArgumentError(message);
  }
  for (const auto& check : checks_) {
    if (absl::Status status = check(); !status.ok()) return status;
  }
  return absl::OkStatus();
}

void Settings::ParseOrExit(int argc, const char* const* argv) {
  const absl::Status status = Parse(argc, argv);
  if (status.ok()) return;
  if (absl::IsCancelled(status)) {
    std::cout << app_.help();
    std::exit(0);
  }
  std::cerr << program_ << ": " << status.message() << std::endl;
  std::exit(2);
}

}  // namespace kam
