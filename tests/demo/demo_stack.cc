#include "tests/demo/demo_stack.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/jwt.h"
#include "tests/support/process.h"

namespace kam::demo {
namespace {

DemoStack* g_demo = nullptr;

// KamStack first: gtest sets environments up in the order they were added.
[[maybe_unused]] ::testing::Environment* const kStack =
    ::testing::AddGlobalTestEnvironment(new e2e::KamStack);
[[maybe_unused]] ::testing::Environment* const kDemo =
    ::testing::AddGlobalTestEnvironment(g_demo = new DemoStack);

std::string DemoBinary() {
  const char* bin = std::getenv("KAM_DEMO_BIN");
  return bin != nullptr ? bin : "build/tools/demo/kam-demo";
}

}  // namespace

DemoStack& DemoStack::Get() { return *g_demo; }

absl::CivilDay DemoStack::LoadDay() {
  absl::CivilDay day;
  // kLoadDay is a constant of this file's header: it parses.
  (void)absl::ParseCivilTime(kLoadDay, &day);
  return day;
}

std::string DemoStack::gateway_address() const {
  return e2e::KamStack::Get().service("gateway").address();
}

std::map<std::string, std::string> DemoStack::ToolEnv() const {
  return {{"KAM_ADDR", gateway_address()},
          {"KAM_JWT_SECRET_FILE", e2e::KamStack::Get().jwt_secret_file()},
          {"KAM_JWT_ISSUER", e2e::KamStack::kIssuer},
          {"KAM_JWT_AUDIENCE", e2e::KamStack::kAudience}};
}

DemoStack::Run DemoStack::RunDemo(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {DemoBinary(), "--today", kLoadDay};
  for (const auto& [name, value] : ToolEnv()) {
    if (name == "KAM_ADDR") argv.insert(argv.end(), {"--addr", value});
    if (name == "KAM_JWT_SECRET_FILE") argv.insert(argv.end(), {"--secret-file", value});
    if (name == "KAM_JWT_ISSUER") argv.insert(argv.end(), {"--issuer", value});
    if (name == "KAM_JWT_AUDIENCE") argv.insert(argv.end(), {"--audience", value});
  }
  argv.insert(argv.end(), args.begin(), args.end());
  Run run;
  const absl::Time start = absl::Now();
  absl::StatusOr<test_support::CommandResult> result =
      test_support::RunCommand(argv, absl::Minutes(3));
  run.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!result.ok()) {
    run.err = result.status().ToString();
    return run;
  }
  run.exit_code = result->exit_code;
  run.out = result->out;
  run.err = result->err;
  return run;
}

void DemoStack::SetUp() {
  plan_ = MakePlan(kDefaultSeed);
  first_load_ = RunDemo({});
  std::cerr << first_load_.err << first_load_.out;
  ASSERT_EQ(first_load_.exit_code, 0)
      << "kam-demo failed:\n" << first_load_.err << "\n" << e2e::KamStack::Get().LogTails();
}

e2e::Caller DemoStack::As(const std::string& subject) const {
  const Persona& p = plan_.PersonaOf(subject);
  JwtMintOptions mint;
  mint.hs256_secret = e2e::KamStack::Get().jwt_secret();
  mint.issuer = e2e::KamStack::kIssuer;
  mint.audience = e2e::KamStack::kAudience;
  mint.issued_at = absl::Now() - absl::Seconds(5);
  const std::string token = MintJwt({p.subject, {p.role}, p.department}, mint);
  return e2e::Caller(gateway_address(), {{"authorization", "Bearer " + token}});
}

}  // namespace kam::demo
