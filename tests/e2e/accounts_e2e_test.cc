// The customer archive as its users meet it through the gateway: what each manager sees,
// the life of an account, and how bad input is answered.
#include <functional>

#include "tests/e2e/e2e_fixture.h"

namespace kam::e2e {
namespace {

using ObjectAccessTest = E2eTest;

TEST_F(ObjectAccessTest, ManagersSeeAndChangeOnlyTheirOwnAccounts) {
  const Caller alice = As("alice", {"account_manager"});
  const Caller bob = As("bob", {"account_manager"});
  const Caller director = As("dana", {"director"});
  v1::Account alices, bobs;
  ASSERT_THAT(Create(alice, Draft("alice"), &alices), GrpcOk());
  ASSERT_THAT(Create(bob, Draft("bob"), &bobs), GrpcOk());
  EXPECT_EQ(bobs.owner_id(), "bob");

  const auto denied = GrpcError(grpc::StatusCode::PERMISSION_DENIED, "");
  EXPECT_THAT(Get(alice, bobs.id()), denied);
  EXPECT_THAT(Get(alice, 999999999), denied) << "a missing account must look like a hidden one";
  EXPECT_THAT(VisibleIds(alice), ElementsAre(alices.id()));
  v1::ListAccountsRequest bobs_filter = OwnAccounts();
  bobs_filter.set_owner_id("bob");
  EXPECT_THAT(VisibleIds(alice, bobs_filter), IsEmpty())
      << "a manager's filters only narrow the accounts they work on";
  v1::Account rename = bobs;
  rename.set_name(Prefix() + "-taken-over");
  EXPECT_THAT(Update(alice, rename, {"name"}, bobs.etag()), denied);
  EXPECT_THAT(Archive(alice, bobs.id()), denied);

  v1::Account bobs_now;
  ASSERT_THAT(Get(director, bobs.id(), &bobs_now), GrpcOk());
  EXPECT_EQ(bobs_now.name(), bobs.name());
  EXPECT_EQ(bobs_now.etag(), bobs.etag());
  EXPECT_FALSE(bobs_now.archived());
  EXPECT_THAT(Get(director, alices.id()), GrpcOk());
  EXPECT_THAT(VisibleIds(director), ElementsAre(alices.id(), bobs.id()));
  EXPECT_THAT(VisibleIds(director, bobs_filter), ElementsAre(bobs.id()));
}

using AccountLifecycleTest = E2eTest;

TEST_F(AccountLifecycleTest, CreateGetAndListInKeysetPages) {
  const Caller dora = As("dora", {"account_manager"});
  std::vector<int64_t> created;
  for (const char* label : {"a", "b", "c"}) {
    v1::Account account;
    ASSERT_THAT(Create(dora, Draft(label), &account), GrpcOk());
    created.push_back(account.id());
  }
  v1::Account first;
  ASSERT_THAT(Get(dora, created[0], &first), GrpcOk());
  EXPECT_EQ(first.name(), Prefix() + "-a");
  EXPECT_EQ(first.nature(), v1::NATURE_ORDINARY_COMPANY);
  EXPECT_EQ(first.owner_id(), "dora");
  EXPECT_EQ(first.status(), v1::ACCOUNT_STATUS_ACTIVE);
  EXPECT_FALSE(first.etag().empty());
  EXPECT_GT(first.create_time().seconds(), 0);

  v1::ListAccountsRequest request = OwnAccounts();
  request.set_page_size(2);
  v1::ListAccountsResponse page1, page2;
  ASSERT_THAT(List(dora, request, &page1), GrpcOk());
  EXPECT_THAT(Ids(page1), ElementsAre(created[0], created[1]));
  ASSERT_FALSE(page1.next_page_token().empty());
  // An account created between two pages shows up once, on a later page; none is skipped.
  v1::Account late;
  ASSERT_THAT(Create(dora, Draft("d"), &late), GrpcOk());
  request.set_page_token(page1.next_page_token());
  ASSERT_THAT(List(dora, request, &page2), GrpcOk());
  EXPECT_THAT(Ids(page2), ElementsAre(created[2], late.id()));
  EXPECT_THAT(page2.next_page_token(), IsEmpty());
}

TEST_F(AccountLifecycleTest, UpdateWithEtagThenArchive) {
  const Caller dora = As("dora", {"account_manager"});
  v1::Account original;
  ASSERT_THAT(Create(dora, Draft("x"), &original), GrpcOk());

  v1::Account patch = original;
  patch.set_region("East China");
  patch.set_industry("manufacturing");
  patch.set_name("not in the mask, so not applied");
  v1::Account updated;
  ASSERT_THAT(Update(dora, patch, {"region", "industry"}, original.etag(), &updated), GrpcOk());
  EXPECT_EQ(updated.region(), "East China");
  EXPECT_EQ(updated.industry(), "manufacturing");
  EXPECT_EQ(updated.name(), original.name());
  EXPECT_NE(updated.etag(), original.etag());
  v1::Account reread;
  ASSERT_THAT(Get(dora, original.id(), &reread), GrpcOk());
  EXPECT_EQ(reread.region(), "East China");
  EXPECT_EQ(reread.etag(), updated.etag());

  patch.set_region("North China");
  EXPECT_THAT(Update(dora, patch, {"region"}, original.etag()),
              GrpcError(grpc::StatusCode::ABORTED, "etag"));

  v1::Account archived;
  ASSERT_THAT(Archive(dora, original.id(), &archived), GrpcOk());
  EXPECT_TRUE(archived.archived());
  EXPECT_GT(archived.archive_time().seconds(), 0);
  EXPECT_THAT(Update(dora, patch, {"region"}, archived.etag()),
              GrpcError(grpc::StatusCode::FAILED_PRECONDITION, ""));
  EXPECT_THAT(VisibleIds(dora), IsEmpty());
  v1::ListAccountsRequest with_archived = OwnAccounts();
  with_archived.set_include_archived(true);
  EXPECT_THAT(VisibleIds(dora, with_archived), ElementsAre(original.id()));
}

TEST_F(AccountLifecycleTest, CreateRetriedWithTheSameRequestIdHappensOnce) {
  const Caller dora = As("dora", {"account_manager"});
  const v1::Account draft = Draft("retried");
  const std::string request_id = NewRequestId();
  v1::Account first, retry;
  ASSERT_THAT(CreateWithRequestId(dora, draft, request_id, &first), GrpcOk());
  ASSERT_THAT(CreateWithRequestId(dora, draft, request_id, &retry), GrpcOk());
  EXPECT_EQ(retry.id(), first.id());
  absl::StatusOr<std::string> rows = stack().db().QueryAsRoot(
      "SELECT COUNT(*) FROM kam_accounts.accounts WHERE registration_number = '" +
      draft.registration_number() + "'");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, "1\n");

  v1::Account changed = draft;
  changed.set_name(Prefix() + "-something-else");
  EXPECT_THAT(CreateWithRequestId(dora, changed, request_id),
              GrpcError(grpc::StatusCode::INVALID_ARGUMENT, "request_id"));
}

using ValidationTest = E2eTest;

TEST_F(ValidationTest, InvalidArgumentNamesTheField) {
  const Caller dora = As("dora", {"account_manager"});
  v1::Account account;
  ASSERT_THAT(Create(dora, Draft("valid"), &account), GrpcOk());
  v1::Account no_name = Draft("no-name");
  no_name.clear_name();
  v1::Account no_nature = Draft("no-nature");
  no_nature.clear_nature();
  v1::ListAccountsRequest negative_page = OwnAccounts();
  negative_page.set_page_size(-1);
  v1::CreateContactRequest bad_email;
  bad_email.set_request_id(NewRequestId());
  bad_email.mutable_contact()->set_account_id(account.id());
  bad_email.mutable_contact()->set_name("Wang Fang");
  bad_email.mutable_contact()->set_email("wang.fang.example.com");

  const struct {
    std::string field;
    std::function<grpc::Status()> call;
  } cases[] = {
      {"account.name", [&] { return Create(dora, no_name); }},
      {"account.nature", [&] { return Create(dora, no_nature); }},
      {"request_id", [&] { return CreateWithRequestId(dora, Draft("no-request-id"), ""); }},
      {"page_size", [&] { return List(dora, negative_page, nullptr); }},
      {"update_mask",
       [&] { return Update(dora, account, {"registration_number"}, account.etag()); }},
      {"contact.email", [&] { return dora.Call(&AccountStub::CreateContact, bad_email); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.field);
    EXPECT_THAT(c.call(), GrpcError(grpc::StatusCode::INVALID_ARGUMENT, c.field));
  }
  EXPECT_THAT(VisibleIds(dora), ElementsAre(account.id())) << "nothing invalid was created";
}

}  // namespace
}  // namespace kam::e2e
