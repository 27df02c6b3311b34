#include "tools/kamctl/app.h"

#include <openssl/rand.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "kam/gateway/v1/gateway.grpc.pb.h"
#include "services/common/digest.h"
#include "services/common/jwt.h"
#include "services/common/validation.h"
#include "tools/kamctl/accounts_commands.h"
#include "tools/kamctl/analytics_commands.h"
#include "tools/kamctl/audit_commands.h"
#include "tools/kamctl/catalog.h"
#include "tools/kamctl/client.h"
#include "tools/kamctl/commerce_commands.h"
#include "tools/kamctl/complaints_commands.h"
#include "tools/kamctl/completion.h"
#include "tools/kamctl/contacts_commands.h"
#include "tools/kamctl/credit_commands.h"
#include "tools/kamctl/engagement_commands.h"
#include "tools/kamctl/health_command.h"
#include "tools/kamctl/opps_commands.h"
#include "tools/kamctl/team_commands.h"

namespace kam::kamctl {
namespace {

constexpr char kFooter[] = R"(
Environment: KAM_ADDR, KAM_TOKEN, KAM_API_KEY (global options); KAM_JWT_SECRET_FILE,
KAM_JWT_ISSUER, KAM_JWT_AUDIENCE (kamctl token). Exit status: 0 ok, 1 the call failed, 2 usage
error.

  export KAM_TOKEN=$(kamctl token --subject alice --roles account_manager)
  kamctl token --subject bob --roles director --rs256-key jwt-rs256.key --kid dev-1
  kamctl apikey new --subject erp-feed --roles system   # key, then its API keys file entry
  kamctl accounts create --name "华东重工" --registration-number 91310000X --nature ordinary_company
  kamctl accounts list --tier A --all
  kamctl records add 12 --kind visit --at 2026-11-20T10:00:00Z --summary "..." --outcome effective
  kamctl opps move 7 --to bidding --etag v3
  kamctl complaints create --account 12 --channel phone --category product_quality \
      --severity high --manner angry --description "..."
  kamctl analytics abc --period 2026-Q3 --region "East China" --all
  kamctl analytics tier-review run --period 2026 --dry-run

Amounts are CNY with at most 2 decimals (1234.56); times are a day (2026-12-01, midnight UTC)
or RFC 3339 (2026-11-20T10:00:00+08:00). `kamctl <group> <command> --help` for the flags, the
roles that may run the command and the gRPC method it calls. Tab completion:
source <(kamctl completion bash).)";

void AddGlobalOptions(CLI::App& app, Options& options) {
  app.add_option("--addr", options.addr, "gateway address, host:port")
      ->envname("KAM_ADDR")
      ->capture_default_str();
  // No default capture: a token must never appear in help output.
  app.add_option("--token", options.token, "bearer token (mint one with kamctl token)")
      ->envname("KAM_TOKEN");
  app.add_option("--api-key", options.api_key, "static API key, used when there is no token")
      ->envname("KAM_API_KEY");
  app.add_flag("--json", options.json, "print responses as JSON");
  app.add_option("--timeout", options.timeout_seconds, "seconds to wait for each call")
      ->check(PositiveNumber())
      ->capture_default_str();
}

struct TokenFlags {
  std::string subject;
  std::vector<std::string> roles;
  std::string department;
  std::string ttl = "8h";
  std::string secret_file;
  std::string rs256_key_file;
  std::string kid;
  std::string issuer = "kam-dev";
  std::string audience = "kam-suite";
};

CLI::Validator RoleValidator() {
  return CLI::Validator(
      [](std::string& role) -> std::string {
        if (IsKnownRole(role)) return "";
        std::string known;
        for (std::string_view name : kRoles) known.append(known.empty() ? "" : ", ").append(name);
        return "unknown role \"" + role + "\", expected one of: " + known;
      },
      "ROLE");
}

CLI::Validator DurationValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        absl::Duration duration;
        if (absl::ParseDuration(text, &duration) && duration > absl::ZeroDuration()) return "";
        return "\"" + text + "\" is not a positive duration such as 8h or 30m";
      },
      "DURATION");
}

// The secret file's content without the trailing newline an editor or `echo` adds.
bool ReadSecret(const std::string& path, std::string* secret) {
  std::ifstream file(path);
  if (!file) return false;
  std::stringstream text;
  text << file.rdbuf();
  *secret = text.str();
  while (!secret->empty() && (secret->back() == '\n' || secret->back() == '\r')) {
    secret->pop_back();
  }
  return !secret->empty();
}

bool ReadWholeFile(const std::string& path, std::string* text) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  std::stringstream content;
  content << file.rdbuf();
  *text = content.str();
  return !text->empty();
}

// RS256 with the private key given; the kid names its public half on the gateway.
int RunRs256Token(const TokenFlags& flags, JwtMintOptions mint) {
  if (flags.kid.empty()) return UsageError("--kid is required with --rs256-key");
  if (!ReadWholeFile(flags.rs256_key_file, &mint.rs256_private_key_pem)) {
    return UsageError("--rs256-key " + flags.rs256_key_file + ": cannot be read or is empty");
  }
  mint.kid = flags.kid;
  absl::StatusOr<std::string> token =
      MintRs256Jwt({flags.subject, flags.roles, flags.department}, mint);
  if (!token.ok()) {
    return UsageError("--rs256-key " + flags.rs256_key_file + ": " +
                      std::string(token.status().message()));
  }
  std::cout << *token << '\n';
  return kExitOk;
}

int RunToken(const TokenFlags& flags) {
  JwtMintOptions mint;
  mint.issuer = flags.issuer;
  mint.audience = flags.audience;
  mint.issued_at = absl::Now();
  absl::ParseDuration(flags.ttl, &mint.ttl);  // checked by DurationValidator
  if (!flags.rs256_key_file.empty()) return RunRs256Token(flags, std::move(mint));
  if (flags.secret_file.empty())
    return UsageError("--secret-file (KAM_JWT_SECRET_FILE) is required");
  if (!ReadSecret(flags.secret_file, &mint.hs256_secret)) {
    return UsageError("--secret-file (KAM_JWT_SECRET_FILE) " + flags.secret_file +
                      ": cannot be read or is empty");
  }
  std::cout << MintJwt({flags.subject, flags.roles, flags.department}, mint) << '\n';
  return kExitOk;
}

void AddTokenCommand(CLI::App& app, Action* action) {
  CLI::App* command = app.add_subcommand(
      "token", "Mint a development token, HS256 or RS256 (prints only the token)");
  auto flags = std::make_shared<TokenFlags>();
  command->add_option("--subject", flags->subject, "user or machine id")->required();
  command->add_option("--roles", flags->roles, "comma-separated roles")
      ->required()
      ->delimiter(',')
      ->check(RoleValidator());
  command->add_option("--dept", flags->department, "handling department");
  command->add_option("--ttl", flags->ttl, "lifetime, e.g. 8h, 30m")
      ->check(DurationValidator())
      ->capture_default_str();
  command->add_option("--secret-file", flags->secret_file, "file holding the HS256 secret")
      ->envname("KAM_JWT_SECRET_FILE");
  command->add_option("--rs256-key", flags->rs256_key_file,
                      "RSA private key PEM: mint RS256 instead of HS256 (needs --kid)");
  command->add_option("--kid", flags->kid, "key id of --rs256-key on the gateway (<kid>.pem)");
  command->add_option("--issuer", flags->issuer, "iss claim")
      ->envname("KAM_JWT_ISSUER")
      ->capture_default_str();
  command->add_option("--audience", flags->audience, "aud claim")
      ->envname("KAM_JWT_AUDIENCE")
      ->capture_default_str();
  command->callback([action, flags] { *action = [flags] { return RunToken(*flags); }; });
}

struct ApiKeyFlags {
  std::string subject;
  std::vector<std::string> roles;
  std::string department;
};

// 32 random bytes: guessing one is as hard as guessing an AES-256 key.
std::string NewApiKey() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return "";
  return "kam_" +
         Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

int RunApiKeyNew(const ApiKeyFlags& flags) {
  if (!CheckToken("--subject", flags.subject, kMaxSubjectChars, true).ok()) {
    return UsageError("--subject must be 1-128 of [A-Za-z0-9._@:|+-]");
  }
  const std::string key = NewApiKey();
  if (key.empty()) {
    std::cerr << "error: no randomness available for a key\n";
    return kExitRpcError;
  }
  nlohmann::json entry = {
      {"sha256", Sha256Hex(key)}, {"subject", flags.subject}, {"roles", flags.roles}};
  if (!flags.department.empty()) entry["department"] = flags.department;
  // Line one: the key (shown only now); line two: the entry for the API keys file.
  std::cout << key << '\n' << entry.dump() << '\n';
  std::cerr << "Give the key (line 1) to the caller as x-api-key; add the entry (line 2) to the "
               "\"keys\" array of the gateway's API keys file. The key is not stored anywhere.\n";
  return kExitOk;
}

void AddApiKeyCommand(CLI::App& app, Action* action) {
  CLI::App* group = app.add_subcommand("apikey", "Static API keys for machine callers");
  group->require_subcommand(1);
  CLI::App* command =
      group->add_subcommand("new", "Make a random key and its API keys file entry (hash only)");
  auto flags = std::make_shared<ApiKeyFlags>();
  command->add_option("--subject", flags->subject, "machine caller id")->required();
  command->add_option("--roles", flags->roles, "comma-separated roles")
      ->required()
      ->delimiter(',')
      ->check(RoleValidator());
  command->add_option("--dept", flags->department, "department");
  command->callback([action, flags] { *action = [flags] { return RunApiKeyNew(*flags); }; });
}

int RunWhoAmI(const Options& options) {
  auto stub = kam::gateway::v1::GatewayService::NewStub(Connect(options));
  grpc::ClientContext context;
  PrepareCall(options, &context);
  kam::gateway::v1::WhoAmIResponse response;
  const grpc::Status status = stub->WhoAmI(&context, {}, &response);
  return Show(options, status, response, [](const auto& r) {
    PrintFields({{"subject", r.subject()},
                 {"roles", absl::StrJoin(r.roles(), ", ")},
                 {"department", r.department()},
                 {"request id", r.request_id()}});
  });
}

void AddWhoAmICommand(CLI::App& app, const Options& options, Action* action) {
  CLI::App* command = app.add_subcommand("whoami", "Show who the gateway takes you to be");
  command->callback([&options, action] { *action = [&options] { return RunWhoAmI(options); }; });
}

}  // namespace

int Run(int argc, const char* const* argv, std::shared_ptr<grpc::Channel> channel) {
  CLI::App app("kamctl: command-line client for the KAM Suite gateway", "kamctl");
  app.require_subcommand(1);
  // Lets global options follow the subcommand: kamctl accounts list --json.
  app.fallthrough();
  Options options;
  options.channel = std::move(channel);
  Action action;
  AddGlobalOptions(app, options);
  AddTokenCommand(app, &action);
  AddApiKeyCommand(app, &action);
  AddWhoAmICommand(app, options, &action);
  AddHealthCommand(app, options, &action);
  AddAccountCommands(app, options, &action);
  AddTeamCommands(app, options, &action);
  AddContactCommands(app, options, &action);
  AddRecordCommands(app, options, &action);
  AddVisitCommands(app, options, &action);
  AddOpportunityCommands(app, options, &action);
  AddContractCommands(app, options, &action);
  AddOrderCommands(app, options, &action);
  AddPaymentCommands(app, options, &action);
  AddCreditCommands(app, options, &action);
  AddComplaintCommands(app, options, &action);
  AddDepartmentCommands(app, options, &action);
  AddAnalyticsCommands(app, options, &action);
  AddAuditCommands(app, options, &action);
  AddEventCommands(app, options, &action);
  AddCompletionCommand(app, &action);
  AddRolesToHelp(app);
  app.footer(kFooter);  // after the subcommands, which would otherwise repeat it
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "error: " + std::string(e.what()) + "\nrun with --help for usage\n";
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  return action();
}

}  // namespace kam::kamctl
