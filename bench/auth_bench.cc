// Cost of the gateway's Authenticator per call, one thread: a cached token (the steady state
// of a caller), a token verified from scratch (cache off) for HS256 and RS256, and an API
// key. Prints one JSON line per case. Keys are generated in memory (openssl CLI) per run.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "services/common/digest.h"
#include "services/gateway/auth.h"

namespace {

using kam::gateway::Authenticator;
using kam::gateway::AuthOptions;
using kam::gateway::Metadata;

const absl::Time kNow = absl::Now();

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::unique_ptr<Authenticator> Make(const std::string& dir, size_t cache_entries) {
  AuthOptions options;
  options.verifier = {"bench-secret", "kam-dev", "kam-suite"};
  options.public_keys_dir = dir + "/keys";
  options.api_keys_file = dir + "/api_keys.json";
  options.reload_every = absl::ZeroDuration();
  options.cache_entries = cache_entries;
  absl::StatusOr<std::unique_ptr<Authenticator>> made = Authenticator::Create(options, nullptr);
  if (!made.ok()) {
    std::cerr << made.status() << '\n';
    std::exit(1);
  }
  return *std::move(made);
}

void Measure(const char* name, const Authenticator& authenticator, const std::string& header,
             const std::string& value, int calls) {
  Metadata metadata;
  metadata.emplace(grpc::string_ref(header), grpc::string_ref(value));
  // A caller-supplied request id, so a fresh UUID per call is not what is measured.
  metadata.emplace(grpc::string_ref("x-request-id"), grpc::string_ref("bench-request-1"));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) {
    if (!authenticator.Authenticate(metadata, kNow).ok()) std::exit(1);
  }
  const std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
  std::cout << nlohmann::json{{"case", name},
                              {"calls", calls},
                              {"us_per_call", took.count() / calls}}
            << '\n';
}

}  // namespace

int main() {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("kam_auth_bench_" + kam::NewUuid());
  std::filesystem::create_directories(dir + "/keys");
  const std::string make_keys =
      "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + dir +
      "/k.key 2>/dev/null && openssl pkey -in " + dir + "/k.key -pubout -out " + dir +
      "/keys/k1.pem 2>/dev/null";
  if (std::system(make_keys.c_str()) != 0) return 1;
  const std::string api_key = "kam_bench_key_0123456789abcdefghijklmnopqrstu";
  std::ofstream(dir + "/api_keys.json") << nlohmann::json{
      {"keys",
       {{{"sha256", kam::Sha256Hex(api_key)},
         {"subject", "erp"},
         {"roles", {"system"}}}}}}.dump();

  const kam::Principal director{"bench-director", {"director"}, ""};
  const std::string hs256 =
      kam::MintJwt(director, {"bench-secret", "kam-dev", "kam-suite", kNow, absl::Hours(1)});
  kam::JwtMintOptions rs{"",  "kam-dev", "kam-suite", kNow, absl::Hours(1), Slurp(dir + "/k.key"),
                         "k1"};
  const std::string rs256 = *kam::MintRs256Jwt(director, rs);

  const auto cached = Make(dir, 10000);
  const auto uncached = Make(dir, 0);
  Measure("hs256_cached", *cached, "authorization", "Bearer " + hs256, 200000);
  Measure("rs256_cached", *cached, "authorization", "Bearer " + rs256, 200000);
  Measure("hs256_uncached", *uncached, "authorization", "Bearer " + hs256, 20000);
  Measure("rs256_uncached", *uncached, "authorization", "Bearer " + rs256, 5000);
  Measure("api_key", *cached, "x-api-key", api_key, 200000);
  std::filesystem::remove_all(dir);
  return 0;
}
