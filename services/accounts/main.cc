#include "embedded_migrations.h"
#include "services/accounts/commerce_store.h"
#include "services/accounts/engagement_store.h"
#include "services/common/event_store.h"
#include "services/accounts/pipeline_store.h"
#include "services/accounts/service.h"
#include "services/accounts/store.h"
#include "services/common/database_service.h"

// Wiring only: process (settings, pool, migrations) -> stores -> service -> run.
int main(int argc, char** argv) {
  kam::accounts::StageProbabilities probabilities;
  kam::DatabaseService process("accounts", 50061, 9101, kam::accounts::Migrations(), argc, argv,
                               [&](kam::Settings& settings) {
                                 kam::accounts::AddStageProbabilitiesFlag(settings, probabilities);
                               });
  kam::accounts::AccountStore accounts(process.pool());
  kam::accounts::EngagementStore engagement(process.pool());
  kam::accounts::PipelineStore pipeline(process.pool(), probabilities);
  kam::accounts::CommerceStore commerce(process.pool());
  kam::EventStore events(process.pool(), {}, &process.runner().registry());
  kam::accounts::AccountServiceImpl service({&accounts, &engagement, &pipeline, &commerce, &events},
                                            &process.handler());
  process.runner().AddService(&service, kam::accounts::v1::AccountService::service_full_name());
  return process.Run();
}
