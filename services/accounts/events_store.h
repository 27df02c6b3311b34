#pragma once

#include "services/accounts/store_support.h"

namespace kam::accounts {

// STUB: the SQL of this part, built by its issue work.
class EventStore {
 public:
  explicit EventStore(DbPool& pool) : pool_(pool) {}

 private:
  [[maybe_unused]] DbPool& pool_;
};

}  // namespace kam::accounts
