#include "tools/kamctl/accounts_commands.h"

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

// Create takes the registration number (immutable afterwards); update takes the tier
// (normally the tier review's to set).
std::vector<FieldFlags::Spec> AccountFieldSpecs(bool create) {
  std::vector<FieldFlags::Spec> specs = {
      {"--name", "name", "registered name of the customer", create},
      {"--nature", "nature", "nature of the customer", create},
      {"--industry", "industry", "industry, e.g. manufacturing"},
      {"--region", "region", "sales region, e.g. \"East China\""},
      {"--scale", "scale", "size of the business"},
      {"--lifecycle", "lifecycle_stage", "lifecycle stage"},
      {"--status", "status", "trading status"},
      {"--owner", "owner_id", "user id of the owning account manager"},
  };
  if (create) {
    specs.insert(specs.begin() + 1, {"--registration-number", "registration_number",
                                     "unique registration number", true});
  } else {
    specs.push_back({"--tier", "tier", "value tier (normally set by the tier review)"});
  }
  return specs;
}

void PrintAccount(const v1::Account& a) {
  PrintFields({{"id", std::to_string(a.id())},
               {"name", a.name()},
               {"registration number", a.registration_number()},
               {"nature", EnumLabel(v1::Nature_descriptor(), a.nature())},
               {"industry", a.industry()},
               {"region", a.region()},
               {"scale", EnumLabel(v1::Scale_descriptor(), a.scale())},
               {"lifecycle", EnumLabel(v1::LifecycleStage_descriptor(), a.lifecycle_stage())},
               {"status", EnumLabel(v1::AccountStatus_descriptor(), a.status())},
               {"tier", EnumLabel(v1::Tier_descriptor(), a.tier())},
               {"owner", a.owner_id()},
               {"archived", a.archived() ? "yes" : "no"},
               {"created", FormatTime(a.create_time())},
               {"updated", FormatTime(a.update_time())},
               {"archived at", FormatTime(a.archive_time())},
               {"etag", a.etag()}});
}

void PrintAccounts(const v1::ListAccountsResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Account& a : response.accounts()) {
    rows.push_back({std::to_string(a.id()), a.name(), a.registration_number(),
                    EnumLabel(v1::Nature_descriptor(), a.nature()), a.industry(), a.region(),
                    EnumLabel(v1::Tier_descriptor(), a.tier()),
                    EnumLabel(v1::AccountStatus_descriptor(), a.status()), a.owner_id(), a.etag()});
  }
  PrintTable(
      {"ID", "NAME", "REG NO", "NATURE", "INDUSTRY", "REGION", "TIER", "STATUS", "OWNER", "ETAG"},
      rows);
  PrintNextPage(response.next_page_token());
}

void AddCreateAccount(CLI::App& accounts, const Options& options, Action* action) {
  CLI::App* command = accounts.add_subcommand("create", "Create an account");
  struct Flags {
    explicit Flags(CLI::App* command)
        : fields(command, v1::Account::descriptor(), AccountFieldSpecs(/*create=*/true)) {}
    FieldFlags fields;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>(command);
  AddRequestIdFlag(command, &flags->request_id);
  command->callback([&options, action, flags] {
    *action = [&options, flags] {
      v1::CreateAccountRequest request;
      request.set_request_id(RequestIdOrNew(flags->request_id));
      flags->fields.Apply(request.mutable_account());
      v1::CreateAccountResponse response;
      const grpc::Status status =
          Call(options, *NewStub(options), &Stub::CreateAccount, request, &response);
      return ShowMutation(options, request.request_id(), status, response,
                          [](const auto& r) { PrintAccount(r.account()); });
    };
  });
}

void AddGetAccount(CLI::App& accounts, const Options& options, Action* action) {
  CLI::App* command = accounts.add_subcommand("get", "Show one account");
  auto id = std::make_shared<int64_t>();
  AddIdOption(command, "id", id.get(), "account id");
  command->callback([&options, action, id] {
    *action = [&options, id] {
      v1::GetAccountRequest request;
      request.set_account_id(*id);
      v1::GetAccountResponse response;
      const grpc::Status status =
          Call(options, *NewStub(options), &Stub::GetAccount, request, &response);
      return Show(options, status, response, [](const auto& r) { PrintAccount(r.account()); });
    };
  });
}

void AddListAccounts(CLI::App& accounts, const Options& options, Action* action) {
  CLI::App* command = accounts.add_subcommand("list", "List the accounts you may see");
  struct Flags {
    std::string owner, tier, industry, region, name_prefix, page_token;
    bool include_archived = false;
    bool all = false;
    int32_t page_size = 0;
  };
  auto flags = std::make_shared<Flags>();
  command->add_option("--owner", flags->owner, "only accounts owned by this user id");
  command->add_option("--tier", flags->tier, "only this tier")
      ->check(EnumValidator(v1::Tier_descriptor()));
  command->add_option("--industry", flags->industry, "only this industry");
  command->add_option("--region", flags->region, "only this region");
  command->add_option("--name-prefix", flags->name_prefix, "names starting with (any case)");
  command->add_flag("--include-archived", flags->include_archived, "include archived accounts");
  command->add_option("--page-size", flags->page_size, "accounts per page (server default 50)")
      ->check(NonNegativeNumber());
  command->add_option("--page-token", flags->page_token, "continue from a previous page");
  command->add_flag("--all", flags->all, "follow the pages to the end");
  command->callback([&options, action, flags] {
    *action = [&options, flags] {
      v1::ListAccountsRequest request;
      request.set_owner_id(flags->owner);
      if (!flags->tier.empty()) {
        request.set_tier(
            static_cast<v1::Tier>(FindEnumValue(v1::Tier_descriptor(), flags->tier)->number()));
      }
      request.set_industry(flags->industry);
      request.set_region(flags->region);
      request.set_name_prefix(flags->name_prefix);
      request.set_include_archived(flags->include_archived);
      request.set_page_size(flags->page_size);
      request.set_page_token(flags->page_token);
      v1::ListAccountsResponse response;
      const grpc::Status status = FetchPages(options, *NewStub(options), flags->all,
                                             &Stub::ListAccounts, request, &response);
      return Show(options, status, response, PrintAccounts);
    };
  });
}

void AddUpdateAccount(CLI::App& accounts, const Options& options, Action* action) {
  CLI::App* command =
      accounts.add_subcommand("update", "Change the fields given (from the version --etag names)");
  struct Flags {
    explicit Flags(CLI::App* command)
        : fields(command, v1::Account::descriptor(), AccountFieldSpecs(/*create=*/false)) {}
    FieldFlags fields;
    int64_t id = 0;
    std::string etag, request_id;
  };
  auto flags = std::make_shared<Flags>(command);
  AddIdOption(command, "id", &flags->id, "account id");
  command->add_option("--etag", flags->etag, "etag of the version you read (accounts get)")
      ->required();
  AddRequestIdFlag(command, &flags->request_id);
  command->callback([&options, action, flags] {
    *action = [&options, flags] {
      v1::UpdateAccountRequest request;
      request.set_request_id(RequestIdOrNew(flags->request_id));
      request.mutable_account()->set_id(flags->id);
      for (auto& path : flags->fields.Apply(request.mutable_account())) {
        request.mutable_update_mask()->add_paths(std::move(path));
      }
      if (request.update_mask().paths().empty()) {
        return UsageError("nothing to update: give at least one of " + flags->fields.Names());
      }
      request.set_etag(flags->etag);
      v1::UpdateAccountResponse response;
      const grpc::Status status =
          Call(options, *NewStub(options), &Stub::UpdateAccount, request, &response);
      return ShowMutation(options, request.request_id(), status, response,
                          [](const auto& r) { PrintAccount(r.account()); });
    };
  });
}

void AddArchiveAccount(CLI::App& accounts, const Options& options, Action* action) {
  CLI::App* command = accounts.add_subcommand("archive", "Archive an account (kept, read-only)");
  struct Flags {
    int64_t id = 0;
    std::string reason, request_id;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "id", &flags->id, "account id");
  command->add_option("--reason", flags->reason, "why, kept in the audit trail");
  AddRequestIdFlag(command, &flags->request_id);
  command->callback([&options, action, flags] {
    *action = [&options, flags] {
      v1::ArchiveAccountRequest request;
      request.set_request_id(RequestIdOrNew(flags->request_id));
      request.set_account_id(flags->id);
      request.set_reason(flags->reason);
      v1::ArchiveAccountResponse response;
      const grpc::Status status =
          Call(options, *NewStub(options), &Stub::ArchiveAccount, request, &response);
      return ShowMutation(options, request.request_id(), status, response,
                          [](const auto& r) { PrintAccount(r.account()); });
    };
  });
}

}  // namespace

void AddAccountCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* accounts = app.add_subcommand("accounts", "Customer accounts");
  accounts->require_subcommand(1);
  AddCreateAccount(*accounts, options, action);
  AddGetAccount(*accounts, options, action);
  AddListAccounts(*accounts, options, action);
  AddUpdateAccount(*accounts, options, action);
  AddArchiveAccount(*accounts, options, action);
}

}  // namespace kam::kamctl
