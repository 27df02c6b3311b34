#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "kam/gateway/v1/gateway.grpc.pb.h"

// The KAM Suite client kit: the generated stubs of every public service plus this small
// helper that connects to the gateway, authenticates each call and bounds it in time.
// docs/CLIENTS.md shows it in use; examples/cpp/list_accounts is a whole program.
namespace kam::client {

// Where the gateway is and who is calling.
struct ClientOptions {
  // "host:port" of the gateway, or any gRPC target URI ("dns:///kam.example.com:443").
  std::string target = "127.0.0.1:50051";
  // A JWT, sent as "authorization: Bearer <token>". Wins over api_key when both are set,
  // because the gateway refuses calls that carry both.
  std::string bearer_token;
  // A static API key (a machine caller such as an ERP), sent as "x-api-key".
  std::string api_key;
  // Prepare() gives each call this long, retries included; then DEADLINE_EXCEEDED.
  std::chrono::milliseconds default_deadline{std::chrono::seconds(10)};
  // TLS, for a gateway behind a TLS-terminating ingress. Empty roots use gRPC's defaults
  // (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH or the bundled roots).
  bool use_tls = false;
  std::string tls_root_certs_pem;

  // KAM_ADDR, KAM_TOKEN and KAM_API_KEY (the variables kamctl reads) over the defaults.
  static ClientOptions FromEnvironment();
};

// One channel to the gateway and a stub per service, all safe to share between threads.
// Reads (methods marked NO_SIDE_EFFECTS in the protos) that fail with UNAVAILABLE are tried
// up to three times in all; writes are never retried, because a write that reached the
// server before the connection broke must not be applied twice (repeat it yourself with
// the same request_id instead).
class Client {
 public:
  explicit Client(ClientOptions options);

  // Adds the credentials and the default deadline to a unary call's context.
  void Prepare(grpc::ClientContext* context) const;
  // Adds the credentials only: a server stream (WatchEvents) runs as long as it is wanted.
  void PrepareStream(grpc::ClientContext* context) const;

  kam::accounts::v1::AccountService::Stub& accounts() const { return *accounts_; }
  kam::complaints::v1::ComplaintService::Stub& complaints() const { return *complaints_; }
  kam::analytics::v1::AnalyticsService::Stub& analytics() const { return *analytics_; }
  kam::gateway::v1::GatewayService::Stub& gateway() const { return *gateway_; }
  grpc::health::v1::Health::Stub& health() const { return *health_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const ClientOptions& options() const { return options_; }

 private:
  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<kam::accounts::v1::AccountService::Stub> accounts_;
  std::unique_ptr<kam::complaints::v1::ComplaintService::Stub> complaints_;
  std::unique_ptr<kam::analytics::v1::AnalyticsService::Stub> analytics_;
  std::unique_ptr<kam::gateway::v1::GatewayService::Stub> gateway_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

// The channel Client uses, for callers that build their own stubs: TLS or plaintext per
// `options`, with RetryServiceConfig() and retries enabled.
std::shared_ptr<grpc::Channel> CreateChannel(const ClientOptions& options);

// The gRPC service config (JSON) that retries the reads of the KAM services on UNAVAILABLE,
// with backoff and retry throttling, like the gateway's own channels to the services.
std::string RetryServiceConfig();

// "UNAUTHENTICATED: <message>", for printing a failed call.
std::string Describe(const grpc::Status& status);

}  // namespace kam::client
