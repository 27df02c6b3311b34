#include "services/common/database_service.h"

#include <cstdlib>
#include <iostream>

#include "services/common/denial_audit.h"

namespace kam {
namespace {

// Calls beyond this many waiting for a worker fail fast with RESOURCE_EXHAUSTED.
constexpr size_t kMaxQueuedCalls = 1024;

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
  runner_->SetReadiness([pool = pool_.get()] { return pool->Reachable(); });
}

int DatabaseService::Run() {
  if (absl::Status status = runner_->Run(); !status.ok()) {
    std::cerr << program_ << ": " << status.message() << std::endl;
    return 1;
  }
  return EXIT_SUCCESS;
}

}  // namespace kam
