#include "services/common/status.h"

#include <gtest/gtest.h>

namespace kam {
namespace {

TEST(ToGrpcStatus, KeepsCodeAndMessageForClientErrors) {
  const grpc::Status status = ToGrpcStatus(absl::InvalidArgumentError("account.name: required"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "account.name: required");
}

TEST(ToGrpcStatus, MapsEveryAbslCodeToTheSameGrpcCode) {
  // absl and gRPC share code numbers; the mapping must not shift any of them.
  for (int code = 1; code <= 16; ++code) {
    const auto absl_code = static_cast<absl::StatusCode>(code);
    if (absl_code == absl::StatusCode::kInternal || absl_code == absl::StatusCode::kUnknown ||
        absl_code == absl::StatusCode::kDataLoss) {
      continue;
    }
    EXPECT_EQ(static_cast<int>(ToGrpcStatus(absl::Status(absl_code, "x")).error_code()), code);
  }
}

TEST(ToGrpcStatus, HidesInternalDetails) {
  for (const absl::Status& internal :
       {absl::InternalError("sql error 1064 near 'SELECT * FROM accounts'"),
        absl::UnknownError("stack: frame 0"), absl::DataLossError("ibdata1 corrupt")}) {
    const grpc::Status status = ToGrpcStatus(internal);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
    EXPECT_EQ(status.error_message(), "internal error");
  }
}

TEST(ToGrpcStatus, OkIsOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

TEST(GrpcCodeName, UsesCamelCaseNamesOfGoGrpcPrometheus) {
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::NOT_FOUND), "NotFound");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::PERMISSION_DENIED), "PermissionDenied");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::DEADLINE_EXCEEDED), "DeadlineExceeded");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::CANCELLED), "Canceled");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::UNAUTHENTICATED), "Unauthenticated");
}

TEST(InvalidField, NamesTheFieldFirst) {
  const absl::Status status = InvalidField("contact.email", "not an e-mail address");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "contact.email: not an e-mail address");
}

}  // namespace
}  // namespace kam
