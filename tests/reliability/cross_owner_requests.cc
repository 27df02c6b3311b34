#include "tests/reliability/cross_owner_requests.h"

#include <google/protobuf/timestamp.pb.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "kam/gateway/v1/gateway.grpc.pb.h"

namespace kam::reliability {
namespace {

namespace av1 = kam::accounts::v1;
namespace cv1 = kam::complaints::v1;
namespace nv1 = kam::analytics::v1;
namespace gv1 = kam::gateway::v1;
using google::protobuf::Message;

constexpr char kAccounts[] = "kam.accounts.v1.AccountService";
constexpr char kComplaints[] = "kam.complaints.v1.ComplaintService";
constexpr char kAnalytics[] = "kam.analytics.v1.AnalyticsService";
constexpr char kGateway[] = "kam.gateway.v1.GatewayService";
constexpr const char* kServices[] = {kAccounts, kComplaints, kAnalytics, kGateway};

// Ids this far up are never handed out by a test stack.
constexpr int64_t kNowhere = 900'000'000'000;

google::protobuf::Timestamp Ts(absl::Time time) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(time));
  return ts;
}

av1::Money Cny(int64_t minor_units) {
  av1::Money money;
  money.set_currency_code("CNY");
  money.set_minor_units(minor_units);
  return money;
}

av1::Order OrderFor(const Target& t, const std::string& request_id) {
  av1::Order order;
  order.set_account_id(t.account_id);
  order.set_external_id("xo-" + request_id);
  *order.mutable_order_time() = Ts(absl::Now() - absl::Hours(1));
  av1::OrderLine* line = order.add_lines();
  line->set_product_code("XO-PIPE");
  line->set_product_category("steel pipe");
  line->set_quantity(3);
  *line->mutable_revenue() = Cny(300'00);
  *line->mutable_cost() = Cny(200'00);
  return order;
}

av1::Payment PaymentFor(const Target& t, const std::string& request_id) {
  av1::Payment payment;
  payment.set_account_id(t.account_id);
  payment.set_external_id("xo-" + request_id);
  *payment.mutable_amount() = Cny(100'00);
  *payment.mutable_pay_time() = Ts(absl::Now() - absl::Hours(1));
  return payment;
}

template <typename Request>
using Fill = std::function<void(const Target& t, const std::string& request_id, Request& r)>;

class Table {
 public:
  template <typename Request>
  Table& Add(const char* service, const char* method, Fill<Request> fill) {
    builders_[absl::StrCat("/", service, "/", method)] =
        [fill](const Target& t, const std::string& request_id, Message& request) {
          fill(t, request_id, dynamic_cast<Request&>(request));
        };
    return *this;
  }
  std::map<std::string, RequestBuilder> Take() { return std::move(builders_); }

 private:
  std::map<std::string, RequestBuilder> builders_;
};

void AddAccountArchive(Table& table) {
  table
      .Add<av1::CreateAccountRequest>(kAccounts, "CreateAccount",
                                      [](const Target& t, const std::string& id, auto& r) {
                                        r.set_request_id(id);
                                        r.mutable_account()->set_name("XO subsidiary " + id);
                                        r.mutable_account()->set_registration_number("XO-" + id);
                                        r.mutable_account()->set_nature(
                                            av1::NATURE_ORDINARY_COMPANY);
                                        r.mutable_account()->set_parent_id(t.account_id);
                                      })
      .Add<av1::GetAccountRequest>(kAccounts, "GetAccount",
                                   [](const Target& t, const std::string&, auto& r) {
                                     r.set_account_id(t.account_id);
                                   })
      .Add<av1::ListAccountsRequest>(kAccounts, "ListAccounts",
                                     [](const Target& t, const std::string&, auto& r) {
                                       r.set_owner_id(t.owner_id);
                                       r.set_page_size(500);
                                     })
      .Add<av1::UpdateAccountRequest>(kAccounts, "UpdateAccount",
                                      [](const Target& t, const std::string& id, auto& r) {
                                        r.set_request_id(id);
                                        r.mutable_account()->set_id(t.account_id);
                                        r.mutable_account()->set_industry("taken over");
                                        r.mutable_update_mask()->add_paths("industry");
                                        r.set_etag(t.account_etag);
                                      })
      .Add<av1::ArchiveAccountRequest>(kAccounts, "ArchiveAccount",
                                       [](const Target& t, const std::string& id, auto& r) {
                                         r.set_request_id(id);
                                         r.set_account_id(t.account_id);
                                         r.set_reason("cross-owner attempt");
                                       })
      .Add<av1::GetGroupTreeRequest>(kAccounts, "GetGroupTree",
                                     [](const Target& t, const std::string&, auto& r) {
                                       r.set_account_id(t.account_id);
                                       r.set_include_ancestors(true);
                                     })
      .Add<av1::CreateContactRequest>(kAccounts, "CreateContact",
                                      [](const Target& t, const std::string& id, auto& r) {
                                        r.set_request_id(id);
                                        r.mutable_contact()->set_account_id(t.account_id);
                                        r.mutable_contact()->set_name("XO contact");
                                      })
      .Add<av1::ListContactsRequest>(kAccounts, "ListContacts",
                                     [](const Target& t, const std::string&, auto& r) {
                                       r.set_account_id(t.account_id);
                                     })
      .Add<av1::UpdateContactRequest>(kAccounts, "UpdateContact",
                                      [](const Target& t, const std::string& id, auto& r) {
                                        r.set_request_id(id);
                                        r.mutable_contact()->set_id(t.contact_id);
                                        r.mutable_contact()->set_account_id(t.account_id);
                                        r.mutable_contact()->set_title("taken over");
                                        r.mutable_update_mask()->add_paths("title");
                                        r.set_etag(t.contact_etag);
                                      })
      .Add<av1::AddTeamMemberRequest>(kAccounts, "AddTeamMember",
                                      [](const Target& t, const std::string& id, auto& r) {
                                        r.set_request_id(id);
                                        r.mutable_member()->set_account_id(t.account_id);
                                        r.mutable_member()->set_member_id("xo-intruder");
                                        r.mutable_member()->set_role(av1::TEAM_ROLE_SALES);
                                      })
      .Add<av1::RemoveTeamMemberRequest>(kAccounts, "RemoveTeamMember",
                                         [](const Target& t, const std::string& id, auto& r) {
                                           r.set_request_id(id);
                                           r.set_account_id(t.account_id);
                                           r.set_member_id(t.owner_id);
                                         })
      .Add<av1::ListTeamMembersRequest>(kAccounts, "ListTeamMembers",
                                        [](const Target& t, const std::string&, auto& r) {
                                          r.set_account_id(t.account_id);
                                        })
      .Add<av1::TransferAccountsRequest>(kAccounts, "TransferAccounts",
                                         [](const Target& t, const std::string& id, auto& r) {
                                           r.set_request_id(id);
                                           r.set_from_owner_id(t.owner_id);
                                           r.set_to_owner_id("xo-intruder");
                                           r.add_account_ids(t.account_id);
                                           r.set_reason("cross-owner attempt");
                                         })
      .Add<av1::SetTierRequest>(kAccounts, "SetTier",
                                [](const Target& t, const std::string& id, auto& r) {
                                  r.set_request_id(id);
                                  r.set_account_id(t.account_id);
                                  r.set_tier(av1::TIER_C);
                                  r.set_reason("cross-owner attempt");
                                })
      .Add<av1::ListAccountHistoryRequest>(kAccounts, "ListAccountHistory",
                                           [](const Target& t, const std::string&, auto& r) {
                                             r.set_account_id(t.account_id);
                                           })
      .Add<av1::ListAuditLogRequest>(kAccounts, "ListAuditLog",
                                     [](const Target& t, const std::string&, auto& r) {
                                       r.set_resource_type("account");
                                       r.set_resource_id(absl::StrCat(t.account_id));
                                     })
      .Add<av1::WatchEventsRequest>(kAccounts, "WatchEvents",
                                    [](const Target&, const std::string&, auto&) {});
}

void AddAccountCredit(Table& table) {
  table
      .Add<av1::SetCreditRequest>(kAccounts, "SetCredit",
                                  [](const Target& t, const std::string& id, auto& r) {
                                    r.set_request_id(id);
                                    r.set_account_id(t.account_id);
                                    r.mutable_update_mask()->add_paths("credit_rating");
                                    r.set_credit_rating(av1::CREDIT_RATING_AAA);
                                    r.set_reason("cross-owner attempt");
                                  })
      .Add<av1::CreateCreditReportRequest>(
          kAccounts, "CreateCreditReport",
          [](const Target& t, const std::string& id, auto& r) {
            r.set_request_id(id);
            r.mutable_report()->set_account_id(t.account_id);
            r.mutable_report()->set_kind(av1::CREDIT_REPORT_KIND_URGENT);
            r.mutable_report()->set_source(av1::CREDIT_SOURCE_PEERS);
            r.mutable_report()->set_summary("rumours");
          })
      .Add<av1::ListCreditReportsRequest>(kAccounts, "ListCreditReports",
                                          [](const Target& t, const std::string&, auto& r) {
                                            r.set_account_id(t.account_id);
                                          })
      .Add<av1::GrantCreditOverrideRequest>(
          kAccounts, "GrantCreditOverride", [](const Target& t, const std::string& id, auto& r) {
            r.set_request_id(id);
            r.mutable_override()->set_account_id(t.account_id);
            *r.mutable_override()->mutable_allowance() = Cny(1'000'000'00);
            r.mutable_override()->set_reason("cross-owner attempt");
            *r.mutable_override()->mutable_expire_time() = Ts(absl::Now() + absl::Hours(48));
          });
}

void AddAccountEngagement(Table& table) {
  table
      .Add<av1::CreateContactRecordRequest>(
          kAccounts, "CreateContactRecord", [](const Target& t, const std::string& id, auto& r) {
            r.set_request_id(id);
            r.mutable_record()->set_account_id(t.account_id);
            r.mutable_record()->set_kind(av1::CONTACT_KIND_VISIT);
            *r.mutable_record()->mutable_occur_time() = Ts(absl::Now() - absl::Hours(2));
            r.mutable_record()->set_summary("cross-owner visit");
          })
      .Add<av1::ListTimelineRequest>(kAccounts, "ListTimeline",
                                     [](const Target& t, const std::string&, auto& r) {
                                       r.set_account_id(t.account_id);
                                     })
      .Add<av1::CreateVisitPlanRequest>(
          kAccounts, "CreateVisitPlan", [](const Target& t, const std::string& id, auto& r) {
            r.set_request_id(id);
            r.mutable_plan()->set_account_id(t.account_id);
            *r.mutable_plan()->mutable_planned_time() = Ts(absl::Now() + absl::Hours(72));
            r.mutable_plan()->set_objective("cross-owner visit");
          })
      .Add<av1::ListVisitPlansRequest>(kAccounts, "ListVisitPlans",
                                       [](const Target& t, const std::string&, auto& r) {
                                         r.set_account_id(t.account_id);
                                       })
      .Add<av1::CancelVisitPlanRequest>(kAccounts, "CancelVisitPlan",
                                        [](const Target& t, const std::string& id, auto& r) {
                                          r.set_request_id(id);
                                          r.set_visit_plan_id(t.visit_plan_id);
                                          r.set_reason("cross-owner attempt");
                                        })
      .Add<av1::RestoreVisitPlanRequest>(kAccounts, "RestoreVisitPlan",
                                         [](const Target& t, const std::string& id, auto& r) {
                                           r.set_request_id(id);
                                           r.set_account_id(t.account_id);
                                           r.set_reason("cross-owner attempt");
                                         });
}

void AddAccountPipeline(Table& table) {
  table
      .Add<av1::CreateOpportunityRequest>(
          kAccounts, "CreateOpportunity", [](const Target& t, const std::string& id, auto& r) {
            r.set_request_id(id);
            r.mutable_opportunity()->set_account_id(t.account_id);
            r.mutable_opportunity()->set_name("cross-owner deal");
            *r.mutable_opportunity()->mutable_amount() = Cny(5'000'00);
          })
      .Add<av1::GetOpportunityRequest>(kAccounts, "GetOpportunity",
                                       [](const Target& t, const std::string&, auto& r) {
                                         r.set_opportunity_id(t.opportunity_id);
                                       })
      .Add<av1::ListOpportunitiesRequest>(kAccounts, "ListOpportunities",
                                          [](const Target& t, const std::string&, auto& r) {
                                            r.set_account_id(t.account_id);
                                          })
      .Add<av1::UpdateOpportunityRequest>(
          kAccounts, "UpdateOpportunity", [](const Target& t, const std::string& id, auto& r) {
            r.set_request_id(id);
            r.mutable_opportunity()->set_id(t.opportunity_id);
            r.mutable_opportunity()->set_needs("taken over");
            r.mutable_update_mask()->add_paths("needs");
            r.set_etag(t.opportunity_etag);
          })
      .Add<av1::MoveOpportunityRequest>(kAccounts, "MoveOpportunity",
                                        [](const Target& t, const std::string& id, auto& r) {
                                          r.set_request_id(id);
                                          r.set_opportunity_id(t.opportunity_id);
                                          r.set_to_stage(av1::STAGE_PROJECT_INITIATION);
                                          r.set_etag(t.opportunity_etag);
                                        })
      .Add<av1::ListStageChangesRequest>(kAccounts, "ListStageChanges",
                                         [](const Target& t, const std::string&, auto& r) {
                                           r.set_opportunity_id(t.opportunity_id);
                                         })
      .Add<av1::GetPipelineSummaryRequest>(kAccounts, "GetPipelineSummary",
                                           [](const Target& t, const std::string&, auto& r) {
                                             r.set_account_id(t.account_id);
                                           });
}

void AddAccountCommerce(Table& table) {
  table
      .Add<av1::CreateContractRequest>(
          kAccounts, "CreateContract", [](const Target& t, const std::string& id, auto& r) {
            r.set_request_id(id);
            r.mutable_contract()->set_account_id(t.account_id);
            r.mutable_contract()->set_number("XO-" + id);
            *r.mutable_contract()->mutable_value() = Cny(9'000'00);
            *r.mutable_contract()->mutable_start_time() = Ts(absl::Now());
            *r.mutable_contract()->mutable_end_time() = Ts(absl::Now() + absl::Hours(24 * 90));
          })
      .Add<av1::SignContractRequest>(kAccounts, "SignContract",
                                     [](const Target& t, const std::string& id, auto& r) {
                                       r.set_request_id(id);
                                       r.set_contract_id(t.contract_id);
                                       *r.mutable_sign_time() = Ts(absl::Now() - absl::Minutes(5));
                                     })
      .Add<av1::ListContractsRequest>(kAccounts, "ListContracts",
                                      [](const Target& t, const std::string&, auto& r) {
                                        r.set_account_id(t.account_id);
                                      })
      .Add<av1::RecordOrderRequest>(kAccounts, "RecordOrder",
                                    [](const Target& t, const std::string& id, auto& r) {
                                      r.set_request_id(id);
                                      *r.mutable_order() = OrderFor(t, id);
                                    })
      .Add<av1::RecordPaymentRequest>(kAccounts, "RecordPayment",
                                      [](const Target& t, const std::string& id, auto& r) {
                                        r.set_request_id(id);
                                        *r.mutable_payment() = PaymentFor(t, id);
                                      })
      .Add<av1::ImportOrdersRequest>(kAccounts, "ImportOrders",
                                     [](const Target& t, const std::string& id, auto& r) {
                                       *r.add_orders() = OrderFor(t, id);
                                     })
      .Add<av1::ImportPaymentsRequest>(kAccounts, "ImportPayments",
                                       [](const Target& t, const std::string& id, auto& r) {
                                         *r.add_payments() = PaymentFor(t, id);
                                       })
      .Add<av1::ListOrdersRequest>(kAccounts, "ListOrders",
                                   [](const Target& t, const std::string&, auto& r) {
                                     r.set_account_id(t.account_id);
                                   })
      .Add<av1::ListPaymentsRequest>(kAccounts, "ListPayments",
                                     [](const Target& t, const std::string&, auto& r) {
                                       r.set_account_id(t.account_id);
                                     })
      .Add<av1::GetGroupSummaryRequest>(kAccounts, "GetGroupSummary",
                                        [](const Target& t, const std::string&, auto& r) {
                                          r.set_account_id(t.account_id);
                                        });
}

// The complaint workflow steps all name one complaint.
template <typename Request>
void AddComplaintStep(Table& table, const char* method,
                      std::function<void(Request& r)> fields) {
  table.Add<Request>(kComplaints, method,
                     [fields](const Target& t, const std::string& id, Request& r) {
                       r.set_request_id(id);
                       r.set_complaint_id(t.complaint_id);
                       fields(r);
                     });
}

void AddComplaints(Table& table) {
  table
      .Add<cv1::CreateComplaintRequest>(
          kComplaints, "CreateComplaint", [](const Target& t, const std::string& id, auto& r) {
            r.set_request_id(id);
            cv1::Complaint* c = r.mutable_complaint();
            c->set_account_id(t.account_id);
            c->set_channel(cv1::CHANNEL_PHONE);
            c->set_category(cv1::CATEGORY_PRODUCT_QUALITY);
            c->set_subcategory("cross-owner");
            c->set_description("filed against another manager's customer");
            c->set_severity(cv1::SEVERITY_LOW);
            c->set_manner(cv1::MANNER_ASSERTIVE);
          })
      .Add<cv1::GetComplaintRequest>(kComplaints, "GetComplaint",
                                     [](const Target& t, const std::string&, auto& r) {
                                       r.set_complaint_id(t.complaint_id);
                                     })
      .Add<cv1::ListComplaintsRequest>(kComplaints, "ListComplaints",
                                       [](const Target& t, const std::string&, auto& r) {
                                         r.set_account_id(t.account_id);
                                       })
      .Add<cv1::ListMyQueueRequest>(kComplaints, "ListMyQueue",
                                    [](const Target&, const std::string&, auto&) {})
      .Add<cv1::ListComplaintHistoryRequest>(kComplaints, "ListComplaintHistory",
                                             [](const Target& t, const std::string&, auto& r) {
                                               r.set_complaint_id(t.complaint_id);
                                             })
      .Add<cv1::PutDepartmentRequest>(kComplaints, "PutDepartment",
                                      [](const Target& t, const std::string& id, auto& r) {
                                        r.set_request_id(id);
                                        r.mutable_department()->set_code(t.department);
                                        r.mutable_department()->set_name("taken over");
                                        r.mutable_department()->add_categories(
                                            cv1::CATEGORY_PRODUCT_QUALITY);
                                        r.mutable_department()->add_handler_ids("xo-intruder");
                                        r.mutable_department()->set_manager_id("xo-intruder");
                                      })
      .Add<cv1::ListDepartmentsRequest>(kComplaints, "ListDepartments",
                                        [](const Target&, const std::string&, auto&) {})
      .Add<cv1::WatchEventsRequest>(kComplaints, "WatchEvents",
                                    [](const Target&, const std::string&, auto&) {})
      .Add<cv1::ListAuditLogRequest>(kComplaints, "ListAuditLog",
                                     [](const Target& t, const std::string&, auto& r) {
                                       r.set_resource_type("complaint");
                                       r.set_resource_id(absl::StrCat(t.complaint_id));
                                     });
  AddComplaintStep<cv1::JudgeValidityRequest>(table, "JudgeValidity", [](auto& r) {
    r.set_valid(false);
    r.set_reason("cross-owner attempt");
  });
  AddComplaintStep<cv1::ReassignComplaintRequest>(table, "ReassignComplaint", [](auto& r) {
    r.set_handler_id("xo-intruder");
    r.set_reason("cross-owner attempt");
  });
  AddComplaintStep<cv1::AnalyzeCauseRequest>(table, "AnalyzeCause",
                                             [](auto& r) { r.set_cause("cross-owner"); });
  AddComplaintStep<cv1::ProposeResolutionRequest>(
      table, "ProposeResolution", [](auto& r) { r.set_resolution("cross-owner"); });
  AddComplaintStep<cv1::DecideResolutionRequest>(table, "DecideResolution", [](auto& r) {
    r.set_approve(true);
    r.set_reason("cross-owner attempt");
  });
  AddComplaintStep<cv1::ImplementResolutionRequest>(
      table, "ImplementResolution", [](auto& r) { r.set_note("cross-owner"); });
  AddComplaintStep<cv1::RecordFollowUpRequest>(table, "RecordFollowUp", [](auto& r) {
    r.set_perceived_satisfaction(5);
    r.set_expected_satisfaction(5);
    r.set_satisfied(true);
  });
  AddComplaintStep<cv1::CloseComplaintRequest>(table, "CloseComplaint", [](auto& r) {
    r.set_summary("cross-owner");
    r.set_evaluation("cross-owner");
  });
  AddComplaintStep<cv1::SetWaitingOnCustomerRequest>(table, "SetWaitingOnCustomer",
                                                     [](auto& r) { r.set_waiting(true); });
}

// The analyses that take a period and a filter: aimed at the other manager's book.
template <typename Request>
void AddBookAnalysis(Table& table, const char* method) {
  table.Add<Request>(kAnalytics, method, [](const Target& t, const std::string&, Request& r) {
    r.set_period(t.period);
    r.mutable_filter()->set_owner_id(t.owner_id);
  });
}

void AddAnalytics(Table& table) {
  AddBookAnalysis<nv1::AnalyzeAbcRequest>(table, "AnalyzeAbc");
  AddBookAnalysis<nv1::AnalyzeCompositionRequest>(table, "AnalyzeComposition");
  AddBookAnalysis<nv1::AnalyzeTransactionsRequest>(table, "AnalyzeTransactions");
  AddBookAnalysis<nv1::AnalyzeProductsRequest>(table, "AnalyzeProducts");
  AddBookAnalysis<nv1::ScoreAccountsRequest>(table, "ScoreAccounts");
  AddBookAnalysis<nv1::AnalyzeRetentionRequest>(table, "AnalyzeRetention");
  AddBookAnalysis<nv1::AnalyzePipelineRequest>(table, "AnalyzePipeline");
  AddBookAnalysis<nv1::AnalyzeComplaintsRequest>(table, "AnalyzeComplaints");
  AddBookAnalysis<nv1::GetManagerScorecardRequest>(table, "GetManagerScorecard");
  table
      .Add<nv1::PutInventorySnapshotsRequest>(
          kAnalytics, "PutInventorySnapshots", [](const Target&, const std::string& id, auto& r) {
            r.set_request_id(id);
            nv1::InventorySnapshot* s = r.add_snapshots();
            s->set_product_code("XO-PIPE");
            s->set_month("2026-01");
            s->mutable_value()->set_currency_code("CNY");  // analytics' own Money
            s->mutable_value()->set_minor_units(1'00);
            s->set_quantity(1);
          })
      .Add<nv1::PutAccountTargetsRequest>(kAnalytics, "PutAccountTargets",
                                          [](const Target& t, const std::string& id, auto& r) {
                                            r.set_request_id(id);
                                            nv1::AccountTarget* target = r.add_targets();
                                            target->set_account_id(t.account_id);
                                            target->set_year(2026);
                                            target->set_expected_share_bp(5000);
                                          })
      .Add<nv1::AnalyzeProductMixRequest>(kAnalytics, "AnalyzeProductMix",
                                          [](const Target& t, const std::string&, auto& r) {
                                            r.set_period(t.period);
                                            r.set_account_id(t.account_id);
                                          })
      .Add<nv1::RunTierReviewRequest>(kAnalytics, "RunTierReview",
                                      [](const Target& t, const std::string& id, auto& r) {
                                        r.set_request_id(id);
                                        r.mutable_parameters()->set_period(t.period);
                                      })
      .Add<nv1::GetTierReviewRequest>(kAnalytics, "GetTierReview",
                                      [](const Target& t, const std::string&, auto& r) {
                                        r.set_review_id(t.review_id);
                                      })
      .Add<nv1::ListTierReviewsRequest>(kAnalytics, "ListTierReviews",
                                        [](const Target&, const std::string&, auto&) {})
      .Add<nv1::ListTierChangesRequest>(kAnalytics, "ListTierChanges",
                                        [](const Target& t, const std::string&, auto& r) {
                                          r.set_review_id(t.review_id);
                                        })
      .Add<nv1::GetAccountStandingRequest>(kAnalytics, "GetAccountStanding",
                                           [](const Target& t, const std::string&, auto& r) {
                                             r.set_account_id(t.account_id);
                                             r.set_period(t.period);
                                           });
}

void AddGateway(Table& table) {
  table
      .Add<gv1::WhoAmIRequest>(kGateway, "WhoAmI", [](const Target&, const std::string&, auto&) {})
      .Add<gv1::GetCustomer360Request>(kGateway, "GetCustomer360",
                                       [](const Target& t, const std::string&, auto& r) {
                                         r.set_account_id(t.account_id);
                                       });
}

}  // namespace

Target MissingTarget(const Target& target) {
  Target missing = target;
  missing.account_id = kNowhere + 1;
  missing.contact_id = kNowhere + 2;
  missing.opportunity_id = kNowhere + 3;
  missing.contract_id = kNowhere + 4;
  missing.visit_plan_id = kNowhere + 5;
  missing.complaint_id = kNowhere + 6;
  missing.department = "xo-no-such-department";
  missing.review_id = "00000000-0000-4000-8000-000000000000";
  return missing;
}

const std::map<std::string, RequestBuilder>& CrossOwnerRequests() {
  static const auto* const requests = [] {
    Table table;
    AddAccountArchive(table);
    AddAccountCredit(table);
    AddAccountEngagement(table);
    AddAccountPipeline(table);
    AddAccountCommerce(table);
    AddComplaints(table);
    AddAnalytics(table);
    AddGateway(table);
    return new std::map<std::string, RequestBuilder>(table.Take());
  }();
  return *requests;
}

std::vector<const google::protobuf::MethodDescriptor*> PublicMethods() {
  std::vector<const google::protobuf::MethodDescriptor*> methods;
  for (const char* name : kServices) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    if (service == nullptr) continue;  // the caller's count check names what is missing
    for (int i = 0; i < service->method_count(); ++i) methods.push_back(service->method(i));
  }
  return methods;
}


std::unique_ptr<Message> NewRequest(const google::protobuf::MethodDescriptor& method) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(method.input_type())->New());
}


}  // namespace kam::reliability
