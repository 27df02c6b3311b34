#include "tests/e2e/e2e_client.h"

#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace kam::e2e {
namespace {

std::chrono::system_clock::time_point DeadlineIn(absl::Duration timeout) {
  return absl::ToChronoTime(absl::Now() + timeout);
}

// Parses `{a="x",b="y"}` (label values here never hold quotes or commas).
std::map<std::string, std::string> ParseLabels(absl::string_view block) {
  std::map<std::string, std::string> labels;
  for (absl::string_view pair : absl::StrSplit(block, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    absl::string_view value = kv.second;
    absl::ConsumePrefix(&value, "\"");
    absl::ConsumeSuffix(&value, "\"");
    labels[std::string(kv.first)] = std::string(value);
  }
  return labels;
}

bool Includes(const std::map<std::string, std::string>& all,
              const std::map<std::string, std::string>& wanted) {
  for (const auto& [key, value] : wanted) {
    auto it = all.find(key);
    if (it == all.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace

Caller::Caller(const std::string& address, Metadata metadata)
    : channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
      metadata_(std::move(metadata)) {}

void Caller::Prepare(grpc::ClientContext* context) const {
  context->set_deadline(DeadlineIn(kRpcDeadline));
  for (const auto& [key, value] : metadata_) context->AddMetadata(key, value);
}

ServingStatus HealthStatus(const std::string& address, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(DeadlineIn(absl::Seconds(1)));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  if (!stub->Check(&context, request, &response).ok()) {
    return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

bool Eventually(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

std::optional<double> MetricValue(const std::string& exposition, const std::string& name,
                                  const std::map<std::string, std::string>& labels) {
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (!absl::ConsumePrefix(&line, name)) continue;
    std::map<std::string, std::string> line_labels;
    if (absl::ConsumePrefix(&line, "{")) {
      const size_t close = line.find('}');
      if (close == absl::string_view::npos) continue;
      line_labels = ParseLabels(line.substr(0, close));
      line.remove_prefix(close + 1);
    }
    if (line.empty() || line.front() != ' ' || !Includes(line_labels, labels)) continue;
    double value = 0;
    if (absl::SimpleAtod(absl::StripAsciiWhitespace(line), &value)) return value;
  }
  return std::nullopt;
}

std::string CodeName(grpc::StatusCode code) {
  // gRPC and absl number their codes alike, and absl can name them.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

}  // namespace kam::e2e
