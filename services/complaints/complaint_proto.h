#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "kam/complaints/v1/complaint.pb.h"
#include "services/common/event_store.h"
#include "services/complaints/complaint_store.h"
#include "services/complaints/procedure.h"

// Conversion between the domain types of procedure.h and kam.complaints.v1 messages, and
// the page token of ListMyQueue. No validation here: the handlers check requests first.
namespace kam::complaints {

// SLA statuses depend on the moment they are asked about: `now` is the call's time for
// responses and the event's time for events.
void ToProto(const Complaint& complaint, absl::Time now, v1::Complaint* out);
void ToProto(const Transition& transition, v1::Transition* out);
void ToProto(const Department& department, v1::Department* out);
void ToProto(const SlaAlert& alert, v1::SlaAlert* out);

// The client's fields of an intake (CreateComplaintRequest.complaint); the output-only
// fields are ignored.
Complaint DraftFromProto(const v1::Complaint& complaint);
Department FromProto(const v1::Department& department);

// One outbox row as a WatchEvents Event: the envelope plus the typed payload
// (complaint.*: the complaint, its transition and SLA alert; department.*: the department).
// An unreadable payload is delivered without one (and logged) rather than holding every
// consumer at that event.
void EventToProto(const StoredEvent& stored, v1::Event* event);

// ListMyQueue's keyset is (due, id), so its token carries both, bound to the query digest
// like the single-key tokens of validation.h.
std::string EncodeQueueToken(const QueueCursor& after, std::string_view query_digest);
// "" decodes to the start; INVALID_ARGUMENT on page_token if garbled or made for another
// query.
absl::StatusOr<QueueCursor> DecodeQueueToken(std::string_view token, std::string_view query_digest);

}  // namespace kam::complaints
