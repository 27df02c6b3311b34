#include "tools/kamctl/client.h"

#include <chrono>
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"

namespace kam::kamctl {

std::string_view Hint(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAUTHENTICATED:
      return "token missing, expired or invalid: mint one with kamctl token";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "your roles do not allow this (kamctl whoami shows them; see "
             "services/gateway/POLICY.md)";
    case grpc::StatusCode::UNAVAILABLE:
      return "is the gateway up? scripts/dev up";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "no answer within --timeout; the gateway or a service behind it is slow";
    case grpc::StatusCode::ABORTED:
      return "the record changed since you read it: read it again (get) and repeat with the new "
             "--etag";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "not allowed in the record's current state; the message says what is missing";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "a record with this key exists already; list or get it instead";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "rate limit or size limit reached: wait a moment, or send less at once";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "the server does not offer this call yet (an older version?)";
    default:
      return "";
  }
}

std::shared_ptr<grpc::Channel> Connect(const Options& options) {
  if (options.channel) return options.channel;
  return grpc::CreateChannel(options.addr, grpc::InsecureChannelCredentials());
}

void PrepareStream(const Options& options, grpc::ClientContext* context) {
  // Without a token the gateway answers UNAUTHENTICATED, which comes with the right hint.
  if (!options.token.empty()) {
    context->AddMetadata("authorization", "Bearer " + options.token);
  } else if (!options.api_key.empty()) {
    context->AddMetadata("x-api-key", options.api_key);
  }
}

void PrepareCall(const Options& options, grpc::ClientContext* context) {
  PrepareStream(options, context);
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::duration<double>(options.timeout_seconds)));
}

int ReportRpcError(const grpc::Status& status) {
  // gRPC and absl number their codes alike, and absl can name them.
  std::cerr << "error: "
            << absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())) << ": "
            << Printable(status.error_message()) << '\n';
  const std::string_view hint = Hint(status.error_code());
  if (!hint.empty()) std::cerr << "hint: " << hint << '\n';
  return kExitRpcError;
}

int UsageError(std::string_view message) {
  std::cerr << "error: " << message << '\n';
  return kExitUsage;
}

CLI::Validator PositiveNumber() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double value = 0;
        if (absl::SimpleAtod(text, &value) && value > 0) return "";
        return "\"" + text + "\" is not a positive number";
      },
      "POSITIVE");
}

CLI::Validator NonNegativeNumber() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double value = 0;
        if (absl::SimpleAtod(text, &value) && value >= 0) return "";
        return "\"" + text + "\" is not a number of 0 or more";
      },
      "NON-NEGATIVE");
}

CLI::Validator EnumValidator(const google::protobuf::EnumDescriptor* type) {
  return CLI::Validator(
      [type](std::string& value) -> std::string {
        if (FindEnumValue(type, value) != nullptr) return "";
        return "unknown value \"" + value + "\", expected one of: " + EnumChoices(type);
      },
      EnumChoices(type), kEnumValidatorName);
}

void OnRun(CLI::App* command, Action* action, Action run) {
  command->callback([action, run = std::move(run)] { *action = run; });
}

void AddPageFlags(CLI::App* command, PageFlags* flags, const char* items) {
  command
      ->add_option("--page-size", flags->page_size,
                   std::string(items) + " per page (server default 50)")
      ->check(NonNegativeNumber());
  command->add_option("--page-token", flags->page_token, "continue from a previous page");
  command->add_flag("--all", flags->all, "follow the pages to the end");
}

}  // namespace kam::kamctl
