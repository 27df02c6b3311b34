// The client kit as an integrating team uses it: installed to a prefix, an outside C++
// project built against it with find_package(KamClient), Python stubs generated from the
// installed protos, and the list_accounts examples run against the running suite.
#include <cstdlib>
#include <filesystem>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/support/process.h"

namespace kam::e2e {
namespace {

using test_support::CommandResult;
using test_support::RunCommand;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// Runs a step of the kit's set-up; any failure names the command and shows its output.
absl::Status Step(const std::vector<std::string>& argv) {
  absl::StatusOr<CommandResult> result = RunCommand(argv, absl::Minutes(5));
  if (!result.ok()) return result.status();
  if (result->exit_code == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(absl::StrJoin(argv, " "), " exited with ",
                                          result->exit_code, "\n", result->out, result->err));
}

// What a user of the kit has after following docs/CLIENTS.md.
struct Kit {
  std::string cpp_example;  // the built list_accounts
  std::string python_path;  // PYTHONPATH holding the generated kam/ packages
  std::string go_example;   // the built Go list_accounts, when Go is installed
};

// Go is optional (docs/CLIENTS.md): CMake passes KAM_GO only when it found `go`, and Debian's
// golang-google-grpc-dev sources are then built in GOPATH mode, offline.
bool HaveGo() { return !Env("KAM_GO").empty(); }

absl::Status BuildGoExample(const std::string& dir, const std::string& proto_dir) {
  const std::string gopath = dir + "/go";
  const std::string program = gopath + "/src/kam.example/list_accounts";
  std::error_code error;
  std::filesystem::create_directories(program, error);
  std::filesystem::copy_file(Env("KAM_SOURCE_DIR") + "/examples/go/list_accounts/main.go",
                             program + "/main.go", error);
  if (error) return absl::InternalError("copying main.go: " + error.message());
  absl::Status status = Step({Env("KAM_SOURCE_DIR") + "/clients/go/generate.sh",
                              gopath + "/src/kam.example/client", "kam.example/client",
                              proto_dir});
  if (!status.ok()) return status;
  return Step({"env", "GO111MODULE=off", "GOPATH=" + gopath + ":/usr/share/gocode",
               "GOCACHE=" + Env("KAM_GO_CACHE"), "GOFLAGS=", Env("KAM_GO"), "build", "-o",
               gopath + "/list_accounts", program});
}

// Installs the kit to a scratch prefix under the build tree (a fixed path, so ccache can
// reuse the example's object file from the last run), builds the C++ example against it
// and generates the Python stubs from the installed protos.
absl::StatusOr<Kit> BuildKit() {
  const std::string dir = Env("KAM_KIT_DIR");
  const std::string cmake = Env("KAM_CMAKE");
  if (dir.empty() || cmake.empty()) {
    return absl::FailedPreconditionError("KAM_KIT_DIR/KAM_CMAKE unset; run with ctest -L client");
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  const std::string prefix = dir + "/prefix";
  const std::string build = dir + "/list_accounts";
  absl::Status status = Step(
      {cmake, "--install", Env("KAM_BUILD_DIR"), "--prefix", prefix, "--component", "kam_client"});
  // A fresh project that knows the prefix and nothing else of this source tree.
  std::vector<std::string> configure = {
      cmake, "-S", Env("KAM_SOURCE_DIR") + "/examples/cpp/list_accounts", "-B", build,
      "-G", Env("KAM_CMAKE_GENERATOR"), "-DCMAKE_MAKE_PROGRAM=" + Env("KAM_CMAKE_MAKE_PROGRAM"),
      "-DCMAKE_PREFIX_PATH=" + prefix, "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF"};
  if (!Env("KAM_CCACHE").empty()) {
    configure.push_back("-DCMAKE_CXX_COMPILER_LAUNCHER=" + Env("KAM_CCACHE"));
  }
  if (status.ok()) status = Step(configure);
  if (status.ok()) status = Step({cmake, "--build", build});
  if (status.ok()) {
    status = Step({Env("KAM_SOURCE_DIR") + "/clients/python/generate.sh", dir + "/python",
                   prefix + "/share/kam/protos"});
  }
  if (status.ok() && HaveGo()) status = BuildGoExample(dir, prefix + "/share/kam/protos");
  if (!status.ok()) return status;
  return Kit{build + "/list_accounts", dir + "/python", dir + "/go/list_accounts"};
}

const absl::StatusOr<Kit>& TheKit() {
  static const absl::StatusOr<Kit>* const kit = new absl::StatusOr<Kit>(BuildKit());
  return *kit;
}

enum class Language { kCpp, kPython, kGo };
const char* Name(Language language) {
  switch (language) {
    case Language::kCpp:
      return "Cpp";
    case Language::kPython:
      return "Python";
    case Language::kGo:
      return "Go";
  }
  return "?";
}
void PrintTo(Language language, std::ostream* out) { *out << Name(language); }

std::vector<Language> Languages() {
  std::vector<Language> languages = {Language::kCpp, Language::kPython};
  if (HaveGo()) languages.push_back(Language::kGo);
  return languages;
}

// One run of an example with the given credentials ("KAM_TOKEN=..." or "KAM_API_KEY=...")
// against the suite's gateway; the environment's own KAM_* settings do not leak in.

CommandResult RunExample(Language language, const std::string& credential,
                         const std::vector<std::string>& args) {
  const Kit& kit = *TheKit();
  std::vector<std::string> argv = {"env", "-u", "KAM_TOKEN", "-u", "KAM_API_KEY",
                                   "KAM_ADDR=" + KamStack::Get().service("gateway").address(),
                                   credential};
  switch (language) {
    case Language::kCpp:
      argv.push_back(kit.cpp_example);
      break;
    case Language::kPython:
      argv.insert(argv.end(), {"PYTHONPATH=" + kit.python_path, Env("KAM_PYTHON"),
                               Env("KAM_SOURCE_DIR") + "/examples/python/list_accounts.py"});
      break;
    case Language::kGo:
      argv.push_back(kit.go_example);
      break;
  }
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> result = RunCommand(argv);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : CommandResult{};
}

// The line each example prints for an account: id, name, owner, tier.
std::string Line(const v1::Account& account) {
  return absl::StrCat(account.id(), "\t", account.name(), "\t", account.owner_id(), "\t",
                      v1::Tier_Name(account.tier()), "\n");
}

class ClientKitTest : public E2eTest, public ::testing::WithParamInterface<Language> {
 protected:
  void SetUp() override { ASSERT_TRUE(TheKit().ok()) << TheKit().status(); }

  // The test's accounts: two of alice's (one with a Chinese name, as most are) and one of
  // bob's, in the order they were created.
  std::vector<v1::Account> CreateAccounts() {
    std::vector<v1::Account> created;
    for (const auto& [owner, label] : std::vector<std::pair<std::string, std::string>>{
             {"alice", "first"}, {"alice", "华东精密机械"}, {"bob", "other"}}) {
      v1::Account account;
      const grpc::Status status = Create(As(owner, {"account_manager"}), Draft(label), &account);
      EXPECT_TRUE(status.ok()) << status.error_message();
      created.push_back(account);
    }
    return created;
  }
};

TEST_P(ClientKitTest, ListsTheAccountsTheCallerMaySee) {
  const std::vector<v1::Account> accounts = CreateAccounts();
  ASSERT_EQ(accounts.size(), 3u);

  const CommandResult alice = RunExample(
      GetParam(), "KAM_TOKEN=" + Token("alice", {"account_manager"}), {"--name-prefix", Prefix()});
  EXPECT_EQ(alice.exit_code, 0) << alice.err;
  EXPECT_EQ(alice.out, Line(accounts[0]) + Line(accounts[1])) << "alice sees her own two";

  // A machine caller with the gateway's static API key sees every account.
  const CommandResult erp = RunExample(GetParam(), "KAM_API_KEY=" + KamStack::Get().api_key(),
                                       {"--name-prefix", Prefix()});
  EXPECT_EQ(erp.exit_code, 0) << erp.err;
  EXPECT_EQ(erp.out, Line(accounts[0]) + Line(accounts[1]) + Line(accounts[2]));
}

TEST_P(ClientKitTest, ABadTokenIsAnUnauthenticatedErrorAndExitCodeOne) {
  const CommandResult result = RunExample(GetParam(), "KAM_TOKEN=not-a-token", {});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "") << "no accounts for an unauthenticated caller";
  // The gateway's reason ("token malformed") after the code, the same in every language.
  EXPECT_THAT(result.err, ::testing::StartsWith("error: UNAUTHENTICATED: token"));
}

INSTANTIATE_TEST_SUITE_P(Examples, ClientKitTest, ::testing::ValuesIn(Languages()),
                         [](const ::testing::TestParamInfo<Language>& info) {
                           return std::string(Name(info.param));
                         });

}  // namespace
}  // namespace kam::e2e
