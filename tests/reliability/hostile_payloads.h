#pragma once

#include <google/protobuf/descriptor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kam::reliability {

// What a hostile request body should make a gRPC server answer.
enum class HostileExpectation {
  // Not a valid protobuf encoding of any message: gRPC's deserialization fails before any
  // handler runs, which gRPC C++ answers with INTERNAL (the gateway relays it as INTERNAL).
  kUnparsable,
  // May or may not parse (random bytes, a half message, known fields with the wrong wire type,
  // which protobuf keeps as unknown fields): INTERNAL if it does not parse, otherwise the
  // handler's own answer to a nonsense request (INVALID_ARGUMENT, NOT_FOUND, ...).
  kMaybeParsable,
  // Larger than the server's maximum message size: RESOURCE_EXHAUSTED before any handler.
  kOversized,
};

// One malformed request body for one method.
struct HostilePayload {
  std::string kind;  // e.g. "random_256", "truncated_last_byte", "nested_groups"
  std::string bytes;
  HostileExpectation expectation = HostileExpectation::kUnparsable;
};

// The hostile bodies sent to a method whose request type is `request`: `random_rounds` sets of
// random bytes (from `seed`, so a run is reproducible), truncated valid messages, wrong and
// invalid wire types, huge and overlong length prefixes, groups and sub-messages nested past
// protobuf's recursion limit, and, when `oversized_bytes` > 0, one message of that size.
std::vector<HostilePayload> HostilePayloads(const google::protobuf::Descriptor& request,
                                            uint32_t seed, int random_rounds,
                                            int oversized_bytes);

// A message of type `request` with every field set (sub-messages a few levels deep),
// serialized; never empty (an empty message gets one unknown field).
std::string FilledMessage(const google::protobuf::Descriptor& request);

// Protobuf wire format pieces.
std::string Varint(uint64_t value);
std::string Tag(int field, int wire_type);
// `depth` nested groups of field `field` (start-group tags, then their end-group tags).
std::string NestedGroups(int field, int depth);

// An HTTP/2 connection that opens one gRPC call of `path` (":path" header, plus
// `extra_headers` as name/value pairs) and sends `message_frame` as its DATA (with
// END_STREAM). HPACK literals only, so no encoder state is needed.
std::string Http2GrpcCall(const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& extra_headers,
                          const std::string& message_frame);

// What an HTTP/2 peer sent: whether stream 1 was answered (HEADERS or RST_STREAM on it) or the
// connection refused (GOAWAY), read from the raw frames.
struct Http2Answer {
  bool stream_answered = false;
  bool goaway = false;
};
Http2Answer ReadHttp2Answer(const std::string& bytes);

}  // namespace kam::reliability
