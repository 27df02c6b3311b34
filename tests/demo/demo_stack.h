#pragma once

// The running suite (KamStack) with the demo company loaded once by kam-demo, for every test
// of the demo_test binary (demo_test.cc, and the guided tour's tests). Registered as a gtest
// Environment after KamStack, so it loads after the stack is up.

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "absl/time/civil_time.h"

#include "tests/e2e/e2e_client.h"
#include "tests/e2e/kam_stack.h"
#include "tools/demo/plan.h"

namespace kam::demo {

class DemoStack : public ::testing::Environment {
 public:
  static DemoStack& Get();

  // The load day the tests pin (kam-demo --today): the same company on whatever day the tests
  // run, and the day docs/TOUR.md's outputs were written for. It lies in the past on purpose,
  // so every run takes the path a later run takes: visit plans and complaints are dated from
  // the real day (LiveDay in tools/demo/loader.h), everything else from this one.
  static constexpr char kLoadDay[] = "2026-11-16";
  static absl::CivilDay LoadDay();

  void SetUp() override;

  e2e::KamStack& stack() { return e2e::KamStack::Get(); }
  // The plan kam-demo loaded (the default seed).
  const Plan& plan() const { return plan_; }
  // A caller of the gateway as one of the plan's personas (docs/DEMO.md).
  e2e::Caller As(const std::string& subject) const;
  // The gateway's address and the environment kamctl/kam-demo need to mint tokens
  // (KAM_ADDR, KAM_JWT_SECRET_FILE, KAM_JWT_ISSUER, KAM_JWT_AUDIENCE).
  std::string gateway_address() const;
  std::map<std::string, std::string> ToolEnv() const;
  // Runs kam-demo with `args` (plus --addr and the token settings); its exit code and
  // output.
  struct Run {
    int exit_code = -1;
    std::string out;
    std::string err;
    double seconds = 0;
  };
  Run RunDemo(const std::vector<std::string>& args) const;
  // The first load's run.
  const Run& first_load() const { return first_load_; }

 private:
  Plan plan_;
  Run first_load_;
};

}  // namespace kam::demo
