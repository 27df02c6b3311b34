#include "services/common/server_runner.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "services/common/log.h"

namespace kam {
namespace {

constexpr char kLivenessService[] = "liveness";
// Connections are recycled so that clients rebalance onto new replicas (ARCHITECTURE.md).
constexpr int kMaxConnectionAgeMs = 5 * 60 * 1000;
constexpr int kMaxConnectionAgeGraceMs = 30 * 1000;

sigset_t TerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

// Sets readiness for the whole server ("") and each named service; liveness stays up.
void SetReadinessStatus(HealthService* health,
                        const std::vector<std::string>& services, bool serving) {
  health->SetServingStatus("", serving);
  for (const std::string& service : services) health->SetServingStatus(service, serving);
}

}  // namespace

void InitProcess(const std::string& service_name) {
  const sigset_t signals = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // Cycle detection on every absl::Mutex (gRPC's locks) is a debugging aid we pay for on
  // every call otherwise.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  signal(SIGPIPE, SIG_IGN);
  InitLogging(service_name);
}

void ApplyServerLimits(grpc::ServerBuilder& builder, const ServerSettings& settings) {
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, kMaxConnectionAgeMs);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, kMaxConnectionAgeGraceMs);
  builder.SetMaxReceiveMessageSize(settings.max_message_bytes);
  // gRPC's default 8 KiB header limit would refuse a JWT just over the gateway's own 8 KiB
  // token cap with RESOURCE_EXHAUSTED before the gateway sees it; with 16 KiB the gateway
  // answers UNAUTHENTICATED "oversized" and counts it.
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, 16 * 1024);
}

bool TerminationPending() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

ServerRunner::ServerRunner(std::string service_name, ServerSettings settings)
    : service_name_(std::move(service_name)),
      settings_(std::move(settings)),
      registry_(std::make_shared<prometheus::Registry>()),
      grpc_metrics_(std::make_unique<GrpcServerMetrics>(*registry_)) {}

ServerRunner::~ServerRunner() = default;

void ServerRunner::AddService(grpc::Service* service, const std::string& full_name) {
  builder_.RegisterService(service);
  Describe(full_name);
}

void ServerRunner::AddAsyncService(AsyncService* service,
                                   const std::vector<std::string>& full_names) {
  queues_.Add(service);
  for (const std::string& full_name : full_names) Describe(full_name);
}

void ServerRunner::Describe(const std::string& full_name) {
  const auto* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(full_name);
  if (descriptor) grpc_metrics_->PreCreate(*descriptor);
  service_names_.push_back(full_name);
}

absl::Status ServerRunner::Run() {
  const std::string metrics_address = absl::StrCat("0.0.0.0:", settings_.metrics_port);
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(metrics_address);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", metrics_address));
  }
  exposer_->RegisterCollectable(registry_);

  queues_.Add(&health_);
  queues_.Register(builder_);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  int bound_port = 0;
  builder_.AddListeningPort(absl::StrCat("0.0.0.0:", settings_.grpc_port),
                            grpc::InsecureServerCredentials(), &bound_port);
  ApplyServerLimits(builder_, settings_);
  std::unique_ptr<grpc::Server> server = builder_.BuildAndStart();
  if (!server || bound_port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on gRPC port ", settings_.grpc_port));
  }
  HealthService* health = &health_;
  health->SetServingStatus(kLivenessService, true);
  SetReadinessStatus(health, service_names_, readiness_());
  queues_.Start();  // health checks are answered from here on, with the statuses just set

  std::mutex mutex;
  std::condition_variable stop_requested;
  bool stopping = false;
  std::thread readiness_loop([&] {
    std::unique_lock<std::mutex> lock(mutex);
    while (!stop_requested.wait_for(lock, std::chrono::seconds(1), [&] { return stopping; })) {
      lock.unlock();
      const bool ready = readiness_();
      lock.lock();
      if (!stopping) SetReadinessStatus(health, service_names_, ready);
    }
  });
  std::thread signal_waiter([&] {
    const sigset_t signals = TerminationSignals();
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    LogInfo("draining", {{"signal", signal_number},
                         {"delay_s", absl::ToDoubleSeconds(settings_.drain_delay)},
                         {"grace_s", absl::ToDoubleSeconds(settings_.drain_grace)}});
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
      SetReadinessStatus(health, service_names_, false);
    }
    stop_requested.notify_all();
    absl::SleepFor(settings_.drain_delay);
    server->Shutdown(std::chrono::system_clock::now() +
                     absl::ToChronoNanoseconds(settings_.drain_grace));
  });
  LogInfo("serving",
          {{"grpc_port", settings_.grpc_port}, {"metrics_port", settings_.metrics_port}});
  server->Wait();
  queues_.Stop();
  signal_waiter.join();
  readiness_loop.join();
  LogInfo("stopped");
  return absl::OkStatus();
}

}  // namespace kam
