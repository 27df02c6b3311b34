#include <cstdlib>
#include <iostream>

#include "embedded_migrations.h"
#include "services/accounts/service.h"
#include "services/common/migrations.h"
#include "services/common/server_runner.h"

// Wiring only: settings -> pool -> migrations -> store -> service -> run.
int main(int argc, char** argv) {
  kam::InitProcess("accounts");
  kam::ServerSettings server_settings;
  kam::DbSettings db_settings;
  kam::Settings settings("kam-accounts");
  settings.AddServer(server_settings, 50061, 9101);
  settings.AddDatabase(db_settings, "kam_accounts");
  settings.ParseOrExit(argc, argv);

  kam::ServerRunner runner("accounts", server_settings);
  kam::DbPool pool(db_settings, &runner.registry());
  if (absl::Status s = kam::PrepareSchema(pool, kam::accounts::Migrations()); !s.ok()) {
    std::cerr << "kam-accounts: " << s.message() << std::endl;
    return 1;
  }
  kam::WorkerPool workers(db_settings.pool_size, 1024);
  kam::CallHandler handler(server_settings.identity_key, &workers);
  kam::accounts::AccountStore store(pool);
  kam::accounts::AccountServiceImpl service(&store, &handler);
  runner.AddService(&service, kam::accounts::v1::AccountService::service_full_name());
  runner.SetReadiness([&pool] { return pool.Reachable(); });
  if (absl::Status s = runner.Run(); !s.ok()) {
    std::cerr << "kam-accounts: " << s.message() << std::endl;
    return 1;
  }
  return EXIT_SUCCESS;
}
