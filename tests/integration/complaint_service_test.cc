// ComplaintService through a real gRPC channel with the production CallHandler (signed
// identities per role), against a private MariaDB: request validation, who may call what,
// AIP-211, page tokens, the queues, the procedure end to end and the typed event stream.
#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "embedded_migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "services/common/call_handler.h"
#include "services/common/call_observer.h"
#include "services/common/event_store.h"
#include "services/common/identity.h"
#include "services/complaints/complaint_store.h"
#include "services/complaints/service.h"
#include "services/complaints/sla.h"
#include "services/complaints/sla_sweeper.h"
#include "tests/support/schema_test.h"
#include "tests/support/test_helpers.h"

namespace kam::complaints {
namespace {

using test_support::Ok;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kKey[] = "complaint-service-test-identity-key";

const Principal kAgent{"agent-wu", {"service_agent"}, ""};
const Principal kDirector{"dir-zhao", {"director"}, ""};
const Principal kAdmin{"ops-admin", {"admin"}, ""};
const Principal kSystem{"svc-analytics", {"system"}, ""};
const Principal kAnalyst{"analyst-qian", {"analyst"}, ""};
const Principal kLi{"mgr-li", {"account_manager"}, ""};  // owns account 101
const Principal kMa{"mgr-ma", {"account_manager"}, ""};  // owns account 202
const Principal kQiu{"hd-qiu", {"handler"}, "quality"};
const Principal kLu{"hd-lu", {"handler"}, "logistics"};
const Principal kDrifter{"hd-none", {"handler"}, ""};  // a handler without a department

constexpr int64_t kLiAccount = 101;
constexpr int64_t kMaAccount = 202;
constexpr int64_t kArchivedAccount = 303;

const EventStreamOptions kFastStreams{absl::Milliseconds(20), absl::Milliseconds(300),
                                      /*max_streams=*/4};

template <typename Request, typename Response>
using Rpc = grpc::Status (v1::ComplaintService::Stub::*)(grpc::ClientContext*, const Request&,
                                                         Response*);

v1::Complaint Intake(int64_t account, v1::Category category = v1::CATEGORY_PRODUCT_QUALITY,
                     v1::Severity severity = v1::SEVERITY_HIGH) {
  v1::Complaint c;
  c.set_account_id(account);
  c.set_channel(v1::CHANNEL_PHONE);
  c.set_category(category);
  c.set_subcategory("out of tolerance");
  c.set_description("外径超差 0.3 mm\nbatch 2024-118");
  c.set_severity(severity);
  c.set_manner(v1::MANNER_ANGRY);
  return c;
}

class ComplaintServiceTest : public test_support::SchemaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenSchema("complaint_rpc", Migrations(), absl::Seconds(5)));
    absl::StatusOr<SlaPolicy> policy = LoadSlaPolicy("");
    ASSERT_TRUE(Ok(policy));
    policy_ = std::make_unique<SlaPolicy>(*std::move(policy));
    store_ = std::make_unique<ComplaintStore>(*pool_, *policy_);
    events_ = std::make_unique<EventStore>(*pool_, kFastStreams, &registry_);
    complaint_metrics_ = std::make_unique<ComplaintMetrics>(registry_);
    grpc_metrics_ = std::make_unique<GrpcServerMetrics>(registry_);
    workers_ = std::make_unique<WorkerPool>(4, 100);
    handler_ = std::make_unique<CallHandler>(kKey, workers_.get(), grpc_metrics_.get());
    service_ = std::make_unique<ComplaintServiceImpl>(
        ServiceParts{store_.get(), events_.get(), complaint_metrics_.get(),
                     [this] { return replica_caught_up_; }},
        handler_.get());
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::ComplaintService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    ASSERT_NO_FATAL_FAILURE(AddAccount(kLiAccount, "华东精细化工", 1, kLi.subject, false));
    ASSERT_NO_FATAL_FAILURE(AddAccount(kMaAccount, "北方重工", 3, kMa.subject, false));
    ASSERT_NO_FATAL_FAILURE(AddAccount(kArchivedAccount, "已注销公司", 2, kLi.subject, true));
  }

  void TearDown() override {
    if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    workers_.reset();
  }

  // What the accounts feed would have written.
  void AddAccount(int64_t id, const std::string& name, int tier, const std::string& owner,
                  bool archived) {
    Exec(
        absl::StrCat("INSERT INTO account_replica (account_id, name, tier, owner_id, status, "
                     "archived, source_sequence, updated_at) VALUES (",
                     id, ", '", name, "', ", tier, ", '", owner, "', 1, ", archived ? 1 : 0,
                     ", 1, UTC_TIMESTAMP(6))"));
  }

  // A call context as the gateway would send it: signed identity and a request id.
  static std::unique_ptr<grpc::ClientContext> As(const Principal& who, const std::string& method) {
    auto context = std::make_unique<grpc::ClientContext>();
    const SignedIdentity identity =
        SignIdentity(who, absl::StrCat("/kam.complaints.v1.ComplaintService/", method), kKey,
                     absl::Now() + absl::Minutes(1));
    context->AddMetadata(kIdentityHeader, identity.payload);
    context->AddMetadata(kIdentitySignatureHeader, identity.signature);
    context->AddMetadata(kRequestIdHeader, "trace-complaint-test");
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }

  template <typename Request, typename Response>
  grpc::Status Call(Rpc<Request, Response> rpc, const std::string& method, const Principal& who,
                    const Request& request, Response* response) {
    return (stub_.get()->*rpc)(As(who, method).get(), request, response);
  }

  grpc::Status Create(const Principal& who, const v1::Complaint& complaint,
                      const std::string& request_id, v1::Complaint* out = nullptr) {
    v1::CreateComplaintRequest request;
    request.set_request_id(request_id);
    *request.mutable_complaint() = complaint;
    v1::CreateComplaintResponse response;
    grpc::Status status = Call(&v1::ComplaintService::Stub::CreateComplaint, "CreateComplaint", who,
                               request, &response);
    if (out != nullptr) *out = response.complaint();
    return status;
  }

  // A recorded complaint's id (fails the test when intake fails).
  int64_t MustCreate(const Principal& who, const v1::Complaint& complaint) {
    v1::Complaint out;
    const grpc::Status status = Create(who, complaint, absl::StrCat("create-", ++requests_), &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out.id();
  }

  grpc::Status Get(const Principal& who, int64_t id, v1::Complaint* out = nullptr) {
    v1::GetComplaintRequest request;
    request.set_complaint_id(id);
    v1::GetComplaintResponse response;
    grpc::Status status =
        Call(&v1::ComplaintService::Stub::GetComplaint, "GetComplaint", who, request, &response);
    if (out != nullptr) *out = response.complaint();
    return status;
  }

  grpc::Status Judge(const Principal& who, int64_t id, bool valid, const std::string& reason = "",
                     v1::Complaint* out = nullptr) {
    v1::JudgeValidityRequest request;
    request.set_request_id(absl::StrCat("judge-", ++requests_));
    request.set_complaint_id(id);
    request.set_valid(valid);
    request.set_reason(reason);
    v1::JudgeValidityResponse response;
    grpc::Status status =
        Call(&v1::ComplaintService::Stub::JudgeValidity, "JudgeValidity", who, request, &response);
    if (out != nullptr) *out = response.complaint();
    return status;
  }

  grpc::Status Analyze(const Principal& who, int64_t id, v1::Complaint* out = nullptr) {
    v1::AnalyzeCauseRequest request;
    request.set_request_id(absl::StrCat("analyze-", ++requests_));
    request.set_complaint_id(id);
    request.set_cause("the die wore out");
    v1::AnalyzeCauseResponse response;
    grpc::Status status =
        Call(&v1::ComplaintService::Stub::AnalyzeCause, "AnalyzeCause", who, request, &response);
    if (out != nullptr) *out = response.complaint();
    return status;
  }

  grpc::Status Propose(const Principal& who, int64_t id, v1::Complaint* out = nullptr) {
    v1::ProposeResolutionRequest request;
    request.set_request_id(absl::StrCat("propose-", ++requests_));
    request.set_complaint_id(id);
    request.set_resolution("replace the batch and re-cut the die");
    v1::ProposeResolutionResponse response;
    grpc::Status status = Call(&v1::ComplaintService::Stub::ProposeResolution, "ProposeResolution",
                               who, request, &response);
    if (out != nullptr) *out = response.complaint();
    return status;
  }

  grpc::Status Decide(const Principal& who, int64_t id, bool approve, const std::string& reason,
                      v1::Complaint* out = nullptr) {
    v1::DecideResolutionRequest request;
    request.set_request_id(absl::StrCat("decide-", ++requests_));
    request.set_complaint_id(id);
    request.set_approve(approve);
    request.set_reason(reason);
    v1::DecideResolutionResponse response;
    grpc::Status status = Call(&v1::ComplaintService::Stub::DecideResolution, "DecideResolution",
                               who, request, &response);
    if (out != nullptr) *out = response.complaint();
    return status;
  }

  grpc::Status Implement(const Principal& who, int64_t id, const std::string& request_id,
                         v1::Complaint* out = nullptr) {
    v1::ImplementResolutionRequest request;
    request.set_request_id(request_id);
    request.set_complaint_id(id);
    request.set_note("batch replaced on site");
    v1::ImplementResolutionResponse response;
    grpc::Status status = Call(&v1::ComplaintService::Stub::ImplementResolution,
                               "ImplementResolution", who, request, &response);
    if (out != nullptr) *out = response.complaint();
    return status;
  }

  // Gives a department a manager and handlers (replacing it at its current etag).
  void Staff(const std::string& code, const std::vector<v1::Category>& categories,
             const std::vector<std::string>& handlers, const std::string& manager) {
    v1::ListDepartmentsResponse listed;
    ASSERT_TRUE(Call(&v1::ComplaintService::Stub::ListDepartments, "ListDepartments", kDirector,
                     v1::ListDepartmentsRequest(), &listed)
                    .ok());
    v1::PutDepartmentRequest request;
    request.set_request_id(absl::StrCat("staff-", ++requests_));
    for (const v1::Department& d : listed.departments()) {
      if (d.code() == code) {
        request.set_etag(d.etag());
        *request.mutable_department() = d;
      }
    }
    v1::Department* d = request.mutable_department();
    d->set_code(code);
    if (d->name().empty()) d->set_name(code);
    d->clear_categories();
    for (v1::Category c : categories) d->add_categories(c);
    d->clear_handler_ids();
    for (const std::string& h : handlers) d->add_handler_ids(h);
    d->set_manager_id(manager);
    d->clear_etag();
    v1::PutDepartmentResponse response;
    const grpc::Status status = Call(&v1::ComplaintService::Stub::PutDepartment, "PutDepartment",
                                     kDirector, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // One page of ListComplaints as `who`; the ids served.
  std::vector<int64_t> ListIds(const Principal& who, v1::ListComplaintsRequest request,
                               grpc::Status* status = nullptr, std::string* next = nullptr) {
    v1::ListComplaintsResponse response;
    const grpc::Status s = Call(&v1::ComplaintService::Stub::ListComplaints, "ListComplaints", who,
                                request, &response);
    if (status != nullptr) *status = s;
    if (status == nullptr) {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    if (next != nullptr) *next = response.next_page_token();
    std::vector<int64_t> ids;
    for (const v1::Complaint& c : response.complaints()) ids.push_back(c.id());
    return ids;
  }

  // Every page of `who`'s queue, one complaint per page.
  std::vector<v1::Complaint> WholeQueue(const Principal& who) {
    std::vector<v1::Complaint> out;
    v1::ListMyQueueRequest request;
    request.set_page_size(1);
    for (int pages = 0; pages < 50; ++pages) {
      v1::ListMyQueueResponse response;
      const grpc::Status s =
          Call(&v1::ComplaintService::Stub::ListMyQueue, "ListMyQueue", who, request, &response);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      out.insert(out.end(), response.complaints().begin(), response.complaints().end());
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return out;
  }

  // The number of observations of the resolution-time histogram.
  uint64_t ResolutionsObserved() {
    for (const prometheus::MetricFamily& family : registry_.Collect()) {
      if (family.name != "kam_complaint_resolution_seconds") continue;
      for (const prometheus::ClientMetric& metric : family.metric) {
        return metric.histogram.sample_count;
      }
    }
    return 0;
  }

  bool replica_caught_up_ = true;
  int requests_ = 0;
  std::unique_ptr<SlaPolicy> policy_;
  std::unique_ptr<ComplaintStore> store_;
  prometheus::Registry registry_;
  std::unique_ptr<EventStore> events_;
  std::unique_ptr<ComplaintMetrics> complaint_metrics_;
  std::unique_ptr<GrpcServerMetrics> grpc_metrics_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<CallHandler> handler_;
  std::unique_ptr<ComplaintServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::ComplaintService::Stub> stub_;
};

// ---- validation ----

TEST_F(ComplaintServiceTest, IntakeErrorsNameTheFieldAndRecordNothing) {
  struct Case {
    std::string field;
    std::function<void(v1::CreateComplaintRequest&)> spoil;
  };
  const std::vector<Case> cases = {
      {"request_id", [](auto& r) { r.clear_request_id(); }},
      {"complaint.account_id", [](auto& r) { r.mutable_complaint()->set_account_id(0); }},
      {"complaint.contact_id", [](auto& r) { r.mutable_complaint()->set_contact_id(-4); }},
      {"complaint.channel", [](auto& r) { r.mutable_complaint()->clear_channel(); }},
      {"complaint.channel",
       [](auto& r) { r.mutable_complaint()->set_channel(static_cast<v1::Channel>(77)); }},
      {"complaint.category", [](auto& r) { r.mutable_complaint()->clear_category(); }},
      {"complaint.subcategory",
       [](auto& r) { r.mutable_complaint()->set_subcategory(std::string(101, 'x')); }},
      {"complaint.subcategory", [](auto& r) { r.mutable_complaint()->set_subcategory("a\nb"); }},
      {"complaint.description", [](auto& r) { r.mutable_complaint()->clear_description(); }},
      {"complaint.description",
       [](auto& r) { r.mutable_complaint()->set_description(std::string(4001, 'x')); }},
      {"complaint.severity", [](auto& r) { r.mutable_complaint()->clear_severity(); }},
      {"complaint.manner", [](auto& r) { r.mutable_complaint()->clear_manner(); }},
      {"received_time",
       [](auto& r) {
         r.mutable_received_time()->set_seconds(absl::ToUnixSeconds(absl::Now()) + 3600);
       }},
      {"received_time",
       [](auto& r) {
         r.mutable_received_time()->set_seconds(absl::ToUnixSeconds(absl::Now()) - 8 * 86400);
       }},
  };
  for (const Case& c : cases) {
    v1::CreateComplaintRequest request;
    request.set_request_id("bad-intake");
    *request.mutable_complaint() = Intake(kLiAccount);
    c.spoil(request);
    v1::CreateComplaintResponse response;
    const grpc::Status status = Call(&v1::ComplaintService::Stub::CreateComplaint,
                                     "CreateComplaint", kAgent, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_THAT(status.error_message(), StartsWith(c.field + ":"));
  }
  EXPECT_EQ(One("SELECT COUNT(*) FROM complaints"), "0");
  EXPECT_EQ(One("SELECT COUNT(*) FROM idempotency_keys"), "0");
}

TEST_F(ComplaintServiceTest, StepAndDepartmentErrorsNameTheField) {
  auto expect_field = [](const grpc::Status& status, const std::string& field) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_THAT(status.error_message(), StartsWith(field + ":"));
  };
  v1::JudgeValidityResponse judged;
  v1::JudgeValidityRequest judge;
  judge.set_request_id("j-1");
  judge.set_complaint_id(1);
  expect_field(
      Call(&v1::ComplaintService::Stub::JudgeValidity, "JudgeValidity", kAgent, judge, &judged),
      "reason");  // invalid without a reason
  judge.set_complaint_id(0);
  judge.set_valid(true);
  expect_field(
      Call(&v1::ComplaintService::Stub::JudgeValidity, "JudgeValidity", kAgent, judge, &judged),
      "complaint_id");

  v1::DecideResolutionRequest decide;
  decide.set_request_id("d-1");
  decide.set_complaint_id(1);
  v1::DecideResolutionResponse decided;
  expect_field(Call(&v1::ComplaintService::Stub::DecideResolution, "DecideResolution", kDirector,
                    decide, &decided),
               "reason");  // rejected without a reason

  v1::ReassignComplaintRequest reassign;
  reassign.set_request_id("r-1");
  reassign.set_complaint_id(1);
  reassign.set_department("Quality Dept");
  reassign.set_reason("wrong department");
  v1::ReassignComplaintResponse reassigned;
  expect_field(Call(&v1::ComplaintService::Stub::ReassignComplaint, "ReassignComplaint", kDirector,
                    reassign, &reassigned),
               "department");
  reassign.set_department("quality");
  reassign.clear_reason();
  expect_field(Call(&v1::ComplaintService::Stub::ReassignComplaint, "ReassignComplaint", kDirector,
                    reassign, &reassigned),
               "reason");

  v1::RecordFollowUpRequest follow;
  follow.set_request_id("f-1");
  follow.set_complaint_id(1);
  follow.set_expected_satisfaction(3);
  v1::RecordFollowUpResponse followed;
  expect_field(Call(&v1::ComplaintService::Stub::RecordFollowUp, "RecordFollowUp", kAgent, follow,
                    &followed),
               "perceived_satisfaction");
  follow.set_perceived_satisfaction(6);
  expect_field(Call(&v1::ComplaintService::Stub::RecordFollowUp, "RecordFollowUp", kAgent, follow,
                    &followed),
               "perceived_satisfaction");
  follow.set_perceived_satisfaction(4);
  follow.set_satisfied(true);
  follow.set_reopen(true);
  expect_field(Call(&v1::ComplaintService::Stub::RecordFollowUp, "RecordFollowUp", kAgent, follow,
                    &followed),
               "reopen");

  v1::CloseComplaintRequest close;
  close.set_request_id("c-1");
  close.set_complaint_id(1);
  close.set_summary("done");
  v1::CloseComplaintResponse closed;
  expect_field(Call(&v1::ComplaintService::Stub::CloseComplaint, "CloseComplaint", kDirector, close,
                    &closed),
               "evaluation");

  struct DepartmentCase {
    std::string field;
    std::function<void(v1::Department&)> spoil;
  };
  const std::vector<DepartmentCase> department_cases = {
      {"department.code", [](auto& d) { d.set_code("Quality!"); }},
      {"department.code", [](auto& d) { d.set_code(std::string(33, 'q')); }},
      {"department.name", [](auto& d) { d.clear_name(); }},
      {"department.categories", [](auto& d) { d.clear_categories(); }},
      {"department.categories[1]", [](auto& d) { d.add_categories(v1::CATEGORY_PRODUCT_QUALITY); }},
      {"department.categories[1]", [](auto& d) { d.add_categories(v1::CATEGORY_UNSPECIFIED); }},
      {"department.handler_ids[1]", [](auto& d) { d.add_handler_ids("hd-qiu"); }},
      {"department.handler_ids[1]", [](auto& d) { d.add_handler_ids("hd qiu"); }},
      {"department.manager_id", [](auto& d) { d.clear_manager_id(); }},
  };
  for (const DepartmentCase& c : department_cases) {
    v1::PutDepartmentRequest put;
    put.set_request_id("p-1");
    v1::Department* d = put.mutable_department();
    d->set_code("quality");
    d->set_name("Quality");
    d->add_categories(v1::CATEGORY_PRODUCT_QUALITY);
    d->add_handler_ids("hd-qiu");
    d->set_manager_id("mgr-quality");
    c.spoil(*d);
    v1::PutDepartmentResponse response;
    expect_field(Call(&v1::ComplaintService::Stub::PutDepartment, "PutDepartment", kDirector, put,
                      &response),
                 c.field);
  }

  v1::ListComplaintsRequest list;
  list.add_states(v1::STATE_RECORDED);
  list.add_states(v1::STATE_UNSPECIFIED);
  grpc::Status listed;
  ListIds(kDirector, list, &listed);
  expect_field(listed, "states[1]");
  list.clear_states();
  list.mutable_create_time_start()->set_seconds(2000);
  list.mutable_create_time_end()->set_seconds(1000);
  ListIds(kDirector, list, &listed);
  expect_field(listed, "create_time_end");
  EXPECT_EQ(One("SELECT COUNT(*) FROM idempotency_keys"), "0");
}

// ---- roles ----

TEST_F(ComplaintServiceTest, EachMethodRefusesTheRolesItIsNotFor) {
  struct Refusal {
    std::string what;
    std::function<grpc::Status()> call;
  };
  const std::vector<Refusal> refusals = {
      {"analyst records", [&] { return Create(kAnalyst, Intake(kLiAccount), "x-1"); }},
      {"handler records", [&] { return Create(kQiu, Intake(kLiAccount), "x-2"); }},
      {"handler judges", [&] { return Judge(kQiu, 1, true); }},
      {"director judges", [&] { return Judge(kDirector, 1, true); }},
      {"agent analyses", [&] { return Analyze(kAgent, 1); }},
      {"director proposes", [&] { return Propose(kDirector, 1); }},
      {"handler decides", [&] { return Decide(kQiu, 1, true, ""); }},
      {"agent implements", [&] { return Implement(kAgent, 1, "x-3"); }},
      {"agent reassigns",
       [&] {
         v1::ReassignComplaintRequest r;
         r.set_request_id("x-4");
         r.set_complaint_id(1);
         r.set_reason("because");
         v1::ReassignComplaintResponse out;
         return Call(&v1::ComplaintService::Stub::ReassignComplaint, "ReassignComplaint", kAgent, r,
                     &out);
       }},
      {"director follows up",
       [&] {
         v1::RecordFollowUpRequest r;
         r.set_request_id("x-5");
         r.set_complaint_id(1);
         r.set_perceived_satisfaction(4);
         r.set_expected_satisfaction(4);
         v1::RecordFollowUpResponse out;
         return Call(&v1::ComplaintService::Stub::RecordFollowUp, "RecordFollowUp", kDirector, r,
                     &out);
       }},
      {"agent closes",
       [&] {
         v1::CloseComplaintRequest r;
         r.set_request_id("x-6");
         r.set_complaint_id(1);
         r.set_summary("s");
         r.set_evaluation("e");
         v1::CloseComplaintResponse out;
         return Call(&v1::ComplaintService::Stub::CloseComplaint, "CloseComplaint", kAgent, r,
                     &out);
       }},
      {"manager pauses",
       [&] {
         v1::SetWaitingOnCustomerRequest r;
         r.set_request_id("x-7");
         r.set_complaint_id(1);
         r.set_waiting(true);
         v1::SetWaitingOnCustomerResponse out;
         return Call(&v1::ComplaintService::Stub::SetWaitingOnCustomer, "SetWaitingOnCustomer", kLi,
                     r, &out);
       }},
      {"handler edits departments",
       [&] {
         v1::PutDepartmentRequest r;
         r.set_request_id("x-8");
         v1::PutDepartmentResponse out;
         return Call(&v1::ComplaintService::Stub::PutDepartment, "PutDepartment", kQiu, r, &out);
       }},
      {"analyst has no queue",
       [&] {
         v1::ListMyQueueResponse out;
         return Call(&v1::ComplaintService::Stub::ListMyQueue, "ListMyQueue", kAnalyst,
                     v1::ListMyQueueRequest(), &out);
       }},
      {"agent reads the audit log",
       [&] {
         v1::ListAuditLogResponse out;
         return Call(&v1::ComplaintService::Stub::ListAuditLog, "ListAuditLog", kAgent,
                     v1::ListAuditLogRequest(), &out);
       }},
      {"director watches events",
       [&] {
         auto context = As(kDirector, "WatchEvents");
         auto reader = stub_->WatchEvents(context.get(), v1::WatchEventsRequest());
         v1::WatchEventsResponse ignored;
         while (reader->Read(&ignored)) {
         }
         return reader->Finish();
       }},
  };
  for (const Refusal& r : refusals) {
    EXPECT_EQ(r.call().error_code(), grpc::StatusCode::PERMISSION_DENIED) << r.what;
  }
  EXPECT_EQ(One("SELECT COUNT(*) FROM idempotency_keys"), "0");
}

// ---- intake against the replica ----

TEST_F(ComplaintServiceTest, IntakeCopiesTheAccountAndGivesGuidanceAndClocks) {
  v1::Complaint created;
  const grpc::Status status = Create(kAgent, Intake(kLiAccount), "intake-1", &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(created.id(), 0);
  EXPECT_EQ(created.state(), v1::STATE_RECORDED);
  EXPECT_EQ(created.account_name(), "华东精细化工");
  EXPECT_EQ(created.account_tier(), kam::accounts::v1::TIER_A);
  EXPECT_EQ(created.account_owner_id(), kLi.subject);
  EXPECT_EQ(created.recorded_by(), kAgent.subject);
  EXPECT_EQ(created.description(), "外径超差 0.3 mm\nbatch 2024-118");
  EXPECT_FALSE(created.handling_guidance().empty());
  EXPECT_GT(created.judgment_sla().budget_seconds(), 0);
  EXPECT_EQ(created.judgment_sla().status(), v1::SLA_STATUS_ON_TRACK);
  EXPECT_LT(created.judgment_sla().warn_time().seconds(),
            created.judgment_sla().due_time().seconds());
  EXPECT_FALSE(created.judgment_sla().has_met_time());
  EXPECT_FALSE(created.etag().empty());

  v1::Complaint again;
  ASSERT_TRUE(Create(kAgent, Intake(kLiAccount), "intake-1", &again).ok());
  EXPECT_EQ(again.id(), created.id());
  EXPECT_EQ(One("SELECT COUNT(*) FROM complaints"), "1");
}

TEST_F(ComplaintServiceTest, AComplaintLoggedAfterTheFactRunsItsClocksFromItsReceivedTime) {
  v1::CreateComplaintRequest request;
  request.set_request_id("late-1");
  *request.mutable_complaint() = Intake(kLiAccount);
  const int64_t received = absl::ToUnixSeconds(absl::Now()) - 3 * 86400;
  request.mutable_received_time()->set_seconds(received);
  v1::CreateComplaintResponse response;
  const grpc::Status status = Call(&v1::ComplaintService::Stub::CreateComplaint,
                                   "CreateComplaint", kAgent, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::Complaint& created = response.complaint();
  EXPECT_EQ(created.create_time().seconds(), received);
  // Three days back is past any judgment budget of the policy: overdue at once.
  EXPECT_LT(created.judgment_sla().due_time().seconds(), absl::ToUnixSeconds(absl::Now()));
  // The register keeps when it was really recorded.
  EXPECT_EQ(One(absl::StrCat("SELECT COUNT(*) FROM complaint_transitions WHERE complaint_id = ",
                             created.id(), " AND note LIKE '%recorded after the fact%'")),
            "1");
}

TEST_F(ComplaintServiceTest, AnUnknownAccountIsRetryableUntilTheReplicaIsCaughtUp) {
  replica_caught_up_ = false;
  grpc::Status status = Create(kAgent, Intake(999), "unknown-1");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("account 999 is not yet known to complaints"));

  replica_caught_up_ = true;
  status = Create(kAgent, Intake(999), "unknown-2");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);

  status = Create(kAgent, Intake(kArchivedAccount), "archived-1");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // A manager records only for accounts they own, and cannot tell someone else's account
  // from a missing one.
  const grpc::Status foreign = Create(kMa, Intake(kLiAccount), "ma-1");
  const grpc::Status missing = Create(kMa, Intake(999), "ma-2");
  EXPECT_EQ(foreign.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(absl::StrReplaceAll(missing.error_message(), {{"999", "N"}}),
            absl::StrReplaceAll(foreign.error_message(), {{std::to_string(kLiAccount), "N"}}));
  EXPECT_TRUE(Create(kLi, Intake(kLiAccount), "li-1").ok());
  EXPECT_EQ(One("SELECT COUNT(*) FROM complaints"), "1");
}

// ---- AIP-211 ----

TEST_F(ComplaintServiceTest, CallersWhoMayNotSeeAComplaintCannotTellWhetherItExists) {
  const int64_t id = MustCreate(kAgent, Intake(kLiAccount));
  const int64_t missing = id + 1000;

  EXPECT_TRUE(Get(kLi, id).ok());  // the owner
  EXPECT_TRUE(Get(kAnalyst, id).ok());
  EXPECT_EQ(Get(kMa, id).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(kMa, missing).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(kDirector, missing).error_code(), grpc::StatusCode::NOT_FOUND);
  // Handlers see their department's complaints only, and a step on a missing one is refused
  // like a step on someone else's.
  EXPECT_EQ(Get(kQiu, id).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Analyze(kQiu, missing).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  v1::ListComplaintHistoryRequest history;
  history.set_complaint_id(id);
  v1::ListComplaintHistoryResponse out;
  EXPECT_EQ(Call(&v1::ComplaintService::Stub::ListComplaintHistory, "ListComplaintHistory", kMa,
                 history, &out)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  history.set_complaint_id(missing);
  EXPECT_EQ(Call(&v1::ComplaintService::Stub::ListComplaintHistory, "ListComplaintHistory", kMa,
                 history, &out)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// ---- the procedure end to end ----

TEST_F(ComplaintServiceTest, TheProcedureRunsThroughWithARejectedProposal) {
  ASSERT_NO_FATAL_FAILURE(
      Staff("quality", {v1::CATEGORY_PRODUCT_QUALITY}, {kQiu.subject}, "mgr-quality"));
  const int64_t id = MustCreate(kAgent, Intake(kLiAccount));

  v1::Complaint c;
  ASSERT_TRUE(Judge(kAgent, id, true, "", &c).ok());
  EXPECT_EQ(c.state(), v1::STATE_ASSIGNED);
  EXPECT_EQ(c.department(), "quality");
  EXPECT_EQ(c.handler_id(), kQiu.subject);
  EXPECT_TRUE(c.judgment_sla().has_met_time());
  EXPECT_EQ(c.judgment_sla().status(), v1::SLA_STATUS_MET);

  // An illegal jump is refused with the current state named.
  const grpc::Status jump = Propose(kQiu, id);
  EXPECT_EQ(jump.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // A handler of another department may not touch it.
  EXPECT_EQ(Analyze(kLu, id).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  ASSERT_TRUE(Analyze(kQiu, id, &c).ok());
  EXPECT_EQ(c.state(), v1::STATE_CAUSE_ANALYZED);
  EXPECT_EQ(c.cause(), "the die wore out");
  ASSERT_TRUE(Propose(kQiu, id).ok());
  ASSERT_TRUE(Decide(kDirector, id, false, "too expensive", &c).ok());
  EXPECT_EQ(c.state(), v1::STATE_CAUSE_ANALYZED);
  EXPECT_EQ(c.rejection_reason(), "too expensive");
  ASSERT_TRUE(Propose(kQiu, id).ok());
  ASSERT_TRUE(Decide(kDirector, id, true, "", &c).ok());
  EXPECT_EQ(c.state(), v1::STATE_RESOLUTION_APPROVED);

  const uint64_t observed_before = ResolutionsObserved();
  ASSERT_TRUE(Implement(kQiu, id, "implement-1", &c).ok());
  EXPECT_EQ(c.state(), v1::STATE_RESOLUTION_IMPLEMENTED);
  EXPECT_TRUE(c.resolution_sla().has_met_time());
  EXPECT_EQ(ResolutionsObserved(), observed_before + 1);
  // A retry answers the same and is not observed again.
  v1::Complaint replayed;
  ASSERT_TRUE(Implement(kQiu, id, "implement-1", &replayed).ok());
  EXPECT_EQ(replayed.etag(), c.etag());
  EXPECT_EQ(ResolutionsObserved(), observed_before + 1);

  v1::RecordFollowUpRequest follow;
  follow.set_request_id("follow-1");
  follow.set_complaint_id(id);
  follow.set_perceived_satisfaction(4);
  follow.set_expected_satisfaction(5);
  follow.set_satisfied(true);
  v1::RecordFollowUpResponse followed;
  ASSERT_TRUE(
      Call(&v1::ComplaintService::Stub::RecordFollowUp, "RecordFollowUp", kAgent, follow, &followed)
          .ok());
  EXPECT_EQ(followed.complaint().state(), v1::STATE_FOLLOWED_UP);
  EXPECT_EQ(followed.complaint().follow_up().satisfaction_gap(), -1);
  EXPECT_EQ(followed.complaint().follow_up().recorded_by(), kAgent.subject);

  v1::CloseComplaintRequest close;
  close.set_request_id("close-1");
  close.set_complaint_id(id);
  close.set_summary("batch replaced");
  close.set_evaluation("die maintenance added to the plan");
  v1::CloseComplaintResponse closed;
  ASSERT_TRUE(
      Call(&v1::ComplaintService::Stub::CloseComplaint, "CloseComplaint", kDirector, close, &closed)
          .ok());
  EXPECT_EQ(closed.complaint().state(), v1::STATE_CLOSED);
  EXPECT_TRUE(closed.complaint().has_close_time());

  v1::ListComplaintHistoryRequest history;
  history.set_complaint_id(id);
  v1::ListComplaintHistoryResponse steps;
  ASSERT_TRUE(Call(&v1::ComplaintService::Stub::ListComplaintHistory, "ListComplaintHistory", kLi,
                   history, &steps)
                  .ok());
  std::vector<std::string> actions;
  for (const v1::Transition& t : steps.transitions()) actions.push_back(t.action());
  EXPECT_THAT(actions,
              ElementsAre("recorded", "judged_valid", "cause_analyzed", "resolution_proposed",
                          "resolution_rejected", "resolution_proposed", "resolution_approved",
                          "resolution_implemented", "followed_up", "closed"));
  EXPECT_EQ(steps.transitions(4).note(), "too expensive");
  EXPECT_EQ(steps.transitions(4).actor(), kDirector.subject);
  EXPECT_EQ(steps.transitions(4).from_state(), v1::STATE_RESOLUTION_PROPOSED);
  EXPECT_EQ(steps.transitions(4).to_state(), v1::STATE_CAUSE_ANALYZED);
}

// ---- lists and page tokens ----

TEST_F(ComplaintServiceTest, ListsShowEachCallerWhatTheyMaySee) {
  ASSERT_NO_FATAL_FAILURE(
      Staff("quality", {v1::CATEGORY_PRODUCT_QUALITY}, {kQiu.subject}, "mgr-quality"));
  const int64_t li_1 = MustCreate(kAgent, Intake(kLiAccount));
  const int64_t ma_1 = MustCreate(kAgent, Intake(kMaAccount));
  const int64_t li_2 = MustCreate(kLi, Intake(kLiAccount, v1::CATEGORY_TRANSPORT));
  ASSERT_TRUE(Judge(kAgent, li_1, true).ok());  // to quality, hd-qiu

  EXPECT_THAT(ListIds(kDirector, {}), ElementsAre(li_2, ma_1, li_1));  // newest first
  EXPECT_THAT(ListIds(kLi, {}), ElementsAre(li_2, li_1));
  EXPECT_THAT(ListIds(kMa, {}), ElementsAre(ma_1));
  EXPECT_THAT(ListIds(kQiu, {}), ElementsAre(li_1));
  EXPECT_THAT(ListIds(kLu, {}), ElementsAre());
  EXPECT_THAT(ListIds(kDrifter, {}), ElementsAre());

  v1::ListComplaintsRequest by_account;
  by_account.set_account_id(kLiAccount);
  EXPECT_THAT(ListIds(kMa, by_account), ElementsAre());  // filters never widen access
  by_account.add_states(v1::STATE_RECORDED);
  EXPECT_THAT(ListIds(kDirector, by_account), ElementsAre(li_2));
}

TEST_F(ComplaintServiceTest, PageTokensWalkTheListAndAreBoundToTheirQuery) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.insert(ids.begin(), MustCreate(kAgent, Intake(kLiAccount)));

  std::vector<int64_t> walked;
  v1::ListComplaintsRequest request;
  request.set_page_size(2);
  std::string next;
  for (int pages = 0; pages < 10; ++pages) {
    std::vector<int64_t> page = ListIds(kDirector, request, nullptr, &next);
    walked.insert(walked.end(), page.begin(), page.end());
    if (next.empty()) break;
    request.set_page_token(next);
  }
  EXPECT_EQ(walked, ids);

  request.clear_page_token();
  ListIds(kDirector, request, nullptr, &next);
  ASSERT_FALSE(next.empty());
  grpc::Status status;
  v1::ListComplaintsRequest other_filter;
  other_filter.set_account_id(kLiAccount);
  other_filter.set_page_token(next);
  ListIds(kDirector, other_filter, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("page_token:"));

  v1::ListComplaintsRequest tampered;
  tampered.set_page_token(next.substr(0, next.size() - 3) + "zzz");
  ListIds(kDirector, tampered, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // A list token is no queue token, and the other way round.
  v1::ListMyQueueRequest queue;
  queue.set_page_token(next);
  v1::ListMyQueueResponse queued;
  status = Call(&v1::ComplaintService::Stub::ListMyQueue, "ListMyQueue", kAgent, queue, &queued);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  queue.set_page_token("");
  queue.set_page_size(1);
  ASSERT_TRUE(
      Call(&v1::ComplaintService::Stub::ListMyQueue, "ListMyQueue", kAgent, queue, &queued).ok());
  ASSERT_FALSE(queued.next_page_token().empty());
  v1::ListComplaintsRequest crossed;
  crossed.set_page_token(queued.next_page_token());
  ListIds(kDirector, crossed, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // A queue token is its caller's.
  queue.set_page_token(queued.next_page_token());
  status = Call(&v1::ComplaintService::Stub::ListMyQueue, "ListMyQueue", kDirector, queue, &queued);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// ---- queues ----

TEST_F(ComplaintServiceTest, EachRoleQueuesWhatWaitsOnItMostUrgentFirst) {
  ASSERT_NO_FATAL_FAILURE(
      Staff("quality", {v1::CATEGORY_PRODUCT_QUALITY}, {kQiu.subject}, "mgr-quality"));
  const int64_t low =
      MustCreate(kAgent, Intake(kMaAccount, v1::CATEGORY_PRODUCT_QUALITY, v1::SEVERITY_LOW));
  const int64_t critical =
      MustCreate(kAgent, Intake(kLiAccount, v1::CATEGORY_PRODUCT_QUALITY, v1::SEVERITY_CRITICAL));
  const int64_t medium =
      MustCreate(kAgent, Intake(kMaAccount, v1::CATEGORY_PRODUCT_QUALITY, v1::SEVERITY_MEDIUM));
  const int64_t assigned = MustCreate(kAgent, Intake(kLiAccount));
  ASSERT_TRUE(Judge(kAgent, assigned, true).ok());
  const int64_t proposed = MustCreate(kAgent, Intake(kLiAccount));
  ASSERT_TRUE(Judge(kAgent, proposed, true).ok());
  ASSERT_TRUE(Analyze(kQiu, proposed).ok());
  ASSERT_TRUE(Propose(kQiu, proposed).ok());

  // Service agents judge what is recorded, by the judgment deadline (one per page).
  std::vector<v1::Complaint> agent = WholeQueue(kAgent);
  std::vector<int64_t> agent_ids;
  for (const v1::Complaint& c : agent) agent_ids.push_back(c.id());
  EXPECT_THAT(agent_ids, ::testing::UnorderedElementsAre(low, critical, medium));
  for (size_t i = 1; i < agent.size(); ++i) {
    EXPECT_LE(agent[i - 1].judgment_sla().due_time().seconds(),
              agent[i].judgment_sla().due_time().seconds());
  }
  EXPECT_EQ(agent_ids.front(), critical);

  std::vector<int64_t> qiu_ids;
  for (const v1::Complaint& c : WholeQueue(kQiu)) qiu_ids.push_back(c.id());
  // A proposal waits on the director, not on the handler.
  EXPECT_THAT(qiu_ids, ElementsAre(assigned));

  std::vector<int64_t> director_ids;
  for (const v1::Complaint& c : WholeQueue(kDirector)) director_ids.push_back(c.id());
  EXPECT_THAT(director_ids, ElementsAre(proposed));

  EXPECT_TRUE(WholeQueue(kLu).empty());
}

// ---- departments ----

TEST_F(ComplaintServiceTest, DepartmentsAreReplacedAtTheirEtag) {
  v1::ListDepartmentsResponse listed;
  ASSERT_TRUE(Call(&v1::ComplaintService::Stub::ListDepartments, "ListDepartments", kQiu,
                   v1::ListDepartmentsRequest(), &listed)
                  .ok());
  std::string etag;
  for (const v1::Department& d : listed.departments()) {
    if (d.code() == "logistics") etag = d.etag();
  }
  ASSERT_FALSE(etag.empty());
  v1::PutDepartmentRequest put;
  put.set_request_id("put-1");
  put.set_etag(etag);
  v1::Department* d = put.mutable_department();
  d->set_code("logistics");
  d->set_name("Logistics");
  d->add_categories(v1::CATEGORY_TRANSPORT);
  d->add_handler_ids(kLu.subject);
  d->set_manager_id("mgr-logistics");
  v1::PutDepartmentResponse response;
  ASSERT_TRUE(
      Call(&v1::ComplaintService::Stub::PutDepartment, "PutDepartment", kAdmin, put, &response)
          .ok());
  EXPECT_THAT(response.department().handler_ids(), ElementsAre(kLu.subject));
  EXPECT_NE(response.department().etag(), etag);

  put.set_request_id("put-2");  // the same etag again is stale now
  EXPECT_EQ(
      Call(&v1::ComplaintService::Stub::PutDepartment, "PutDepartment", kAdmin, put, &response)
          .error_code(),
      grpc::StatusCode::ABORTED);
}

// ---- events ----

TEST_F(ComplaintServiceTest, WatchEventsStreamsTypedComplaintAndDepartmentEventsInOrder) {
  ASSERT_NO_FATAL_FAILURE(
      Staff("quality", {v1::CATEGORY_PRODUCT_QUALITY}, {kQiu.subject}, "mgr-quality"));
  const int64_t id = MustCreate(kAgent, Intake(kLiAccount));
  ASSERT_TRUE(Judge(kAgent, id, true).ok());
  ASSERT_TRUE(Analyze(kQiu, id).ok());

  auto context = As(kSystem, "WatchEvents");
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto reader = stub_->WatchEvents(context.get(), v1::WatchEventsRequest());
  std::vector<v1::Event> events;
  v1::WatchEventsResponse message;
  while (events.size() < 4 && reader->Read(&message)) {
    events.insert(events.end(), message.events().begin(), message.events().end());
  }
  context->TryCancel();
  while (reader->Read(&message)) {
  }
  reader->Finish();
  ASSERT_EQ(events.size(), 4u);

  std::vector<std::string> types;
  for (const v1::Event& e : events) types.push_back(e.type());
  EXPECT_THAT(types, ElementsAre("department.updated", "complaint.recorded",
                                 "complaint.judged_valid", "complaint.cause_analyzed"));
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_LT(events[i - 1].sequence(), events[i].sequence());
  }
  EXPECT_EQ(events[0].department().code(), "quality");
  EXPECT_THAT(events[0].department().handler_ids(), ElementsAre(kQiu.subject));
  const v1::Event& judged = events[2];
  EXPECT_EQ(judged.aggregate_id(), std::to_string(id));
  EXPECT_EQ(judged.complaint().id(), id);
  EXPECT_EQ(judged.complaint().state(), v1::STATE_ASSIGNED);
  EXPECT_EQ(judged.complaint().handler_id(), kQiu.subject);
  EXPECT_EQ(judged.transition().action(), "judged_valid");
  EXPECT_EQ(judged.transition().actor(), kAgent.subject);
  EXPECT_EQ(judged.transition().from_state(), v1::STATE_RECORDED);
  EXPECT_FALSE(judged.has_alert());
  EXPECT_EQ(events[3].complaint().cause(), "the die wore out");

  // The audit trail has the same steps, for directors.
  v1::ListAuditLogRequest audit;
  audit.set_resource_type("complaint");
  audit.set_resource_id(std::to_string(id));
  v1::ListAuditLogResponse records;
  ASSERT_TRUE(
      Call(&v1::ComplaintService::Stub::ListAuditLog, "ListAuditLog", kDirector, audit, &records)
          .ok());
  EXPECT_EQ(records.records_size(), 3);
}

}  // namespace
}  // namespace kam::complaints
