#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/common/identity.h"
#include "services/complaints/sla.h"

// Domain types and pure rules of complaint handling (DOMAIN.md "Complaints"): the procedure
// as a state machine, who may take each step, the SLA clocks and what the sweeper fires.
// No gRPC, no SQL; time is passed in.
namespace kam::complaints {

// Numbering matches kam.complaints.v1 so that the edge converts with a cast.
enum class Channel { kUnspecified, kPhone, kEmail, kVisit, kWeb, kCallCentre };
enum class Category { kUnspecified, kProductQuality, kContract, kTransport, kService, kOther };
enum class Manner { kUnspecified, kAssertive, kHesitant, kFriendly, kAngry };
enum class State {
  kUnspecified,
  kRecorded,
  kInvalid,
  kAssigned,
  kCauseAnalyzed,
  kResolutionProposed,
  kResolutionApproved,
  kResolutionImplemented,
  kFollowedUp,
  kClosed
};
// kam.complaints.v1.SlaStatus.
enum class SlaStatus { kUnspecified, kOnTrack, kAtRisk, kBreached, kMet, kMetLate };

// Longest free texts (characters); descriptions, causes and resolutions may span lines.
inline constexpr size_t kMaxLongText = 4000;
inline constexpr size_t kMaxReason = 2000;
inline constexpr size_t kMaxSubcategory = 100;

// The subject the SLA sweeper acts as in transitions and audit rows.
inline constexpr char kSweeperActor[] = "system:sla";

// One SLA deadline and how far it went.
struct SlaClock {
  absl::Duration budget;  // business time, from the policy at intake
  Deadline deadline;      // warn_at / due_at
  std::optional<absl::Time> met_at;
  bool warned = false;    // the warning was fired (or the step was done before it)
  bool breached = false;  // the breach was fired
  // This clock's own escalation ladder: 0, 1 (department manager), 2 (director). Each clock
  // escalates its own breach; meeting the clock stops its ladder.
  int escalation_level = 0;
  std::optional<absl::Time> second_escalation_at;  // when level 2 is due while still running
};
SlaStatus StatusOf(const SlaClock& clock, absl::Time now);

struct FollowUp {
  int perceived = 0;  // 1..5
  int expected = 0;   // 1..5
  bool satisfied = false;
  std::string note;
  std::string recorded_by;
  absl::Time time;
  int Gap() const { return perceived - expected; }
};

struct Complaint {
  int64_t id = 0;
  int64_t account_id = 0;
  int64_t contact_id = 0;
  // The account as the replica knew it at intake.
  std::string account_name;
  int account_tier = 0;  // 0 none, 1..4 = A..D
  std::string account_owner_id;

  Channel channel = Channel::kUnspecified;
  Category category = Category::kUnspecified;
  std::string subcategory;
  std::string description;
  Severity severity = Severity::kLow;
  Manner manner = Manner::kUnspecified;

  State state = State::kRecorded;
  std::string recorded_by;
  absl::Time create_time;
  absl::Time update_time;

  std::string invalid_reason;
  std::string department;
  std::string handler_id;
  std::string cause;
  std::string resolution;
  std::string rejection_reason;
  std::string implementation_note;
  std::optional<FollowUp> follow_up;
  std::string summary;
  std::string evaluation;
  std::optional<absl::Time> close_time;
  int reopen_count = 0;

  SlaClock judgment;
  SlaClock resolution_clock;
  bool waiting_on_customer = false;
  std::optional<absl::Time> paused_at;

  int64_t version = 1;  // bumped by every change; the etag derives from it
};

std::string Etag(const Complaint& complaint);
// The highest level any of the complaint's clocks escalated to (complaints.proto
// Complaint.escalation_level).
int EscalationLevel(const Complaint& complaint);
bool IsFinal(State state);  // INVALID or CLOSED
std::string_view StateName(State state);
std::string_view CategoryName(Category category);
// How to handle a customer of this manner (DOMAIN.md).
std::string_view HandlingGuidance(Manner manner);

// Who may read a complaint: account managers the complaints of accounts they own
// (account_owner_id, kept current from the accounts stream) or recorded; handlers those of
// their department; service agents, directors, admins, analysts and system callers all.
bool CanSee(const Principal& caller, const Complaint& complaint);

// A handling department: the categories routed to it, its handlers in round-robin order
// and the manager level-1 escalations go to.
struct Department {
  std::string code;
  std::string name;
  std::vector<Category> categories;
  std::vector<std::string> handler_ids;
  std::string manager_id;
  int next_handler = 0;  // index into handler_ids of the next assignment
  int64_t version = 1;
};
std::string Etag(const Department& department);
// The handler whose turn it is ("" when the department has none), advancing the turn.
std::string TakeNextHandler(Department& department);

// The steps of the procedure (complaints.proto, State).
enum class Action {
  kJudgeValid,
  kJudgeInvalid,
  kReassign,
  kAnalyzeCause,
  kProposeResolution,
  kApproveResolution,
  kRejectResolution,
  kImplementResolution,
  kFollowUp,  // satisfied, or unsatisfied without reopening
  kReopen,    // an unsatisfied follow-up that sends it back to cause analysis
  kClose,
  kPauseClock,
  kResumeClock
};
// The Transition.action recorded for it, e.g. "judged_valid".
std::string_view ActionName(Action action);

// What the caller supplies with a step (validated at the edge; only the fields the action
// uses are read).
struct StepInput {
  Action action = Action::kJudgeValid;
  std::string text;        // reason, cause, resolution, implementation note, summary
  std::string evaluation;  // kClose
  FollowUp follow_up;      // kFollowUp / kReopen
  // kJudgeValid / kReassign: where it goes (chosen by the store from the routing and the
  // department's round-robin; kReassign may name them).
  std::string department;
  std::string handler_id;
};

// PERMISSION_DENIED unless the caller's role may take `action` on this complaint
// (handlers: only of the assigned department), then FAILED_PRECONDITION unless the
// complaint is in the state the action comes from (the message names the current state).
absl::Status CheckStep(Action action, const Complaint& complaint, const Principal& caller);

// One recorded step (complaint_transitions row / Transition message).
struct Transition {
  int64_t id = 0;
  int64_t complaint_id = 0;
  std::string action;
  State from = State::kUnspecified;
  State to = State::kUnspecified;
  std::string actor;
  absl::Time time;
  std::string note;
};

// Applies a step that CheckStep allowed: the new state and fields, the SLA clocks stopped,
// paused or resumed as the step implies, version bumped. Returns the transition to record.
Transition ApplyStep(const StepInput& input, const std::string& actor, absl::Time now,
                     const SlaPolicy& policy, Complaint& complaint);

// The deadline "my queue" orders by (complaints.queue_due_at): the judgment deadline while
// RECORDED, the resolution deadline while open, the far future (9999-12-31) once final.
absl::Time QueueDue(const Complaint& complaint);

// A new complaint at intake: state RECORDED, both clocks started at `now` with the
// policy's budgets for (tier, severity).
void StartClocks(const SlaPolicy& policy, absl::Time now, Complaint& complaint);

// The account's tier changed to `tier` (1..4, 0 none) at `now` while the complaint is open:
// the clocks still running take the new tier's budgets, keeping the business time already
// used (SlaPolicy::Rebudget; paused clocks as of the pause), and account_tier follows. A
// met clock, or one already past its deadline, keeps its figures (a breach stays a
// breach); alerts already fired stay fired. Returns the transition to record ("sla_retargeted"), or
// nullopt when nothing changes (a final complaint, the same tier, or no running clock).
std::optional<Transition> RetargetClocks(const SlaPolicy& policy, int tier,
                                         const std::string& actor, absl::Time now,
                                         Complaint& complaint);

// ---- The SLA sweeper ----

// One alert the sweeper fires.
struct SlaAlert {
  std::string kind;   // "judgment" or "resolution"
  std::string level;  // "warning", "breach" or "escalation"
  int escalation_level = 0;
  std::string escalated_to;  // the department manager (level 1) or "director" (level 2)
  absl::Time due_at;
};

// The earliest moment at which the sweeper has something to do for this complaint
// (a warning, breach or escalation not yet fired), or nullopt when nothing is pending:
// final states, paused clocks, everything fired. Stored as complaints.next_sla_at.
std::optional<absl::Time> NextSlaCheck(const Complaint& complaint);

// Fires everything due at `now` (each at most once: the flags on the complaint record what
// fired): warnings at 80%, breaches at 100%, and per clock an escalation ladder: level 1
// when the clock is breached while it runs, level 2 `policy.escalation_delay()` later if it
// still runs then. A clock met (or stopped by a final state) ends its ladder; a clock that
// runs again past its deadline (a reopened resolution) climbs where its ladder stood.
// `department_manager` is the level-1 recipient. Bumps the version when anything fired.
std::vector<SlaAlert> FireDueAlerts(absl::Time now, const SlaPolicy& policy,
                                    const std::string& department_manager, Complaint& complaint);

}  // namespace kam::complaints
