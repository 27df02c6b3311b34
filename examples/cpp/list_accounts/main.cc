// Lists the accounts the caller may see, through the KAM Suite gateway.
//   KAM_ADDR=127.0.0.1:50051 KAM_TOKEN=$(kamctl token --subject alice --roles account_manager) \
//     ./list_accounts [--name-prefix PREFIX]
// Prints one line per account: id, name, owner and tier, separated by tabs. A failed call
// prints "error: <CODE>: <message>" on stderr and exits with 1; a bad command line exits 2.
#include <kam/client/client.h>

#include <iostream>
#include <string>

namespace {

using kam::accounts::v1::ListAccountsRequest;
using kam::accounts::v1::ListAccountsResponse;

int Usage() {
  std::cerr << "usage: list_accounts [--name-prefix PREFIX]\n"
               "  reads KAM_ADDR (default 127.0.0.1:50051), KAM_TOKEN or KAM_API_KEY\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  ListAccountsRequest request;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--name-prefix" && i + 1 < argc) {
      request.set_name_prefix(argv[++i]);
    } else {
      return Usage();
    }
  }

  const kam::client::Client client(kam::client::ClientOptions::FromEnvironment());
  request.set_page_size(500);
  do {
    grpc::ClientContext context;
    client.Prepare(&context);  // token and deadline
    ListAccountsResponse page;
    const grpc::Status status = client.accounts().ListAccounts(&context, request, &page);
    if (!status.ok()) {
      std::cerr << "error: " << kam::client::Describe(status) << '\n';
      return 1;
    }
    for (const kam::accounts::v1::Account& account : page.accounts()) {
      std::cout << account.id() << '\t' << account.name() << '\t' << account.owner_id() << '\t'
                << kam::accounts::v1::Tier_Name(account.tier()) << '\n';
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return 0;
}
