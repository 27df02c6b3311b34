#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/call_observer.h"
#include "services/common/identity.h"

namespace kam {

// What a handler knows about its call.
struct CallContext {
  Principal principal;
  std::string request_id;  // from x-request-id, for logs and the audit trail
  absl::Time now;
  absl::Time deadline;
  // A secret of the deployment bound to the caller (the identity key and the subject): page
  // tokens are sealed with it (PageTokenKey), so a token opens only for whom it was issued.
  std::string page_token_key;
};

// A fixed set of worker threads that run blocking handler bodies (database work) so that
// gRPC's own threads never block. The queue is bounded: past it, calls fail fast with
// RESOURCE_EXHAUSTED instead of piling up.
class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queue);
  ~WorkerPool();

  // False when the queue is full.
  bool Submit(std::function<void()> task);

 private:
  void Loop();

  size_t max_queue_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// A server-streaming call as the edge sees it: its identity verified as for a unary call, and
// observed from start to finish like one (grpc_server_* series of the method, whose grpc_type
// is "server_stream", and one access-log line when it ends).
class StreamCall {
 public:
  // The verified call; UNAUTHENTICATED when the identity is missing or does not verify.
  const absl::StatusOr<CallContext>& context() const { return call_; }
  // Records the outcome (once) and returns the status to finish the stream with.
  grpc::Status Finish(const absl::Status& status);

 private:
  friend class CallHandler;
  StreamCall(absl::StatusOr<CallContext> call, std::unique_ptr<CallObservation> observation)
      : call_(std::move(call)), observation_(std::move(observation)) {}

  absl::StatusOr<CallContext> call_;
  std::unique_ptr<CallObservation> observation_;
};

// A stream reactor that finishes at once with `status`: for calls refused before streaming.
template <typename Response>
grpc::ServerWriteReactor<Response>* RefuseStream(StreamCall call, const absl::Status& status) {
  class Refused final : public grpc::ServerWriteReactor<Response> {
   public:
    explicit Refused(grpc::Status status) { this->Finish(std::move(status)); }
    void OnDone() override { delete this; }
  };
  return new Refused(call.Finish(status));
}

// Runs unary handler bodies: verifies the gateway-signed identity (UNAUTHENTICATED if it
// does not verify), skips calls already cancelled or past their deadline, runs the body on
// a worker and finishes the call with its status mapped by ToGrpcStatus. Every call is
// observed (grpc_server_* metrics and one access-log line).
class CallHandler {
 public:
  CallHandler(std::string identity_key, WorkerPool* workers, const GrpcServerMetrics* metrics)
      : identity_key_(std::move(identity_key)), workers_(workers), metrics_(*metrics) {}

  using Body = std::function<absl::Status(const CallContext&)>;
  // `full_method` ("/kam.accounts.v1.AccountService/GetAccount") must outlive the call.
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context, std::string_view full_method,
                                Body body);

  // Starts a server-streaming call: verifies its identity and starts its observation. The
  // streaming handler runs its own loop (off gRPC's threads) and ends it with
  // StreamCall::Finish. `full_method` must outlive the call.
  StreamCall StartStream(grpc::CallbackServerContext* context, std::string_view full_method) const;

 private:
  absl::StatusOr<CallContext> Authenticate(const grpc::CallbackServerContext& context,
                                           std::string_view full_method) const;

  std::string identity_key_;
  WorkerPool* workers_;
  const GrpcServerMetrics& metrics_;
};

}  // namespace kam
