#include "tools/kamctl/field_flags.h"

#include <google/protobuf/timestamp.pb.h>

#include <cstdlib>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "kam/accounts/v1/archive.pb.h"
#include "services/common/identity.h"
#include "tools/kamctl/client.h"
#include "tools/kamctl/output.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

using google::protobuf::FieldDescriptor;

bool IsMessageOf(const FieldDescriptor* field, const google::protobuf::Descriptor* type) {
  return field->type() == FieldDescriptor::TYPE_MESSAGE && field->message_type() == type;
}

bool IsInteger(const FieldDescriptor* field) {
  return field->cpp_type() == FieldDescriptor::CPPTYPE_INT32 ||
         field->cpp_type() == FieldDescriptor::CPPTYPE_INT64;
}

// The fields along `path`, or empty when it names no field kamctl can set.
std::vector<const FieldDescriptor*> Resolve(const google::protobuf::Descriptor* type,
                                            const std::string& path) {
  std::vector<const FieldDescriptor*> fields;
  for (absl::string_view name : absl::StrSplit(path, '.')) {
    const FieldDescriptor* field =
        type == nullptr ? nullptr : type->FindFieldByName(std::string(name));
    if (field == nullptr) return {};
    fields.push_back(field);
    type = field->message_type();
  }
  const FieldDescriptor* leaf = fields.back();
  const bool supported = leaf->is_repeated()
                             ? leaf->cpp_type() == FieldDescriptor::CPPTYPE_STRING
                             : leaf->cpp_type() == FieldDescriptor::CPPTYPE_STRING ||
                                   leaf->enum_type() != nullptr || IsInteger(leaf) ||
                                   IsMessageOf(leaf, kam::accounts::v1::Money::descriptor()) ||
                                   IsMessageOf(leaf, google::protobuf::Timestamp::descriptor());
  return supported ? fields : std::vector<const FieldDescriptor*>{};
}

void Check(CLI::Option* option, const FieldDescriptor* leaf) {
  if (leaf->is_repeated()) return;
  if (leaf->enum_type() != nullptr) {
    option->check(EnumValidator(leaf->enum_type()));
  } else if (IsInteger(leaf)) {
    option->check(NonNegativeInteger(leaf->cpp_type() == FieldDescriptor::CPPTYPE_INT32 ? 32 : 64));
  } else if (IsMessageOf(leaf, kam::accounts::v1::Money::descriptor())) {
    option->check(MoneyValidator());
  } else if (leaf->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    option->check(TimeValidator());
  }
}

// Sets `leaf` of `message` from flag text the option's check has accepted.
void Set(google::protobuf::Message* message, const FieldDescriptor* leaf, const std::string& text) {
  const google::protobuf::Reflection* reflection = message->GetReflection();
  int64_t number = 0;
  if (leaf->is_repeated()) {
    reflection->ClearField(message, leaf);
    for (const std::string& item : SplitList(text)) reflection->AddString(message, leaf, item);
  } else if (const auto* type = leaf->enum_type()) {
    reflection->SetEnumValue(message, leaf, FindEnumValue(type, text)->number());
  } else if (leaf->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
    (void)absl::SimpleAtoi(text, &number);
    reflection->SetInt32(message, leaf, static_cast<int32_t>(number));
  } else if (leaf->cpp_type() == FieldDescriptor::CPPTYPE_INT64) {
    (void)absl::SimpleAtoi(text, &number);
    reflection->SetInt64(message, leaf, number);
  } else if (IsMessageOf(leaf, kam::accounts::v1::Money::descriptor())) {
    kam::accounts::v1::Money money;
    money.set_currency_code(kCurrency);
    money.set_minor_units(*ParseMoney(text));
    reflection->MutableMessage(message, leaf)->CopyFrom(money);
  } else if (leaf->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    reflection->MutableMessage(message, leaf)->CopyFrom(ToTimestamp(*ParseTime(text)));
  } else {
    reflection->SetString(message, leaf, text);
  }
}

}  // namespace

FieldFlags::FieldFlags(CLI::App* command, const google::protobuf::Descriptor* type,
                       const std::vector<Spec>& specs, const std::string& group) {
  for (const Spec& spec : specs) {
    Flag& flag = flags_.emplace_back();
    flag.path = spec.field;
    flag.fields = Resolve(type, flag.path);
    if (flag.fields.empty()) {
      std::cerr << "kamctl bug: " << type->full_name() << " has no settable field " << flag.path
                << '\n';
      std::abort();
    }
    flag.option = command->add_option(spec.flag, flag.value, spec.help)->group(group);
    Check(flag.option, flag.fields.back());
    if (spec.required) flag.option->required();
  }
}

std::vector<std::string> FieldFlags::Apply(google::protobuf::Message* message) const {
  std::vector<std::string> paths;
  for (const Flag& flag : flags_) {
    if (flag.option->count() == 0) continue;
    google::protobuf::Message* target = message;
    for (size_t i = 0; i + 1 < flag.fields.size(); ++i) {
      target = target->GetReflection()->MutableMessage(target, flag.fields[i]);
    }
    Set(target, flag.fields.back(), flag.value);
    paths.push_back(flag.path);
  }
  return paths;
}

std::string FieldFlags::Names() const {
  std::string names;
  for (const Flag& flag : flags_) names += (names.empty() ? "" : ", ") + flag.option->get_name();
  return names;
}

void AddRequestIdFlag(CLI::App* command, std::string* request_id) {
  command->add_option("--request-id", *request_id,
                      "idempotency key (default: a fresh UUID); passing one makes the command "
                      "safe to retry: a repeat returns the first result and changes nothing");
}

std::string RequestIdOrNew(const std::string& given) { return given.empty() ? NewUuid() : given; }

void AddIdOption(CLI::App* command, const char* name, int64_t* id, const char* help) {
  command->add_option(name, *id, help)->required()->check(PositiveNumber());
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> items;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) items.emplace_back(item);
  }
  return items;
}

}  // namespace kam::kamctl
