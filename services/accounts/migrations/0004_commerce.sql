-- Contracts, orders with lines, payments, credit reports and credit overrides. Amounts are
-- minor units of the deployment's currency.
CREATE TABLE contracts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  number VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  value_minor BIGINT NOT NULL,
  start_at DATETIME(6) NOT NULL,
  end_at DATETIME(6) NOT NULL,
  signed_at DATETIME(6) NULL,
  opportunity_id BIGINT NULL,
  create_time DATETIME(6) NOT NULL,
  UNIQUE KEY uk_contracts_number (number),
  KEY ix_contracts_account (account_id, id),
  CONSTRAINT fk_contracts_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE orders (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  external_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  -- SHA-256 of the order's content: the same external_id with other content is refused.
  fingerprint CHAR(64) NOT NULL,
  contract_id BIGINT NULL,
  ordered_at DATETIME(6) NOT NULL,
  revenue_minor BIGINT NOT NULL,
  cost_minor BIGINT NOT NULL,
  credit_override_id BIGINT NULL,
  create_time DATETIME(6) NOT NULL,
  UNIQUE KEY uk_orders_external (account_id, external_id),
  KEY ix_orders_account_time (account_id, ordered_at, id),
  -- Covers the group summary's revenue and cost sums, so it never reads the rows.
  KEY ix_orders_summary (account_id, ordered_at, revenue_minor, cost_minor),
  CONSTRAINT fk_orders_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE order_lines (
  order_id BIGINT NOT NULL,
  line_no INT NOT NULL,
  product_code VARCHAR(64) NOT NULL,
  product_category VARCHAR(100) NOT NULL,
  quantity BIGINT NOT NULL,
  revenue_minor BIGINT NOT NULL,
  cost_minor BIGINT NOT NULL,
  PRIMARY KEY (order_id, line_no),
  CONSTRAINT fk_order_lines_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE payments (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  external_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  fingerprint CHAR(64) NOT NULL,
  order_id BIGINT NULL,
  amount_minor BIGINT NOT NULL,
  paid_at DATETIME(6) NOT NULL,
  create_time DATETIME(6) NOT NULL,
  UNIQUE KEY uk_payments_external (account_id, external_id),
  KEY ix_payments_account_time (account_id, paid_at, id),
  KEY ix_payments_summary (account_id, paid_at, amount_minor),
  CONSTRAINT fk_payments_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE credit_reports (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  kind TINYINT NOT NULL,
  source TINYINT NOT NULL,
  summary TEXT NOT NULL,
  suggested_rating TINYINT NOT NULL DEFAULT 0,
  author_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  create_time DATETIME(6) NOT NULL,
  KEY ix_credit_reports_account (account_id, id),
  CONSTRAINT fk_credit_reports_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE credit_overrides (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  allowance_minor BIGINT NOT NULL,
  reason VARCHAR(500) NOT NULL,
  director_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  create_time DATETIME(6) NOT NULL,
  KEY ix_credit_overrides_account (account_id, expires_at),
  CONSTRAINT fk_credit_overrides_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
