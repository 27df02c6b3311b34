#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "services/common/server_runner.h"
#include "services/gateway/admission.h"
#include "services/gateway/customer360.h"
#include "services/gateway/forwarder.h"
#include "services/gateway/gateway_service.h"
#include "services/gateway/upstream.h"

// Wiring only: settings -> policy, authenticator, limits -> forwarder + own service -> run.
int main(int argc, char** argv) {
  kam::InitProcess("gateway");
  kam::ServerSettings server_settings;
  kam::gateway::ForwarderOptions options;
  kam::gateway::AuthOptions auth_options;
  kam::gateway::UpstreamOptions upstream_options;
  std::string accounts_address;
  std::string complaints_address;
  std::string analytics_address;
  std::string policy_file;
  kam::Settings settings("kam-gateway");
  settings.AddServer(server_settings, 50051, 9100);
  settings.AddSecret(auth_options.verifier.hs256_secret, "--jwt-secret", "KAM_JWT_SECRET", true,
                     kam::kMinKeyBytes);
  settings.app()
      .add_option("--jwt-issuer", auth_options.verifier.issuer, "required token iss")
      ->envname("KAM_JWT_ISSUER")
      ->required();
  settings.app()
      .add_option("--jwt-audience", auth_options.verifier.audience, "required token aud")
      ->envname("KAM_JWT_AUDIENCE")
      ->required();
  settings.app()
      .add_option("--jwt-public-keys-dir", auth_options.public_keys_dir,
                  "RS256 public keys, one <kid>.pem per key (re-read while running)")
      ->envname("KAM_JWT_PUBLIC_KEYS_DIR");
  settings.app()
      .add_option("--api-keys-file", auth_options.api_keys_file,
                  "hashed API keys for machine callers (re-read while running)")
      ->envname("KAM_API_KEYS_FILE");
  settings.app()
      .add_option("--policy-file", policy_file, "role policy (default: built in)")
      ->envname("KAM_POLICY_FILE");
  settings.AddAddress(accounts_address, "--accounts-addr", "KAM_ACCOUNTS_ADDR", "accounts:50061");
  settings.AddAddress(complaints_address, "--complaints-addr", "KAM_COMPLAINTS_ADDR",
                      "complaints:50062");
  settings.AddAddress(analytics_address, "--analytics-addr", "KAM_ANALYTICS_ADDR",
                      "analytics:50063");
  settings.AddDuration(options.default_deadline, "--default-deadline", "KAM_DEFAULT_DEADLINE",
                       "deadline of a forwarded unary call whose caller set none");
  settings.AddDuration(options.max_deadline, "--max-deadline", "KAM_MAX_DEADLINE",
                       "longest deadline a forwarded unary call gets, whatever the caller asks");
  int max_in_flight = 256;
  settings.app()
      .add_option("--max-in-flight", max_in_flight,
                  "forwarded unary calls in flight at once; more are refused with "
                  "RESOURCE_EXHAUSTED (0: no cap)")
      ->envname("KAM_MAX_IN_FLIGHT")
      ->check(CLI::Range(0, 1000000));
  int serving_queues = 1;
  settings.app()
      .add_option("--serving-queues", serving_queues,
                  "completion queues (one thread each) serving calls; 1 keeps each call on "
                  "one thread, more spread the gateway over more cores")
      ->envname("KAM_SERVING_QUEUES")
      ->check(CLI::Range(1, 64));
  int serving_spin_us = 0;
  settings.app()
      .add_option("--serving-spin-us", serving_spin_us,
                  "microseconds each queue thread keeps polling after a call's step instead "
                  "of sleeping: lower latency on VMs with costly wake-ups, paid in CPU (up to "
                  "a core per queue under a steady trickle of calls); 0 sleeps at once")
      ->envname("KAM_SERVING_SPIN_US")
      ->check(CLI::Range(0, 10000));
  settings.ParseOrExit(argc, argv);
  if (options.default_deadline > options.max_deadline) {
    std::cerr << "kam-gateway: --default-deadline (KAM_DEFAULT_DEADLINE) must not exceed "
                 "--max-deadline (KAM_MAX_DEADLINE)"
              << std::endl;
    return 2;
  }
  options.identity_key = server_settings.identity_key;
  // Responses and forwarded requests are bounded like the requests the gateway accepts.
  upstream_options.max_message_bytes = server_settings.max_message_bytes;

  const auto* descriptors = google::protobuf::DescriptorPool::generated_pool();
  // Each forwarded service with the address it is routed to.
  const std::vector<std::pair<const google::protobuf::ServiceDescriptor*, std::string>> routes = {
      {descriptors->FindServiceByName(kam::accounts::v1::AccountService::service_full_name()),
       accounts_address},
      {descriptors->FindServiceByName(kam::complaints::v1::ComplaintService::service_full_name()),
       complaints_address},
      {descriptors->FindServiceByName(kam::analytics::v1::AnalyticsService::service_full_name()),
       analytics_address}};
  kam::gateway::Policy::Services forwarded;
  std::vector<std::string> forwarded_names;
  for (const auto& [service, address] : routes) {
    forwarded.push_back(service);
    forwarded_names.push_back(service->full_name());
  }
  kam::gateway::Policy::Services described = forwarded;
  described.push_back(
      descriptors->FindServiceByName(kam::gateway::v1::GatewayService::service_full_name()));
  absl::StatusOr<kam::gateway::Policy> policy = kam::gateway::Policy::Load(policy_file, described);
  if (!policy.ok()) {
    std::cerr << "kam-gateway: --policy-file (KAM_POLICY_FILE): " << policy.status().message()
              << std::endl;
    return 2;
  }
  kam::ServerRunner runner("gateway", server_settings);
  runner.set_queue_count(serving_queues);
  runner.set_queue_spin(std::chrono::microseconds(serving_spin_us));
  absl::StatusOr<std::unique_ptr<kam::gateway::Authenticator>> authenticator =
      kam::gateway::Authenticator::Create(auth_options, &runner.registry());
  if (!authenticator.ok()) {
    std::cerr << "kam-gateway: " << authenticator.status().message() << std::endl;
    return 2;
  }
  kam::gateway::RateLimiter rate_limiter(policy->rate_limits(), &runner.registry());
  kam::gateway::InFlightLimit in_flight_limit(max_in_flight, &runner.registry());
  options.in_flight_limit = &in_flight_limit;
  const kam::gateway::Admission admission(authenticator->get(), &*policy, &rate_limiter);
  kam::GrpcClientMetrics client_metrics(runner.registry(), kam::GrpcSide::kClient);
  kam::gateway::Forwarder forwarder(options, &admission, &runner.grpc_metrics(), &client_metrics);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (const auto& [service, address] : routes) {
    client_metrics.PreCreate(*service);
    channels.push_back(kam::gateway::CreateUpstreamChannel(*service, address, upstream_options));
    forwarder.AddRoute(*service, channels.back());
  }
  kam::gateway::Customer360 customer360({channels[0], channels[1], channels[2]}, &*policy,
                                        options.identity_key, &client_metrics);
  kam::gateway::GatewayServiceImpl gateway_service(&admission, &customer360, options,
                                                   &runner.grpc_metrics());
  runner.AddAsyncService(&gateway_service, {kam::gateway::v1::GatewayService::service_full_name()});
  runner.AddAsyncService(&forwarder, forwarded_names);
  if (absl::Status s = runner.Run(); !s.ok()) {
    std::cerr << "kam-gateway: " << s.message() << std::endl;
    return 1;
  }
  return EXIT_SUCCESS;
}
