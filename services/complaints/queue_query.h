#pragma once

#include <optional>
#include <string>
#include <vector>

#include "services/common/db.h"
#include "services/common/identity.h"
#include "services/complaints/complaint_store.h"

// The SQL of ListMyQueue (complaints.proto): what waits on each of the caller's roles, in
// the order of the running deadline (queue_due_at), then id.
namespace kam::complaints {

struct SqlQuery {
  std::string sql;
  std::vector<SqlParam> params;
};

// One page (page_size + 1 rows, so that the caller sees whether more follow) after
// `cursor`, selecting kComplaintColumns. Each (state, role) of the queue is a branch of a
// UNION ALL that reads its own index in deadline order and stops after page_size + 1 rows,
// so a page reads at most branches x (page_size + 1) rows however many complaints are open;
// the branches are disjoint (no row is in two), and the merge sorts only what they return.
// nullopt when the caller has no role with a queue.
std::optional<SqlQuery> QueueQuery(const Principal& caller, const QueueCursor& cursor,
                                   int page_size);

}  // namespace kam::complaints
