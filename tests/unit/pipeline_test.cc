// The pure rules of the sales pipeline: every stage gate, the changes a move makes, creation
// and update validation, stage probabilities and the summary arithmetic.
#include "services/accounts/pipeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "services/common/settings.h"

namespace kam::accounts {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const Principal kDirector{"dir-zhao", {"director"}, ""};
const Principal kAnalyst{"ana-qian", {"analyst"}, ""};
const Principal kAgent{"agent-sun", {"service_agent"}, ""};

Principal Manager(const std::string& subject) { return {subject, {"account_manager"}, ""}; }

std::string Message(const absl::Status& status) { return std::string(status.message()); }

Stage S(int n) { return static_cast<Stage>(n); }

Account AccountOf(const std::string& owner) {
  Account a;
  a.id = 7;
  a.name = "华东机械集团";
  a.owner_id = owner;
  a.tier = Tier::kA;
  a.version = 3;
  return a;
}

// An opportunity in `stage` with every key node recorded.
Opportunity Ready(Stage stage) {
  Opportunity o;
  o.id = 11;
  o.account_id = 7;
  o.name = "二期扩建";
  o.owner_id = "mgr-li";
  o.stage = stage;
  o.amount_minor = 1'000'000;
  o.needs = "两条新产线";
  o.budget_minor = 1'200'000;
  o.timetable = "Q3 招标, Q4 交付";
  o.presales_approval = "approved by 王总, PS-2024-17";
  o.relationship_progress = "technical exchange with the plant director";
  o.bid_submit_time = kNow - absl::Hours(72);
  o.contract_id = 5;
  o.acceptance_time = kNow - absl::Hours(1);
  o.version = 4;
  return o;
}

absl::Status Gate(const Opportunity& o, Stage to, const std::string& reason = "",
                  ContractState contract = ContractState::kSigned) {
  return CheckStageMove(o, to, reason, contract);
}

// ---- stage gates --------------------------------------------------------------------------

TEST(StageGate, EveryStageMovesForwardOneStageWithItsKeyNode) {
  for (int from = 1; from <= 5; ++from) {
    EXPECT_TRUE(Gate(Ready(S(from)), S(from + 1)).ok()) << StageName(S(from));
  }
  EXPECT_TRUE(Gate(Ready(Stage::kImplementation), Stage::kWon).ok());
}

TEST(StageGate, CustomerDevelopmentNeedsAccurateProjectInformation) {
  Opportunity o = Ready(Stage::kCustomerDevelopment);
  o.needs.clear();
  EXPECT_EQ(Message(Gate(o, Stage::kProjectInitiation)),
            "stage CUSTOMER_DEVELOPMENT needs needs before PROJECT_INITIATION");
  o = Ready(Stage::kCustomerDevelopment);
  o.budget_minor.reset();
  EXPECT_EQ(Message(Gate(o, Stage::kProjectInitiation)),
            "stage CUSTOMER_DEVELOPMENT needs budget before PROJECT_INITIATION");
  o = Ready(Stage::kCustomerDevelopment);
  o.timetable.clear();
  EXPECT_EQ(Message(Gate(o, Stage::kProjectInitiation)),
            "stage CUSTOMER_DEVELOPMENT needs timetable before PROJECT_INITIATION");
  o.needs.clear();
  o.budget_minor.reset();
  const absl::Status all = Gate(o, Stage::kProjectInitiation);
  EXPECT_TRUE(absl::IsFailedPrecondition(all)) << all;
  EXPECT_EQ(Message(all),
            "stage CUSTOMER_DEVELOPMENT needs needs, budget, timetable before PROJECT_INITIATION");
  // A budget of zero is a known budget.
  o = Ready(Stage::kCustomerDevelopment);
  o.budget_minor = 0;
  EXPECT_TRUE(Gate(o, Stage::kProjectInitiation).ok());
}

TEST(StageGate, EachLaterStageNamesItsMissingKeyNode) {
  struct Case {
    Stage from;
    void (*clear)(Opportunity&);
    const char* message;
  };
  const Case cases[] = {
      {Stage::kProjectInitiation, [](Opportunity& o) { o.presales_approval.clear(); },
       "stage PROJECT_INITIATION needs presales_approval before PROPOSAL"},
      {Stage::kProposal, [](Opportunity& o) { o.relationship_progress.clear(); },
       "stage PROPOSAL needs relationship_progress before BIDDING"},
      {Stage::kBidding, [](Opportunity& o) { o.bid_submit_time.reset(); },
       "stage BIDDING needs bid_submit_time before COMMERCIAL_NEGOTIATION"},
      {Stage::kImplementation, [](Opportunity& o) { o.acceptance_time.reset(); },
       "stage IMPLEMENTATION needs acceptance_time before WON"},
  };
  for (const Case& c : cases) {
    Opportunity o = Ready(c.from);
    c.clear(o);
    const absl::Status status = Gate(o, S(static_cast<int>(c.from) + 1));
    EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
    EXPECT_EQ(Message(status), c.message);
  }
}

TEST(StageGate, CommercialNegotiationNeedsASignedContractOfTheAccount) {
  const Opportunity o = Ready(Stage::kCommercialNegotiation);
  const std::pair<ContractState, const char*> cases[] = {
      {ContractState::kNone,
       "stage COMMERCIAL_NEGOTIATION needs a signed contract (contract_id) "
       "before IMPLEMENTATION"},
      {ContractState::kUnsigned,
       "stage COMMERCIAL_NEGOTIATION needs a signed contract (contract 5 "
       "is not signed) before IMPLEMENTATION"},
      {ContractState::kNotOfAccount,
       "stage COMMERCIAL_NEGOTIATION needs a signed contract (contract 5 is not a contract of this "
       "account) before IMPLEMENTATION"},
  };
  for (const auto& [contract, message] : cases) {
    const absl::Status status = Gate(o, Stage::kImplementation, "", contract);
    EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
    EXPECT_EQ(Message(status), message);
  }
}

TEST(StageGate, WonNeedsAcceptanceAndASignedContract) {
  Opportunity o = Ready(Stage::kImplementation);
  const absl::Status unsigned_contract = Gate(o, Stage::kWon, "", ContractState::kUnsigned);
  EXPECT_TRUE(absl::IsFailedPrecondition(unsigned_contract));
  EXPECT_EQ(Message(unsigned_contract),
            "stage IMPLEMENTATION needs a signed contract (contract 5 is not signed) before WON");
  o.acceptance_time.reset();
  EXPECT_EQ(Message(Gate(o, Stage::kWon, "", ContractState::kNone)),
            "stage IMPLEMENTATION needs acceptance_time, a signed contract (contract_id) before "
            "WON");
}

TEST(StageGate, WonOnlyFromImplementation) {
  for (int from = 1; from <= 5; ++from) {
    const absl::Status status = Gate(Ready(S(from)), Stage::kWon, "customer said yes");
    EXPECT_TRUE(absl::IsFailedPrecondition(status)) << StageName(S(from));
    EXPECT_THAT(Message(status), HasSubstr("WON only from IMPLEMENTATION"));
    EXPECT_THAT(Message(status), HasSubstr(StageName(S(from))));
  }
}

TEST(StageGate, SkippingAStageIsRefusedNamingTheSkippedStages) {
  EXPECT_EQ(Message(Gate(Ready(Stage::kCustomerDevelopment), Stage::kProposal)),
            "moving from CUSTOMER_DEVELOPMENT to PROPOSAL skips stage PROJECT_INITIATION: move one "
            "stage at a time");
  EXPECT_EQ(Message(Gate(Ready(Stage::kProposal), Stage::kImplementation)),
            "moving from PROPOSAL to IMPLEMENTATION skips stages BIDDING, COMMERCIAL_NEGOTIATION: "
            "move one stage at a time");
  for (int from = 1; from <= 6; ++from) {
    for (int to = from + 2; to <= 6; ++to) {
      // Even with every key node and a reason, a skip is a skip.
      const absl::Status status = Gate(Ready(S(from)), S(to), "in a hurry");
      EXPECT_TRUE(absl::IsFailedPrecondition(status)) << StageName(S(from)) << "->" << to;
      EXPECT_THAT(Message(status), HasSubstr(StageName(S(from + 1))));
    }
  }
}

TEST(StageGate, MovingBackNeedsAReasonAndNothingElse) {
  for (int from = 2; from <= 6; ++from) {
    for (int to = 1; to < from; ++to) {
      const absl::Status refused = Gate(Ready(S(from)), S(to));
      EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << from << "->" << to;
      EXPECT_EQ(Message(refused), "moving back from " + StageName(S(from)) + " to " +
                                      StageName(S(to)) + " needs a reason");
      // Key nodes do not matter on the way back.
      EXPECT_TRUE(Gate(Ready(S(from)), S(to), "budget cut").ok());
      Opportunity bare;
      bare.stage = S(from);
      EXPECT_TRUE(Gate(bare, S(to), "budget cut", ContractState::kNone).ok()) << from << to;
    }
  }
}

TEST(StageGate, LostFromAnyOpenStageNeedsAReason) {
  for (int from = 1; from <= 6; ++from) {
    Opportunity bare;
    bare.stage = S(from);
    const absl::Status refused = Gate(bare, Stage::kLost, "", ContractState::kNone);
    EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << from;
    EXPECT_EQ(Message(refused), "moving to LOST needs a reason");
    EXPECT_TRUE(Gate(bare, Stage::kLost, "competitor 20% cheaper", ContractState::kNone).ok());
  }
}

TEST(StageGate, ClosedOpportunitiesCannotMove) {
  for (Stage closed : {Stage::kWon, Stage::kLost}) {
    for (int to = 1; to <= kLastStage; ++to) {
      const absl::Status status = Gate(Ready(closed), S(to), "reopen");
      EXPECT_TRUE(absl::IsFailedPrecondition(status)) << StageName(closed) << "->" << to;
      EXPECT_THAT(Message(status), HasSubstr("cannot move"));
    }
  }
}

TEST(StageGate, SameOrUnspecifiedOrUnknownTargetIsAnInvalidArgument) {
  for (int stage = 1; stage <= 6; ++stage) {
    const absl::Status same = Gate(Ready(S(stage)), S(stage), "again");
    EXPECT_TRUE(absl::IsInvalidArgument(same)) << stage;
    EXPECT_THAT(Message(same), StartsWith("to_stage:"));
  }
  for (int to : {0, -1, 9}) {
    const absl::Status status = Gate(Ready(Stage::kProposal), S(to), "x");
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << to;
    EXPECT_THAT(Message(status), StartsWith("to_stage:"));
  }
}

// Every (from, to) pair lands in exactly one rule: the table a reviewer can check the
// implementation against, with all key nodes present and no reason given.
TEST(StageGate, EveryPairOfStagesFollowsTheTable) {
  for (int from = 1; from <= kLastStage; ++from) {
    for (int to = 0; to <= kLastStage; ++to) {
      absl::StatusCode expected = absl::StatusCode::kFailedPrecondition;
      if (to == 0) {
        expected = absl::StatusCode::kInvalidArgument;
      } else if (from >= 7) {
        expected = absl::StatusCode::kFailedPrecondition;  // closed
      } else if (to == from) {
        expected = absl::StatusCode::kInvalidArgument;
      } else if (to == from + 1 || (from == 6 && to == 7)) {
        expected = absl::StatusCode::kOk;  // forward one stage
      }
      EXPECT_EQ(Gate(Ready(S(from)), S(to)).code(), expected)
          << StageName(S(from)) << " -> " << StageName(S(to));
    }
  }
}

// ---- MoveToStage
// ---------------------------------------------------------------------------------

MoveRequest To(Stage stage, const std::string& reason = "", const std::string& etag = "v4") {
  return {stage, reason, etag};
}

absl::StatusOr<Opportunity> MoveAs(const Principal& caller, const Opportunity& o,
                                   const MoveRequest& move, bool works_on = true,
                                   const StageProbabilities& p = StageProbabilities{}) {
  return MoveToStage(o, move, AccountOf("mgr-li"), works_on, ContractState::kSigned, caller, p,
                     kNow);
}

TEST(MoveToStage, ForwardSetsStageProbabilityVersionAndTime) {
  const absl::StatusOr<Opportunity> moved =
      MoveAs(Manager("mgr-li"), Ready(Stage::kProposal), To(Stage::kBidding));
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->stage, Stage::kBidding);
  EXPECT_EQ(moved->probability_percent, 60);
  EXPECT_EQ(moved->version, 5);
  EXPECT_EQ(moved->update_time, kNow);
  EXPECT_FALSE(moved->close_time.has_value());
  EXPECT_EQ(Etag(*moved), "v5");
}

TEST(MoveToStage, UsesTheConfiguredProbabilities) {
  const StageProbabilities p = *ParseStageProbabilities("5,15,30,50,70,95");
  const absl::StatusOr<Opportunity> forward =
      MoveAs(kDirector, Ready(Stage::kCommercialNegotiation), To(Stage::kImplementation), true, p);
  ASSERT_TRUE(forward.ok()) << forward.status();
  EXPECT_EQ(forward->probability_percent, 95);
  const absl::StatusOr<Opportunity> back = MoveAs(
      kDirector, Ready(Stage::kBidding), To(Stage::kCustomerDevelopment, "restart"), true, p);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->probability_percent, 5);
}

TEST(MoveToStage, WonAndLostCloseTheOpportunity) {
  const absl::StatusOr<Opportunity> won =
      MoveAs(Manager("mgr-li"), Ready(Stage::kImplementation), To(Stage::kWon));
  ASSERT_TRUE(won.ok()) << won.status();
  EXPECT_EQ(won->probability_percent, 100);
  EXPECT_EQ(won->close_time, kNow);
  EXPECT_EQ(won->lost_reason, "");

  const absl::StatusOr<Opportunity> lost =
      MoveAs(Manager("mgr-li"), Ready(Stage::kBidding), To(Stage::kLost, "price too high"));
  ASSERT_TRUE(lost.ok()) << lost.status();
  EXPECT_EQ(lost->probability_percent, 0);
  EXPECT_EQ(lost->close_time, kNow);
  EXPECT_EQ(lost->lost_reason, "price too high");
}

TEST(MoveToStage, EtagIsRequiredAndMustBeCurrent) {
  const Opportunity o = Ready(Stage::kProposal);
  const absl::Status missing = MoveAs(kDirector, o, To(Stage::kBidding, "", "")).status();
  EXPECT_TRUE(absl::IsInvalidArgument(missing)) << missing;
  EXPECT_THAT(Message(missing), StartsWith("etag:"));
  const absl::Status stale = MoveAs(kDirector, o, To(Stage::kBidding, "", "v3")).status();
  EXPECT_TRUE(absl::IsAborted(stale)) << stale;
}

TEST(MoveToStage, OnlyThoseWhoWorkOnTheAccountDirectorsAndAdminsMayMove) {
  const Opportunity o = Ready(Stage::kProposal);
  EXPECT_TRUE(absl::IsPermissionDenied(
      MoveAs(Manager("mgr-wang"), o, To(Stage::kBidding), /*works_on=*/false).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(MoveAs(kAnalyst, o, To(Stage::kBidding)).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(MoveAs(kAgent, o, To(Stage::kBidding)).status()));
  EXPECT_TRUE(MoveAs(kDirector, o, To(Stage::kBidding), /*works_on=*/false).ok());
  EXPECT_TRUE(MoveAs({"root", {"admin"}, ""}, o, To(Stage::kBidding), false).ok());
}

TEST(MoveToStage, ReasonIsLimitedAndArchivedAccountsAreReadOnly) {
  const Opportunity o = Ready(Stage::kProposal);
  const absl::Status long_reason =
      MoveAs(kDirector, o, To(Stage::kLost, std::string(501, 'x'))).status();
  EXPECT_TRUE(absl::IsInvalidArgument(long_reason)) << long_reason;
  EXPECT_THAT(Message(long_reason), StartsWith("reason:"));
  EXPECT_TRUE(MoveAs(kDirector, o, To(Stage::kLost, std::string(500, 'x'))).ok());

  Account archived = AccountOf("mgr-li");
  archived.archived = true;
  const absl::Status status =
      MoveToStage(o, To(Stage::kBidding), archived, true, ContractState::kSigned, kDirector,
                  StageProbabilities{}, kNow)
          .status();
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
}

// ---- creation -----------------------------------------------------------------------------

absl::StatusOr<Opportunity> Create(const Opportunity& draft, const Principal& caller = kDirector,
                                   bool works_on = true,
                                   ContractState contract = ContractState::kNone) {
  return NewOpportunity(draft, AccountOf("mgr-li"), works_on, contract, caller,
                        StageProbabilities{}, kNow);
}

Opportunity Draft() {
  Opportunity o;
  o.account_id = 7;
  o.name = "二期扩建";
  o.amount_minor = 500'000;
  return o;
}

TEST(NewOpportunity, StartsInCustomerDevelopmentWithTheAccountsOwnerAndTier) {
  Opportunity draft = Draft();
  draft.stage = Stage::kBidding;  // output only: ignored
  draft.owner_id = "someone-else";
  draft.lost_reason = "nonsense";
  draft.version = 9;
  const absl::StatusOr<Opportunity> o = Create(draft, Manager("mgr-li"));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->stage, Stage::kCustomerDevelopment);
  EXPECT_EQ(o->probability_percent, 10);
  EXPECT_EQ(o->owner_id, "mgr-li");
  EXPECT_EQ(o->account_tier, Tier::kA);
  EXPECT_EQ(o->lost_reason, "");
  EXPECT_EQ(o->version, 1);
  EXPECT_EQ(o->create_time, kNow);
  EXPECT_EQ(o->update_time, kNow);
  EXPECT_FALSE(o->budget_minor.has_value());
}

TEST(NewOpportunity, KeyNodesMayBeGivenAtOnce) {
  Opportunity draft = Ready(Stage::kUnspecified);
  const absl::StatusOr<Opportunity> o = Create(draft, kDirector, true, ContractState::kUnsigned);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->presales_approval, draft.presales_approval);
  EXPECT_EQ(o->contract_id, 5);
  EXPECT_EQ(o->budget_minor, 1'200'000);
}

TEST(NewOpportunity, ValidatesEveryFieldByName) {
  struct Case {
    void (*spoil)(Opportunity&);
    const char* field;
  };
  const Case cases[] = {
      {[](Opportunity& o) { o.name.clear(); }, "opportunity.name: required"},
      {[](Opportunity& o) { o.name = std::string(201, 'n'); }, "opportunity.name: longer"},
      {[](Opportunity& o) { o.amount_minor = -1; }, "opportunity.amount: "},
      {[](Opportunity& o) { o.budget_minor = -1; }, "opportunity.budget: "},
      {[](Opportunity& o) { o.needs = std::string(1001, 'n'); }, "opportunity.needs: "},
      {[](Opportunity& o) { o.timetable = "line\nbreak"; }, "opportunity.timetable: "},
      {[](Opportunity& o) { o.competition = std::string(1001, 'c'); }, "opportunity.competition"},
      {[](Opportunity& o) { o.decision_makers = "   "; }, "opportunity.decision_makers: blank"},
      {[](Opportunity& o) { o.presales_approval = std::string(501, 'p'); },
       "opportunity.presales_approval: "},
      {[](Opportunity& o) { o.relationship_progress = std::string(1001, 'r'); },
       "opportunity.relationship_progress: "},
      {[](Opportunity& o) { o.contract_id = -3; }, "opportunity.contract_id: "},
  };
  for (const Case& c : cases) {
    Opportunity draft = Draft();
    c.spoil(draft);
    const absl::Status status = Create(draft).status();
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << c.field << ": " << status;
    EXPECT_THAT(Message(status), StartsWith(c.field));
  }
  Opportunity longest = Draft();
  longest.name = std::string(200, 'n');
  longest.needs = std::string(1000, 'n');
  EXPECT_TRUE(Create(longest).ok());
}

TEST(NewOpportunity, ContractMustBelongToTheAccountButNeedNotBeSigned) {
  Opportunity draft = Draft();
  draft.contract_id = 99;
  const absl::Status foreign =
      Create(draft, kDirector, true, ContractState::kNotOfAccount).status();
  EXPECT_TRUE(absl::IsInvalidArgument(foreign)) << foreign;
  EXPECT_THAT(Message(foreign), StartsWith("opportunity.contract_id: contract 99"));
  EXPECT_TRUE(Create(draft, kDirector, true, ContractState::kUnsigned).ok());
}

TEST(NewOpportunity, AccessAndArchivedAccount) {
  EXPECT_TRUE(Create(Draft(), Manager("mgr-li"), /*works_on=*/true).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(Create(Draft(), Manager("mgr-wang"), false).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(Create(Draft(), kAnalyst).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(Create(Draft(), kAgent).status()));
  Account archived = AccountOf("mgr-li");
  archived.archived = true;
  const absl::Status status = NewOpportunity(Draft(), archived, true, ContractState::kNone,
                                             kDirector, StageProbabilities{}, kNow)
                                  .status();
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
}

// ---- update -------------------------------------------------------------------------------

absl::StatusOr<Opportunity> Update(const Opportunity& current, const Opportunity& patch,
                                   const std::vector<std::string>& paths,
                                   const std::string& etag = "v4",
                                   ContractState contract = ContractState::kNone,
                                   const Principal& caller = kDirector) {
  return ApplyOpportunityUpdate(current, patch, paths, etag, AccountOf("mgr-li"), true, contract,
                                caller, kNow);
}

TEST(UpdateOpportunity, ChangesOnlyTheMaskedFields) {
  const Opportunity current = Ready(Stage::kProposal);
  Opportunity patch;
  patch.name = "三期";
  patch.amount_minor = 42;
  patch.needs = "ignored: not in the mask";
  const absl::StatusOr<Opportunity> updated =
      Update(current, patch, {"name", "amount", "budget", "bid_submit_time"});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->name, "三期");
  EXPECT_EQ(updated->amount_minor, 42);
  EXPECT_FALSE(updated->budget_minor.has_value());  // cleared: absent in the patch
  EXPECT_FALSE(updated->bid_submit_time.has_value());
  EXPECT_EQ(updated->needs, current.needs);
  EXPECT_EQ(updated->stage, Stage::kProposal);
  EXPECT_EQ(updated->version, 5);
  EXPECT_EQ(updated->update_time, kNow);
}

TEST(UpdateOpportunity, RefusesWhatMayNotChange) {
  const Opportunity current = Ready(Stage::kProposal);
  const Opportunity patch = Ready(Stage::kProposal);
  for (const char* path : {"stage", "owner_id", "probability_percent", "lost_reason", "id"}) {
    const absl::Status status = Update(current, patch, {path}).status();
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << path;
    EXPECT_THAT(Message(status), StartsWith("update_mask:"));
  }
  EXPECT_TRUE(absl::IsInvalidArgument(Update(current, patch, {}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Update(current, patch, {"name"}, "").status()));
  EXPECT_TRUE(absl::IsAborted(Update(current, patch, {"name"}, "v3").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      Update(current, patch, {"name"}, "v4", ContractState::kNone, kAnalyst).status()));
  for (Stage closed : {Stage::kWon, Stage::kLost}) {
    const absl::Status status = Update(Ready(closed), patch, {"name"}).status();
    EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
    EXPECT_THAT(Message(status), HasSubstr("read-only"));
  }
}

TEST(UpdateOpportunity, ContractIdMustNameAContractOfTheAccount) {
  const Opportunity current = Ready(Stage::kCommercialNegotiation);
  Opportunity patch;
  patch.contract_id = 77;
  const absl::Status foreign =
      Update(current, patch, {"contract_id"}, "v4", ContractState::kNotOfAccount).status();
  EXPECT_TRUE(absl::IsInvalidArgument(foreign)) << foreign;
  EXPECT_THAT(Message(foreign), StartsWith("opportunity.contract_id:"));
  const absl::StatusOr<Opportunity> unsigned_ok =
      Update(current, patch, {"contract_id"}, "v4", ContractState::kUnsigned);
  ASSERT_TRUE(unsigned_ok.ok()) << unsigned_ok.status();
  EXPECT_EQ(unsigned_ok->contract_id, 77);
  patch.contract_id = 0;
  const absl::StatusOr<Opportunity> cleared = Update(current, patch, {"contract_id"});
  ASSERT_TRUE(cleared.ok());
  EXPECT_EQ(cleared->contract_id, 0);
}

// ---- probabilities ------------------------------------------------------------------------

TEST(StageProbabilities, DefaultsAndClosedStages) {
  const StageProbabilities p;
  std::vector<int> percents;
  for (int s = 0; s <= kLastStage; ++s) percents.push_back(p.For(S(s)));
  EXPECT_THAT(percents, ElementsAre(0, 10, 20, 40, 60, 80, 90, 100, 0));
}

TEST(StageProbabilities, ParsesSixNonDecreasingPercentages) {
  const absl::StatusOr<StageProbabilities> p = ParseStageProbabilities(" 0, 0,50 ,50,99,100");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->open_percent, ElementsAre(0, 0, 50, 50, 99, 100));
  EXPECT_THAT(ParseStageProbabilities("10,20,40,60,80,90")->open_percent,
              ElementsAre(10, 20, 40, 60, 80, 90));
}

TEST(StageProbabilities, RefusesAnythingElseSayingWhy) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "expected 6"},
      {"10,20,40,60,80", "got 5"},
      {"10,20,40,60,80,90,95", "got 7"},
      {"10,20,forty,60,80,90", "PROPOSAL: \"forty\" is not an integer"},
      {"10,20,40.5,60,80,90", "is not an integer"},
      {"10,20,,60,80,90", "is not an integer"},
      {"10,20,40,60,80,101", "IMPLEMENTATION: 101 is not within 0-100"},
      {"-1,20,40,60,80,90", "CUSTOMER_DEVELOPMENT: -1 is not within 0-100"},
      {"10,20,40,30,80,90", "BIDDING: 30 is less than the 40"},
  };
  for (const auto& [text, why] : cases) {
    const absl::StatusOr<StageProbabilities> p = ParseStageProbabilities(text);
    EXPECT_TRUE(absl::IsInvalidArgument(p.status())) << text;
    EXPECT_THAT(Message(p.status()), HasSubstr(why)) << text;
  }
}

class StageProbabilitiesFlag : public ::testing::Test {
 protected:
  void SetUp() override { unsetenv("KAM_STAGE_PROBABILITIES"); }
  void TearDown() override { unsetenv("KAM_STAGE_PROBABILITIES"); }

  absl::Status Parse(std::vector<const char*> args) {
    args.insert(args.begin(), "kam-accounts");
    AddStageProbabilitiesFlag(settings_, probabilities_);
    return settings_.Parse(static_cast<int>(args.size()), args.data());
  }

  Settings settings_{"kam-accounts"};
  StageProbabilities probabilities_;
};

TEST_F(StageProbabilitiesFlag, DefaultsWhenNotGiven) {
  ASSERT_TRUE(Parse({}).ok());
  EXPECT_THAT(probabilities_.open_percent, ElementsAre(10, 20, 40, 60, 80, 90));
}

TEST_F(StageProbabilitiesFlag, FlagAndEnvironmentSetThem) {
  setenv("KAM_STAGE_PROBABILITIES", "1,2,3,4,5,6", 1);
  ASSERT_TRUE(Parse({}).ok());
  EXPECT_THAT(probabilities_.open_percent, ElementsAre(1, 2, 3, 4, 5, 6));
}

TEST_F(StageProbabilitiesFlag, FlagWinsOverEnvironment) {
  setenv("KAM_STAGE_PROBABILITIES", "1,2,3,4,5,6", 1);
  ASSERT_TRUE(Parse({"--stage-probabilities", "5,15,30,50,70,95"}).ok());
  EXPECT_THAT(probabilities_.open_percent, ElementsAre(5, 15, 30, 50, 70, 95));
}

TEST_F(StageProbabilitiesFlag, BadValueIsOneLineNamingTheFlagAndVariable) {
  const absl::Status status = Parse({"--stage-probabilities=10,20,40,60,80"});
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(Message(status), StartsWith("--stage-probabilities (KAM_STAGE_PROBABILITIES)"));
  EXPECT_THAT(Message(status), HasSubstr("got 5"));
  EXPECT_EQ(Message(status).find('\n'), std::string::npos);
}

TEST_F(StageProbabilitiesFlag, BadEnvironmentValueNamesTheFlagAndVariable) {
  setenv("KAM_STAGE_PROBABILITIES", "90,80,60,40,20,10", 1);
  const absl::Status status = Parse({});
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(Message(status), StartsWith("--stage-probabilities (KAM_STAGE_PROBABILITIES)"));
}

// ---- summary ------------------------------------------------------------------------------

TEST(WeightedAmount, RoundsHalfUpInMinorUnits) {
  EXPECT_EQ(WeightedAmount(12'345, 10), 1'235);  // 1234.5
  EXPECT_EQ(WeightedAmount(12'344, 10), 1'234);  // 1234.4
  EXPECT_EQ(WeightedAmount(1, 50), 1);           // 0.5
  EXPECT_EQ(WeightedAmount(1, 49), 0);           // 0.49
  EXPECT_EQ(WeightedAmount(99, 50), 50);         // 49.5
  EXPECT_EQ(WeightedAmount(0, 90), 0);
  EXPECT_EQ(WeightedAmount(1'000'000, 0), 0);
  EXPECT_EQ(WeightedAmount(1'000'000, 100), 1'000'000);
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(WeightedAmount(kMax, 100), kMax);
  EXPECT_EQ(WeightedAmount(kMax, 90), kMax / 100 * 90 + (kMax % 100 * 90 + 50) / 100);
}

TEST(Summarize, EveryOpenStageInOrderWithTotalsAndClosedCounts) {
  const PipelineSummary s = Summarize({{Stage::kBidding, 2, 3'000, 1'800},
                                       {Stage::kWon, 4, 9'999, 9'999},
                                       {Stage::kCustomerDevelopment, 1, 1'005, 101},
                                       {Stage::kLost, 1, 50, 0}},
                                      /*partial=*/true);
  ASSERT_EQ(s.stages.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(s.stages[i].stage, S(i + 1));
  EXPECT_EQ(s.stages[0].opportunities, 1);
  EXPECT_EQ(s.stages[0].amount_minor, 1'005);
  EXPECT_EQ(s.stages[0].weighted_minor, 101);
  EXPECT_EQ(s.stages[3].opportunities, 2);
  EXPECT_EQ(s.stages[1].opportunities, 0);
  EXPECT_EQ(s.stages[1].amount_minor, 0);
  EXPECT_EQ(s.open_amount_minor, 4'005);
  EXPECT_EQ(s.weighted_minor, 1'901);
  EXPECT_EQ(s.won, 4);
  EXPECT_EQ(s.lost, 1);
  EXPECT_TRUE(s.partial);
  EXPECT_EQ(Summarize({}, false).open_amount_minor, 0);
}

TEST(Summarize, TotalsSaturateInsteadOfOverflowing) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const PipelineSummary s =
      Summarize({{Stage::kProposal, 1, kMax, kMax}, {Stage::kBidding, 1, 10, 10}}, false);
  EXPECT_EQ(s.open_amount_minor, kMax);
  EXPECT_EQ(s.weighted_minor, kMax);
}

// ---- scopes -------------------------------------------------------------------------------

TEST(Scopes, ManagersSeeOnlyTheirOwnPipelineAndAccounts) {
  const absl::StatusOr<SummaryScope> own = OwnerSummaryScope("mgr-li", Manager("mgr-li"));
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->member_id, "mgr-li");
  EXPECT_TRUE(absl::IsPermissionDenied(OwnerSummaryScope("mgr-wang", Manager("mgr-li")).status()));
  const absl::StatusOr<SummaryScope> directed = OwnerSummaryScope("mgr-wang", kDirector);
  ASSERT_TRUE(directed.ok());
  EXPECT_EQ(directed->member_id, "");
  EXPECT_TRUE(OwnerSummaryScope("mgr-wang", kAnalyst).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(OwnerSummaryScope("mgr-wang", kAgent).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(OwnerSummaryScope("", kDirector).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(OwnerSummaryScope("bad owner", kDirector).status()));

  EXPECT_EQ(AccountSummaryScope(SummaryScope::Kind::kGroup, 3, Manager("mgr-li")).member_id,
            "mgr-li");
  EXPECT_EQ(AccountSummaryScope(SummaryScope::Kind::kGroup, 3, kAnalyst).member_id, "");
}

TEST(Scopes, ListFilterIsValidatedAndLimitedForManagers) {
  OpportunityFilter requested;
  requested.stage = Stage::kBidding;
  const absl::StatusOr<OpportunityFilter> mine = ScopeOpportunityFilter(requested, Manager("li"));
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->member_id, "li");
  EXPECT_EQ(ScopeOpportunityFilter(requested, kDirector)->member_id, "");
  EXPECT_TRUE(absl::IsPermissionDenied(ScopeOpportunityFilter(requested, kAgent).status()));
  requested.stage = S(9);
  EXPECT_TRUE(absl::IsInvalidArgument(ScopeOpportunityFilter(requested, kDirector).status()));
  requested.stage = Stage::kUnspecified;
  requested.owner_id = "bad owner";
  EXPECT_TRUE(absl::IsInvalidArgument(ScopeOpportunityFilter(requested, kDirector).status()));
  requested.owner_id.clear();
  requested.account_id = -1;
  EXPECT_TRUE(absl::IsInvalidArgument(ScopeOpportunityFilter(requested, kDirector).status()));
}

}  // namespace
}  // namespace kam::accounts
