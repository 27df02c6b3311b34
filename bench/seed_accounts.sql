-- Bench data for the accounts service (issue 3), loaded straight into kam_accounts by
-- scripts/bench seed: 100,000 accounts in 2,000 groups, 500,000 orders with 2,000,000
-- lines, 300,000 payments and 100,000 opportunities. It bypasses the API on purpose (the API
-- would take hours to load this much on two cores), so no audit rows or events exist for it.
--
-- Ids are explicit and deterministic:
--   accounts 1..2000        group roots ("Bench Group N"); group 1 is the largest;
--   accounts 2001..7000     group 1: 50 subsidiaries under the root, 4,950 under those;
--   accounts 7001..100000   the other 1,999 groups, about 46 subsidiaries each, flat.
-- Owners are bench-mgr-0 .. bench-mgr-49; orders fall in 2025-01-01 .. 2026-11-30.

SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';
SET SESSION unique_checks = 0;
SET SESSION foreign_key_checks = 0;

DROP TABLE IF EXISTS bench_digits;
DROP TABLE IF EXISTS bench_n;
CREATE TABLE bench_digits (d INT NOT NULL PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO bench_digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
-- 0 .. 999,999
CREATE TABLE bench_n (n INT NOT NULL PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO bench_n
SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 100000 * g.d
FROM bench_digits a, bench_digits b, bench_digits c, bench_digits e, bench_digits f,
     bench_digits g;

INSERT INTO accounts (id, name, registration_number, nature, industry, region, scale,
  lifecycle_stage, status, tier, owner_id, archived, version, create_time, update_time,
  parent_id, business_json, tags_json, credit_limit_minor)
SELECT n + 1,
       CASE WHEN n < 2000 THEN CONCAT('Bench Group ', n + 1) ELSE CONCAT('Bench Account ', n + 1) END,
       CONCAT('BENCH-', n + 1),
       3,
       ELT(1 + n % 8, 'manufacturing', 'chemicals', 'steel', 'food', 'logistics', 'energy',
           'retail', 'construction'),
       ELT(1 + n % 6, 'East China', 'North China', 'South China', 'Central China',
           'Northwest', 'Southwest'),
       1 + n % 4, 1 + n % 6, 1, n % 5,
       CONCAT('bench-mgr-', n % 50), FALSE, 1,
       '2024-01-01 00:00:00', '2024-01-01 00:00:00',
       CASE
         WHEN n < 2000 THEN NULL
         WHEN n < 2050 THEN 1
         WHEN n < 7000 THEN 2001 + (n - 2000) % 50
         ELSE 2 + (n - 7000) % 1999
       END,
       '', '[]',
       CASE WHEN n < 2000 THEN 50000000000 ELSE 0 END
FROM bench_n WHERE n < 100000 ORDER BY n;

INSERT INTO account_access (member_id, account_id, via) SELECT owner_id, id, 1 FROM accounts;

-- Order j belongs to a pseudo-random account; its four lines sum to the order's totals.
INSERT INTO orders (id, account_id, external_id, fingerprint, ordered_at, revenue_minor,
  cost_minor, create_time)
SELECT n + 1,
       1 + (n * 7919) % 100000,
       CONCAT('BENCH-ORDER-', n + 1),
       REPEAT('0', 64),
       TIMESTAMPADD(MINUTE, (n * 37) % 1440, TIMESTAMPADD(DAY, n % 699, '2025-01-01')),
       4 * 1000 + (n * 31 + 17) % 50000 + (n * 31 + 34) % 50000 + (n * 31 + 51) % 50000
         + (n * 31 + 68) % 50000,
       FLOOR((4 * 1000 + (n * 31 + 17) % 50000 + (n * 31 + 34) % 50000
              + (n * 31 + 51) % 50000 + (n * 31 + 68) % 50000) * 7 / 10),
       '2025-01-01 00:00:00'
FROM bench_n WHERE n < 500000 ORDER BY n;

-- The cost of each line is 70% of its revenue, rounded down; the order's cost above is
-- rounded once, so lines and order may differ by a few minor units (irrelevant to reads).
INSERT INTO order_lines (order_id, line_no, product_code, product_category, quantity,
  revenue_minor, cost_minor)
SELECT o.n + 1, l.d,
       CONCAT('P-', (o.n + l.d) % 200),
       ELT(1 + (o.n + l.d) % 5, 'pipe', 'valve', 'pump', 'sensor', 'service'),
       1 + (o.n + l.d) % 20,
       1000 + (o.n * 31 + 17 * l.d) % 50000,
       FLOOR((1000 + (o.n * 31 + 17 * l.d) % 50000) * 7 / 10)
FROM bench_n o JOIN bench_digits l ON l.d BETWEEN 1 AND 4
WHERE o.n < 500000;

INSERT INTO payments (id, account_id, external_id, fingerprint, amount_minor, paid_at,
  create_time)
SELECT n + 1, 1 + (n * 7919) % 100000, CONCAT('BENCH-PAY-', n + 1), REPEAT('0', 64),
       2000 + (n * 53) % 80000,
       TIMESTAMPADD(DAY, 20 + n % 699, '2025-01-01'), '2025-01-01 00:00:00'
FROM bench_n WHERE n < 300000 ORDER BY n;

UPDATE accounts a
JOIN (SELECT account_id, SUM(revenue_minor) AS revenue FROM orders GROUP BY account_id) o
  ON o.account_id = a.id
SET a.receivable_minor = o.revenue;
UPDATE accounts a
JOIN (SELECT account_id, SUM(amount_minor) AS paid FROM payments GROUP BY account_id) p
  ON p.account_id = a.id
SET a.receivable_minor = a.receivable_minor - p.paid;

INSERT INTO opportunities (id, account_id, name, owner_id, stage, amount_minor,
  probability_percent, needs, timetable, competition, decision_makers, relationship_progress,
  create_time, update_time)
SELECT n + 1, 1 + (n * 104729) % 100000, CONCAT('Bench Opportunity ', n + 1),
       CONCAT('bench-mgr-', ((n * 104729) % 100000) % 50),
       1 + n % 8, 100000 + (n * 97) % 10000000,
       ELT(1 + n % 8, 10, 20, 40, 60, 80, 90, 100, 0),
       '', '', '', '', '', '2025-06-01 00:00:00', '2025-06-01 00:00:00'
FROM bench_n WHERE n < 100000 ORDER BY n;

DROP TABLE bench_n;
DROP TABLE bench_digits;
ANALYZE TABLE accounts, account_access, orders, order_lines, payments, opportunities;
