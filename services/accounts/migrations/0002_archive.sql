-- The complete archive: classifications, business data, credit, group hierarchy, tags,
-- account teams with the access list they imply, and the history of tier, owner, credit
-- and parent changes. outbox_lock orders the outbox by commit (see services/common/outbox.h).
ALTER TABLE accounts
  ADD COLUMN parent_id BIGINT NULL,
  ADD COLUMN transaction_process TINYINT NOT NULL DEFAULT 0,
  ADD COLUMN volume_position TINYINT NOT NULL DEFAULT 0,
  ADD COLUMN address VARCHAR(300) NOT NULL DEFAULT '',
  ADD COLUMN phone VARCHAR(40) NOT NULL DEFAULT '',
  ADD COLUMN legal_representative VARCHAR(100) NOT NULL DEFAULT '',
  -- BusinessProfile as JSON; '' when none was given.
  ADD COLUMN business_json TEXT NOT NULL,
  -- Sorted JSON array of the tags (account_tags holds them for filtering).
  ADD COLUMN tags_json VARCHAR(1200) NOT NULL DEFAULT '[]',
  ADD COLUMN credit_rating TINYINT NOT NULL DEFAULT 0,
  -- 0 = no limit set.
  ADD COLUMN credit_limit_minor BIGINT NOT NULL DEFAULT 0,
  -- All orders minus all payments, kept with every order and payment.
  ADD COLUMN receivable_minor BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN visit_plan_suspended BOOLEAN NOT NULL DEFAULT FALSE,
  -- Visits before this time do not count towards the five-visits rule (set on restore).
  ADD COLUMN visit_streak_since DATETIME(6) NULL,
  ADD KEY ix_accounts_parent (parent_id, id),
  ADD KEY ix_accounts_status (status, id),
  -- The usual pair of list filters: a page of one industry in one region reads its rows only.
  ADD KEY ix_accounts_industry_region (industry, region, id),
  ADD CONSTRAINT fk_accounts_parent FOREIGN KEY (parent_id) REFERENCES accounts (id);

-- Tags compare exactly, as the archive's rules do ("VIP" and "vip", "cafe" and "café" are
-- two tags): a case- or accent-insensitive key would refuse such a pair as a duplicate.
CREATE TABLE account_tags (
  account_id BIGINT NOT NULL,
  tag VARCHAR(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  PRIMARY KEY (account_id, tag),
  KEY ix_account_tags_tag (tag, account_id),
  CONSTRAINT fk_account_tags_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE account_team (
  account_id BIGINT NOT NULL,
  member_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  role TINYINT NOT NULL,
  add_time DATETIME(6) NOT NULL,
  PRIMARY KEY (account_id, member_id),
  CONSTRAINT fk_account_team_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who may work on which account: the owner (bit 1) and team members (bit 2). One indexed
-- range per manager serves their lists; a row with no bits left is deleted.
CREATE TABLE account_access (
  member_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  account_id BIGINT NOT NULL,
  via TINYINT NOT NULL,
  PRIMARY KEY (member_id, account_id),
  KEY ix_account_access_account (account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO account_access (member_id, account_id, via) SELECT owner_id, id, 1 FROM accounts;

CREATE TABLE account_history (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  kind TINYINT NOT NULL,
  from_value VARCHAR(128) NOT NULL,
  to_value VARCHAR(128) NOT NULL,
  actor VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  reason VARCHAR(500) NOT NULL DEFAULT '',
  request_id VARCHAR(128) NOT NULL,
  changed_at DATETIME(6) NOT NULL,
  KEY ix_account_history (account_id, id),
  KEY ix_account_history_kind (account_id, kind, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE contacts
  ADD COLUMN character_note VARCHAR(500) NOT NULL DEFAULT '',
  ADD COLUMN interests VARCHAR(500) NOT NULL DEFAULT '',
  ADD COLUMN family VARCHAR(500) NOT NULL DEFAULT '',
  ADD COLUMN education VARCHAR(200) NOT NULL DEFAULT '',
  ADD COLUMN birth_year SMALLINT NOT NULL DEFAULT 0,
  ADD COLUMN version BIGINT NOT NULL DEFAULT 1,
  ADD COLUMN update_time DATETIME(6) NULL;

ALTER TABLE audit_log ADD KEY ix_audit_actor (actor, id);

-- Serialises parent changes, so that two concurrent moves cannot together make a cycle.
CREATE TABLE hierarchy_lock (
  id TINYINT NOT NULL PRIMARY KEY
) ENGINE=InnoDB;
INSERT INTO hierarchy_lock (id) VALUES (1);

CREATE TABLE outbox_lock (
  id TINYINT NOT NULL PRIMARY KEY,
  events BIGINT NOT NULL
) ENGINE=InnoDB;
INSERT INTO outbox_lock (id, events) VALUES (1, 0);
