#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/status.h"
#include "services/complaints/sla.h"

// The policy document of sla.h: parsing and validation, kept apart from the calendar maths.
namespace kam::complaints {
namespace {

using nlohmann::json;

// Names of the policy document, indexed by absl::Weekday, tier and severity - 1.
constexpr std::array<std::string_view, 7> kWeekdayNames = {"mon", "tue", "wed", "thu",
                                                           "fri", "sat", "sun"};
constexpr std::array<std::string_view, kMaxTier + 1> kTierNames = {"untiered", "A", "B", "C", "D"};
constexpr std::array<std::string_view, 4> kSeverityNames = {"low", "medium", "high", "critical"};
constexpr char kRootPath[] = "sla_policy";

std::string Child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", std::string(key));
}

std::string Element(const std::string& path, size_t index) {
  return absl::StrCat(path, "[", index, "]");
}

std::string DateText(absl::CivilDay day) { return absl::FormatCivilTime(day); }

template <size_t N>
std::string OneOf(const std::array<std::string_view, N>& names) {
  std::vector<std::string> quoted;
  for (std::string_view name : names) quoted.push_back(absl::StrCat("\"", std::string(name), "\""));
  return absl::StrCat("must be one of ", absl::StrJoin(quoted, ", "));
}

// "comment" keys carry maintenance notes in a format without comments; they are ignored.
absl::Status CheckComment(const json& node, const std::string& path) {
  if (node.is_string()) return absl::OkStatus();
  if (node.is_array() &&
      std::all_of(node.begin(), node.end(), [](const json& line) { return line.is_string(); })) {
    return absl::OkStatus();
  }
  return InvalidField(path, "must be a string or an array of strings");
}

// `path` is empty for the document itself.
absl::Status CheckObject(const json& node, const std::string& path,
                         std::initializer_list<std::string_view> keys) {
  if (!node.is_object()) return InvalidField(path.empty() ? kRootPath : path, "must be an object");
  for (const auto& [key, value] : node.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      return InvalidField(Child(path, key), "unknown key");
    }
    if (key == "comment") {
      if (absl::Status status = CheckComment(value, Child(path, key)); !status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<const json*> Required(const json& object, const std::string& path,
                                     std::string_view key) {
  const auto found = object.find(key);
  if (found == object.end()) return InvalidField(Child(path, key), "required");
  return &*found;
}

absl::StatusOr<absl::Duration> ParseBudget(const json& node, const std::string& path) {
  if (!node.is_string()) return InvalidField(path, "must be a duration string such as \"8h\"");
  absl::Duration duration;
  if (!absl::ParseDuration(node.get<std::string>(), &duration)) {
    return InvalidField(path, "must be a duration such as \"30m\", \"8h\" or \"1h30m\"");
  }
  if (duration <= absl::ZeroDuration() || duration == absl::InfiniteDuration()) {
    return InvalidField(path, "must be positive");
  }
  return duration;
}

// "HH:MM" as minutes after midnight; "24:00" (1440) is the end of the day.
absl::StatusOr<int> ParseClock(const json& node, const std::string& path) {
  const std::string text = node.is_string() ? node.get<std::string>() : "";
  const bool shaped = text.size() == 5 && text[2] == ':' && absl::ascii_isdigit(text[0]) &&
                      absl::ascii_isdigit(text[1]) && absl::ascii_isdigit(text[3]) &&
                      absl::ascii_isdigit(text[4]);
  if (shaped) {
    const int hours = (text[0] - '0') * 10 + (text[1] - '0');
    const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
    if (minutes < 60 && (hours < 24 || (hours == 24 && minutes == 0))) {
      return hours * 60 + minutes;
    }
  }
  return InvalidField(path, "must be a local time \"HH:MM\" from 00:00 to 24:00");
}

absl::StatusOr<absl::CivilDay> ParseDate(const json& node, const std::string& path) {
  const std::string text = node.is_string() ? node.get<std::string>() : "";
  bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-';
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) shaped = shaped && absl::ascii_isdigit(text[i]);
  if (shaped) {
    const int year = std::stoi(text.substr(0, 4));
    const int month = std::stoi(text.substr(5, 2));
    const int day = std::stoi(text.substr(8, 2));
    const absl::CivilDay date(year, month, day);
    // CivilDay normalises 2026-02-30 to March: a changed field means the date was invalid.
    if (date.year() == year && date.month() == month && date.day() == day) return date;
  }
  return InvalidField(path, "must be a date \"YYYY-MM-DD\"");
}

// The dates of the optional list `object[key]`, in document order, each given once.
absl::StatusOr<std::vector<absl::CivilDay>> ParseDates(const json& object, const std::string& path,
                                                       std::string_view key) {
  std::vector<absl::CivilDay> days;
  const auto found = object.find(key);
  if (found == object.end()) return days;
  const std::string field = Child(path, key);
  if (!found->is_array()) return InvalidField(field, "must be an array of dates");
  std::set<absl::CivilDay> seen;
  for (size_t i = 0; i < found->size(); ++i) {
    absl::StatusOr<absl::CivilDay> day = ParseDate((*found)[i], Element(field, i));
    if (!day.ok()) return day.status();
    if (!seen.insert(*day).second) {
      return InvalidField(Element(field, i), absl::StrCat(DateText(*day), " given twice"));
    }
    days.push_back(*day);
  }
  return days;
}

template <size_t N>
absl::StatusOr<int> ParseName(const json& node, const std::string& path,
                              const std::array<std::string_view, N>& names) {
  if (node.is_string()) {
    const auto found = std::find(names.begin(), names.end(), node.get<std::string>());
    if (found != names.end()) return static_cast<int>(found - names.begin());
  }
  return InvalidField(path, OneOf(names));
}

// Rejects repeated keys, which nlohmann::json would otherwise merge silently (the last one
// winning), e.g. a second "holidays" list added below the first.
absl::StatusOr<json> ParseJson(std::string_view text) {
  std::vector<std::set<std::string>> open_objects;
  std::string repeated;
  auto check_keys = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) open_objects.emplace_back();
    if (event == json::parse_event_t::object_end) open_objects.pop_back();
    if (event == json::parse_event_t::key && repeated.empty() &&
        !open_objects.back().insert(parsed.get<std::string>()).second) {
      repeated = parsed.get<std::string>();
    }
    return true;
  };
  json doc;
  try {
    doc = json::parse(text.begin(), text.end(), check_keys);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 1e999
    return InvalidField(kRootPath, absl::StrCat("not valid JSON: ", e.what()));
  }
  if (!repeated.empty()) {
    return InvalidField(kRootPath,
                        absl::StrCat("key \"", repeated, "\" given twice in one object"));
  }
  return doc;
}

}  // namespace

std::string_view TierName(int tier) {
  return tier >= 0 && tier <= kMaxTier ? kTierNames[tier] : kTierNames[kUntiered];
}

std::string_view SeverityName(Severity severity) {
  const int index = static_cast<int>(severity) - 1;
  return index >= 0 && index < 4 ? kSeverityNames[index] : "unknown";
}

// Walks the document once, filling the policy; the first problem found is returned with its
// JSON path.
class SlaPolicyParser {
 public:
  static absl::StatusOr<SlaPolicy> Parse(std::string_view text) {
    absl::StatusOr<json> doc = ParseJson(text);
    if (!doc.ok()) return doc.status();
    absl::Status status = CheckObject(
        *doc, "", {"comment", "calendar", "warn_fraction", "escalation_delay", "targets"});
    SlaPolicy policy;
    if (status.ok()) status = ParseCalendar(*doc, policy.calendar_);
    if (status.ok()) status = ParseWarnFraction(*doc, policy.warn_fraction_);
    if (status.ok()) status = ParseEscalationDelay(*doc, policy.escalation_delay_);
    if (status.ok()) status = ParseTargets(*doc, policy.targets_);
    if (!status.ok()) return status;
    return policy;
  }

 private:
  using Targets = decltype(SlaPolicy::targets_);

  static absl::Status ParseCalendar(const json& doc, BusinessCalendar& calendar) {
    absl::StatusOr<const json*> node = Required(doc, "", "calendar");
    if (!node.ok()) return node.status();
    const json& object = **node;
    const std::string path = "calendar";
    absl::Status status = CheckObject(object, path,
                                      {"comment", "time_zone", "working_days", "working_hours",
                                       "holidays", "extra_working_days"});
    if (status.ok()) status = ParseTimeZone(object, path, calendar.zone_);
    if (status.ok()) status = ParseWorkingDays(object, path, calendar.working_weekdays_);
    if (status.ok()) status = ParseWorkingHours(object, path, calendar.periods_);
    if (status.ok()) status = ParseExceptions(object, path, calendar);
    return status;
  }

  static absl::Status ParseTimeZone(const json& object, const std::string& path,
                                    absl::TimeZone& zone) {
    absl::StatusOr<const json*> node = Required(object, path, "time_zone");
    if (!node.ok()) return node.status();
    const std::string field = Child(path, "time_zone");
    if (!(*node)->is_string()) return InvalidField(field, "must be an IANA time zone name");
    const std::string name = (*node)->get<std::string>();
    // "localtime" would make deadlines depend on the host's settings.
    if (name.empty() || name == "localtime" || !absl::LoadTimeZone(name, &zone)) {
      return InvalidField(field, absl::StrCat("unknown time zone \"", name, "\""));
    }
    return absl::OkStatus();
  }

  static absl::Status ParseWorkingDays(const json& object, const std::string& path,
                                       std::array<bool, 7>& weekdays) {
    absl::StatusOr<const json*> node = Required(object, path, "working_days");
    if (!node.ok()) return node.status();
    const std::string field = Child(path, "working_days");
    if (!(*node)->is_array()) return InvalidField(field, "must be an array of day names");
    if ((*node)->empty()) return InvalidField(field, "must name at least one day");
    for (size_t i = 0; i < (*node)->size(); ++i) {
      absl::StatusOr<int> day = ParseName((**node)[i], Element(field, i), kWeekdayNames);
      if (!day.ok()) return day.status();
      if (weekdays[*day]) {
        return InvalidField(Element(field, i),
                            absl::StrCat("\"", std::string(kWeekdayNames[*day]), "\" given twice"));
      }
      weekdays[*day] = true;
    }
    return absl::OkStatus();
  }

  static absl::Status ParseWorkingHours(const json& object, const std::string& path,
                                        std::vector<BusinessCalendar::Period>& periods) {
    absl::StatusOr<const json*> node = Required(object, path, "working_hours");
    if (!node.ok()) return node.status();
    const std::string field = Child(path, "working_hours");
    if (!(*node)->is_array()) return InvalidField(field, "must be an array of periods");
    if ((*node)->empty()) return InvalidField(field, "must hold at least one period");
    std::vector<std::pair<BusinessCalendar::Period, size_t>> indexed;
    for (size_t i = 0; i < (*node)->size(); ++i) {
      const json& pair = (**node)[i];
      const std::string element = Element(field, i);
      if (!pair.is_array() || pair.size() != 2) {
        return InvalidField(element, "must be a pair [\"HH:MM\", \"HH:MM\"]");
      }
      absl::StatusOr<int> begin = ParseClock(pair[0], Element(element, 0));
      if (!begin.ok()) return begin.status();
      absl::StatusOr<int> end = ParseClock(pair[1], Element(element, 1));
      if (!end.ok()) return end.status();
      if (*end <= *begin) return InvalidField(element, "must end after it begins");
      indexed.push_back({{*begin, *end}, i});
    }
    std::sort(indexed.begin(), indexed.end(), [](const auto& a, const auto& b) {
      return a.first.begin_minute < b.first.begin_minute;
    });
    for (size_t i = 1; i < indexed.size(); ++i) {
      if (indexed[i].first.begin_minute < indexed[i - 1].first.end_minute) {
        const size_t later = std::max(indexed[i].second, indexed[i - 1].second);
        const size_t earlier = std::min(indexed[i].second, indexed[i - 1].second);
        return InvalidField(Element(field, later),
                            absl::StrCat("overlaps ", Element(field, earlier)));
      }
    }
    for (const auto& [period, index] : indexed) periods.push_back(period);
    return absl::OkStatus();
  }

  static absl::Status ParseExceptions(const json& object, const std::string& path,
                                      BusinessCalendar& calendar) {
    absl::StatusOr<std::vector<absl::CivilDay>> holidays = ParseDates(object, path, "holidays");
    if (!holidays.ok()) return holidays.status();
    absl::StatusOr<std::vector<absl::CivilDay>> extra =
        ParseDates(object, path, "extra_working_days");
    if (!extra.ok()) return extra.status();
    std::sort(holidays->begin(), holidays->end());
    // A holiday that is also worked, or an "extra" day that is worked anyway, is a typo.
    for (size_t i = 0; i < extra->size(); ++i) {
      const absl::CivilDay day = (*extra)[i];
      const std::string element = Element(Child(path, "extra_working_days"), i);
      if (std::binary_search(holidays->begin(), holidays->end(), day)) {
        return InvalidField(element, absl::StrCat(DateText(day), " is also a holiday"));
      }
      const auto weekday = static_cast<int>(absl::GetWeekday(day));
      if (calendar.working_weekdays_[weekday]) {
        return InvalidField(element, absl::StrCat(DateText(day), " is a working day already (",
                                                  std::string(kWeekdayNames[weekday]), ")"));
      }
    }
    std::sort(extra->begin(), extra->end());
    calendar.holidays_ = *std::move(holidays);
    calendar.extra_working_days_ = *std::move(extra);
    return absl::OkStatus();
  }

  static absl::Status ParseWarnFraction(const json& doc, double& fraction) {
    const auto node = doc.find("warn_fraction");
    if (node == doc.end()) return absl::OkStatus();
    if (!node->is_number() || node->get<double>() <= 0 || node->get<double>() >= 1) {
      return InvalidField("warn_fraction", "must be a number greater than 0 and less than 1");
    }
    fraction = node->get<double>();
    return absl::OkStatus();
  }

  static absl::Status ParseEscalationDelay(const json& doc, absl::Duration& delay) {
    absl::StatusOr<const json*> node = Required(doc, "", "escalation_delay");
    if (!node.ok()) return node.status();
    absl::StatusOr<absl::Duration> parsed = ParseBudget(**node, "escalation_delay");
    if (!parsed.ok()) return parsed.status();
    delay = *parsed;
    return absl::OkStatus();
  }

  static absl::Status ParseTargets(const json& doc, Targets& targets) {
    absl::StatusOr<const json*> node = Required(doc, "", "targets");
    if (!node.ok()) return node.status();
    const std::string path = "targets";
    if (!(*node)->is_array()) return InvalidField(path, "must be an array");
    std::array<std::array<int, 4>, kMaxTier + 1> given_at;
    for (auto& row : given_at) row.fill(-1);
    for (size_t i = 0; i < (*node)->size(); ++i) {
      const std::string element = Element(path, i);
      int tier = 0;
      int severity = 0;
      SlaTarget target;
      absl::Status status = ParseTarget((**node)[i], element, tier, severity, target);
      if (!status.ok()) return status;
      if (given_at[tier][severity] >= 0) {
        return InvalidField(element, absl::StrCat(PairText(tier, severity), " given twice (also ",
                                                  Element(path, given_at[tier][severity]), ")"));
      }
      given_at[tier][severity] = static_cast<int>(i);
      targets[tier][severity] = target;
    }
    for (int tier = 0; tier <= kMaxTier; ++tier) {
      for (int severity = 0; severity < 4; ++severity) {
        if (given_at[tier][severity] < 0) {
          return InvalidField(path, absl::StrCat("no target for ", PairText(tier, severity)));
        }
      }
    }
    return absl::OkStatus();
  }

  static absl::Status ParseTarget(const json& entry, const std::string& path, int& tier,
                                  int& severity, SlaTarget& target) {
    absl::Status status = CheckObject(entry, path, {"tier", "severity", "judge", "resolve"});
    if (!status.ok()) return status;
    for (std::string_view key : {"tier", "severity", "judge", "resolve"}) {
      if (absl::StatusOr<const json*> node = Required(entry, path, key); !node.ok()) {
        return node.status();
      }
    }
    absl::StatusOr<int> parsed_tier = ParseName(entry["tier"], Child(path, "tier"), kTierNames);
    if (!parsed_tier.ok()) return parsed_tier.status();
    absl::StatusOr<int> parsed_severity =
        ParseName(entry["severity"], Child(path, "severity"), kSeverityNames);
    if (!parsed_severity.ok()) return parsed_severity.status();
    absl::StatusOr<absl::Duration> judge = ParseBudget(entry["judge"], Child(path, "judge"));
    if (!judge.ok()) return judge.status();
    absl::StatusOr<absl::Duration> resolve = ParseBudget(entry["resolve"], Child(path, "resolve"));
    if (!resolve.ok()) return resolve.status();
    if (*judge > *resolve) {
      return InvalidField(Child(path, "judge"), "must not exceed resolve");
    }
    tier = *parsed_tier;
    severity = *parsed_severity;
    target = {*judge, *resolve};
    return absl::OkStatus();
  }

  static std::string PairText(int tier, int severity) {
    return absl::StrCat("tier ", std::string(kTierNames[tier]), ", severity ",
                        std::string(kSeverityNames[severity]));
  }
};

absl::StatusOr<SlaPolicy> ParseSlaPolicy(std::string_view json) {
  return SlaPolicyParser::Parse(json);
}

absl::StatusOr<SlaPolicy> LoadSlaPolicy(const std::string& path) {
  if (path.empty()) return ParseSlaPolicy(DefaultSlaPolicyJson());
  std::ifstream file(path);
  if (!file) {
    return absl::InvalidArgumentError(absl::StrCat("sla policy file ", path, ": cannot be read"));
  }
  std::stringstream text;
  text << file.rdbuf();
  absl::StatusOr<SlaPolicy> policy = ParseSlaPolicy(text.str());
  if (!policy.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("sla policy file ", path, ": ", policy.status().message()));
  }
  return policy;
}

}  // namespace kam::complaints
