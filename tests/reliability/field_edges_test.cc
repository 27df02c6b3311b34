// Field edge cases (RELIABILITY.md "Field edge cases"): every string and enum field of every
// write method of accounts, complaints and analytics, found through the descriptors and sent
// through the gateway with hostile values; server-owned fields and bad field masks; LIKE
// wildcards and SQL injection in the filters. Runs against the sanitized services.
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/reliability/field_edges_world.h"
#include "tests/reliability/field_reflection.h"
#include "tests/reliability/scenario_report.h"
#include "tests/reliability/stack_checks.h"

namespace kam::reliability {
namespace {

namespace v1 = kam::accounts::v1;
namespace cv1 = kam::complaints::v1;
using e2e::Caller;

// What CreateComplaintRequest takes of a complaint; the rest is the server's.
const std::set<std::string> kComplaintInputs = {"account_id", "contact_id",  "channel",
                                                "category",   "subcategory", "description",
                                                "severity",   "manner"};

constexpr char kServices[][40] = {"kam.accounts.v1.AccountService",
                                  "kam.complaints.v1.ComplaintService",
                                  "kam.analytics.v1.AnalyticsService"};
// Longer than any column and any documented limit, when no column has the field's name.
constexpr size_t kBeyondAnyColumn = 70000;
// What an error message must never show a client: SQL, the driver, schema names, code.
constexpr const char* kInternals[] = {"SQL",      "sql",         "SELECT ",    "INSERT ",
                                      "MariaDB",  "MySQL",       "mysql",      "errno",
                                      "Data too", "Incorrect ",  "Duplicate ", "constraint",
                                      "kam_",     "std::",       ".cc:",       "exception"};
// Codes no client value may provoke: they say the service broke, not the request.
const std::set<grpc::StatusCode> kBrokenCodes = {
    grpc::StatusCode::INTERNAL,      grpc::StatusCode::UNKNOWN,
    grpc::StatusCode::UNAVAILABLE,   grpc::StatusCode::DEADLINE_EXCEEDED,
    grpc::StatusCode::UNIMPLEMENTED, grpc::StatusCode::DATA_LOSS,
    grpc::StatusCode::RESOURCE_EXHAUSTED};

std::string Describe(const grpc::Status& status) {
  return absl::StrCat(e2e::CodeName(status.error_code()), ": ", status.error_message());
}

const pb::MethodDescriptor* FindMethod(const std::string& service, const std::string& name) {
  const pb::ServiceDescriptor* descriptor =
      pb::DescriptorPool::generated_pool()->FindServiceByName(service);
  return descriptor == nullptr ? nullptr : descriptor->FindMethodByName(name);
}

std::string SchemaOf(const std::string& service) {
  if (absl::StrContains(service, "complaints")) return "kam_complaints";
  if (absl::StrContains(service, "analytics")) return "kam_analytics";
  return "kam_accounts";
}

// A refusal a client can act on: no code that says the service broke, no internals in the
// message, and an INVALID_ARGUMENT names `field`. Empty when acceptable, else why not.
std::string RefusalProblem(const grpc::Status& status, const std::string& field) {
  if (kBrokenCodes.count(status.error_code()) != 0) return "a code of a broken service";
  for (const char* internal : kInternals) {
    if (absl::StrContains(status.error_message(), internal)) {
      return absl::StrCat("the message shows internals (\"", internal, "\")");
    }
  }
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
      !absl::StrContains(status.error_message(), field)) {
    return absl::StrCat("INVALID_ARGUMENT does not name ", field);
  }
  return "";
}

// One hostile value for a string field.
struct Variant {
  std::string name;
  bool injection;  // SQL or LIKE syntax: a refusal must leave every table as it was
};
const std::vector<Variant> kVariants = {{"empty", false},       {"over_length", false},
                                        {"emoji", false},       {"nul", false},
                                        {"sql_injection", true}, {"like_wildcards", true}};

class FieldEdgeTest : public e2e::E2eTest {
 protected:
  static void SetUpTestSuite() {
    world_ = std::make_unique<FieldEdgeWorld>(GoodMint());
    server_owned_ = DocumentedOutputOnly(absl::StrCat(KAM_SOURCE_DIR, "/protos"));
    // "Output only: sums of the lines." stands above Order.revenue and Order.cost.
    server_owned_.insert("kam.accounts.v1.Order.cost");
    // CreateComplaintRequest: "Other fields are output only and ignored."
    const pb::Descriptor& complaint = *cv1::Complaint::descriptor();
    for (int i = 0; i < complaint.field_count(); ++i) {
      if (kComplaintInputs.count(complaint.field(i)->name()) == 0) {
        server_owned_.insert(complaint.field(i)->full_name());
      }
    }
    column_lengths_ = ColumnLengths();
  }
  static void TearDownTestSuite() { world_.reset(); }

  // (schema, column) -> the longest CHARACTER_MAXIMUM_LENGTH of columns of that name.
  static std::map<std::pair<std::string, std::string>, size_t> ColumnLengths() {
    std::map<std::pair<std::string, std::string>, size_t> lengths;
    absl::StatusOr<std::string> rows = stack().db().QueryAsRoot(
        "SELECT table_schema, column_name, MAX(character_maximum_length) "
        "FROM information_schema.columns WHERE table_schema LIKE 'kam\\_%' "
        "AND character_maximum_length IS NOT NULL GROUP BY table_schema, column_name");
    EXPECT_TRUE(rows.ok()) << rows.status();
    for (absl::string_view line : absl::StrSplit(rows.value_or(""), '\n', absl::SkipEmpty())) {
      std::vector<std::string> cells = absl::StrSplit(line, '\t');
      if (cells.size() == 3) lengths[{cells[0], cells[1]}] = std::stoull(cells[2]);
    }
    return lengths;
  }

  // The value of `variant` for a field; unique per call where the value is stored.
  static std::string ValueOf(const Variant& variant, const std::string& schema,
                             const std::string& field) {
    const std::string tag = world_->NewId("");
    if (variant.name == "empty") return "";
    if (variant.name == "emoji") return absl::StrCat("fe\xF0\x9F\x98\x80\xF0\x9D\x84\x9E汉字", tag);
    if (variant.name == "nul") return absl::StrCat(std::string("fe\0x", 4), tag);
    if (variant.name == "sql_injection") {
      return absl::StrCat("fe' OR '1'='1'; DROP TABLE accounts; -- \" OR 1=1 #", tag);
    }
    if (variant.name == "like_wildcards") return absl::StrCat("fe%_\\%", tag);
    auto column = column_lengths_.find({schema, field});
    const size_t length =
        column == column_lengths_.end() ? kBeyondAnyColumn : std::min(column->second + 1,
                                                                       kBeyondAnyColumn);
    return std::string(length, 'x');
  }

  // Exact row counts of the tables a refused write must not touch: every table of
  // kam_accounts and the tables complaints and analytics write only on request.
  static std::string WatchedCounts() {
    static const std::string sql = [] {
      absl::StatusOr<std::string> tables = stack().db().QueryAsRoot(
          "SELECT CONCAT(table_schema, '.', table_name) FROM information_schema.tables "
          "WHERE (table_schema = 'kam_accounts' AND table_name NOT IN ('idempotency_keys')) "
          "OR CONCAT(table_schema, '.', table_name) IN ('kam_complaints.complaints', "
          "'kam_complaints.departments', 'kam_complaints.department_categories', "
          "'kam_analytics.inventory_snapshots', 'kam_analytics.account_targets', "
          "'kam_analytics.tier_reviews') ORDER BY 1");
      std::vector<std::string> counts;
      for (absl::string_view table : absl::StrSplit(tables.value_or(""), '\n', absl::SkipEmpty())) {
        counts.push_back(absl::StrCat("SELECT '", table, "', COUNT(*) FROM ", table));
      }
      return absl::StrJoin(counts, " UNION ALL ");
    }();
    return stack().db().QueryAsRoot(sql).value_or("unreadable");
  }

  // Calls the method with `request` as its role, recorded in `report`. An accepted call
  // uses up the records its base request named; an import's first item result stands for
  // the call (the RPC itself succeeds with rejected items).
  static grpc::Status Send(ScenarioReport& report, const WriteMethod& method,
                           const pb::Message& request, std::unique_ptr<pb::Message>* response) {
    const pb::MethodDescriptor* descriptor = FindMethod(method.service, method.name);
    *response = NewResponse(*descriptor);
    const Caller caller = world_->CallerFor(method.role);
    const std::string id = world_->NewId("fe-call");
    grpc::Status status = report.Timed(id, method.name, [&] {
      return CallAny(caller, *descriptor, request, response->get());
    });
    if (status.ok()) status = FirstImportResult(**response);
    if (status.ok() && !method.consumes.empty()) world_->Spend(method.consumes);
    return status;
  }

  static grpc::Status FirstImportResult(const pb::Message& response) {
    const auto* orders = dynamic_cast<const v1::ImportOrdersResponse*>(&response);
    const auto* payments = dynamic_cast<const v1::ImportPaymentsResponse*>(&response);
    const v1::ImportResult* result = nullptr;
    if (orders != nullptr && orders->results_size() > 0) result = &orders->results(0);
    if (payments != nullptr && payments->results_size() > 0) result = &payments->results(0);
    if (result == nullptr || result->code() == 0) return grpc::Status::OK;
    return grpc::Status(static_cast<grpc::StatusCode>(result->code()), result->message());
  }

  // After an accepted write of `sent` at `path`: the response and a read of the record
  // must hold it byte for byte. Empty when they do, else what differed.
  static std::string RoundTripProblem(const FieldPath& path, const std::string& sent,
                                      const pb::Message& response, int* read_back) {
    std::optional<Echo> echo = EchoIn(path, response);
    if (!echo) return "";
    std::optional<std::string> echoed = GetString(*echo->message, echo->rest);
    if (echoed && *echoed != sent) return "the response holds another value";
    std::unique_ptr<pb::Message> read = world_->ReadBack(*echo->message);
    if (read == nullptr) return "";
    ++*read_back;
    std::optional<std::string> stored = GetString(*read, echo->rest);
    if (stored && *stored != sent) return "a read returns another value";
    return "";
  }

  // Update masks with an unknown path, a path into a scalar, an empty path and each
  // server-owned path of the record: INVALID_ARGUMENT naming update_mask, record unchanged.
  static void CheckBadMasks(ScenarioReport& report, const WriteMethod& method) {
    const std::unique_ptr<pb::Message> sample = method.base();
    const pb::FieldDescriptor* mask_field =
        sample->GetDescriptor()->FindFieldByName("update_mask");
    if (mask_field == nullptr) return;
    std::vector<std::string> bad_paths = {"no_such_field", "name.no_such_field", "", "NAME"};
    for (const pb::Descriptor* record_type : RecordTypes(*sample->GetDescriptor())) {
      for (int j = 0; j < record_type->field_count(); ++j) {
        const pb::FieldDescriptor& field = *record_type->field(j);
        if (server_owned_.count(field.full_name()) != 0 || field.name() == "etag") {
          bad_paths.push_back(field.name());
        }
      }
    }
    for (const std::string& bad : bad_paths) {
      std::unique_ptr<pb::Message> request = method.base();
      auto& mask = dynamic_cast<pb::FieldMask&>(
          *request->GetReflection()->MutableMessage(request.get(), mask_field));
      mask.add_paths(bad);
      const std::string before = WatchedCounts();
      std::unique_ptr<pb::Message> response;
      const grpc::Status status = Send(report, method, *request, &response);
      const std::string name = absl::StrCat(method.name, ".update_mask.\"", bad, "\"");
      report.Check(name, status.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
                             RefusalProblem(status, "update_mask").empty(),
                   Describe(status));
      report.Check(name + ".no_effect", WatchedCounts() == before, "the refused update wrote");
    }
  }

  // The types of the records a request carries (its singular message fields but the mask).
  static std::vector<const pb::Descriptor*> RecordTypes(const pb::Descriptor& request) {
    std::vector<const pb::Descriptor*> types;
    for (int i = 0; i < request.field_count(); ++i) {
      const pb::Descriptor* type = request.field(i)->message_type();
      if (type != nullptr && !request.field(i)->is_repeated() &&
          !absl::StartsWith(type->full_name(), "google.protobuf.")) {
        types.push_back(type);
      }
    }
    return types;
  }

  // AIP-211 for ownership: a manager may create accounts only for themselves.
  static void CheckManagerCannotCreateForOthers(ScenarioReport& report) {
    v1::CreateAccountRequest request;
    request.set_request_id(world_->NewId("fe"));
    request.mutable_account()->set_name("FieldEdge someone else's");
    const std::string registration = world_->NewId("FE-OTHER");
    request.mutable_account()->set_registration_number(registration);
    request.mutable_account()->set_nature(v1::NATURE_ORDINARY_COMPANY);
    request.mutable_account()->set_owner_id("fe-someone-else");
    const Caller manager = world_->CallerFor({"account_manager", ""});
    const grpc::Status status = report.Timed(request.request_id(), "CreateAccount", [&] {
      return manager.Call(&v1::AccountService::Stub::CreateAccount, request);
    });
    report.Check("CreateAccount.owner_id.for_another_manager",
                 status.error_code() == grpc::StatusCode::PERMISSION_DENIED, Describe(status));
    const std::string stored =
        stack()
            .db()
            .QueryAsRoot(absl::StrCat("SELECT COUNT(*) FROM kam_accounts.accounts WHERE "
                                      "registration_number = '", registration, "'"))
            .value_or("?");
    report.Check("CreateAccount.owner_id.for_another_manager.not_stored", stored == "0\n", stored);
  }

  static int64_t CreateOwned(const std::string& name, const std::string& owner,
                             const std::string& tag) {
    v1::CreateAccountRequest request;
    request.set_request_id(world_->NewId("fe"));
    request.mutable_account()->set_name(name);
    request.mutable_account()->set_registration_number(world_->NewId("FE-L"));
    request.mutable_account()->set_nature(v1::NATURE_ORDINARY_COMPANY);
    request.mutable_account()->set_owner_id(owner);
    request.mutable_account()->add_tags(tag);
    v1::CreateAccountResponse response;
    EXPECT_THAT(world_->CallerFor({"director", ""})
                    .Call(&v1::AccountService::Stub::CreateAccount, request, &response),
                e2e::GrpcOk());
    return response.account().id();
  }

  // The ids ListAccounts returns to `caller` with `field` set to `value`; each account of an
  // owner other than `owner` counts in `leaked`. A refusal must be a clean INVALID_ARGUMENT.
  static std::vector<int64_t> Filtered(ScenarioReport& report, const Caller& caller,
                                       const std::string& field, const std::string& value,
                                       const std::string& owner, int* leaked) {
    v1::ListAccountsRequest request;
    request.set_page_size(500);
    const pb::FieldDescriptor* descriptor = request.GetDescriptor()->FindFieldByName(field);
    request.GetReflection()->SetString(&request, descriptor, value);
    v1::ListAccountsResponse response;
    const grpc::Status status = report.Timed(world_->NewId("fe-list"), "ListAccounts", [&] {
      return caller.Call(&v1::AccountService::Stub::ListAccounts, request, &response);
    });
    std::vector<int64_t> ids;
    if (!status.ok()) {
      const std::string problem = RefusalProblem(status, field);
      report.Check(absl::StrCat("ListAccounts.", field, ".refusal"), problem.empty(),
                   absl::StrCat(problem, " (", Describe(status), ")"));
      return ids;
    }
    for (const v1::Account& account : response.accounts()) {
      if (account.owner_id() != owner) ++*leaked;
      ids.push_back(account.id());
    }
    return ids;
  }

  static inline std::unique_ptr<FieldEdgeWorld> world_;
  static inline std::set<std::string> server_owned_;
  static inline std::map<std::pair<std::string, std::string>, size_t> column_lengths_;
};

// A field the server sets: documented as output only, or a record's etag (the version
// the server issues; a request's own etag field is input).
bool IsServerOwned(const std::set<std::string>& server_owned, const FieldPath& path) {
  for (const Step& step : path) {
    if (server_owned.count(step.field->full_name()) != 0) return true;
  }
  return path.size() > 1 && Leaf(path).name() == "etag";
}

// A field of an update request's record that its update_mask leaves out (and so the server
// ignores, as AIP-134 says).
bool OutsideMask(const pb::Message& request, const FieldPath& path) {
  const pb::FieldDescriptor* mask_field = request.GetDescriptor()->FindFieldByName("update_mask");
  if (mask_field == nullptr || path.size() < 2) return false;
  std::vector<std::string> names;
  for (size_t i = 1; i < path.size(); ++i) names.push_back(path[i].field->name());
  const std::string sub_path = absl::StrJoin(names, ".");
  const auto& mask = dynamic_cast<const pb::FieldMask&>(
      request.GetReflection()->GetMessage(request, mask_field));
  for (const std::string& covered : mask.paths()) {
    if (sub_path == covered || absl::StartsWith(sub_path, covered + ".")) return false;
  }
  return true;
}

// Every unary method of the three services that takes a request_id or may have side
// effects is in the table, and no method taking a request_id is marked NO_SIDE_EFFECTS
// (the gateway retries those on UNAVAILABLE).
TEST_F(FieldEdgeTest, TheTableCoversEveryWriteMethod) {
  ScenarioReport report("field_edges.write_method_table");
  std::set<std::string> in_table;
  for (const WriteMethod& method : world_->methods()) in_table.insert(method.name);
  int write_methods = 0;
  for (const char* service : kServices) {
    const pb::ServiceDescriptor* descriptor =
        pb::DescriptorPool::generated_pool()->FindServiceByName(service);
    ASSERT_NE(descriptor, nullptr) << service;
    for (int i = 0; i < descriptor->method_count(); ++i) {
      const pb::MethodDescriptor& method = *descriptor->method(i);
      const bool takes_request_id =
          method.input_type()->FindFieldByName("request_id") != nullptr;
      const bool read_only =
          method.options().idempotency_level() == pb::MethodOptions::NO_SIDE_EFFECTS;
      if (method.server_streaming() || (read_only && !takes_request_id)) continue;
      ++write_methods;
      report.Check(absl::StrCat(method.name(), ".in_table"), in_table.count(method.name()) == 1,
                   "no base request for this write method");
      report.Check(absl::StrCat(method.name(), ".not_marked_read_only"), !read_only,
                   "takes a request_id but is marked NO_SIDE_EFFECTS");
    }
  }
  report.Figure("write_methods", write_methods);
  report.Figure("table_rows", static_cast<double>(world_->methods().size()));
  report.Check("table_has_no_strangers", static_cast<int>(in_table.size()) == write_methods,
               absl::StrCat(in_table.size(), " rows for ", write_methods, " write methods"));
  GateCrashes(report);
  report.Finish();
}

// Each string field of each write method, with each hostile value: refused as
// INVALID_ARGUMENT naming the field (no internals), or accepted and then stored byte for
// byte; an injection string that is refused leaves every watched table as it was.
TEST_F(FieldEdgeTest, StringFieldsOfEveryWriteMethod) {
  ScenarioReport report("field_edges.string_fields");
  const std::string tables_before = stack().db().QueryAsRoot(
      "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema LIKE 'kam\\_%'").value_or("");
  int cases = 0, accepted = 0, refused = 0, read_back = 0, injection_effects = 0;
  for (const WriteMethod& method : world_->methods()) {
    const std::string schema = SchemaOf(method.service);
    const std::unique_ptr<pb::Message> sample = method.base();
    for (const FieldPath& path : LeafFields(*sample, IsStringField)) {
      if (IsServerOwned(server_owned_, path) || OutsideMask(*sample, path)) continue;
      const std::string field = Leaf(path).name();
      for (const Variant& variant : kVariants) {
        ++cases;
        const std::string name = absl::StrCat(method.name, ".", PathName(path), ".", variant.name);
        std::unique_ptr<pb::Message> request = method.base();
        const std::string value = ValueOf(variant, schema, field);
        SetString(*request, path, value);
        // Counting every table is slow: the short mode checks the SQL injection strings.
        const bool count_tables =
            variant.injection && (LongMode() || variant.name == "sql_injection");
        const std::string counts_before = count_tables ? WatchedCounts() : "";
        std::unique_ptr<pb::Message> response;
        const grpc::Status status = Send(report, method, *request, &response);
        if (status.ok()) {
          ++accepted;
          // An empty value may stand for a documented default (the deployment's currency,
          // the caller as owner), which the server then fills in.
          const std::string problem =
              value.empty() ? "" : RoundTripProblem(path, value, *response, &read_back);
          report.Check(name, problem.empty(), problem);
          continue;
        }
        ++refused;
        const std::string problem = RefusalProblem(status, field);
        report.Check(name, problem.empty(), absl::StrCat(problem, " (", Describe(status), ")"));
        if (count_tables && WatchedCounts() != counts_before) {
          ++injection_effects;
          report.Check(absl::StrCat(name, ".no_effect"), false,
                       "a refused request changed a table's row count");
        }
      }
    }
  }
  const std::string tables_after = stack().db().QueryAsRoot(
      "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema LIKE 'kam\\_%'").value_or("");
  report.Gate("leaked_records", injection_effects + (tables_after != tables_before ? 1 : 0));
  report.Figure("cases", cases);
  report.Figure("accepted", accepted);
  report.Figure("refused", refused);
  report.Figure("round_trips_read_back", read_back);
  GateCrashes(report);
  report.Finish();
}

// Each enum field of each write method set to numbers outside its enum: refused as
// INVALID_ARGUMENT naming the field, or (an output-only field) accepted and ignored.
TEST_F(FieldEdgeTest, EnumFieldsRefuseUnknownNumbers) {
  ScenarioReport report("field_edges.enum_fields");
  int cases = 0;
  for (const WriteMethod& method : world_->methods()) {
    const std::unique_ptr<pb::Message> sample = method.base();
    for (const FieldPath& path : LeafFields(*sample, IsEnumField)) {
      if (OutsideMask(*sample, path)) continue;
      for (int number : {999, -1}) {
        ++cases;
        const std::string name = absl::StrCat(method.name, ".", PathName(path), ".", number);
        std::unique_ptr<pb::Message> request = method.base();
        SetEnumNumber(*request, path, number);
        std::unique_ptr<pb::Message> response;
        const grpc::Status status = Send(report, method, *request, &response);
        if (!status.ok()) {
          const std::string problem = RefusalProblem(status, Leaf(path).name());
          report.Check(name, problem.empty(), absl::StrCat(problem, " (", Describe(status), ")"));
          continue;
        }
        std::optional<Echo> echo = EchoIn(path, *response);
        const bool stored =
            echo && GetEnumNumber(*echo->message, echo->rest).value_or(0) == number;
        report.Check(name, IsServerOwned(server_owned_, path) && !stored,
                     stored ? "stored a number outside the enum"
                            : "accepted a number outside the enum");
      }
    }
  }
  report.Figure("cases", cases);
  GateCrashes(report);
  report.Finish();
}

// A value no client could mean for a server-owned field; false for types it has none for.
bool Forge(pb::Message& record, const pb::FieldDescriptor& field) {
  const pb::Reflection& reflection = *record.GetReflection();
  if (field.is_repeated()) return false;
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      reflection.SetString(&record, &field, "forged-by-client");
      return true;
    case pb::FieldDescriptor::CPPTYPE_INT64:
      reflection.SetInt64(&record, &field, 987654321);
      return true;
    case pb::FieldDescriptor::CPPTYPE_INT32:
      reflection.SetInt32(&record, &field, 77);
      return true;
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      reflection.SetBool(&record, &field, true);
      return true;
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const pb::EnumDescriptor& type = *field.enum_type();
      reflection.SetEnumValue(&record, &field, type.value(type.value_count() - 1)->number());
      return true;
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
      pb::Message& value = *reflection.MutableMessage(&record, &field);
      const pb::Descriptor& type = *value.GetDescriptor();
      if (type.full_name() == "google.protobuf.Timestamp") {
        value.GetReflection()->SetInt64(&value, type.FindFieldByName("seconds"), 981173106);
        return true;
      }
      if (type.name() == "Money") {
        value.GetReflection()->SetInt64(&value, type.FindFieldByName("minor_units"), 123457);
        return true;
      }
      return false;
    }
    default:
      return false;
  }
}

std::string FieldText(const pb::Message& record, const pb::FieldDescriptor& field) {
  std::string text;
  pb::TextFormat::Printer().PrintFieldValueToString(record, &field, -1, &text);
  return text;
}

// Server-owned fields (documented output only, etags, ids, timestamps, tier, state, owner of
// opportunities, ...) set by the client on each write method's record: refused as
// INVALID_ARGUMENT naming the field, or ignored, never applied (the response and a read show
// the server's value). Update masks naming unknown or server-owned paths are refused and
// change nothing. An account manager creating an account for someone else is refused.
TEST_F(FieldEdgeTest, ServerOwnedFieldsAndBadMasks) {
  ScenarioReport report("field_edges.server_owned_and_masks");
  int forged = 0, ignored = 0, refused = 0, unverified = 0;
  for (const WriteMethod& method : world_->methods()) {
    const std::unique_ptr<pb::Message> sample = method.base();
    const pb::Descriptor& request_type = *sample->GetDescriptor();
    for (int i = 0; i < request_type.field_count(); ++i) {
      const pb::FieldDescriptor& record_field = *request_type.field(i);
      const pb::Descriptor* record_type = record_field.message_type();
      if (record_type == nullptr || record_field.is_repeated() ||
          absl::StartsWith(record_type->full_name(), "google.protobuf.")) {
        continue;
      }
      for (int j = 0; j < record_type->field_count(); ++j) {
        const pb::FieldDescriptor& field = *record_type->field(j);
        const bool owned = server_owned_.count(field.full_name()) != 0 || field.name() == "etag";
        // An update's record id names the record to change.
        if (!owned || (field.name() == "id" && absl::StartsWith(method.name, "Update"))) continue;
        std::unique_ptr<pb::Message> request = method.base();
        pb::Message& record = *request->GetReflection()->MutableMessage(request.get(), &record_field);
        if (!Forge(record, field)) continue;
        ++forged;
        const std::string name = absl::StrCat(method.name, ".", record_field.name(), ".",
                                              field.name(), ".forged");
        std::unique_ptr<pb::Message> response;
        const grpc::Status status = Send(report, method, *request, &response);
        if (!status.ok()) {
          ++refused;
          const std::string problem = RefusalProblem(status, field.name());
          report.Check(name, problem.empty(), absl::StrCat(problem, " (", Describe(status), ")"));
          continue;
        }
        FieldPath path = {{&record_field, -1}, {&field, -1}};
        std::optional<Echo> echo = EchoIn(path, *response);
        if (!echo) {
          ++unverified;
          continue;
        }
        std::unique_ptr<pb::Message> read = world_->ReadBack(*echo->message);
        const pb::Message& seen = read != nullptr ? *read : *echo->message;
        const bool applied = FieldText(seen, field) == FieldText(record, field);
        ignored += applied ? 0 : 1;
        report.Check(name, !applied, absl::StrCat("the server kept the client's ", field.name()));
      }
    }
    CheckBadMasks(report, method);
  }
  CheckManagerCannotCreateForOthers(report);
  report.Figure("forged_fields", forged);
  report.Figure("forged_ignored", ignored);
  report.Figure("forged_refused", refused);
  report.Figure("forged_unverified_no_read", unverified);
  GateCrashes(report);
  report.Finish();
}

// LIKE wildcards and SQL injection in the filters of ListAccounts, called by an account
// manager: a name prefix or tag with '%', '_' or '\' finds exactly the accounts that carry
// it literally; injection strings find nothing, show no other manager's account, and leave
// every table as it was.
TEST_F(FieldEdgeTest, WildcardsAndInjectionInFilters) {
  ScenarioReport report("field_edges.filters");
  const std::string prefix = world_->NewId("FE-like") + " ";
  const std::string mine = "fe-filter-manager", theirs = "fe-filter-other";
  std::map<std::string, int64_t> ids;
  for (const char* suffix : {"100%", "100_", "100\\", "100x", "1000"}) {
    const bool discounted = std::string(suffix) == "100%";
    ids[suffix] = CreateOwned(prefix + suffix, mine, discounted ? "50%_off" : "plain");
  }
  CreateOwned(prefix + "100% other", theirs, "50%_off");
  const Caller manager = world_->CallerAs(mine, {"account_manager", ""});
  const std::string counts_before = WatchedCounts();
  int leaked = 0;
  // Each filter and the accounts it must find, exactly.
  const std::vector<std::tuple<std::string, std::string, std::vector<int64_t>>> literal = {
      {"name_prefix", prefix + "100%", {ids["100%"]}},
      {"name_prefix", prefix + "100_", {ids["100_"]}},
      {"name_prefix", prefix + "100\\", {ids["100\\"]}},
      {"name_prefix", prefix + "100", {ids["100%"], ids["100_"], ids["100\\"], ids["100x"],
                                       ids["1000"]}},
      {"tag", "50%_off", {ids["100%"]}},
      {"tag", "50%", {}},
      {"tag", "%", {}},
      {"industry", "%", {}},
      {"region", "_", {}},
  };
  for (const auto& [field, value, expected] : literal) {
    std::vector<int64_t> found = Filtered(report, manager, field, value, mine, &leaked);
    std::sort(found.begin(), found.end());
    std::vector<int64_t> wanted = expected;
    std::sort(wanted.begin(), wanted.end());
    report.Check(absl::StrCat("ListAccounts.", field, ".\"", value, "\""), found == wanted,
                 absl::StrCat("found ", absl::StrJoin(found, ","), ", expected ",
                              absl::StrJoin(wanted, ",")));
  }
  const std::vector<std::string> injections = {
      "' OR '1'='1", "%' OR 1=1 -- ", "x' OR owner_id <> '", "') OR ('a'='a", "\\' OR 1=1 #",
      "'; DROP TABLE accounts; --"};
  for (const char* field : {"name_prefix", "industry", "region", "tag", "owner_id"}) {
    for (const std::string& injection : injections) {
      std::vector<int64_t> found = Filtered(report, manager, field, injection, mine, &leaked);
      report.Check(absl::StrCat("ListAccounts.", field, ".injection \"", injection, "\""),
                   found.empty(), absl::StrCat(found.size(), " accounts matched"));
    }
  }
  report.Check("filters_change_no_table", WatchedCounts() == counts_before,
               "a list call changed a table's row count");
  report.Gate("leaked_records", leaked);
  GateCrashes(report);
  report.Finish();
}

}  // namespace
}  // namespace kam::reliability
