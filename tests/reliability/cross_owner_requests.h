#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kam::reliability {

// The objects of one account manager that another one aims at, or ids that name nothing
// (MissingTarget), so that both can be asked the same question.
struct Target {
  std::string owner_id;  // the manager whose book it is
  int64_t account_id = 0;
  std::string account_etag;
  int64_t contact_id = 0;
  std::string contact_etag;
  int64_t opportunity_id = 0;
  std::string opportunity_etag;
  int64_t contract_id = 0;
  int64_t visit_plan_id = 0;
  int64_t complaint_id = 0;
  std::string department;  // a complaint-handling department's code
  std::string review_id;   // a tier review
  std::string period;      // an analysis period, e.g. "2026"
};

// The same target with every id replaced by one that exists nowhere.
Target MissingTarget(const Target& target);

// Fills the request of one method so that it acts on `target` (a fresh request id in
// `request_id` where the method takes one); a request a caller with access could send.
using RequestBuilder = std::function<void(const Target& target, const std::string& request_id,
                                          google::protobuf::Message& request)>;

// One builder per public method of AccountService, ComplaintService, AnalyticsService and
// GatewayService, by full method name ("/kam.accounts.v1.AccountService/GetAccount").
const std::map<std::string, RequestBuilder>& CrossOwnerRequests();

// Every method of those four services, from their descriptors: what the table must cover.
std::vector<const google::protobuf::MethodDescriptor*> PublicMethods();

// A new, empty request message of `method` (responses: field_reflection.h NewResponse).
std::unique_ptr<google::protobuf::Message> NewRequest(
    const google::protobuf::MethodDescriptor& method);

}  // namespace kam::reliability
