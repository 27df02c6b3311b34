#include "tests/reliability/field_reflection.h"

#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/rpc_method.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace kam::reliability {
namespace {

constexpr int kMaxDepth = 4;

bool IsWellKnown(const pb::Descriptor& type) {
  return absl::StartsWith(type.full_name(), "google.protobuf.");
}

void Collect(const pb::Message* message, const pb::Descriptor& type, FieldPath prefix,
             bool (*wanted)(const pb::FieldDescriptor&), std::vector<FieldPath>* out) {
  if (static_cast<int>(prefix.size()) >= kMaxDepth) return;
  for (int i = 0; i < type.field_count(); ++i) {
    const pb::FieldDescriptor* field = type.field(i);
    const int index = field->is_repeated() ? 0 : -1;
    FieldPath path = prefix;
    path.push_back({field, index});
    if (field->message_type() == nullptr) {
      if (wanted(*field)) out->push_back(path);
      continue;
    }
    if (IsWellKnown(*field->message_type())) continue;
    const pb::Message* sub = nullptr;
    if (message != nullptr) {
      const pb::Reflection& reflection = *message->GetReflection();
      if (field->is_repeated()) {
        if (reflection.FieldSize(*message, field) == 0) continue;
        sub = &reflection.GetRepeatedMessage(*message, field, 0);
      } else {
        sub = &reflection.GetMessage(*message, field);
      }
    }
    Collect(sub, *field->message_type(), path, wanted, out);
  }
}

// The message holding the leaf, created on the way.
pb::Message& MutableParent(pb::Message& root, const FieldPath& path) {
  pb::Message* message = &root;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const Step& step = path[i];
    const pb::Reflection& reflection = *message->GetReflection();
    if (step.index < 0) {
      message = reflection.MutableMessage(message, step.field);
      continue;
    }
    while (reflection.FieldSize(*message, step.field) <= step.index) {
      reflection.AddMessage(message, step.field);
    }
    message = reflection.MutableRepeatedMessage(message, step.field, step.index);
  }
  return *message;
}

const pb::Message* FindParent(const pb::Message& root, const FieldPath& path) {
  const pb::Message* message = &root;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const Step& step = path[i];
    const pb::Reflection& reflection = *message->GetReflection();
    if (step.index < 0) {
      if (!reflection.HasField(*message, step.field)) return nullptr;
      message = &reflection.GetMessage(*message, step.field);
    } else {
      if (reflection.FieldSize(*message, step.field) <= step.index) return nullptr;
      message = &reflection.GetRepeatedMessage(*message, step.field, step.index);
    }
  }
  return message;
}

// Makes room for element `index` of a repeated scalar leaf.
template <typename AddDefault>
void EnsureElement(pb::Message& parent, const Step& leaf, AddDefault add) {
  const pb::Reflection& reflection = *parent.GetReflection();
  while (reflection.FieldSize(parent, leaf.field) <= leaf.index) add(reflection);
}

}  // namespace

std::string WirePath(const pb::MethodDescriptor& method) {
  return absl::StrCat("/", method.service()->full_name(), "/", method.name());
}

std::unique_ptr<pb::Message> NewResponse(const pb::MethodDescriptor& method) {
  return std::unique_ptr<pb::Message>(
      pb::MessageFactory::generated_factory()->GetPrototype(method.output_type())->New());
}

grpc::Status CallAny(const e2e::Caller& caller, const pb::MethodDescriptor& method,
                     const pb::Message& request, pb::Message* response) {
  grpc::ClientContext context;
  caller.Prepare(&context);
  const std::string path = WirePath(method);
  const grpc::internal::RpcMethod rpc(path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC);
  return grpc::internal::BlockingUnaryCall<pb::Message, pb::Message, pb::Message, pb::Message>(
      caller.channel().get(), rpc, &context, request, response);
}

std::string PathName(const FieldPath& path) {
  std::string name;
  for (const Step& step : path) {
    if (!name.empty()) name += ".";
    name += step.field->name();
    if (step.index >= 0) absl::StrAppend(&name, "[", step.index, "]");
  }
  return name;
}

const pb::FieldDescriptor& Leaf(const FieldPath& path) { return *path.back().field; }

bool IsStringField(const pb::FieldDescriptor& field) {
  return field.type() == pb::FieldDescriptor::TYPE_STRING;
}

bool IsEnumField(const pb::FieldDescriptor& field) {
  return field.type() == pb::FieldDescriptor::TYPE_ENUM;
}

std::vector<FieldPath> LeafFields(const pb::Message& message,
                                  bool (*wanted)(const pb::FieldDescriptor&)) {
  std::vector<FieldPath> out;
  Collect(&message, *message.GetDescriptor(), {}, wanted, &out);
  return out;
}

void SetString(pb::Message& root, const FieldPath& path, const std::string& value) {
  pb::Message& parent = MutableParent(root, path);
  const Step& leaf = path.back();
  const pb::Reflection& reflection = *parent.GetReflection();
  if (leaf.index < 0) return reflection.SetString(&parent, leaf.field, value);
  EnsureElement(parent, leaf, [&](const pb::Reflection& r) { r.AddString(&parent, leaf.field, ""); });
  reflection.SetRepeatedString(&parent, leaf.field, leaf.index, value);
}

void SetEnumNumber(pb::Message& root, const FieldPath& path, int number) {
  pb::Message& parent = MutableParent(root, path);
  const Step& leaf = path.back();
  const pb::Reflection& reflection = *parent.GetReflection();
  if (leaf.index < 0) return reflection.SetEnumValue(&parent, leaf.field, number);
  EnsureElement(parent, leaf,
                [&](const pb::Reflection& r) { r.AddEnumValue(&parent, leaf.field, 0); });
  reflection.SetRepeatedEnumValue(&parent, leaf.field, leaf.index, number);
}

std::optional<std::string> GetString(const pb::Message& root, const FieldPath& path) {
  const pb::Message* parent = FindParent(root, path);
  if (parent == nullptr) return std::nullopt;
  const Step& leaf = path.back();
  const pb::Reflection& reflection = *parent->GetReflection();
  if (leaf.index < 0) return reflection.GetString(*parent, leaf.field);
  if (reflection.FieldSize(*parent, leaf.field) <= leaf.index) return std::nullopt;
  return reflection.GetRepeatedString(*parent, leaf.field, leaf.index);
}

std::optional<int> GetEnumNumber(const pb::Message& root, const FieldPath& path) {
  const pb::Message* parent = FindParent(root, path);
  if (parent == nullptr) return std::nullopt;
  const Step& leaf = path.back();
  const pb::Reflection& reflection = *parent->GetReflection();
  if (leaf.index < 0) return reflection.GetEnumValue(*parent, leaf.field);
  if (reflection.FieldSize(*parent, leaf.field) <= leaf.index) return std::nullopt;
  return reflection.GetRepeatedEnumValue(*parent, leaf.field, leaf.index);
}

const pb::Message* FirstMessage(const pb::Message& root, const FieldPath& path) {
  const Step& first = path.front();
  if (path.size() < 2 || first.index >= 0) return nullptr;
  return &root.GetReflection()->GetMessage(root, first.field);
}

std::optional<Echo> EchoIn(const FieldPath& path, const pb::Message& other) {
  const Step& first = path.front();
  if (path.size() < 2 || first.index >= 0) return std::nullopt;
  const pb::Descriptor& type = *other.GetDescriptor();
  for (int i = 0; i < type.field_count(); ++i) {
    const pb::FieldDescriptor* field = type.field(i);
    if (field->is_repeated() || field->message_type() != first.field->message_type()) continue;
    return Echo{&other.GetReflection()->GetMessage(other, field),
                FieldPath(path.begin() + 1, path.end())};
  }
  return std::nullopt;
}

std::set<std::string> DocumentedOutputOnly(const std::string& protos_dir) {
  static const std::regex kPackage(R"(^\s*package\s+([\w.]+)\s*;)");
  static const std::regex kOpen(R"(^\s*(message|enum|oneof|service|rpc)\s+(\w+))");
  static const std::regex kField(R"(^\s*(repeated\s+)?[\w.]+\s+(\w+)\s*=\s*\d+\s*;(.*)$)");
  std::set<std::string> fields;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(protos_dir)) {
    if (entry.path().extension() != ".proto") continue;
    std::ifstream in(entry.path());
    std::string package, comment, line;
    std::vector<std::string> scopes;  // message names, "" for other blocks
    for (std::smatch m; std::getline(in, line);) {
      const bool is_comment = absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "//");
      if (std::regex_search(line, m, kPackage)) {
        package = m[1];
      } else if (!is_comment && absl::StrContains(line, "{") &&
                 std::regex_search(line, m, kOpen)) {
        const bool message = m[1] == "message";
        const bool oneof = m[1] == "oneof";
        scopes.push_back(message ? std::string(m[2]) : oneof ? "." : "");
      } else if (!is_comment && std::regex_search(line, m, kField) && !scopes.empty()) {
        const std::string said = comment + std::string(m[3]);
        const bool output_only = (absl::StrContains(said, "Output only") &&
                                  !absl::StrContains(said, "Output only after")) ||
                                 absl::StrContains(said, "(output only");
        std::string owner;
        for (const std::string& scope : scopes) {
          if (!scope.empty() && scope != ".") owner = scope;
        }
        if (output_only && !owner.empty()) {
          fields.insert(absl::StrCat(package, ".", owner, ".", m[2].str()));
        }
      }
      if (absl::StrContains(line, "}") && !is_comment && !scopes.empty()) scopes.pop_back();
      comment = is_comment ? comment + line : "";
    }
  }
  return fields;
}

}  // namespace kam::reliability
