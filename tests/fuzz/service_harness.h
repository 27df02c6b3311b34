#pragma once

#include <google/protobuf/descriptor.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/generic/generic_stub.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <string_view>

#include "services/common/call_handler.h"
#include "services/common/call_observer.h"
#include "services/common/db.h"
#include "services/common/settings.h"

// One service as its process serves it (the production CallHandler, identity checks and
// handlers), on an in-process gRPC server, for the request fuzzers: each input is one call of
// one method with fuzzed request bytes and a caller signed like the gateway signs them.
//
// Its database is a port that refuses connections, held for the life of the process: every
// check a handler makes before touching the store runs on the fuzzed request, and a request
// that passes them all ends as UNAVAILABLE. So nothing here needs MariaDB, and a run is
// repeatable.
namespace kam::fuzz {

class ServiceHarness {
 public:
  // `service_full_name`: "kam.accounts.v1.AccountService".
  explicit ServiceHarness(const std::string& service_full_name);
  ~ServiceHarness();

  // What the service's stores and handler are built from (before Start).
  DbPool& pool() { return *pool_; }
  CallHandler* handler() { return handler_.get(); }
  prometheus::Registry& registry() { return registry_; }
  // "127.0.0.1:<port>" that refuses connections: for the service's own clients (analytics'
  // tier writer), so they fail like the database.
  std::string refusing_address() const;

  // Serves `service` (which must outlive the harness).
  void Start(grpc::Service* service);

  // One call. Input: "<method name>\n<caller byte><request bytes>"; the caller byte picks
  // one of a fixed set of principals (every role, a role-less caller). Fails (aborts) when
  // the call ends with a code no request should produce: UNKNOWN (an escaped exception),
  // INTERNAL for a request that parses, DATA_LOSS, or an error without a message.
  void Call(std::string_view input);

 private:
  const google::protobuf::ServiceDescriptor& service_;
  int refusing_socket_ = -1;
  int refusing_port_ = 0;
  prometheus::Registry registry_;
  std::unique_ptr<DbPool> pool_;
  std::unique_ptr<GrpcServerMetrics> metrics_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<CallHandler> handler_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::GenericStub> stub_;
};

}  // namespace kam::fuzz
