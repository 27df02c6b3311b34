#include "services/accounts/store.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "services/common/idempotency.h"
#include "services/common/outbox.h"
#include "services/common/status.h"

namespace kam::accounts {
namespace {

constexpr int kDuplicateEntry = 1062;
constexpr char kAccountColumns[] =
    "id, name, registration_number, nature, industry, region, scale, lifecycle_stage, status, "
    "tier, owner_id, archived, version, create_time, update_time, archive_time";
constexpr char kInsertAccount[] =
    "INSERT INTO accounts (name, registration_number, nature, industry, region, scale, "
    "lifecycle_stage, status, tier, owner_id, archived, version, create_time, update_time) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE, 1, ?, ?)";
constexpr char kUpdateAccount[] =
    "UPDATE accounts SET name = ?, nature = ?, industry = ?, region = ?, scale = ?, "
    "lifecycle_stage = ?, status = ?, tier = ?, owner_id = ?, archived = ?, version = ?, "
    "update_time = ?, archive_time = ? WHERE id = ?";
constexpr char kInsertContact[] =
    "INSERT INTO contacts (account_id, name, title, phone, email, buying_role, create_time) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr char kSelectContacts[] =
    "SELECT id, account_id, name, title, phone, email, buying_role, create_time FROM contacts "
    "WHERE account_id = ? AND id > ? ORDER BY id LIMIT ?";
constexpr char kLastInsertId[] = "SELECT LAST_INSERT_ID()";

std::string AccountSelect(const std::string& where_and_rest) {
  return absl::StrCat("SELECT ", kAccountColumns, " FROM accounts ", where_and_rest);
}

nlohmann::json TimeJson(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time TimeFromJson(const nlohmann::json& j) { return absl::FromUnixMicros(j.get<int64_t>()); }

nlohmann::json ToJson(const Account& a) {
  nlohmann::json j = {{"id", a.id},
                      {"name", a.name},
                      {"registration_number", a.registration_number},
                      {"nature", a.nature},
                      {"industry", a.industry},
                      {"region", a.region},
                      {"scale", a.scale},
                      {"lifecycle_stage", a.lifecycle_stage},
                      {"status", a.status},
                      {"tier", a.tier},
                      {"owner_id", a.owner_id},
                      {"archived", a.archived},
                      {"version", a.version},
                      {"create_time", TimeJson(a.create_time)},
                      {"update_time", TimeJson(a.update_time)}};
  j["archive_time"] = a.archive_time ? TimeJson(*a.archive_time) : nlohmann::json();
  return j;
}

Account AccountFromJson(const nlohmann::json& j) {
  Account a;
  a.id = j.at("id");
  a.name = j.at("name");
  a.registration_number = j.at("registration_number");
  a.nature = j.at("nature");
  a.industry = j.at("industry");
  a.region = j.at("region");
  a.scale = j.at("scale");
  a.lifecycle_stage = j.at("lifecycle_stage");
  a.status = j.at("status");
  a.tier = j.at("tier");
  a.owner_id = j.at("owner_id");
  a.archived = j.at("archived");
  a.version = j.at("version");
  a.create_time = TimeFromJson(j.at("create_time"));
  a.update_time = TimeFromJson(j.at("update_time"));
  if (!j.at("archive_time").is_null()) a.archive_time = TimeFromJson(j.at("archive_time"));
  return a;
}

nlohmann::json ToJson(const Contact& c) {
  return {{"id", c.id},
          {"account_id", c.account_id},
          {"name", c.name},
          {"title", c.title},
          {"phone", c.phone},
          {"email", c.email},
          {"buying_role", c.buying_role},
          {"create_time", TimeJson(c.create_time)}};
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
  return c;
}

Account ReadAccount(const sql::ResultSet& row) {
  Account a;
  a.id = row.getInt64("id");
  a.name = row.getString("name");
  a.registration_number = row.getString("registration_number");
  a.nature = static_cast<Nature>(row.getInt("nature"));
  a.industry = row.getString("industry");
  a.region = row.getString("region");
  a.scale = static_cast<Scale>(row.getInt("scale"));
  a.lifecycle_stage = static_cast<LifecycleStage>(row.getInt("lifecycle_stage"));
  a.status = static_cast<AccountStatus>(row.getInt("status"));
  a.tier = static_cast<Tier>(row.getInt("tier"));
  a.owner_id = row.getString("owner_id");
  a.archived = row.getBoolean("archived");
  a.version = row.getInt64("version");
  a.create_time = FromSqlTime(row.getString("create_time"));
  a.update_time = FromSqlTime(row.getString("update_time"));
  if (!row.isNull("archive_time")) a.archive_time = FromSqlTime(row.getString("archive_time"));
  return a;
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
  return c;
}

template <typename E>
int64_t Enum(E value) {
  return static_cast<int64_t>(value);
}

int64_t LastInsertId(DbConnection& db) {
  std::unique_ptr<sql::ResultSet> row(db.Prepare(kLastInsertId).executeQuery());
  row->next();
  return row->getInt64(1);
}

// Reads one account; with `lock`, holds its row lock until the transaction ends.
std::optional<Account> SelectAccount(DbConnection& db, int64_t id, bool lock) {
  static const std::string plain = AccountSelect("WHERE id = ?");
  static const std::string locking = AccountSelect("WHERE id = ? FOR UPDATE");
  sql::PreparedStatement& select = db.Prepare(lock ? locking : plain);
  BindAll(select, {id});
  std::unique_ptr<sql::ResultSet> row(select.executeQuery());
  if (!row->next()) return std::nullopt;
  return ReadAccount(*row);
}

void Record(DbConnection& db, const Mutation& m, const std::string& action, const std::string& type,
            const std::string& id, const nlohmann::json& before, const nlohmann::json& after) {
  WriteAudit(db, {m.actor, type + "." + action, type, id, m.trace_id, m.now, before.dump(),
                  after.dump(), m.note});
  WriteOutbox(db, {type + "." + action, type, id, after.dump(), m.now});
}

// Pages are read with one extra row: its presence says whether another page follows.
template <typename T>
void TrimPage(Page<T>& page, int page_size) {
  if (static_cast<int>(page.items.size()) > page_size) {
    page.items.pop_back();
    page.more = true;
  }
  if (!page.items.empty()) page.last_id = page.items.back().id;
}

absl::Status NotFound(int64_t id) {
  return absl::NotFoundError(absl::StrCat("account ", id, " not found"));
}

Account FromJson(const nlohmann::json& j, const Account*) { return AccountFromJson(j); }
Contact FromJson(const nlohmann::json& j, const Contact*) { return ContactFromJson(j); }

}  // namespace

template <typename T>
absl::StatusOr<T> AccountStore::Idempotent(
    const Mutation& m, const char* context,
    const std::function<absl::StatusOr<T>(DbConnection&)>& effect) {
  T result;
  absl::Status status = InTransaction(pool_, context, [&](DbConnection& db) -> absl::Status {
    absl::StatusOr<std::optional<std::string>> replay =
        ClaimRequest(db, m.actor, m.request_id, m.fingerprint);
    if (!replay.ok()) return replay.status();
    if (*replay) {
      result = FromJson(nlohmann::json::parse(**replay), static_cast<const T*>(nullptr));
      return absl::OkStatus();
    }
    absl::StatusOr<T> done = effect(db);
    if (!done.ok()) return done.status();
    result = *std::move(done);
    RecordResponse(db, m.actor, m.request_id, ToJson(result).dump());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<Account> AccountStore::Create(const Mutation& m, const Account& account) {
  return Idempotent<Account>(m, "account.create", [&](DbConnection& db) -> absl::StatusOr<Account> {
    sql::PreparedStatement& insert = db.Prepare(kInsertAccount);
    BindAll(insert, {account.name, account.registration_number, Enum(account.nature),
                     account.industry, account.region, Enum(account.scale),
                     Enum(account.lifecycle_stage), Enum(account.status), Enum(account.tier),
                     account.owner_id, account.create_time, account.update_time});
    try {
      insert.executeUpdate();
    } catch (const sql::SQLException& e) {
      if (e.getErrorCode() != kDuplicateEntry) throw;
      return absl::AlreadyExistsError(
          "account.registration_number: another account has this registration number");
    }
    Account created = account;
    created.id = LastInsertId(db);
    Record(db, m, "created", "account", absl::StrCat(created.id), nullptr, ToJson(created));
    return created;
  });
}

absl::StatusOr<Account> AccountStore::Get(int64_t id) {
  std::optional<Account> account;
  absl::Status status = WithConnection(pool_, "account.get", [&](DbConnection& db) {
    account = SelectAccount(db, id, /*lock=*/false);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!account) return NotFound(id);
  return *account;
}

absl::StatusOr<Page<Account>> AccountStore::List(const AccountFilter& filter, int64_t after_id,
                                                 int page_size) {
  // Only constant fragments are joined; every value is bound.
  std::string where = "WHERE id > ?";
  std::vector<SqlParam> params = {after_id};
  auto add = [&](bool present, const char* clause, SqlParam value) {
    if (!present) return;
    absl::StrAppend(&where, " AND ", clause);
    params.push_back(std::move(value));
  };
  add(!filter.owner_id.empty(), "owner_id = ?", filter.owner_id);
  add(filter.tier != Tier::kUnspecified, "tier = ?", Enum(filter.tier));
  add(!filter.industry.empty(), "industry = ?", filter.industry);
  add(!filter.region.empty(), "region = ?", filter.region);
  add(!filter.name_prefix.empty(), "name LIKE ? ESCAPE '!'",
      absl::StrCat(absl::StrReplaceAll(filter.name_prefix, {{"!", "!!"}, {"%", "!%"}, {"_", "!_"}}),
                   "%"));
  if (!filter.include_archived) absl::StrAppend(&where, " AND archived = FALSE");
  params.push_back(int64_t{page_size} + 1);
  const std::string query = AccountSelect(absl::StrCat(where, " ORDER BY id LIMIT ?"));

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
                                             const std::string& action, const Change& change) {
  return Idempotent<Account>(m, "account.update", [&](DbConnection& db) -> absl::StatusOr<Account> {
    std::optional<Account> current = SelectAccount(db, id, /*lock=*/true);
    if (!current) return NotFound(id);
    absl::StatusOr<Account> updated = change(*current);
    if (!updated.ok()) return updated.status();
    sql::PreparedStatement& write = db.Prepare(kUpdateAccount);
    BindAll(write,
            {updated->name, Enum(updated->nature), updated->industry, updated->region,
             Enum(updated->scale), Enum(updated->lifecycle_stage), Enum(updated->status),
             Enum(updated->tier), updated->owner_id, updated->archived, updated->version,
             updated->update_time,
             updated->archive_time ? SqlParam(*updated->archive_time) : SqlParam(SqlNull{}), id});
    write.executeUpdate();
    Record(db, m, action, "account", absl::StrCat(id), ToJson(*current), ToJson(*updated));
    return updated;
  });
}

absl::StatusOr<Contact> AccountStore::CreateContact(const Mutation& m, int64_t account_id,
                                                    const ContactRule& decide) {
  return Idempotent<Contact>(m, "contact.create", [&](DbConnection& db) -> absl::StatusOr<Contact> {
    // Locked so that the account cannot be archived while the contact is added.
    std::optional<Account> account = SelectAccount(db, account_id, /*lock=*/true);
    if (!account) return NotFound(account_id);
    absl::StatusOr<Contact> created = decide(*account);
    if (!created.ok()) return created.status();
    created->account_id = account_id;
    sql::PreparedStatement& insert = db.Prepare(kInsertContact);
    BindAll(insert, {account_id, created->name, created->title, created->phone, created->email,
                     Enum(created->buying_role), created->create_time});
    insert.executeUpdate();
    created->id = LastInsertId(db);
    Record(db, m, "created", "contact", absl::StrCat(created->id), nullptr, ToJson(*created));
    return created;
  });
}

absl::StatusOr<Page<Contact>> AccountStore::ListContacts(int64_t account_id, int64_t after_id,
                                                         int page_size) {
  Page<Contact> page;
  absl::Status status = WithConnection(pool_, "contact.list", [&](DbConnection& db) {
    page = {};
    sql::PreparedStatement& select = db.Prepare(kSelectContacts);
    BindAll(select, {account_id, after_id, int64_t{page_size} + 1});
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) page.items.push_back(ReadContact(*rows));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  TrimPage(page, page_size);
  return page;
}

}  // namespace kam::accounts
