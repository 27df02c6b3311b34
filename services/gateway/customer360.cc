#include "services/gateway/customer360.h"

#include <grpcpp/alarm.h>
#include <grpcpp/client_context.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "kam/complaints/v1/complaints.grpc.pb.h"
#include "services/common/identity.h"
#include "services/common/log.h"
#include "services/common/serving_queues.h"
#include "services/common/status.h"

// The 360 view fans out to seven backend calls at once on the asynchronous API (no thread ever
// waits; each call and the deadline's alarm complete on the caller's queue) and gathers them
// in one Assembly. Each call owns its objects and keeps the Assembly alive until its answer
// has been handed over, so a call that answers after `done` writes only into its own objects
// and is dropped; the response is touched only under the Assembly's lock and never after
// `done`. The calls that are running when the view is answered are cancelled.
namespace kam::gateway {

namespace accounts_v1 = kam::accounts::v1;
namespace complaints_v1 = kam::complaints::v1;
namespace analytics_v1 = kam::analytics::v1;

struct Customer360::Stubs {
  std::unique_ptr<accounts_v1::AccountService::Stub> accounts;
  std::unique_ptr<complaints_v1::ComplaintService::Stub> complaints;
  std::unique_ptr<analytics_v1::AnalyticsService::Stub> analytics;
};

namespace {

constexpr char kGetAccount[] = "/kam.accounts.v1.AccountService/GetAccount";
constexpr char kGetGroupTree[] = "/kam.accounts.v1.AccountService/GetGroupTree";
constexpr char kListContacts[] = "/kam.accounts.v1.AccountService/ListContacts";
constexpr char kListOpportunities[] = "/kam.accounts.v1.AccountService/ListOpportunities";
constexpr char kGetPipelineSummary[] = "/kam.accounts.v1.AccountService/GetPipelineSummary";
constexpr char kListComplaints[] = "/kam.complaints.v1.ComplaintService/ListComplaints";
constexpr char kGetAccountStanding[] = "/kam.analytics.v1.AnalyticsService/GetAccountStanding";

constexpr int kSectionRows = 100;

// Backend calls end this much before the caller's deadline (a tenth of the time left, 5-50
// ms), so that their failures are gathered and the answer is sent before the caller gives up.
std::chrono::system_clock::time_point BackendDeadline(
    std::chrono::system_clock::time_point deadline, std::chrono::system_clock::time_point now) {
  using std::chrono::milliseconds;
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - now);
  const milliseconds margin = std::clamp(left / 10, milliseconds(5), milliseconds(50));
  return deadline - margin;
}

// A reason for a missing section that is safe to show: fixed text per code, never the
// upstream message (a transport error can name an internal address).
std::string SafeReason(grpc::StatusCode code, std::string_view service) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
      return absl::StrCat("the ", std::string(service), " service is unavailable");
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::StrCat("the ", std::string(service), " service did not answer in time");
    case grpc::StatusCode::PERMISSION_DENIED:
      return "your role may not see this section";
    case grpc::StatusCode::NOT_FOUND:
      return absl::StrCat("the ", std::string(service), " service has nothing for this account");
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return absl::StrCat("the ", std::string(service), " service is busy");
    case grpc::StatusCode::CANCELLED:
      return "the call was cancelled";
    default:
      return absl::StrCat("the ", std::string(service), " service failed to answer");
  }
}

std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// The account section's refusals end the whole call with the account's own answer.
bool EndsTheView(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
         status.error_code() == grpc::StatusCode::NOT_FOUND;
}

// What the sections of one Fetch share.
class Assembly : public std::enable_shared_from_this<Assembly> {
 public:
  Assembly(const Caller& caller, const std::string& identity_key, const GrpcClientMetrics& metrics,
           std::chrono::system_clock::time_point deadline, v1::GetCustomer360Response* response,
           grpc::CompletionQueue* queue, std::function<void(absl::Status)> done)
      : caller_(caller),
        identity_key_(identity_key),
        metrics_(metrics),
        backend_deadline_(BackendDeadline(deadline, std::chrono::system_clock::now())),
        response_(response),
        queue_(queue),
        done_(std::move(done)) {}

  // Starts a call of `method` with `launch` (the stub's Async method); `fill` moves its
  // response into the view (under the lock, before `done` only). `request` is set by `setup`.
  template <typename Request, typename Response, typename Launch, typename Setup, typename Fill>
  void Start(v1::Customer360Section section, const char* method, std::string_view service,
             Launch launch, Setup setup, Fill fill) {
    auto* call = new BackendCall<Request, Response>(shared_from_this(), metrics_, method, section,
                                                    service, std::move(fill));
    Prepare(call->context, method);
    setup(call->request);
    std::lock_guard<std::mutex> lock(mutex_);
    ++pending_;
    ++open_calls_[section];
    service_of_[section] = service;
    running_.insert(&call->context);
    call->reader = launch(&call->context, call->request, queue_);
    call->reader->Finish(&call->response, &call->status, AsTag(call));
  }

  // The caller left: answer CANCELLED now (nothing once answered).
  void Cancel() {
    std::unique_lock<std::mutex> lock(mutex_);
    Finish(lock, absl::CancelledError("cancelled"));
  }

  // A section the policy denies the caller: named without calling.
  void Deny(v1::Customer360Section section) {
    std::lock_guard<std::mutex> lock(mutex_);
    // The account's answer may already have ended the view (and freed the response).
    if (finished_) return;
    AddMissing(section, grpc::StatusCode::PERMISSION_DENIED, "");
  }

  // Arms the deadline (answer with what arrived) once every section is started; answers at
  // once when none was.
  void Launched(std::chrono::system_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (finished_) return;
    launched_ = true;
    if (pending_ == 0) {
      Finish(lock, absl::OkStatus());
      return;
    }
    // Past the backends' deadline (they should all have answered), before the caller's.
    const auto answer_by = backend_deadline_ + (deadline - backend_deadline_) / 2;
    alarm_.Set(queue_, answer_by, AsTag(new Expiry(shared_from_this())));
  }

 private:
  // One backend call and everything it owns; its own completion tag, deleted once its answer
  // (or cancellation) has been handed to the Assembly.
  template <typename Request, typename Response>
  class BackendCall final : public QueueTag {
   public:
    BackendCall(std::shared_ptr<Assembly> assembly, const GrpcClientMetrics& metrics,
                const char* method, v1::Customer360Section section, std::string_view service,
                std::function<void(Response&)> fill)
        : observation(metrics, method),
          assembly_(std::move(assembly)),
          section_(section),
          service_(service),
          fill_(std::move(fill)) {}

    void OnCompleted(bool) override {
      observation.Finish(status);
      assembly_->Finished(&context, section_, service_, status, [this] { fill_(response); });
      delete this;
    }

    grpc::ClientContext context;
    Request request;
    Response response;
    grpc::Status status;
    ClientCallObservation observation;
    std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader;

   private:
    std::shared_ptr<Assembly> assembly_;
    v1::Customer360Section section_;
    std::string_view service_;
    std::function<void(Response&)> fill_;
  };

  // The alarm's tag: answers with what arrived when it fires (not when cancelled), and keeps
  // the Assembly, which owns the alarm, alive until then.
  class Expiry final : public QueueTag {
   public:
    explicit Expiry(std::shared_ptr<Assembly> assembly) : assembly_(std::move(assembly)) {}
    void OnCompleted(bool fired) override {
      if (fired) {
        std::unique_lock<std::mutex> lock(assembly_->mutex_);
        assembly_->Finish(lock, absl::OkStatus());
      }
      delete this;
    }

   private:
    std::shared_ptr<Assembly> assembly_;
  };

  void Prepare(grpc::ClientContext& context, const char* method) {
    context.set_deadline(backend_deadline_);
    const SignedIdentity identity =
        SignIdentity(caller_.principal, method, identity_key_, absl::FromChrono(backend_deadline_));
    context.AddMetadata(kIdentityHeader, identity.payload);
    context.AddMetadata(kIdentitySignatureHeader, identity.signature);
    context.AddMetadata(kRequestIdHeader, caller_.request_id);
  }

  template <typename FillNow>
  void Finished(grpc::ClientContext* context, v1::Customer360Section section,
                std::string_view service, const grpc::Status& status, const FillNow& fill) {
    std::unique_lock<std::mutex> lock(mutex_);
    --pending_;
    --open_calls_[section];
    running_.erase(context);
    if (finished_) return;
    if (status.ok()) {
      fill();
    } else if (section == v1::CUSTOMER360_SECTION_ACCOUNT && EndsTheView(status)) {
      Finish(lock, absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                                status.error_message()));
      return;
    } else {
      LogWarn("customer 360 section failed", {{"request_id", caller_.request_id},
                                              {"section", v1::Customer360Section_Name(section)},
                                              {"code", CodeName(status.error_code())},
                                              {"detail", status.error_message()}});
      AddMissing(section, status.error_code(), service);
    }
    if (pending_ == 0 && launched_) Finish(lock, absl::OkStatus());
  }

  // Once per section, however many of its calls failed.
  void AddMissing(v1::Customer360Section section, grpc::StatusCode code, std::string_view service) {
    for (const v1::MissingSection& missing : response_->missing()) {
      if (missing.section() == section) return;
    }
    v1::MissingSection* missing = response_->add_missing();
    missing->set_section(section);
    missing->set_code(CodeName(code));
    missing->set_reason(SafeReason(code, service));
  }

  // A missing section shows nothing, not half of what it would have.
  void ClearMissing() {
    for (const v1::MissingSection& missing : response_->missing()) {
      switch (missing.section()) {
        case v1::CUSTOMER360_SECTION_ACCOUNT:
          response_->clear_account();
          break;
        case v1::CUSTOMER360_SECTION_GROUP_PATH:
          response_->clear_group_path();
          break;
        case v1::CUSTOMER360_SECTION_CONTACTS:
          response_->clear_contacts();
          response_->clear_contacts_truncated();
          break;
        case v1::CUSTOMER360_SECTION_OPPORTUNITIES:
          response_->clear_open_opportunities();
          response_->clear_opportunities_truncated();
          response_->clear_pipeline();
          break;
        case v1::CUSTOMER360_SECTION_COMPLAINTS:
          response_->clear_open_complaints();
          response_->clear_complaints_truncated();
          break;
        case v1::CUSTOMER360_SECTION_ANALYTICS:
          response_->clear_standing();
          break;
        default:
          break;
      }
    }
  }

  // Answers once: the calls still running are cancelled (their completions come later on the
  // queue and wait for the lock, so the contexts stay valid here) and their answers dropped.
  void Finish(std::unique_lock<std::mutex>& lock, absl::Status status) {
    if (finished_) return;
    finished_ = true;
    if (status.ok()) {
      // Sections still waiting at the deadline are named too, not silently empty.
      for (const auto& [section, open] : open_calls_) {
        if (open > 0)
          AddMissing(section, grpc::StatusCode::DEADLINE_EXCEEDED, service_of_[section]);
      }
      ClearMissing();
      std::sort(response_->mutable_missing()->begin(), response_->mutable_missing()->end(),
                [](const v1::MissingSection& a, const v1::MissingSection& b) {
                  return a.section() < b.section();
                });
    } else {
      const std::string request_id = response_->request_id();
      response_->Clear();
      response_->set_request_id(request_id);
    }
    for (grpc::ClientContext* context : running_) context->TryCancel();
    lock.unlock();
    alarm_.Cancel();
    done_(std::move(status));
  }

  const Caller caller_;
  const std::string& identity_key_;
  const GrpcClientMetrics& metrics_;
  const std::chrono::system_clock::time_point backend_deadline_;
  v1::GetCustomer360Response* const response_;
  grpc::CompletionQueue* const queue_;
  std::function<void(absl::Status)> done_;

  std::mutex mutex_;
  int pending_ = 0;
  std::map<v1::Customer360Section, int> open_calls_;  // by section, still running
  std::map<v1::Customer360Section, std::string_view> service_of_;
  bool launched_ = false;
  bool finished_ = false;
  std::set<grpc::ClientContext*> running_;  // owned by their BackendCalls
  grpc::Alarm alarm_;
};

}  // namespace

// ---- Customer360 ----

Customer360::Customer360(Customer360Backends backends, const Policy* policy,
                         std::string identity_key, const GrpcClientMetrics* client_metrics)
    : backends_(std::move(backends)),
      stubs_(std::make_unique<const Stubs>(
          Stubs{accounts_v1::AccountService::NewStub(backends_.accounts),
                complaints_v1::ComplaintService::NewStub(backends_.complaints),
                analytics_v1::AnalyticsService::NewStub(backends_.analytics)})),
      policy_(*policy),
      identity_key_(std::move(identity_key)),
      client_metrics_(*client_metrics) {}

Customer360::~Customer360() = default;

std::function<void()> Customer360::Fetch(const Caller& caller, int64_t account_id,
                        std::chrono::system_clock::time_point deadline,
                        v1::GetCustomer360Response* response, grpc::CompletionQueue* queue,
                        std::function<void(absl::Status)> done) {
  if (account_id <= 0) {
    done(InvalidField("account_id", "must be a positive account id"));
    return [] {};
  }
  // The view is the account's: a caller who may not read the account sees nothing.
  if (absl::Status allowed = policy_.Check(kGetAccount, caller.principal); !allowed.ok()) {
    done(allowed);
    return [] {};
  }
  auto assembly = std::make_shared<Assembly>(caller, identity_key_, client_metrics_, deadline,
                                             response, queue, std::move(done));
  const Principal& who = caller.principal;
  auto allowed = [&](const char* method) { return policy_.Check(method, who).ok(); };
  accounts_v1::AccountService::Stub* accounts = stubs_->accounts.get();

  assembly->Start<accounts_v1::GetAccountRequest, accounts_v1::GetAccountResponse>(
      v1::CUSTOMER360_SECTION_ACCOUNT, kGetAccount, "accounts",
      [accounts](auto... args) { return accounts->AsyncGetAccount(args...); },
      [account_id](auto& request) { request.set_account_id(account_id); },
      [response](auto& answer) {
        *response->mutable_account() = std::move(*answer.mutable_account());
      });

  if (allowed(kGetGroupTree)) {
    assembly->Start<accounts_v1::GetGroupTreeRequest, accounts_v1::GetGroupTreeResponse>(
        v1::CUSTOMER360_SECTION_GROUP_PATH, kGetGroupTree, "accounts",
        [accounts](auto... args) { return accounts->AsyncGetGroupTree(args...); },
        [account_id](auto& request) {
          request.set_account_id(account_id);
          request.set_max_depth(1);
          request.set_include_ancestors(true);
        },
        [response](auto& answer) {
          for (accounts_v1::GroupNode& node : *answer.mutable_nodes()) {
            if (node.depth() < 0) *response->add_group_path() = std::move(node);
          }
        });
  } else {
    assembly->Deny(v1::CUSTOMER360_SECTION_GROUP_PATH);
  }

  // Contacts come masked for handler and analyst callers: accounts applies that rule
  // (RedactContact) to every way of reading a contact.
  if (allowed(kListContacts)) {
    assembly->Start<accounts_v1::ListContactsRequest, accounts_v1::ListContactsResponse>(
        v1::CUSTOMER360_SECTION_CONTACTS, kListContacts, "accounts",
        [accounts](auto... args) { return accounts->AsyncListContacts(args...); },
        [account_id](auto& request) {
          request.set_account_id(account_id);
          request.set_page_size(kSectionRows);
        },
        [response](auto& answer) {
          for (accounts_v1::Contact& contact : *answer.mutable_contacts()) {
            *response->add_contacts() = std::move(contact);
          }
          response->set_contacts_truncated(!answer.next_page_token().empty());
        });
  } else {
    assembly->Deny(v1::CUSTOMER360_SECTION_CONTACTS);
  }

  if (allowed(kListOpportunities) && allowed(kGetPipelineSummary)) {
    assembly->Start<accounts_v1::ListOpportunitiesRequest, accounts_v1::ListOpportunitiesResponse>(
        v1::CUSTOMER360_SECTION_OPPORTUNITIES, kListOpportunities, "accounts",
        [accounts](auto... args) { return accounts->AsyncListOpportunities(args...); },
        [account_id](auto& request) {
          request.set_account_id(account_id);
          request.set_open_only(true);
          request.set_page_size(kSectionRows);
        },
        [response](auto& answer) {
          for (accounts_v1::Opportunity& opportunity : *answer.mutable_opportunities()) {
            *response->add_open_opportunities() = std::move(opportunity);
          }
          response->set_opportunities_truncated(!answer.next_page_token().empty());
        });
    assembly
        ->Start<accounts_v1::GetPipelineSummaryRequest, accounts_v1::GetPipelineSummaryResponse>(
            v1::CUSTOMER360_SECTION_OPPORTUNITIES, kGetPipelineSummary, "accounts",
            [accounts](auto... args) { return accounts->AsyncGetPipelineSummary(args...); },
            [account_id](auto& request) { request.set_account_id(account_id); },
            [response](auto& answer) { *response->mutable_pipeline() = std::move(answer); });
  } else {
    assembly->Deny(v1::CUSTOMER360_SECTION_OPPORTUNITIES);
  }

  if (allowed(kListComplaints)) {
    complaints_v1::ComplaintService::Stub* complaints = stubs_->complaints.get();
    assembly->Start<complaints_v1::ListComplaintsRequest, complaints_v1::ListComplaintsResponse>(
        v1::CUSTOMER360_SECTION_COMPLAINTS, kListComplaints, "complaints",
        [complaints](auto... args) { return complaints->AsyncListComplaints(args...); },
        [account_id](auto& request) {
          request.set_account_id(account_id);
          request.set_page_size(kSectionRows);
          for (int state = complaints_v1::STATE_RECORDED; state < complaints_v1::STATE_CLOSED;
               ++state) {
            request.add_states(static_cast<complaints_v1::State>(state));
          }
        },
        [response](auto& answer) {
          for (complaints_v1::Complaint& complaint : *answer.mutable_complaints()) {
            *response->add_open_complaints() = std::move(complaint);
          }
          response->set_complaints_truncated(!answer.next_page_token().empty());
        });
  } else {
    assembly->Deny(v1::CUSTOMER360_SECTION_COMPLAINTS);
  }

  if (allowed(kGetAccountStanding)) {
    analytics_v1::AnalyticsService::Stub* analytics = stubs_->analytics.get();
    assembly
        ->Start<analytics_v1::GetAccountStandingRequest, analytics_v1::GetAccountStandingResponse>(
            v1::CUSTOMER360_SECTION_ANALYTICS, kGetAccountStanding, "analytics",
            [analytics](auto... args) { return analytics->AsyncGetAccountStanding(args...); },
            [account_id](auto& request) { request.set_account_id(account_id); },
            [response](auto& answer) { *response->mutable_standing() = std::move(answer); });
  } else {
    assembly->Deny(v1::CUSTOMER360_SECTION_ANALYTICS);
  }

  assembly->Launched(deadline);
  return [weak = std::weak_ptr<Assembly>(assembly)] {
    if (std::shared_ptr<Assembly> assembly = weak.lock()) assembly->Cancel();
  };
}

}  // namespace kam::gateway
