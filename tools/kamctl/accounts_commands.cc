#include "tools/kamctl/accounts_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "tools/kamctl/field_flags.h"
#include "tools/kamctl/printers.h"
#include "tools/kamctl/service_calls.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::accounts::v1;
using Stub = AccountStub;

// Create takes the registration number (immutable afterwards). The tier is SetTier's and the
// credit SetCredit's (accounts set-tier, accounts set-credit).
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
      {"--parent", "parent_id", "id of the group account it belongs to (0: none)"},
      {"--transaction-process", "transaction_process", "by transaction process"},
      {"--volume-position", "volume_position", "by volume and market position"},
      {"--address", "address", "postal address"},
      {"--phone", "phone", "switchboard phone"},
      {"--legal-representative", "legal_representative", "legal representative (法人代表)"},
      {"--tags", "tags", "comma-separated labels, replacing all tags (\"\" clears them)"},
  };
  if (create) {
    specs.insert(specs.begin() + 1, {"--registration-number", "registration_number",
                                     "unique registration number", true});
  }
  return specs;
}

const std::vector<FieldFlags::Spec>& BusinessFieldSpecs() {
  static const auto* specs = new std::vector<FieldFlags::Spec>{
      {"--service-area", "business.service_area", "service area (服务区域)"},
      {"--sales-capability", "business.sales_capability", "sales capability"},
      {"--growth-potential", "business.growth_potential", "growth potential"},
      {"--business-direction", "business.business_direction", "business philosophy and direction"},
      {"--competitive-position", "business.competitive_position",
       "industry standing and competition"},
      {"--reputation", "business.reputation", "reputation"},
      {"--trade-terms", "business.trade_terms", "trade terms"},
      {"--employees", "business.employee_count", "number of employees"},
      {"--annual-revenue", "business.annual_revenue", "the customer's yearly revenue, CNY"},
  };
  return *specs;
}

// The flags of create and update: the account's fields and its business profile.
struct AccountFields {
  AccountFields(CLI::App* command, bool create)
      : fields(command, v1::Account::descriptor(), AccountFieldSpecs(create)),
        business(command, v1::Account::descriptor(), BusinessFieldSpecs(), "Business profile") {}

  std::vector<std::string> Apply(v1::Account* account) const {
    std::vector<std::string> paths = fields.Apply(account);
    for (std::string& path : business.Apply(account)) paths.push_back(std::move(path));
    return paths;
  }

  FieldFlags fields;
  FieldFlags business;
};

void PrintAccounts(const v1::ListAccountsResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Account& a : response.accounts()) {
    rows.push_back({std::to_string(a.id()), a.name(), a.registration_number(),
                    EnumLabel(v1::Nature_descriptor(), a.nature()), a.industry(), a.region(),
                    EnumLabel(v1::Tier_descriptor(), a.tier()),
                    EnumLabel(v1::AccountStatus_descriptor(), a.status()), a.owner_id(),
                    IdText(a.parent_id()), a.etag()});
  }
  PrintTable({"ID", "NAME", "REG NO", "NATURE", "INDUSTRY", "REGION", "TIER", "STATUS", "OWNER",
              "PARENT", "ETAG"},
             rows);
  PrintNextPage(response.next_page_token());
}

void PrintTree(const v1::GetGroupTreeResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::GroupNode& node : response.nodes()) {
    rows.push_back({std::to_string(node.account_id()),
                    std::string(2 * static_cast<size_t>(node.depth()), ' ') + node.name()});
  }
  PrintTable({"ID", "NAME"}, rows);
  if (response.truncated()) {
    PrintWarning("the group is larger than shown (the server returns at most 10,000 accounts)");
  }
}

void AddCreateAccount(CLI::App& accounts, const Options& options, Action* action) {
  CLI::App* command = accounts.add_subcommand("create", "Create an account");
  struct Flags {
    explicit Flags(CLI::App* command) : fields(command, /*create=*/true) {}
    AccountFields fields;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>(command);
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::CreateAccountRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    flags->fields.Apply(request.mutable_account());
    return Mutate(options, &Stub::CreateAccount, request,
                  [](const auto& r) { PrintAccount(r.account()); });
  });
}

void AddGetAccount(CLI::App& accounts, const Options& options, Action* action) {
  CLI::App* command = accounts.add_subcommand("get", "Show one account");
  auto id = std::make_shared<int64_t>();
  AddIdOption(command, "id", id.get(), "account id");
  OnRun(command, action, [&options, id] {
    v1::GetAccountRequest request;
    request.set_account_id(*id);
    return Query(options, &Stub::GetAccount, request,
                 [](const auto& r) { PrintAccount(r.account()); });
  });
}

void AddListAccounts(CLI::App& accounts, const Options& options, Action* action) {
  CLI::App* command = accounts.add_subcommand("list", "List the accounts you may see");
  struct Flags {
    std::string owner, tier, status, industry, region, name_prefix, tag;
    int64_t parent = 0;
    bool include_archived = false;
    PageFlags page;
  };
  auto flags = std::make_shared<Flags>();
  command->add_option("--owner", flags->owner, "only accounts owned by this user id");
  command->add_option("--tier", flags->tier, "only this tier")
      ->check(EnumValidator(v1::Tier_descriptor()));
  command->add_option("--status", flags->status, "only this trading status")
      ->check(EnumValidator(v1::AccountStatus_descriptor()));
  command->add_option("--industry", flags->industry, "only this industry");
  command->add_option("--region", flags->region, "only this region");
  command->add_option("--name-prefix", flags->name_prefix, "names starting with (any case)");
  command->add_option("--parent", flags->parent, "only the direct subsidiaries of this account")
      ->check(PositiveNumber());
  command->add_option("--tag", flags->tag, "only accounts carrying this tag");
  command->add_flag("--include-archived", flags->include_archived, "include archived accounts");
  AddPageFlags(command, &flags->page, "accounts");
  OnRun(command, action, [&options, flags] {
    v1::ListAccountsRequest request;
    request.set_owner_id(flags->owner);
    if (!flags->tier.empty()) {
      request.set_tier(EnumOf<v1::Tier>(v1::Tier_descriptor(), flags->tier));
    }
    if (!flags->status.empty()) {
      request.set_status(EnumOf<v1::AccountStatus>(v1::AccountStatus_descriptor(), flags->status));
    }
    request.set_industry(flags->industry);
    request.set_region(flags->region);
    request.set_name_prefix(flags->name_prefix);
    request.set_parent_id(flags->parent);
    request.set_tag(flags->tag);
    request.set_include_archived(flags->include_archived);
    return QueryPages(options, &Stub::ListAccounts, request, flags->page, PrintAccounts);
  });
}

void AddUpdateAccount(CLI::App& accounts, const Options& options, Action* action) {
  CLI::App* command =
      accounts.add_subcommand("update", "Change the fields given (from the version --etag names)");
  struct Flags {
    explicit Flags(CLI::App* command) : fields(command, /*create=*/false) {}
    AccountFields fields;
    int64_t id = 0;
    std::string etag, reason, request_id;
  };
  auto flags = std::make_shared<Flags>(command);
  AddIdOption(command, "id", &flags->id, "account id");
  command->add_option("--etag", flags->etag, "etag of the version you read (accounts get)")
      ->required();
  command->add_option("--reason", flags->reason, "why; kept with owner and parent changes");
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::UpdateAccountRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    request.mutable_account()->set_id(flags->id);
    for (auto& path : flags->fields.Apply(request.mutable_account())) {
      request.mutable_update_mask()->add_paths(std::move(path));
    }
    if (request.update_mask().paths().empty()) {
      return UsageError("nothing to update: give at least one of " + flags->fields.fields.Names() +
                        ", " + flags->fields.business.Names());
    }
    request.set_etag(flags->etag);
    request.set_reason(flags->reason);
    return Mutate(options, &Stub::UpdateAccount, request,
                  [](const auto& r) { PrintAccount(r.account()); });
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
  OnRun(command, action, [&options, flags] {
    v1::ArchiveAccountRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    request.set_account_id(flags->id);
    request.set_reason(flags->reason);
    return Mutate(options, &Stub::ArchiveAccount, request,
                  [](const auto& r) { PrintAccount(r.account()); });
  });
}

void AddGroupTree(CLI::App& accounts, const Options& options, Action* action) {
  CLI::App* command =
      accounts.add_subcommand("tree", "Show the group hierarchy below an account, indented");
  struct Flags {
    int64_t id = 0;
    int32_t depth = 0;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "id", &flags->id, "account id (the top of the tree shown)");
  command->add_option("--depth", flags->depth, "levels below the account (default: all)")
      ->check(NonNegativeInteger(32));
  OnRun(command, action, [&options, flags] {
    v1::GetGroupTreeRequest request;
    request.set_account_id(flags->id);
    request.set_max_depth(flags->depth);
    return Query(options, &Stub::GetGroupTree, request, PrintTree);
  });
}

}  // namespace

void AddAccountCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* accounts = app.add_subcommand("accounts", "Customer accounts and group customers");
  accounts->require_subcommand(1);
  AddCreateAccount(*accounts, options, action);
  AddGetAccount(*accounts, options, action);
  AddListAccounts(*accounts, options, action);
  AddUpdateAccount(*accounts, options, action);
  AddArchiveAccount(*accounts, options, action);
  AddGroupTree(*accounts, options, action);
  AddAccountControlCommands(*accounts, options, action);
  AddCustomer360Command(*accounts, options, action);
}

}  // namespace kam::kamctl
