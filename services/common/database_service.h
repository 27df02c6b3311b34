#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "services/common/call_handler.h"
#include "services/common/db.h"
#include "services/common/migrations.h"
#include "services/common/server_runner.h"
#include "services/common/settings.h"

namespace kam {

// What every database-backed service process does around its own gRPC services: settings
// from flags and environment, the connection pool, the schema brought up to date, the
// worker pool that runs handlers, and readiness that follows the database. Any failure
// before serving ends the process with one line on stderr.
class DatabaseService {
 public:
  // `add_flags` registers the service's own settings before the command line is parsed.
  DatabaseService(const std::string& name, int default_grpc_port, int default_metrics_port,
                  const std::vector<Migration>& migrations, int argc, char** argv,
                  const std::function<void(Settings&)>& add_flags = nullptr);

  DbPool& pool() { return *pool_; }
  CallHandler& handler() { return *handler_; }
  ServerRunner& runner() { return *runner_; }
  const ServerSettings& server_settings() const { return server_settings_; }

  // Serves until SIGTERM/SIGINT has drained the server; returns the process exit code.
  int Run();

 private:
  std::string program_;
  ServerSettings server_settings_;
  DbSettings db_settings_;
  std::unique_ptr<ServerRunner> runner_;
  std::unique_ptr<DbPool> pool_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<CallHandler> handler_;
};

}  // namespace kam
