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
  Account bad_phone = Draft();
  bad_phone.phone = "ring twice";
  EXPECT_THAT(Message(NewAccount(bad_phone, Manager("a"), kNow).status()),
              HasSubstr("account.phone"));
  Account bad_process = Draft();
  bad_process.transaction_process = static_cast<TransactionProcess>(9);
  EXPECT_THAT(Message(NewAccount(bad_process, Manager("a"), kNow).status()),
              HasSubstr("account.transaction_process"));
  Account bad_profile = Draft();
  bad_profile.business.employee_count = -1;
  EXPECT_THAT(Message(NewAccount(bad_profile, Manager("a"), kNow).status()),
              HasSubstr("account.business.employee_count"));
}

TEST(NewAccount, ManagersCannotCreateForOthersButDirectorsCan) {
  Account for_bob = Draft();
  for_bob.owner_id = "bob";
  EXPECT_TRUE(absl::IsPermissionDenied(NewAccount(for_bob, Manager("alice"), kNow).status()));
  EXPECT_EQ(NewAccount(for_bob, WithRole("director"), kNow)->owner_id, "bob");
}

TEST(NewAccount, OnlyManagersDirectorsAdminsAndSystemsCreateAccounts) {
  for (const char* role : {"service_agent", "handler", "analyst"}) {
    Account own = Draft();
    own.owner_id = "someone";
    EXPECT_TRUE(absl::IsPermissionDenied(NewAccount(own, WithRole(role), kNow).status())) << role;
  }
  EXPECT_TRUE(NewAccount(Draft(), WithRole("system"), kNow).ok());
}

TEST(NewAccount, OutputOnlyFieldsAreIgnored) {
  Account draft = Draft();
  draft.tier = Tier::kA;
  draft.credit_limit_minor = 5'000'000;
  draft.credit_rating = CreditRating::kAAA;
  draft.visit_plan_suspended = true;
  const Account a = *NewAccount(draft, WithRole("director"), kNow);
  EXPECT_EQ(a.tier, Tier::kUnspecified) << "tiers come from SetTier, with history";
  EXPECT_EQ(a.credit_limit_minor, 0);
  EXPECT_EQ(a.credit_rating, CreditRating::kUnspecified);
  EXPECT_FALSE(a.visit_plan_suspended);
}

TEST(NewAccount, TagsAreSortedAndMayNotRepeat) {
  Account draft = Draft();
  draft.tags = {"strategic", "export"};
  EXPECT_EQ(NewAccount(draft, Manager("a"), kNow)->tags,
            (std::vector<std::string>{"export", "strategic"}));
  draft.tags = {"export", "export"};
  EXPECT_THAT(Message(NewAccount(draft, Manager("a"), kNow).status()), HasSubstr("account.tags"));
  draft.tags = std::vector<std::string>(21, "x");
  EXPECT_THAT(Message(NewAccount(draft, Manager("a"), kNow).status()), HasSubstr("at most 20"));
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
  Account rich = Stored("alice");
  rich.credit_limit_minor = 100;
  rich.receivable_minor = 50;
  rich.business.reputation = "solid";
  const Account seen = RedactAccount(rich, WithRole("service_agent"));
  EXPECT_EQ(seen.credit_limit_minor, 0);
  EXPECT_EQ(seen.receivable_minor, 0);
  EXPECT_EQ(seen.business.reputation, "");
  EXPECT_EQ(seen.name, rich.name);
  EXPECT_EQ(RedactAccount(rich, WithRole("analyst")).credit_limit_minor, 100);
}

TEST(ScopeFilter, PinsManagersToTheAccountsTheyWorkOn) {
  EXPECT_EQ(ScopeFilter({}, Manager("alice"))->member_id, "alice");
  AccountFilter other;
  other.owner_id = "bob";
  EXPECT_EQ(ScopeFilter(other, Manager("alice"))->member_id, "alice")
      << "alice sees bob's accounts only where she is on the team";
  EXPECT_EQ(ScopeFilter(other, WithRole("director"))->owner_id, "bob");
  EXPECT_EQ(ScopeFilter({}, WithRole("director"))->member_id, "");
  AccountFilter bad;
  bad.tag = std::string(51, 'x');
  EXPECT_THAT(Message(ScopeFilter(bad, WithRole("director")).status()), HasSubstr("tag"));
}

TEST(ApplyUpdate, ChangesOnlyMaskedFieldsAndBumpsVersion) {
  Account patch;
  patch.region = "North China";
  patch.name = "ignored";
  patch.business.reputation = "trusted";
  const Account updated =
      *ApplyUpdate(Stored("alice"), true, patch, {"region", "business.reputation"}, "v1",
                   Manager("alice"), kNow + absl::Minutes(1));
  EXPECT_EQ(updated.region, "North China");
  EXPECT_EQ(updated.business.reputation, "trusted");
  EXPECT_EQ(updated.name, "华东机械集团");
  EXPECT_EQ(Etag(updated), "v2");
  EXPECT_EQ(updated.update_time, kNow + absl::Minutes(1));
}

TEST(ApplyUpdate, StaleEtagIsAborted) {
  Account patch;
  patch.region = "x";
  EXPECT_TRUE(absl::IsAborted(
      ApplyUpdate(Stored("alice"), true, patch, {"region"}, "v0", Manager("alice"), kNow)
          .status()));
}

TEST(ApplyUpdate, RefusesBadMasksAndMissingEtag) {
  const Account current = Stored("alice");
  const Principal alice = Manager("alice");
  EXPECT_THAT(Message(ApplyUpdate(current, true, {}, {}, "v1", alice, kNow).status()),
              HasSubstr("update_mask"));
  EXPECT_THAT(
      Message(ApplyUpdate(current, true, {}, {"registration_number"}, "v1", alice, kNow).status()),
      HasSubstr("update_mask"));
  EXPECT_THAT(Message(ApplyUpdate(current, true, {}, {"tier"}, "v1", alice, kNow).status()),
              HasSubstr("update_mask"))
      << "the tier changes through SetTier only";
  EXPECT_THAT(Message(ApplyUpdate(current, true, {}, {"region"}, "", alice, kNow).status()),
              HasSubstr("etag"));
  Account blank_name;
  EXPECT_THAT(Message(ApplyUpdate(current, true, blank_name, {"name"}, "v1", alice, kNow).status()),
              HasSubstr("account.name"));
}

TEST(ApplyUpdate, RolesLimitTheFieldsTheyChange) {
  Account patch;
  patch.owner_id = "bob";
  patch.parent_id = 3;
  const Account current = Stored("alice");
  EXPECT_TRUE(absl::IsPermissionDenied(
      ApplyUpdate(current, true, patch, {"owner_id"}, "v1", Manager("alice"), kNow).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      ApplyUpdate(current, true, patch, {"parent_id"}, "v1", Manager("alice"), kNow).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      ApplyUpdate(current, false, patch, {"region"}, "v1", Manager("bob"), kNow).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      ApplyUpdate(current, true, patch, {"status"}, "v1", Manager("alice"), kNow).status()))
      << "lifting a supply suspension is a director's decision (it would bypass the credit gate)";
  EXPECT_TRUE(ApplyUpdate(current, true, patch, {"region"}, "v1", Manager("carol"), kNow).ok())
      << "a team member works on the account like its owner";
  EXPECT_TRUE(absl::IsPermissionDenied(
      ApplyUpdate(current, false, patch, {"status"}, "v1", WithRole("service_agent"), kNow)
          .status()));
  EXPECT_TRUE(
      ApplyUpdate(current, false, patch, {"phone"}, "v1", WithRole("service_agent"), kNow).ok());
  EXPECT_EQ(
      ApplyUpdate(current, false, patch, {"owner_id"}, "v1", WithRole("director"), kNow)->owner_id,
      "bob");
  EXPECT_EQ(ApplyUpdate(current, false, patch, {"parent_id"}, "v1", WithRole("director"), kNow)
                ->parent_id,
            3);
}

TEST(ApplyUpdate, AnAccountIsNotItsOwnParent) {
  Account patch;
  patch.parent_id = 7;  // Stored() has id 7
  EXPECT_TRUE(absl::IsFailedPrecondition(
      ApplyUpdate(Stored("alice"), false, patch, {"parent_id"}, "v1", WithRole("director"), kNow)
          .status()));
}

TEST(CheckParentChange, RefusesAMoveUnderTheAccountsOwnDescendants) {
  // Group: 1 <- 2 <- 3 (3 is a grandchild of 1). The new parent's chain starts with itself.
  EXPECT_TRUE(absl::IsFailedPrecondition(CheckParentChange(1, 3, {3, 2, 1})));
  EXPECT_TRUE(absl::IsFailedPrecondition(CheckParentChange(2, 3, {3, 2, 1})));
  EXPECT_TRUE(CheckParentChange(3, 1, {1}).ok());
  EXPECT_TRUE(CheckParentChange(9, 3, {3, 2, 1}).ok());
  EXPECT_TRUE(CheckParentChange(1, 0, {}).ok()) << "leaving a group is always possible";
}

TEST(Archive, KeepsTheAccountAndRefusesTwice) {
  const Account archived = *Archive(Stored("alice"), "merged", 0, Manager("alice"), kNow);
  EXPECT_TRUE(archived.archived);
  EXPECT_EQ(archived.archive_time, kNow);
  EXPECT_TRUE(
      absl::IsFailedPrecondition(Archive(archived, "again", 0, Manager("alice"), kNow).status()));
  Account patch;
  patch.region = "x";
  EXPECT_TRUE(absl::IsFailedPrecondition(
      ApplyUpdate(archived, true, patch, {"region"}, Etag(archived), Manager("alice"), kNow)
          .status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      Archive(Stored("alice"), "", 0, WithRole("service_agent"), kNow).status()));
}

TEST(Archive, WaitsForTheSubsidiaries) {
  const absl::Status status = Archive(Stored("alice"), "", 2, WithRole("director"), kNow).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(status));
  EXPECT_THAT(Message(status), HasSubstr("2 subsidiaries"));
}

TEST(ApplyTier, DirectorsAndTheTierReviewSetTiersWithAReason) {
  const Account a = Stored("alice");
  const Account tiered =
      *ApplyTier(a, Tier::kA, "score 91", "review-2026", WithRole("system"), kNow);
  EXPECT_EQ(tiered.tier, Tier::kA);
  EXPECT_EQ(tiered.version, a.version + 1);
  EXPECT_EQ(ApplyTier(tiered, Tier::kA, "again", "", WithRole("director"), kNow)->version,
            tiered.version)
      << "the same tier again changes nothing";
  EXPECT_TRUE(
      absl::IsPermissionDenied(ApplyTier(a, Tier::kA, "why", "", Manager("alice"), kNow).status()));
  EXPECT_THAT(Message(ApplyTier(a, Tier::kA, "", "", WithRole("director"), kNow).status()),
              HasSubstr("reason"));
  EXPECT_THAT(
      Message(ApplyTier(a, Tier::kUnspecified, "x", "", WithRole("director"), kNow).status()),
      HasSubstr("tier"));
}

TEST(ApplyCredit, DirectorsSetRatingAndLimit) {
  CreditChange change;
  change.limit_minor = 80'000'000;
  change.reason = "bank report";
  const Account a = *ApplyCredit(Stored("alice"), change, WithRole("director"), kNow);
  EXPECT_EQ(a.credit_limit_minor, 80'000'000);
  EXPECT_EQ(a.credit_rating, CreditRating::kUnspecified);
  EXPECT_EQ(a.version, Stored("alice").version + 1);
  EXPECT_EQ(ApplyCredit(a, change, WithRole("director"), kNow)->version, a.version)
      << "the same limit again changes nothing";
  EXPECT_TRUE(absl::IsPermissionDenied(
      ApplyCredit(Stored("alice"), change, Manager("alice"), kNow).status()));
  change.limit_minor = -1;
  EXPECT_THAT(Message(ApplyCredit(Stored("alice"), change, WithRole("director"), kNow).status()),
              HasSubstr("credit_limit"));
  EXPECT_THAT(
      Message(ApplyCredit(Stored("alice"), CreditChange(), WithRole("director"), kNow).status()),
      HasSubstr("update_mask"));
}

TEST(HistoryBetween, ReportsTierOwnerCreditAndParentChanges) {
  const Account before = Stored("alice");
  Account after = before;
  after.tier = Tier::kB;
  after.owner_id = "bob";
  after.parent_id = 4;
  after.region = "not history";
  const std::vector<AccountChange> changes = HistoryBetween(before, after);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].kind, HistoryKind::kTier);
  EXPECT_EQ(changes[0].from_value, "TIER_UNSPECIFIED");
  EXPECT_EQ(changes[0].to_value, "TIER_B");
  EXPECT_EQ(changes[1].kind, HistoryKind::kOwner);
  EXPECT_EQ(changes[1].to_value, "bob");
  EXPECT_EQ(changes[2].kind, HistoryKind::kParent);
  EXPECT_EQ(changes[2].from_value, "0");
  EXPECT_TRUE(HistoryBetween(before, before).empty());
}

Contact GoodContact() {
  Contact c;
  c.name = "张伟";
  c.email = "zw@example.com";
  c.buying_role = BuyingRole::kDecisionMaker;
  return c;
}

TEST(NewContact, ValidatesFieldsAndAccess) {
  const Contact c = GoodContact();
  EXPECT_TRUE(NewContact(c, Stored("alice"), true, Manager("alice"), kNow).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(
      NewContact(c, Stored("alice"), false, Manager("bob"), kNow).status()));
  EXPECT_TRUE(NewContact(c, Stored("alice"), false, WithRole("service_agent"), kNow).ok());
  Contact bad_email = c;
  bad_email.email = "nobody";
  EXPECT_THAT(
      Message(NewContact(bad_email, Stored("alice"), true, Manager("alice"), kNow).status()),
      HasSubstr("contact.email"));
  Contact bad_phone = c;
  bad_phone.phone = "call me";
  EXPECT_THAT(
      Message(NewContact(bad_phone, Stored("alice"), true, Manager("alice"), kNow).status()),
      HasSubstr("contact.phone"));
  Contact bad_year = c;
  bad_year.notes.birth_year = 1800;
  EXPECT_THAT(Message(NewContact(bad_year, Stored("alice"), true, Manager("alice"), kNow).status()),
              HasSubstr("contact.personal_notes.birth_year"));
}

TEST(NewContact, OnlyThoseWhoSeePersonalNotesWriteThem) {
  Contact c = GoodContact();
  c.notes.interests = "golf";
  EXPECT_TRUE(absl::IsPermissionDenied(
      NewContact(c, Stored("alice"), false, WithRole("service_agent"), kNow).status()));
  EXPECT_TRUE(NewContact(c, Stored("alice"), true, Manager("alice"), kNow).ok());
}

TEST(RedactContact, HidesPersonalNotesFromOutsiders) {
  Contact c = GoodContact();
  c.notes.character = "decisive";
  EXPECT_EQ(RedactContact(c, WithRole("analyst"), false).notes.character, "");
  EXPECT_EQ(RedactContact(c, WithRole("service_agent"), false).notes.character, "");
  EXPECT_EQ(RedactContact(c, Manager("bob"), true).notes.character, "decisive");
  EXPECT_EQ(RedactContact(c, WithRole("director"), false).notes.character, "decisive");
}

TEST(ApplyContactUpdate, MaskEtagAndNotes) {
  Contact current = *NewContact(GoodContact(), Stored("alice"), true, Manager("alice"), kNow);
  Contact patch;
  patch.notes.family = "two children";
  patch.title = "CFO";
  const Contact updated =
      *ApplyContactUpdate(current, Stored("alice"), true, patch, {"personal_notes.family"},
                          Etag(current), Manager("alice"), kNow);
  EXPECT_EQ(updated.notes.family, "two children");
  EXPECT_EQ(updated.title, "");
  EXPECT_EQ(updated.version, current.version + 1);
  EXPECT_TRUE(absl::IsAborted(ApplyContactUpdate(updated, Stored("alice"), true, patch, {"title"},
                                                 Etag(current), Manager("alice"), kNow)
                                  .status()));
  EXPECT_TRUE(absl::IsPermissionDenied(ApplyContactUpdate(current, Stored("alice"), false, patch,
                                                          {"personal_notes"}, Etag(current),
                                                          WithRole("service_agent"), kNow)
                                           .status()));
  EXPECT_TRUE(ApplyContactUpdate(current, Stored("alice"), false, patch, {"title"}, Etag(current),
                                 WithRole("service_agent"), kNow)
                  .ok());
}

TEST(NewTeamMember, TheOwnerOrADirectorBuildsTheTeam) {
  TeamMember m;
  m.member_id = "carol";
  m.role = TeamRole::kTechnical;
  EXPECT_EQ(NewTeamMember(m, Stored("alice"), Manager("alice"), kNow)->account_id, 7);
  EXPECT_TRUE(NewTeamMember(m, Stored("alice"), WithRole("director"), kNow).ok());
  EXPECT_TRUE(
      absl::IsPermissionDenied(NewTeamMember(m, Stored("alice"), Manager("carol"), kNow).status()));
  TeamMember owner = m;
  owner.member_id = "alice";
  EXPECT_THAT(Message(NewTeamMember(owner, Stored("alice"), Manager("alice"), kNow).status()),
              HasSubstr("member.member_id"));
  TeamMember no_role = m;
  no_role.role = TeamRole::kUnspecified;
  EXPECT_THAT(Message(NewTeamMember(no_role, Stored("alice"), Manager("alice"), kNow).status()),
              HasSubstr("member.role"));
}

TEST(CheckTransfer, DirectorsMoveAccountsBetweenTwoManagersWithAReason) {
  Transfer t;
  t.from_owner_id = "alice";
  t.to_owner_id = "bob";
  t.reason = "alice left";
  EXPECT_TRUE(CheckTransfer(t, WithRole("director")).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(CheckTransfer(t, Manager("alice"))));
  Transfer same = t;
  same.to_owner_id = "alice";
  EXPECT_THAT(Message(CheckTransfer(same, WithRole("director"))), HasSubstr("to_owner_id"));
  Transfer no_reason = t;
  no_reason.reason = "";
  EXPECT_THAT(Message(CheckTransfer(no_reason, WithRole("director"))), HasSubstr("reason"));
  Transfer bad_id = t;
  bad_id.account_ids = {5, -1};
  EXPECT_THAT(Message(CheckTransfer(bad_id, WithRole("director"))), HasSubstr("account_ids"));
}

}  // namespace
}  // namespace kam::accounts
