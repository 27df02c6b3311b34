#include "tests/reliability/hostile_payloads.h"

#include <google/protobuf/message.h>

#include <memory>
#include <random>

#include "absl/strings/str_cat.h"

namespace kam::reliability {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr int kVarint = 0;
constexpr int kLengthDelimited = 2;
constexpr int kStartGroup = 3;
constexpr int kEndGroup = 4;
constexpr int kFixed32 = 5;
// A field number no request uses, for unknown fields.
constexpr int kUnknownField = 4000;
// protobuf's default recursion limit is 100; well past it, still small on the wire.
constexpr int kNestingDepth = 1000;
// How deep FilledMessage sets sub-messages (request types nest a few levels at most).
constexpr int kFillDepth = 3;

std::string LengthDelimited(int field, const std::string& payload) {
  return Tag(field, kLengthDelimited) + Varint(payload.size()) + payload;
}

void SetOne(Message& message, const FieldDescriptor& field, int depth);

void Fill(Message& message, int depth) {
  const Descriptor& type = *message.GetDescriptor();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && depth >= kFillDepth) continue;
    SetOne(message, field, depth);
  }
}

// Sets (or adds one element to) `field` with a value that takes more than one byte where it
// can, so that a truncated encoding always ends inside a value.
void SetOne(Message& message, const FieldDescriptor& field, int depth) {
  const Reflection& reflection = *message.GetReflection();
  const bool repeated = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      repeated ? reflection.AddInt32(&message, &field, 300)
               : reflection.SetInt32(&message, &field, 300);
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      repeated ? reflection.AddInt64(&message, &field, 300)
               : reflection.SetInt64(&message, &field, 300);
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      repeated ? reflection.AddUInt32(&message, &field, 300)
               : reflection.SetUInt32(&message, &field, 300);
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      repeated ? reflection.AddUInt64(&message, &field, 300)
               : reflection.SetUInt64(&message, &field, 300);
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      repeated ? reflection.AddDouble(&message, &field, 1.5)
               : reflection.SetDouble(&message, &field, 1.5);
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      repeated ? reflection.AddFloat(&message, &field, 1.5F)
               : reflection.SetFloat(&message, &field, 1.5F);
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      repeated ? reflection.AddBool(&message, &field, true)
               : reflection.SetBool(&message, &field, true);
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int last = field.enum_type()->value(field.enum_type()->value_count() - 1)->number();
      repeated ? reflection.AddEnumValue(&message, &field, last)
               : reflection.SetEnumValue(&message, &field, last);
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING:
      repeated ? reflection.AddString(&message, &field, "hostile")
               : reflection.SetString(&message, &field, "hostile");
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      Fill(repeated ? *reflection.AddMessage(&message, &field)
                    : *reflection.MutableMessage(&message, &field),
           depth + 1);
      break;
  }
}

// The first message-typed field of `type`, or null.
const FieldDescriptor* FirstMessageField(const Descriptor& type) {
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) return type.field(i);
  }
  return nullptr;
}

// Known sub-messages as deep as the schema goes (at most kNestingDepth levels), with groups
// nested past the recursion limit in the innermost one.
std::string NestedMessages(const Descriptor& request) {
  std::vector<int> path;
  for (const Descriptor* type = &request; path.size() < kNestingDepth;) {
    const FieldDescriptor* field = FirstMessageField(*type);
    if (field == nullptr) break;
    path.push_back(field->number());
    type = field->message_type();
  }
  std::string encoded = NestedGroups(kUnknownField, kNestingDepth);
  for (auto field = path.rbegin(); field != path.rend(); ++field) {
    encoded = LengthDelimited(*field, encoded);
  }
  return encoded;
}

// Every known field once with a wire type it does not have (varints as fixed32, everything
// else as a varint): protobuf keeps these as unknown fields.
std::string WrongWireTypes(const Descriptor& request) {
  std::string encoded;
  for (int i = 0; i < request.field_count(); ++i) {
    const FieldDescriptor& field = *request.field(i);
    const bool varint = field.cpp_type() != FieldDescriptor::CPPTYPE_STRING &&
                        field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE &&
                        field.cpp_type() != FieldDescriptor::CPPTYPE_DOUBLE &&
                        field.cpp_type() != FieldDescriptor::CPPTYPE_FLOAT;
    encoded += varint ? Tag(field.number(), kFixed32) + std::string(4, '\x7f')
                      : Tag(field.number(), kVarint) + Varint(300);
  }
  return encoded.empty() ? Tag(1, kFixed32) + std::string(4, '\x7f') : encoded;
}

std::string RandomBytes(std::mt19937& random, size_t size) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(byte(random));
  return bytes;
}

std::string Frame(uint8_t type, uint8_t flags, uint32_t stream, const std::string& payload) {
  std::string frame;
  const uint32_t length = static_cast<uint32_t>(payload.size());
  frame += static_cast<char>((length >> 16) & 0xff);
  frame += static_cast<char>((length >> 8) & 0xff);
  frame += static_cast<char>(length & 0xff);
  frame += static_cast<char>(type);
  frame += static_cast<char>(flags);
  for (int shift = 24; shift >= 0; shift -= 8) frame += static_cast<char>((stream >> shift) & 0xff);
  return frame + payload;
}

// HPACK "literal header field without indexing, new name", lengths under 127 (no Huffman).
std::string HpackLiteral(const std::string& name, const std::string& value) {
  return std::string(1, '\0') + static_cast<char>(name.size()) + name +
         static_cast<char>(value.size()) + value;
}

}  // namespace

std::string Varint(uint64_t value) {
  std::string encoded;
  while (value >= 0x80) {
    encoded += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  encoded += static_cast<char>(value);
  return encoded;
}

std::string Tag(int field, int wire_type) {
  return Varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type));
}

std::string NestedGroups(int field, int depth) {
  std::string encoded;
  for (int i = 0; i < depth; ++i) encoded += Tag(field, kStartGroup);
  for (int i = 0; i < depth; ++i) encoded += Tag(field, kEndGroup);
  return encoded;
}

std::string FilledMessage(const Descriptor& request) {
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(&request);
  std::unique_ptr<Message> message(prototype->New());
  Fill(*message, 0);
  std::string encoded = message->SerializeAsString();
  return encoded.empty() ? LengthDelimited(kUnknownField, "hostile") : encoded;
}

std::vector<HostilePayload> HostilePayloads(const Descriptor& request, uint32_t seed,
                                            int random_rounds, int oversized_bytes) {
  constexpr auto kUnparsable = HostileExpectation::kUnparsable;
  constexpr auto kMaybeParsable = HostileExpectation::kMaybeParsable;
  constexpr auto kOversized = HostileExpectation::kOversized;
  std::mt19937 random(seed);
  std::vector<HostilePayload> payloads;
  for (int round = 0; round < random_rounds; ++round) {
    for (size_t size : {1, 16, 256, 4096}) {
      payloads.push_back(
          {absl::StrCat("random_", size), RandomBytes(random, size), kMaybeParsable});
    }
  }
  const std::string valid = FilledMessage(request);
  payloads.push_back({"truncated_last_byte", valid.substr(0, valid.size() - 1), kUnparsable});
  payloads.push_back({"truncated_half", valid.substr(0, valid.size() / 2), kMaybeParsable});
  payloads.push_back({"wrong_wire_types", WrongWireTypes(request), kMaybeParsable});
  payloads.push_back({"invalid_wire_type_6", Tag(1, 6) + "\x01", kUnparsable});
  payloads.push_back({"invalid_wire_type_7", Tag(1, 7) + "\x01", kUnparsable});
  payloads.push_back({"stray_end_group", Tag(kUnknownField, kEndGroup), kUnparsable});
  payloads.push_back({"field_number_zero", Tag(0, kVarint) + "\x01", kUnparsable});
  payloads.push_back(
      {"huge_length_2g", Tag(1, kLengthDelimited) + Varint(0x7fffffff) + "abc", kUnparsable});
  payloads.push_back(
      {"huge_length_2p64", Tag(1, kLengthDelimited) + Varint(~uint64_t{0}) + "abc", kUnparsable});
  payloads.push_back({"overlong_varint", Tag(1, kVarint) + std::string(11, '\xff') + "\x01",
                      kUnparsable});
  payloads.push_back({"nested_groups", NestedGroups(kUnknownField, kNestingDepth), kUnparsable});
  payloads.push_back({"nested_messages", NestedMessages(request), kUnparsable});
  if (oversized_bytes > 0) {
    payloads.push_back({"oversized",
                        LengthDelimited(kUnknownField, std::string(oversized_bytes, 'x')),
                        kOversized});
  }
  return payloads;
}

std::string Http2GrpcCall(const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& extra_headers,
                          const std::string& message_frame) {
  constexpr uint8_t kData = 0x0, kHeaders = 0x1, kSettings = 0x4;
  constexpr uint8_t kEndStream = 0x1, kEndHeaders = 0x4;
  std::string headers = HpackLiteral(":method", "POST") + HpackLiteral(":scheme", "http") +
                        HpackLiteral(":path", path) + HpackLiteral(":authority", "localhost") +
                        HpackLiteral("content-type", "application/grpc") +
                        HpackLiteral("te", "trailers");
  for (const auto& [name, value] : extra_headers) headers += HpackLiteral(name, value);
  return std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + Frame(kSettings, 0, 0, "") +
         Frame(kHeaders, kEndHeaders, 1, headers) + Frame(kData, kEndStream, 1, message_frame);
}

Http2Answer ReadHttp2Answer(const std::string& bytes) {
  constexpr uint8_t kHeaders = 0x1, kRstStream = 0x3, kGoaway = 0x7;
  Http2Answer answer;
  for (size_t at = 0; at + 9 <= bytes.size();) {
    const auto byte = [&](size_t i) { return static_cast<uint8_t>(bytes[at + i]); };
    const size_t length = (size_t{byte(0)} << 16) | (size_t{byte(1)} << 8) | byte(2);
    const uint8_t type = byte(3);
    const uint32_t stream = ((uint32_t{byte(5)} & 0x7f) << 24) | (uint32_t{byte(6)} << 16) |
                            (uint32_t{byte(7)} << 8) | byte(8);
    if (stream == 1 && (type == kHeaders || type == kRstStream)) answer.stream_answered = true;
    if (type == kGoaway) answer.goaway = true;
    at += 9 + length;
  }
  return answer;
}

}  // namespace kam::reliability
