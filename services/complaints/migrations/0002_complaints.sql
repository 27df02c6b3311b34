-- Complaints, their procedure history, handling departments, and the replica of accounts
-- that intake reads (fed by the accounts event stream).

-- WriteOutbox takes this row lock so outbox ids follow commit order (services/common/outbox.h).
CREATE TABLE outbox_lock (
  id TINYINT NOT NULL PRIMARY KEY,
  events BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT INTO outbox_lock (id, events) VALUES (1, 0);

-- What complaints needs to know about accounts, as of the accounts event `source_sequence`.
CREATE TABLE account_replica (
  account_id BIGINT NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  tier TINYINT NOT NULL,
  owner_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  status TINYINT NOT NULL,
  archived BOOLEAN NOT NULL,
  source_sequence BIGINT NOT NULL,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Where each event consumer of this service stands in its producer's stream; written in the
-- same transaction as the events' effects.
CREATE TABLE consumer_cursors (
  stream VARCHAR(64) NOT NULL PRIMARY KEY,
  cursor_position BIGINT NOT NULL,
  -- The producer's head as last reported; cursor = head means caught up at updated_at.
  head_sequence BIGINT NOT NULL,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Department codes compare exactly (utf8mb4_bin) in SQL as in C++: "Quality" is not "quality".
CREATE TABLE departments (
  code VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  manager_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  -- JSON array of handler subjects, in round-robin order.
  handlers_json TEXT NOT NULL,
  next_handler INT NOT NULL,
  version BIGINT NOT NULL,
  update_time DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The category -> department routing: each category goes to exactly one department.
CREATE TABLE department_categories (
  category TINYINT NOT NULL PRIMARY KEY,
  department VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  KEY ix_department_categories (department)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The four handling departments of DOMAIN.md; directors add handlers and managers
-- (PutDepartment). Until then valid complaints wait unassigned in the department's queue.
INSERT INTO departments (code, name, manager_id, handlers_json, next_handler, version, update_time)
VALUES ('quality', 'Quality', '', '[]', 0, 1, UTC_TIMESTAMP(6)),
       ('contracts', 'Contracts', '', '[]', 0, 1, UTC_TIMESTAMP(6)),
       ('logistics', 'Logistics', '', '[]', 0, 1, UTC_TIMESTAMP(6)),
       ('service', 'Customer service', '', '[]', 0, 1, UTC_TIMESTAMP(6));
INSERT INTO department_categories (category, department)
VALUES (1, 'quality'), (2, 'contracts'), (3, 'logistics'), (4, 'service'), (5, 'service');

CREATE TABLE complaints (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  contact_id BIGINT NOT NULL,
  account_name VARCHAR(200) NOT NULL,
  account_tier TINYINT NOT NULL,
  account_owner_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  channel TINYINT NOT NULL,
  category TINYINT NOT NULL,
  subcategory VARCHAR(100) NOT NULL,
  description TEXT NOT NULL,
  severity TINYINT NOT NULL,
  manner TINYINT NOT NULL,
  state TINYINT NOT NULL,
  recorded_by VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  create_time DATETIME(6) NOT NULL,
  update_time DATETIME(6) NOT NULL,
  invalid_reason TEXT NOT NULL,
  department VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  handler_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  cause TEXT NOT NULL,
  resolution TEXT NOT NULL,
  rejection_reason TEXT NOT NULL,
  implementation_note TEXT NOT NULL,
  follow_up_json TEXT NULL,
  summary TEXT NOT NULL,
  evaluation TEXT NOT NULL,
  close_time DATETIME(6) NULL,
  reopen_count INT NOT NULL,
  judge_budget_seconds BIGINT NOT NULL,
  judge_warn_at DATETIME(6) NOT NULL,
  judge_due_at DATETIME(6) NOT NULL,
  judge_met_at DATETIME(6) NULL,
  judge_warned BOOLEAN NOT NULL,
  judge_breached BOOLEAN NOT NULL,
  resolve_budget_seconds BIGINT NOT NULL,
  resolve_warn_at DATETIME(6) NOT NULL,
  resolve_due_at DATETIME(6) NOT NULL,
  resolve_met_at DATETIME(6) NULL,
  resolve_warned BOOLEAN NOT NULL,
  resolve_breached BOOLEAN NOT NULL,
  waiting_on_customer BOOLEAN NOT NULL,
  paused_at DATETIME(6) NULL,
  escalation_level TINYINT NOT NULL,
  second_escalation_at DATETIME(6) NULL,
  -- NextSlaCheck(): when the sweeper next has something to fire; NULL when nothing is.
  next_sla_at DATETIME(6) NULL,
  -- The running deadline (judgment while RECORDED, else resolution) for "my queue" order.
  queue_due_at DATETIME(6) NOT NULL,
  version BIGINT NOT NULL,
  KEY ix_complaints_sla (next_sla_at),
  KEY ix_complaints_account (account_id, id),
  KEY ix_complaints_owner (account_owner_id, id),
  KEY ix_complaints_recorder (recorded_by, id),
  KEY ix_complaints_state (state, id),
  KEY ix_complaints_department (department, state, queue_due_at, id),
  KEY ix_complaints_handler (handler_id, state, queue_due_at, id),
  -- Newest-first lists filtered by one of these (ListComplaints).
  KEY ix_complaints_department_list (department, id),
  KEY ix_complaints_handler_list (handler_id, id),
  KEY ix_complaints_category (category, id),
  KEY ix_complaints_queue (state, queue_due_at, id),
  KEY ix_complaints_created (create_time),
  KEY ix_complaints_open (state, account_tier, category)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE complaint_transitions (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  complaint_id BIGINT NOT NULL,
  action VARCHAR(32) NOT NULL,
  from_state TINYINT NOT NULL,
  to_state TINYINT NOT NULL,
  actor VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  occurred_at DATETIME(6) NOT NULL,
  note TEXT NOT NULL,
  KEY ix_transitions_complaint (complaint_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
