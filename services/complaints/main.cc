#include <iostream>

#include "absl/time/clock.h"
#include "embedded_migrations.h"
#include "services/common/database_service.h"
#include "services/complaints/account_replica.h"
#include "services/complaints/complaint_store.h"
#include "services/complaints/service.h"
#include "services/complaints/sla_store.h"
#include "services/complaints/sla_sweeper.h"

// Wiring only: process (settings, pool, migrations) -> SLA policy -> stores -> accounts feed
// -> sweeper -> service -> run.
int main(int argc, char** argv) {
  std::string sla_policy_file;
  int sweep_interval_ms = 5000;
  std::string accounts_address;
  kam::DatabaseService process("complaints", 50062, 9102, kam::complaints::Migrations(), argc, argv,
                               [&](kam::Settings& settings) {
                                 settings.app()
                                     .add_option("--sla-policy", sla_policy_file,
                                                 "SLA calendar and targets (default: built in)")
                                     ->envname("KAM_SLA_POLICY_FILE");
                                 settings.app()
                                     .add_option("--sla-sweep-interval-ms", sweep_interval_ms,
                                                 "how often the SLA sweeper looks for due alerts")
                                     ->envname("KAM_SLA_SWEEP_INTERVAL_MS")
                                     ->check(CLI::Range(50, 600000));
                                 settings.AddAddress(accounts_address, "--accounts-addr",
                                                     "KAM_ACCOUNTS_ADDR", "accounts:50061");
                               });
  absl::StatusOr<kam::complaints::SlaPolicy> policy =
      kam::complaints::LoadSlaPolicy(sla_policy_file);
  if (!policy.ok()) {
    std::cerr << "kam-complaints: --sla-policy (KAM_SLA_POLICY_FILE): " << policy.status().message()
              << std::endl;
    return 2;
  }
  kam::complaints::ComplaintStore complaints(process.pool(), *policy);
  kam::complaints::SlaStore sla(process.pool(), *policy);
  kam::EventStore events(process.pool(), {}, &process.runner().registry());
  kam::complaints::ComplaintMetrics metrics(process.runner().registry());
  kam::complaints::SweeperOptions sweeper_options;
  sweeper_options.interval = absl::Milliseconds(sweep_interval_ms);
  kam::complaints::SlaSweeper sweeper(sla, metrics, sweeper_options, [] { return absl::Now(); });
  kam::complaints::AccountReplica replica(process.pool(), *policy);
  const kam::EventFeedOptions feed_options =
      kam::complaints::AccountReplica::FeedOptions(process.server_settings().identity_key);
  std::unique_ptr<kam::complaints::AccountFeed> feed =
      kam::complaints::MakeAccountFeed(kam::MakeFeedChannel(accounts_address, feed_options),
                                       replica, feed_options, &process.runner().registry());
  kam::complaints::ComplaintServiceImpl service(
      {&complaints, &events, &metrics, [&feed] { return feed->caught_up(); }}, &process.handler());
  process.runner().AddService(&service, kam::complaints::v1::ComplaintService::service_full_name());
  feed->Start();
  sweeper.Start();
  const int code = process.Run();
  sweeper.Stop();
  feed->Stop();
  return code;
}
