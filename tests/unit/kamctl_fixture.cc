#include "tests/unit/kamctl_fixture.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "tools/kamctl/app.h"

namespace kam::kamctl {
namespace {

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::vector<std::string> SplitCommandLine(const std::string& line) {
  std::vector<std::string> args;
  std::string arg;
  bool quoted = false, started = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
      started = true;
    } else if (c == ' ' && !quoted) {
      if (started) args.push_back(std::move(arg));
      arg.clear();
      started = false;
    } else {
      arg += c;
      started = true;
    }
  }
  if (started) args.push_back(std::move(arg));
  return args;
}

}  // namespace

// One call: reads the request, then writes the answer's responses one by one and finishes.
class FakeAccountService::Call final : public grpc::ServerGenericBidiReactor {
 public:
  Call(FakeAccountService* service, grpc::GenericCallbackServerContext* context)
      : service_(service), context_(context) {
    StartRead(&request_);
  }
  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INTERNAL, "no request"));
      return;
    }
    std::string authorization;
    auto header = context_->client_metadata().find("authorization");
    if (header != context_->client_metadata().end()) {
      authorization.assign(header->second.data(), header->second.size());
    }
    answer_ = service_->Take(context_->method(), {ToString(request_), authorization});
    WriteNext();
  }
  void OnWriteDone(bool ok) override {
    if (ok) {
      WriteNext();
    } else {
      Finish(grpc::Status::CANCELLED);
    }
  }
  void OnDone() override { delete this; }

 private:
  void WriteNext() {
    if (next_ == answer_.responses.size()) {
      Finish(answer_.status);
      return;
    }
    response_ = ToBuffer(answer_.responses[next_++]);
    StartWrite(&response_);
  }

  FakeAccountService* service_;
  grpc::GenericCallbackServerContext* context_;
  grpc::ByteBuffer request_, response_;
  Answer answer_;
  size_t next_ = 0;
};

void FakeAccountService::Reply(const std::string& method,
                               const google::protobuf::Message& response) {
  Stream(method, {&response});
}

void FakeAccountService::Stream(const std::string& method,
                                const std::vector<const google::protobuf::Message*>& responses) {
  std::lock_guard<std::mutex> lock(mu_);
  Answer& answer = answers_[method];
  answer.responses.clear();
  for (const auto* response : responses) answer.responses.push_back(response->SerializeAsString());
  answer.status = grpc::Status::OK;
}

void FakeAccountService::Fail(const std::string& method, grpc::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  answers_[method] = {{}, std::move(status)};
}

void FakeAccountService::ReplyInTurn(
    const std::string& method, const std::vector<const google::protobuf::Message*>& responses) {
  std::lock_guard<std::mutex> lock(mu_);
  std::deque<Answer>& turns = turns_[method];
  turns.clear();
  for (const auto* response : responses) {
    turns.push_back({{response->SerializeAsString()}, grpc::Status::OK});
  }
}

std::vector<FakeAccountService::Received> FakeAccountService::Calls(const std::string& method) {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_[method];
}

FakeAccountService::Answer FakeAccountService::Take(const std::string& full_method,
                                                    Received received) {
  const std::string method = full_method.substr(full_method.rfind('/') + 1);
  std::lock_guard<std::mutex> lock(mu_);
  calls_[method].push_back(std::move(received));
  auto turns = turns_.find(method);
  if (turns != turns_.end() && !turns->second.empty()) {
    Answer answer = turns->second.front();
    if (turns->second.size() > 1) turns->second.pop_front();
    return answer;
  }
  auto answer = answers_.find(method);
  if (answer == answers_.end()) return {{}, grpc::Status(grpc::StatusCode::UNIMPLEMENTED, method)};
  return answer->second;
}

grpc::ServerGenericBidiReactor* FakeAccountService::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  return new Call(this, context);
}

KamctlCommandTest::KamctlCommandTest() {
  grpc::ServerBuilder builder;
  builder.RegisterCallbackGenericService(&service_);
  server_ = builder.BuildAndStart();
  channel_ = server_->InProcessChannel(grpc::ChannelArguments());
}

KamctlCommandTest::~KamctlCommandTest() { server_->Shutdown(); }

Result KamctlCommandTest::Kamctl(const std::string& command_line) {
  return KamctlArgv(SplitCommandLine(command_line));
}

Result KamctlCommandTest::KamctlArgv(std::vector<std::string> args) {
  args.insert(args.begin(), {"kamctl", "--token", "test-token"});
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  std::stringstream out, err;
  std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
  std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
  Result result;
  result.exit_code = kamctl::Run(static_cast<int>(argv.size()), argv.data(), channel_);
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

std::string KamctlCommandTest::File(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace kam::kamctl
