#include "services/accounts/business_metrics.h"

#include <cppconn/resultset.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "kam/accounts/v1/archive.pb.h"
#include "kam/accounts/v1/pipeline.pb.h"
#include "services/common/log.h"

namespace kam::accounts {
namespace {

namespace v1 = kam::accounts::v1;

constexpr char kCountAccounts[] =
    "SELECT tier, status, COUNT(*) FROM accounts WHERE archived = FALSE GROUP BY tier, status";
constexpr char kCountOpenOpportunities[] =
    "SELECT stage, COUNT(*) FROM opportunities WHERE stage BETWEEN ? AND ? GROUP BY stage";

// "ACCOUNT_STATUS_SUPPLY_SUSPENDED" with prefix "ACCOUNT_STATUS_" -> "supply_suspended".
std::string EnumLabel(const std::string& name, const std::string& prefix) {
  std::string label = absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name;
  std::transform(label.begin(), label.end(), label.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return label;
}

std::string TierLabel(int tier) {
  if (tier == v1::TIER_UNSPECIFIED || !v1::Tier_IsValid(tier)) return "untiered";
  // "A".."D", as complaints labels its series (kam_complaints_open{tier}).
  return v1::Tier_Name(static_cast<v1::Tier>(tier)).substr(std::string("TIER_").size());
}

std::string StatusLabel(int status) {
  if (!v1::AccountStatus_IsValid(status)) return "unknown";
  return EnumLabel(v1::AccountStatus_Name(static_cast<v1::AccountStatus>(status)),
                   "ACCOUNT_STATUS_");
}

std::string StageLabel(int stage) {
  if (!v1::Stage_IsValid(stage)) return "unknown";
  return EnumLabel(v1::Stage_Name(static_cast<v1::Stage>(stage)), "STAGE_");
}

bool OpenStage(int stage) { return stage > v1::STAGE_UNSPECIFIED && stage < v1::STAGE_WON; }

// Sets every series of `family` to its count in `counts`, or 0 if it has none: series are
// never removed, and none dips to 0 on its way to a new value.
void SetAll(prometheus::Family<prometheus::Gauge>& family,
            const std::map<prometheus::Labels, double>& counts) {
  for (const prometheus::MetricFamily& collected : family.Collect()) {
    for (const prometheus::ClientMetric& metric : collected.metric) {
      prometheus::Labels labels;
      for (const prometheus::ClientMetric::Label& label : metric.label) {
        labels[label.name] = label.value;
      }
      if (counts.count(labels) == 0) family.Add(labels).Set(0);
    }
  }
  for (const auto& [labels, count] : counts) family.Add(labels).Set(count);
}

}  // namespace

BusinessGauges::BusinessGauges(DbPool& pool, prometheus::Registry& registry, absl::Duration every)
    : pool_(pool),
      every_(std::max(every, absl::Seconds(1))),
      accounts_(prometheus::BuildGauge()
                    .Name("kam_accounts")
                    .Help("Accounts not archived, by tier and status (counted every "
                          "KAM_BUSINESS_METRICS_EVERY)")
                    .Register(registry)),
      opportunities_(prometheus::BuildGauge()
                         .Name("kam_pipeline_opportunities")
                         .Help("Open opportunities (not won or lost), by pipeline stage")
                         .Register(registry)) {
  for (int tier = v1::Tier_MIN; tier <= v1::Tier_MAX; ++tier) {
    for (int status = v1::AccountStatus_MIN + 1; status <= v1::AccountStatus_MAX; ++status) {
      if (!v1::AccountStatus_IsValid(status)) continue;
      accounts_.Add({{"tier", TierLabel(tier)}, {"status", StatusLabel(status)}});
    }
  }
  for (int stage = v1::Stage_MIN; stage <= v1::Stage_MAX; ++stage) {
    if (OpenStage(stage)) opportunities_.Add({{"stage", StageLabel(stage)}});
  }
}

BusinessGauges::~BusinessGauges() { Stop(); }

void BusinessGauges::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void BusinessGauges::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::Status BusinessGauges::Refresh() {
  std::map<prometheus::Labels, double> accounts;
  std::map<prometheus::Labels, double> opportunities;
  absl::Status counted = WithConnection(pool_, "business gauges", [&](DbConnection& db) {
    accounts.clear();
    opportunities.clear();
    std::unique_ptr<sql::ResultSet> rows(db.Prepare(kCountAccounts).executeQuery());
    while (rows->next()) {
      accounts[{{"tier", TierLabel(rows->getInt(1))}, {"status", StatusLabel(rows->getInt(2))}}] +=
          static_cast<double>(rows->getInt64(3));
    }
    sql::PreparedStatement& open = db.Prepare(kCountOpenOpportunities);
    BindAll(open, {int64_t{v1::STAGE_UNSPECIFIED + 1}, int64_t{v1::STAGE_WON - 1}});
    rows.reset(open.executeQuery());
    while (rows->next()) {
      opportunities[{{"stage", StageLabel(rows->getInt(1))}}] +=
          static_cast<double>(rows->getInt64(2));
    }
    return absl::OkStatus();
  });
  if (!counted.ok()) return counted;
  SetAll(accounts_, accounts);
  SetAll(opportunities_, opportunities);
  return absl::OkStatus();
}

void BusinessGauges::Loop() {
  while (true) {
    if (absl::Status refreshed = Refresh(); !refreshed.ok()) {
      LogWarn("business gauges not refreshed", {{"error", refreshed.ToString()}});
    }
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_for(lock, absl::ToChronoNanoseconds(every_), [this] { return stopping_; })) {
      return;
    }
  }
}

}  // namespace kam::accounts
