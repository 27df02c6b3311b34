#include <CLI/CLI.hpp>
#include <string>

#include "absl/time/time.h"
#include "embedded_migrations.h"
#include "services/accounts/business_metrics.h"
#include "services/accounts/commerce_store.h"
#include "services/accounts/engagement_store.h"
#include "services/accounts/pipeline_store.h"
#include "services/accounts/service.h"
#include "services/accounts/store.h"
#include "services/common/database_service.h"
#include "services/common/event_store.h"

// Wiring only: process (settings, pool, migrations) -> stores -> service -> run.
int main(int argc, char** argv) {
  kam::accounts::StageProbabilities probabilities;
  std::string gauges_every_text = "30s";
  kam::DatabaseService process(
      "accounts", 50061, 9101, kam::accounts::Migrations(), argc, argv,
      [&](kam::Settings& settings) {
        kam::accounts::AddStageProbabilitiesFlag(settings, probabilities);
        settings.app()
            .add_option("--business-metrics-every", gauges_every_text,
                        "how often kam_accounts and kam_pipeline_opportunities are counted")
            ->envname("KAM_BUSINESS_METRICS_EVERY")
            ->check(CLI::Validator(
                [](std::string& text) -> std::string {
                  absl::Duration every;
                  return absl::ParseDuration(text, &every) && every >= absl::Seconds(1)
                             ? ""
                             : "not a duration of a second or more (e.g. 30s)";
                },
                "DURATION", "business metrics interval"))
            ->capture_default_str();
      });
  absl::Duration gauges_every = kam::accounts::BusinessGauges::kDefaultEvery;
  (void)absl::ParseDuration(gauges_every_text, &gauges_every);  // validated above
  kam::accounts::AccountStore accounts(process.pool());
  kam::accounts::EngagementStore engagement(process.pool());
  kam::accounts::PipelineStore pipeline(process.pool(), probabilities);
  kam::accounts::CommerceStore commerce(process.pool());
  kam::EventStore events(process.pool(), {}, &process.runner().registry());
  kam::accounts::AccountServiceImpl service({&accounts, &engagement, &pipeline, &commerce, &events},
                                            &process.handler());
  process.runner().AddService(&service, kam::accounts::v1::AccountService::service_full_name());
  kam::accounts::BusinessGauges gauges(process.pool(), process.runner().registry(), gauges_every);
  gauges.Start();
  const int exit_code = process.Run();
  gauges.Stop();
  return exit_code;
}
