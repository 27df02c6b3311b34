-- Escalation per SLA clock: each clock (judgment, resolution) climbs its own ladder (level 1
-- the department's manager, level 2 the director), and a met clock stops its ladder. Before,
-- one level per complaint let a judgment breach's level 2 fire while only the resolution was
-- unmet, and kept a later resolution breach from escalating at all.
ALTER TABLE complaints
  ADD COLUMN judge_escalation_level TINYINT NOT NULL DEFAULT 0 AFTER judge_breached,
  ADD COLUMN judge_second_escalation_at DATETIME(6) NULL AFTER judge_escalation_level,
  ADD COLUMN resolve_escalation_level TINYINT NOT NULL DEFAULT 0 AFTER resolve_breached,
  ADD COLUMN resolve_second_escalation_at DATETIME(6) NULL AFTER resolve_escalation_level;

-- The old level carries over to every clock that had breached when this runs: whichever
-- breach raised it, its managers have heard of a breach, and no breach that happened before
-- the upgrade escalates again. (Which clock the single level followed cannot be told from
-- the flags: a judgment made late but before the sweeper saw it counts as breached without
-- having escalated.) Level 2 followed level 1 on the same ladder.
UPDATE complaints
SET judge_escalation_level = escalation_level, judge_second_escalation_at = second_escalation_at
WHERE escalation_level > 0 AND judge_breached;
UPDATE complaints
SET resolve_escalation_level = escalation_level,
    resolve_second_escalation_at = second_escalation_at
WHERE escalation_level > 0 AND resolve_breached;

-- An open resolution clock that breached and never escalated (the sweeper had not run yet):
-- the sweeper owes it level 1 now (NextSlaCheck: due since its deadline). A met
-- judgment clock's pending level 2 needs nothing: the sweeper finds nothing due and
-- recomputes next_sla_at. 2 = INVALID, 9 = CLOSED (procedure.h State).
UPDATE complaints
SET next_sla_at = LEAST(COALESCE(next_sla_at, resolve_due_at), resolve_due_at)
WHERE state NOT IN (2, 9) AND NOT waiting_on_customer AND resolve_met_at IS NULL
  AND resolve_breached AND resolve_escalation_level = 0;

-- The old columns stay until every replica runs this code: during a rolling update the old
-- replicas still read and write them (new rows get the default). A later migration drops them.
ALTER TABLE complaints MODIFY escalation_level TINYINT NOT NULL DEFAULT 0;

-- ListMyQueue reads a handler's queue per (department, handler or unassigned, state) in
-- deadline order, a page at a time (queue_query.cc QueueQuery).
ALTER TABLE complaints
  ADD KEY ix_complaints_team_queue (department, handler_id, state, queue_due_at, id);
