#include "services/accounts/store.h"

#include <limits>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "services/common/outbox.h"
#include "services/common/status.h"

namespace kam::accounts {
namespace {

constexpr int kDuplicateEntry = 1062;
// Accounts are moved in chunks of this many ids per statement; short chunks are padded by
// repeating the last id, so that each statement text is prepared once.
constexpr int kIdChunk = 100;

constexpr char kInsertAccount[] =
    "INSERT INTO accounts (name, registration_number, nature, industry, region, scale, "
    "lifecycle_stage, status, tier, owner_id, archived, version, create_time, update_time, "
    "parent_id, transaction_process, volume_position, address, phone, legal_representative, "
    "business_json, tags_json) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
// receivable_minor and the visit-plan columns belong to other parts and are not written here.
constexpr char kUpdateAccount[] =
    "UPDATE accounts SET name = ?, nature = ?, industry = ?, region = ?, scale = ?, "
    "lifecycle_stage = ?, status = ?, tier = ?, owner_id = ?, archived = ?, version = ?, "
    "update_time = ?, archive_time = ?, parent_id = ?, transaction_process = ?, "
    "volume_position = ?, address = ?, phone = ?, legal_representative = ?, business_json = ?, "
    "tags_json = ?, credit_rating = ?, credit_limit_minor = ? WHERE id = ?";
constexpr char kGrantAccess[] =
    "INSERT INTO account_access (member_id, account_id, via) VALUES (?, ?, ?) "
    "ON DUPLICATE KEY UPDATE via = via | VALUES(via)";
// `via & ?` keeps the other bit; rows left with none are deleted.
constexpr char kRevokeAccess[] =
    "UPDATE account_access SET via = via & ? WHERE member_id = ? AND account_id = ?";
constexpr char kDropEmptyAccess[] =
    "DELETE FROM account_access WHERE member_id = ? AND account_id = ? AND via = 0";
constexpr int kViaOwner = 1;
constexpr int kViaTeam = 2;
constexpr char kDeleteTags[] = "DELETE FROM account_tags WHERE account_id = ?";
constexpr char kInsertTag[] = "INSERT INTO account_tags (account_id, tag) VALUES (?, ?)";
constexpr char kInsertHistory[] =
    "INSERT INTO account_history (account_id, kind, from_value, to_value, actor, reason, "
    "request_id, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kLockHierarchy[] = "SELECT id FROM hierarchy_lock WHERE id = 1 FOR UPDATE";
// Locking: a plain read would see the parent live while an archive of it is committing, and
// the move would leave a live subsidiary under an archived account. Holding the parent's row
// also makes a concurrent archive wait for this change and then count the new subsidiary.
constexpr char kParentState[] = "SELECT archived FROM accounts WHERE id = ? FOR UPDATE";
constexpr char kLiveSubsidiaries[] =
    "SELECT COUNT(*) FROM accounts WHERE parent_id = ? AND archived = FALSE";

constexpr char kContactColumns[] =
    "id, account_id, name, title, phone, email, buying_role, create_time, character_note, "
    "interests, family, education, birth_year, version";
constexpr char kInsertContact[] =
    "INSERT INTO contacts (account_id, name, title, phone, email, buying_role, create_time, "
    "character_note, interests, family, education, birth_year, version) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)";
constexpr char kUpdateContact[] =
    "UPDATE contacts SET name = ?, title = ?, phone = ?, email = ?, buying_role = ?, "
    "character_note = ?, interests = ?, family = ?, education = ?, birth_year = ?, version = ?, "
    "update_time = ? WHERE id = ?";

constexpr char kUpsertTeamMember[] =
    "INSERT INTO account_team (account_id, member_id, role, add_time) VALUES (?, ?, ?, ?) "
    "ON DUPLICATE KEY UPDATE role = VALUES(role)";
constexpr char kSelectTeamMember[] =
    "SELECT account_id, member_id, role, add_time FROM account_team "
    "WHERE account_id = ? AND member_id = ? FOR UPDATE";
constexpr char kDeleteTeamMember[] =
    "DELETE FROM account_team WHERE account_id = ? AND member_id = ?";
constexpr char kSelectTeam[] =
    "SELECT account_id, member_id, role, add_time FROM account_team WHERE account_id = ? "
    "ORDER BY member_id";

std::string AccountSelect(const std::string& rest) {
  return absl::StrCat("SELECT ", kAccountColumns, " FROM accounts a ", rest);
}

nlohmann::json NotesJson(const PersonalNotes& n) {
  return {{"character", n.character},
          {"interests", n.interests},
          {"family", n.family},
          {"education", n.education},
          {"birth_year", n.birth_year}};
}

Contact ReadContact(const sql::ResultSet& row) {
  Contact c;
  c.id = row.getInt64("id");
  c.account_id = row.getInt64("account_id");
  c.name = row.getString("name");
  c.title = row.getString("title");
  c.phone = row.getString("phone");
  c.email = row.getString("email");
  c.buying_role = static_cast<BuyingRole>(row.getInt("buying_role"));
  c.create_time = FromSqlTime(row.getString("create_time"));
  c.notes.character = row.getString("character_note");
  c.notes.interests = row.getString("interests");
  c.notes.family = row.getString("family");
  c.notes.education = row.getString("education");
  c.notes.birth_year = row.getInt("birth_year");
  c.version = row.getInt64("version");
  return c;
}

TeamMember ReadTeamMember(const sql::ResultSet& row) {
  TeamMember m;
  m.account_id = row.getInt64("account_id");
  m.member_id = row.getString("member_id");
  m.role = static_cast<TeamRole>(row.getInt("role"));
  m.add_time = FromSqlTime(row.getString("add_time"));
  return m;
}

void Execute(DbConnection& db, const std::string& statement, const std::vector<SqlParam>& params) {
  sql::PreparedStatement& prepared = db.Prepare(statement);
  BindAll(prepared, params);
  prepared.executeUpdate();
}

int64_t QueryInt(DbConnection& db, const std::string& query, const std::vector<SqlParam>& params) {
  sql::PreparedStatement& prepared = db.Prepare(query);
  BindAll(prepared, params);
  std::unique_ptr<sql::ResultSet> row(prepared.executeQuery());
  return row->next() ? row->getInt64(1) : 0;
}

void GrantAccess(DbConnection& db, const std::string& member, int64_t account_id, int via) {
  Execute(db, kGrantAccess, {member, account_id, int64_t{via}});
}

void RevokeAccess(DbConnection& db, const std::string& member, int64_t account_id, int via) {
  Execute(db, kRevokeAccess, {int64_t{(kViaOwner | kViaTeam) & ~via}, member, account_id});
  Execute(db, kDropEmptyAccess, {member, account_id});
}

void WriteTags(DbConnection& db, int64_t account_id, const std::vector<std::string>& tags) {
  Execute(db, kDeleteTags, {account_id});
  for (const std::string& tag : tags) Execute(db, kInsertTag, {account_id, tag});
}

void WriteAccountRow(DbConnection& db, const Account& a) {
  Execute(db, kUpdateAccount,
          {a.name,
           Enum(a.nature),
           a.industry,
           a.region,
           Enum(a.scale),
           Enum(a.lifecycle_stage),
           Enum(a.status),
           Enum(a.tier),
           a.owner_id,
           a.archived,
           a.version,
           a.update_time,
           OptionalTimeParam(a.archive_time),
           OptionalIdParam(a.parent_id),
           Enum(a.transaction_process),
           Enum(a.volume_position),
           a.address,
           a.phone,
           a.legal_representative,
           AccountJson(a)["business"].dump(),
           nlohmann::json(a.tags).dump(),
           Enum(a.credit_rating),
           a.credit_limit_minor,
           a.id});
}

// The new parent exists, is live, and is not inside the account's own group. Parent changes
// are serialised (hierarchy_lock) so that two moves cannot make a cycle together; the parent
// stays locked until commit, so that it cannot be archived meanwhile.
absl::Status CheckNewParent(DbConnection& db, int64_t account_id, int64_t parent_id) {
  std::unique_ptr<sql::ResultSet> locked(db.Prepare(kLockHierarchy).executeQuery());
  sql::PreparedStatement& state = db.Prepare(kParentState);
  BindAll(state, {parent_id});
  std::unique_ptr<sql::ResultSet> row(state.executeQuery());
  if (!row->next()) {
    return InvalidField("account.parent_id", absl::StrCat("no account has id ", parent_id));
  }
  if (row->getBoolean("archived")) {
    return absl::FailedPreconditionError(
        absl::StrCat("parent_id: account ", parent_id, " is archived"));
  }
  if (account_id == 0) return absl::OkStatus();  // a new account has no descendants
  static const std::string ancestors = absl::StrCat(kAncestorsCte, "SELECT id FROM ancestors");
  sql::PreparedStatement& select = db.Prepare(ancestors);
  BindAll(select, {parent_id});
  std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
  std::vector<int64_t> chain;
  while (rows->next()) chain.push_back(rows->getInt64(1));
  return CheckParentChange(account_id, parent_id, chain);
}

const char* EventActionFor(HistoryKind kind) {
  switch (kind) {
    case HistoryKind::kTier:
      return "tier_changed";
    case HistoryKind::kOwner:
      return "owner_changed";
    case HistoryKind::kCreditRating:
    case HistoryKind::kCreditLimit:
      return "credit_changed";
    case HistoryKind::kParent:
      return "parent_changed";
    case HistoryKind::kUnspecified:
      break;
  }
  return "updated";
}

// History rows, the audit row and the events of one account change.
void RecordAccountChange(DbConnection& db, const Mutation& m, const std::string& action,
                         const Account& before, const Account& after) {
  std::vector<AccountChange> changes = HistoryBetween(before, after);
  nlohmann::json payload = AccountJson(after);
  payload["changes"] = nlohmann::json::array();
  std::set<std::string> extra_events;
  for (AccountChange& change : changes) {
    change.actor = m.actor;
    change.reason = m.note;
    change.request_id = m.trace_id;
    change.time = m.now;
    Execute(db, kInsertHistory,
            {change.account_id, Enum(change.kind), change.from_value, change.to_value, change.actor,
             change.reason, change.request_id, change.time});
    change.id = LastInsertId(db);
    payload["changes"].push_back(AccountChangeJson(change));
    if (EventActionFor(change.kind) != action) extra_events.insert(EventActionFor(change.kind));
  }
  const std::string id = absl::StrCat(after.id);
  Record(db, m, "account", action, id, AccountJson(before), payload);
  for (const std::string& event : extra_events) {
    WriteOutbox(db, {absl::StrCat("account.", event), "account", id, payload.dump(), m.now});
  }
}

// `ids` padded to a multiple of kIdChunk, and the "IN (?, ...)" list for one chunk.
std::vector<std::vector<SqlParam>> IdChunks(const std::vector<int64_t>& ids) {
  std::vector<std::vector<SqlParam>> chunks;
  for (size_t start = 0; start < ids.size(); start += kIdChunk) {
    std::vector<SqlParam> chunk;
    for (size_t i = start; i < start + kIdChunk; ++i)
      chunk.push_back(ids[std::min(i, ids.size() - 1)]);
    chunks.push_back(std::move(chunk));
  }
  return chunks;
}

std::string InList() {
  static const std::string list = [] {
    std::vector<std::string> marks(kIdChunk, "?");
    return absl::StrCat("(", absl::StrJoin(marks, ", "), ")");
  }();
  return list;
}

// Runs `statement` (whose last placeholders are an IN list) for every chunk of ids; returns
// the rows changed.
int64_t UpdateInChunks(DbConnection& db, const std::string& statement,
                       const std::vector<SqlParam>& leading, const std::vector<int64_t>& ids) {
  int64_t changed = 0;
  for (std::vector<SqlParam>& chunk : IdChunks(ids)) {
    std::vector<SqlParam> params = leading;
    params.insert(params.end(), chunk.begin(), chunk.end());
    sql::PreparedStatement& prepared = db.Prepare(statement);
    BindAll(prepared, params);
    changed += prepared.executeUpdate();
  }
  return changed;
}

nlohmann::json TransferJson(const TransferResult& r) {
  return {
      {"accounts", r.accounts}, {"opportunities", r.opportunities}, {"visit_plans", r.visit_plans}};
}

TransferResult TransferFromJson(const nlohmann::json& j) {
  return {j.at("accounts"), j.at("opportunities"), j.at("visit_plans")};
}

const Codec<Account> kAccountCodec{AccountJson, AccountFromJson};
const Codec<Contact> kContactCodec{ContactJson, ContactFromJson};
const Codec<TeamMember> kTeamCodec{TeamMemberJson, TeamMemberFromJson};
const Codec<TransferResult> kTransferCodec{TransferJson, TransferFromJson};

absl::Status ContactNotFound(int64_t id) {
  return absl::NotFoundError(absl::StrCat("contact ", id, " not found"));
}

}  // namespace

nlohmann::json ContactEventJson(const Contact& c) {
  return {{"id", c.id},
          {"account_id", c.account_id},
          {"name", c.name},
          {"title", c.title},
          {"phone", c.phone},
          {"email", c.email},
          {"buying_role", c.buying_role},
          {"create_time", TimeJson(c.create_time)},
          {"version", c.version}};
}

nlohmann::json ContactJson(const Contact& c) {
  nlohmann::json j = ContactEventJson(c);
  j["personal_notes"] = NotesJson(c.notes);
  return j;
}

Contact ContactFromJson(const nlohmann::json& j) {
  Contact c;
  c.id = j.at("id");
  c.account_id = j.at("account_id");
  c.name = j.at("name");
  c.title = j.at("title");
  c.phone = j.at("phone");
  c.email = j.at("email");
  c.buying_role = j.at("buying_role");
  c.create_time = TimeFromJson(j.at("create_time"));
  c.version = j.value("version", int64_t{1});
  if (j.contains("personal_notes")) {
    const nlohmann::json& n = j.at("personal_notes");
    c.notes.character = n.at("character");
    c.notes.interests = n.at("interests");
    c.notes.family = n.at("family");
    c.notes.education = n.at("education");
    c.notes.birth_year = n.at("birth_year");
  }
  return c;
}

nlohmann::json TeamMemberJson(const TeamMember& m) {
  return {{"account_id", m.account_id},
          {"member_id", m.member_id},
          {"role", m.role},
          {"add_time", TimeJson(m.add_time)}};
}

TeamMember TeamMemberFromJson(const nlohmann::json& j) {
  TeamMember m;
  m.account_id = j.at("account_id");
  m.member_id = j.at("member_id");
  m.role = j.at("role");
  m.add_time = TimeFromJson(j.at("add_time"));
  return m;
}

nlohmann::json AccountChangeJson(const AccountChange& c) {
  return {{"id", c.id},
          {"account_id", c.account_id},
          {"kind", c.kind},
          {"from_value", c.from_value},
          {"to_value", c.to_value},
          {"actor", c.actor},
          {"reason", c.reason},
          {"request_id", c.request_id},
          {"time", TimeJson(c.time)}};
}

AccountChange AccountChangeFromJson(const nlohmann::json& j) {
  AccountChange c;
  c.id = j.value("id", int64_t{0});
  c.account_id = j.at("account_id");
  c.kind = j.at("kind");
  c.from_value = j.at("from_value");
  c.to_value = j.at("to_value");
  c.actor = j.at("actor");
  c.reason = j.at("reason");
  c.request_id = j.at("request_id");
  c.time = TimeFromJson(j.at("time"));
  return c;
}

absl::StatusOr<Account> AccountStore::Create(const Mutation& m, const Account& account) {
  return RunIdempotent<Account>(
      pool_, m, "account.create", kAccountCodec, [&](DbConnection& db) -> absl::StatusOr<Account> {
        if (account.parent_id != 0) {
          if (auto s = CheckNewParent(db, 0, account.parent_id); !s.ok()) return s;
        }
        sql::PreparedStatement& insert = db.Prepare(kInsertAccount);
        BindAll(insert, {account.name,
                         account.registration_number,
                         Enum(account.nature),
                         account.industry,
                         account.region,
                         Enum(account.scale),
                         Enum(account.lifecycle_stage),
                         Enum(account.status),
                         Enum(account.tier),
                         account.owner_id,
                         account.create_time,
                         account.update_time,
                         OptionalIdParam(account.parent_id),
                         Enum(account.transaction_process),
                         Enum(account.volume_position),
                         account.address,
                         account.phone,
                         account.legal_representative,
                         AccountJson(account)["business"].dump(),
                         nlohmann::json(account.tags).dump()});
        try {
          insert.executeUpdate();
        } catch (const sql::SQLException& e) {
          if (e.getErrorCode() != kDuplicateEntry) throw;
          return absl::AlreadyExistsError(
              "account.registration_number: another account has this registration number");
        }
        Account created = account;
        created.id = LastInsertId(db);
        GrantAccess(db, created.owner_id, created.id, kViaOwner);
        WriteTags(db, created.id, created.tags);
        Record(db, m, "account", "created", absl::StrCat(created.id), nullptr,
               AccountJson(created));
        return created;
      });
}

absl::StatusOr<AccountView> AccountStore::Get(int64_t id, const std::string& subject) {
  std::optional<AccountView> view;
  absl::Status status = WithConnection(pool_, "account.get", [&](DbConnection& db) {
    view = SelectAccountView(db, id, subject, /*lock=*/false);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!view) return AccountNotFound(id);
  return *view;
}

absl::StatusOr<Page<Account>> AccountStore::List(const AccountFilter& filter, int64_t after_id,
                                                 int page_size) {
  // Only constant fragments are joined; every value is bound, in the order of the text.
  std::string from;
  std::vector<SqlParam> params;
  if (!filter.member_id.empty()) {
    from += "JOIN account_access x ON x.account_id = a.id AND x.member_id = ? ";
    params.push_back(filter.member_id);
  }
  if (!filter.tag.empty()) {
    from += "JOIN account_tags t ON t.account_id = a.id AND t.tag = ? ";
    params.push_back(filter.tag);
  }
  std::string where = "WHERE a.id > ?";
  params.push_back(after_id);
  auto add = [&](bool present, const char* clause, SqlParam value) {
    if (!present) return;
    absl::StrAppend(&where, " AND ", clause);
    params.push_back(std::move(value));
  };
  add(!filter.owner_id.empty(), "a.owner_id = ?", filter.owner_id);
  add(filter.tier != Tier::kUnspecified, "a.tier = ?", Enum(filter.tier));
  add(filter.status != AccountStatus::kUnspecified, "a.status = ?", Enum(filter.status));
  add(filter.parent_id != 0, "a.parent_id = ?", filter.parent_id);
  add(!filter.industry.empty(), "a.industry = ?", filter.industry);
  add(!filter.region.empty(), "a.region = ?", filter.region);
  add(!filter.name_prefix.empty(), "a.name LIKE ? ESCAPE '!'",
      absl::StrCat(absl::StrReplaceAll(filter.name_prefix, {{"!", "!!"}, {"%", "!%"}, {"_", "!_"}}),
                   "%"));
  if (!filter.include_archived) absl::StrAppend(&where, " AND a.archived = FALSE");
  params.push_back(int64_t{page_size} + 1);
  const std::string query = AccountSelect(absl::StrCat(from, where, " ORDER BY a.id LIMIT ?"));

  Page<Account> page;
  absl::Status status = WithConnection(pool_, "account.list", [&](DbConnection& db) {
    page = {};
    sql::PreparedStatement& select = db.Prepare(query);
    BindAll(select, params);
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) page.items.push_back(ReadAccount(*rows));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  TrimPage(page, page_size);
  return page;
}

absl::StatusOr<Account> AccountStore::Update(const Mutation& m, int64_t id,
                                             const std::string& subject, const std::string& action,
                                             const Change& change) {
  return RunIdempotent<Account>(
      pool_, m, "account.update", kAccountCodec, [&](DbConnection& db) -> absl::StatusOr<Account> {
        std::optional<AccountView> current = SelectAccountView(db, id, subject, /*lock=*/true);
        if (!current) return AccountNotFound(id);
        absl::StatusOr<Account> updated = change(*current);
        if (!updated.ok()) return updated.status();
        const Account& before = current->account;
        if (updated->version == before.version) return updated;  // nothing changed
        if (updated->parent_id != before.parent_id && updated->parent_id != 0) {
          if (auto s = CheckNewParent(db, id, updated->parent_id); !s.ok()) return s;
        }
        WriteAccountRow(db, *updated);
        if (updated->tags != before.tags) WriteTags(db, id, updated->tags);
        if (updated->owner_id != before.owner_id) {
          RevokeAccess(db, before.owner_id, id, kViaOwner);
          GrantAccess(db, updated->owner_id, id, kViaOwner);
        }
        RecordAccountChange(db, m, action, before, *updated);
        return updated;
      });
}

absl::StatusOr<Account> AccountStore::Archive(const Mutation& m, int64_t id,
                                              const std::string& subject,
                                              const ArchiveRule& archive) {
  return RunIdempotent<Account>(
      pool_, m, "account.archive", kAccountCodec, [&](DbConnection& db) -> absl::StatusOr<Account> {
        std::optional<AccountView> current = SelectAccountView(db, id, subject, /*lock=*/true);
        if (!current) return AccountNotFound(id);
        const int live = static_cast<int>(QueryInt(db, kLiveSubsidiaries, {id}));
        absl::StatusOr<Account> archived = archive(*current, live);
        if (!archived.ok()) return archived.status();
        WriteAccountRow(db, *archived);
        RecordAccountChange(db, m, "archived", current->account, *archived);
        return archived;
      });
}

absl::StatusOr<GroupTree> AccountStore::Tree(int64_t root, int max_depth, int limit,
                                             const std::string& subject) {
  static const std::string query =
      "WITH RECURSIVE tree (id, depth) AS ("
      "SELECT id, 0 FROM accounts WHERE id = ? "
      "UNION ALL SELECT c.id, t.depth + 1 FROM accounts c JOIN tree t ON c.parent_id = t.id "
      "WHERE t.depth < ?) "
      "SELECT t.id, t.depth, a.parent_id, a.name, x.account_id IS NOT NULL AS works_on "
      "FROM tree t JOIN accounts a ON a.id = t.id "
      "LEFT JOIN account_access x ON x.account_id = t.id AND x.member_id = ? "
      "ORDER BY t.depth, t.id LIMIT ?";
  std::vector<GroupNode> by_level;
  bool truncated = false;
  absl::Status status = WithConnection(pool_, "account.tree", [&](DbConnection& db) {
    by_level.clear();
    sql::PreparedStatement& select = db.Prepare(query);
    BindAll(select,
            {root, int64_t{max_depth > 0 ? max_depth : 1000000}, subject, int64_t{limit} + 1});
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) {
      GroupNode node;
      node.account_id = rows->getInt64("id");
      node.depth = rows->getInt("depth");
      node.parent_id = rows->isNull("parent_id") ? 0 : rows->getInt64("parent_id");
      node.name = rows->getString("name");
      if (!subject.empty() && !rows->getBoolean("works_on")) node.name.clear();
      by_level.push_back(std::move(node));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (by_level.empty()) return AccountNotFound(root);
  if (static_cast<int>(by_level.size()) > limit) {
    by_level.pop_back();
    truncated = true;
  }
  // Depth first: children of each node in id order (rows came sorted by depth, then id).
  std::map<int64_t, std::vector<const GroupNode*>> children;
  for (const GroupNode& node : by_level) {
    if (node.depth > 0) children[node.parent_id].push_back(&node);
  }
  GroupTree tree;
  tree.truncated = truncated;
  std::vector<const GroupNode*> stack = {&by_level.front()};
  while (!stack.empty()) {
    const GroupNode* node = stack.back();
    stack.pop_back();
    tree.nodes.push_back(*node);
    const std::vector<const GroupNode*>& kids = children[node->account_id];
    stack.insert(stack.end(), kids.rbegin(), kids.rend());
  }
  return tree;
}

absl::StatusOr<std::vector<GroupNode>> AccountStore::Ancestors(int64_t id,
                                                               const std::string& subject) {
  static const std::string query = std::string(kAncestorsCte) +
                                   "SELECT s.id, s.depth, a.parent_id, a.name, "
                                   "x.account_id IS NOT NULL AS works_on "
                                   "FROM ancestors s JOIN accounts a ON a.id = s.id "
                                   "LEFT JOIN account_access x ON x.account_id = s.id "
                                   "AND x.member_id = ? "
                                   "WHERE s.depth > 0 ORDER BY s.depth DESC";
  std::vector<GroupNode> nodes;
  absl::Status status = WithConnection(pool_, "account.ancestors", [&](DbConnection& db) {
    nodes.clear();
    sql::PreparedStatement& select = db.Prepare(query);
    BindAll(select, {id, subject});
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) {
      GroupNode node;
      node.account_id = rows->getInt64("id");
      node.depth = -rows->getInt("depth");
      node.parent_id = rows->isNull("parent_id") ? 0 : rows->getInt64("parent_id");
      node.name = rows->getString("name");
      if (!subject.empty() && !rows->getBoolean("works_on")) node.name.clear();
      nodes.push_back(std::move(node));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return nodes;
}

absl::StatusOr<Contact> AccountStore::CreateContact(const Mutation& m, int64_t account_id,
                                                    const std::string& subject,
                                                    const ContactRule& decide) {
  return RunIdempotent<Contact>(
      pool_, m, "contact.create", kContactCodec, [&](DbConnection& db) -> absl::StatusOr<Contact> {
        // Locked so that the account cannot be archived while the contact is added.
        std::optional<AccountView> account =
            SelectAccountView(db, account_id, subject, /*lock=*/true);
        if (!account) return AccountNotFound(account_id);
        absl::StatusOr<Contact> created = decide(*account);
        if (!created.ok()) return created.status();
        created->account_id = account_id;
        const PersonalNotes& n = created->notes;
        Execute(db, kInsertContact,
                {account_id, created->name, created->title, created->phone, created->email,
                 Enum(created->buying_role), created->create_time, n.character, n.interests,
                 n.family, n.education, int64_t{n.birth_year}});
        created->id = LastInsertId(db);
        Record(db, m, "contact", "created", absl::StrCat(created->id), nullptr,
               ContactEventJson(*created));
        return created;
      });
}

absl::StatusOr<Page<Contact>> AccountStore::ListContacts(int64_t account_id, int64_t after_id,
                                                         int page_size) {
  static const std::string query =
      absl::StrCat("SELECT ", kContactColumns,
                   " FROM contacts WHERE account_id = ? AND id > ? ORDER BY id LIMIT ?");
  Page<Contact> page;
  absl::Status status = WithConnection(pool_, "contact.list", [&](DbConnection& db) {
    page = {};
    sql::PreparedStatement& select = db.Prepare(query);
    BindAll(select, {account_id, after_id, int64_t{page_size} + 1});
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) page.items.push_back(ReadContact(*rows));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  TrimPage(page, page_size);
  return page;
}

absl::StatusOr<std::pair<Contact, AccountView>> AccountStore::GetContact(
    int64_t contact_id, const std::string& subject) {
  static const std::string query =
      absl::StrCat("SELECT ", kContactColumns, " FROM contacts WHERE id = ?");
  std::optional<Contact> contact;
  std::optional<AccountView> account;
  absl::Status status = WithConnection(pool_, "contact.get", [&](DbConnection& db) {
    contact.reset();
    sql::PreparedStatement& select = db.Prepare(query);
    BindAll(select, {contact_id});
    std::unique_ptr<sql::ResultSet> row(select.executeQuery());
    if (!row->next()) return absl::OkStatus();
    contact = ReadContact(*row);
    account = SelectAccountView(db, contact->account_id, subject, /*lock=*/false);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!contact || !account) return ContactNotFound(contact_id);
  return std::make_pair(*contact, *account);
}

absl::StatusOr<Contact> AccountStore::UpdateContact(const Mutation& m, int64_t contact_id,
                                                    const std::string& subject,
                                                    const ContactChange& change) {
  static const std::string account_of = "SELECT account_id FROM contacts WHERE id = ?";
  static const std::string locking =
      absl::StrCat("SELECT ", kContactColumns, " FROM contacts WHERE id = ? FOR UPDATE");
  return RunIdempotent<Contact>(
      pool_, m, "contact.update", kContactCodec, [&](DbConnection& db) -> absl::StatusOr<Contact> {
        const int64_t account_id = QueryInt(db, account_of, {contact_id});
        if (account_id == 0) return ContactNotFound(contact_id);
        // The account first, as everywhere, then the contact.
        std::optional<AccountView> account =
            SelectAccountView(db, account_id, subject, /*lock=*/true);
        if (!account) return ContactNotFound(contact_id);
        sql::PreparedStatement& select = db.Prepare(locking);
        BindAll(select, {contact_id});
        std::unique_ptr<sql::ResultSet> row(select.executeQuery());
        if (!row->next()) return ContactNotFound(contact_id);
        const Contact current = ReadContact(*row);
        absl::StatusOr<Contact> updated = change(current, *account);
        if (!updated.ok()) return updated.status();
        const PersonalNotes& n = updated->notes;
        Execute(db, kUpdateContact,
                {updated->name, updated->title, updated->phone, updated->email,
                 Enum(updated->buying_role), n.character, n.interests, n.family, n.education,
                 int64_t{n.birth_year}, updated->version, m.now, contact_id});
        Record(db, m, "contact", "updated", absl::StrCat(contact_id), ContactEventJson(current),
               ContactEventJson(*updated));
        return updated;
      });
}

absl::StatusOr<TeamMember> AccountStore::AddTeamMember(const Mutation& m, int64_t account_id,
                                                       const std::string& subject,
                                                       const TeamRule& decide) {
  return RunIdempotent<TeamMember>(
      pool_, m, "team.add", kTeamCodec, [&](DbConnection& db) -> absl::StatusOr<TeamMember> {
        std::optional<AccountView> account =
            SelectAccountView(db, account_id, subject, /*lock=*/true);
        if (!account) return AccountNotFound(account_id);
        absl::StatusOr<TeamMember> member = decide(*account);
        if (!member.ok()) return member.status();
        Execute(db, kUpsertTeamMember,
                {account_id, member->member_id, Enum(member->role), member->add_time});
        GrantAccess(db, member->member_id, account_id, kViaTeam);
        Record(db, m, "team", "member_added", absl::StrCat(account_id), nullptr,
               TeamMemberJson(*member));
        return member;
      });
}

absl::StatusOr<TeamMember> AccountStore::RemoveTeamMember(const Mutation& m, int64_t account_id,
                                                          const std::string& member_id,
                                                          const std::string& subject,
                                                          const AccountRule& allow) {
  return RunIdempotent<TeamMember>(
      pool_, m, "team.remove", kTeamCodec, [&](DbConnection& db) -> absl::StatusOr<TeamMember> {
        std::optional<AccountView> account =
            SelectAccountView(db, account_id, subject, /*lock=*/true);
        if (!account) return AccountNotFound(account_id);
        if (auto s = allow(*account); !s.ok()) return s;
        sql::PreparedStatement& select = db.Prepare(kSelectTeamMember);
        BindAll(select, {account_id, member_id});
        std::unique_ptr<sql::ResultSet> row(select.executeQuery());
        if (!row->next()) {
          return absl::NotFoundError(absl::StrCat("member_id: ", member_id, " is not on the team"));
        }
        const TeamMember removed = ReadTeamMember(*row);
        Execute(db, kDeleteTeamMember, {account_id, member_id});
        RevokeAccess(db, member_id, account_id, kViaTeam);
        Record(db, m, "team", "member_removed", absl::StrCat(account_id), TeamMemberJson(removed),
               TeamMemberJson(removed));
        return removed;
      });
}

absl::StatusOr<std::vector<TeamMember>> AccountStore::ListTeamMembers(int64_t account_id) {
  std::vector<TeamMember> members;
  absl::Status status = WithConnection(pool_, "team.list", [&](DbConnection& db) {
    members.clear();
    sql::PreparedStatement& select = db.Prepare(kSelectTeam);
    BindAll(select, {account_id});
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) members.push_back(ReadTeamMember(*rows));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return members;
}

absl::StatusOr<TransferResult> AccountStore::TransferAccounts(const Mutation& m,
                                                              const Transfer& transfer) {
  static const std::string owned = AccountSelect("WHERE a.owner_id = ? ORDER BY a.id FOR UPDATE");
  static const std::string move_opportunities = absl::StrCat(
      "UPDATE opportunities SET owner_id = ?, version = version + 1, update_time = ? "
      "WHERE owner_id = ? AND stage BETWEEN 1 AND 6 AND account_id IN ",
      InList());
  static const std::string move_plans = absl::StrCat(
      "UPDATE visit_plans SET owner_id = ?, update_time = ? "
      "WHERE owner_id = ? AND status = 1 AND account_id IN ",
      InList());
  return RunIdempotent<TransferResult>(
      pool_, m, "account.transfer", kTransferCodec,
      [&](DbConnection& db) -> absl::StatusOr<TransferResult> {
        sql::PreparedStatement& select = db.Prepare(owned);
        BindAll(select, {transfer.from_owner_id});
        std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
        std::map<int64_t, Account> accounts;
        while (rows->next()) {
          Account a = ReadAccount(*rows);
          accounts.emplace(a.id, std::move(a));
        }
        std::vector<int64_t> moving;
        if (transfer.account_ids.empty()) {
          for (const auto& [id, account] : accounts) moving.push_back(id);
        } else {
          for (int64_t id :
               std::set<int64_t>(transfer.account_ids.begin(), transfer.account_ids.end())) {
            if (accounts.count(id) == 0) {
              return absl::FailedPreconditionError(absl::StrCat(
                  "account_ids: account ", id, " is not owned by ", transfer.from_owner_id));
            }
            moving.push_back(id);
          }
        }
        TransferResult result;
        if (moving.empty()) return result;
        // Rows first, then history, audit and events (which take the outbox lock).
        const std::vector<SqlParam> leading = {transfer.to_owner_id, m.now, transfer.from_owner_id};
        result.accounts = static_cast<int>(moving.size());
        result.opportunities =
            static_cast<int>(UpdateInChunks(db, move_opportunities, leading, moving));
        result.visit_plans = static_cast<int>(UpdateInChunks(db, move_plans, leading, moving));
        std::vector<std::pair<Account, Account>> changes;
        for (int64_t id : moving) {
          Account before = accounts.at(id);
          Account after = before;
          after.owner_id = transfer.to_owner_id;
          ++after.version;
          after.update_time = m.now;
          WriteAccountRow(db, after);
          RevokeAccess(db, before.owner_id, id, kViaOwner);
          GrantAccess(db, after.owner_id, id, kViaOwner);
          changes.emplace_back(std::move(before), std::move(after));
        }
        for (const auto& [before, after] : changes) {
          RecordAccountChange(db, m, "owner_changed", before, after);
        }
        return result;
      });
}

absl::StatusOr<Page<AccountChange>> AccountStore::ListHistory(int64_t account_id, HistoryKind kind,
                                                              int64_t before_id, int page_size) {
  static const std::string columns =
      "SELECT id, account_id, kind, from_value, to_value, actor, reason, request_id, changed_at "
      "FROM account_history WHERE account_id = ? AND id < ? ";
  static const std::string all = columns + "ORDER BY id DESC LIMIT ?";
  static const std::string of_kind = columns + "AND kind = ? ORDER BY id DESC LIMIT ?";
  const int64_t before = before_id > 0 ? before_id : std::numeric_limits<int64_t>::max();
  Page<AccountChange> page;
  absl::Status status = WithConnection(pool_, "account.history", [&](DbConnection& db) {
    page = {};
    const bool filtered = kind != HistoryKind::kUnspecified;
    sql::PreparedStatement& select = db.Prepare(filtered ? of_kind : all);
    std::vector<SqlParam> params = {account_id, before};
    if (filtered) params.push_back(Enum(kind));
    params.push_back(int64_t{page_size} + 1);
    BindAll(select, params);
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) {
      AccountChange c;
      c.id = rows->getInt64("id");
      c.account_id = rows->getInt64("account_id");
      c.kind = static_cast<HistoryKind>(rows->getInt("kind"));
      c.from_value = rows->getString("from_value");
      c.to_value = rows->getString("to_value");
      c.actor = rows->getString("actor");
      c.reason = rows->getString("reason");
      c.request_id = rows->getString("request_id");
      c.time = FromSqlTime(rows->getString("changed_at"));
      page.items.push_back(std::move(c));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  TrimPage(page, page_size);
  return page;
}

}  // namespace kam::accounts
