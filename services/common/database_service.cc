#include "services/common/database_service.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "services/common/denial_audit.h"

namespace kam {
namespace {

// Calls beyond this many waiting for a worker fail fast with RESOURCE_EXHAUSTED.
constexpr size_t kMaxQueuedCalls = 1024;
// How long the readiness probe waits on the database (connect, greeting, SELECT 1). A frozen
// server accepts connections (the kernel queues them) but answers nothing, so this bounds
// how soon readiness turns NOT_SERVING: within the probe's 1 s period plus this, rather than
// after the business calls' --db-io-timeout (10 s by default).
constexpr absl::Duration kReadinessTimeout = absl::Seconds(2);

}  // namespace

DatabaseService::DatabaseService(const std::string& name, int default_grpc_port,
                                 int default_metrics_port, const std::vector<Migration>& migrations,
                                 int argc, char** argv,
                                 const std::function<void(Settings&)>& add_flags)
    : program_("kam-" + name) {
  InitProcess(name);
  Settings settings(program_);
  settings.AddServer(server_settings_, default_grpc_port, default_metrics_port);
  settings.AddDatabase(db_settings_, "kam_" + name);
  if (add_flags) add_flags(settings);
  settings.ParseOrExit(argc, argv);

  runner_ = std::make_unique<ServerRunner>(name, server_settings_);
  pool_ = std::make_unique<DbPool>(db_settings_, &runner_->registry());
  if (absl::Status status =
          PrepareSchema(*pool_, migrations, absl::Seconds(60), TerminationPending);
      !status.ok()) {
    std::cerr << program_ << ": " << status.message() << std::endl;
    std::exit(1);
  }
  workers_ = std::make_unique<WorkerPool>(db_settings_.pool_size, kMaxQueuedCalls);
  handler_ = std::make_unique<CallHandler>(server_settings_.identity_key, workers_.get(),
                                           &runner_->grpc_metrics());
  // Every denial the handler answers goes to this service's audit trail.
  AuditDenials(AuditDenialsTo(*pool_));
  // Readiness probes through a pool of its own whose timeouts are short (the connector's
  // timeouts are per connection and whole seconds), so that the calls' connections keep
  // theirs. Its metrics are the same series as the main pool's: probe connect failures count
  // as they did, and it never borrows a connection.
  DbSettings probe = db_settings_;
  probe.io_timeout = std::min(db_settings_.io_timeout, kReadinessTimeout);
  probe.pool_size = 1;
  runner_->SetReadiness([probe_pool = std::make_shared<DbPool>(probe, &runner_->registry())] {
    return probe_pool->Reachable();
  });
}

int DatabaseService::Run() {
  if (absl::Status status = runner_->Run(); !status.ok()) {
    std::cerr << program_ << ": " << status.message() << std::endl;
    return 1;
  }
  return EXIT_SUCCESS;
}

}  // namespace kam
