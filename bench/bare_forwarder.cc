// A bare byte-forwarding hop: the floor the gateway is measured against (issue 8, "as cheap
// as a bare byte-forwarding hop"). It forwards every unary call's bytes and the caller's
// `x-` metadata to one upstream and relays the answer: no authentication, policy, limits,
// metrics or logs. Two variants of the same hop:
//   --api callback  gRPC's callback API, as PERFORMANCE.md's reference forwarder;
//   --api async     one completion queue and one thread, as the gateway (ServingQueues).
// `scripts/bench gateway` starts one of each in front of accounts and interleaves them with
// the direct and gateway runs.
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>

namespace {

void CopyCallerMetadata(const std::multimap<grpc::string_ref, grpc::string_ref>& from,
                        grpc::ClientContext& to) {
  for (const auto& [key, value] : from) {
    if (key.starts_with("x-")) {
      to.AddMetadata(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
    }
  }
}

// Callback API: the reactor reads the request, starts the upstream call from gRPC's thread
// and finishes from the upstream's completion callback.
class CallbackHop final : public grpc::ServerGenericBidiReactor {
 public:
  CallbackHop(grpc::GenericCallbackServerContext* context, grpc::GenericStub& upstream)
      : context_(context), upstream_(upstream) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
      return;
    }
    CopyCallerMetadata(context_->client_metadata(), upstream_context_);
    upstream_context_.set_deadline(context_->deadline());
    upstream_.UnaryCall(&upstream_context_, context_->method(), grpc::StubOptions(), &request_,
                        &response_, [this](grpc::Status status) {
                          if (!status.ok()) {
                            Finish(status);
                            return;
                          }
                          StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
                        });
  }

  void OnDone() override { delete this; }

 private:
  grpc::GenericCallbackServerContext* context_;
  grpc::GenericStub& upstream_;
  grpc::ClientContext upstream_context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

class CallbackForwarder final : public grpc::CallbackGenericService {
 public:
  explicit CallbackForwarder(grpc::GenericStub& upstream) : upstream_(upstream) {}
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new CallbackHop(context, upstream_);
  }

 private:
  grpc::GenericStub& upstream_;
};

// Async API: each call is a small state machine whose every step completes on the one
// queue's thread (tags are the call plus its next step).
class AsyncHop {
 public:
  enum class Step { kAccepted, kRead, kUpstreamDone, kFinished };

  static void Accept(grpc::AsyncGenericService& service, grpc::ServerCompletionQueue* queue,
                     grpc::GenericStub& upstream) {
    new AsyncHop(service, queue, upstream);
  }

  // Advances the call whose step completed; deletes it once it is over.
  void Advance(bool ok) {
    switch (step_) {
      case Step::kAccepted:
        if (!ok) return delete this;  // the server is shutting down
        Accept(service_, queue_, upstream_);
        step_ = Step::kRead;
        stream_.Read(&request_, this);
        return;
      case Step::kRead:
        if (!ok) return Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
        CopyCallerMetadata(context_.client_metadata(), upstream_context_);
        upstream_context_.set_deadline(context_.deadline());
        upstream_call_ =
            upstream_.PrepareUnaryCall(&upstream_context_, context_.method(), request_, queue_);
        upstream_call_->StartCall();
        step_ = Step::kUpstreamDone;
        upstream_call_->Finish(&response_, &upstream_status_, this);
        return;
      case Step::kUpstreamDone:
        if (!upstream_status_.ok()) return Finish(upstream_status_);
        step_ = Step::kFinished;
        stream_.WriteAndFinish(response_, grpc::WriteOptions(), grpc::Status::OK, this);
        return;
      case Step::kFinished:
        delete this;
        return;
    }
  }

 private:
  AsyncHop(grpc::AsyncGenericService& service, grpc::ServerCompletionQueue* queue,
           grpc::GenericStub& upstream)
      : service_(service), queue_(queue), upstream_(upstream), stream_(&context_) {
    service_.RequestCall(&context_, &stream_, queue_, queue_, this);
  }

  void Finish(const grpc::Status& status) {
    step_ = Step::kFinished;
    stream_.Finish(status, this);
  }

  grpc::AsyncGenericService& service_;
  grpc::ServerCompletionQueue* queue_;
  grpc::GenericStub& upstream_;
  Step step_ = Step::kAccepted;
  grpc::GenericServerContext context_;
  grpc::GenericServerAsyncReaderWriter stream_;
  grpc::ClientContext upstream_context_;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> upstream_call_;
  grpc::Status upstream_status_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

void ServeAsync(grpc::ServerBuilder& builder, grpc::GenericStub& upstream) {
  grpc::AsyncGenericService service;
  builder.RegisterAsyncGenericService(&service);
  std::unique_ptr<grpc::ServerCompletionQueue> queue = builder.AddCompletionQueue();
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) return;
  constexpr int kWaitingCalls = 8;
  for (int i = 0; i < kWaitingCalls; ++i) AsyncHop::Accept(service, queue.get(), upstream);
  void* tag = nullptr;
  bool ok = false;
  while (queue->Next(&tag, &ok)) static_cast<AsyncHop*>(tag)->Advance(ok);
}

void ServeCallback(grpc::ServerBuilder& builder, grpc::GenericStub& upstream) {
  CallbackForwarder service(upstream);
  builder.RegisterCallbackGenericService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server != nullptr) server->Wait();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("bare_forwarder: a byte-forwarding hop without the gateway's work");
  std::string listen;
  std::string upstream_address;
  std::string api = "async";
  app.add_option("--listen", listen, "host:port to serve")->required();
  app.add_option("--upstream", upstream_address, "host:port to forward to")->required();
  app.add_option("--api", api, "gRPC server API")->check(CLI::IsMember({"async", "callback"}));
  CLI11_PARSE(app, argc, argv);

  grpc::GenericStub upstream(
      grpc::CreateChannel(upstream_address, grpc::InsecureChannelCredentials()));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials());
  // Runs until killed: the bench script stops it with SIGTERM.
  if (api == "callback") {
    ServeCallback(builder, upstream);
  } else {
    ServeAsync(builder, upstream);
  }
  std::cerr << "bare_forwarder: could not serve on " << listen << "\n";
  return 1;
}
