#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/completion_queue.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "kam/gateway/v1/gateway.pb.h"
#include "services/common/call_observer.h"
#include "services/gateway/auth.h"
#include "services/gateway/policy.h"

namespace kam::gateway {

// The backends the customer 360 view reads from.
struct Customer360Backends {
  std::shared_ptr<grpc::ChannelInterface> accounts;
  std::shared_ptr<grpc::ChannelInterface> complaints;
  std::shared_ptr<grpc::ChannelInterface> analytics;
};

// Assembles GatewayService.GetCustomer360 (gateway.proto says what each section holds):
// every section is fetched in parallel with the caller's identity signed for that backend
// method; a section whose method the policy denies the caller is not fetched and is marked
// PERMISSION_DENIED. Each backend call gets `deadline` (already bounded by the caller's
// deadline); a call that has not answered by then is marked DEADLINE_EXCEEDED.
class Customer360 {
 public:
  Customer360(Customer360Backends backends, const Policy* policy, std::string identity_key,
              const GrpcClientMetrics* client_metrics);
  ~Customer360();

  // Calls `done` exactly once, after every section has finished or the deadline has passed:
  // OK with `response` filled, or the account's access error (PERMISSION_DENIED / NOT_FOUND /
  // INVALID_ARGUMENT), in which case `response` is left empty. `response` must outlive the
  // call to `done`. The backend calls and the deadline's alarm complete on `queue` (a
  // ServingQueues queue, whose thread calls from here on); `done` runs there too, or at once.
  // Returns what ends the view at once with CANCELLED (the caller left); it does nothing once
  // the view was answered. Call it on the queue's thread.
  std::function<void()> Fetch(const Caller& caller, int64_t account_id,
             std::chrono::system_clock::time_point deadline, v1::GetCustomer360Response* response,
             grpc::CompletionQueue* queue, std::function<void(absl::Status)> done);

 private:
  struct Stubs;  // one typed stub per backend, made once (stubs register every method)

  Customer360Backends backends_;
  std::unique_ptr<const Stubs> stubs_;
  const Policy& policy_;
  std::string identity_key_;
  const GrpcClientMetrics& client_metrics_;
};

}  // namespace kam::gateway
