#include "services/common/log.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace kam {
namespace {

std::string& ServiceName() {
  static auto* name = new std::string("kam");
  return *name;
}

// spdlog's stderr sink writes and flushes each line: a write(2) per call at thousands of
// calls a second, on cores the services share. This one gathers lines and writes them in
// one go (see InitLogging for when).
class BufferedStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ~BufferedStderrSink() override { WriteOut(); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    buffer_.append(formatted.data(), formatted.size());
    if (buffer_.size() >= kWriteAtBytes) WriteOut();
  }
  void flush_() override { WriteOut(); }

 private:
  static constexpr size_t kWriteAtBytes = 64 * 1024;

  void WriteOut() {
    size_t written = 0;
    while (written < buffer_.size()) {
      const ssize_t n = ::write(STDERR_FILENO, buffer_.data() + written, buffer_.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // stderr is gone: nothing sensible to do with the lines
      written += static_cast<size_t>(n);
    }
    buffer_.clear();
  }

  std::string buffer_;
};

// "2026-11-22T22:43:01.123Z". The part up to the seconds is formatted once per second per
// thread: absl::FormatTime is a large share of a short line's cost.
std::string Timestamp(absl::Time now) {
  thread_local int64_t cached_second = INT64_MIN;
  thread_local std::string cached_prefix;
  const int64_t millis = absl::ToUnixMillis(now);
  const int64_t second = millis >= 0 ? millis / 1000 : (millis - 999) / 1000;
  if (second != cached_second) {
    cached_prefix =
        absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(second), absl::UTCTimeZone());
    cached_second = second;
  }
  const int64_t fraction = millis - second * 1000;
  std::string stamp = cached_prefix;
  stamp += '.';
  stamp += static_cast<char>('0' + fraction / 100);
  stamp += static_cast<char>('0' + fraction / 10 % 10);
  stamp += static_cast<char>('0' + fraction % 10);
  stamp += 'Z';
  return stamp;
}

// Appends `value` as a JSON string. Printable ASCII without quotes or backslashes (method
// names, codes, request ids) is copied; anything else goes through nlohmann, which escapes
// and replaces invalid UTF-8 exactly as the other log lines do.
void AppendJsonString(std::string_view value, std::string* out) {
  const bool plain = std::all_of(value.begin(), value.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (plain) {
    *out += '"';
    out->append(value.data(), value.size());
    *out += '"';
    return;
  }
  *out += nlohmann::json(std::string(value))
              .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Write(spdlog::level::level_enum level, std::string_view level_name, std::string_view msg,
           const nlohmann::json& fields) {
  // Ordered so that every line starts with the same four keys, whatever the fields are.
  nlohmann::ordered_json line = {{"ts", Timestamp(absl::Now())},
                                 {"level", level_name},
                                 {"service", ServiceName()},
                                 {"msg", msg}};
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) line[key] = value;
  }
  // Invalid UTF-8 from a client must not throw from inside a log call.
  spdlog::log(level, "{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

void InitLogging(std::string_view service) {
  ServiceName() = std::string(service);
  auto logger = std::make_shared<spdlog::logger>("kam", std::make_shared<BufferedStderrSink>());
  logger->set_pattern("%v");
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
  // A normal exit (return from main, exit()) writes what is still buffered.
  std::atexit([] {
    if (spdlog::logger* current = spdlog::default_logger_raw()) current->flush();
  });
}

void LogInfo(std::string_view msg, const nlohmann::json& fields) {
  Write(spdlog::level::info, "info", msg, fields);
}
void LogWarn(std::string_view msg, const nlohmann::json& fields) {
  Write(spdlog::level::warn, "warn", msg, fields);
}
void LogError(std::string_view msg, const nlohmann::json& fields) {
  Write(spdlog::level::err, "error", msg, fields);
}

void LogRpc(std::string_view method, std::string_view code, double ms,
            std::string_view request_id) {
  if (!spdlog::default_logger_raw()->should_log(spdlog::level::info)) return;
  // Keys in the order LogInfo gives them: the four fixed ones, then the fields sorted.
  std::string line = "{\"ts\":\"";
  line += Timestamp(absl::Now());
  line += "\",\"level\":\"info\",\"service\":";
  AppendJsonString(ServiceName(), &line);
  line += ",\"msg\":\"rpc\",\"code\":";
  AppendJsonString(code, &line);
  line += ",\"method\":";
  AppendJsonString(method, &line);
  line += ",\"ms\":";
  line += nlohmann::json(ms).dump();
  line += ",\"request_id\":";
  AppendJsonString(request_id, &line);
  line += '}';
  spdlog::log(spdlog::level::info, "{}", line);
}

}  // namespace kam
