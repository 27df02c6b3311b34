// kam-demo: loads the demo company of docs/DEMO.md into a running KAM Suite through the
// gateway. `kam-demo --plan-digest` prints the digest of the generated plan and exits.

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "tools/demo/loader.h"
#include "tools/demo/plan.h"

namespace {

bool ReadSecret(const std::string& path, std::string* secret) {
  std::ifstream file(path);
  if (!file) return false;
  std::stringstream text;
  text << file.rdbuf();
  *secret = text.str();
  while (!secret->empty() && (secret->back() == '\n' || secret->back() == '\r')) secret->pop_back();
  return !secret->empty();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Loads the demo company (docs/DEMO.md) through the gateway's public API.");
  std::string addr = "127.0.0.1:50051";
  uint64_t seed = kam::demo::kDefaultSeed;
  std::string today_text;
  std::string secret_file;
  std::string issuer = "kam-dev";
  std::string audience = "kam-suite";
  int workers = 4;
  double wait_seconds = 60;
  bool digest_only = false;
  app.add_option("--addr", addr, "gateway address")->envname("KAM_ADDR")->capture_default_str();
  app.add_option("--seed", seed, "generator seed: the same seed, the same company")
      ->capture_default_str();
  app.add_option("--today", today_text,
                 "the load day YYYY-MM-DD (UTC) that business dates are relative to; default "
                 "today");
  app.add_option("--secret-file", secret_file, "the gateway's HS256 secret, to mint tokens")
      ->envname("KAM_JWT_SECRET_FILE");
  app.add_option("--issuer", issuer, "token issuer")->envname("KAM_JWT_ISSUER")->capture_default_str();
  app.add_option("--audience", audience, "token audience")
      ->envname("KAM_JWT_AUDIENCE")
      ->capture_default_str();
  app.add_option("--workers", workers, "concurrent callers")->check(CLI::Range(1, 16))->capture_default_str();
  app.add_option("--projection-wait", wait_seconds,
                 "seconds to wait for analytics to catch up before the tier review")
      ->capture_default_str();
  app.add_flag("--plan-digest", digest_only, "print the SHA-256 of the generated plan and exit");
  CLI11_PARSE(app, argc, argv);

  const kam::demo::Plan plan = kam::demo::MakePlan(seed);
  if (digest_only) {
    std::cout << kam::demo::PlanDigest(plan) << '\n';
    return 0;
  }
  kam::demo::LoadOptions options;
  if (today_text.empty()) {
    options.today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  } else if (!absl::ParseCivilTime(today_text, &options.today)) {
    std::cerr << "kam-demo: --today " << today_text << " is not a date YYYY-MM-DD\n";
    return 2;
  }
  if (secret_file.empty() || !ReadSecret(secret_file, &options.jwt_secret)) {
    std::cerr << "kam-demo: --secret-file (KAM_JWT_SECRET_FILE) is required and must be readable\n";
    return 2;
  }
  options.issuer = issuer;
  options.audience = audience;
  options.workers = workers;
  options.projection_wait = absl::Seconds(wait_seconds);
  options.log = &std::cerr;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  options.channel = grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args);
  kam::demo::LoadResult result;
  const absl::Status status = kam::demo::Load(plan, options, &result);
  if (!status.ok()) {
    std::cerr << "kam-demo: " << status << "\nkam-demo: re-run the same command to complete the "
              << "load (every write is idempotent)\n";
    return 1;
  }
  std::cout << absl::StrFormat(
      "demo company loaded (seed %d, load day %s) in %.1f s: %d accounts, %d orders, %d "
      "complaints; tier review %s\n",
      seed, absl::FormatCivilTime(options.today), result.seconds, plan.accounts.size(),
      plan.orders.size() + 1, plan.complaints.size(), result.tier_review_id);
  std::cout << absl::StrFormat("biggest customer: %s (id %d)\n",
                               plan.accounts[static_cast<size_t>(plan.biggest)].name,
                               result.account_ids[static_cast<size_t>(plan.biggest)]);
  return 0;
}
