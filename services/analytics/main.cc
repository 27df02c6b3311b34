#include "embedded_migrations.h"
#include "services/common/database_service.h"

// Wiring only. The analytics domain arrives with its own issue; until then the process owns its
// schema (migrations) and serves health, reflection and metrics.
int main(int argc, char** argv) {
  kam::DatabaseService process("analytics", 50063, 9103, kam::analytics::Migrations(), argc, argv);
  return process.Run();
}
