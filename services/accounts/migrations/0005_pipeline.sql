-- The six-stage pipeline: opportunities with their key-node data, and every stage change.
CREATE TABLE opportunities (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  name VARCHAR(200) NOT NULL,
  owner_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  stage TINYINT NOT NULL,
  amount_minor BIGINT NOT NULL DEFAULT 0,
  probability_percent TINYINT NOT NULL,
  expected_close_at DATETIME(6) NULL,
  needs TEXT NOT NULL,
  -- NULL until the budget is known (part of the first key node).
  budget_minor BIGINT NULL,
  timetable TEXT NOT NULL,
  competition TEXT NOT NULL,
  decision_makers TEXT NOT NULL,
  account_tier TINYINT NOT NULL DEFAULT 0,
  presales_approval VARCHAR(500) NOT NULL DEFAULT '',
  relationship_progress TEXT NOT NULL,
  bid_submitted_at DATETIME(6) NULL,
  contract_id BIGINT NULL,
  accepted_at DATETIME(6) NULL,
  lost_reason VARCHAR(500) NOT NULL DEFAULT '',
  closed_at DATETIME(6) NULL,
  version BIGINT NOT NULL DEFAULT 1,
  create_time DATETIME(6) NOT NULL,
  update_time DATETIME(6) NOT NULL,
  KEY ix_opportunities_owner (owner_id, stage, id),
  KEY ix_opportunities_account (account_id, stage, id),
  KEY ix_opportunities_stage (stage, id),
  CONSTRAINT fk_opportunities_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE stage_changes (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  opportunity_id BIGINT NOT NULL,
  from_stage TINYINT NOT NULL,
  to_stage TINYINT NOT NULL,
  actor VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  reason VARCHAR(500) NOT NULL DEFAULT '',
  changed_at DATETIME(6) NOT NULL,
  KEY ix_stage_changes (opportunity_id, id),
  CONSTRAINT fk_stage_changes_opportunity FOREIGN KEY (opportunity_id) REFERENCES opportunities (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
