// Until the demo fixture (demo_stack.cc) lands: a plain KamStack for this binary.
#include "tests/e2e/kam_stack.h"

[[maybe_unused]] ::testing::Environment* const kTourStack =
    ::testing::AddGlobalTestEnvironment(new kam::e2e::KamStack);
