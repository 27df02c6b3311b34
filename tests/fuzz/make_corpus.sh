#!/usr/bin/env bash
# Writes the committed seed corpus of the request fuzzers (tests/fuzz/corpus/<service>_requests)
# from the readable requests below: protoc --encode turns each text-format request into the
# bytes a client sends. Run it again after changing a request message or adding a method:
#
#   tests/fuzz/make_corpus.sh
#
# A seed is "<method>\n<caller byte><request bytes>" (service_harness.h); the caller byte
# picks the principal: 0 admin, 1 director, 2 account manager, 3 service agent, 4 handler,
# 5 analyst, 6 system, 7 no role. Every method gets an empty request from a director, and the
# main ones a valid request from the callers that may make it.
# The seeds of the other targets are plain text files, kept as they are.
set -euo pipefail
cd "$(dirname "$0")/../.."
protos=protos
corpus=tests/fuzz/corpus

# seed <target> <file> <proto file> <service> <method> <caller 0-7> <text request>
seed() {
  local target=$1 file=$2 proto=$3 service=$4 method=$5 caller=$6 text=$7
  local input
  input=$(awk -v m="$method" '$1 == "rpc" { line = $0; name = $2; sub(/\(.*/, "", name)
    if (name == m) { sub(/^[^(]*\(/, "", line); sub(/\).*/, "", line); print line; exit } }' \
    "$protos/$proto")
  if [[ -z $input ]]; then
    echo "no method $method in $proto" >&2
    exit 1
  fi
  mkdir -p "$corpus/$target"
  {
    printf '%s\n' "$method"
    printf "\\x$(printf %02x "$caller")"
    protoc -I "$protos" -I /usr/include --encode="${service%.*}.$input" "$proto" <<<"$text"
  } >"$corpus/$target/$file"
}

# Every method of a service: an empty request from a director.
empty_requests() {
  local target=$1 proto=$2 service=$3
  local method
  for method in $(awk '$1 == "rpc" { sub(/\(.*/, "", $2); print $2 }' "$protos/$proto"); do
    seed "$target" "empty_$method" "$proto" "$service" "$method" 1 ""
  done
}

# ---- accounts ----
A=kam/accounts/v1/accounts.proto
AS=kam.accounts.v1.AccountService
empty_requests accounts_requests "$A" "$AS"
seed accounts_requests create_account "$A" "$AS" CreateAccount 2 '
request_id: "req-create-0001"
account { name: "华东精细化工有限公司" registration_number: "91310000MA1K0001X" nature: NATURE_ORDINARY_COMPANY
  industry: "chemicals" region: "east" scale: SCALE_MEDIUM lifecycle_stage: LIFECYCLE_STAGE_PROSPECT
  address: "上海市浦东新区" phone: "+86 21 5555 0101" legal_representative: "王伟" tags: "key" tags: "export"
  business { service_area: "华东" employee_count: 420 annual_revenue { currency_code: "CNY" minor_units: 1200000000 } } }'
seed accounts_requests update_account "$A" "$AS" UpdateAccount 1 '
request_id: "req-update-0001" etag: "3" reason: "new office"
account { id: 101 name: "华东精细化工" region: "north" owner_id: "mgr-ma" parent_id: 7 }
update_mask { paths: "name" paths: "region" paths: "owner_id" paths: "parent_id" paths: "business.employee_count" }'
seed accounts_requests list_accounts "$A" "$AS" ListAccounts 2 '
page_size: 20 owner_id: "mgr-li" tier: TIER_A industry: "chemicals" name_prefix: "华东%_" tag: "key"
page_token: "eyJhIjo1LCJxIjoiMDEyMzQ1Njc4OWFiY2RlZiJ9"'
seed accounts_requests create_contact "$A" "$AS" CreateContact 2 '
request_id: "req-contact-0001"
contact { account_id: 101 name: "李娜" title: "采购经理" phone: "13800138000" email: "li.na@example.cn"
  buying_role: BUYING_ROLE_DECISION_MAKER personal_notes { interests: "golf" birth_year: 1980 } }'
seed accounts_requests transfer_accounts "$A" "$AS" TransferAccounts 1 '
request_id: "req-transfer-01" from_owner_id: "mgr-li" to_owner_id: "mgr-ma" account_ids: 101 account_ids: 102 reason: "leave"'
seed accounts_requests set_credit "$A" "$AS" SetCredit 1 '
request_id: "req-credit-0001" account_id: 101 credit_rating: CREDIT_RATING_AA
credit_limit { currency_code: "CNY" minor_units: 50000000 } reason: "annual review"
update_mask { paths: "credit_rating" paths: "credit_limit" }'
seed accounts_requests record_order "$A" "$AS" RecordOrder 2 '
request_id: "req-order-00001"
order { account_id: 101 external_id: "SO-2026-0001" order_time { seconds: 1789000000 }
  lines { product_code: "P-100" product_category: "resin" quantity: 12
          revenue { currency_code: "CNY" minor_units: 1200000 } cost { currency_code: "CNY" minor_units: 800000 } }
  revenue { currency_code: "CNY" minor_units: 1200000 } cost { currency_code: "CNY" minor_units: 800000 } }'
seed accounts_requests create_opportunity "$A" "$AS" CreateOpportunity 2 '
request_id: "req-opp-000001"
opportunity { account_id: 101 name: "2027 resin supply" stage: STAGE_PROJECT_INITIATION
  amount { currency_code: "CNY" minor_units: 90000000 } expected_close_time { seconds: 1795000000 } needs: "steady supply" }'
seed accounts_requests move_opportunity "$A" "$AS" MoveOpportunity 2 '
request_id: "req-move-000001" opportunity_id: 55 to_stage: STAGE_LOST reason: "price" etag: "2"'
seed accounts_requests create_contact_record "$A" "$AS" CreateContactRecord 2 '
request_id: "req-visit-00001"
record { account_id: 101 kind: CONTACT_KIND_VISIT occur_time { seconds: 1789990000 } contact_ids: 5 contact_ids: 6
  attendees: "王伟, 李娜" summary: "quarterly review" outcome: CONTACT_OUTCOME_EFFECTIVE next_step: "send quote" visit_plan_id: 9 }'
seed accounts_requests create_visit_plan "$A" "$AS" CreateVisitPlan 2 '
request_id: "req-plan-000001" plan { account_id: 101 planned_time { seconds: 1790500000 } objective: "contract renewal" }'
seed accounts_requests list_audit_log "$A" "$AS" ListAuditLog 0 '
page_size: 10 resource_type: "account" resource_id: "101" actor: "mgr-li"
start_time { seconds: 1780000000 } end_time { seconds: 1790000000 }'
seed accounts_requests watch_events "$A" "$AS" WatchEvents 6 'after_sequence: 10'

# ---- complaints ----
C=kam/complaints/v1/complaints.proto
CS=kam.complaints.v1.ComplaintService
empty_requests complaints_requests "$C" "$CS"
seed complaints_requests create_complaint "$C" "$CS" CreateComplaint 3 '
request_id: "req-complaint-01"
complaint { account_id: 101 contact_id: 5 channel: CHANNEL_PHONE category: CATEGORY_PRODUCT_QUALITY
  subcategory: "out of tolerance" description: "外径超差 0.3 mm\nbatch 2024-118" severity: SEVERITY_HIGH manner: MANNER_ASSERTIVE }'
seed complaints_requests list_complaints "$C" "$CS" ListComplaints 1 '
page_size: 25 states: STATE_RECORDED category: CATEGORY_PRODUCT_QUALITY account_id: 101 department: "quality"
handler_id: "hd-qiu" sla: SLA_FILTER_AT_RISK create_time_start { seconds: 1780000000 } create_time_end { seconds: 1790000000 }'
seed complaints_requests list_my_queue "$C" "$CS" ListMyQueue 4 '
page_size: 10 page_token: "eyJkIjoxNzkwMDAwMDAwMDAwMDAwLCJhIjo3LCJxIjoiMDEyMzQ1Njc4OWFiY2RlZiJ9"'
seed complaints_requests judge_validity "$C" "$CS" JudgeValidity 4 '
request_id: "req-judge-00001" complaint_id: 42 valid: true reason: "confirmed by QA"'
seed complaints_requests put_department "$C" "$CS" PutDepartment 0 '
request_id: "req-dept-000001" etag: "1"
department { code: "quality" name: "质量部" categories: CATEGORY_PRODUCT_QUALITY handler_ids: "hd-qiu" handler_ids: "hd-lu" manager_id: "dir-zhao" }'
seed complaints_requests record_follow_up "$C" "$CS" RecordFollowUp 3 '
request_id: "req-follow-0001" complaint_id: 42 perceived_satisfaction: 4 expected_satisfaction: 5 satisfied: true note: "ok"'
seed complaints_requests list_audit_log "$C" "$CS" ListAuditLog 0 'page_size: 5 resource_type: "complaint" resource_id: "42"'

# ---- analytics ----
N=kam/analytics/v1/analytics.proto
NS=kam.analytics.v1.AnalyticsService
empty_requests analytics_requests "$N" "$NS"
seed analytics_requests analyze_abc "$N" "$NS" AnalyzeAbc 5 '
period: "2026-Q3" filter { region: "east" industry: "chemicals" tier: TIER_A } page_size: 50'
seed analytics_requests analyze_abc_manager "$N" "$NS" AnalyzeAbc 2 'period: "2026" filter { owner_id: "mgr-li" }'
seed analytics_requests score_accounts "$N" "$NS" ScoreAccounts 1 '
period: "2026-07" filter { group_id: 7 } page_size: 10
page_token: "eyJxIjoiMDEyMzQ1Njc4OWFiY2RlZiIsInYiOlsxLDIsM10sInIiOiIwMTIzNDU2Nzg5YWJjZGVmIiwibyI6MTB9"'
seed analytics_requests put_inventory "$N" "$NS" PutInventorySnapshots 6 '
request_id: "req-inventory-1"
snapshots { product_code: "P-100" month: "2026-07" value { currency_code: "CNY" minor_units: 5000000 } quantity: 40 }
snapshots { product_code: "P-200" month: "2026-07" value { minor_units: 100 } quantity: 1 }'
seed analytics_requests put_targets "$N" "$NS" PutAccountTargets 1 '
request_id: "req-targets-001"
targets { account_id: 101 year: 2026 expected_share_bp: 2500 wallet_estimate { currency_code: "CNY" minor_units: 900000000 } industry_influence: 3 }'
seed analytics_requests run_tier_review "$N" "$NS" RunTierReview 1 '
request_id: "req-review-0001" dry_run: true parameters { period: "2026-Q2" promote_at: 0.8 demote_below: 0.2 }'
seed analytics_requests list_tier_reviews "$N" "$NS" ListTierReviews 5 '
page_size: 5 page_token: "eyJxIjoiMDEyMzQ1Njc4OWFiY2RlZiIsInQiOjE3OTAwMDAwMDAwMDAwMDAsImlkIjoicmV2LTEifQ"'

echo "seeds written under $corpus"
