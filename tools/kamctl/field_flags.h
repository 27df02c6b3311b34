#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace kam::kamctl {

// Flags that each set one field of a message: text fields as given, enum fields by label
// (see EnumLabel). Reflection keeps create and update from repeating one line per field.
class FieldFlags {
 public:
  struct Spec {
    const char* flag;
    const char* field;  // a string or enum field of the message type
    const char* help;
    bool required = false;
  };

  FieldFlags(CLI::App* command, const google::protobuf::Descriptor* type,
             const std::vector<Spec>& specs);
  FieldFlags(const FieldFlags&) = delete;
  FieldFlags& operator=(const FieldFlags&) = delete;

  // Sets the fields of the flags given on the command line; returns their field names, in
  // the order of the specs (a field mask for updates).
  std::vector<std::string> Apply(google::protobuf::Message* message) const;

  // "--name, --nature, ...", for messages.
  std::string Names() const;

 private:
  struct Flag {
    CLI::Option* option = nullptr;
    const google::protobuf::FieldDescriptor* field = nullptr;
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

}  // namespace kam::kamctl
