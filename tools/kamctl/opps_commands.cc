#include "tools/kamctl/opps_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/kamctl/field_flags.h"
#include "tools/kamctl/printers.h"
#include "tools/kamctl/service_calls.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::accounts::v1;
using Stub = AccountStub;

std::vector<FieldFlags::Spec> OpportunitySpecs(bool create) {
  return {{"--name", "name", "what is being sold", create},
          {"--amount", "amount", "expected contract value, CNY"},
          {"--expected-close", "expected_close_time", "expected closing day"},
          {"--needs", "needs", "the customer's needs (需求)"},
          {"--budget", "budget", "the customer's budget, CNY"},
          {"--timetable", "timetable", "the customer's timetable"},
          {"--competition", "competition", "competitors in the deal"},
          {"--decision-makers", "decision_makers", "who decides"}};
}

// What each stage needs before the opportunity may leave it (needs, budget and timetable are
// the key node of customer development).
const std::vector<FieldFlags::Spec>& KeyNodeSpecs() {
  static const auto* specs = new std::vector<FieldFlags::Spec>{
      {"--presales-approval", "presales_approval",
       "project initiation: who approved pre-sales, the reference"},
      {"--relationship-progress", "relationship_progress",
       "proposal: how the customer relationship advanced"},
      {"--bid-submitted", "bid_submit_time", "bidding: when the bid was submitted"},
      {"--contract", "contract_id", "commercial negotiation: id of the signed contract"},
      {"--accepted", "acceptance_time", "implementation: customer acceptance, project closed"},
  };
  return *specs;
}

struct OpportunityFields {
  OpportunityFields(CLI::App* command, bool create)
      : fields(command, v1::Opportunity::descriptor(), OpportunitySpecs(create)),
        key_nodes(command, v1::Opportunity::descriptor(), KeyNodeSpecs(), "Key nodes") {}

  std::vector<std::string> Apply(v1::Opportunity* opportunity) const {
    std::vector<std::string> paths = fields.Apply(opportunity);
    for (std::string& path : key_nodes.Apply(opportunity)) paths.push_back(std::move(path));
    return paths;
  }

  FieldFlags fields;
  FieldFlags key_nodes;
};

std::string StageLabel(int stage) { return EnumLabel(v1::Stage_descriptor(), stage); }

std::string MoneyOrEmpty(bool present, const v1::Money& money) {
  return present ? Amount(money) : "";
}

void PrintOpportunity(const v1::Opportunity& o) {
  PrintFields({{"id", std::to_string(o.id())},
               {"account", std::to_string(o.account_id())},
               {"name", o.name()},
               {"owner", o.owner_id()},
               {"stage", StageLabel(o.stage())},
               {"probability", absl::StrCat(o.probability_percent(), "%")},
               {"amount", MoneyOrEmpty(o.has_amount(), o.amount())},
               {"expected close", FormatTime(o.expected_close_time())},
               {"account tier", EnumLabel(v1::Tier_descriptor(), o.account_tier())},
               {"needs", o.needs()},
               {"budget", MoneyOrEmpty(o.has_budget(), o.budget())},
               {"timetable", o.timetable()},
               {"competition", o.competition()},
               {"decision makers", o.decision_makers()},
               {"presales approval", o.presales_approval()},
               {"relationship progress", o.relationship_progress()},
               {"bid submitted", FormatTime(o.bid_submit_time())},
               {"contract", IdText(o.contract_id())},
               {"accepted", FormatTime(o.acceptance_time())},
               {"lost reason", o.lost_reason()},
               {"closed", FormatTime(o.close_time())},
               {"created", FormatTime(o.create_time())},
               {"updated", FormatTime(o.update_time())},
               {"etag", o.etag()}});
}

void PrintOpportunities(const v1::ListOpportunitiesResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Opportunity& o : response.opportunities()) {
    rows.push_back({std::to_string(o.id()), std::to_string(o.account_id()), o.name(),
                    StageLabel(o.stage()), absl::StrCat(o.probability_percent(), "%"),
                    MoneyOrEmpty(o.has_amount(), o.amount()), FormatDay(o.expected_close_time()),
                    o.owner_id(), o.etag()});
  }
  PrintTable({"ID", "ACCOUNT", "NAME", "STAGE", "PROB", "AMOUNT", "CLOSE BY", "OWNER", "ETAG"},
             rows);
  PrintNextPage(response.next_page_token());
}

void PrintStageChanges(const v1::ListStageChangesResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::StageChange& c : response.changes()) {
    rows.push_back(
        {FormatTime(c.change_time()),
         c.from_stage() == v1::STAGE_UNSPECIFIED ? "(created)" : StageLabel(c.from_stage()),
         StageLabel(c.to_stage()), c.actor(), c.reason()});
  }
  PrintTable({"TIME", "FROM", "TO", "BY", "REASON"}, rows);
}

void PrintPipeline(const v1::GetPipelineSummaryResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::StageTotal& t : response.stages()) {
    rows.push_back({StageLabel(t.stage()), std::to_string(t.opportunities()), Amount(t.amount()),
                    Amount(t.weighted_amount())});
  }
  rows.push_back(
      {"open total", "", Amount(response.open_amount()), Amount(response.weighted_amount())});
  PrintTable({"STAGE", "OPPS", "AMOUNT", "WEIGHTED"}, rows);
  std::cout << "won: " << response.won() << ", lost: " << response.lost() << '\n';
  if (response.partial()) {
    PrintWarning("partial: only the group's accounts you may see are counted");
  }
}

void AddCreate(CLI::App& opps, const Options& options, Action* action) {
  CLI::App* command = opps.add_subcommand(
      "create", "Open an opportunity with an account (it starts in customer_development)");
  struct Flags {
    explicit Flags(CLI::App* command) : fields(command, /*create=*/true) {}
    OpportunityFields fields;
    int64_t account = 0;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>(command);
  AddIdOption(command, "account", &flags->account, "account id");
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::CreateOpportunityRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    flags->fields.Apply(request.mutable_opportunity());
    request.mutable_opportunity()->set_account_id(flags->account);
    return Mutate(options, &Stub::CreateOpportunity, request,
                  [](const auto& r) { PrintOpportunity(r.opportunity()); });
  });
}

void AddGet(CLI::App& opps, const Options& options, Action* action) {
  CLI::App* command = opps.add_subcommand("get", "Show one opportunity");
  auto id = std::make_shared<int64_t>();
  AddIdOption(command, "id", id.get(), "opportunity id");
  OnRun(command, action, [&options, id] {
    v1::GetOpportunityRequest request;
    request.set_opportunity_id(*id);
    return Query(options, &Stub::GetOpportunity, request,
                 [](const auto& r) { PrintOpportunity(r.opportunity()); });
  });
}

void AddList(CLI::App& opps, const Options& options, Action* action) {
  CLI::App* command = opps.add_subcommand("list", "List the opportunities you may see");
  struct Flags {
    std::string owner, stage;
    int64_t account = 0;
    bool open = false;
    PageFlags page;
  };
  auto flags = std::make_shared<Flags>();
  command->add_option("--owner", flags->owner, "only this manager's");
  command->add_option("--account", flags->account, "only this account's")->check(PositiveNumber());
  command->add_option("--stage", flags->stage, "only in this stage")
      ->check(EnumValidator(v1::Stage_descriptor()));
  command->add_flag("--open", flags->open, "leave out won and lost ones");
  AddPageFlags(command, &flags->page, "opportunities");
  OnRun(command, action, [&options, flags] {
    v1::ListOpportunitiesRequest request;
    request.set_owner_id(flags->owner);
    request.set_account_id(flags->account);
    if (!flags->stage.empty()) {
      request.set_stage(EnumOf<v1::Stage>(v1::Stage_descriptor(), flags->stage));
    }
    request.set_open_only(flags->open);
    return QueryPages(options, &Stub::ListOpportunities, request, flags->page, PrintOpportunities);
  });
}

void AddUpdate(CLI::App& opps, const Options& options, Action* action) {
  CLI::App* command = opps.add_subcommand(
      "update", "Change the fields given, key nodes included (from the version --etag names)");
  struct Flags {
    explicit Flags(CLI::App* command) : fields(command, /*create=*/false) {}
    OpportunityFields fields;
    int64_t id = 0;
    std::string etag, request_id;
  };
  auto flags = std::make_shared<Flags>(command);
  AddIdOption(command, "id", &flags->id, "opportunity id");
  command->add_option("--etag", flags->etag, "etag of the version you read (opps get)")->required();
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::UpdateOpportunityRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    request.mutable_opportunity()->set_id(flags->id);
    for (auto& path : flags->fields.Apply(request.mutable_opportunity())) {
      request.mutable_update_mask()->add_paths(std::move(path));
    }
    if (request.update_mask().paths().empty()) {
      return UsageError("nothing to update: give at least one of " + flags->fields.fields.Names() +
                        ", " + flags->fields.key_nodes.Names());
    }
    request.set_etag(flags->etag);
    return Mutate(options, &Stub::UpdateOpportunity, request,
                  [](const auto& r) { PrintOpportunity(r.opportunity()); });
  });
}

void AddMove(CLI::App& opps, const Options& options, Action* action) {
  CLI::App* command = opps.add_subcommand(
      "move",
      "Move to another stage: forward one at a time once the key node is recorded, back or to "
      "lost with --reason");
  struct Flags {
    int64_t id = 0;
    std::string stage, etag, reason, request_id;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "id", &flags->id, "opportunity id");
  command->add_option("--to", flags->stage, "the stage to move to")
      ->required()
      ->check(EnumValidator(v1::Stage_descriptor()));
  command->add_option("--etag", flags->etag, "etag of the version you read (opps get)")->required();
  command->add_option("--reason", flags->reason, "why; required to move back or to lost");
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::MoveOpportunityRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    request.set_opportunity_id(flags->id);
    request.set_to_stage(EnumOf<v1::Stage>(v1::Stage_descriptor(), flags->stage));
    request.set_etag(flags->etag);
    request.set_reason(flags->reason);
    return Mutate(options, &Stub::MoveOpportunity, request,
                  [](const auto& r) { PrintOpportunity(r.opportunity()); });
  });
}

void AddHistory(CLI::App& opps, const Options& options, Action* action) {
  CLI::App* command = opps.add_subcommand("history", "Every stage change, oldest first");
  auto id = std::make_shared<int64_t>();
  AddIdOption(command, "id", id.get(), "opportunity id");
  OnRun(command, action, [&options, id] {
    v1::ListStageChangesRequest request;
    request.set_opportunity_id(*id);
    return Query(options, &Stub::ListStageChanges, request, PrintStageChanges);
  });
}

void AddSummary(CLI::App& opps, const Options& options, Action* action) {
  CLI::App* command = opps.add_subcommand(
      "summary", "Open pipeline per stage, plain and weighted, of an owner, account or group");
  struct Flags {
    std::string owner;
    int64_t account = 0;
    int64_t group = 0;
  };
  auto flags = std::make_shared<Flags>();
  CLI::Option* owner = command->add_option("--owner", flags->owner, "a manager's opportunities");
  CLI::Option* account =
      command->add_option("--account", flags->account, "an account's")->check(PositiveNumber());
  CLI::Option* group =
      command->add_option("--group", flags->group, "a group's: the account and its subsidiaries")
          ->check(PositiveNumber());
  owner->excludes(account)->excludes(group);
  account->excludes(group);
  OnRun(command, action, [&options, flags, owner, account, group] {
    v1::GetPipelineSummaryRequest request;
    if (owner->count() > 0) request.set_owner_id(flags->owner);
    if (account->count() > 0) request.set_account_id(flags->account);
    if (group->count() > 0) request.set_group_id(flags->group);
    if (request.scope_case() == v1::GetPipelineSummaryRequest::SCOPE_NOT_SET) {
      return UsageError("give one of --owner, --account or --group");
    }
    return Query(options, &Stub::GetPipelineSummary, request, PrintPipeline);
  });
}

}  // namespace

void AddOpportunityCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* opps =
      app.add_subcommand("opps", "Opportunities through the six-stage pipeline, won or lost");
  opps->require_subcommand(1);
  AddCreate(*opps, options, action);
  AddGet(*opps, options, action);
  AddList(*opps, options, action);
  AddUpdate(*opps, options, action);
  AddMove(*opps, options, action);
  AddHistory(*opps, options, action);
  AddSummary(*opps, options, action);
}

}  // namespace kam::kamctl
