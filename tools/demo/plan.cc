#include "tools/demo/plan.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "kam/accounts/v1/archive.pb.h"
#include "kam/accounts/v1/engagement.pb.h"
#include "kam/accounts/v1/pipeline.pb.h"
#include "kam/complaints/v1/complaint.pb.h"
#include "services/common/digest.h"

namespace kam::demo {
namespace {

namespace av1 = ::kam::accounts::v1;
namespace cv1 = ::kam::complaints::v1;

constexpr int64_t kYuan = 100;  // fen per yuan

// splitmix64: fully specified, so the plan is the same with every standard library (the
// <random> distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // [0, n)
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
  // [lo, hi]
  int Between(int lo, int hi) { return lo + Below(hi - lo + 1); }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[static_cast<size_t>(Below(static_cast<int>(items.size())))];
  }

 private:
  uint64_t state_;
};

struct Region {
  std::string name;
  std::string code;  // for registration numbers
  std::vector<std::string> cities;
  std::string phone_prefix;
};

const std::vector<Region>& Regions() {
  static const std::vector<Region> regions = {
      {"East China", "310000", {"上海", "苏州", "杭州", "南京", "宁波"}, "021"},
      {"North China", "110000", {"北京", "天津", "石家庄", "太原"}, "010"},
      {"South China", "440000", {"广州", "深圳", "南宁", "厦门"}, "020"},
      {"Central China", "420000", {"武汉", "长沙", "郑州"}, "027"},
      {"Southwest", "510000", {"成都", "重庆", "昆明"}, "028"},
      {"Northwest", "610000", {"西安", "兰州", "乌鲁木齐"}, "029"},
      {"Northeast", "210000", {"沈阳", "大连", "哈尔滨", "长春"}, "024"},
  };
  return regions;
}

const Region& RegionNamed(const std::string& name) {
  for (const Region& r : Regions()) {
    if (r.name == name) return r;
  }
  throw std::logic_error("unknown region " + name);
}

struct Industry {
  std::string name;
  std::string word;  // in company names
};

const std::vector<Industry>& Industries() {
  static const std::vector<Industry> industries = {
      {"construction", "建设工程"},   {"energy", "能源"},       {"manufacturing", "机械制造"},
      {"chemicals", "化工"},          {"utilities", "水务"},    {"transport", "物流"},
      {"healthcare", "医疗器械"},     {"telecom", "通信技术"},  {"food", "食品"},
      {"manufacturing", "汽车零部件"}, {"construction", "建材"}, {"energy", "新能源"},
  };
  return industries;
}

struct Product {
  std::string code;
  std::string category;
  int64_t unit_price;  // fen
  double margin;
};

const std::vector<Product>& Products() {
  static const std::vector<Product> products = {
      {"PIPE-DN100", "steel pipe", 850 * kYuan, 0.18},
      {"PIPE-DN300", "steel pipe", 3200 * kYuan, 0.16},
      {"VALVE-GATE-150", "valve", 4200 * kYuan, 0.28},
      {"VALVE-BALL-50", "valve", 650 * kYuan, 0.32},
      {"PUMP-CF-75", "pump", 38000 * kYuan, 0.22},
      {"CABLE-YJV-240", "cable", 420 * kYuan, 0.12},
      {"INST-FLOW-EM", "instrument", 12500 * kYuan, 0.35},
      {"INST-PRES-TX", "instrument", 2800 * kYuan, 0.38},
      {"SVC-MAINT-Y", "maintenance service", 50000 * kYuan, 0.45},
  };
  return products;
}

const std::vector<std::string> kSurnames = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵",
                                            "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
                                            "何", "高", "林", "罗", "郑", "梁", "谢", "宋"};
const std::vector<std::string> kGivenNames = {
    "伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "军", "勇", "杰", "娟", "涛", "明", "超",
    "秀英", "建华", "志强", "海燕", "晓东", "国庆", "文博", "雅琴", "立新", "红梅", "子涵"};
const std::vector<std::string> kBrands = {"恒泰", "鑫源", "盛达", "安捷", "鸿运", "德润",
                                          "嘉禾", "永信", "瑞丰", "华泰", "通达", "金鼎",
                                          "宏图", "隆基", "汇通", "正大", "博远", "天宇",
                                          "新朗", "中科", "祥和", "万通", "凯盛", "明辉"};

std::string PersonName(Rng& rng) { return rng.Pick(kSurnames) + rng.Pick(kGivenNames); }

std::string MobilePhone(Rng& rng) {
  return absl::StrFormat("13%d-%04d-%04d", rng.Between(0, 9), rng.Below(10000), rng.Below(10000));
}

struct GroupSpec {
  std::string brand;
  std::string industry;
  std::string region;
  int nature;
  std::string owner;
};

// The 12 group customers; the first is the flagship with its own, deeper tree.
const std::vector<GroupSpec>& Groups() {
  static const std::vector<GroupSpec> groups = {
      {"华远建设", "construction", "East China", av1::NATURE_SPECIAL_COMPANY, "am.li"},
      {"长江能源", "energy", "Central China", av1::NATURE_SPECIAL_COMPANY, "am.zhang"},
      {"北方重工", "manufacturing", "Northeast", av1::NATURE_SPECIAL_COMPANY, "am.sun"},
      {"南海石化", "chemicals", "South China", av1::NATURE_SPECIAL_COMPANY, "am.zhou"},
      {"天成交通投资", "transport", "Southwest", av1::NATURE_ORDINARY_COMPANY, "am.wu"},
      {"中原钢铁", "manufacturing", "Central China", av1::NATURE_SPECIAL_COMPANY, "am.zheng"},
      {"西部水务", "utilities", "Northwest", av1::NATURE_SPECIAL_COMPANY, "am.feng"},
      {"瑞丰电力", "energy", "North China", av1::NATURE_ORDINARY_COMPANY, "am.he"},
      {"恒信医药", "healthcare", "East China", av1::NATURE_ORDINARY_COMPANY, "am.xu"},
      {"蓝海港口", "transport", "South China", av1::NATURE_SPECIAL_COMPANY, "am.ma"},
      {"金桥化工", "chemicals", "East China", av1::NATURE_ORDINARY_COMPANY, "am.liu"},
      {"华信通信", "telecom", "North China", av1::NATURE_ORDINARY_COMPANY, "am.zhao"},
  };
  return groups;
}

const std::vector<std::string> kManagers = {"am.li",    "am.zhang", "am.liu", "am.zhao",
                                            "am.sun",   "am.zhou",  "am.wu",  "am.zheng",
                                            "am.feng",  "am.he",    "am.xu",  "am.ma"};

std::vector<Persona> MakePersonas() {
  return {
      {"dir.wang", "王建国", "director", ""},     {"dir.chen", "陈丽华", "director", ""},
      {"am.li", "李明", "account_manager", ""},    {"am.zhang", "张伟", "account_manager", ""},
      {"am.liu", "刘洋", "account_manager", ""},   {"am.zhao", "赵静", "account_manager", ""},
      {"am.sun", "孙磊", "account_manager", ""},   {"am.zhou", "周敏", "account_manager", ""},
      {"am.wu", "吴涛", "account_manager", ""},    {"am.zheng", "郑芳", "account_manager", ""},
      {"am.feng", "冯超", "account_manager", ""},  {"am.he", "何雪", "account_manager", ""},
      {"am.xu", "徐刚", "account_manager", ""},    {"am.ma", "马琳", "account_manager", ""},
      {"svc.lin", "林晓", "service_agent", ""},    {"svc.guo", "郭婷", "service_agent", ""},
      {"qa.huang", "黄强", "handler", "quality"},  {"qa.luo", "罗佳", "handler", "quality"},
      {"lg.tang", "唐军", "handler", "logistics"}, {"ct.gao", "高峰", "handler", "contracts"},
      {"sv.song", "宋雨", "handler", "service"},   {"an.qian", "钱悦", "analyst", ""},
      {"erp-feed", "ERP", "system", ""},
  };
}

std::vector<DepartmentPlan> MakeDepartments() {
  return {
      {"quality", "质量管理部 Quality", {cv1::CATEGORY_PRODUCT_QUALITY}, {"qa.huang", "qa.luo"},
       "qa.huang"},
      {"logistics", "物流部 Logistics", {cv1::CATEGORY_TRANSPORT}, {"lg.tang"}, "lg.tang"},
      {"contracts", "合同管理部 Contracts", {cv1::CATEGORY_CONTRACT}, {"ct.gao"}, "ct.gao"},
      {"service", "售后服务部 After-sales service", {cv1::CATEGORY_SERVICE, cv1::CATEGORY_OTHER},
       {"sv.song"}, "sv.song"},
  };
}

class Builder {
 public:
  explicit Builder(uint64_t seed) : rng_(seed) { plan_.seed = seed; }

  Plan Build() {
    plan_.personas = MakePersonas();
    plan_.departments = MakeDepartments();
    AddGroups();
    AddStandalone();
    AssignRevenue();
    AddContacts();
    AddCommerce();
    AddCredit();
    AddEngagement();
    AddOpportunities();
    AddComplaints();
    return std::move(plan_);
  }

 private:
  int AddAccount(const std::string& name, const std::string& industry, const std::string& region,
                 int nature, const std::string& owner, int parent) {
    if (!names_.insert(name).second) throw std::logic_error("duplicate demo name " + name);
    AccountPlan a;
    const int index = static_cast<int>(plan_.accounts.size());
    a.key = absl::StrFormat("a%03d", index + 1);
    a.name = name;
    const Region& r = RegionNamed(region);
    a.registration_number = absl::StrFormat("91%s%010d", r.code, 7340000 + index * 7919);
    a.nature = nature;
    a.industry = industry;
    a.region = region;
    a.owner = owner;
    a.parent = parent;
    a.scale = parent < 0 && nature == av1::NATURE_SPECIAL_COMPANY ? av1::SCALE_LARGE
                                                                  : rng_.Between(1, 4);
    const std::string city = rng_.Pick(r.cities);
    a.address = absl::StrCat(city, "市", rng_.Pick(kBrands), "路", rng_.Between(1, 999), "号");
    a.phone = absl::StrFormat("%s-%08d", r.phone_prefix, 50000000 + rng_.Below(49999999));
    a.legal_representative = PersonName(rng_);
    plan_.accounts.push_back(std::move(a));
    return index;
  }

  void AddGroups() {
    // The flagship, explicitly (docs/DEMO.md draws it).
    const GroupSpec& f = Groups()[0];
    const int s = av1::NATURE_SPECIAL_COMPANY;
    const int o = av1::NATURE_ORDINARY_COMPANY;
    const int root = AddAccount("华远建设集团有限公司", f.industry, "East China", s, f.owner, -1);
    const int east = AddAccount("华远建设华东有限公司", f.industry, "East China", o, f.owner, root);
    const int sh = AddAccount("华远建设上海工程有限公司", f.industry, "East China", o, f.owner, east);
    AddAccount("华远建设浦东项目有限公司", f.industry, "East China", o, f.owner, sh);
    AddAccount("华远建设苏州工程有限公司", f.industry, "East China", o, f.owner, east);
    const int south = AddAccount("华远建设华南有限公司", f.industry, "South China", o, f.owner, root);
    AddAccount("华远建设深圳工程有限公司", f.industry, "South China", o, f.owner, south);
    const int north = AddAccount("华远建设华北有限公司", f.industry, "North China", o, f.owner, root);
    AddAccount("华远建设天津工程有限公司", f.industry, "North China", o, f.owner, north);
    plan_.biggest = root;
    group_roots_.push_back(root);
    for (size_t g = 1; g < Groups().size(); ++g) {
      const GroupSpec& spec = Groups()[g];
      const int top = AddAccount(spec.brand + "集团有限公司", spec.industry, spec.region,
                                 spec.nature, spec.owner, -1);
      group_roots_.push_back(top);
      // Two regional subsidiaries (the home region and another), two branches under each.
      size_t pick = (g * 3 + 1) % Regions().size();
      if (Regions()[pick].name == spec.region) pick = (pick + 1) % Regions().size();
      for (const std::string& region : {spec.region, Regions()[pick].name}) {
        const Region& r = RegionNamed(region);
        const std::map<std::string, std::string> short_names = {
            {"East China", "华东"},    {"North China", "华北"}, {"South China", "华南"},
            {"Central China", "华中"}, {"Southwest", "西南"},   {"Northwest", "西北"},
            {"Northeast", "东北"}};
        const int sub = AddAccount(spec.brand + short_names.at(region) + "有限公司", spec.industry,
                                   region, o, spec.owner, top);
        for (int b = 0; b < 2; ++b) {
          AddAccount(spec.brand + r.cities[static_cast<size_t>(b)] + "分公司", spec.industry, region,
                     o, spec.owner, sub);
        }
      }
    }
    for (int root_index : group_roots_) plan_.accounts[root_index].tags.push_back("group");
  }

  void AddStandalone() {
    plan_.over_limit = AddAccount("宏达机电设备有限公司", "manufacturing", "East China",
                                  av1::NATURE_ORDINARY_COMPANY, "am.zhang", -1);
    plan_.five_visits = AddAccount("远山新能源科技有限公司", "energy", "Northwest",
                                   av1::NATURE_ORDINARY_COMPANY, "am.liu", -1);
    plan_.sla_breach = AddAccount("明川化工有限公司", "chemicals", "Southwest",
                                  av1::NATURE_ORDINARY_COMPANY, "am.zhao", -1);
    while (plan_.accounts.size() < 300) {
      const Region& r = rng_.Pick(Regions());
      const std::string& city = rng_.Pick(r.cities);
      const int roll = rng_.Below(100);
      std::string name, industry;
      int nature;
      if (roll < 6) {
        const std::vector<std::string> bureaus = {"水务局", "住房和城乡建设局", "交通运输局",
                                                  "公共资源交易中心", "市政工程管理处"};
        name = city + "市" + rng_.Pick(bureaus);
        industry = "government services";
        nature = av1::NATURE_GOVERNMENT;
      } else if (roll < 12) {
        name = PersonName(rng_) + "（" + city + "个体经营）";
        industry = "construction";
        nature = av1::NATURE_INDIVIDUAL;
      } else if (roll < 22) {
        name = city + rng_.Pick(kBrands) + "工业品经销有限公司";
        industry = "distribution";
        nature = av1::NATURE_BUSINESS_PARTNER;
      } else {
        const Industry& ind = rng_.Pick(Industries());
        name = city + rng_.Pick(kBrands) + ind.word + "有限公司";
        industry = ind.name;
        nature = roll < 28 ? av1::NATURE_SPECIAL_COMPANY : av1::NATURE_ORDINARY_COMPANY;
      }
      if (names_.count(name) != 0) continue;
      AddAccount(name, industry, r.name, nature, rng_.Pick(kManagers), -1);
    }
  }

  // Zipf-like revenue by a deterministic rank: the flagship first, groups ahead of most
  // standalone accounts; 25 standalone accounts are prospects without revenue.
  void AssignRevenue() {
    const int n = static_cast<int>(plan_.accounts.size());
    std::vector<std::pair<double, int>> order;
    for (int i = 0; i < n; ++i) {
      double weight = rng_.Unit();
      if (plan_.accounts[i].parent >= 0 || IsRoot(i)) weight *= 0.35;
      if (i == plan_.biggest) weight = -1;
      if (i == plan_.over_limit) weight = 0.05;
      order.push_back({weight, i});
    }
    std::sort(order.begin(), order.end());
    for (int rank = 0; rank < n; ++rank) {
      AccountPlan& a = plan_.accounts[order[rank].second];
      if (rank >= n - 25 && a.parent < 0 && !IsRoot(order[rank].second)) {
        a.lifecycle = av1::LIFECYCLE_STAGE_PROSPECT;
        a.transaction_process = av1::TRANSACTION_PROCESS_PROSPECTIVE;
        a.volume_position = av1::VOLUME_POSITION_SCATTERED;
        continue;
      }
      const double revenue = 3.0e9 / std::pow(rank + 1, 1.25);
      a.yearly_revenue = std::max<int64_t>(30000 * kYuan, static_cast<int64_t>(revenue) / 100 * 100);
      a.transaction_process = av1::TRANSACTION_PROCESS_CURRENT;
      a.volume_position = rank < 30    ? av1::VOLUME_POSITION_MAJOR
                          : rank < 150 ? av1::VOLUME_POSITION_GENERAL
                                       : av1::VOLUME_POSITION_SCATTERED;
      a.lifecycle = rank < 40 ? av1::LIFECYCLE_STAGE_LOYAL : av1::LIFECYCLE_STAGE_REPEAT;
      // A few stopped buying a year ago.
      if (rank > 200 && rng_.Chance(0.08) && a.parent < 0) {
        a.lifecycle = av1::LIFECYCLE_STAGE_DORMANT;
        a.transaction_process = av1::TRANSACTION_PROCESS_PAST;
      }
    }
    plan_.accounts[plan_.biggest].tags.push_back("strategic");
  }

  bool IsRoot(int index) const {
    return std::find(group_roots_.begin(), group_roots_.end(), index) != group_roots_.end();
  }

  void AddContacts() {
    const std::vector<std::pair<int, std::string>> roles = {
        {av1::BUYING_ROLE_DECISION_MAKER, "总经理"},
        {av1::BUYING_ROLE_PURCHASER, "采购经理"},
        {av1::BUYING_ROLE_TECHNICAL_EVALUATOR, "技术总监"},
        {av1::BUYING_ROLE_INFLUENCER, "副总经理"},
        {av1::BUYING_ROLE_USER, "工程部主任"},
        {av1::BUYING_ROLE_GATEKEEPER, "总经理助理"},
    };
    for (AccountPlan& a : plan_.accounts) {
      const int count = a.nature == av1::NATURE_INDIVIDUAL ? 1 : rng_.Between(2, 4);
      for (int c = 0; c < count; ++c) {
        const auto& [role, title] = c == 0 ? roles[0] : roles[static_cast<size_t>(rng_.Between(1, 5))];
        ContactPlan contact;
        contact.name = PersonName(rng_);
        contact.title = title;
        contact.phone = MobilePhone(rng_);
        contact.email = absl::StrCat(a.key, ".", c + 1, "@customer.example.cn");
        contact.buying_role = role;
        a.contacts.push_back(std::move(contact));
      }
    }
  }

  std::vector<LinePlan> Lines(int64_t budget) {
    std::vector<LinePlan> lines;
    const int count = rng_.Between(1, 3);
    for (int l = 0; l < count; ++l) {
      const Product& p = rng_.Pick(Products());
      const int64_t share = budget / (count - l);
      budget -= share;
      LinePlan line;
      line.product_code = p.code;
      line.category = p.category;
      line.quantity = std::max<int64_t>(1, share / p.unit_price);
      line.revenue = line.quantity * p.unit_price;
      line.cost = static_cast<int64_t>(static_cast<double>(line.revenue) * (1 - p.margin)) / 100 *
                  100;
      lines.push_back(std::move(line));
    }
    return lines;
  }

  void AddCommerce() {
    receivable_.assign(plan_.accounts.size(), 0);
    for (int i = 0; i < static_cast<int>(plan_.accounts.size()); ++i) {
      AccountPlan& a = plan_.accounts[i];
      if (a.yearly_revenue == 0) continue;
      const bool slow = i == plan_.over_limit || (rng_.Chance(0.06) && i != plan_.biggest);
      if (slow) a.tags.push_back("slow-payer");
      const bool dormant = a.lifecycle == av1::LIFECYCLE_STAGE_DORMANT;
      // A frame contract per year for the larger customers.
      std::vector<int> contracts(2, -1);
      if (a.yearly_revenue >= 500000 * kYuan) {
        for (int year = 0; year < 2; ++year) {
          if (dormant && year == 1) break;
          ContractPlan c;
          c.account = i;
          c.number = absl::StrFormat("JH-%s-%d", a.key, year + 1);
          c.value = a.yearly_revenue;
          c.start_day = -730 + year * 365;
          c.end_day = c.start_day + 365;
          c.sign_day = c.start_day - 7;
          contracts[year] = static_cast<int>(plan_.contracts.size());
          plan_.contracts.push_back(std::move(c));
        }
      }
      const int per_year = static_cast<int>(std::clamp<int64_t>(
          2 + a.yearly_revenue / (400000 * kYuan), 2, 24));
      for (int year = 0; year < 2; ++year) {
        if (dormant && year == 1) break;
        // Growth: last year 85% of this year.
        const int64_t year_revenue = year == 0 ? a.yearly_revenue * 85 / 100 : a.yearly_revenue;
        for (int k = 0; k < per_year; ++k) {
          OrderPlan order;
          order.account = i;
          order.external_id = absl::StrFormat("SO-%s-%d%02d", a.key, year + 1, k + 1);
          order.contract = contracts[year];
          // Spread over the year, never on the load day itself (kept for the last order).
          order.day = -730 + year * 365 + (k * 365) / per_year + rng_.Between(0, 365 / per_year - 1);
          order.day = std::min(order.day, -1);
          const double jitter = 0.7 + 0.6 * rng_.Unit();
          order.lines = Lines(static_cast<int64_t>(year_revenue / per_year * jitter));
          const int order_index = static_cast<int>(plan_.orders.size());
          int64_t total = 0;
          for (const LinePlan& l : order.lines) total += l.revenue;
          const int delay = slow ? rng_.Between(90, 200) : rng_.Between(20, 60);
          int64_t paid = 0;
          if (order.day + delay < 0) {
            paid = slow ? total * rng_.Between(45, 70) / 100 / 100 * 100 : total;
          }
          if (paid > 0) {
            PaymentPlan p;
            p.account = i;
            p.external_id = "PAY-" + order.external_id;
            p.order = order_index;
            p.day = order.day + delay;
            p.amount = paid;
            plan_.payments.push_back(std::move(p));
          }
          receivable_[static_cast<size_t>(i)] += total - paid;
          plan_.orders.push_back(std::move(order));
        }
      }
    }
  }

  // Ratings for every customer with revenue; limits twice the receivables (groups: of the
  // whole group) so the gate does not bite, except for the one account over its limit.
  void AddCredit() {
    const size_t n = plan_.accounts.size();
    std::vector<int64_t> subtree = receivable_;
    for (size_t i = n; i-- > 0;) {  // parents come before their subsidiaries
      const int parent = plan_.accounts[i].parent;
      if (parent >= 0) subtree[static_cast<size_t>(parent)] += subtree[i];
    }
    for (size_t i = 0; i < n; ++i) {
      AccountPlan& a = plan_.accounts[i];
      if (a.yearly_revenue == 0) continue;
      const bool slow = std::count(a.tags.begin(), a.tags.end(), "slow-payer") > 0;
      a.credit_rating = slow ? av1::CREDIT_RATING_BB
                             : (a.volume_position == av1::VOLUME_POSITION_MAJOR
                                    ? av1::CREDIT_RATING_AAA
                                    : av1::CREDIT_RATING_A + rng_.Below(2) - 1);
      const int64_t limit = std::max<int64_t>(subtree[i] * 2, a.yearly_revenue / 4);
      a.credit_limit = (limit / (10000 * kYuan) + 1) * 10000 * kYuan;
    }
    AccountPlan& over = plan_.accounts[static_cast<size_t>(plan_.over_limit)];
    over.credit_limit = 500000 * kYuan;
    if (receivable_[static_cast<size_t>(plan_.over_limit)] <= over.credit_limit) {
      throw std::logic_error("the over-limit account's receivables do not exceed its limit");
    }
  }

  void AddEngagement() {
    const std::vector<std::string> topics = {
        "季度供货计划沟通", "新项目管材需求摸底", "阀门选型技术交流", "回款进度确认",
        "年度框架合同续签", "售后维保服务回访", "竞品价格情况了解", "仪表改造方案介绍"};
    const std::vector<std::string> steps = {"发送报价单", "安排技术交流会", "跟进样品测试",
                                            "提交合同草案", "下月再次拜访", "邀请参观工厂"};
    for (int i = 0; i < static_cast<int>(plan_.accounts.size()); ++i) {
      const AccountPlan& a = plan_.accounts[i];
      const bool key = a.volume_position == av1::VOLUME_POSITION_MAJOR;
      const int count = a.yearly_revenue == 0 ? 1 : (key ? rng_.Between(6, 10) : rng_.Between(2, 4));
      std::vector<int> days;
      for (int k = 0; k < count; ++k) days.push_back(-rng_.Between(60, 720));
      std::sort(days.begin(), days.end());
      bool last_visit_failed = false;
      for (int k = 0; k < count; ++k) {
        RecordPlan r;
        r.account = i;
        r.key = absl::StrFormat("%s-r%d", a.key, k + 1);
        r.kind = std::vector<int>{av1::CONTACT_KIND_VISIT, av1::CONTACT_KIND_CALL,
                                  av1::CONTACT_KIND_VISIT, av1::CONTACT_KIND_MEETING,
                                  av1::CONTACT_KIND_EMAIL, av1::CONTACT_KIND_EVENT}[static_cast<size_t>(rng_.Below(6))];
        r.day = days[static_cast<size_t>(k)];
        r.summary = rng_.Pick(topics);
        // Never two fruitless visits in a row: only the five-visits account reaches the rule.
        const bool fruitless = rng_.Chance(0.15) && !(r.kind == av1::CONTACT_KIND_VISIT && last_visit_failed);
        r.outcome = fruitless ? av1::CONTACT_OUTCOME_NO_RESULT : av1::CONTACT_OUTCOME_EFFECTIVE;
        if (r.kind == av1::CONTACT_KIND_VISIT) last_visit_failed = fruitless;
        r.next_step = rng_.Pick(steps);
        plan_.records.push_back(std::move(r));
      }
      if (i == plan_.five_visits) {
        for (int k = 0; k < 5; ++k) {
          RecordPlan r;
          r.account = i;
          r.key = absl::StrFormat("%s-v%d", a.key, k + 1);
          r.kind = av1::CONTACT_KIND_VISIT;
          r.day = -50 + k * 10;
          r.summary = "拜访采购部，介绍光伏支架配套管材方案，客户表示暂无采购计划";
          r.outcome = av1::CONTACT_OUTCOME_NO_RESULT;
          r.next_step = "下月再约";
          plan_.records.push_back(std::move(r));
        }
      }
      // Visits planned in the coming weeks for the larger customers and the five-visits one
      // (whose plan the rule then cancels).
      if (key || i == plan_.five_visits || (a.yearly_revenue > 0 && rng_.Chance(0.3))) {
        VisitPlanPlan v;
        v.account = i;
        v.key = a.key + "-p1";
        v.day = rng_.Between(1, 30);
        v.objective = rng_.Pick(topics);
        plan_.visits.push_back(std::move(v));
      }
    }
  }

  void AddOpportunities() {
    const std::vector<std::string> projects = {"管网改造", "泵站扩容", "厂区仪表升级",
                                               "阀门年度集采", "电缆敷设工程", "维保外包"};
    const std::vector<std::string> rivals = {"远大管业", "中阀科技", "华通电缆", "无"};
    // Stage targets in a fixed cycle: every open stage, won and lost.
    const std::vector<int> targets = {
        av1::STAGE_CUSTOMER_DEVELOPMENT, av1::STAGE_PROJECT_INITIATION, av1::STAGE_PROPOSAL,
        av1::STAGE_BIDDING, av1::STAGE_COMMERCIAL_NEGOTIATION, av1::STAGE_IMPLEMENTATION,
        av1::STAGE_WON, av1::STAGE_LOST, av1::STAGE_CUSTOMER_DEVELOPMENT, av1::STAGE_PROPOSAL,
        av1::STAGE_WON, av1::STAGE_BIDDING};
    // The flagship's Shanghai company won the Pudong network renewal (docs/DEMO.md); the
    // second group lost one to a competitor.
    std::vector<int> holders;
    for (int i = 0; i < static_cast<int>(plan_.accounts.size()); ++i) {
      if (plan_.accounts[i].yearly_revenue >= 150000 * kYuan) holders.push_back(i);
    }
    AddOpportunity(2, "浦东新区管网改造", 3200000 * kYuan, av1::STAGE_WON, "中阀科技");
    AddOpportunity(group_roots_[1], "长江能源水电站阀门更换", 1800000 * kYuan, av1::STAGE_LOST,
                   "远大管业");
    for (int k = 0; k < 58; ++k) {
      const int account = holders[static_cast<size_t>(rng_.Below(static_cast<int>(holders.size())))];
      const AccountPlan& a = plan_.accounts[static_cast<size_t>(account)];
      const std::string city = a.address.substr(0, a.address.find("市"));
      AddOpportunity(account, city + rng_.Pick(projects),
                     rng_.Between(20, 500) * 10000 * kYuan, targets[static_cast<size_t>(k) % targets.size()],
                     rng_.Pick(rivals));
    }
  }

  void AddOpportunity(int account, const std::string& name, int64_t amount, int target,
                      const std::string& rival) {
    OpportunityPlan o;
    o.account = account;
    o.key = absl::StrFormat("o%02d", plan_.opportunities.size() + 1);
    o.name = name;
    o.amount = amount;
    o.target_stage = target;
    o.close_day = target == av1::STAGE_WON || target == av1::STAGE_LOST ? -rng_.Between(5, 200)
                                                                        : rng_.Between(30, 240);
    if (target == av1::STAGE_LOST) o.lost_from = rng_.Between(2, 5);
    o.competition = rival;
    o.decision_makers = plan_.accounts[static_cast<size_t>(account)].contacts[0].name + "（总经理）";
    if (target >= av1::STAGE_IMPLEMENTATION && target != av1::STAGE_LOST) {
      ContractPlan c;
      c.account = account;
      c.number = absl::StrFormat("JH-XM-%s", o.key);
      c.value = amount;
      c.start_day = std::min(o.close_day, -1) - 60;
      c.end_day = c.start_day + 365;
      c.sign_day = c.start_day - 3;
      o.contract = static_cast<int>(plan_.contracts.size());
      plan_.contracts.push_back(std::move(c));
    }
    plan_.opportunities.push_back(std::move(o));
  }

  void AddComplaints() {
    const std::map<int, std::vector<std::pair<std::string, std::string>>> texts = {
        {cv1::CATEGORY_PRODUCT_QUALITY,
         {{"out of tolerance", "DN300 钢管壁厚实测低于合同公差，现场验收不合格"},
          {"defect", "闸阀阀体砂眼渗漏，试压时发现"},
          {"failure", "电磁流量计上线两周后读数漂移"}}},
        {cv1::CATEGORY_CONTRACT,
         {{"quantity", "到货数量比合同少 40 米"}, {"delivery time", "交货期比合同约定晚了 10 天"},
          {"settlement", "发票开具的结算条款与合同不一致"}}},
        {cv1::CATEGORY_TRANSPORT,
         {{"damaged", "运输途中包装破损，阀门法兰面磕伤"}, {"lost", "一箱压力变送器在转运中丢失"},
          {"packing", "电缆盘未做防潮处理，外皮受潮"}}},
        {cv1::CATEGORY_SERVICE,
         {{"attitude", "客服电话多次无人接听，态度敷衍"}, {"skill", "维保工程师现场调试不熟练"},
          {"response", "售后响应超过承诺的 24 小时"}}},
        {cv1::CATEGORY_OTHER, {{"invoice", "对账单寄送地址错误"}, {"website", "网上订单查询无法登录"}}},
    };
    // Every state for every category: 9 x 5.
    const std::vector<int> states = {
        cv1::STATE_RECORDED,           cv1::STATE_INVALID,
        cv1::STATE_ASSIGNED,           cv1::STATE_CAUSE_ANALYZED,
        cv1::STATE_RESOLUTION_PROPOSED, cv1::STATE_RESOLUTION_APPROVED,
        cv1::STATE_RESOLUTION_IMPLEMENTED, cv1::STATE_FOLLOWED_UP,
        cv1::STATE_CLOSED};
    std::vector<int> customers;
    for (int i = 0; i < static_cast<int>(plan_.accounts.size()); ++i) {
      if (plan_.accounts[i].yearly_revenue > 0 && i != plan_.sla_breach) customers.push_back(i);
    }
    // The complaint of docs/DEMO.md that breached its SLA: critical, never judged.
    {
      ComplaintPlan c;
      c.account = plan_.sla_breach;
      c.key = "c01";
      c.channel = cv1::CHANNEL_PHONE;
      c.category = cv1::CATEGORY_PRODUCT_QUALITY;
      c.severity = cv1::SEVERITY_CRITICAL;
      c.manner = cv1::MANNER_ANGRY;
      c.subcategory = "out of tolerance";
      c.description = "反应釜进料管线法兰泄漏，疑似垫片材质不符，已停产待处理";
      c.target_state = cv1::STATE_RECORDED;
      c.received_hours_ago = 140;
      c.agent = "svc.lin";
      plan_.complaints.push_back(std::move(c));
    }
    for (const auto& [category, options] : texts) {
      for (int state : states) {
        ComplaintPlan c;
        c.account = customers[static_cast<size_t>(rng_.Below(static_cast<int>(customers.size())))];
        c.key = absl::StrFormat("c%02d", plan_.complaints.size() + 1);
        c.channel = rng_.Between(1, 5);
        c.category = category;
        c.severity = rng_.Between(1, 4);
        c.manner = rng_.Between(1, 4);
        const auto& [sub, text] = options[static_cast<size_t>(rng_.Below(static_cast<int>(options.size())))];
        c.subcategory = sub;
        c.description = text;
        c.target_state = state;
        // Open ones received earlier, so several have run out of time.
        c.received_hours_ago = state <= cv1::STATE_CAUSE_ANALYZED ? rng_.Between(30, 140)
                                                                  : rng_.Between(2, 120);
        c.agent = rng_.Chance(0.5) ? "svc.lin" : "svc.guo";
        plan_.complaints.push_back(std::move(c));
      }
    }
  }

  Rng rng_;
  Plan plan_;
  std::set<std::string> names_;
  std::vector<int> group_roots_;
  std::vector<int64_t> receivable_;
};

}  // namespace

const Persona& Plan::PersonaOf(const std::string& subject) const {
  for (const Persona& p : personas) {
    if (p.subject == subject) return p;
  }
  throw std::logic_error("no demo persona " + subject);
}

Plan MakePlan(uint64_t seed) { return Builder(seed).Build(); }

std::string PlanDigest(const Plan& plan) {
  std::string text = absl::StrCat("seed ", plan.seed, "\n");
  for (const Persona& p : plan.personas) {
    absl::StrAppend(&text, "persona|", p.subject, "|", p.name, "|", p.role, "|", p.department, "\n");
  }
  for (const DepartmentPlan& d : plan.departments) {
    absl::StrAppend(&text, "dept|", d.code, "|", d.name, "|", absl::StrJoin(d.categories, ","), "|",
                    absl::StrJoin(d.handlers, ","), "|", d.manager, "\n");
  }
  for (const AccountPlan& a : plan.accounts) {
    absl::StrAppend(&text, "account|", a.key, "|", a.name, "|", a.registration_number, "|",
                    a.nature, "|", a.industry, "|", a.region, "|", a.scale, "|", a.lifecycle, "|",
                    a.owner, "|", a.parent, "|", absl::StrJoin(a.tags, ","), "|", a.address, "|",
                    a.phone, "|", a.legal_representative, "|", a.credit_rating, "|",
                    a.credit_limit, "|", a.yearly_revenue, "\n");
    for (const ContactPlan& c : a.contacts) {
      absl::StrAppend(&text, "contact|", c.name, "|", c.title, "|", c.phone, "|", c.email, "|",
                      c.buying_role, "\n");
    }
  }
  for (const ContractPlan& c : plan.contracts) {
    absl::StrAppend(&text, "contract|", c.account, "|", c.number, "|", c.value, "|", c.start_day,
                    "|", c.end_day, "|", c.sign_day, "\n");
  }
  for (const OrderPlan& o : plan.orders) {
    absl::StrAppend(&text, "order|", o.account, "|", o.external_id, "|", o.contract, "|", o.day,
                    "\n");
    for (const LinePlan& l : o.lines) {
      absl::StrAppend(&text, "line|", l.product_code, "|", l.category, "|", l.quantity, "|",
                      l.revenue, "|", l.cost, "\n");
    }
  }
  for (const PaymentPlan& p : plan.payments) {
    absl::StrAppend(&text, "payment|", p.account, "|", p.external_id, "|", p.order, "|", p.day, "|",
                    p.amount, "\n");
  }
  for (const RecordPlan& r : plan.records) {
    absl::StrAppend(&text, "record|", r.account, "|", r.key, "|", r.kind, "|", r.day, "|",
                    r.summary, "|", r.outcome, "|", r.next_step, "\n");
  }
  for (const VisitPlanPlan& v : plan.visits) {
    absl::StrAppend(&text, "visit|", v.account, "|", v.key, "|", v.day, "|", v.objective, "\n");
  }
  for (const OpportunityPlan& o : plan.opportunities) {
    absl::StrAppend(&text, "opportunity|", o.account, "|", o.key, "|", o.name, "|", o.amount, "|",
                    o.close_day, "|", o.target_stage, "|", o.lost_from, "|", o.contract, "|",
                    o.competition, "|", o.decision_makers, "\n");
  }
  for (const ComplaintPlan& c : plan.complaints) {
    absl::StrAppend(&text, "complaint|", c.account, "|", c.key, "|", c.channel, "|", c.category,
                    "|", c.severity, "|", c.manner, "|", c.subcategory, "|", c.description, "|",
                    c.target_state, "|", c.received_hours_ago, "|", c.agent, "\n");
  }
  return Sha256Hex(text);
}

}  // namespace kam::demo
