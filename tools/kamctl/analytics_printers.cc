#include "tools/kamctl/analytics_printers.h"

#include <iostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "kam/accounts/v1/archive.pb.h"
#include "tools/kamctl/output.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::analytics::v1;
namespace accounts = kam::accounts::v1;
using Rows = std::vector<std::vector<std::string>>;

std::string TierText(int tier) { return EnumLabel(accounts::Tier_descriptor(), tier); }

std::string ClassText(int abc_class) { return EnumLabel(v1::AbcClass_descriptor(), abc_class); }

// Two decimals: scores, normalised factors, turnover and cross ratios.
std::string Decimal(double value) { return absl::StrFormat("%.2f", value); }

// "period: summary" as one line, the facts, and the next page when there is one.
void PrintSummary(const std::string& period, const std::string& summary,
                  const v1::FactsVersion& facts, const std::string& next_page_token) {
  std::cout << Printable(period) << ": " << summary << '\n' << FactsText(facts) << '\n';
  PrintNextPage(next_page_token);
}

// Composition keys of enum dimensions are value names ("TIER_A"): shown as kamctl labels.
const google::protobuf::EnumDescriptor* KeyEnum(v1::Dimension dimension) {
  switch (dimension) {
    case v1::DIMENSION_NATURE:
      return accounts::Nature_descriptor();
    case v1::DIMENSION_TIER:
      return accounts::Tier_descriptor();
    case v1::DIMENSION_LIFECYCLE:
      return accounts::LifecycleStage_descriptor();
    case v1::DIMENSION_SCALE:
      return accounts::Scale_descriptor();
    default:
      return nullptr;
  }
}

std::string ClassKey(v1::Dimension dimension, const std::string& key) {
  if (key.empty()) return "(none)";
  const google::protobuf::EnumDescriptor* type = KeyEnum(dimension);
  const google::protobuf::EnumValueDescriptor* value =
      type == nullptr ? nullptr : type->FindValueByName(key);
  return value == nullptr ? key : EnumLabel(type, value->number());
}

template <typename Products>
void PrintProductTable(const Products& products) {
  Rows rows;
  for (const v1::ProductRow& p : products) {
    const bool stocked = p.has_inventory();
    rows.push_back({std::to_string(p.rank()), p.product_code(), p.product_category(),
                    std::to_string(p.quantity()), Amount(p.revenue()), FormatShare(p.share()),
                    FormatShare(p.cumulative_share()), FormatShare(p.gross_margin_rate()),
                    stocked ? Decimal(p.turnover_rate()) : "",
                    stocked ? Decimal(p.cross_ratio()) : "",
                    stocked ? FormatShare(p.contribution_ratio()) : ""});
  }
  PrintTable({"RANK", "PRODUCT", "CATEGORY", "QUANTITY", "REVENUE", "SHARE", "CUMULATIVE", "MARGIN",
              "TURNOVER", "CROSS", "CONTRIBUTION"},
             rows, "rllrrrrrrrr");
}

// A hint when turnover is missing for some products: it needs inventory snapshots.
template <typename Products>
void PrintInventoryHint(const Products& products) {
  int without = 0;
  for (const v1::ProductRow& p : products) without += p.has_inventory() ? 0 : 1;
  if (without == 0) return;
  std::cout << without
            << " product(s) without inventory snapshots in the period: no turnover, cross ratio "
               "or contribution (kamctl analytics inventory-put)\n";
}

}  // namespace

std::string Amount(const v1::Money& money) {
  return FormatMoney(money.minor_units(), money.currency_code());
}

std::string AccountName(const v1::AccountRef& account) {
  // Cut so that the figures after it stay on one line.
  constexpr size_t kNameColumns = 24;
  return Truncate(account.name(), kNameColumns);
}

std::string WeightsText(const v1::ScoreWeights& weights) {
  std::vector<std::string> parts;
  const auto* type = v1::ScoreWeights::descriptor();
  for (int i = 0; i < type->field_count(); ++i) {
    const double weight = weights.GetReflection()->GetDouble(weights, type->field(i));
    parts.push_back(absl::StrCat(type->field(i)->name(), " ", Decimal(weight)));
  }
  return absl::StrJoin(parts, ", ");
}

std::string FactsText(const v1::FactsVersion& facts) {
  return absl::StrCat("facts: accounts event ", facts.accounts_sequence(), ", complaints event ",
                      facts.complaints_sequence());
}

void PrintAbc(const v1::AnalyzeAbcResponse& r) {
  Rows rows;
  for (const v1::AbcRow& row : r.rows()) {
    rows.push_back({std::to_string(row.rank()), IdText(row.account().id()),
                    AccountName(row.account()), TierText(row.account().tier()),
                    row.account().owner_id(), Amount(row.revenue()), FormatShare(row.share()),
                    FormatShare(row.cumulative_share()), ClassText(row.abc_class())});
  }
  PrintTable(
      {"RANK", "ACCOUNT", "NAME", "TIER", "OWNER", "REVENUE", "SHARE", "CUMULATIVE", "CLASS"}, rows,
      "rrlllrrr");
  std::cout << '\n';
  Rows classes;
  for (const v1::AbcClassSummary& c : r.classes()) {
    classes.push_back({ClassText(c.abc_class()), std::to_string(c.customers()), Amount(c.revenue()),
                       FormatShare(c.share())});
  }
  PrintTable({"CLASS", "CUSTOMERS", "REVENUE", "SHARE"}, classes, "lrrr");
  PrintSummary(r.period(),
               absl::StrCat(r.customers(), " customers, revenue ", Amount(r.total_revenue()),
                            "; the top 20% of customers bring ",
                            FormatShare(r.pareto_top20_share()), " of it"),
               r.facts(), r.next_page_token());
}

void PrintComposition(const v1::AnalyzeCompositionResponse& r) {
  Rows classes;
  for (const v1::CompositionClass& c : r.classes()) {
    classes.push_back({ClassKey(r.dimension(), c.key()), std::to_string(c.customers()),
                       Amount(c.revenue()), FormatShare(c.share()),
                       std::to_string(c.key_accounts()), Amount(c.key_account_revenue())});
  }
  PrintTable({"CLASS", "CUSTOMERS", "REVENUE", "SHARE", "KEY ACCOUNTS", "KEY ACCOUNT REVENUE"},
             classes, "lrrrrr");
  std::cout << '\n';
  Rows rows;
  for (const v1::CompositionRow& row : r.rows()) {
    rows.push_back({ClassKey(r.dimension(), row.class_key()), IdText(row.account().id()),
                    AccountName(row.account()), TierText(row.account().tier()),
                    Amount(row.revenue()), FormatShare(row.share_in_class())});
  }
  PrintTable({"CLASS", "ACCOUNT", "NAME", "TIER", "REVENUE", "SHARE IN CLASS"}, rows, "lrllrr");
  PrintSummary(r.period(),
               absl::StrCat("by ", EnumLabel(v1::Dimension_descriptor(), r.dimension()), ", ",
                            r.classes_size(), " classes, revenue ", Amount(r.total_revenue()), "; ",
                            r.key_accounts(), " key accounts (tier A or B) bring ",
                            FormatShare(r.key_account_share()), " of it"),
               r.facts(), r.next_page_token());
}

void PrintTransactions(const v1::AnalyzeTransactionsResponse& r, bool by_month) {
  std::vector<std::string> header = {"ACCOUNT", "NAME",     "OWNER",    "REVENUE",
                                     "SHARE",   "EXPECTED", "SHORTFALL"};
  std::string align = "rllrrrr";
  if (by_month && r.rows_size() > 0) {
    for (const v1::MonthRevenue& m : r.rows(0).months()) {
      header.push_back(m.month());
      align += 'r';
    }
  }
  Rows rows;
  for (const v1::TransactionRow& t : r.rows()) {
    std::vector<std::string> row = {IdText(t.account().id()),
                                    AccountName(t.account()),
                                    t.account().owner_id(),
                                    Amount(t.revenue()),
                                    FormatShare(t.share()),
                                    t.has_target() ? FormatShare(t.expected_share()) : "",
                                    t.shortfall() ? FormatShare(t.shortfall_share()) : ""};
    if (by_month) {
      for (const v1::MonthRevenue& m : t.months()) row.push_back(Amount(m.revenue()));
    }
    rows.push_back(std::move(row));
  }
  PrintTable(header, rows, align);
  PrintSummary(r.period(),
               absl::StrCat("company revenue ", Amount(r.company_revenue()), "; ", r.shortfalls(),
                            " account(s) below their expected share"),
               r.facts(), r.next_page_token());
}

void PrintProductMix(const v1::AnalyzeProductMixResponse& r) {
  PrintFields({{"account", absl::StrCat(r.account().id(), " (", r.account().name(), ")")},
               {"tier", TierText(r.account().tier())},
               {"owner", r.account().owner_id()},
               {"period", r.period()},
               {"revenue", Amount(r.revenue())}});
  std::cout << '\n';
  PrintProductTable(r.products());
  PrintInventoryHint(r.products());
  std::cout << FactsText(r.facts()) << '\n';
}

void PrintProducts(const v1::AnalyzeProductsResponse& r) {
  PrintProductTable(r.rows());
  PrintInventoryHint(r.rows());
  std::string summary = absl::StrCat(r.products(), " products, revenue ", Amount(r.revenue()),
                                     ", cost ", Amount(r.cost()));
  if (r.revenue().minor_units() != 0) {
    // Exact integer sums; the ratio only at the end.
    const double margin = static_cast<double>(r.revenue().minor_units() - r.cost().minor_units()) /
                          static_cast<double>(r.revenue().minor_units());
    absl::StrAppend(&summary, ", gross margin ", FormatShare(margin));
  }
  PrintSummary(r.period(), summary, r.facts(), r.next_page_token());
}

void PrintScores(const v1::ScoreAccountsResponse& r) {
  Rows rows;
  for (const v1::ScoreRow& s : r.rows()) {
    const v1::ScoreBreakdown& b = s.breakdown();
    rows.push_back({std::to_string(s.rank()), IdText(s.account().id()), AccountName(s.account()),
                    TierText(s.account().tier()), s.account().owner_id(), Decimal(s.score()),
                    Decimal(b.contract_volume().normalized()), Decimal(b.unit_price().normalized()),
                    Decimal(b.revenue().normalized()), Decimal(b.collection_rate().normalized()),
                    Decimal(b.profit().normalized()), Decimal(b.quality_loss().normalized()),
                    Decimal(b.industry_influence().normalized()),
                    Decimal(b.credit().normalized())});
  }
  PrintTable({"RANK", "ACCOUNT", "NAME", "TIER", "OWNER", "SCORE", "CONTRACT", "PRICE", "REVENUE",
              "COLLECTION", "PROFIT", "QUALITY", "INFLUENCE", "CREDIT"},
             rows, "rrlllrrrrrrrrr");
  std::cout << "factors: 0-1, higher is better; the score is their weighted sum\n";
  PrintSummary(r.period(),
               absl::StrCat(r.accounts(), " accounts scored; weights ", WeightsText(r.weights())),
               r.facts(), r.next_page_token());
}

void PrintStanding(const v1::GetAccountStandingResponse& r) {
  const v1::AbcRow& abc = r.abc();
  const v1::ScoreRow& score = r.score();
  const v1::AccountRef& account = abc.account();
  PrintFields({{"account", absl::StrCat(IdText(account.id()), " ", AccountName(account))},
               {"tier", TierText(account.tier())},
               {"owner", account.owner_id()},
               {"abc class", ClassText(abc.abc_class())},
               {"revenue", absl::StrCat(Amount(abc.revenue()), " (rank ", abc.rank(), ")")},
               {"share", absl::StrCat(FormatShare(abc.share()), " (cumulative ",
                                      FormatShare(abc.cumulative_share()), ")")},
               {"score", absl::StrCat(Decimal(score.score()), " (rank ", score.rank(), ")")}});
  const v1::ScoreBreakdown& b = score.breakdown();
  const std::vector<std::pair<const char*, const v1::FactorScore*>> factors = {
      {"contract_volume", &b.contract_volume()},
      {"unit_price", &b.unit_price()},
      {"revenue", &b.revenue()},
      {"collection_rate", &b.collection_rate()},
      {"profit", &b.profit()},
      {"quality_loss", &b.quality_loss()},
      {"industry_influence", &b.industry_influence()},
      {"credit", &b.credit()}};
  Rows rows;
  for (const auto& [name, factor] : factors) {
    rows.push_back({name, absl::StrFormat("%.4g", factor->raw()), Decimal(factor->normalized()),
                    Decimal(factor->weighted())});
  }
  std::cout << '\n';
  PrintTable({"FACTOR", "RAW", "NORMALIZED", "WEIGHTED"}, rows, "lrrr");
  PrintSummary(r.period(),
               absl::StrCat("ranked among ", r.accounts(), " accounts; default weights"), r.facts(),
               "");
}

}  // namespace kam::kamctl
