-- Exactly-once projection bookkeeping: a consumer stores its cursor and the ids of the events
-- it applied in the same transaction as the facts they produce (ARCHITECTURE.md).
CREATE TABLE consumer_cursors (
  stream VARCHAR(64) NOT NULL PRIMARY KEY,
  cursor_position BIGINT NOT NULL,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE applied_events (
  event_id CHAR(36) NOT NULL PRIMARY KEY,
  stream VARCHAR(64) NOT NULL,
  applied_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE idempotency_keys (
  actor VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  request_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  fingerprint CHAR(64) NOT NULL,
  response LONGTEXT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (actor, request_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
