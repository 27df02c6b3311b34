#include "tests/demo/tour.h"

#include <algorithm>
#include <regex>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace kam::demo {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  if (text.empty()) return {};
  return absl::StrSplit(text, '\n');
}

std::string StripTrailingSpace(std::string line) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
    line.pop_back();
  }
  return line;
}

// A code fence: ``` and an info string without backticks (CommonMark), so inline code such
// as ```` ```console ```` at the start of a prose line is not one.
bool IsFence(const std::string& line) {
  return absl::StartsWith(line, "```") && !absl::StrContains(line.substr(3), '`');
}

// A command line continues on the next one when it ends with a backslash, as in a shell.
bool Continues(const std::string& line) { return absl::EndsWith(StripTrailingSpace(line), "\\"); }

}  // namespace

absl::StatusOr<std::vector<TourStep>> ParseTour(const std::string& markdown) {
  const std::vector<std::string> lines = Lines(markdown);
  std::vector<TourStep> steps;
  bool in_block = false;
  bool console = false;
  int block_line = 0;
  TourStep* current = nullptr;
  std::vector<std::string> output;
  auto finish = [&](int end) {
    if (current == nullptr) return;
    while (!output.empty() && StripTrailingSpace(output.back()).empty()) output.pop_back();
    current->expected = absl::StrJoin(output, "\n");
    current->output_end = end;
    current = nullptr;
    output.clear();
  };
  for (int i = 0; i < static_cast<int>(lines.size()); ++i) {
    const std::string& line = lines[i];
    if (IsFence(line)) {
      if (in_block && console) finish(i);
      console = !in_block && absl::StripAsciiWhitespace(line.substr(3)) == "console";
      in_block = !in_block;
      block_line = i + 1;
      continue;
    }
    if (!in_block || !console) continue;
    if (absl::StartsWith(line, "$ ")) {
      finish(i);
      TourStep& step = steps.emplace_back();
      step.line = i + 1;
      std::vector<std::string> command = {line.substr(2)};
      while (Continues(command.back()) && i + 1 < static_cast<int>(lines.size()) &&
             !IsFence(lines[i + 1])) {
        command.push_back(lines[++i]);
      }
      step.command = absl::StrJoin(command, "\n");
      step.output_begin = i + 1;
      current = &step;
      continue;
    }
    if (current == nullptr && !StripTrailingSpace(line).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", i + 1, ": output before the first `$ ` command of the block"));
    }
    output.push_back(line);
  }
  if (in_block) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", block_line, ": code block is not closed"));
  }
  return steps;
}

std::string TidyOutput(const std::string& output) {
  std::vector<std::string> lines;
  for (const std::string& line : Lines(output)) lines.push_back(StripTrailingSpace(line));
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return absl::StrJoin(lines, "\n");
}

std::string NormaliseLine(const std::string& line) {
  // Order matters: a timestamp is masked before its seconds could look like a duration.
  static const auto* const kRules = new std::vector<std::pair<std::regex, std::string>>{
      // RFC 3339 times ("2026-11-23T05:03:01.123Z") and kamctl's minutes ("2026-11-23 05:03").
      {std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))"), "<time>"},
      {std::regex(R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?)"), "<time>"},
      {std::regex(R"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"), "<uuid>"},
      // Stream positions: the SLA sweeper adds complaint events as the clock runs.
      {std::regex(R"((accounts|complaints) event \d+)"), "$1 event <n>"},
      // Page tokens carry the facts version and cursor of the moment.
      {std::regex(R"(--page-token \S+)"), "--page-token <token>"},
      // Durations as absl and Go print them: "1h2m3.5s", "250ms", "0.003s", "3h12m".
      {std::regex(R"(\b(\d+h)?(\d+m)?\d+(\.\d+)?(ms|us|s)\b)"), "<duration>"},
      {std::regex(R"(\b\d+h\d+m\b)"), "<duration>"},
      // Days alone: visit plans and complaints follow the real day.
      {std::regex(R"(\d{4}-\d{2}-\d{2})"), "<day>"},
      {std::regex("[ \t]+"), " "},
  };
  std::string text = StripTrailingSpace(line);
  for (const auto& [pattern, replacement] : *kRules) {
    text = std::regex_replace(text, pattern, replacement);
  }
  return text;
}

std::string LineDiff(const std::string& expected, const std::string& actual) {
  const std::vector<std::string> a = Lines(TidyOutput(expected));
  const std::vector<std::string> b = Lines(TidyOutput(actual));
  std::vector<std::string> na;
  std::vector<std::string> nb;
  for (const std::string& line : a) na.push_back(NormaliseLine(line));
  for (const std::string& line : b) nb.push_back(NormaliseLine(line));
  if (na == nb) return "";
  // Longest common subsequence of the normalised lines; outputs are tens of lines.
  std::vector<std::vector<int>> lcs(a.size() + 1, std::vector<int>(b.size() + 1, 0));
  for (int i = static_cast<int>(a.size()) - 1; i >= 0; --i) {
    for (int j = static_cast<int>(b.size()) - 1; j >= 0; --j) {
      lcs[i][j] =
          na[i] == nb[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::string diff;
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && na[i] == nb[j]) {
      absl::StrAppend(&diff, "  ", b[j++], "\n");
      ++i;
    } else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
      absl::StrAppend(&diff, "- ", a[i++], "\n");
    } else {
      absl::StrAppend(&diff, "+ ", b[j++], "\n");
    }
  }
  return diff;
}

std::string RewriteTour(const std::string& markdown, const std::vector<TourStep>& steps,
                        const std::vector<std::string>& outputs) {
  const std::vector<std::string> lines = Lines(markdown);
  std::vector<std::string> rewritten;
  int next = 0;
  for (size_t s = 0; s < steps.size() && s < outputs.size(); ++s) {
    rewritten.insert(rewritten.end(), lines.begin() + next, lines.begin() + steps[s].output_begin);
    const std::string tidy = TidyOutput(outputs[s]);
    if (!tidy.empty()) {
      for (const std::string& line : Lines(tidy)) rewritten.push_back(line);
    }
    next = steps[s].output_end;
  }
  rewritten.insert(rewritten.end(), lines.begin() + next, lines.end());
  return absl::StrJoin(rewritten, "\n");
}

std::string LoadDayOf(const std::string& markdown) {
  static const auto* const kMarker =
      new std::regex(R"(<!-- tour load day: (\d{4}-\d{2}-\d{2}) -->)");
  std::smatch match;
  return std::regex_search(markdown, match, *kMarker) ? match[1].str() : "";
}

std::string SetLoadDay(const std::string& markdown, const std::string& day) {
  static const auto* const kMarker = new std::regex(R"(<!-- tour load day: [0-9-]* -->)");
  return std::regex_replace(markdown, *kMarker, "<!-- tour load day: " + day + " -->");
}

std::string LoadDayInDemoOutput(const std::string& out) {
  static const auto* const kDay = new std::regex(R"(load day (\d{4}-\d{2}-\d{2}))");
  std::smatch match;
  return std::regex_search(out, match, *kDay) ? match[1].str() : "";
}

std::string MapPorts(const std::string& text, const std::map<int, int>& ports) {
  static const auto* const kHostPort = new std::regex(R"((localhost|127\.0\.0\.1):(\d+))");
  std::string out;
  auto begin = std::sregex_iterator(text.begin(), text.end(), *kHostPort);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& match = *it;
    out.append(text, last, match.position() - last);
    int number = 0;
    const auto port = absl::SimpleAtoi(match[2].str(), &number) ? ports.find(number) : ports.end();
    out += port == ports.end() ? match.str() : absl::StrCat(match[1].str(), ":", port->second);
    last = match.position() + match.length();
  }
  out.append(text, last, std::string::npos);
  return out;
}

}  // namespace kam::demo
