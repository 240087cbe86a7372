#include "client/journal/journal_files.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "nlohmann/json.hpp"

namespace proctor::client {
namespace {

std::string ToHexString(const std::vector<uint8_t>& bytes) {
  return ToHex(bytes.data(), bytes.size());
}
std::vector<uint8_t> FromHexString(const std::string& hex) {
  std::vector<uint8_t> out(hex.size() / 2);
  size_t len = 0;
  if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, nullptr) != 0) {
    return {};
  }
  out.resize(len);
  return out;
}

}  // namespace

std::string EncodeMeta(const JournalMeta& m) {
  nlohmann::json j;
  j["version"] = 1;
  j["server"] = m.server;
  j["session_id"] = m.session_id;
  j["session_token"] = m.session_token;
  j["signing_key"] = ToHexString(m.signing_key);
  j["pass_hash"] = m.pass_hash;
  j["templates"] = m.templates;
  // What a client before 0.2 reads (it does not know "templates"): the first, or none.
  j["reference"] = m.templates.empty() ? std::vector<float>() : m.templates.front();
  j["match_threshold"] = m.match_threshold;
  j["identity_interval_ms"] = m.identity_interval_ms;
  j["opened_at_unix_ms"] = m.opened_at_unix_ms;
  j["consent"] = m.consent_detail;
  if (!m.liveness_nonce.empty()) j["liveness_nonce"] = m.liveness_nonce;
  return j.dump(1) + "\n";
}

absl::StatusOr<JournalMeta> DecodeMeta(const std::string& path, const std::string& text) {
  try {
    const auto j = nlohmann::json::parse(text);
    if (j.at("version").get<int>() != 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, ": journal version ", j.at("version").dump(), " is not supported by this client"));
    }
    JournalMeta m;
    m.server = j.at("server").get<std::string>();
    m.session_id = j.at("session_id").get<std::string>();
    m.session_token = j.at("session_token").get<std::string>();
    m.signing_key = FromHexString(j.at("signing_key").get<std::string>());
    m.pass_hash = j.at("pass_hash").get<std::string>();
    if (j.contains("templates")) {
      m.templates = j.at("templates").get<std::vector<protocol::Template>>();
    } else if (auto reference = j.at("reference").get<std::vector<float>>(); !reference.empty()) {
      m.templates.push_back(std::move(reference));  // written by a client before 0.2
    }
    m.match_threshold = j.at("match_threshold").get<protocol::MatchThreshold>();
    m.identity_interval_ms = j.at("identity_interval_ms").get<int64_t>();
    m.opened_at_unix_ms = j.at("opened_at_unix_ms").get<int64_t>();
    if (j.contains("consent")) m.consent_detail = j.at("consent").get<std::string>();
    if (j.contains("liveness_nonce")) {
      m.liveness_nonce = j.at("liveness_nonce").get<std::string>();
    }
    if (m.signing_key.size() != 64 || m.session_id.empty()) {
      return absl::DataLossError(absl::StrCat(path, ": damaged (bad key or session id)"));
    }
    if (auto s = protocol::ValidateTemplates(m.templates, path.c_str()); !s.ok()) {
      return absl::DataLossError(absl::StrCat("damaged: ", s.message()));
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat(path, ": damaged: ", e.what()));
  }
}

std::string EncodeState(const JournalState& s) {
  nlohmann::json j;
  j["acked_seq"] = s.acked_seq;
  j["closed"] = s.closed;
  j["verdict"] = s.verdict;
  j["risk_score"] = s.risk_score;
  return j.dump() + "\n";
}

JournalState DecodeState(const std::string& text) {
  JournalState s;
  try {
    const auto j = nlohmann::json::parse(text);
    s.acked_seq = j.value("acked_seq", uint64_t{0});
    s.closed = j.value("closed", false);
    s.verdict = j.value("verdict", std::string());
    s.risk_score = j.value("risk_score", 0.0);
  } catch (const nlohmann::json::exception&) {
    // Only an optimisation: without it every event is resent and acknowledged as a duplicate.
    return JournalState{};
  }
  return s;
}

}  // namespace proctor::client
