// kamctl archive commands (accounts, team, contacts): command line -> request -> what the user
// reads (see kamctl_fixture.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kam/accounts/v1/accounts.pb.h"
#include "tests/unit/kamctl_fixture.h"

namespace kam::kamctl {
namespace {

namespace v1 = kam::accounts::v1;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST_F(KamctlCommandTest, CreateSendsTheArchiveFieldsAndShowsThem) {
  service_.Reply("CreateAccount", Proto<v1::CreateAccountResponse>(R"pb(
                   account {
                     id: 12
                     name: "华东精密"
                     parent_id: 3
                     tags: "key"
                     tags: "steel"
                     business {
                       employee_count: 800
                       annual_revenue { currency_code: "CNY" minor_units: 1234567 }
                     }
                     credit_limit { currency_code: "CNY" minor_units: 0 }
                   })pb"));
  const Result r = Kamctl(
      "accounts create --name 华东精密 --registration-number 91310000X --nature ordinary_company"
      " --parent 3 --transaction-process current --volume-position major"
      R"( --address 上海市浦东新区 --phone "+86 21 5555" --legal-representative 张伟)"
      R"( --tags "key, steel" --service-area "East China" --employees 800)"
      " --annual-revenue 12345.67");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::CreateAccountRequest>("CreateAccount")),
              EqualsProto(R"pb(
                account {
                  name: "华东精密"
                  registration_number: "91310000X"
                  nature: NATURE_ORDINARY_COMPANY
                  parent_id: 3
                  transaction_process: TRANSACTION_PROCESS_CURRENT
                  volume_position: VOLUME_POSITION_MAJOR
                  address: "上海市浦东新区"
                  phone: "+86 21 5555"
                  legal_representative: "张伟"
                  tags: "key"
                  tags: "steel"
                  business {
                    service_area: "East China"
                    employee_count: 800
                    annual_revenue { currency_code: "CNY" minor_units: 1234567 }
                  }
                })pb"));
  EXPECT_THAT(service_.Calls("CreateAccount")[0].authorization, "Bearer test-token");
  EXPECT_THAT(r.out, HasSubstr("annual revenue:       12,345.67 CNY"));
  EXPECT_THAT(r.out, HasSubstr("tags:                 key, steel"));
  EXPECT_THAT(r.out, HasSubstr("credit limit:         no limit"));
  EXPECT_THAT(r.out, HasSubstr("parent:               3"));
}

TEST_F(KamctlCommandTest, UpdateMasksExactlyTheFlagsGiven) {
  service_.Reply("UpdateAccount", v1::UpdateAccountResponse());
  const Result r = Kamctl(R"(accounts update 12 --etag v4 --region "" --tags "")"
                          " --reputation solid --parent 0 --reason regrouped");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::UpdateAccountRequest>("UpdateAccount")),
              EqualsProto(R"pb(
                account {
                  id: 12
                  business { reputation: "solid" }
                }
                update_mask {
                  paths: "region"
                  paths: "parent_id"
                  paths: "tags"
                  paths: "business.reputation"
                }
                etag: "v4"
                reason: "regrouped")pb"));
}

TEST_F(KamctlCommandTest, UpdateWithoutFieldsIsAUsageErrorAndCallsNothing) {
  const Result r = Kamctl("accounts update 12 --etag v4");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("nothing to update: give at least one of --name"));
  EXPECT_THAT(r.err, HasSubstr("--annual-revenue"));
  EXPECT_THAT(service_.Calls("UpdateAccount"), IsEmpty());
}

TEST_F(KamctlCommandTest, BadValuesAreRefusedBeforeAnyCall) {
  for (const char* command_line :
       {"accounts update 12 --etag v --annual-revenue 12.345",
        "accounts update 12 --etag v --scale huge", "accounts update 12 --etag v --employees -3",
        "accounts set-tier 12 --tier E --reason x",
        "records add 12 --kind visit --at 20.11.2026 --summary s --outcome effective"}) {
    const Result r = Kamctl(command_line);
    EXPECT_EQ(r.exit_code, 2) << command_line;
    EXPECT_THAT(r.err, HasSubstr("error: ")) << command_line;
  }
  EXPECT_THAT(Kamctl("accounts update 12 --etag v --annual-revenue 12.345").err,
              HasSubstr("more than 2 decimals"));
  EXPECT_THAT(Kamctl("accounts update 12 --etag v --scale huge").err,
              HasSubstr("micro, small, medium, large"));
}

TEST_F(KamctlCommandTest, TreeIndentsSubsidiariesAndWarnsWhenTruncated) {
  service_.Reply("GetGroupTree", Proto<v1::GetGroupTreeResponse>(R"pb(
                   nodes { account_id: 1 name: "华东集团" depth: 0 }
                   nodes { account_id: 5 parent_id: 1 name: "Shanghai" depth: 1 }
                   nodes { account_id: 9 parent_id: 5 name: "Pudong" depth: 2 }
                   truncated: true)pb"));
  const Result r = Kamctl("accounts tree 1 --depth 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(service_.Only<v1::GetGroupTreeRequest>("GetGroupTree").max_depth(), 2);
  EXPECT_EQ(r.out,
            "ID  NAME\n"
            "1   华东集团\n"
            "5     Shanghai\n"
            "9       Pudong\n");
  EXPECT_THAT(r.err, HasSubstr("warning: the group is larger than shown"));
}

TEST_F(KamctlCommandTest, HistoryFiltersByKindAndShowsValuesReadably) {
  service_.Reply("ListAccountHistory", Proto<v1::ListAccountHistoryResponse>(R"pb(
                   changes {
                     kind: HISTORY_KIND_CREDIT_LIMIT
                     from_value: "0"
                     to_value: "50000000"
                     actor: "dora"
                     reason: "annual review"
                     change_time { seconds: 1795168800 }
                   })pb"));
  const Result r = Kamctl("accounts history 12 --kind credit-limit");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::ListAccountHistoryRequest>("ListAccountHistory"),
              EqualsProto("account_id: 12 kind: HISTORY_KIND_CREDIT_LIMIT"));
  EXPECT_THAT(r.out,
              HasSubstr("2026-11-20T10:00:00Z  credit_limit  no limit  500,000.00 CNY  dora  "
                        "annual review"));
}

TEST_F(KamctlCommandTest, SetTierAndSetCredit) {
  service_.Reply("SetTier", v1::SetTierResponse());
  service_.Reply("SetCredit", v1::SetCreditResponse());
  ASSERT_EQ(Kamctl(R"(accounts set-tier 12 --tier a --reason "score 91")").exit_code, 0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::SetTierRequest>("SetTier")),
              EqualsProto(R"pb(account_id: 12 tier: TIER_A reason: "score 91")pb"));

  ASSERT_EQ(Kamctl(R"(accounts set-credit 12 --rating AA --limit 500000.00 --reason "bank report")")
                .exit_code,
            0);
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::SetCreditRequest>("SetCredit")), EqualsProto(R"pb(
                account_id: 12
                update_mask { paths: "credit_rating" paths: "credit_limit" }
                credit_rating: CREDIT_RATING_AA
                credit_limit { currency_code: "CNY" minor_units: 50000000 }
                reason: "bank report")pb"));

  const Result neither = Kamctl("accounts set-credit 12 --reason x");
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_THAT(neither.err, HasSubstr("give --rating, --limit or both"));
  EXPECT_EQ(Kamctl("accounts set-tier 12 --tier A").exit_code, 2);  // no reason
}

TEST_F(KamctlCommandTest, TransferTakesAccountsRepeatedOrCommaSeparated) {
  service_.Reply("TransferAccounts",
                 Proto<v1::TransferAccountsResponse>("accounts_moved: 3 opportunities_moved: 2 "
                                                     "visit_plans_moved: 4"));
  const Result r = Kamctl(
      "accounts transfer --from liwei --to alice --account 1,2 --account 3"
      R"( --reason "Li Wei left")");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::TransferAccountsRequest>("TransferAccounts")),
              EqualsProto(R"pb(from_owner_id: "liwei"
                               to_owner_id: "alice"
                               account_ids: 1
                               account_ids: 2
                               account_ids: 3
                               reason: "Li Wei left")pb"));
  EXPECT_EQ(r.out, "accounts moved:      3\nopportunities moved: 2\nvisit plans moved:   4\n");
}

TEST_F(KamctlCommandTest, GroupSummaryReadsAsABlockAndWarnsWhenPartial) {
  service_.Reply("GetGroupSummary", Proto<v1::GetGroupSummaryResponse>(R"pb(
                   summary {
                     account_id: 1
                     accounts_total: 7
                     accounts_included: 5
                     partial: true
                     revenue { minor_units: 123456789 }
                     cost { minor_units: 100000000 }
                     gross_profit { minor_units: 23456789 }
                     payments { minor_units: 108024690 }
                     collection_rate_bp: 8750
                     open_pipeline { minor_units: 500000000 }
                     weighted_pipeline { minor_units: 200000000 }
                     receivables { minor_units: 5100000 }
                     credit_limit { minor_units: 5000000 }
                     credit_exposure { minor_units: 5100000 }
                     credit_available { minor_units: -100000 }
                     over_limit: true
                   })pb"));
  const Result r = Kamctl("accounts summary 1 --from 2026-01-01 --to 2026-07-01");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(service_.Only<v1::GetGroupSummaryRequest>("GetGroupSummary"),
              EqualsProto(R"pb(account_id: 1
                               period {
                                 start_time { seconds: 1767225600 }
                                 end_time { seconds: 1782864000 }
                               })pb"));
  EXPECT_THAT(r.out, AllOf(HasSubstr("accounts:          5 of 7 (partial)\n"),
                           HasSubstr("period:            2026-01-01 to 2026-07-01 (end excluded)"),
                           HasSubstr("revenue:           1,234,567.89 CNY\n"),
                           HasSubstr("gross profit:      234,567.89 CNY\n"),
                           HasSubstr("collection rate:   87.50%\n"),
                           HasSubstr("weighted pipeline: 2,000,000.00 CNY\n"),
                           HasSubstr("credit limit:      50,000.00 CNY\n"),
                           HasSubstr("credit available:  -1,000.00 CNY (OVER LIMIT)\n")));
  EXPECT_THAT(r.err, HasSubstr("warning: partial: you may see 5 of the group's 7 accounts"));
}

TEST_F(KamctlCommandTest, GroupSummaryNeedsThePeriod) {
  EXPECT_EQ(Kamctl("accounts summary 1 --from 2026-01-01").exit_code, 2);
  EXPECT_THAT(service_.Calls("GetGroupSummary"), IsEmpty());
}

TEST_F(KamctlCommandTest, TeamAddRemoveAndList) {
  service_.Reply("AddTeamMember", v1::AddTeamMemberResponse());
  service_.Reply("RemoveTeamMember", v1::RemoveTeamMemberResponse());
  service_.Reply("ListTeamMembers",
                 Proto<v1::ListTeamMembersResponse>(
                     R"pb(members { member_id: "bob" role: TEAM_ROLE_TECHNICAL })pb"));
  ASSERT_EQ(Kamctl("team add 12 bob --role technical").exit_code, 0);
  EXPECT_THAT(
      WithoutRequestId(service_.Only<v1::AddTeamMemberRequest>("AddTeamMember")),
      EqualsProto(R"pb(member { account_id: 12 member_id: "bob" role: TEAM_ROLE_TECHNICAL })pb"));
  const Result removed = Kamctl("team remove 12 bob");
  EXPECT_EQ(removed.out, "removed bob from the team of account 12\n");
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::RemoveTeamMemberRequest>("RemoveTeamMember")),
              EqualsProto(R"pb(account_id: 12 member_id: "bob")pb"));
  EXPECT_THAT(Kamctl("team list 12").out, HasSubstr("bob     technical"));
  EXPECT_EQ(Kamctl("team add 12 bob").exit_code, 2);  // the role is required
}

TEST_F(KamctlCommandTest, ContactUpdateMasksPersonalNotesByField) {
  service_.Reply("UpdateContact",
                 Proto<v1::UpdateContactResponse>(
                     R"pb(contact { id: 4 name: "王芳" personal_notes_hidden: true })pb"));
  const Result r =
      Kamctl("contacts update 4 --etag v2 --title CFO --character direct --birth-year 1975");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(WithoutRequestId(service_.Only<v1::UpdateContactRequest>("UpdateContact")),
              EqualsProto(R"pb(
                contact {
                  id: 4
                  title: "CFO"
                  personal_notes { character: "direct" birth_year: 1975 }
                }
                update_mask {
                  paths: "title"
                  paths: "personal_notes.character"
                  paths: "personal_notes.birth_year"
                }
                etag: "v2")pb"));
  EXPECT_THAT(r.out, HasSubstr("personal notes: (hidden from you)"));
}

}  // namespace
}  // namespace kam::kamctl
