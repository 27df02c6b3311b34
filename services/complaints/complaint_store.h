#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/db.h"
#include "services/common/identity.h"
#include "services/common/store_support.h"
#include "services/complaints/procedure.h"
#include "services/complaints/sla.h"

// The SQL of complaints: intake, the procedure's steps, queries and departments (the SLA
// sweep is in sla_store.h). Every change writes the complaint row, a complaint_transitions row, an
// audit row and an outbox event ("complaint.<action>", payload = the complaint after the change
// plus the transition and, for SLA events, the alert) in one transaction.
namespace kam::complaints {

// ListComplaints filters; empty/zero/unset fields match everything.
struct ComplaintFilter {
  std::vector<State> states;
  Category category = Category::kUnspecified;
  int64_t account_id = 0;
  std::string department;
  std::string handler_id;
  enum class Sla { kAny, kAtRisk, kBreached } sla = Sla::kAny;
  std::optional<absl::Time> created_from;    // create_time >= this
  std::optional<absl::Time> created_before;  // create_time < this
  // Access limits derived from the caller (not from the request): account managers see
  // complaints whose account_owner_id or recorded_by is `visible_to_owner`; handlers those
  // of `visible_department`.
  std::string visible_to_owner;
  std::string visible_department;
};

// A page of "my queue": ordered by the running deadline's due time, then id.
struct QueueCursor {
  absl::Time due = absl::InfinitePast();  // start: nothing before
  int64_t id = 0;
};

class ComplaintStore {
 public:
  ComplaintStore(DbPool& pool, const SlaPolicy& policy);

  // Intake. Fills the account fields from account_replica (NOT_FOUND "account N not
  // found" when the replica has no such account; FAILED_PRECONDITION when it is archived),
  // starts the clocks, records the "recorded" transition. Idempotent on m.request_id.
  // An account manager (`caller`) may record only for accounts the replica says they own.
  absl::StatusOr<Complaint> Create(const Mutation& m, const Principal& caller, Complaint draft);

  // NOT_FOUND when missing.
  absl::StatusOr<Complaint> Get(int64_t id);

  // One step of the procedure on the locked row: CheckStep and CanSee against the caller
  // (a complaint the caller may not see is PERMISSION_DENIED), routing for kJudgeValid
  // (the category's department, its next handler in turn) and kReassign (the named or next
  // handler; INVALID_ARGUMENT "department" for an unknown one), then ApplyStep. Idempotent.
  absl::StatusOr<Complaint> Step(const Mutation& m, const Principal& caller, int64_t id,
                                 StepInput input);

  // Newest first (id descending), keyset: id < before_id (0 = from the newest).
  absl::StatusOr<Page<Complaint>> List(const ComplaintFilter& filter, int64_t before_id,
                                       int page_size);
  // The caller's queue (complaints.proto ListMyQueue), after `cursor`.
  absl::StatusOr<Page<Complaint>> Queue(const Principal& caller, const QueueCursor& cursor,
                                        int page_size);
  // Oldest first.
  absl::StatusOr<std::vector<Transition>> History(int64_t id);

  // Creates (etag empty; ALREADY_EXISTS if the code is taken) or replaces (ABORTED on a
  // stale etag) a department; FAILED_PRECONDITION when a category is routed to another.
  absl::StatusOr<Department> PutDepartment(const Mutation& m, const Department& department,
                                           const std::string& etag);
  absl::StatusOr<std::vector<Department>> ListDepartments();

 private:
  DbPool& pool_;
  const SlaPolicy& policy_;
};

}  // namespace kam::complaints
