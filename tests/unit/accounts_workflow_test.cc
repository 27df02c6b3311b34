#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/accounts/workflow.h"

namespace kam::accounts {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

Principal Manager(const std::string& subject) { return {subject, {"account_manager"}, ""}; }
Principal WithRole(const std::string& role) { return {"someone", {role}, ""}; }

Account Draft() {
  Account a;
  a.name = "华东机械集团";
  a.registration_number = "91310000-ABC";
  a.nature = Nature::kOrdinaryCompany;
  return a;
}

Account Stored(const std::string& owner) {
  Account a = *NewAccount(Draft(), Manager(owner), kNow);
  a.id = 7;
  return a;
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST(NewAccount, DefaultsOwnerStatusVersionAndTimes) {
  const Account a = *NewAccount(Draft(), Manager("alice"), kNow);
  EXPECT_EQ(a.owner_id, "alice");
  EXPECT_EQ(a.status, AccountStatus::kActive);
  EXPECT_EQ(a.version, 1);
  EXPECT_EQ(a.create_time, kNow);
  EXPECT_EQ(Etag(a), "v1");
}

TEST(NewAccount, NamesTheOffendingField) {
  Account no_name = Draft();
  no_name.name = "";
  EXPECT_THAT(Message(NewAccount(no_name, Manager("a"), kNow).status()), HasSubstr("account.name"));
  Account no_nature = Draft();
  no_nature.nature = Nature::kUnspecified;
  EXPECT_THAT(Message(NewAccount(no_nature, Manager("a"), kNow).status()),
              HasSubstr("account.nature"));
  Account bad_reg = Draft();
  bad_reg.registration_number = "91 310";
  EXPECT_THAT(Message(NewAccount(bad_reg, Manager("a"), kNow).status()),
              HasSubstr("account.registration_number"));
  Account bad_tier = Draft();
  bad_tier.tier = static_cast<Tier>(42);
  EXPECT_THAT(Message(NewAccount(bad_tier, Manager("a"), kNow).status()),
              HasSubstr("account.tier"));
}

TEST(NewAccount, ManagersCannotCreateForOthersButDirectorsCan) {
  Account for_bob = Draft();
  for_bob.owner_id = "bob";
  EXPECT_TRUE(absl::IsPermissionDenied(NewAccount(for_bob, Manager("alice"), kNow).status()));
  EXPECT_EQ(NewAccount(for_bob, WithRole("director"), kNow)->owner_id, "bob");
}

TEST(NewAccount, OnlyTheTierReviewRolesSetATier) {
  Account tiered = Draft();
  tiered.tier = Tier::kA;
  EXPECT_TRUE(absl::IsPermissionDenied(NewAccount(tiered, Manager("alice"), kNow).status()));
  EXPECT_EQ(NewAccount(tiered, WithRole("director"), kNow)->tier, Tier::kA);
}

TEST(NewAccount, RegistrationNumbersAreLettersDigitsAndDashes) {
  Account dotted = Draft();
  dotted.registration_number = "913.100";
  EXPECT_THAT(Message(NewAccount(dotted, Manager("a"), kNow).status()),
              HasSubstr("account.registration_number"));
}

TEST(Access, ManagersSeeOnlyAccountsTheyWorkOn) {
  EXPECT_TRUE(CanRead(Manager("alice"), /*works_on=*/true));
  EXPECT_FALSE(CanRead(Manager("bob"), /*works_on=*/false));
  EXPECT_TRUE(CanRead(WithRole("director"), false));
  EXPECT_TRUE(CanRead(WithRole("service_agent"), false));
  EXPECT_TRUE(CanRead(WithRole("analyst"), false));
}

TEST(Access, OnlyTheAccountTeamAndDirectorsWorkOnAnAccountAndSeePersonalNotes) {
  EXPECT_TRUE(CanWork(Manager("alice"), true));
  EXPECT_FALSE(CanWork(Manager("bob"), false));
  EXPECT_TRUE(CanWork(WithRole("director"), false));
  EXPECT_FALSE(CanWork(WithRole("analyst"), false));
  EXPECT_TRUE(SeesPersonalNotes(Manager("alice"), true));
  EXPECT_FALSE(SeesPersonalNotes(WithRole("service_agent"), false));
  EXPECT_FALSE(SeesPersonalNotes(WithRole("analyst"), false));
  EXPECT_TRUE(SeesPersonalNotes(WithRole("director"), false));
}

TEST(Access, ServiceAgentsAndHandlersSeeNoMoney) {
  EXPECT_FALSE(SeesFinancials(WithRole("service_agent")));
  EXPECT_FALSE(SeesFinancials(WithRole("handler")));
  EXPECT_TRUE(SeesFinancials(WithRole("analyst")));
  EXPECT_TRUE(SeesFinancials(Manager("alice")));
}

TEST(ScopeFilter, PinsManagersToTheirOwnAccounts) {
  EXPECT_EQ(ScopeFilter({}, Manager("alice"))->owner_id, "alice");
  AccountFilter other;
  other.owner_id = "bob";
  EXPECT_TRUE(absl::IsPermissionDenied(ScopeFilter(other, Manager("alice")).status()));
  EXPECT_EQ(ScopeFilter(other, WithRole("director"))->owner_id, "bob");
  EXPECT_EQ(ScopeFilter({}, WithRole("director"))->owner_id, "");
}

TEST(ApplyUpdate, ChangesOnlyMaskedFieldsAndBumpsVersion) {
  Account patch;
  patch.region = "North China";
  patch.name = "ignored";
  const Account updated = *ApplyUpdate(Stored("alice"), patch, {"region"}, "v1", Manager("alice"),
                                       kNow + absl::Minutes(1));
  EXPECT_EQ(updated.region, "North China");
  EXPECT_EQ(updated.name, "华东机械集团");
  EXPECT_EQ(Etag(updated), "v2");
  EXPECT_EQ(updated.update_time, kNow + absl::Minutes(1));
}

TEST(ApplyUpdate, StaleEtagIsAborted) {
  Account patch;
  patch.region = "x";
  EXPECT_TRUE(absl::IsAborted(
      ApplyUpdate(Stored("alice"), patch, {"region"}, "v0", Manager("alice"), kNow).status()));
}

TEST(ApplyUpdate, RefusesBadMasksAndMissingEtag) {
  const Account current = Stored("alice");
  EXPECT_THAT(Message(ApplyUpdate(current, {}, {}, "v1", Manager("alice"), kNow).status()),
              HasSubstr("update_mask"));
  EXPECT_THAT(
      Message(
          ApplyUpdate(current, {}, {"registration_number"}, "v1", Manager("alice"), kNow).status()),
      HasSubstr("update_mask"));
  EXPECT_THAT(Message(ApplyUpdate(current, {}, {"region"}, "", Manager("alice"), kNow).status()),
              HasSubstr("etag"));
  Account blank_name;
  EXPECT_THAT(
      Message(ApplyUpdate(current, blank_name, {"name"}, "v1", Manager("alice"), kNow).status()),
      HasSubstr("account.name"));
}

TEST(ApplyUpdate, RolesLimitTheFieldsTheyChange) {
  Account patch;
  patch.owner_id = "bob";
  patch.tier = Tier::kA;
  const Account current = Stored("alice");
  EXPECT_TRUE(absl::IsPermissionDenied(
      ApplyUpdate(current, patch, {"owner_id"}, "v1", Manager("alice"), kNow).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      ApplyUpdate(current, patch, {"tier"}, "v1", Manager("alice"), kNow).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      ApplyUpdate(current, patch, {"region"}, "v1", Manager("bob"), kNow).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      ApplyUpdate(current, patch, {"status"}, "v1", WithRole("service_agent"), kNow).status()));
  EXPECT_EQ(ApplyUpdate(current, patch, {"owner_id"}, "v1", WithRole("director"), kNow)->owner_id,
            "bob");
}

TEST(Archive, KeepsTheAccountAndRefusesTwice) {
  const Account archived = *Archive(Stored("alice"), "merged", Manager("alice"), kNow);
  EXPECT_TRUE(archived.archived);
  EXPECT_EQ(archived.archive_time, kNow);
  EXPECT_TRUE(
      absl::IsFailedPrecondition(Archive(archived, "again", Manager("alice"), kNow).status()));
  Account patch;
  patch.region = "x";
  EXPECT_TRUE(absl::IsFailedPrecondition(
      ApplyUpdate(archived, patch, {"region"}, Etag(archived), Manager("alice"), kNow).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      Archive(Stored("alice"), "", WithRole("service_agent"), kNow).status()));
}

TEST(NewContact, ValidatesFieldsAndAccess) {
  Contact c;
  c.name = "张伟";
  c.email = "zw@example.com";
  c.buying_role = BuyingRole::kDecisionMaker;
  EXPECT_TRUE(NewContact(c, Stored("alice"), Manager("alice"), kNow).ok());
  EXPECT_TRUE(
      absl::IsPermissionDenied(NewContact(c, Stored("alice"), Manager("bob"), kNow).status()));
  Contact bad_email = c;
  bad_email.email = "nobody";
  EXPECT_THAT(Message(NewContact(bad_email, Stored("alice"), Manager("alice"), kNow).status()),
              HasSubstr("contact.email"));
  Contact bad_phone = c;
  bad_phone.phone = "call me";
  EXPECT_THAT(Message(NewContact(bad_phone, Stored("alice"), Manager("alice"), kNow).status()),
              HasSubstr("contact.phone"));
}

}  // namespace
}  // namespace kam::accounts
