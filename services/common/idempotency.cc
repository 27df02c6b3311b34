#include "services/common/idempotency.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "services/common/status.h"

namespace kam {
namespace {

constexpr int kDuplicateEntry = 1062;
constexpr char kInsertKey[] =
    "INSERT INTO idempotency_keys (actor, request_id, fingerprint, created_at) "
    "VALUES (?, ?, ?, UTC_TIMESTAMP(6))";
// A shared lock: the failed duplicate INSERT already holds one, and several concurrent
// duplicates each upgrading theirs to exclusive (FOR UPDATE) deadlock one another.
constexpr char kSelectKey[] =
    "SELECT fingerprint, response FROM idempotency_keys "
    "WHERE actor = ? AND request_id = ? LOCK IN SHARE MODE";
constexpr char kRecordResponse[] =
    "UPDATE idempotency_keys SET response = ? WHERE actor = ? AND request_id = ?";

}  // namespace

std::string RequestFingerprint(std::string_view method, const google::protobuf::Message& request) {
  std::string bytes(method);
  bytes.push_back('\0');
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::Status ValidateRequestId(std::string_view request_id) {
  if (request_id.empty()) return InvalidField("request_id", "required");
  if (request_id.size() > 128) return InvalidField("request_id", "longer than 128 characters");
  for (char c : request_id) {
    if (c < 0x21 || c > 0x7e) {
      return InvalidField("request_id", "must be printable ASCII without spaces");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> ClaimRequest(DbConnection& db, std::string_view actor,
                                                        std::string_view request_id,
                                                        std::string_view fingerprint) {
  try {
    sql::PreparedStatement& insert = db.Prepare(kInsertKey);
    BindAll(insert, {std::string(actor), std::string(request_id), std::string(fingerprint)});
    insert.executeUpdate();
    return std::nullopt;
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != kDuplicateEntry) throw;
  }
  // Seen before. The duplicate insert waited for the first transaction to commit, so the
  // recorded response is there now.
  sql::PreparedStatement& select = db.Prepare(kSelectKey);
  BindAll(select, {std::string(actor), std::string(request_id)});
  std::unique_ptr<sql::ResultSet> row(select.executeQuery());
  if (!row->next() || row->isNull("response")) {
    return absl::AbortedError("the first request with this request_id is still running");
  }
  if (row->getString("fingerprint") != std::string(fingerprint)) {
    return InvalidField("request_id", "already used for a different request");
  }
  return std::optional<std::string>(row->getString("response"));
}

void RecordResponse(DbConnection& db, std::string_view actor, std::string_view request_id,
                    std::string_view response) {
  sql::PreparedStatement& update = db.Prepare(kRecordResponse);
  BindAll(update, {std::string(response), std::string(actor), std::string(request_id)});
  update.executeUpdate();
}

}  // namespace kam
