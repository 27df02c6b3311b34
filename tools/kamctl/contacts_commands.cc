#include "tools/kamctl/contacts_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "tools/kamctl/field_flags.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::accounts::v1;
using Stub = v1::AccountService::Stub;

std::unique_ptr<Stub> NewStub(const Options& options) {
  return v1::AccountService::NewStub(Connect(options));
}

void PrintContact(const v1::Contact& c) {
  PrintFields({{"id", std::to_string(c.id())},
               {"account", std::to_string(c.account_id())},
               {"name", c.name()},
               {"title", c.title()},
               {"role", EnumLabel(v1::BuyingRole_descriptor(), c.buying_role())},
               {"phone", c.phone()},
               {"email", c.email()},
               {"created", FormatTime(c.create_time())}});
}

void PrintContacts(const v1::ListContactsResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Contact& c : response.contacts()) {
    rows.push_back({std::to_string(c.id()), c.name(), c.title(),
                    EnumLabel(v1::BuyingRole_descriptor(), c.buying_role()), c.phone(), c.email()});
  }
  PrintTable({"ID", "NAME", "TITLE", "ROLE", "PHONE", "EMAIL"}, rows);
  PrintNextPage(response.next_page_token());
}

void AddCreateContact(CLI::App& contacts, const Options& options, Action* action) {
  CLI::App* command = contacts.add_subcommand("create", "Add a contact person to an account");
  struct Flags {
    explicit Flags(CLI::App* command)
        : fields(command, v1::Contact::descriptor(),
                 {{"--name", "name", "full name", true},
                  {"--title", "title", "job title"},
                  {"--phone", "phone", "phone number"},
                  {"--email", "email", "e-mail address"},
                  {"--role", "buying_role", "role in buying decisions"}}) {}
    FieldFlags fields;
    int64_t account_id = 0;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>(command);
  AddIdOption(command, "--account", &flags->account_id, "account id");
  AddRequestIdFlag(command, &flags->request_id);
  command->callback([&options, action, flags] {
    *action = [&options, flags] {
      v1::CreateContactRequest request;
      request.set_request_id(RequestIdOrNew(flags->request_id));
      flags->fields.Apply(request.mutable_contact());
      request.mutable_contact()->set_account_id(flags->account_id);
      v1::CreateContactResponse response;
      const grpc::Status status =
          Call(options, *NewStub(options), &Stub::CreateContact, request, &response);
      return ShowMutation(options, request.request_id(), status, response,
                          [](const auto& r) { PrintContact(r.contact()); });
    };
  });
}

void AddListContacts(CLI::App& contacts, const Options& options, Action* action) {
  CLI::App* command = contacts.add_subcommand("list", "List an account's contacts");
  struct Flags {
    int64_t account_id = 0;
    int32_t page_size = 0;
    std::string page_token;
    bool all = false;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "--account", &flags->account_id, "account id");
  command->add_option("--page-size", flags->page_size, "contacts per page (server default 50)")
      ->check(NonNegativeNumber());
  command->add_option("--page-token", flags->page_token, "continue from a previous page");
  command->add_flag("--all", flags->all, "follow the pages to the end");
  command->callback([&options, action, flags] {
    *action = [&options, flags] {
      v1::ListContactsRequest request;
      request.set_account_id(flags->account_id);
      request.set_page_size(flags->page_size);
      request.set_page_token(flags->page_token);
      v1::ListContactsResponse response;
      const grpc::Status status = FetchPages(options, *NewStub(options), flags->all,
                                             &Stub::ListContacts, request, &response);
      return Show(options, status, response, PrintContacts);
    };
  });
}

}  // namespace

void AddContactCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* contacts = app.add_subcommand("contacts", "Contact persons of an account");
  contacts->require_subcommand(1);
  AddCreateContact(*contacts, options, action);
  AddListContacts(*contacts, options, action);
}

}  // namespace kam::kamctl
