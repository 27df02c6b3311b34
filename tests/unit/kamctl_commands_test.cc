// kamctl commands end to end in one process: the command line as a user types it, the
// request an AccountService receives, and what the user reads. The service is a fake behind
// an in-process channel that records requests and answers with canned responses.
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <gmock/gmock.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "kam/accounts/v1/accounts.pb.h"
#include "tools/kamctl/app.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::accounts::v1;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// An AccountService that answers every method generically: it keeps each request and sends
// the responses (none to many, for streams) and the status set for that method.
class FakeAccountService final : public grpc::CallbackGenericService {
 public:
  struct Answer {
    std::vector<std::string> responses;
    grpc::Status status;
  };
  struct Received {
    std::string request;
    std::string authorization;
  };

  void Reply(const std::string& method, const google::protobuf::Message& response) {
    Stream(method, {&response});
  }
  void Stream(const std::string& method,
              const std::vector<const google::protobuf::Message*>& responses) {
    std::lock_guard<std::mutex> lock(mu_);
    Answer& answer = answers_[method];
    answer.responses.clear();
    for (const auto* response : responses) answer.responses.push_back(response->SerializeAsString());
    answer.status = grpc::Status::OK;
  }
  void Fail(const std::string& method, grpc::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    answers_[method] = {{}, std::move(status)};
  }

  std::vector<Received> Calls(const std::string& method) {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_[method];
  }
  // The request of the one call of `method`.
  template <typename Request>
  Request Only(const std::string& method) {
    std::vector<Received> calls = Calls(method);
    Request request;
    EXPECT_THAT(calls, SizeIs(1)) << method;
    if (!calls.empty()) {
      EXPECT_TRUE(request.ParseFromString(calls.back().request));
    }
    return request;
  }

  // Called by the reactor: keeps the request, returns the answer.
  Answer Take(const std::string& full_method, Received received) {
    const std::string method = full_method.substr(full_method.rfind('/') + 1);
    std::lock_guard<std::mutex> lock(mu_);
    calls_[method].push_back(std::move(received));
    auto answer = answers_.find(method);
    if (answer == answers_.end()) return {{}, grpc::Status(grpc::StatusCode::UNIMPLEMENTED, method)};
    return answer->second;
  }

 private:
  class Call final : public grpc::ServerGenericBidiReactor {
   public:
    Call(FakeAccountService* service, grpc::GenericCallbackServerContext* context)
        : service_(service), context_(context) {
      StartRead(&request_);
    }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status(grpc::StatusCode::INTERNAL, "no request"));
        return;
      }
      std::string authorization;
      auto header = context_->client_metadata().find("authorization");
      if (header != context_->client_metadata().end()) {
        authorization.assign(header->second.data(), header->second.size());
      }
      answer_ = service_->Take(context_->method(), {ToString(request_), authorization});
      WriteNext();
    }
    void OnWriteDone(bool ok) override {
      if (ok) {
        WriteNext();
      } else {
        Finish(grpc::Status::CANCELLED);
      }
    }
    void OnDone() override { delete this; }

   private:
    void WriteNext() {
      if (next_ == answer_.responses.size()) {
        Finish(answer_.status);
        return;
      }
      response_ = ToBuffer(answer_.responses[next_++]);
      StartWrite(&response_);
    }

    FakeAccountService* service_;
    grpc::GenericCallbackServerContext* context_;
    grpc::ByteBuffer request_, response_;
    Answer answer_;
    size_t next_ = 0;
  };

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new Call(this, context);
  }

  std::mutex mu_;
  std::map<std::string, Answer> answers_;
  std::map<std::string, std::vector<Received>> calls_;
};

template <typename Message>
Message Proto(const std::string& text) {
  Message message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

// Compares with a text proto; request_id is random, so the caller checks it apart.
MATCHER_P(EqualsProto, text, "equals " + std::string(text)) {
  auto expected = Proto<std::decay_t<decltype(arg)>>(text);
  if (google::protobuf::util::MessageDifferencer::Equals(arg, expected)) return true;
  *result_listener << "is " << arg.ShortDebugString();
  return false;
}

template <typename Request>
Request WithoutRequestId(Request request) {
  EXPECT_THAT(request.request_id(), Not(IsEmpty()));
  request.clear_request_id();
  return request;
}

struct Result {
  int exit_code = 0;
  std::string out;
  std::string err;
};

class KamctlCommandTest : public ::testing::Test {
 protected:
  KamctlCommandTest() {
    grpc::ServerBuilder builder;
    builder.RegisterCallbackGenericService(&service_);
    server_ = builder.BuildAndStart();
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());
  }
  ~KamctlCommandTest() override { server_->Shutdown(); }

  // Runs `kamctl --token test-token <args>`, capturing what it prints.
  Result Kamctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"kamctl", "--token", "test-token"});
    std::vector<const char*> argv;
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    std::stringstream out, err;
    std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
    std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
    Result result;
    result.exit_code = kamctl::Run(static_cast<int>(argv.size()), argv.data(), channel_);
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    result.out = out.str();
    result.err = err.str();
    return result;
  }

  // A file with `text`, for the import commands.
  std::string File(const std::string& name, const std::string& text) {
    const std::string path = ::testing::TempDir() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  FakeAccountService service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// ---- accounts ----

TEST_F(KamctlCommandTest, CreateSendsTheArchiveFieldsAndShowsThem) {
  service_.Reply("CreateAccount", Proto<v1::CreateAccountResponse>(R"pb(
    account {
      id: 12 name: "华东精密" parent_id: 3 tags: "key" tags: "steel"
      business { employee_count: 800 annual_revenue { currency_code: "CNY" minor_units: 1234567 } }
      credit_limit { currency_code: "CNY" minor_units: 0 }
    })pb"));
  const Result r = Kamctl(
      {"accounts", "create", "--name", "华东精密", "--registration-number", "91310000X",
       "--nature", "ordinary_company", "--parent", "3", "--transaction-process", "current",
       "--volume-position", "major", "--address", "上海市浦东新区", "--phone", "+86 21 5555",
       "--legal-representative", "张伟", "--tags", "key, steel", "--service-area", "East China",
       "--employees", "800", "--annual-revenue", "12345.67"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::CreateAccountRequest>("CreateAccount")),
              EqualsProto(R"pb(
                account {
                  name: "华东精密" registration_number: "91310000X" nature: NATURE_ORDINARY_COMPANY
                  parent_id: 3 transaction_process: TRANSACTION_PROCESS_CURRENT
                  volume_position: VOLUME_POSITION_MAJOR address: "上海市浦东新区"
                  phone: "+86 21 5555" legal_representative: "张伟" tags: "key" tags: "steel"
                  business {
                    service_area: "East China" employee_count: 800
                    annual_revenue { currency_code: "CNY" minor_units: 1234567 }
                  }
                })pb"));
  EXPECT_THAT(service_.Calls("CreateAccount")[0].authorization, "Bearer test-token");
  EXPECT_THAT(r.out, HasSubstr("annual revenue:       12,345.67 CNY"));
  EXPECT_THAT(r.out, HasSubstr("tags:                 key, steel"));
  EXPECT_THAT(r.out, HasSubstr("credit limit:         no limit"));
  EXPECT_THAT(r.out, HasSubstr("parent:               3"));
}

TEST_F(KamctlCommandTest, UpdateMasksExactlyTheFlagsGiven) {
  service_.Reply("UpdateAccount", v1::UpdateAccountResponse());
  const Result r = Kamctl({"accounts", "update", "12", "--etag", "v4", "--region", "", "--tags",
                           "", "--reputation", "solid", "--parent", "0", "--reason", "regrouped"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::UpdateAccountRequest>("UpdateAccount")),
              EqualsProto(R"pb(
                account { id: 12 business { reputation: "solid" } }
                update_mask { paths: "region" paths: "parent_id" paths: "tags" paths: "business.reputation" }
                etag: "v4" reason: "regrouped")pb"));
}

TEST_F(KamctlCommandTest, UpdateWithoutFieldsIsAUsageErrorAndCallsNothing) {
  const Result r = Kamctl({"accounts", "update", "12", "--etag", "v4"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("nothing to update: give at least one of --name"));
  EXPECT_THAT(r.err, HasSubstr("--annual-revenue"));
  EXPECT_THAT(service_.Calls("UpdateAccount"), IsEmpty());
}

TEST_F(KamctlCommandTest, BadValuesAreRefusedBeforeAnyCall) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"accounts", "update", "12", "--etag", "v", "--annual-revenue",
                                 "12.345"},
        {"accounts", "update", "12", "--etag", "v", "--scale", "huge"},
        {"accounts", "update", "12", "--etag", "v", "--employees", "-3"},
        {"accounts", "set-tier", "12", "--tier", "E", "--reason", "x"},
        {"records", "add", "12", "--kind", "visit", "--at", "20.11.2026", "--summary", "s",
         "--outcome", "effective"}}) {
    const Result r = Kamctl(args);
    EXPECT_EQ(r.exit_code, 2) << args[1];
    EXPECT_THAT(r.err, HasSubstr("error: ")) << args[1];
  }
  EXPECT_THAT(Kamctl({"accounts", "update", "12", "--etag", "v", "--annual-revenue", "12.345"}).err,
              HasSubstr("more than 2 decimals"));
  EXPECT_THAT(Kamctl({"accounts", "update", "12", "--etag", "v", "--scale", "huge"}).err,
              HasSubstr("micro, small, medium, large"));
}

TEST_F(KamctlCommandTest, TreeIndentsSubsidiariesAndWarnsWhenTruncated) {
  service_.Reply("GetGroupTree", Proto<v1::GetGroupTreeResponse>(R"pb(
    nodes { account_id: 1 name: "华东集团" depth: 0 }
    nodes { account_id: 5 parent_id: 1 name: "Shanghai" depth: 1 }
    nodes { account_id: 9 parent_id: 5 name: "Pudong" depth: 2 }
    truncated: true)pb"));
  const Result r = Kamctl({"accounts", "tree", "1", "--depth", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(service_.Only<v1::GetGroupTreeRequest>("GetGroupTree").max_depth(), 2);
  EXPECT_EQ(r.out,
            "ID  NAME\n"
            "1   华东集团\n"
            "5     Shanghai\n"
            "9       Pudong\n");
  EXPECT_THAT(r.err, HasSubstr("warning: the group is larger than shown"));
}

TEST_F(KamctlCommandTest, HistoryFiltersByKindAndShowsValuesReadably) {
  service_.Reply("ListAccountHistory", Proto<v1::ListAccountHistoryResponse>(R"pb(
    changes { kind: HISTORY_KIND_CREDIT_LIMIT from_value: "0" to_value: "50000000" actor: "dora"
              reason: "annual review" change_time { seconds: 1795168800 } })pb"));
  const Result r = Kamctl({"accounts", "history", "12", "--kind", "credit-limit"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::ListAccountHistoryRequest>("ListAccountHistory"),
              EqualsProto("account_id: 12 kind: HISTORY_KIND_CREDIT_LIMIT"));
  EXPECT_THAT(r.out, HasSubstr("2026-11-20T10:00:00Z  credit_limit  no limit  500,000.00 CNY  dora  "
                               "annual review"));
}

TEST_F(KamctlCommandTest, SetTierAndSetCredit) {
  service_.Reply("SetTier", v1::SetTierResponse());
  service_.Reply("SetCredit", v1::SetCreditResponse());
  ASSERT_EQ(Kamctl({"accounts", "set-tier", "12", "--tier", "a", "--reason", "score 91"}).exit_code,
            0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::SetTierRequest>("SetTier")),
              EqualsProto(R"pb(account_id: 12 tier: TIER_A reason: "score 91")pb"));

  ASSERT_EQ(Kamctl({"accounts", "set-credit", "12", "--rating", "AA", "--limit", "500000.00",
                    "--reason", "bank report"})
                .exit_code,
            0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::SetCreditRequest>("SetCredit")),
              EqualsProto(R"pb(
                account_id: 12 update_mask { paths: "credit_rating" paths: "credit_limit" }
                credit_rating: CREDIT_RATING_AA
                credit_limit { currency_code: "CNY" minor_units: 50000000 }
                reason: "bank report")pb"));

  const Result neither = Kamctl({"accounts", "set-credit", "12", "--reason", "x"});
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_THAT(neither.err, HasSubstr("give --rating, --limit or both"));
  EXPECT_EQ(Kamctl({"accounts", "set-tier", "12", "--tier", "A"}).exit_code, 2);  // no reason
}

TEST_F(KamctlCommandTest, TransferTakesAccountsRepeatedOrCommaSeparated) {
  service_.Reply("TransferAccounts", Proto<v1::TransferAccountsResponse>(
                                         "accounts_moved: 3 opportunities_moved: 2 "
                                         "visit_plans_moved: 4"));
  const Result r = Kamctl({"accounts", "transfer", "--from", "liwei", "--to", "alice", "--account",
                           "1,2", "--account", "3", "--reason", "Li Wei left"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::TransferAccountsRequest>("TransferAccounts")),
              EqualsProto(R"pb(from_owner_id: "liwei" to_owner_id: "alice" account_ids: 1
                               account_ids: 2 account_ids: 3 reason: "Li Wei left")pb"));
  EXPECT_EQ(r.out, "accounts moved:      3\nopportunities moved: 2\nvisit plans moved:   4\n");
}

TEST_F(KamctlCommandTest, GroupSummaryReadsAsABlockAndWarnsWhenPartial) {
  service_.Reply("GetGroupSummary", Proto<v1::GetGroupSummaryResponse>(R"pb(
    summary {
      account_id: 1 accounts_total: 7 accounts_included: 5 partial: true
      revenue { minor_units: 123456789 } cost { minor_units: 100000000 }
      gross_profit { minor_units: 23456789 } payments { minor_units: 108024690 }
      collection_rate_bp: 8750 open_pipeline { minor_units: 500000000 }
      weighted_pipeline { minor_units: 200000000 } receivables { minor_units: 5100000 }
      credit_limit { minor_units: 5000000 } credit_exposure { minor_units: 5100000 }
      credit_available { minor_units: -100000 } over_limit: true
    })pb"));
  const Result r = Kamctl({"accounts", "summary", "1", "--from", "2026-01-01", "--to", "2026-07-01"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::GetGroupSummaryRequest>("GetGroupSummary"),
              EqualsProto(R"pb(account_id: 1 period {
                                 start_time { seconds: 1767225600 }
                                 end_time { seconds: 1782864000 }
                               })pb"));
  EXPECT_THAT(r.out, AllOf(HasSubstr("accounts:          5 of 7 (partial)\n"),
                           HasSubstr("period:            2026-01-01 to 2026-07-01 (end excluded)"),
                           HasSubstr("revenue:           1,234,567.89 CNY\n"),
                           HasSubstr("gross profit:      234,567.89 CNY\n"),
                           HasSubstr("collection rate:   87.50%\n"),
                           HasSubstr("weighted pipeline: 2,000,000.00 CNY\n"),
                           HasSubstr("credit limit:      50,000.00 CNY\n"),
                           HasSubstr("credit available:  -1,000.00 CNY (OVER LIMIT)\n")));
  EXPECT_THAT(r.err, HasSubstr("warning: partial: you may see 5 of the group's 7 accounts"));
}

TEST_F(KamctlCommandTest, GroupSummaryNeedsThePeriod) {
  EXPECT_EQ(Kamctl({"accounts", "summary", "1", "--from", "2026-01-01"}).exit_code, 2);
  EXPECT_THAT(service_.Calls("GetGroupSummary"), IsEmpty());
}

// ---- team and contacts ----

TEST_F(KamctlCommandTest, TeamAddRemoveAndList) {
  service_.Reply("AddTeamMember", v1::AddTeamMemberResponse());
  service_.Reply("RemoveTeamMember", v1::RemoveTeamMemberResponse());
  service_.Reply("ListTeamMembers", Proto<v1::ListTeamMembersResponse>(
                                        R"pb(members { member_id: "bob" role: TEAM_ROLE_TECHNICAL })pb"));
  ASSERT_EQ(Kamctl({"team", "add", "12", "bob", "--role", "technical"}).exit_code, 0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::AddTeamMemberRequest>("AddTeamMember")),
              EqualsProto(R"pb(member { account_id: 12 member_id: "bob" role: TEAM_ROLE_TECHNICAL })pb"));
  const Result removed = Kamctl({"team", "remove", "12", "bob"});
  EXPECT_EQ(removed.out, "removed bob from the team of account 12\n");
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::RemoveTeamMemberRequest>("RemoveTeamMember")),
              EqualsProto(R"pb(account_id: 12 member_id: "bob")pb"));
  EXPECT_THAT(Kamctl({"team", "list", "12"}).out, HasSubstr("bob     technical"));
  EXPECT_EQ(Kamctl({"team", "add", "12", "bob"}).exit_code, 2);  // the role is required
}

TEST_F(KamctlCommandTest, ContactUpdateMasksPersonalNotesByField) {
  service_.Reply("UpdateContact", Proto<v1::UpdateContactResponse>(
                                      R"pb(contact { id: 4 name: "王芳" personal_notes_hidden: true })pb"));
  const Result r = Kamctl({"contacts", "update", "4", "--etag", "v2", "--title", "CFO",
                           "--character", "direct", "--birth-year", "1975"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::UpdateContactRequest>("UpdateContact")),
              EqualsProto(R"pb(
                contact { id: 4 title: "CFO" personal_notes { character: "direct" birth_year: 1975 } }
                update_mask { paths: "title" paths: "personal_notes.character"
                              paths: "personal_notes.birth_year" }
                etag: "v2")pb"));
  EXPECT_THAT(r.out, HasSubstr("personal notes: (hidden from you)"));
}

// ---- records and visits ----

TEST_F(KamctlCommandTest, RecordAddMapsFlagsAndWarnsWhenTheAccountLeavesThePlan) {
  service_.Reply("CreateContactRecord", Proto<v1::CreateContactRecordResponse>(R"pb(
    record { id: 40 account_id: 12 kind: CONTACT_KIND_VISIT outcome: CONTACT_OUTCOME_NO_RESULT }
    visit_plan_suspended: true)pb"));
  const Result r = Kamctl({"records", "add", "12", "--kind", "visit", "--at",
                           "2026-11-20T10:00:00Z", "--summary", "met purchasing", "--outcome",
                           "no-result", "--contacts", "1,2", "--next-step", "call back",
                           "--plan", "9"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::CreateContactRecordRequest>("CreateContactRecord")),
              EqualsProto(R"pb(record {
                                 account_id: 12 kind: CONTACT_KIND_VISIT
                                 occur_time { seconds: 1795168800 } contact_ids: 1 contact_ids: 2
                                 summary: "met purchasing" outcome: CONTACT_OUTCOME_NO_RESULT
                                 next_step: "call back" visit_plan_id: 9
                               })pb"));
  EXPECT_THAT(r.out, HasSubstr("outcome:    no_result"));
  EXPECT_THAT(r.err, AllOf(HasSubstr("warning: this was the 5th visit in a row without result"),
                           HasSubstr("kamctl visits restore 12 --reason")));
}

TEST_F(KamctlCommandTest, RecordAddWithoutSuspensionPrintsNoWarning) {
  service_.Reply("CreateContactRecord", v1::CreateContactRecordResponse());
  const Result r = Kamctl({"records", "add", "12", "--kind", "call", "--at", "2026-11-20",
                           "--summary", "s", "--outcome", "effective"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

TEST_F(KamctlCommandTest, TimelineCutsLongSummaries) {
  service_.Reply("ListTimeline", Proto<v1::ListTimelineResponse>(R"pb(
    records { id: 40 kind: CONTACT_KIND_MEETING outcome: CONTACT_OUTCOME_EFFECTIVE
              summary: "a very long summary of the meeting that goes on and on and on"
              occur_time { seconds: 1795168800 } author_id: "alice" }
    next_page_token: "tok")pb"));
  const Result r = Kamctl({"records", "timeline", "12", "--page-size", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::ListTimelineRequest>("ListTimeline"),
              EqualsProto("account_id: 12 page_size: 1"));
  EXPECT_THAT(r.out, AllOf(HasSubstr("a very long summary of the meeting that…"),
                           Not(HasSubstr("on and on")), HasSubstr("next page: --page-token tok")));
}

TEST_F(KamctlCommandTest, VisitsPlanAndListFlagOverdueRows) {
  service_.Reply("CreateVisitPlan", v1::CreateVisitPlanResponse());
  ASSERT_EQ(Kamctl({"visits", "plan", "12", "--on", "2026-12-01", "--objective", "quarterly review"})
                .exit_code,
            0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::CreateVisitPlanRequest>("CreateVisitPlan")),
              EqualsProto(R"pb(plan { account_id: 12 planned_time { seconds: 1796083200 }
                                      objective: "quarterly review" })pb"));

  service_.Reply("ListVisitPlans", Proto<v1::ListVisitPlansResponse>(R"pb(
    plans { id: 1 account_id: 12 owner_id: "alice" status: VISIT_PLAN_STATUS_PLANNED overdue: true
            planned_time { seconds: 1795168800 } objective: "late" }
    plans { id: 2 account_id: 12 owner_id: "alice" status: VISIT_PLAN_STATUS_PLANNED
            planned_time { seconds: 1796083200 } objective: "on time" })pb"));
  const Result r = Kamctl({"visits", "list", "--owner", "alice", "--status", "planned", "--overdue"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::ListVisitPlansRequest>("ListVisitPlans"),
              EqualsProto(R"pb(owner_id: "alice" status: VISIT_PLAN_STATUS_PLANNED
                               overdue_only: true)pb"));
  EXPECT_THAT(r.out, AllOf(HasSubstr("1   12       2026-11-20  alice  OVERDUE  late"),
                           HasSubstr("2   12       2026-12-01  alice  planned  on time"),
                           HasSubstr("1 overdue")));
}

TEST_F(KamctlCommandTest, VisitsCancelAndRestoreNeedAReason) {
  service_.Reply("CancelVisitPlan", v1::CancelVisitPlanResponse());
  service_.Reply("RestoreVisitPlan", v1::RestoreVisitPlanResponse());
  EXPECT_EQ(Kamctl({"visits", "cancel", "7"}).exit_code, 2);
  ASSERT_EQ(Kamctl({"visits", "cancel", "7", "--reason", "customer closed"}).exit_code, 0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::CancelVisitPlanRequest>("CancelVisitPlan")),
              EqualsProto(R"pb(visit_plan_id: 7 reason: "customer closed")pb"));
  ASSERT_EQ(Kamctl({"visits", "restore", "12", "--reason", "new buyer"}).exit_code, 0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::RestoreVisitPlanRequest>("RestoreVisitPlan")),
              EqualsProto(R"pb(account_id: 12 reason: "new buyer")pb"));
}

// ---- opportunities ----

TEST_F(KamctlCommandTest, OppsCreateAndUpdateSetKeyNodes) {
  service_.Reply("CreateOpportunity", v1::CreateOpportunityResponse());
  service_.Reply("UpdateOpportunity", v1::UpdateOpportunityResponse());
  ASSERT_EQ(Kamctl({"opps", "create", "12", "--name", "Line 3", "--amount", "2000000",
                    "--budget", "1800000.50", "--needs", "two presses", "--timetable", "Q3"})
                .exit_code,
            0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::CreateOpportunityRequest>("CreateOpportunity")),
              EqualsProto(R"pb(opportunity {
                                 account_id: 12 name: "Line 3"
                                 amount { currency_code: "CNY" minor_units: 200000000 }
                                 needs: "two presses"
                                 budget { currency_code: "CNY" minor_units: 180000050 }
                                 timetable: "Q3"
                               })pb"));
  ASSERT_EQ(Kamctl({"opps", "update", "7", "--etag", "v3", "--bid-submitted",
                    "2026-11-20T10:00:00Z", "--contract", "5"})
                .exit_code,
            0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::UpdateOpportunityRequest>("UpdateOpportunity")),
              EqualsProto(R"pb(opportunity { id: 7 bid_submit_time { seconds: 1795168800 }
                                             contract_id: 5 }
                               update_mask { paths: "bid_submit_time" paths: "contract_id" }
                               etag: "v3")pb"));
}

TEST_F(KamctlCommandTest, OppsMoveShowsTheStageAndExplainsARefusal) {
  service_.Reply("MoveOpportunity", Proto<v1::MoveOpportunityResponse>(
                                        R"pb(opportunity { id: 7 stage: STAGE_BIDDING
                                                           probability_percent: 50 })pb"));
  const Result r = Kamctl({"opps", "move", "7", "--to", "bidding", "--etag", "v3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::MoveOpportunityRequest>("MoveOpportunity")),
              EqualsProto(R"pb(opportunity_id: 7 to_stage: STAGE_BIDDING etag: "v3")pb"));
  EXPECT_THAT(r.out, AllOf(HasSubstr("stage:                 bidding\n"),
                           HasSubstr("probability:           50%\n")));

  service_.Fail("MoveOpportunity",
                grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                             "relationship_progress: required to leave proposal"));
  const Result refused = Kamctl({"opps", "move", "7", "--to", "commercial-negotiation", "--etag",
                                 "v3"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err,
              AllOf(HasSubstr("error: FAILED_PRECONDITION: relationship_progress: required"),
                    HasSubstr("hint: not allowed in the record's current state")));
}

TEST_F(KamctlCommandTest, OppsHistoryMarksTheCreation) {
  service_.Reply("ListStageChanges", Proto<v1::ListStageChangesResponse>(R"pb(
    changes { to_stage: STAGE_CUSTOMER_DEVELOPMENT actor: "alice" }
    changes { from_stage: STAGE_PROPOSAL to_stage: STAGE_PROJECT_INITIATION actor: "alice"
              reason: "budget cut" })pb"));
  const Result r = Kamctl({"opps", "history", "7"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("(created)  customer_development  alice"),
                           HasSubstr("proposal   project_initiation    alice  budget cut")));
}

TEST_F(KamctlCommandTest, OppsSummaryTakesExactlyOneScope) {
  service_.Reply("GetPipelineSummary", Proto<v1::GetPipelineSummaryResponse>(R"pb(
    stages { stage: STAGE_PROPOSAL opportunities: 2 amount { minor_units: 300000000 }
             weighted_amount { minor_units: 90000000 } }
    open_amount { minor_units: 300000000 } weighted_amount { minor_units: 90000000 }
    won: 1 lost: 4)pb"));
  const Result r = Kamctl({"opps", "summary", "--group", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::GetPipelineSummaryRequest>("GetPipelineSummary"),
              EqualsProto("group_id: 1"));
  EXPECT_THAT(r.out, AllOf(HasSubstr("proposal    2     3,000,000.00 CNY  900,000.00 CNY"),
                           HasSubstr("open total  -     3,000,000.00 CNY  900,000.00 CNY"),
                           HasSubstr("won: 1, lost: 4")));
  EXPECT_EQ(Kamctl({"opps", "summary"}).exit_code, 2);
  EXPECT_EQ(Kamctl({"opps", "summary", "--owner", "a", "--group", "1"}).exit_code, 2);
  EXPECT_THAT(service_.Calls("GetPipelineSummary"), SizeIs(1));
}

// ---- contracts, orders, payments ----

TEST_F(KamctlCommandTest, ContractsCreateAndSign) {
  service_.Reply("CreateContract", v1::CreateContractResponse());
  service_.Reply("SignContract", Proto<v1::SignContractResponse>(
                                     R"pb(contract { id: 5 value { minor_units: 100 } })pb"));
  ASSERT_EQ(Kamctl({"contracts", "create", "12", "--number", "HT-2026-001", "--value", "1500000",
                    "--start", "2026-01-01", "--end", "2027-01-01", "--opportunity", "7"})
                .exit_code,
            0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::CreateContractRequest>("CreateContract")),
              EqualsProto(R"pb(contract {
                                 account_id: 12 number: "HT-2026-001"
                                 value { currency_code: "CNY" minor_units: 150000000 }
                                 start_time { seconds: 1767225600 }
                                 end_time { seconds: 1798761600 } opportunity_id: 7
                               })pb"));
  const Result r = Kamctl({"contracts", "sign", "5", "--at", "2026-11-20T10:00:00Z"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::SignContractRequest>("SignContract")),
              EqualsProto("contract_id: 5 sign_time { seconds: 1795168800 }"));
  EXPECT_THAT(r.out, HasSubstr("signed:      no (draft)"));  // as the fake answered
}

TEST_F(KamctlCommandTest, OrdersRecordTakesRepeatedLines) {
  service_.Reply("RecordOrder", v1::RecordOrderResponse());
  const Result r = Kamctl({"orders", "record", "12", "--external-id", "ERP-1", "--at",
                           "2026-11-20T10:00:00Z", "--line", "P-100,steel pipe,20,1234.00,900",
                           "--line", "V-1,valves, fittings,1,10.5,7"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::RecordOrderRequest>("RecordOrder")),
              EqualsProto(R"pb(order {
                account_id: 12 external_id: "ERP-1" order_time { seconds: 1795168800 }
                lines { product_code: "P-100" product_category: "steel pipe" quantity: 20
                        revenue { currency_code: "CNY" minor_units: 123400 }
                        cost { currency_code: "CNY" minor_units: 90000 } }
                lines { product_code: "V-1" product_category: "valves,fittings" quantity: 1
                        revenue { currency_code: "CNY" minor_units: 1050 }
                        cost { currency_code: "CNY" minor_units: 700 } }
              })pb"));
  const Result bad = Kamctl({"orders", "record", "12", "--external-id", "ERP-1", "--at",
                             "2026-11-20", "--line", "P-100,pipe,20"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("expected CODE,CATEGORY,QUANTITY,REVENUE,COST"));
}

TEST_F(KamctlCommandTest, OrdersListTakesAPeriod) {
  service_.Reply("ListOrders", Proto<v1::ListOrdersResponse>(R"pb(
    orders { id: 3 external_id: "ERP-1" revenue { minor_units: 123400 } cost { minor_units: 90000 }
             lines {} lines {} })pb"));
  const Result r = Kamctl({"orders", "list", "12", "--from", "2026-01-01", "--to", "2026-07-01"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::ListOrdersRequest>("ListOrders"),
              EqualsProto(R"pb(account_id: 12 period { start_time { seconds: 1767225600 }
                                                       end_time { seconds: 1782864000 } })pb"));
  EXPECT_THAT(r.out, HasSubstr("3   ERP-1        -       2      1,234.00 CNY  900.00 CNY"));
  EXPECT_EQ(Kamctl({"orders", "list", "12", "--from", "2026-01-01"}).exit_code, 2);
}

TEST_F(KamctlCommandTest, OrdersImportReportsEachItemAndFailsWhenAnyIsRejected) {
  service_.Reply("ImportOrders", Proto<v1::ImportOrdersResponse>(R"pb(
    results { index: 0 external_id: "ERP-1" code: 0 id: 31 }
    results { index: 1 external_id: "ERP-2" code: 9 message: "credit limit exceeded" }
    accepted: 1 rejected: 1)pb"));
  const std::string path = File("orders.json", R"([
    {"account_id": 12, "external_id": "ERP-1", "order_time": "2026-11-20T10:00:00Z",
     "lines": [{"product_code": "P-1", "product_category": "pipe", "quantity": 2,
                "revenue": {"minor_units": 1000}, "cost": {"minor_units": 800}}]},
    {"account_id": 12, "external_id": "ERP-2"}])");
  const Result r = Kamctl({"orders", "import", path});
  EXPECT_EQ(r.exit_code, 1);
  const auto request = service_.Only<v1::ImportOrdersRequest>("ImportOrders");
  ASSERT_EQ(request.orders_size(), 2);
  EXPECT_EQ(request.orders(0).lines(0).revenue().minor_units(), 1000);
  EXPECT_EQ(request.orders(1).external_id(), "ERP-2");
  EXPECT_THAT(r.out, AllOf(HasSubstr("0  ERP-1        recorded             31  -"),
                           HasSubstr("1  ERP-2        FAILED_PRECONDITION  -   credit limit "
                                     "exceeded"),
                           HasSubstr("accepted: 1, duplicates: 0, rejected: 1")));
  EXPECT_THAT(r.err, HasSubstr("1 item(s) not applied"));
}

TEST_F(KamctlCommandTest, OrdersImportSendsLargeFilesInBatchesNumberedFromTheFileStart) {
  std::string json = "[";
  for (int i = 0; i < 1001; ++i) {
    json += (i ? "," : "") + std::string(R"({"external_id": "E)") + std::to_string(i) + "\"}";
  }
  json += "]";
  // The fake answers each batch alike: one duplicate at index 0.
  service_.Reply("ImportOrders",
                 Proto<v1::ImportOrdersResponse>(
                     R"pb(results { index: 0 external_id: "x" code: 6 id: 1 } duplicates: 1)pb"));
  const Result r = Kamctl({"--json", "orders", "import", File("many.json", json)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto calls = service_.Calls("ImportOrders");
  ASSERT_THAT(calls, SizeIs(2));
  v1::ImportOrdersRequest second;
  ASSERT_TRUE(second.ParseFromString(calls[1].request));
  ASSERT_EQ(second.orders_size(), 1);
  EXPECT_EQ(second.orders(0).external_id(), "E1000");
  const nlohmann::json out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["duplicates"], 2);
  EXPECT_EQ(out["results"][1]["index"], 1000);
}

TEST_F(KamctlCommandTest, ImportRefusesABadFileWithoutCalling) {
  EXPECT_EQ(Kamctl({"payments", "import", File("bad.json", "[{\"amuont\": 1}]")}).exit_code, 2);
  EXPECT_THAT(Kamctl({"payments", "import", File("bad.json", "[{\"amuont\": 1}]")}).err,
              HasSubstr("item 0"));
  EXPECT_EQ(Kamctl({"payments", "import", "/nonexistent/file.json"}).exit_code, 2);
  EXPECT_EQ(Kamctl({"payments", "import", File("empty.json", "[]")}).exit_code, 2);
  EXPECT_THAT(service_.Calls("ImportPayments"), IsEmpty());
}

TEST_F(KamctlCommandTest, PaymentsRecordAndList) {
  service_.Reply("RecordPayment", v1::RecordPaymentResponse());
  ASSERT_EQ(Kamctl({"payments", "record", "12", "--external-id", "PAY-1", "--amount",
                    "150000.00", "--at", "2026-11-20T10:00:00Z", "--order", "31"})
                .exit_code,
            0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::RecordPaymentRequest>("RecordPayment")),
              EqualsProto(R"pb(payment {
                                 account_id: 12 external_id: "PAY-1"
                                 amount { currency_code: "CNY" minor_units: 15000000 }
                                 pay_time { seconds: 1795168800 } order_id: 31
                               })pb"));
  service_.Reply("ListPayments", Proto<v1::ListPaymentsResponse>(
                                     R"pb(payments { id: 2 external_id: "PAY-1"
                                                     amount { minor_units: 15000000 } })pb"));
  EXPECT_THAT(Kamctl({"payments", "list", "12", "--all"}).out, HasSubstr("150,000.00 CNY"));
}

// ---- credit, audit, events ----

TEST_F(KamctlCommandTest, CreditReportAndOverride) {
  service_.Reply("CreateCreditReport", v1::CreateCreditReportResponse());
  service_.Reply("GrantCreditOverride", v1::GrantCreditOverrideResponse());
  ASSERT_EQ(Kamctl({"credit", "report", "12", "--kind", "urgent", "--source", "agency",
                    "--summary", "late payments", "--suggest", "BB"})
                .exit_code,
            0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::CreateCreditReportRequest>("CreateCreditReport")),
              EqualsProto(R"pb(report {
                                 account_id: 12 kind: CREDIT_REPORT_KIND_URGENT
                                 source: CREDIT_SOURCE_CREDIT_AGENCY summary: "late payments"
                                 suggested_rating: CREDIT_RATING_BB
                               })pb"));
  ASSERT_EQ(Kamctl({"credit", "override", "12", "--allowance", "200000", "--reason", "harvest",
                    "--until", "2026-12-31"})
                .exit_code,
            0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::GrantCreditOverrideRequest>("GrantCreditOverride")),
              EqualsProto(R"pb(override {
                                 account_id: 12
                                 allowance { currency_code: "CNY" minor_units: 20000000 }
                                 reason: "harvest" expire_time { seconds: 1798761600 }
                               })pb"));
}

TEST_F(KamctlCommandTest, AuditListFilters) {
  service_.Reply("ListAuditLog", Proto<v1::ListAuditLogResponse>(R"pb(
    records { actor: "dora" action: "account.tier_changed" resource_type: "account"
              resource_id: "12" request_id: "req-1" time { seconds: 1795168800 } })pb"));
  const Result r = Kamctl({"audit", "list", "--resource-type", "account", "--resource-id", "12",
                           "--actor", "dora", "--from", "2026-11-01"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::ListAuditLogRequest>("ListAuditLog"),
              EqualsProto(R"pb(resource_type: "account" resource_id: "12" actor: "dora"
                               start_time { seconds: 1793491200 })pb"));
  EXPECT_THAT(r.out, HasSubstr("dora   account.tier_changed  account/12  req-1"));
}

TEST_F(KamctlCommandTest, EventsWatchStopsWhenCaughtUp) {
  const auto first = Proto<v1::WatchEventsResponse>(R"pb(
    events { sequence: 5 type: "account.created" aggregate_type: "account" aggregate_id: "12" }
    head_sequence: 9)pb");
  const auto second = Proto<v1::WatchEventsResponse>(R"pb(
    events { sequence: 9 type: "order.recorded" aggregate_type: "order" aggregate_id: "31" }
    head_sequence: 9)pb");
  const auto never = Proto<v1::WatchEventsResponse>(R"pb(
    events { sequence: 10 type: "late" } head_sequence: 10)pb");
  service_.Stream("WatchEvents", {&first, &second, &never});
  const Result r = Kamctl({"events", "watch", "--after", "4", "--type", "account.,order."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::WatchEventsRequest>("WatchEvents"),
              EqualsProto(R"pb(after_sequence: 4 type_prefixes: "account."
                               type_prefixes: "order.")pb"));
  EXPECT_EQ(r.out, "5    account.created  account/12\n9    order.recorded  order/31\n");
}

// ---- across commands ----

TEST_F(KamctlCommandTest, JsonOutputIsTheResponse) {
  service_.Reply("GetOpportunity", Proto<v1::GetOpportunityResponse>(
                                       R"pb(opportunity { id: 7 stage: STAGE_WON })pb"));
  const Result r = Kamctl({"opps", "get", "7", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["opportunity"]["stage"], "STAGE_WON");
  EXPECT_EQ(json["opportunity"]["id"], "7");
}

TEST_F(KamctlCommandTest, AnUnknownOutcomeTellsHowToRetrySafely) {
  service_.Fail("SetTier", grpc::Status(grpc::StatusCode::UNAVAILABLE, "service unavailable"));
  const Result r =
      Kamctl({"accounts", "set-tier", "12", "--tier", "B", "--reason", "x", "--request-id", "r-1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(service_.Only<v1::SetTierRequest>("SetTier").request_id(), "r-1");
  EXPECT_THAT(r.err, HasSubstr("to retry safely, repeat the command with --request-id r-1"));
}

TEST_F(KamctlCommandTest, EveryCommandHasHelp) {
  for (const char* group : {"accounts", "team", "contacts", "records", "visits", "opps",
                            "contracts", "orders", "payments", "credit", "audit", "events"}) {
    const Result r = Kamctl({group, "--help"});
    EXPECT_EQ(r.exit_code, 0) << group;
    EXPECT_THAT(r.out, HasSubstr("Subcommands:")) << group;
  }
  EXPECT_THAT(Kamctl({"opps", "move", "--help"}).out,
              HasSubstr("customer_development, project_initiation, proposal, bidding"));
}

}  // namespace
}  // namespace kam::kamctl
