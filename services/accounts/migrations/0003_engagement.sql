-- Working the account: contact records (the timeline) and visit plans.
CREATE TABLE contact_records (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  kind TINYINT NOT NULL,
  occurred_at DATETIME(6) NOT NULL,
  -- JSON array of the contact ids met.
  contact_ids_json VARCHAR(400) NOT NULL DEFAULT '[]',
  attendees VARCHAR(500) NOT NULL DEFAULT '',
  summary TEXT NOT NULL,
  outcome TINYINT NOT NULL,
  next_step VARCHAR(500) NOT NULL DEFAULT '',
  visit_plan_id BIGINT NULL,
  author_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  create_time DATETIME(6) NOT NULL,
  KEY ix_contact_records_timeline (account_id, occurred_at, id),
  KEY ix_contact_records_visits (account_id, kind, occurred_at, id),
  CONSTRAINT fk_contact_records_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE visit_plans (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  owner_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  -- The planned day at 00:00 UTC.
  planned_at DATETIME(6) NOT NULL,
  objective VARCHAR(500) NOT NULL,
  status TINYINT NOT NULL,
  contact_record_id BIGINT NULL,
  cancel_reason VARCHAR(500) NOT NULL DEFAULT '',
  create_time DATETIME(6) NOT NULL,
  update_time DATETIME(6) NOT NULL,
  KEY ix_visit_plans_owner (owner_id, status, planned_at, id),
  KEY ix_visit_plans_account (account_id, status, planned_at, id),
  KEY ix_visit_plans_due (status, planned_at, id),
  CONSTRAINT fk_visit_plans_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
