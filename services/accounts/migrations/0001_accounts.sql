-- The customer archive: accounts and contacts, plus the audit trail, outbox and
-- idempotency keys that every state change writes in its own transaction. Identifiers
-- (owner, actor, request id) compare exactly (utf8mb4_bin): 'Bob' is not 'bob'.
CREATE TABLE accounts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  registration_number VARCHAR(64) NOT NULL,
  nature TINYINT NOT NULL,
  industry VARCHAR(100) NOT NULL DEFAULT '',
  region VARCHAR(100) NOT NULL DEFAULT '',
  scale TINYINT NOT NULL DEFAULT 0,
  lifecycle_stage TINYINT NOT NULL DEFAULT 0,
  status TINYINT NOT NULL,
  tier TINYINT NOT NULL DEFAULT 0,
  owner_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  archived BOOLEAN NOT NULL DEFAULT FALSE,
  version BIGINT NOT NULL DEFAULT 1,
  create_time DATETIME(6) NOT NULL,
  update_time DATETIME(6) NOT NULL,
  archive_time DATETIME(6) NULL,
  UNIQUE KEY uk_accounts_registration (registration_number),
  KEY ix_accounts_owner (owner_id, id),
  KEY ix_accounts_tier (tier, id),
  KEY ix_accounts_industry (industry, id),
  KEY ix_accounts_region (region, id),
  KEY ix_accounts_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE contacts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  name VARCHAR(100) NOT NULL,
  title VARCHAR(100) NOT NULL DEFAULT '',
  phone VARCHAR(40) NOT NULL DEFAULT '',
  email VARCHAR(200) NOT NULL DEFAULT '',
  buying_role TINYINT NOT NULL DEFAULT 0,
  create_time DATETIME(6) NOT NULL,
  KEY ix_contacts_account (account_id, id),
  CONSTRAINT fk_contacts_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE audit_log (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  actor VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  action VARCHAR(64) NOT NULL,
  resource_type VARCHAR(64) NOT NULL,
  resource_id VARCHAR(64) NOT NULL,
  request_id VARCHAR(128) NOT NULL,
  occurred_at DATETIME(6) NOT NULL,
  before_json LONGTEXT NOT NULL,
  after_json LONGTEXT NOT NULL,
  note VARCHAR(1000) NOT NULL DEFAULT '',
  KEY ix_audit_resource (resource_type, resource_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE outbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_id CHAR(36) NOT NULL,
  event_type VARCHAR(64) NOT NULL,
  aggregate_type VARCHAR(64) NOT NULL,
  aggregate_id VARCHAR(64) NOT NULL,
  payload LONGTEXT NOT NULL,
  occurred_at DATETIME(6) NOT NULL,
  UNIQUE KEY uk_outbox_event (event_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE idempotency_keys (
  actor VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  request_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  fingerprint CHAR(64) NOT NULL,
  response LONGTEXT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (actor, request_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
