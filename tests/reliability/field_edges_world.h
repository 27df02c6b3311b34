#pragma once

// What the field edge cases write against: one valid base request per write method of the
// three services (a table, checked against the descriptors), built over records made for
// the purpose (accounts, contacts, opportunities, complaints at each step of the
// procedure, ...), and the reads that bring a written record back.
#include <google/protobuf/message.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "services/common/jwt.h"
#include "tests/e2e/e2e_client.h"
#include "tests/e2e/e2e_fixture.h"

namespace kam::reliability {

namespace pb = google::protobuf;

// The caller of one write method: a role and, for handlers, a department.
struct Role {
  std::string role;
  std::string department;
};

// One write method and how to make a valid request of it. `base` may create the records the
// request needs; `consumes` names the record kind an accepted request uses up (a complaint
// judged once cannot be judged again), so the next request gets a new one.
struct WriteMethod {
  std::string service;  // "kam.accounts.v1.AccountService"
  std::string name;     // "CreateAccount"
  Role role;
  std::function<std::unique_ptr<pb::Message>()> base;
  std::string consumes;
};

class FieldEdgeWorld {
 public:
  // Creates the shared records (an account with a contact for most methods, a department
  // and an account known to complaints' replica). ADD_FAILURE()s when setup fails.
  // `mint` signs the callers' tokens (E2eTest::GoodMint()).
  explicit FieldEdgeWorld(JwtMintOptions mint);

  // A caller with `role`; the subject changes every few calls so the per-subject rate limit
  // of the gateway never refuses a case.
  e2e::Caller CallerFor(const Role& role);
  // A caller with a fixed subject (an account manager acting on their own accounts).
  e2e::Caller CallerAs(const std::string& subject, const Role& role) const;
  // The write methods with their base requests.
  const std::vector<WriteMethod>& methods() const { return methods_; }
  // Forgets the record kind an accepted call used up.
  void Spend(const std::string& kind) { pool_.erase(kind); }

  // The record `written` (a response's sub-message: Account, Contact, Opportunity,
  // Complaint, ...) as a read returns it now; nullptr when there is no read for its type or
  // the read fails.
  std::unique_ptr<pb::Message> ReadBack(const pb::Message& written);

  int64_t account_id() const { return account_id_; }
  std::string NewId(const std::string& prefix);

 private:
  void AddAccountMethods();
  void AddEngagementMethods();
  void AddCommerceMethods();
  void AddComplaintMethods();
  void AddAnalyticsMethods();
  void Add(const std::string& service, const std::string& name, Role role,
           std::function<std::unique_ptr<pb::Message>()> base, std::string consumes = "");

  // The id of a record of `kind`, made by `make` unless one not yet used up is at hand.
  int64_t Pooled(const std::string& kind, const std::function<int64_t()>& make);

  int64_t NewAccount(const std::string& owner);
  int64_t NewContact();
  int64_t NewOpportunity();
  int64_t NewVisitPlan();
  int64_t NewDraftContract();
  int64_t NewSuspendedAccount();
  // A complaint of the replicated account brought to `steps` steps after intake
  // (0 = RECORDED, 1 = ASSIGNED, ..., 6 = FOLLOWED_UP).
  int64_t NewComplaint(int steps);
  void PutDepartment();
  Role Handler() const { return {"handler", department_}; }

  std::string Etag(const std::string& kind, int64_t id);

  JwtMintOptions mint_;
  std::vector<WriteMethod> methods_;
  std::map<std::string, int64_t> pool_;
  int calls_ = 0;
  int64_t account_id_ = 0;
  int64_t complaint_account_id_ = 0;
  // The department that takes product-quality complaints (the stack seeds one), with this
  // scenario's handlers.
  std::string department_;
};

}  // namespace kam::reliability
