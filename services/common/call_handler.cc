#include "services/common/call_handler.h"

#include "services/common/digest.h"

#include <chrono>

#include "absl/time/clock.h"
#include "services/common/denial_audit.h"
#include "services/common/status.h"

namespace kam {
namespace {

std::string MetadataValue(const grpc::CallbackServerContext& context, std::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// Microsecond precision, as the database stores times: a response must not show a time that
// a later read of the same record cannot reproduce.
absl::Time Now() { return absl::FromUnixMicros(absl::ToUnixMicros(absl::Now())); }

}  // namespace

WorkerPool::WorkerPool(int threads, size_t max_queue) : max_queue_(max_queue) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

bool WorkerPool::Submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(task));
  }
  ready_.notify_one();
  return true;
}

void WorkerPool::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to finish
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

absl::StatusOr<CallContext> CallHandler::Authenticate(const grpc::CallbackServerContext& context,
                                                      std::string_view full_method) const {
  const SignedIdentity identity{MetadataValue(context, kIdentityHeader),
                                MetadataValue(context, kIdentitySignatureHeader)};
  const absl::Time now = Now();
  absl::StatusOr<Principal> principal = VerifyIdentity(identity, full_method, identity_key_, now);
  if (!principal.ok()) return principal.status();
  CallContext call;
  call.principal = *std::move(principal);
  call.request_id = MetadataValue(context, kRequestIdHeader);
  call.now = now;
  call.deadline = absl::FromChrono(context.deadline());
  call.page_token_key = HmacSha256(identity_key_, "kam-page-token\n" + call.principal.subject);
  return call;
}

grpc::Status StreamCall::Finish(const absl::Status& status) {
  const grpc::Status wire = ToGrpcStatus(status);
  observation_->Finish(wire);
  return wire;
}

StreamCall CallHandler::StartStream(grpc::CallbackServerContext* context,
                                    std::string_view full_method) const {
  auto observation = std::make_unique<CallObservation>(metrics_, full_method);
  observation->set_request_id(MetadataValue(*context, kRequestIdHeader));
  return StreamCall(Authenticate(*context, full_method), std::move(observation));
}

grpc::ServerUnaryReactor* CallHandler::Run(grpc::CallbackServerContext* context,
                                           std::string_view full_method, Body body) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto observation = std::make_shared<CallObservation>(metrics_, full_method);
  observation->set_request_id(MetadataValue(*context, kRequestIdHeader));
  auto finish = [reactor, observation](const absl::Status& status) {
    const grpc::Status wire = ToGrpcStatus(status);
    observation->Finish(wire);
    reactor->Finish(wire);
  };
  absl::StatusOr<CallContext> call = Authenticate(*context, full_method);
  if (!call.ok()) {
    finish(call.status());
    return reactor;
  }
  auto task = [context, finish, full_method, body = std::move(body),
               call = *std::move(call)]() mutable {
    // Work for a caller that has gone away, or whose time is up, is wasted work.
    if (context->IsCancelled() || absl::Now() > call.deadline) {
      finish(absl::DeadlineExceededError("deadline exceeded"));
      return;
    }
    call.now = Now();
    try {
      const absl::Status status = body(call);
      if (absl::IsPermissionDenied(status)) AuditDenial(call, full_method, status);
      finish(status);
    } catch (const std::exception& e) {
      // A bug must cost one call, not the process and every call in flight.
      finish(absl::InternalError(e.what()));
    }
  };
  if (!workers_->Submit(std::move(task))) {
    finish(absl::ResourceExhaustedError("server busy, retry"));
  }
  return reactor;
}

}  // namespace kam
