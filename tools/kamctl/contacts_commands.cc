#include "tools/kamctl/contacts_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "tools/kamctl/field_flags.h"
#include "tools/kamctl/service_calls.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::accounts::v1;
using Stub = AccountStub;

std::vector<FieldFlags::Spec> ContactFieldSpecs(bool create) {
  return {{"--name", "name", "full name", create},
          {"--title", "title", "job title"},
          {"--phone", "phone", "phone number"},
          {"--email", "email", "e-mail address"},
          {"--role", "buying_role", "role in buying decisions"}};
}

// Visible to the owner, the account team and directors only; never logged.
const std::vector<FieldFlags::Spec>& PersonalNoteSpecs() {
  static const auto* specs = new std::vector<FieldFlags::Spec>{
      {"--character", "personal_notes.character", "character (性格)"},
      {"--interests", "personal_notes.interests", "interests (爱好)"},
      {"--family", "personal_notes.family", "family (家庭)"},
      {"--education", "personal_notes.education", "education (学历)"},
      {"--birth-year", "personal_notes.birth_year", "year of birth (0: unknown)"},
  };
  return *specs;
}

struct ContactFields {
  ContactFields(CLI::App* command, bool create)
      : fields(command, v1::Contact::descriptor(), ContactFieldSpecs(create)),
        notes(command, v1::Contact::descriptor(), PersonalNoteSpecs(), "Personal notes") {}

  std::vector<std::string> Apply(v1::Contact* contact) const {
    std::vector<std::string> paths = fields.Apply(contact);
    for (std::string& path : notes.Apply(contact)) paths.push_back(std::move(path));
    return paths;
  }

  FieldFlags fields;
  FieldFlags notes;
};

void PrintContact(const v1::Contact& c) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"id", std::to_string(c.id())},
      {"account", std::to_string(c.account_id())},
      {"name", c.name()},
      {"title", c.title()},
      {"role", EnumLabel(v1::BuyingRole_descriptor(), c.buying_role())},
      {"phone", c.phone()},
      {"email", c.email()}};
  if (c.personal_notes_hidden()) {
    fields.push_back({"personal notes", "(hidden from you)"});
  } else {
    const v1::PersonalNotes& n = c.personal_notes();
    fields.insert(fields.end(),
                  {{"character", n.character()},
                   {"interests", n.interests()},
                   {"family", n.family()},
                   {"education", n.education()},
                   {"birth year", n.birth_year() == 0 ? "" : std::to_string(n.birth_year())}});
  }
  fields.insert(fields.end(), {{"created", FormatTime(c.create_time())}, {"etag", c.etag()}});
  PrintFields(fields);
}

void PrintContacts(const v1::ListContactsResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Contact& c : response.contacts()) {
    rows.push_back({std::to_string(c.id()), c.name(), c.title(),
                    EnumLabel(v1::BuyingRole_descriptor(), c.buying_role()), c.phone(), c.email(),
                    c.etag()});
  }
  PrintTable({"ID", "NAME", "TITLE", "ROLE", "PHONE", "EMAIL", "ETAG"}, rows);
  PrintNextPage(response.next_page_token());
}

void AddCreateContact(CLI::App& contacts, const Options& options, Action* action) {
  CLI::App* command = contacts.add_subcommand("create", "Add a contact person to an account");
  struct Flags {
    explicit Flags(CLI::App* command) : fields(command, /*create=*/true) {}
    ContactFields fields;
    int64_t account_id = 0;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>(command);
  AddIdOption(command, "--account", &flags->account_id, "account id");
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::CreateContactRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    flags->fields.Apply(request.mutable_contact());
    request.mutable_contact()->set_account_id(flags->account_id);
    return Mutate(options, &Stub::CreateContact, request,
                  [](const auto& r) { PrintContact(r.contact()); });
  });
}

void AddListContacts(CLI::App& contacts, const Options& options, Action* action) {
  CLI::App* command = contacts.add_subcommand("list", "List an account's contacts");
  struct Flags {
    int64_t account_id = 0;
    PageFlags page;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "--account", &flags->account_id, "account id");
  AddPageFlags(command, &flags->page, "contacts");
  OnRun(command, action, [&options, flags] {
    v1::ListContactsRequest request;
    request.set_account_id(flags->account_id);
    return QueryPages(options, &Stub::ListContacts, request, flags->page, PrintContacts);
  });
}

void AddUpdateContact(CLI::App& contacts, const Options& options, Action* action) {
  CLI::App* command =
      contacts.add_subcommand("update", "Change the fields given (from the version --etag names)");
  struct Flags {
    explicit Flags(CLI::App* command) : fields(command, /*create=*/false) {}
    ContactFields fields;
    int64_t id = 0;
    std::string etag, request_id;
  };
  auto flags = std::make_shared<Flags>(command);
  AddIdOption(command, "id", &flags->id, "contact id");
  command->add_option("--etag", flags->etag, "etag of the version you read (contacts list)")
      ->required();
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::UpdateContactRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    request.mutable_contact()->set_id(flags->id);
    for (auto& path : flags->fields.Apply(request.mutable_contact())) {
      request.mutable_update_mask()->add_paths(std::move(path));
    }
    if (request.update_mask().paths().empty()) {
      return UsageError("nothing to update: give at least one of " + flags->fields.fields.Names() +
                        ", " + flags->fields.notes.Names());
    }
    request.set_etag(flags->etag);
    return Mutate(options, &Stub::UpdateContact, request,
                  [](const auto& r) { PrintContact(r.contact()); });
  });
}

}  // namespace

void AddContactCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* contacts = app.add_subcommand("contacts", "Contact persons of an account");
  contacts->require_subcommand(1);
  AddCreateContact(*contacts, options, action);
  AddListContacts(*contacts, options, action);
  AddUpdateContact(*contacts, options, action);
}

}  // namespace kam::kamctl
