#include "services/gateway/policy.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kam::gateway {
namespace {

using nlohmann::json;
using RoleSet = std::set<std::string, std::less<>>;

absl::Status Invalid(absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("policy ", problem));
}

// The gRPC paths ("/pkg.Service/Method") of every method of `services`, in declaration
// order so that errors list them the way the protos do.
std::vector<std::string> MethodPaths(const Policy::Services& services) {
  std::vector<std::string> paths;
  for (const auto* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      paths.push_back(absl::StrCat("/", service->full_name(), "/", service->method(i)->name()));
    }
  }
  return paths;
}

absl::StatusOr<RoleSet> ParseRoles(const json& doc) {
  const auto roles = doc.find("roles");
  if (roles == doc.end() || !roles->is_array()) return Invalid("needs a \"roles\" array");
  RoleSet result;
  for (const auto& role : *roles) {
    if (!role.is_string()) return Invalid("\"roles\" must hold strings");
    if (!IsKnownRole(role.get_ref<const std::string&>())) {
      return Invalid(absl::StrCat("role \"", role.get<std::string>(), "\" is not a KAM role"));
    }
    result.insert(role.get<std::string>());
  }
  return result;
}

absl::StatusOr<RoleSet> ParseEntry(const std::string& method, const json& entry,
                                   const RoleSet& roles) {
  if (!entry.is_array()) return Invalid(absl::StrCat("entry for ", method, " must be an array"));
  RoleSet allowed;
  for (const auto& role : entry) {
    if (!role.is_string() || roles.count(role.get_ref<const std::string&>()) == 0) {
      return Invalid(absl::StrCat("entry for ", method, " names unknown role ", role.dump()));
    }
    allowed.insert(role.get<std::string>());
  }
  return allowed;
}

// A positive finite number, or an error naming `field` of the role's entry.
absl::StatusOr<double> PositiveNumber(const std::string& role, const json& entry,
                                      const char* field) {
  const auto value = entry.find(field);
  if (value == entry.end() || !value->is_number() || !std::isfinite(value->get<double>()) ||
      value->get<double>() <= 0) {
    return Invalid(absl::StrCat("rate_limits entry for ", role, ": \"", field,
                                "\" must be a positive number"));
  }
  return value->get<double>();
}

// "rate_limits": {"<role>": {"per_second": <n>, "burst": <n>}}, optional; roles without an
// entry are not limited.
absl::StatusOr<RateLimits> ParseRateLimits(const json& doc, const RoleSet& roles) {
  RateLimits limits;
  const auto section = doc.find("rate_limits");
  if (section == doc.end()) return limits;
  if (!section->is_object()) return Invalid("\"rate_limits\" must be an object");
  for (const auto& [role, entry] : section->items()) {
    if (roles.count(role) == 0) {
      return Invalid(absl::StrCat("rate_limits names unknown role \"", role, "\""));
    }
    if (!entry.is_object()) {
      return Invalid(absl::StrCat("rate_limits entry for ", role, " must be an object"));
    }
    for (const auto& [key, value] : entry.items()) {
      if (key != "per_second" && key != "burst") {
        return Invalid(absl::StrCat("rate_limits entry for ", role, " has unknown key ", key));
      }
    }
    absl::StatusOr<double> per_second = PositiveNumber(role, entry, "per_second");
    if (!per_second.ok()) return per_second.status();
    absl::StatusOr<double> burst = PositiveNumber(role, entry, "burst");
    if (!burst.ok()) return burst.status();
    // A bucket smaller than one token would refuse every call.
    if (*burst < 1) {
      return Invalid(
          absl::StrCat("rate_limits entry for ", role, ": \"burst\" must be at least 1"));
    }
    limits[role] = RateLimit{*per_second, *burst};
  }
  return limits;
}

}  // namespace

absl::StatusOr<Policy> Policy::Parse(std::string_view text, const Services& services) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 1e999
    return Invalid(absl::StrCat("is not valid JSON: ", e.what()));
  }
  if (!doc.is_object()) return Invalid("must be a JSON object");
  for (const auto& [key, value] : doc.items()) {
    if (key != "roles" && key != "methods" && key != "rate_limits") {
      return Invalid(absl::StrCat("has unknown key ", key));
    }
  }
  absl::StatusOr<RoleSet> roles = ParseRoles(doc);
  if (!roles.ok()) return roles.status();
  const auto methods = doc.find("methods");
  if (methods == doc.end() || !methods->is_object()) return Invalid("needs a \"methods\" object");

  absl::StatusOr<RateLimits> rate_limits = ParseRateLimits(doc, *roles);
  if (!rate_limits.ok()) return rate_limits.status();

  const std::vector<std::string> paths = MethodPaths(services);
  Policy policy;
  policy.rate_limits_ = *std::move(rate_limits);
  for (const auto& [method, entry] : methods->items()) {
    if (std::find(paths.begin(), paths.end(), method) == paths.end()) {
      return Invalid(absl::StrCat("names unknown method ", method));
    }
    absl::StatusOr<RoleSet> allowed = ParseEntry(method, entry, *roles);
    if (!allowed.ok()) return allowed.status();
    policy.allowed_[method] = *std::move(allowed);
  }
  std::vector<std::string> missing;
  for (const auto& path : paths) {
    if (policy.allowed_.count(path) == 0) missing.push_back(path);
  }
  if (!missing.empty())
    return Invalid(absl::StrCat("has no entry for ", absl::StrJoin(missing, ", ")));
  return policy;
}

absl::StatusOr<Policy> Policy::Load(const std::string& path, const Services& services) {
  if (path.empty()) return Parse(DefaultPolicyJson(), services);
  std::ifstream file(path);
  if (!file) {
    return absl::InvalidArgumentError(absl::StrCat("policy file ", path, ": cannot be read"));
  }
  std::stringstream text;
  text << file.rdbuf();
  absl::StatusOr<Policy> policy = Parse(text.str(), services);
  if (!policy.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy file ", path, ": ", policy.status().message()));
  }
  return policy;
}

absl::Status Policy::Check(std::string_view full_method, const Principal& principal) const {
  const auto entry = allowed_.find(full_method);
  if (entry != allowed_.end()) {
    for (const auto& role : principal.roles) {
      if (entry->second.count(role) > 0) return absl::OkStatus();
    }
  }
  return absl::PermissionDeniedError("role not permitted to call " + std::string(full_method));
}

std::vector<std::string> Policy::Methods() const {
  std::vector<std::string> methods;
  for (const auto& [method, roles] : allowed_) methods.push_back(method);
  return methods;
}

}  // namespace kam::gateway
