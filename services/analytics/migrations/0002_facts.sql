-- Analytics facts, projected from the accounts and complaints event streams, its own inputs
-- (inventory, targets), the tier reviews, and the audit trail of its own changes.
-- Months are INT yyyymm in the company's time zone (the service's --time-zone).

-- The producer's head as last reported, next to the cursor (lag = head - cursor).
ALTER TABLE consumer_cursors ADD COLUMN head_sequence BIGINT NOT NULL DEFAULT 0;

-- The audit trail and outbox every analytics change (inputs, tier reviews) writes in its own
-- transaction (services/common/outbox.h). Nothing consumes analytics' outbox yet.
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

CREATE TABLE outbox_lock (
  id TINYINT NOT NULL PRIMARY KEY,
  events BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT INTO outbox_lock (id, events) VALUES (1, 0);

-- Accounts as the accounts stream last described them (as of source_sequence). Enum columns
-- hold the kam.accounts.v1 enum numbers.
CREATE TABLE accounts (
  account_id BIGINT NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  nature TINYINT NOT NULL,
  industry VARCHAR(100) NOT NULL,
  region VARCHAR(100) NOT NULL,
  scale TINYINT NOT NULL,
  lifecycle_stage TINYINT NOT NULL,
  status TINYINT NOT NULL,
  tier TINYINT NOT NULL,
  owner_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  parent_id BIGINT NOT NULL,
  credit_rating TINYINT NOT NULL,
  archived BOOLEAN NOT NULL,
  create_time DATETIME(6) NOT NULL,
  source_sequence BIGINT NOT NULL,
  KEY ix_accounts_owner (owner_id),
  KEY ix_accounts_region (region),
  KEY ix_accounts_industry (industry),
  KEY ix_accounts_parent (parent_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Group closure: one row per (ancestor or self, account), kept as parents change, so that
-- the group filter is one indexed lookup.
CREATE TABLE account_groups (
  group_id BIGINT NOT NULL,
  account_id BIGINT NOT NULL,
  depth INT NOT NULL,
  PRIMARY KEY (group_id, account_id),
  KEY ix_account_groups_account (account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- First and last order per account (new customers, at-risk accounts).
CREATE TABLE account_activity (
  account_id BIGINT NOT NULL PRIMARY KEY,
  first_order_time DATETIME(6) NOT NULL,
  first_order_month INT NOT NULL,
  last_order_time DATETIME(6) NOT NULL,
  KEY ix_activity_first_month (first_order_month)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The rollup per account and month: orders by order_time, payments by pay_time, signed
-- contracts by sign_time. Amounts in minor units of the reporting currency.
CREATE TABLE account_month (
  account_id BIGINT NOT NULL,
  month INT NOT NULL,
  revenue_minor BIGINT NOT NULL DEFAULT 0,
  cost_minor BIGINT NOT NULL DEFAULT 0,
  quantity BIGINT NOT NULL DEFAULT 0,
  orders INT NOT NULL DEFAULT 0,
  order_lines INT NOT NULL DEFAULT 0,
  paid_minor BIGINT NOT NULL DEFAULT 0,
  contract_value_minor BIGINT NOT NULL DEFAULT 0,
  contracts_signed INT NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, month),
  KEY ix_account_month_month (month, account_id, revenue_minor)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The rollup per account, month and product.
CREATE TABLE account_product_month (
  account_id BIGINT NOT NULL,
  month INT NOT NULL,
  product_code VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  quantity BIGINT NOT NULL DEFAULT 0,
  revenue_minor BIGINT NOT NULL DEFAULT 0,
  cost_minor BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, month, product_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The rollup per product and month over all accounts; product_category is the latest seen.
CREATE TABLE product_month (
  product_code VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  month INT NOT NULL,
  product_category VARCHAR(100) NOT NULL,
  quantity BIGINT NOT NULL DEFAULT 0,
  revenue_minor BIGINT NOT NULL DEFAULT 0,
  cost_minor BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (product_code, month),
  KEY ix_product_month_month (month)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- PutInventorySnapshots: the month's average inventory at cost per product.
CREATE TABLE inventory_snapshots (
  product_code VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  month INT NOT NULL,
  value_minor BIGINT NOT NULL,
  quantity BIGINT NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (product_code, month)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- PutAccountTargets: what the company expects of an account for a year.
CREATE TABLE account_targets (
  account_id BIGINT NOT NULL,
  year SMALLINT NOT NULL,
  expected_share_bp INT NOT NULL,
  wallet_estimate_minor BIGINT NOT NULL,
  industry_influence TINYINT NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (account_id, year)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Complaints as the complaints stream last described them. Enum columns hold the
-- kam.complaints.v1 / kam.accounts.v1 enum numbers.
CREATE TABLE complaint_facts (
  complaint_id BIGINT NOT NULL PRIMARY KEY,
  account_id BIGINT NOT NULL,
  category TINYINT NOT NULL,
  severity TINYINT NOT NULL,
  state TINYINT NOT NULL,
  account_tier TINYINT NOT NULL,
  create_time DATETIME(6) NOT NULL,
  create_month INT NOT NULL,
  -- NULL until judged; 1 valid, 0 invalid.
  valid BOOLEAN NULL,
  implemented_time DATETIME(6) NULL,
  close_time DATETIME(6) NULL,
  judgment_breached BOOLEAN NOT NULL,
  resolution_breached BOOLEAN NOT NULL,
  follow_up_time DATETIME(6) NULL,
  satisfaction_gap INT NULL,
  source_sequence BIGINT NOT NULL,
  KEY ix_complaint_facts_month (create_month, account_id),
  KEY ix_complaint_facts_account (account_id, create_month)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Opportunities as the accounts stream last described them.
CREATE TABLE opportunity_facts (
  opportunity_id BIGINT NOT NULL PRIMARY KEY,
  account_id BIGINT NOT NULL,
  owner_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  stage TINYINT NOT NULL,
  -- The furthest open stage reached (1-6), for conversion.
  furthest_stage TINYINT NOT NULL,
  amount_minor BIGINT NOT NULL,
  probability_percent INT NOT NULL,
  expected_close_time DATETIME(6) NULL,
  create_time DATETIME(6) NOT NULL,
  create_month INT NOT NULL,
  -- When it was won or lost.
  close_time DATETIME(6) NULL,
  close_month INT NULL,
  stage_entered_time DATETIME(6) NOT NULL,
  source_sequence BIGINT NOT NULL,
  KEY ix_opportunity_facts_owner (owner_id),
  KEY ix_opportunity_facts_account (account_id),
  KEY ix_opportunity_facts_create (create_month)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Time spent in each stage: one row per stay, closed when the opportunity moves on.
CREATE TABLE opportunity_stage_stays (
  opportunity_id BIGINT NOT NULL,
  stage TINYINT NOT NULL,
  entered_time DATETIME(6) NOT NULL,
  left_time DATETIME(6) NULL,
  left_month INT NULL,
  PRIMARY KEY (opportunity_id, entered_time, stage),
  KEY ix_stage_stays_left (left_month, stage)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Visit plans as the accounts stream last described them.
CREATE TABLE visit_facts (
  visit_plan_id BIGINT NOT NULL PRIMARY KEY,
  account_id BIGINT NOT NULL,
  owner_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  planned_month INT NOT NULL,
  status TINYINT NOT NULL,
  source_sequence BIGINT NOT NULL,
  KEY ix_visit_facts_owner (owner_id, planned_month),
  KEY ix_visit_facts_month (planned_month)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Tier reviews: who, when, parameters (JSON of TierReviewParameters), outcome.
CREATE TABLE tier_reviews (
  review_id VARCHAR(64) NOT NULL PRIMARY KEY,
  run_by VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  run_time DATETIME(6) NOT NULL,
  parameters_json TEXT NOT NULL,
  state TINYINT NOT NULL,
  accounts_reviewed INT NOT NULL,
  promotions INT NOT NULL,
  demotions INT NOT NULL,
  unchanged INT NOT NULL,
  pending INT NOT NULL,
  accounts_sequence BIGINT NOT NULL,
  complaints_sequence BIGINT NOT NULL,
  KEY ix_tier_reviews_time (run_time, review_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every promotion and demotion a review proposed, and whether accounts applied it.
CREATE TABLE tier_review_changes (
  review_id VARCHAR(64) NOT NULL,
  account_id BIGINT NOT NULL,
  old_tier TINYINT NOT NULL,
  new_tier TINYINT NOT NULL,
  abc_class TINYINT NOT NULL,
  score DOUBLE NOT NULL,
  reason VARCHAR(500) NOT NULL,
  applied BOOLEAN NOT NULL,
  error VARCHAR(500) NOT NULL DEFAULT '',
  PRIMARY KEY (review_id, account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
