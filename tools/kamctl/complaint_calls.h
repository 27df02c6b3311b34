#pragma once

#include <memory>

#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "tools/kamctl/client.h"

namespace kam::kamctl {

// The ComplaintService counterparts of account_calls.h: overloads of Query, QueryPages and
// Mutate that take a ComplaintService method, so that command code reads the same for both
// services.

using ComplaintStub = kam::complaints::v1::ComplaintService::Stub;

template <typename Request, typename Response>
using ComplaintMethod = grpc::Status (ComplaintStub::*)(grpc::ClientContext*, const Request&,
                                                        Response*);

inline std::unique_ptr<ComplaintStub> NewComplaintStub(const Options& options) {
  return kam::complaints::v1::ComplaintService::NewStub(Connect(options));
}

// One ComplaintService call through the gateway; shows the response with `print`.
template <typename Request, typename Response, typename Print>
int Query(const Options& options, ComplaintMethod<Request, Response> method, const Request& request,
          Print print) {
  Response response;
  const grpc::Status status = Call(options, *NewComplaintStub(options), method, request, &response);
  return Show(options, status, response, print);
}

// A List call: one page, or with page.all every page, shown together.
template <typename Request, typename Response, typename Print>
int QueryPages(const Options& options, ComplaintMethod<Request, Response> method, Request request,
               const PageFlags& page, Print print) {
  SetPage(page, &request);
  Response response;
  const grpc::Status status =
      FetchPages(options, *NewComplaintStub(options), page.all, method, request, &response);
  return Show(options, status, response, print);
}

// A mutating call: as Query, and on an unknown outcome tells how to retry safely with the
// request's request_id.
template <typename Request, typename Response, typename Print>
int Mutate(const Options& options, ComplaintMethod<Request, Response> method,
           const Request& request, Print print) {
  Response response;
  const grpc::Status status = Call(options, *NewComplaintStub(options), method, request, &response);
  return ShowMutation(options, request.request_id(), status, response, print);
}

}  // namespace kam::kamctl
