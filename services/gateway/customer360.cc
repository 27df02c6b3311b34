#include "services/gateway/customer360.h"

// PROVISIONAL (issue 8 pinning): answers UNIMPLEMENTED.
namespace kam::gateway {

Customer360::Customer360(Customer360Backends backends, const Policy* policy,
                         std::string identity_key, const GrpcClientMetrics* client_metrics)
    : backends_(std::move(backends)),
      policy_(*policy),
      identity_key_(std::move(identity_key)),
      client_metrics_(*client_metrics) {}

Customer360::~Customer360() = default;

void Customer360::Fetch(const Caller& /*caller*/, int64_t /*account_id*/,
                        std::chrono::system_clock::time_point /*deadline*/,
                        v1::GetCustomer360Response* /*response*/,
                        std::function<void(absl::Status)> done) {
  done(absl::UnimplementedError("GetCustomer360 is not built yet"));
}

}  // namespace kam::gateway
