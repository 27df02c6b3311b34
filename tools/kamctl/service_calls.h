#pragma once

#include <memory>

#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "tools/kamctl/client.h"

// Query, QueryPages and Mutate for any service's generated stub: the stub type comes from
// the method pointer (&AccountStub::GetAccount, &ComplaintStub::GetComplaint,
// &AnalyticsStub::AnalyzeAbc, ...), so command code reads the same for every service.
namespace kam::kamctl {

using AccountStub = kam::accounts::v1::AccountService::Stub;
using ComplaintStub = kam::complaints::v1::ComplaintService::Stub;
using AnalyticsStub = kam::analytics::v1::AnalyticsService::Stub;

template <typename Stub, typename Request, typename Response>
using StubMethod = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&, Response*);
template <typename Request, typename Response>
using AccountMethod = StubMethod<AccountStub, Request, Response>;
template <typename Request, typename Response>
using AnalyticsMethod = StubMethod<AnalyticsStub, Request, Response>;

inline std::unique_ptr<AccountStub> NewAccountStub(const Options& options) {
  return std::make_unique<AccountStub>(Connect(options));
}

// One call through the gateway; shows the response with `print`.
template <typename Stub, typename Request, typename Response, typename Print>
int Query(const Options& options, StubMethod<Stub, Request, Response> method,
          const Request& request, Print print) {
  Stub stub(Connect(options));
  Response response;
  const grpc::Status status = Call(options, stub, method, request, &response);
  return Show(options, status, response, print);
}

// A List call: one page, or with page.all every page, shown together.
template <typename Stub, typename Request, typename Response, typename Print>
int QueryPages(const Options& options, StubMethod<Stub, Request, Response> method, Request request,
               const PageFlags& page, Print print) {
  SetPage(page, &request);
  Stub stub(Connect(options));
  Response response;
  const grpc::Status status = FetchPages(options, stub, page.all, method, request, &response);
  return Show(options, status, response, print);
}

// A mutating call: as Query, and on an unknown outcome tells how to retry safely with the
// request's request_id.
template <typename Stub, typename Request, typename Response, typename Print>
int Mutate(const Options& options, StubMethod<Stub, Request, Response> method,
           const Request& request, Print print) {
  Stub stub(Connect(options));
  Response response;
  const grpc::Status status = Call(options, stub, method, request, &response);
  return ShowMutation(options, request.request_id(), status, response, print);
}

}  // namespace kam::kamctl
