#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "services/common/db.h"
#include "services/common/store_support.h"
#include "services/complaints/procedure.h"

// How complaints are kept: JSON (audit rows, idempotent responses, outbox payloads) and SQL
// rows, shared by ComplaintStore and SlaStore.
namespace kam::complaints {

nlohmann::json ComplaintJson(const Complaint& complaint);
Complaint ComplaintFromJson(const nlohmann::json& j);
nlohmann::json TransitionJson(const Transition& transition);
Transition TransitionFromJson(const nlohmann::json& j);
nlohmann::json AlertJson(const SlaAlert& alert);
SlaAlert AlertFromJson(const nlohmann::json& j);
nlohmann::json DepartmentJson(const Department& department);
Department DepartmentFromJson(const nlohmann::json& j);

// The outbox payload of a complaint event:
// {"complaint": ComplaintJson, "transition": TransitionJson, "alert": AlertJson or null}.
nlohmann::json ComplaintEventJson(const Complaint& complaint, const Transition& transition,
                                  const std::optional<SlaAlert>& alert);

// The complaints columns for SELECTs ("c." prefixed) and the reader of one row.
extern const char kComplaintColumns[];
Complaint ReadComplaint(const sql::ResultSet& row);
// Reads one complaint; with `lock`, FOR UPDATE. nullopt when missing.
std::optional<Complaint> SelectComplaint(DbConnection& db, int64_t id, bool lock);
// Inserts a new complaint with every column (as UpdateComplaintRow computes them); returns
// its id.
int64_t InsertComplaintRow(DbConnection& db, const Complaint& complaint);
// Writes every mutable column of an existing complaint (by id), with next_sla_at =
// NextSlaCheck(complaint) and queue_due_at from the running deadline.
void UpdateComplaintRow(DbConnection& db, const Complaint& complaint);

// Records one step in the caller's transaction: the complaint_transitions row, the audit
// row ("complaint.<transition.action>", before -> after) and the outbox event
// (ComplaintEventJson). Returns the transition with its id. Write it last in the
// transaction (the outbox lock).
Transition RecordTransition(DbConnection& db, const Mutation& m, const Complaint& before,
                            const Complaint& after, Transition transition,
                            const std::optional<SlaAlert>& alert);

}  // namespace kam::complaints
