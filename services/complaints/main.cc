#include "embedded_migrations.h"
#include "services/common/database_service.h"

// Wiring only. The complaints domain arrives with its own issue; until then the process owns its
// schema (migrations) and serves health, reflection and metrics.
int main(int argc, char** argv) {
  kam::DatabaseService process("complaints", 50062, 9102, kam::complaints::Migrations(), argc,
                               argv);
  return process.Run();
}
