#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/mariadb_server.h"
#include "tests/support/process.h"

namespace kam::e2e {

// A fresh 2048-bit RSA key pair as PEM: "BEGIN PRIVATE KEY" (PKCS#8) and "BEGIN PUBLIC KEY".
struct RsaKeyPair {
  std::string private_pem;
  std::string public_pem;
};
RsaKeyPair GenerateRsaKeyPair();

// Lowercase hex SHA-256, as the gateway's API keys file stores keys.
std::string Sha256Hex(const std::string& data);

// One service process of the suite and where to reach it.
struct ServiceProcess {
  std::string name;    // "accounts", ...
  std::string schema;  // kam_<name> for the services that own one, "" for the gateway
  int grpc_port = 0;
  int metrics_port = 0;
  std::string log_path;
  std::unique_ptr<test_support::ChildProcess> process;

  std::string address() const;
};

// The whole KAM Suite for one test binary: a private MariaDB and the four service
// processes (accounts, complaints, analytics, gateway), started once before the first test
// and shut down with SIGTERM after the last, which must end each one with exit code 0.
class KamStack : public ::testing::Environment {
 public:
  static constexpr absl::Duration kDrainGrace = absl::Seconds(5);

  // The one stack of this binary; valid while tests run.
  static KamStack& Get();

  void SetUp() override;
  void TearDown() override;

  test_support::MariaDbServer& db() { return *db_; }
  const ServiceProcess& service(const std::string& name) const;
  // accounts, complaints and analytics: the services whose readiness follows the database.
  std::vector<const ServiceProcess*> DatabaseServices() const;
  const std::vector<ServiceProcess>& services() const { return services_; }

  const std::string& jwt_secret() const { return jwt_secret_; }
  const std::string& jwt_secret_file() const { return jwt_secret_file_; }
  const std::string& identity_key() const { return identity_key_; }
  static constexpr char kIssuer[] = "kam-e2e";
  static constexpr char kAudience[] = "kam-suite-e2e";
  // The gateway also takes RS256 tokens whose kid is kRs256KeyId, signed with this private
  // key (its public half is the one file of the gateway's public keys directory).
  static constexpr char kRs256KeyId[] = "e2e-rs256";
  const std::string& rs256_private_key_pem() const { return rs256_key_.private_pem; }
  const std::string& rs256_public_key_pem() const { return rs256_key_.public_pem; }
  // The one static API key the gateway knows (header x-api-key): a machine caller.
  static constexpr char kApiKeySubject[] = "erp-e2e-api-key";
  static constexpr char kApiKeyRole[] = "system";
  const std::string& api_key() const { return api_key_; }

  // Writes a file into the stack's private directory (e.g. a policy for SpawnExtra's
  // KAM_POLICY_FILE); returns its path.
  std::string WriteConfig(const std::string& name, const std::string& contents) {
    return WriteSecret(name, contents);
  }

  // The last lines of every service's log and of the database's, for failure messages.
  std::string LogTails() const;

  // SIGTERM to one service of the stack (it must exit cleanly), and a start of it again on
  // the same ports and settings, waiting until it is SERVING.
  absl::Status StopService(const std::string& name);
  // SIGKILL: a crash, with no drain.
  absl::Status KillService(const std::string& name);
  absl::Status RestartService(const std::string& name);

  // Starts one more `name` process (e.g. "complaints") with this stack's settings, changed
  // by `overrides`, on free ports; does not wait for it to become ready.
  absl::StatusOr<ServiceProcess> SpawnExtra(const std::string& name,
                                            const std::map<std::string, std::string>& overrides);

 private:
  absl::Status StartDatabase();
  // The settings of `service` but its ports; creates its schema and database user.
  absl::StatusOr<std::map<std::string, std::string>> ServiceEnv(const ServiceProcess& service);
  // Starts `service` on free ports and waits until it reports SERVING.
  absl::Status StartService(ServiceProcess& service, std::map<std::string, std::string> env);
  // Spawns `service` on its current ports; true once it reports SERVING, false if it exited.
  absl::StatusOr<bool> SpawnAndWait(ServiceProcess& service,
                                    const std::map<std::string, std::string>& env);
  std::string WriteSecret(const std::string& name, const std::string& value);
  ServiceProcess& mutable_service(const std::string& name);

  std::string dir_;
  std::string jwt_secret_ = "e2e-jwt-secret-0123456789abcdef-0123456789";
  std::string jwt_secret_file_;
  std::string identity_key_ = "e2e-identity-key-fedcba9876543210";
  std::string identity_key_file_;
  std::string sla_policy_file_;
  RsaKeyPair rs256_key_;
  std::string public_keys_dir_;
  std::string api_key_;
  std::string api_keys_file_;
  std::set<int> used_ports_;
  std::unique_ptr<test_support::MariaDbServer> db_;
  std::vector<ServiceProcess> services_;
};

}  // namespace kam::e2e
