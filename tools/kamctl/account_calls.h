#pragma once

#include <memory>

#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "tools/kamctl/client.h"

namespace kam::kamctl {

using AccountStub = kam::accounts::v1::AccountService::Stub;

template <typename Request, typename Response>
using AccountMethod = grpc::Status (AccountStub::*)(grpc::ClientContext*, const Request&,
                                                    Response*);

inline std::unique_ptr<AccountStub> NewAccountStub(const Options& options) {
  return kam::accounts::v1::AccountService::NewStub(Connect(options));
}

// One AccountService call through the gateway; shows the response with `print`.
template <typename Request, typename Response, typename Print>
int Query(const Options& options, AccountMethod<Request, Response> method, const Request& request,
          Print print) {
  Response response;
  const grpc::Status status = Call(options, *NewAccountStub(options), method, request, &response);
  return Show(options, status, response, print);
}

// A List call: one page, or with page.all every page, shown together.
template <typename Request, typename Response, typename Print>
int QueryPages(const Options& options, AccountMethod<Request, Response> method, Request request,
               const PageFlags& page, Print print) {
  SetPage(page, &request);
  Response response;
  const grpc::Status status =
      FetchPages(options, *NewAccountStub(options), page.all, method, request, &response);
  return Show(options, status, response, print);
}

// A mutating call: as Query, and on an unknown outcome tells how to retry safely with the
// request's request_id.
template <typename Request, typename Response, typename Print>
int Mutate(const Options& options, AccountMethod<Request, Response> method, const Request& request,
           Print print) {
  Response response;
  const grpc::Status status = Call(options, *NewAccountStub(options), method, request, &response);
  return ShowMutation(options, request.request_id(), status, response, print);
}

}  // namespace kam::kamctl
