#include "tools/kamctl/field_flags.h"

#include "services/common/identity.h"
#include "tools/kamctl/client.h"
#include "tools/kamctl/output.h"

namespace kam::kamctl {

FieldFlags::FieldFlags(CLI::App* command, const google::protobuf::Descriptor* type,
                       const std::vector<Spec>& specs) {
  for (const Spec& spec : specs) {
    Flag& flag = flags_.emplace_back();
    flag.field = type->FindFieldByName(spec.field);
    flag.option = command->add_option(spec.flag, flag.value, spec.help);
    if (flag.field->enum_type() != nullptr) {
      flag.option->check(EnumValidator(flag.field->enum_type()));
    }
    if (spec.required) flag.option->required();
  }
}

std::vector<std::string> FieldFlags::Apply(google::protobuf::Message* message) const {
  const google::protobuf::Reflection* reflection = message->GetReflection();
  std::vector<std::string> paths;
  for (const Flag& flag : flags_) {
    if (flag.option->count() == 0) continue;
    if (const auto* type = flag.field->enum_type()) {
      // EnumValidator has accepted the label, so the lookup succeeds.
      reflection->SetEnumValue(message, flag.field, FindEnumValue(type, flag.value)->number());
    } else {
      reflection->SetString(message, flag.field, flag.value);
    }
    paths.push_back(flag.field->name());
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

}  // namespace kam::kamctl
