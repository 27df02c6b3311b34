#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace kam::demo {

// One `$ command` of docs/TOUR.md and the output printed under it.
struct TourStep {
  int line = 0;            // 1-based line of the `$` in the file, for messages
  std::string command;     // without the `$ `; continuation lines kept (bash reads `\`+newline)
  std::string expected;    // the lines under the command, joined with '\n'
  int output_begin = 0;    // 0-based index of the first output line in the file
  int output_end = 0;      // one past the last output line
};

// The `$` steps of every ```console block of a markdown text, in order. Other blocks
// (```sh, ```text, ...) are prose. Errors: INVALID_ARGUMENT naming the line for a console
// block that is not closed, or output before the block's first command.
absl::StatusOr<std::vector<TourStep>> ParseTour(const std::string& markdown);

// What the comparison sees of one output line: the volatile parts masked (times, UUIDs,
// durations), trailing spaces dropped, runs of spaces made one (a volatile value's width
// moves the columns of a table). Days are masked too: visit plans and complaints are dated
// from the real day (the rest of the demo from its pinned load day). The rules are listed at
// the top of docs/TOUR.md.
std::string NormaliseLine(const std::string& line);

// A readable line diff of `expected` against `actual` (both tidied, lines compared
// normalised): "  " same, "- " expected only, "+ " actual only. Empty when they match.
std::string LineDiff(const std::string& expected, const std::string& actual);

// The demo load day the outputs of `markdown` were written for: the YYYY-MM-DD of its
// `<!-- tour load day: YYYY-MM-DD -->` line, or "" without one. SetLoadDay writes it.
std::string LoadDayOf(const std::string& markdown);
std::string SetLoadDay(const std::string& markdown, const std::string& day);

// The load day kam-demo reported ("... load day 2026-11-23 ..."), or "".
std::string LoadDayInDemoOutput(const std::string& out);

// `markdown` with each step's output lines replaced by `outputs[i]` (one per step).
std::string RewriteTour(const std::string& markdown, const std::vector<TourStep>& steps,
                        const std::vector<std::string>& outputs);

// Replaces in `text` every `localhost:<from>` / `127.0.0.1:<from>` by the same host with the
// port `ports[from]`; ports not in the map stay.
std::string MapPorts(const std::string& text, const std::map<int, int>& ports);

// Output as the tour prints it: trailing spaces and trailing empty lines dropped.
std::string TidyOutput(const std::string& output);

}  // namespace kam::demo
