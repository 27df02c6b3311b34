#pragma once

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "tools/kamctl/output.h"

namespace kam::kamctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRpcError = 1;
inline constexpr int kExitUsage = 2;

// The options every command shares.
struct Options {
  std::string addr = "127.0.0.1:50051";
  std::string token;
  // A static API key (kamctl apikey new), sent as x-api-key when there is no token.
  std::string api_key;
  bool json = false;
  double timeout_seconds = 10;
  // Tests: calls go here instead of to a new channel to `addr`.
  std::shared_ptr<grpc::Channel> channel;
};

// What the chosen subcommand does once the command line has been parsed; returns the exit
// code. Subcommands set it from their CLI11 callback.
using Action = std::function<int()>;

// A plaintext channel to the gateway at options.addr (or options.channel when set).
std::shared_ptr<grpc::Channel> Connect(const Options& options);

// Prepares one call: the bearer token (when there is one) and the deadline.
void PrepareCall(const Options& options, grpc::ClientContext* context);
// Prepares a stream: the bearer token only, as a stream may run for as long as it is wanted.
void PrepareStream(const Options& options, grpc::ClientContext* context);

// Prints "error: <CODE>: <message>" and a hint for the codes a user can act on; returns
// kExitRpcError.
int ReportRpcError(const grpc::Status& status);

// What a user can do about an error with this code; empty when there is nothing to add.
std::string_view Hint(grpc::StatusCode code);

// Prints "error: <message>"; returns kExitUsage.
int UsageError(std::string_view message);

// Prints the response as JSON (--json) or with `print`, or reports the failed call.
template <typename Response, typename Print>
int Show(const Options& options, const grpc::Status& status, const Response& response,
         Print print) {
  if (!status.ok()) return ReportRpcError(status);
  if (options.json) {
    PrintJson(response);
  } else {
    print(response);
  }
  return kExitOk;
}

// CLI11 checks with messages a user can act on (CLI11's own print a range of 300 digits).
CLI::Validator PositiveNumber();
CLI::Validator NonNegativeNumber();
// One unary call with PrepareCall's token and deadline.
template <typename Stub, typename Request, typename Response>
grpc::Status Call(const Options& options, Stub& stub,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                  const Request& request, Response* response) {
  grpc::ClientContext context;
  PrepareCall(options, &context);
  return (stub.*method)(&context, request, response);
}

// One page of a List method, or with `all` that page and every one after it, gathered into
// `*response`.
template <typename Stub, typename Request, typename Response>
grpc::Status FetchPages(const Options& options, Stub& stub, bool all,
                        grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                     Response*),
                        Request request, Response* response) {
  while (true) {
    Response page;
    grpc::Status status = Call(options, stub, method, request, &page);
    if (!status.ok()) return status;
    response->MergeFrom(page);  // appends the items
    response->set_next_page_token(page.next_page_token());
    if (!all || page.next_page_token().empty()) return grpc::Status::OK;
    request.set_page_token(page.next_page_token());
  }
}

// Show for a mutating call. When the outcome is unknown (the call may have been applied),
// also tells how to retry without applying it twice.
template <typename Response, typename Print>
int ShowMutation(const Options& options, const std::string& request_id, const grpc::Status& status,
                 const Response& response, Print print) {
  const int exit_code = Show(options, status, response, print);
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    std::cerr << "to retry safely, repeat the command with --request-id " << request_id << '\n';
  }
  return exit_code;
}

// A CLI11 check that accepts the labels of `type` (see EnumLabel) and lists them otherwise.
// Its name is kEnumValidatorName and its description the labels, comma-separated (shell
// completion offers them).
CLI::Validator EnumValidator(const google::protobuf::EnumDescriptor* type);
inline constexpr char kEnumValidatorName[] = "kamctl-enum";

// Makes `command` set `*action` to `run` when it is the subcommand given.
void OnRun(CLI::App* command, Action* action, Action run);

// --page-size, --page-token and --all of a List command.
struct PageFlags {
  int32_t page_size = 0;
  std::string page_token;
  bool all = false;
};
void AddPageFlags(CLI::App* command, PageFlags* flags, const char* items);

template <typename Request>
void SetPage(const PageFlags& flags, Request* request) {
  request->set_page_size(flags.page_size);
  request->set_page_token(flags.page_token);
}

}  // namespace kam::kamctl
