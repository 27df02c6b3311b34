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
constexpr char kInsertAccount[] =
    "INSERT INTO accounts (name, registration_number, nature, industry, region, scale, "
    "lifecycle_stage, status, tier, owner_id, archived, version, create_time, update_time, "
    "parent_id, transaction_process, volume_position, address, phone, legal_representative, "
    "business_json, tags_json) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kGrantOwnerAccess[] =
    "INSERT INTO account_access (member_id, account_id, via) VALUES (?, ?, 1) "
    "ON DUPLICATE KEY UPDATE via = via | 1";
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
std::string AccountSelect(const std::string& where_and_rest) {
  return absl::StrCat("SELECT ", kAccountColumns, " FROM accounts a ", where_and_rest);
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

// Reads one account; with `lock`, holds its row lock until the transaction ends.
std::optional<Account> SelectAccount(DbConnection& db, int64_t id, bool lock) {
  static const std::string plain = AccountSelect("WHERE a.id = ?");
  static const std::string locking = AccountSelect("WHERE a.id = ? FOR UPDATE");
  sql::PreparedStatement& select = db.Prepare(lock ? locking : plain);
  BindAll(select, {id});
  std::unique_ptr<sql::ResultSet> row(select.executeQuery());
  if (!row->next()) return std::nullopt;
  return ReadAccount(*row);
}

const Codec<Account> kAccountCodec{AccountJson, AccountFromJson};
const Codec<Contact> kContactCodec{ToJson, ContactFromJson};

}  // namespace

absl::StatusOr<Account> AccountStore::Create(const Mutation& m, const Account& account) {
  return RunIdempotent<Account>(
      pool_, m, "account.create", kAccountCodec, [&](DbConnection& db) -> absl::StatusOr<Account> {
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
        sql::PreparedStatement& grant = db.Prepare(kGrantOwnerAccess);
        BindAll(grant, {created.owner_id, created.id});
        grant.executeUpdate();
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
  // Only constant fragments are joined; every value is bound.
  std::string where = "WHERE a.id > ?";
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
  const std::string query = AccountSelect(absl::StrCat(where, " ORDER BY a.id LIMIT ?"));

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
  return RunIdempotent<Account>(
      pool_, m, "account.update", kAccountCodec, [&](DbConnection& db) -> absl::StatusOr<Account> {
        std::optional<Account> current = SelectAccount(db, id, /*lock=*/true);
        if (!current) return AccountNotFound(id);
        absl::StatusOr<Account> updated = change(*current);
        if (!updated.ok()) return updated.status();
        sql::PreparedStatement& write = db.Prepare(kUpdateAccount);
        BindAll(
            write,
            {updated->name, Enum(updated->nature), updated->industry, updated->region,
             Enum(updated->scale), Enum(updated->lifecycle_stage), Enum(updated->status),
             Enum(updated->tier), updated->owner_id, updated->archived, updated->version,
             updated->update_time,
             updated->archive_time ? SqlParam(*updated->archive_time) : SqlParam(SqlNull{}), id});
        write.executeUpdate();
        Record(db, m, "account", action, absl::StrCat(id), AccountJson(*current),
               AccountJson(*updated));
        return updated;
      });
}

absl::StatusOr<Contact> AccountStore::CreateContact(const Mutation& m, int64_t account_id,
                                                    const ContactRule& decide) {
  return RunIdempotent<Contact>(
      pool_, m, "contact.create", kContactCodec, [&](DbConnection& db) -> absl::StatusOr<Contact> {
        // Locked so that the account cannot be archived while the contact is added.
        std::optional<Account> account = SelectAccount(db, account_id, /*lock=*/true);
        if (!account) return AccountNotFound(account_id);
        absl::StatusOr<Contact> created = decide(*account);
        if (!created.ok()) return created.status();
        created->account_id = account_id;
        sql::PreparedStatement& insert = db.Prepare(kInsertContact);
        BindAll(insert, {account_id, created->name, created->title, created->phone, created->email,
                         Enum(created->buying_role), created->create_time});
        insert.executeUpdate();
        created->id = LastInsertId(db);
        Record(db, m, "contact", "created", absl::StrCat(created->id), nullptr, ToJson(*created));
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
