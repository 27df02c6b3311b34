#pragma once

// Descriptor-driven helpers of the field edge cases (field_edges_test.cc): any RPC called
// with any request message, the string and enum fields of a request enumerated from its
// descriptor, set and read by path, and the fields the protos document as output only.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/e2e_client.h"

namespace kam::reliability {

namespace pb = google::protobuf;

// Calls `method` ("/kam.accounts.v1.AccountService/CreateAccount") of `caller`'s endpoint
// with `request`; the response is parsed into `response` (a message of the method's output
// type, see NewResponse).
grpc::Status CallAny(const e2e::Caller& caller, const pb::MethodDescriptor& method,
                     const pb::Message& request, pb::Message* response);
std::unique_ptr<pb::Message> NewResponse(const pb::MethodDescriptor& method);
// "/package.Service/Method".
std::string WirePath(const pb::MethodDescriptor& method);

// One field on the way from a request to a leaf; index is the element of a repeated field
// (element 0 is added when the request has none), -1 for a singular field.
struct Step {
  const pb::FieldDescriptor* field = nullptr;
  int index = -1;
};
using FieldPath = std::vector<Step>;

// "account.name", "orders[0].lines[0].product_code".
std::string PathName(const FieldPath& path);
// The path's leaf field.
const pb::FieldDescriptor& Leaf(const FieldPath& path);

// Every leaf of `message`'s type (and of its sub-messages, google.protobuf.* excluded) for
// which `wanted` holds. Repeated sub-messages are entered at element 0 when `message` has
// one. Stops at depth 4.
std::vector<FieldPath> LeafFields(const pb::Message& message,
                                  bool (*wanted)(const pb::FieldDescriptor&));
bool IsStringField(const pb::FieldDescriptor& field);
bool IsEnumField(const pb::FieldDescriptor& field);

// Sets the leaf at `path` (creating messages and element 0 on the way).
void SetString(pb::Message& root, const FieldPath& path, const std::string& value);
void SetEnumNumber(pb::Message& root, const FieldPath& path, int number);
// The leaf's value, or nullopt when a message or element on the way is absent.
std::optional<std::string> GetString(const pb::Message& root, const FieldPath& path);
std::optional<int> GetEnumNumber(const pb::Message& root, const FieldPath& path);

// The same leaf seen from another message: `path` without its first step, looked up in the
// first singular field of `other` whose message type is the type `path` starts in. E.g.
// CreateAccountRequest's account.name -> CreateAccountResponse's account.name. nullopt when
// the request path does not start in a sub-message or `other` holds no such field.
struct Echo {
  const pb::Message* message = nullptr;  // the sub-message of `other`
  FieldPath rest;                        // the path inside it
};
std::optional<Echo> EchoIn(const FieldPath& path, const pb::Message& other);
// The sub-message the path starts in (e.g. the request's account), nullptr for a
// request-level leaf.
const pb::Message* FirstMessage(const pb::Message& root, const FieldPath& path);

// "kam.accounts.v1.Account.etag" for each field whose comment in protos/ (read from
// `protos_dir`) says "Output only" (or "(output only").
std::set<std::string> DocumentedOutputOnly(const std::string& protos_dir);

}  // namespace kam::reliability
