#pragma once

#include <string>

#include "kam/complaints/v1/complaints.pb.h"

namespace kam::kamctl {

// The complaint as "key: value" lines: intake (with the handling guidance for the customer's
// manner), where it stands in the procedure, what each step recorded, and both SLA clocks.
void PrintComplaint(const kam::complaints::v1::Complaint& complaint);

// Complaints as a table, one row each: where each stands and both SLA deadlines (UTC, a
// breach in capitals so that it stands out), then the next page token.
void PrintComplaints(const kam::complaints::v1::ListComplaintsResponse& response);
void PrintQueue(const kam::complaints::v1::ListMyQueueResponse& response);

// The steps of one complaint, oldest first.
void PrintHistory(const kam::complaints::v1::ListComplaintHistoryResponse& response);

void PrintDepartment(const kam::complaints::v1::Department& department);
void PrintDepartments(const kam::complaints::v1::ListDepartmentsResponse& response);

}  // namespace kam::kamctl
