#include "services/complaints/queue_query.h"

#include <initializer_list>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/store_support.h"
#include "services/complaints/complaint_records.h"

namespace kam::complaints {
namespace {

// One branch: rows equal to `columns` = `values`, in deadline order on an index that starts
// with those columns and goes on with (queue_due_at, id).
struct Branch {
  std::vector<std::string> columns;
  std::vector<SqlParam> values;
};

// A handler's queue: the department's complaints assigned to them or to no one yet
// (ix_complaints_team_queue: department, handler_id, state, queue_due_at, id).
void AddHandlerBranches(const Principal& caller, std::vector<Branch>& branches) {
  if (!caller.HasRole("handler") || caller.department.empty()) return;
  for (const std::string& handler : {caller.subject, std::string()}) {
    for (State s : {State::kAssigned, State::kCauseAnalyzed, State::kResolutionApproved}) {
      branches.push_back(
          {{"c.department", "c.handler_id", "c.state"}, {caller.department, handler, Enum(s)}});
    }
  }
}

// Service agents and directors: every complaint in their states (ix_complaints_queue:
// state, queue_due_at, id).
void AddStateBranches(const Principal& caller, std::vector<Branch>& branches) {
  auto add = [&](std::initializer_list<State> states) {
    for (State s : states) branches.push_back({{"c.state"}, {Enum(s)}});
  };
  if (caller.HasRole("service_agent")) add({State::kRecorded, State::kResolutionImplemented});
  if (caller.HasRole("director")) add({State::kResolutionProposed, State::kFollowedUp});
}

}  // namespace

std::optional<SqlQuery> QueueQuery(const Principal& caller, const QueueCursor& cursor,
                                   int page_size) {
  std::vector<Branch> branches;
  AddHandlerBranches(caller, branches);
  AddStateBranches(caller, branches);
  if (branches.empty()) return std::nullopt;

  SqlQuery query;
  const int64_t limit = int64_t{page_size} + 1;
  std::vector<std::string> selects;
  for (Branch& branch : branches) {
    std::vector<std::string> where;
    for (const std::string& column : branch.columns) where.push_back(column + " = ?");
    for (SqlParam& v : branch.values) query.params.push_back(std::move(v));
    if (cursor.id != 0) {
      // After the previous page's last (due, id); ranges of the branch's index (the plan is
      // checked by complaint_store_test's QueueQueryTest).
      where.push_back("(c.queue_due_at > ? OR (c.queue_due_at = ? AND c.id > ?))");
      query.params.insert(query.params.end(), {cursor.due, cursor.due, cursor.id});
    }
    query.params.push_back(limit);
    // Index-only: the branch's index holds queue_due_at and id.
    selects.push_back(absl::StrCat("(SELECT c.id, c.queue_due_at FROM complaints c WHERE ",
                                   absl::StrJoin(where, " AND "),
                                   " ORDER BY c.queue_due_at, c.id LIMIT ?)"));
  }
  query.params.push_back(limit);
  // Sorting by q's columns keeps the merge on the branches' few rows; the full rows are
  // then read by primary key.
  query.sql =
      absl::StrCat("SELECT ", kComplaintColumns, " FROM (", absl::StrJoin(selects, " UNION ALL "),
                   ") q JOIN complaints c ON c.id = q.id "
                   "ORDER BY q.queue_due_at, q.id LIMIT ?");
  return query;
}

}  // namespace kam::complaints
