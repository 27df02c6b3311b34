#include <cstdlib>
#include <iostream>

#include "embedded_migrations.h"
#include "services/common/migrations.h"
#include "services/common/server_runner.h"

// Wiring only. The analytics domain arrives with its own issue; until then the process owns its
// schema (migrations) and serves health, reflection and metrics.
int main(int argc, char** argv) {
  kam::InitProcess("analytics");
  kam::ServerSettings server_settings;
  kam::DbSettings db_settings;
  kam::Settings settings("kam-analytics");
  settings.AddServer(server_settings, 50063, 9103);
  settings.AddDatabase(db_settings, "kam_analytics");
  settings.ParseOrExit(argc, argv);

  kam::ServerRunner runner("analytics", server_settings);
  kam::DbPool pool(db_settings, &runner.registry());
  if (absl::Status s = kam::PrepareSchema(pool, kam::analytics::Migrations()); !s.ok()) {
    std::cerr << "kam-analytics: " << s.message() << std::endl;
    return 1;
  }
  runner.SetReadiness([&pool] { return pool.Reachable(); });
  if (absl::Status s = runner.Run(); !s.ok()) {
    std::cerr << "kam-analytics: " << s.message() << std::endl;
    return 1;
  }
  return EXIT_SUCCESS;
}
