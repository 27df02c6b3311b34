#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kam::kamctl {

// Terminal columns `utf8` takes: East Asian wide characters (CJK, fullwidth forms) take two,
// so that tables with Chinese names stay aligned.
size_t DisplayWidth(std::string_view utf8);

// Server text with control characters replaced, so a stored name cannot move the cursor,
// break a table row or send escape sequences to the terminal.
std::string Printable(std::string_view text);

// Aligned columns under an upper-case header; empty cells show as "-".
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);
// The same with `align` giving one letter per column: 'r' right-aligns the column (amounts,
// counts and shares line up on their last digit), any other letter or none left-aligns it.
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, std::string_view align);

// "key: value" lines with the values aligned.
void PrintFields(const std::vector<std::pair<std::string, std::string>>& fields);

// "next page: --page-token <token>" when there is a next page.
void PrintNextPage(const std::string& token);

// "warning: <text>" on stderr, for something the user should act on although the call
// succeeded (kept off stdout so that --json output stays parseable).
void PrintWarning(std::string_view text);

// The message as indented JSON: proto field names, every field (also defaults), enum names.
void PrintJson(const google::protobuf::Message& message);
// The same on one line (JSON Lines), for streams.
void PrintJsonLine(const google::protobuf::Message& message);

// `text` cut to at most `columns` display columns, ending in "…" when cut.
std::string Truncate(std::string_view text, size_t columns);

// RFC 3339 UTC, or empty when unset.
std::string FormatTime(const google::protobuf::Timestamp& time);

// Enum values as kamctl shows and takes them: the value name without the enum's prefix, in
// lower case ("ordinary_company"); grades (letters A to D only: tier "A", rating "BBB") keep
// their case. UNSPECIFIED shows as empty.
std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int number);
// Case-insensitive lookup of a label, '-' standing for '_' ("no-result"); nullptr for
// unknown text and for UNSPECIFIED.
const google::protobuf::EnumValueDescriptor* FindEnumValue(
    const google::protobuf::EnumDescriptor* type, std::string_view label);
// The value of a label an EnumValidator (client.h) has accepted.
template <typename Enum>
Enum EnumOf(const google::protobuf::EnumDescriptor* type, std::string_view label) {
  return static_cast<Enum>(FindEnumValue(type, label)->number());
}
// Every accepted label, comma-separated, for help and error messages.
std::string EnumChoices(const google::protobuf::EnumDescriptor* type);

}  // namespace kam::kamctl
