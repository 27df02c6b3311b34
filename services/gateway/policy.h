#pragma once

#include <google/protobuf/descriptor.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/identity.h"
#include "services/gateway/rate_limiter.h"

namespace kam::gateway {

// The built-in policy (policy.json), compiled into the binary.
std::string_view DefaultPolicyJson();

// Which roles may call which method: deny by default. The policy is data (POLICY.md
// describes the format); it is validated completely at start-up, so a typo fails the
// start rather than silently denying or allowing calls later.
class Policy {
 public:
  using Services = std::vector<const google::protobuf::ServiceDescriptor*>;

  // INVALID_ARGUMENT naming the problem: malformed JSON, a method that is not a method of
  // `services`, a role that is not in the policy's "roles" list or not a KAM role, a
  // method of `services` that has no entry, or a "rate_limits" entry that is not
  // {"per_second": <positive>, "burst": <at least 1>}. `services` must not hold nullptr.
  static absl::StatusOr<Policy> Parse(std::string_view json, const Services& services);
  // Parses the file at `path`, or DefaultPolicyJson() when `path` is empty. Errors as
  // Parse, prefixed with the path; INVALID_ARGUMENT also when the file cannot be read.
  static absl::StatusOr<Policy> Load(const std::string& path, const Services& services);

  // OK when any of the principal's roles may call `full_method` ("/pkg.Service/Method");
  // PERMISSION_DENIED otherwise, including for methods the policy does not name.
  absl::Status Check(std::string_view full_method, const Principal& principal) const;

  // Every method the policy names, sorted.
  std::vector<std::string> Methods() const;

  // Per-role rate limits ("rate_limits"; POLICY.md). Roles without an entry are not limited.
  const RateLimits& rate_limits() const { return rate_limits_; }

 private:
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> allowed_;
  RateLimits rate_limits_;
};

}  // namespace kam::gateway
