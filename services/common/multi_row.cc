#include "services/common/multi_row.h"

#include <iterator>

#include "absl/strings/str_cat.h"

namespace kam {
namespace {

constexpr size_t kRowChunks[] = {256, 64, 16, 4, 1};

}  // namespace

std::string Placeholders(size_t n) {
  std::string out;
  out.reserve(n * 3);
  for (size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

MultiRowStatement::MultiRowStatement(const std::string& head, size_t columns,
                                     const std::string& tail)
    : columns_(columns) {
  const std::string row = absl::StrCat("(", Placeholders(columns), ")");
  for (size_t rows : kRowChunks) {
    std::string text = absl::StrCat(head, " VALUES ", row);
    for (size_t i = 1; i < rows; ++i) absl::StrAppend(&text, ", ", row);
    texts_.push_back(absl::StrCat(text, " ", tail));
  }
}

void MultiRowStatement::Run(DbConnection& db, const std::vector<SqlParam>& params) const {
  const size_t total = params.size() / columns_;
  size_t done = 0;
  for (size_t i = 0; i < std::size(kRowChunks); ++i) {
    for (; total - done >= kRowChunks[i]; done += kRowChunks[i]) {
      const auto first = params.begin() + static_cast<std::ptrdiff_t>(done * columns_);
      const auto last = first + static_cast<std::ptrdiff_t>(kRowChunks[i] * columns_);
      sql::PreparedStatement& statement = db.Prepare(texts_[i]);
      BindAll(statement, std::vector<SqlParam>(first, last));
      statement.executeUpdate();
    }
  }
}

}  // namespace kam
