#include "tools/kamctl/output.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cctype>
#include <iostream>

namespace kam::kamctl {
namespace {

// Decodes the code point at text[*i] and advances past it. Malformed UTF-8 decodes byte by
// byte, which is good enough for measuring and cleaning display text.
char32_t NextCodePoint(std::string_view text, size_t* i) {
  const auto lead = static_cast<unsigned char>(text[*i]);
  size_t length = lead < 0x80           ? 1
                  : (lead >> 5) == 0x6  ? 2
                  : (lead >> 4) == 0xe  ? 3
                  : (lead >> 3) == 0x1e ? 4
                                        : 1;
  if (*i + length > text.size()) length = 1;
  char32_t code_point = length == 1 ? lead : lead & (0x7f >> length);
  for (size_t k = 1; k < length; ++k) {
    code_point = (code_point << 6) | (static_cast<unsigned char>(text[*i + k]) & 0x3f);
  }
  *i += length;
  return code_point;
}

// The East Asian Wide and Fullwidth blocks (Unicode UAX #11) that occur in business text.
bool IsWide(char32_t c) {
  return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
         (c >= 0x3041 && c <= 0x33ff) || (c >= 0x3400 && c <= 0x4dbf) ||
         (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf) ||
         (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
         (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
         (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x20000 && c <= 0x3fffd);
}

bool IsControl(char32_t c) { return c < 0x20 || (c >= 0x7f && c < 0xa0); }

std::string Cell(const std::string& value) { return value.empty() ? "-" : Printable(value); }

std::string ToJson(const google::protobuf::Message& message, bool indent) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = indent;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  // Printing a valid message cannot fail; the status is ignored deliberately.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

// The spaces that fill `text` up to `width` display columns.
std::string Padding(const std::string& text, size_t width) {
  return std::string(width - std::min(width, DisplayWidth(text)), ' ');
}

void PrintPadded(const std::string& text, size_t width) {
  std::cout << text << Padding(text, width);
}

std::string EnumPrefix(const google::protobuf::EnumDescriptor* type) {
  // buf STANDARD: every enum starts with <PREFIX>UNSPECIFIED = 0.
  const std::string& zero = type->value(0)->name();
  return zero.substr(0, zero.size() - std::string_view("UNSPECIFIED").size());
}

bool IsGrade(std::string_view label) {
  return std::all_of(label.begin(), label.end(), [](char c) { return c >= 'A' && c <= 'D'; });
}

std::string Label(const google::protobuf::EnumValueDescriptor* value) {
  std::string label = value->name().substr(EnumPrefix(value->type()).size());
  if (!IsGrade(label)) {
    std::transform(label.begin(), label.end(), label.begin(),
                   [](unsigned char c) { return std::tolower(c); });
  }
  return label;
}

}  // namespace

size_t DisplayWidth(std::string_view utf8) {
  size_t width = 0;
  for (size_t i = 0; i < utf8.size();) width += IsWide(NextCodePoint(utf8, &i)) ? 2 : 1;
  return width;
}

std::string Printable(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    if (IsControl(NextCodePoint(text, &i))) {
      out += '?';
    } else {
      out.append(text.substr(start, i - start));
    }
  }
  return out;
}

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  PrintTable(header, rows, "");
}

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, std::string_view align) {
  std::vector<size_t> widths;
  for (const auto& title : header) widths.push_back(DisplayWidth(title));
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], DisplayWidth(Cell(row[c])));
    }
  }
  auto print_row = [&](const std::vector<std::string>& cells, bool is_header) {
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string text = is_header ? cells[c] : Cell(cells[c]);
      const bool last = c + 1 == cells.size();
      if (c < align.size() && align[c] == 'r') {
        std::cout << Padding(text, widths[c]) << text << (last ? "\n" : "  ");
      } else if (last) {
        std::cout << text << '\n';
      } else {
        PrintPadded(text, widths[c] + 2);
      }
    }
  };
  print_row(header, true);
  for (const auto& row : rows) print_row(row, false);
}

void PrintFields(const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [key, value] : fields) width = std::max(width, key.size() + 1);
  for (const auto& [key, value] : fields) {
    PrintPadded(key + ":", width + 1);
    std::cout << Cell(value) << '\n';
  }
}

void PrintNextPage(const std::string& token) {
  if (!token.empty()) std::cout << "next page: --page-token " << Printable(token) << '\n';
}

void PrintWarning(std::string_view text) { std::cerr << "warning: " << text << '\n'; }

void PrintJson(const google::protobuf::Message& message) { std::cout << ToJson(message, true); }

void PrintJsonLine(const google::protobuf::Message& message) {
  std::cout << ToJson(message, false) << '\n';
}

std::string Truncate(std::string_view text, size_t columns) {
  if (DisplayWidth(text) <= columns) return std::string(text);
  std::string out;
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const size_t next = IsWide(NextCodePoint(text, &i)) ? 2 : 1;
    if (width + next + 1 > columns) break;  // keep a column for the ellipsis
    out.append(text.substr(start, i - start));
    width += next;
  }
  return out + "…";
}

std::string FormatTime(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "";
  return google::protobuf::util::TimeUtil::ToString(time);
}

std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int number) {
  const google::protobuf::EnumValueDescriptor* value = type->FindValueByNumber(number);
  if (value == nullptr) return std::to_string(number);
  return number == 0 ? "" : Label(value);
}

const google::protobuf::EnumValueDescriptor* FindEnumValue(
    const google::protobuf::EnumDescriptor* type, std::string_view label) {
  std::string name = EnumPrefix(type) + std::string(label);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return c == '-' ? '_' : std::toupper(c); });
  const google::protobuf::EnumValueDescriptor* value = type->FindValueByName(name);
  return value != nullptr && value->number() != 0 ? value : nullptr;
}

std::string EnumChoices(const google::protobuf::EnumDescriptor* type) {
  std::string choices;
  for (int i = 1; i < type->value_count(); ++i) {
    choices += (i > 1 ? ", " : "") + Label(type->value(i));
  }
  return choices;
}

}  // namespace kam::kamctl
