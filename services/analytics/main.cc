#include <iostream>

#include "absl/time/time.h"
#include "embedded_migrations.h"
#include "services/analytics/service.h"
#include "services/common/database_service.h"

// Wiring only: process (settings, pool, migrations) -> config -> projection and its two feeds
// -> analyses -> tier reviews (writing tiers back through accounts) -> service -> run.
int main(int argc, char** argv) {
  std::string time_zone = "Asia/Shanghai";
  std::string currency = "CNY";
  std::string accounts_address;
  std::string complaints_address;
  std::string review_every_text = "0";
  kam::DatabaseService process(
      "analytics", 50063, 9103, kam::analytics::Migrations(), argc, argv,
      [&](kam::Settings& settings) {
        settings.app()
            .add_option("--time-zone", time_zone, "the company's time zone: months are cut in it")
            ->envname("KAM_TIME_ZONE");
        settings.app()
            .add_option("--currency", currency, "the reporting currency (ISO 4217)")
            ->envname("KAM_CURRENCY");
        settings.app()
            .add_option(
                "--tier-review-every", review_every_text,
                "review tiers over the last complete quarter this often (e.g. 168h; 0: off)")
            ->envname("KAM_TIER_REVIEW_EVERY");
        settings.AddAddress(accounts_address, "--accounts-addr", "KAM_ACCOUNTS_ADDR",
                            "accounts:50061");
        settings.AddAddress(complaints_address, "--complaints-addr", "KAM_COMPLAINTS_ADDR",
                            "complaints:50062");
      });
  kam::analytics::AnalyticsConfig config;
  if (!absl::LoadTimeZone(time_zone, &config.zone)) {
    std::cerr << "kam-analytics: --time-zone (KAM_TIME_ZONE): unknown time zone \"" << time_zone
              << "\"" << std::endl;
    return 2;
  }
  config.currency = currency;
  absl::Duration review_every;
  if (!absl::ParseDuration(review_every_text, &review_every) ||
      review_every < absl::ZeroDuration() ||
      (review_every > absl::ZeroDuration() && review_every < absl::Minutes(1))) {
    std::cerr << "kam-analytics: --tier-review-every (KAM_TIER_REVIEW_EVERY): \""
              << review_every_text << "\" is not 0 or a duration of a minute or more (e.g. 168h)"
              << std::endl;
    return 2;
  }
  prometheus::Registry& registry = process.runner().registry();
  const std::string& identity_key = process.server_settings().identity_key;

  kam::analytics::Projection projection(process.pool(), config, &registry);
  const kam::EventFeedOptions accounts_options =
      kam::analytics::Projection::AccountsFeedOptions(identity_key);
  const kam::EventFeedOptions complaints_options =
      kam::analytics::Projection::ComplaintsFeedOptions(identity_key);
  std::shared_ptr<grpc::Channel> accounts_channel =
      kam::MakeFeedChannel(accounts_address, accounts_options);
  std::unique_ptr<kam::analytics::AccountsFeed> accounts_feed =
      kam::analytics::MakeAccountsFeed(accounts_channel, projection, accounts_options, &registry);
  std::unique_ptr<kam::analytics::ComplaintsFeed> complaints_feed =
      kam::analytics::MakeComplaintsFeed(
          kam::MakeFeedChannel(complaints_address, complaints_options), projection,
          complaints_options, &registry);

  kam::analytics::InputsStore inputs(process.pool());
  kam::analytics::SalesAnalyses sales(process.pool(), projection.config());
  kam::analytics::Scorer scorer(process.pool(), projection.config());
  kam::analytics::KpiAnalyses kpis(process.pool(), projection.config());
  std::unique_ptr<kam::analytics::TierWriter> tier_writer =
      kam::analytics::MakeGrpcTierWriter(accounts_channel, identity_key);
  kam::analytics::TierReviews reviews(process.pool(), sales, scorer, projection, *tier_writer,
                                      &registry);
  kam::analytics::AnalyticsServiceImpl service(
      {&projection, &inputs, &sales, &scorer, &kpis, &reviews}, &process.handler());
  process.runner().AddService(&service, kam::analytics::v1::AnalyticsService::service_full_name());

  kam::analytics::TierReviewSchedule schedule(process.pool(), reviews, config.zone, review_every);

  accounts_feed->Start();
  complaints_feed->Start();
  if (review_every > absl::ZeroDuration()) schedule.Start();
  const int code = process.Run();
  schedule.Stop();
  complaints_feed->Stop();
  accounts_feed->Stop();
  return code;
}
