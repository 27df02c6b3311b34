#include "services/accounts/pipeline_store.h"

#include "absl/strings/str_cat.h"

namespace kam::accounts {
namespace {

constexpr char kOpportunityColumns[] =
    "o.id, o.account_id, o.name, o.owner_id, o.stage, o.amount_minor, o.probability_percent, "
    "o.expected_close_at, o.needs, o.budget_minor, o.timetable, o.competition, "
    "o.decision_makers, o.account_tier, o.presales_approval, o.relationship_progress, "
    "o.bid_submitted_at, o.contract_id, o.accepted_at, o.lost_reason, o.closed_at, o.version, "
    "o.create_time, o.update_time";
constexpr char kInsertOpportunity[] =
    "INSERT INTO opportunities (account_id, name, owner_id, stage, amount_minor, "
    "probability_percent, expected_close_at, needs, budget_minor, timetable, competition, "
    "decision_makers, account_tier, presales_approval, relationship_progress, bid_submitted_at, "
    "contract_id, accepted_at, lost_reason, closed_at, version, create_time, update_time) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
// Owner and tier are not written back: they belong to the account's transfer and history.
constexpr char kUpdateOpportunity[] =
    "UPDATE opportunities SET name = ?, stage = ?, amount_minor = ?, probability_percent = ?, "
    "expected_close_at = ?, needs = ?, budget_minor = ?, timetable = ?, competition = ?, "
    "decision_makers = ?, presales_approval = ?, relationship_progress = ?, "
    "bid_submitted_at = ?, contract_id = ?, accepted_at = ?, lost_reason = ?, closed_at = ?, "
    "version = ?, update_time = ? WHERE id = ?";
constexpr char kInsertStageChange[] =
    "INSERT INTO stage_changes (opportunity_id, from_stage, to_stage, actor, reason, changed_at) "
    "VALUES (?, ?, ?, ?, ?, ?)";
constexpr char kSelectStageChanges[] =
    "SELECT opportunity_id, from_stage, to_stage, actor, reason, changed_at FROM stage_changes "
    "WHERE opportunity_id = ? ORDER BY id";
constexpr char kSelectContract[] =
    "SELECT signed_at IS NOT NULL AS is_signed FROM contracts WHERE id = ? AND account_id = ?";
constexpr char kWorksOn[] =
    "EXISTS(SELECT 1 FROM account_access x WHERE x.member_id = ? AND x.account_id = o.account_id)";

// Per stage: count, amount and weighted amount. Each opportunity weighs
// amount x probability_percent / 100 rounded half up (WeightedAmount, computed as
// q x p + (r x p + 50) DIV 100 for amount = 100q + r so that no product overflows); sums
// saturate at the BIGINT maximum instead of failing.
constexpr char kSummaryColumns[] =
    "o.stage AS stage, COUNT(o.id) AS opportunities, "
    "CAST(LEAST(COALESCE(SUM(o.amount_minor), 0), 9223372036854775807) AS SIGNED) "
    "AS amount_minor, "
    "CAST(LEAST(COALESCE(SUM((o.amount_minor DIV 100) * o.probability_percent + "
    "((o.amount_minor MOD 100) * o.probability_percent + 50) DIV 100), 0), "
    "9223372036854775807) AS SIGNED) AS weighted_minor";

std::string Select(const std::string& rest) {
  return absl::StrCat("SELECT ", kOpportunityColumns, " FROM opportunities o ", rest);
}

Opportunity ReadOpportunity(const sql::ResultSet& row) {
  Opportunity o;
  o.id = row.getInt64("id");
  o.account_id = row.getInt64("account_id");
  o.name = row.getString("name");
  o.owner_id = row.getString("owner_id");
  o.stage = static_cast<Stage>(row.getInt("stage"));
  o.amount_minor = row.getInt64("amount_minor");
  o.probability_percent = row.getInt("probability_percent");
  o.expected_close_time = OptionalTimeColumn(row, "expected_close_at");
  o.needs = row.getString("needs");
  if (!row.isNull("budget_minor")) o.budget_minor = row.getInt64("budget_minor");
  o.timetable = row.getString("timetable");
  o.competition = row.getString("competition");
  o.decision_makers = row.getString("decision_makers");
  o.account_tier = static_cast<Tier>(row.getInt("account_tier"));
  o.presales_approval = row.getString("presales_approval");
  o.relationship_progress = row.getString("relationship_progress");
  o.bid_submit_time = OptionalTimeColumn(row, "bid_submitted_at");
  o.contract_id = row.isNull("contract_id") ? 0 : row.getInt64("contract_id");
  o.acceptance_time = OptionalTimeColumn(row, "accepted_at");
  o.lost_reason = row.getString("lost_reason");
  o.close_time = OptionalTimeColumn(row, "closed_at");
  o.version = row.getInt64("version");
  o.create_time = FromSqlTime(row.getString("create_time"));
  o.update_time = FromSqlTime(row.getString("update_time"));
  return o;
}

SqlParam OptionalMoneyParam(const std::optional<int64_t>& minor) {
  return minor ? SqlParam(*minor) : SqlParam(SqlNull{});
}

nlohmann::json OptionalMoneyJson(const std::optional<int64_t>& minor) {
  return minor ? nlohmann::json(*minor) : nlohmann::json();
}

absl::Status OpportunityNotFound(int64_t id) {
  return absl::NotFoundError(absl::StrCat("opportunity ", id, " not found"));
}

// Reads one opportunity; with `lock`, holds its row lock until the transaction ends.
std::optional<Opportunity> SelectOpportunity(DbConnection& db, int64_t id, bool lock) {
  static const std::string plain = Select("WHERE o.id = ?");
  static const std::string locking = Select("WHERE o.id = ? FOR UPDATE");
  sql::PreparedStatement& select = db.Prepare(lock ? locking : plain);
  BindAll(select, {id});
  std::unique_ptr<sql::ResultSet> row(select.executeQuery());
  if (!row->next()) return std::nullopt;
  return ReadOpportunity(*row);
}

ContractState LookupContract(DbConnection& db, int64_t account_id, int64_t contract_id) {
  if (contract_id == 0) return ContractState::kNone;
  sql::PreparedStatement& select = db.Prepare(kSelectContract);
  BindAll(select, {contract_id, account_id});
  std::unique_ptr<sql::ResultSet> row(select.executeQuery());
  if (!row->next()) return ContractState::kNotOfAccount;
  return row->getBoolean("is_signed") ? ContractState::kSigned : ContractState::kUnsigned;
}

void InsertStageChange(DbConnection& db, const StageChange& change) {
  sql::PreparedStatement& insert = db.Prepare(kInsertStageChange);
  BindAll(insert, {change.opportunity_id, Enum(change.from_stage), Enum(change.to_stage),
                   change.actor, change.reason, change.change_time});
  insert.executeUpdate();
}

void WriteOpportunity(DbConnection& db, const Opportunity& o) {
  sql::PreparedStatement& write = db.Prepare(kUpdateOpportunity);
  BindAll(write, {o.name,
                  Enum(o.stage),
                  o.amount_minor,
                  int64_t{o.probability_percent},
                  OptionalTimeParam(o.expected_close_time),
                  o.needs,
                  OptionalMoneyParam(o.budget_minor),
                  o.timetable,
                  o.competition,
                  o.decision_makers,
                  o.presales_approval,
                  o.relationship_progress,
                  OptionalTimeParam(o.bid_submit_time),
                  OptionalIdParam(o.contract_id),
                  OptionalTimeParam(o.acceptance_time),
                  o.lost_reason,
                  OptionalTimeParam(o.close_time),
                  o.version,
                  o.update_time,
                  o.id});
  write.executeUpdate();
}

int64_t InsertOpportunity(DbConnection& db, const Opportunity& o) {
  sql::PreparedStatement& insert = db.Prepare(kInsertOpportunity);
  BindAll(insert, {o.account_id,
                   o.name,
                   o.owner_id,
                   Enum(o.stage),
                   o.amount_minor,
                   int64_t{o.probability_percent},
                   OptionalTimeParam(o.expected_close_time),
                   o.needs,
                   OptionalMoneyParam(o.budget_minor),
                   o.timetable,
                   o.competition,
                   o.decision_makers,
                   Enum(o.account_tier),
                   o.presales_approval,
                   o.relationship_progress,
                   OptionalTimeParam(o.bid_submit_time),
                   OptionalIdParam(o.contract_id),
                   OptionalTimeParam(o.acceptance_time),
                   o.lost_reason,
                   OptionalTimeParam(o.close_time),
                   o.version,
                   o.create_time,
                   o.update_time});
  insert.executeUpdate();
  return LastInsertId(db);
}

// The summary query of a scope and its parameters. Only constant SQL is chosen here.
std::pair<std::string, std::vector<SqlParam>> SummaryQuery(const SummaryScope& scope) {
  switch (scope.kind) {
    case SummaryScope::Kind::kOwner:
      return {absl::StrCat("SELECT ", kSummaryColumns,
                           ", 0 AS hidden FROM opportunities o WHERE o.owner_id = ? "
                           "AND (? = '' OR ",
                           kWorksOn, ") GROUP BY o.stage"),
              {scope.owner_id, scope.member_id, scope.member_id}};
    case SummaryScope::Kind::kAccount:
      return {absl::StrCat("SELECT ", kSummaryColumns,
                           ", 0 AS hidden FROM opportunities o WHERE o.account_id = ? "
                           "GROUP BY o.stage"),
              {scope.account_id}};
    case SummaryScope::Kind::kGroup:
      // Accounts of the subtree the member does not work on are left out (hidden); the row
      // group of stage NULL carries whether any was.
      return {absl::StrCat(kSubtreeCte, "SELECT ", kSummaryColumns,
                           ", MAX(v.hidden) AS hidden FROM (SELECT s.id, "
                           "(? <> '' AND x.account_id IS NULL) AS hidden FROM subtree s "
                           "LEFT JOIN account_access x ON x.member_id = ? AND x.account_id = s.id"
                           ") v LEFT JOIN opportunities o ON o.account_id = v.id AND NOT v.hidden "
                           "GROUP BY o.stage"),
              {scope.account_id, scope.member_id, scope.member_id}};
  }
  return {};
}

const Codec<Opportunity> kOpportunityCodec{OpportunityJson, OpportunityFromJson};

}  // namespace

nlohmann::json OpportunityJson(const Opportunity& o) {
  return {{"id", o.id},
          {"account_id", o.account_id},
          {"name", o.name},
          {"owner_id", o.owner_id},
          {"stage", o.stage},
          {"amount_minor", o.amount_minor},
          {"probability_percent", o.probability_percent},
          {"expected_close_time", OptionalTimeJson(o.expected_close_time)},
          {"needs", o.needs},
          {"budget_minor", OptionalMoneyJson(o.budget_minor)},
          {"timetable", o.timetable},
          {"competition", o.competition},
          {"decision_makers", o.decision_makers},
          {"account_tier", o.account_tier},
          {"presales_approval", o.presales_approval},
          {"relationship_progress", o.relationship_progress},
          {"bid_submit_time", OptionalTimeJson(o.bid_submit_time)},
          {"contract_id", o.contract_id},
          {"acceptance_time", OptionalTimeJson(o.acceptance_time)},
          {"lost_reason", o.lost_reason},
          {"close_time", OptionalTimeJson(o.close_time)},
          {"version", o.version},
          {"create_time", TimeJson(o.create_time)},
          {"update_time", TimeJson(o.update_time)}};
}

Opportunity OpportunityFromJson(const nlohmann::json& j) {
  Opportunity o;
  o.id = j.at("id");
  o.account_id = j.at("account_id");
  o.name = j.at("name");
  o.owner_id = j.at("owner_id");
  o.stage = j.at("stage");
  o.amount_minor = j.at("amount_minor");
  o.probability_percent = j.at("probability_percent");
  o.expected_close_time = OptionalTimeFromJson(j.at("expected_close_time"));
  o.needs = j.at("needs");
  if (!j.at("budget_minor").is_null()) o.budget_minor = j.at("budget_minor").get<int64_t>();
  o.timetable = j.at("timetable");
  o.competition = j.at("competition");
  o.decision_makers = j.at("decision_makers");
  o.account_tier = j.at("account_tier");
  o.presales_approval = j.at("presales_approval");
  o.relationship_progress = j.at("relationship_progress");
  o.bid_submit_time = OptionalTimeFromJson(j.at("bid_submit_time"));
  o.contract_id = j.at("contract_id");
  o.acceptance_time = OptionalTimeFromJson(j.at("acceptance_time"));
  o.lost_reason = j.at("lost_reason");
  o.close_time = OptionalTimeFromJson(j.at("close_time"));
  o.version = j.at("version");
  o.create_time = TimeFromJson(j.at("create_time"));
  o.update_time = TimeFromJson(j.at("update_time"));
  return o;
}

absl::StatusOr<Opportunity> PipelineStore::Create(const Mutation& m, int64_t account_id,
                                                  const CreateRule& decide) {
  return RunIdempotent<Opportunity>(
      pool_, m, "opportunity.create", kOpportunityCodec,
      [&](DbConnection& db) -> absl::StatusOr<Opportunity> {
        // Locked so that the account is not archived or transferred meanwhile.
        std::optional<AccountView> account =
            SelectAccountView(db, account_id, m.actor, /*lock=*/true);
        if (!account) return AccountNotFound(account_id);
        const ContractLookup contracts = [&](int64_t contract_id) {
          return LookupContract(db, account_id, contract_id);
        };
        absl::StatusOr<Opportunity> created = decide(*account, contracts);
        if (!created.ok()) return created.status();
        created->id = InsertOpportunity(db, *created);
        InsertStageChange(db, {created->id, Stage::kUnspecified, created->stage, m.actor, "",
                               created->create_time});
        Record(db, m, "opportunity", "created", absl::StrCat(created->id), nullptr,
               OpportunityJson(*created));
        return created;
      });
}

absl::StatusOr<Opportunity> PipelineStore::Change(const Mutation& m, int64_t id,
                                                  const char* context,
                                                  const std::string* move_reason,
                                                  const ChangeRule& change) {
  return RunIdempotent<Opportunity>(
      pool_, m, context, kOpportunityCodec, [&](DbConnection& db) -> absl::StatusOr<Opportunity> {
        std::optional<Opportunity> current = SelectOpportunity(db, id, /*lock=*/true);
        if (!current) return OpportunityNotFound(id);
        const int64_t account_id = current->account_id;
        std::optional<AccountView> account =
            SelectAccountView(db, account_id, m.actor, /*lock=*/false);
        if (!account) return AccountNotFound(account_id);  // the foreign key rules this out
        const ContractLookup contracts = [&](int64_t contract_id) {
          return LookupContract(db, account_id, contract_id);
        };
        absl::StatusOr<Opportunity> updated = change(*current, *account, contracts);
        if (!updated.ok()) return updated.status();
        WriteOpportunity(db, *updated);
        if (move_reason) {
          InsertStageChange(db, {id, current->stage, updated->stage, m.actor, *move_reason,
                                 updated->update_time});
        }
        Record(db, m, "opportunity", move_reason ? "stage_changed" : "updated", absl::StrCat(id),
               OpportunityJson(*current), OpportunityJson(*updated));
        return updated;
      });
}

absl::StatusOr<Opportunity> PipelineStore::Update(const Mutation& m, int64_t id,
                                                  const ChangeRule& change) {
  return Change(m, id, "opportunity.update", nullptr, change);
}

absl::StatusOr<Opportunity> PipelineStore::Move(const Mutation& m, int64_t id,
                                                const std::string& reason,
                                                const ChangeRule& change) {
  return Change(m, id, "opportunity.move", &reason, change);
}

absl::StatusOr<OpportunityView> PipelineStore::Get(int64_t id, const std::string& subject) {
  static const std::string query = absl::StrCat("SELECT ", kOpportunityColumns, ", ", kWorksOn,
                                                " AS works_on FROM opportunities o WHERE o.id = ?");
  std::optional<OpportunityView> view;
  absl::Status status = WithConnection(pool_, "opportunity.get", [&](DbConnection& db) {
    view.reset();
    sql::PreparedStatement& select = db.Prepare(query);
    BindAll(select, {subject, id});
    std::unique_ptr<sql::ResultSet> row(select.executeQuery());
    if (row->next()) view = OpportunityView{ReadOpportunity(*row), row->getBoolean("works_on")};
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!view) return OpportunityNotFound(id);
  return *view;
}

absl::StatusOr<Page<Opportunity>> PipelineStore::List(const OpportunityFilter& filter,
                                                      int64_t after_id, int page_size) {
  // Only constant fragments are joined; every value is bound, in the order of the text.
  std::string from;
  std::vector<SqlParam> params;
  if (!filter.member_id.empty()) {
    from = "JOIN account_access x ON x.account_id = o.account_id AND x.member_id = ? ";
    params.push_back(filter.member_id);
  }
  std::string where = "WHERE o.id > ?";
  params.push_back(after_id);
  auto add = [&](bool present, const char* clause, SqlParam value) {
    if (!present) return;
    absl::StrAppend(&where, " AND ", clause);
    params.push_back(std::move(value));
  };
  add(!filter.owner_id.empty(), "o.owner_id = ?", filter.owner_id);
  add(filter.account_id != 0, "o.account_id = ?", filter.account_id);
  add(filter.stage != Stage::kUnspecified, "o.stage = ?", Enum(filter.stage));
  add(filter.open_only, "o.stage <= ?", Enum(Stage::kImplementation));
  params.push_back(int64_t{page_size} + 1);
  const std::string query = Select(absl::StrCat(from, where, " ORDER BY o.id LIMIT ?"));

  Page<Opportunity> page;
  absl::Status status = WithConnection(pool_, "opportunity.list", [&](DbConnection& db) {
    page = {};
    sql::PreparedStatement& select = db.Prepare(query);
    BindAll(select, params);
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) page.items.push_back(ReadOpportunity(*rows));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  TrimPage(page, page_size);
  return page;
}

absl::StatusOr<std::vector<StageChange>> PipelineStore::ListStageChanges(int64_t opportunity_id) {
  std::vector<StageChange> changes;
  absl::Status status = WithConnection(pool_, "opportunity.stage_changes", [&](DbConnection& db) {
    changes.clear();
    sql::PreparedStatement& select = db.Prepare(kSelectStageChanges);
    BindAll(select, {opportunity_id});
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) {
      changes.push_back({rows->getInt64("opportunity_id"),
                         static_cast<Stage>(rows->getInt("from_stage")),
                         static_cast<Stage>(rows->getInt("to_stage")), rows->getString("actor"),
                         rows->getString("reason"), FromSqlTime(rows->getString("changed_at"))});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return changes;
}

absl::StatusOr<PipelineSummary> PipelineStore::Summarize(const SummaryScope& scope) {
  // Not a structured binding: C++17 lambdas cannot capture those.
  const std::pair<std::string, std::vector<SqlParam>> sql = SummaryQuery(scope);
  const std::string& query = sql.first;
  const std::vector<SqlParam>& params = sql.second;
  std::vector<StageRow> rows;
  bool partial = false;
  absl::Status status = WithConnection(pool_, "opportunity.summary", [&](DbConnection& db) {
    rows.clear();
    partial = false;
    sql::PreparedStatement& select = db.Prepare(query);
    BindAll(select, params);
    std::unique_ptr<sql::ResultSet> result(select.executeQuery());
    while (result->next()) {
      partial = partial || result->getBoolean("hidden");
      if (result->isNull("stage")) continue;  // accounts without (visible) opportunities
      rows.push_back({static_cast<Stage>(result->getInt("stage")),
                      result->getInt64("opportunities"), result->getInt64("amount_minor"),
                      result->getInt64("weighted_minor")});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return accounts::Summarize(rows, partial);
}

}  // namespace kam::accounts
