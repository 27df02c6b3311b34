#include "embedded_migrations.h"
#include "services/accounts/service.h"
#include "services/common/database_service.h"

// Wiring only: process (settings, pool, migrations) -> store -> service -> run.
int main(int argc, char** argv) {
  kam::DatabaseService process("accounts", 50061, 9101, kam::accounts::Migrations(), argc, argv);
  kam::accounts::AccountStore store(process.pool());
  kam::accounts::AccountServiceImpl service(&store, &process.handler());
  process.runner().AddService(&service, kam::accounts::v1::AccountService::service_full_name());
  return process.Run();
}
