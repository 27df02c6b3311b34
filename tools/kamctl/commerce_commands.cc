#include "tools/kamctl/commerce_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "tools/kamctl/field_flags.h"
#include "tools/kamctl/import.h"
#include "tools/kamctl/printers.h"
#include "tools/kamctl/service_calls.h"
#include "tools/kamctl/values.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::accounts::v1;
using Stub = AccountStub;

void PrintContract(const v1::Contract& c) {
  PrintFields({{"id", std::to_string(c.id())},
               {"account", std::to_string(c.account_id())},
               {"number", c.number()},
               {"value", Amount(c.value())},
               {"start", FormatTime(c.start_time())},
               {"end", FormatTime(c.end_time())},
               {"signed", c.has_sign_time() ? FormatTime(c.sign_time()) : "no (draft)"},
               {"opportunity", IdText(c.opportunity_id())},
               {"created", FormatTime(c.create_time())}});
}

void PrintContracts(const v1::ListContractsResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Contract& c : response.contracts()) {
    rows.push_back({std::to_string(c.id()), c.number(), Amount(c.value()),
                    FormatDay(c.start_time()), FormatDay(c.end_time()),
                    c.has_sign_time() ? FormatDay(c.sign_time()) : "draft",
                    IdText(c.opportunity_id())});
  }
  PrintTable({"ID", "NUMBER", "VALUE", "START", "END", "SIGNED", "OPPORTUNITY"}, rows);
  PrintNextPage(response.next_page_token());
}

void PrintOrder(const v1::Order& o) {
  PrintFields({{"id", std::to_string(o.id())},
               {"account", std::to_string(o.account_id())},
               {"external id", o.external_id()},
               {"contract", IdText(o.contract_id())},
               {"placed", FormatTime(o.order_time())},
               {"revenue", Amount(o.revenue())},
               {"cost", Amount(o.cost())},
               {"credit override", IdText(o.credit_override_id())},
               {"created", FormatTime(o.create_time())}});
  std::vector<std::vector<std::string>> rows;
  for (const v1::OrderLine& l : o.lines()) {
    rows.push_back({l.product_code(), l.product_category(), std::to_string(l.quantity()),
                    Amount(l.revenue()), Amount(l.cost())});
  }
  PrintTable({"PRODUCT", "CATEGORY", "QUANTITY", "REVENUE", "COST"}, rows);
}

void PrintOrders(const v1::ListOrdersResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Order& o : response.orders()) {
    rows.push_back({std::to_string(o.id()), o.external_id(), FormatTime(o.order_time()),
                    std::to_string(o.lines_size()), Amount(o.revenue()), Amount(o.cost()),
                    IdText(o.contract_id()), IdText(o.credit_override_id())});
  }
  PrintTable({"ID", "EXTERNAL ID", "PLACED", "LINES", "REVENUE", "COST", "CONTRACT", "OVERRIDE"},
             rows);
  PrintNextPage(response.next_page_token());
}

void PrintPayment(const v1::Payment& p) {
  PrintFields({{"id", std::to_string(p.id())},
               {"account", std::to_string(p.account_id())},
               {"external id", p.external_id()},
               {"amount", Amount(p.amount())},
               {"paid", FormatTime(p.pay_time())},
               {"order", IdText(p.order_id())},
               {"created", FormatTime(p.create_time())}});
}

void PrintPayments(const v1::ListPaymentsResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Payment& p : response.payments()) {
    rows.push_back({std::to_string(p.id()), p.external_id(), FormatTime(p.pay_time()),
                    Amount(p.amount()), IdText(p.order_id())});
  }
  PrintTable({"ID", "EXTERNAL ID", "PAID", "AMOUNT", "ORDER"}, rows);
  PrintNextPage(response.next_page_token());
}

// Prints the outcome of every item and the counts; exit 1 when any item was not applied.
template <typename Response>
int ShowImport(const Options& options, const Response& response) {
  if (options.json) {
    PrintJson(response);
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const v1::ImportResult& r : response.results()) {
      rows.push_back({std::to_string(r.index()), r.external_id(), ImportOutcome(r.code()),
                      IdText(r.id()), r.message()});
    }
    PrintTable({"#", "EXTERNAL ID", "RESULT", "ID", "MESSAGE"}, rows);
    std::cout << "accepted: " << response.accepted() << ", duplicates: " << response.duplicates()
              << ", rejected: " << response.rejected() << '\n';
  }
  int not_applied = 0;
  for (const v1::ImportResult& r : response.results()) not_applied += IsApplied(r.code()) ? 0 : 1;
  if (not_applied == 0) return kExitOk;
  PrintWarning(std::to_string(not_applied) +
               " item(s) not applied; correct them and import the file again (items already "
               "recorded come back as duplicates and change nothing)");
  return kExitRpcError;
}

// Reads the items of `path` and imports them in batches of kImportBatchSize; the results
// count indexes from the start of the file. Items are idempotent on their external id, so
// after a failed call the whole file can be sent again.
template <typename Item, typename Request, typename Response>
int Import(const Options& options, AccountMethod<Request, Response> method, const std::string& path,
           google::protobuf::RepeatedPtrField<Item>* (Request::*mutable_items)()) {
  absl::StatusOr<std::string> text = ReadInput(path);
  if (!text.ok()) return UsageError(std::string(text.status().message()));
  std::vector<Item> items;
  const absl::Status parsed = ParseJsonArray(*text, [&items] { return &items.emplace_back(); });
  if (!parsed.ok()) return UsageError(path + ": " + std::string(parsed.message()));
  if (items.empty()) return UsageError(path + ": no items to import");
  Response total;
  for (size_t start = 0; start < items.size(); start += kImportBatchSize) {
    Request request;
    const size_t end = std::min(items.size(), start + kImportBatchSize);
    for (size_t i = start; i < end; ++i) *(request.*mutable_items)()->Add() = items[i];
    Response batch;
    const grpc::Status status = Call(options, *NewAccountStub(options), method, request, &batch);
    if (!status.ok()) {
      if (start > 0) std::cerr << "items 0-" << start - 1 << " were sent before the error\n";
      return ReportRpcError(status);
    }
    for (v1::ImportResult& r : *batch.mutable_results()) r.set_index(r.index() + start);
    total.mutable_results()->MergeFrom(batch.results());
    total.set_accepted(total.accepted() + batch.accepted());
    total.set_duplicates(total.duplicates() + batch.duplicates());
    total.set_rejected(total.rejected() + batch.rejected());
  }
  return ShowImport(options, total);
}

void AddImport(CLI::App& parent, const char* what, Action* action,
               std::function<int(const std::string&)> run) {
  CLI::App* command = parent.add_subcommand(
      "import", std::string("Import ") + what +
                    " from a JSON array in the proto JSON form (system callers); exit 1 when "
                    "any is rejected");
  auto path = std::make_shared<std::string>();
  command->add_option("file", *path, "the file, or - for standard input")->required();
  OnRun(command, action, [path, run] { return run(*path); });
}

void AddCreateContract(CLI::App& contracts, const Options& options, Action* action) {
  CLI::App* command = contracts.add_subcommand("create", "Draft a contract with an account");
  struct Flags {
    explicit Flags(CLI::App* command)
        : fields(command, v1::Contract::descriptor(),
                 {{"--number", "number", "the contract number, unique", true},
                  {"--value", "value", "total value, CNY", true},
                  {"--start", "start_time", "start of the term", true},
                  {"--end", "end_time", "end of the term", true},
                  {"--opportunity", "opportunity_id", "the opportunity it comes from"}}) {}
    FieldFlags fields;
    int64_t account = 0;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>(command);
  AddIdOption(command, "account", &flags->account, "account id");
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::CreateContractRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    flags->fields.Apply(request.mutable_contract());
    request.mutable_contract()->set_account_id(flags->account);
    return Mutate(options, &Stub::CreateContract, request,
                  [](const auto& r) { PrintContract(r.contract()); });
  });
}

void AddSignContract(CLI::App& contracts, const Options& options, Action* action) {
  CLI::App* command = contracts.add_subcommand("sign", "Record that a contract was signed");
  struct Flags {
    int64_t id = 0;
    std::string at, request_id;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "id", &flags->id, "contract id");
  command->add_option("--at", flags->at, "when it was signed (not in the future)")
      ->required()
      ->check(TimeValidator());
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::SignContractRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    request.set_contract_id(flags->id);
    *request.mutable_sign_time() = ToTimestamp(*ParseTime(flags->at));
    return Mutate(options, &Stub::SignContract, request,
                  [](const auto& r) { PrintContract(r.contract()); });
  });
}

// `<command> <account>` with the page flags: the List calls of one account.
template <typename Request, typename Response, typename Print>
void AddAccountList(CLI::App& parent, const char* help, const char* items, const Options& options,
                    Action* action, AccountMethod<Request, Response> method, Print print) {
  CLI::App* command = parent.add_subcommand("list", help);
  struct Flags {
    int64_t account = 0;
    PageFlags page;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "account", &flags->account, "account id");
  AddPageFlags(command, &flags->page, items);
  OnRun(command, action, [&options, flags, method, print] {
    Request request;
    request.set_account_id(flags->account);
    return QueryPages(options, method, request, flags->page, print);
  });
}

void AddRecordOrder(CLI::App& orders, const Options& options, Action* action) {
  CLI::App* command = orders.add_subcommand(
      "record",
      "Record one order (refused past the credit limit or while supply is suspended, "
      "unless a director's override is in force)");
  struct Flags {
    explicit Flags(CLI::App* command)
        : fields(command, v1::Order::descriptor(),
                 {{"--external-id", "external_id", "the ERP's order id, unique", true},
                  {"--at", "order_time", "when it was placed", true},
                  {"--contract", "contract_id", "the contract it falls under"}}) {}
    FieldFlags fields;
    int64_t account = 0;
    std::vector<std::string> lines;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>(command);
  AddIdOption(command, "account", &flags->account, "account id");
  command
      ->add_option("--line", flags->lines,
                   "CODE,CATEGORY,QUANTITY,REVENUE,COST, e.g. P-100,steel pipe,20,1234.00,900.00 "
                   "(repeat for more lines)")
      ->required()
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            auto line = ParseOrderLine(text);
            return line.ok() ? "" : std::string(line.status().message());
          },
          "LINE"));
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::RecordOrderRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    v1::Order* order = request.mutable_order();
    flags->fields.Apply(order);
    order->set_account_id(flags->account);
    for (const std::string& line : flags->lines) *order->add_lines() = *ParseOrderLine(line);
    return Mutate(options, &Stub::RecordOrder, request,
                  [](const auto& r) { PrintOrder(r.order()); });
  });
}

void AddListOrders(CLI::App& orders, const Options& options, Action* action) {
  CLI::App* command = orders.add_subcommand("list", "An account's orders, newest first");
  struct Flags {
    int64_t account = 0;
    std::string from, to;
    PageFlags page;
  };
  auto flags = std::make_shared<Flags>();
  AddIdOption(command, "account", &flags->account, "account id");
  CLI::Option* from =
      command->add_option("--from", flags->from, "only orders placed from")->check(TimeValidator());
  CLI::Option* to = command->add_option("--to", flags->to, "only orders placed before (excluded)")
                        ->check(TimeValidator());
  from->needs(to);
  to->needs(from);
  AddPageFlags(command, &flags->page, "orders");
  OnRun(command, action, [&options, flags] {
    v1::ListOrdersRequest request;
    request.set_account_id(flags->account);
    if (!flags->from.empty()) {
      *request.mutable_period()->mutable_start_time() = ToTimestamp(*ParseTime(flags->from));
      *request.mutable_period()->mutable_end_time() = ToTimestamp(*ParseTime(flags->to));
    }
    return QueryPages(options, &Stub::ListOrders, request, flags->page, PrintOrders);
  });
}

void AddRecordPayment(CLI::App& payments, const Options& options, Action* action) {
  CLI::App* command = payments.add_subcommand("record", "Record one payment received");
  struct Flags {
    explicit Flags(CLI::App* command)
        : fields(command, v1::Payment::descriptor(),
                 {{"--external-id", "external_id", "the ERP's payment id, unique", true},
                  {"--amount", "amount", "amount received, CNY", true},
                  {"--at", "pay_time", "when it was paid", true},
                  {"--order", "order_id", "the order it settles"}}) {}
    FieldFlags fields;
    int64_t account = 0;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>(command);
  AddIdOption(command, "account", &flags->account, "account id");
  AddRequestIdFlag(command, &flags->request_id);
  OnRun(command, action, [&options, flags] {
    v1::RecordPaymentRequest request;
    request.set_request_id(RequestIdOrNew(flags->request_id));
    flags->fields.Apply(request.mutable_payment());
    request.mutable_payment()->set_account_id(flags->account);
    return Mutate(options, &Stub::RecordPayment, request,
                  [](const auto& r) { PrintPayment(r.payment()); });
  });
}

}  // namespace

void AddContractCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* contracts = app.add_subcommand("contracts", "Contracts with an account");
  contracts->require_subcommand(1);
  AddCreateContract(*contracts, options, action);
  AddSignContract(*contracts, options, action);
  AddAccountList(*contracts, "An account's contracts", "contracts", options, action,
                 &Stub::ListContracts, PrintContracts);
}

void AddOrderCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* orders = app.add_subcommand("orders", "Orders with their lines");
  orders->require_subcommand(1);
  AddRecordOrder(*orders, options, action);
  AddImport(*orders, "orders", action, [&options](const std::string& path) {
    return Import(options, &Stub::ImportOrders, path, &v1::ImportOrdersRequest::mutable_orders);
  });
  AddListOrders(*orders, options, action);
}

void AddPaymentCommands(CLI::App& app, const Options& options, Action* action) {
  CLI::App* payments = app.add_subcommand("payments", "Payments received");
  payments->require_subcommand(1);
  AddRecordPayment(*payments, options, action);
  AddImport(*payments, "payments", action, [&options](const std::string& path) {
    return Import(options, &Stub::ImportPayments, path,
                  &v1::ImportPaymentsRequest::mutable_payments);
  });
  AddAccountList(*payments, "An account's payments, newest first", "payments", options, action,
                 &Stub::ListPayments, PrintPayments);
}

}  // namespace kam::kamctl
