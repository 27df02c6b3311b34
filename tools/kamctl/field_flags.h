#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace kam::kamctl {

// Flags that each set one field of a message, by reflection, so that create and update
// commands do not repeat one line per field. A field is named by its path ("name",
// "business.reputation") and takes:
//  - text fields: the text as given ("" clears);
//  - enum fields: a label (see EnumLabel);
//  - integer fields: a whole number >= 0;
//  - Money fields: an amount in CNY such as 1234.56 (see ParseMoney);
//  - Timestamp fields: a day or an RFC 3339 time (see ParseTime);
//  - repeated text fields: a comma-separated list ("" clears).
class FieldFlags {
 public:
  struct Spec {
    const char* flag;
    const char* field;  // a field path of the message type
    const char* help;
    bool required = false;
  };

  // Aborts on a path that does not name a field of a supported type: specs are constants,
  // and the unit tests build every command. `group` titles the flags in --help.
  FieldFlags(CLI::App* command, const google::protobuf::Descriptor* type,
             const std::vector<Spec>& specs, const std::string& group = "Options");
  FieldFlags(const FieldFlags&) = delete;
  FieldFlags& operator=(const FieldFlags&) = delete;

  // Sets the fields of the flags given on the command line; returns their paths, in the order
  // of the specs (a field mask for updates).
  std::vector<std::string> Apply(google::protobuf::Message* message) const;

  // "--name, --nature, ...", for messages.
  std::string Names() const;

 private:
  struct Flag {
    CLI::Option* option = nullptr;
    std::string path;
    // The fields from the message down to the one set: all but the last are messages.
    std::vector<const google::protobuf::FieldDescriptor*> fields;
    std::string value;
  };
  std::deque<Flag> flags_;  // CLI11 writes into `value`: a deque never moves its elements
};

// --request-id for a mutating command; the help says why passing one is useful.
void AddRequestIdFlag(CLI::App* command, std::string* request_id);

// The given request id, or a fresh UUID.
std::string RequestIdOrNew(const std::string& given);

// A required positive id, positional ("id") or a flag ("--account").
void AddIdOption(CLI::App* command, const char* name, int64_t* id, const char* help);

// "a, b,c" -> {"a", "b", "c"}: items trimmed, empty ones dropped.
std::vector<std::string> SplitList(const std::string& text);

}  // namespace kam::kamctl
