// A fixture for testing kamctl commands in one process: the command line as a user types it,
// the request an AccountService receives, and what the user reads. The service is a fake
// behind an in-process channel that records requests and answers with canned responses.
#pragma once

#include <gmock/gmock.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kam::kamctl {

// An AccountService that answers every method generically: it keeps each request and sends
// the responses (none to many, for streams) and the status set for that method; methods
// without an answer are UNIMPLEMENTED.
class FakeAccountService final : public grpc::CallbackGenericService {
 public:
  struct Answer {
    std::vector<std::string> responses;
    grpc::Status status;
  };
  struct Received {
    std::string request;
    std::string authorization;
  };

  // `method` is the short name, e.g. "SetTier".
  void Reply(const std::string& method, const google::protobuf::Message& response);
  void Stream(const std::string& method,
              const std::vector<const google::protobuf::Message*>& responses);
  void Fail(const std::string& method, grpc::Status status);
  // One response per call, in turn (pages of a List call); the last one answers every call
  // after it.
  void ReplyInTurn(const std::string& method,
                   const std::vector<const google::protobuf::Message*>& responses);

  std::vector<Received> Calls(const std::string& method);
  // The request of the one call of `method` (a test failure when there was not exactly one).
  template <typename Request>
  Request Only(const std::string& method) {
    std::vector<Received> calls = Calls(method);
    Request request;
    EXPECT_THAT(calls, ::testing::SizeIs(1)) << method;
    if (!calls.empty()) {
      EXPECT_TRUE(request.ParseFromString(calls.back().request));
    }
    return request;
  }

 private:
  class Call;
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override;
  // Keeps the request of a call and returns its answer.
  Answer Take(const std::string& full_method, Received received);

  std::mutex mu_;
  std::map<std::string, Answer> answers_;
  std::map<std::string, std::deque<Answer>> turns_;
  std::map<std::string, std::vector<Received>> calls_;
};

template <typename Message>
Message Proto(const std::string& text) {
  Message message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

// Compares with a text proto.
MATCHER_P(EqualsProto, text, "equals " + std::string(text)) {
  auto expected = Proto<std::decay_t<decltype(arg)>>(text);
  if (google::protobuf::util::MessageDifferencer::Equals(arg, expected)) return true;
  *result_listener << "is " << arg.ShortDebugString();
  return false;
}

// The request without its request_id, which kamctl makes up (and must not leave empty).
template <typename Request>
Request WithoutRequestId(Request request) {
  EXPECT_THAT(request.request_id(), ::testing::Not(::testing::IsEmpty()));
  request.clear_request_id();
  return request;
}

struct Result {
  int exit_code = 0;
  std::string out;
  std::string err;
};

class KamctlCommandTest : public ::testing::Test {
 protected:
  KamctlCommandTest();
  ~KamctlCommandTest() override;

  // Runs `kamctl --token test-token <command_line>`, capturing what it prints. The command
  // line splits at spaces, except inside double quotes ("" is an empty argument).
  Result Kamctl(const std::string& command_line);
  Result KamctlArgv(std::vector<std::string> args);

  // A file with `text`, for the import commands.
  std::string File(const std::string& name, const std::string& text);

  FakeAccountService service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace kam::kamctl
