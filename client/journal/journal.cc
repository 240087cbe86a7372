#include "client/journal/journal.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "proctor/v1/types.pb.h"
#include "protocol/event_codec.h"

namespace proctor::client {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'P', 'R', 'J', 'N', 'L', '0', '0', '1'};
constexpr uint8_t kEventRecord = 1;
constexpr uint8_t kRebaseRecord = 2;
constexpr size_t kHeaderSize = 1 + 4 + 16;
// An event is at most 256 KiB of evidence plus small fields: anything larger is damage.
constexpr uint32_t kMaxPayload = 1 << 20;

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

std::array<uint8_t, 16> Checksum(uint8_t type, const std::string& payload) {
  std::array<uint8_t, 16> out{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, out.size());
  crypto_generichash_update(&state, &type, 1);
  crypto_generichash_update(&state, reinterpret_cast<const uint8_t*>(payload.data()),
                            payload.size());
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
uint64_t GetLE(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

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

// Writes `text` to path via a temporary file and rename, mode 0600; fsyncs when `durable`.
absl::Status WriteFileAtomically(const std::string& path, const std::string& text, bool durable) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("creating", tmp);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const auto status = Errno("writing", tmp);
      ::close(fd);
      return status;
    }
    done += static_cast<size_t>(n);
  }
  if (durable && ::fsync(fd) != 0) {
    const auto status = Errno("syncing", tmp);
    ::close(fd);
    return status;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("renaming to", path);
  if (durable) {
    const int dir = ::open(fs::path(path).parent_path().c_str(), O_RDONLY | O_DIRECTORY);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string MetaToJson(const JournalMeta& m) {
  nlohmann::json j;
  j["version"] = 1;
  j["server"] = m.server;
  j["session_id"] = m.session_id;
  j["session_token"] = m.session_token;
  j["signing_key"] = ToHexString(m.signing_key);
  j["pass_hash"] = m.pass_hash;
  j["templates"] = m.templates;
  j["match_threshold"] = m.match_threshold;
  j["identity_interval_ms"] = m.identity_interval_ms;
  j["opened_at_unix_ms"] = m.opened_at_unix_ms;
  return j.dump(1) + "\n";
}

absl::StatusOr<JournalMeta> MetaFromJson(const std::string& path, const std::string& text) {
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

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Journal::Journal(std::string dir) : dir_(std::move(dir)) {}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<std::unique_ptr<Journal>> Journal::Open(const std::string& dir,
                                                       JournalOpenReport* report) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("journal directory ", dir, ": cannot create: ", ec.message()));
  }
  ::chmod(dir.c_str(), 0700);
  std::unique_ptr<Journal> journal(new Journal(dir));
  JournalOpenReport local;
  RETURN_IF_ERROR(journal->Load(report != nullptr ? report : &local));
  return journal;
}

absl::Status Journal::Load(JournalOpenReport* report) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string meta_path = dir_ + "/session.json";
  if (fs::exists(meta_path)) {
    ASSIGN_OR_RETURN(std::string text, ReadText(meta_path));
    ASSIGN_OR_RETURN(JournalMeta meta, MetaFromJson(meta_path, text));
    meta_ = std::move(meta);
  }
  const std::string state_path = dir_ + "/state.json";
  if (fs::exists(state_path)) {
    auto text = ReadText(state_path);
    try {
      if (text.ok()) {
        const auto j = nlohmann::json::parse(*text);
        acked_ = j.value("acked_seq", uint64_t{0});
        closed_ = j.value("closed", false);
        verdict_ = j.value("verdict", std::string());
        risk_score_ = j.value("risk_score", 0.0);
      }
    } catch (const nlohmann::json::exception&) {
      // Only an optimisation: without it every event is resent and acknowledged as a duplicate.
      acked_ = 0;
    }
  }
  RETURN_IF_ERROR(LoadLog(report));
  if (acked_ > chain_.head().seq) acked_ = chain_.head().seq;
  return absl::OkStatus();
}

absl::Status Journal::LoadLog(JournalOpenReport* report) {
  *report = JournalOpenReport{};
  const std::string path = dir_ + "/events.log";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return Errno("opening", path);
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return Errno("reading", path);
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  std::vector<uint8_t> data(file_size);
  if (file_size > 0 && ::pread(fd_, data.data(), file_size, 0) != static_cast<ssize_t>(file_size)) {
    return Errno("reading", path);
  }
  uint64_t good = 0;
  std::string damage;
  if (file_size == 0) {
    if (::pwrite(fd_, kMagic, sizeof(kMagic), 0) != sizeof(kMagic)) return Errno("writing", path);
    size_ = sizeof(kMagic);
    return absl::OkStatus();
  }
  if (file_size < sizeof(kMagic) || std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::DataLossError(absl::StrCat(path, " is not a proctor journal (bad header)"));
  }
  good = sizeof(kMagic);
  while (good < file_size) {
    if (file_size - good < kHeaderSize) {
      damage = "a record is cut short (torn write)";
      break;
    }
    const uint8_t type = data[good];
    const uint32_t size = static_cast<uint32_t>(GetLE(&data[good + 1], 4));
    if ((type != kEventRecord && type != kRebaseRecord) || size > kMaxPayload) {
      damage = absl::StrCat("a record header is corrupt at byte ", good);
      break;
    }
    if (file_size - good - kHeaderSize < size) {
      damage = "a record is cut short (torn write)";
      break;
    }
    const std::string payload(reinterpret_cast<const char*>(&data[good + kHeaderSize]), size);
    if (Checksum(type, payload) !=
        *reinterpret_cast<const std::array<uint8_t, 16>*>(&data[good + 5])) {
      damage = absl::StrCat("a record's checksum does not match at byte ", good);
      break;
    }
    if (type == kRebaseRecord) {
      if (size != 40) {
        damage = absl::StrCat("a rebase record is malformed at byte ", good);
        break;
      }
      const uint64_t seq = GetLE(reinterpret_cast<const uint8_t*>(payload.data()), 8);
      protocol::ChainHead head{seq, {}};
      std::memcpy(head.hash.data(), payload.data() + 8, 32);
      if (seq <= chain_.head().seq || !chain_.Rebase(head).ok()) {
        damage = absl::StrCat("a rebase record goes backwards at byte ", good);
        break;
      }
      acked_ = std::max(acked_, seq);
    } else {
      Location location{good + kHeaderSize, size, {}, 0};
      auto event = ReadAt(location);
      if (!event.ok()) {
        damage = absl::StrCat("an event cannot be decoded at byte ", good, ": ",
                              event.status().message());
        break;
      }
      if (!chain_.Append(event->event, event->hash).ok()) {
        damage = absl::StrCat("the hash chain breaks at seq ", event->event.seq);
        break;
      }
      location.hash = event->hash;
      location.at_ms = event->event.at_ms;
      events_[event->event.seq] = location;
      last_at_ms_ = event->event.at_ms;
    }
    good += kHeaderSize + size;
  }
  size_ = good;
  report->intact_events = events_.size();
  if (good < file_size) {
    report->damaged_bytes = file_size - good;
    report->damage = damage;
    report->damaged_copy = absl::StrCat(path, ".damaged-", NowUnixMs());
    std::ofstream copy(report->damaged_copy, std::ios::binary);
    copy.write(reinterpret_cast<const char*>(&data[good]),
               static_cast<std::streamsize>(file_size - good));
    copy.close();
    if (!copy) return Errno("saving the damaged tail to", report->damaged_copy);
    if (::ftruncate(fd_, static_cast<off_t>(good)) != 0 || ::fdatasync(fd_) != 0) {
      return Errno("cutting the damaged tail off", path);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SignedEvent> Journal::ReadAt(const Location& location) const {
  std::string payload(location.size, '\0');
  if (::pread(fd_, payload.data(), location.size, static_cast<off_t>(location.offset)) !=
      static_cast<ssize_t>(location.size)) {
    return Errno("reading", dir_ + "/events.log");
  }
  if (payload.size() < 64) return absl::DataLossError("event record shorter than a signature");
  v1::Event proto;
  if (!proto.ParseFromArray(payload.data() + 64, static_cast<int>(payload.size() - 64))) {
    return absl::DataLossError("event record does not parse");
  }
  ASSIGN_OR_RETURN(Event event, protocol::EventFromProto(proto));
  SignedEvent out;
  std::memcpy(out.signature.data(), payload.data(), 64);
  out.hash = EventDigest(event);
  out.event = std::move(event);
  return out;
}

bool Journal::has_session() const {
  std::lock_guard<std::mutex> lock(mu_);
  return meta_.has_value();
}

absl::StatusOr<JournalMeta> Journal::meta() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!meta_) return absl::FailedPreconditionError(absl::StrCat("journal ", dir_, " is empty"));
  return *meta_;
}

absl::Status Journal::BeginSession(const JournalMeta& meta) {
  std::lock_guard<std::mutex> lock(mu_);
  if (meta_ || chain_.head().seq != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("journal ", dir_, " already holds session ",
                     meta_ ? meta_->session_id : std::string("(events without a session)")));
  }
  RETURN_IF_ERROR(WriteFileAtomically(dir_ + "/session.json", MetaToJson(meta), true));
  meta_ = meta;
  return absl::OkStatus();
}

absl::Status Journal::AppendRecord(uint8_t type, const std::string& payload,
                                   uint64_t* payload_offset) {
  std::string record;
  record.reserve(kHeaderSize + payload.size());
  record.push_back(static_cast<char>(type));
  PutU32(record, static_cast<uint32_t>(payload.size()));
  const auto sum = Checksum(type, payload);
  record.append(reinterpret_cast<const char*>(sum.data()), sum.size());
  record.append(payload);
  const std::string path = dir_ + "/events.log";
  size_t done = 0;
  while (done < record.size()) {
    const ssize_t n =
        ::pwrite(fd_, record.data() + done, record.size() - done, static_cast<off_t>(size_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const auto status = Errno("appending to", path);
      // Leave no half record behind: the next append would start after it.
      if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) return status;
      return status;
    }
    done += static_cast<size_t>(n);
  }
  *payload_offset = size_ + kHeaderSize;
  size_ += record.size();
  return absl::OkStatus();
}

absl::Status Journal::Append(const std::vector<SignedEvent>& events) {
  if (events.empty()) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(mu_);
  if (!meta_) return absl::FailedPreconditionError("journal holds no session");
  protocol::ChainVerifier extended = chain_;
  for (const auto& e : events) {
    if (e.event.session_id != meta_->session_id || !extended.Append(e.event, e.hash).ok()) {
      return absl::InvalidArgumentError(absl::StrCat("event seq ", e.event.seq,
                                                     " does not continue the journal's chain at ",
                                                     extended.head().seq));
    }
  }
  const uint64_t size_before = size_;
  std::vector<std::pair<uint64_t, Location>> added;
  for (const auto& e : events) {
    v1::Event proto;
    protocol::EventToProto(e.event, &proto);
    std::string payload(reinterpret_cast<const char*>(e.signature.data()), e.signature.size());
    payload += proto.SerializeAsString();
    uint64_t offset = 0;
    auto status = AppendRecord(kEventRecord, payload, &offset);
    if (!status.ok()) {
      size_ = size_before;
      (void)::ftruncate(fd_, static_cast<off_t>(size_before));
      return status;
    }
    added.push_back({e.event.seq, Location{offset, static_cast<uint32_t>(payload.size()), e.hash,
                                           e.event.at_ms}});
  }
  if (::fdatasync(fd_) != 0) {
    const auto status = Errno("syncing", dir_ + "/events.log");
    size_ = size_before;
    (void)::ftruncate(fd_, static_cast<off_t>(size_before));
    return status;
  }
  for (auto& [s, location] : added) events_[s] = location;
  chain_ = extended;
  last_at_ms_ = events.back().event.at_ms;
  return absl::OkStatus();
}

absl::Status Journal::Rebase(uint64_t seq, const Hash32& hash) {
  std::lock_guard<std::mutex> lock(mu_);
  if (seq <= chain_.head().seq) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rebase to seq ", seq, " is not after the journal's last seq ", chain_.head().seq));
  }
  std::string payload;
  PutU64(payload, seq);
  payload.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  uint64_t offset = 0;
  const uint64_t size_before = size_;
  RETURN_IF_ERROR(AppendRecord(kRebaseRecord, payload, &offset));
  if (::fdatasync(fd_) != 0) {
    size_ = size_before;
    (void)::ftruncate(fd_, static_cast<off_t>(size_before));
    return Errno("syncing", dir_ + "/events.log");
  }
  RETURN_IF_ERROR(chain_.Rebase({seq, hash}));
  acked_ = seq;
  return WriteState(false);
}

uint64_t Journal::first_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_.empty() ? 0 : events_.begin()->first;
}

uint64_t Journal::last_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return chain_.head().seq;
}
Hash32 Journal::head_hash() const {
  std::lock_guard<std::mutex> lock(mu_);
  return chain_.head().hash;
}
int64_t Journal::last_at_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_at_ms_;
}
uint64_t Journal::event_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_.size();
}

absl::StatusOr<std::vector<SignedEvent>> Journal::Read(uint64_t from_seq, size_t max_events,
                                                       size_t max_bytes) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SignedEvent> out;
  if (from_seq > chain_.head().seq) return out;
  auto it = events_.find(from_seq);
  if (it == events_.end()) {
    return absl::NotFoundError(
        absl::StrCat("event ", from_seq, " is not in the journal (lost before a rebase)"));
  }
  size_t bytes = 0;
  for (uint64_t seq = from_seq; it != events_.end() && it->first == seq && out.size() < max_events;
       ++it, ++seq) {
    if (!out.empty() && bytes + it->second.size > max_bytes) break;
    ASSIGN_OR_RETURN(SignedEvent event, ReadAt(it->second));
    bytes += it->second.size;
    out.push_back(std::move(event));
  }
  return out;
}

std::optional<Hash32> Journal::HashAt(uint64_t seq) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = events_.find(seq);
  if (it == events_.end()) return std::nullopt;
  return it->second.hash;
}

absl::Status Journal::WriteState(bool durable) {
  nlohmann::json j;
  j["acked_seq"] = acked_;
  j["closed"] = closed_;
  j["verdict"] = verdict_;
  j["risk_score"] = risk_score_;
  return WriteFileAtomically(dir_ + "/state.json", j.dump() + "\n", durable);
}

absl::Status Journal::MarkAcked(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  if (seq <= acked_) return absl::OkStatus();
  acked_ = std::min(seq, chain_.head().seq);
  return WriteState(false);
}

uint64_t Journal::acked_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acked_;
}

uint64_t Journal::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return chain_.head().seq - acked_;
}

absl::Status Journal::MarkClosed(const std::string& verdict, double risk_score) {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  verdict_ = verdict;
  risk_score_ = risk_score;
  // Durable: a closed session must not be reopened for new events after a restart.
  return WriteState(true);
}

bool Journal::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}
std::string Journal::closed_verdict() const {
  std::lock_guard<std::mutex> lock(mu_);
  return verdict_;
}
double Journal::closed_risk_score() const {
  std::lock_guard<std::mutex> lock(mu_);
  return risk_score_;
}

absl::Status Journal::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const char* name : {"/session.json", "/state.json"}) {
    std::error_code ec;
    fs::remove(dir_ + name, ec);
    if (ec) return absl::InternalError(absl::StrCat("removing ", dir_, name, ": ", ec.message()));
  }
  if (::ftruncate(fd_, 0) != 0) return Errno("emptying", dir_ + "/events.log");
  if (::pwrite(fd_, kMagic, sizeof(kMagic), 0) != sizeof(kMagic) || ::fdatasync(fd_) != 0) {
    return Errno("writing", dir_ + "/events.log");
  }
  size_ = sizeof(kMagic);
  meta_.reset();
  events_.clear();
  chain_ = protocol::ChainVerifier();
  last_at_ms_ = 0;
  acked_ = 0;
  closed_ = false;
  verdict_.clear();
  risk_score_ = 0;
  return absl::OkStatus();
}

}  // namespace proctor::client
