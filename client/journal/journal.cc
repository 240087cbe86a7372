#include "client/journal/journal.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_macros.h"

namespace proctor::client {

Journal::Journal(std::string dir, FileEnv* env) : dir_(std::move(dir)), env_(env) {}

Journal::~Journal() = default;

absl::StatusOr<std::unique_ptr<Journal>> Journal::Open(const std::string& dir,
                                                       JournalOpenReport* report, FileEnv* env) {
  if (env == nullptr) env = FileEnv::Default();
  if (auto s = env->CreatePrivateDir(dir); !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("journal directory ", s.message()));
  }
  std::unique_ptr<Journal> journal(new Journal(dir, env));
  JournalOpenReport local;
  RETURN_IF_ERROR(journal->Load(report != nullptr ? report : &local));
  return journal;
}

absl::Status Journal::Load(JournalOpenReport* report) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string meta_path = dir_ + "/session.json";
  if (env_->FileExists(meta_path)) {
    ASSIGN_OR_RETURN(std::string text, env_->ReadFile(meta_path));
    ASSIGN_OR_RETURN(JournalMeta meta, DecodeMeta(meta_path, text));
    meta_ = std::move(meta);
  }
  const std::string state_path = dir_ + "/state.json";
  if (env_->FileExists(state_path)) {
    auto text = env_->ReadFile(state_path);
    const JournalState state = text.ok() ? DecodeState(*text) : JournalState{};
    acked_ = state.acked_seq;
    closed_ = state.closed;
    verdict_ = state.verdict;
    risk_score_ = state.risk_score;
  }
  RETURN_IF_ERROR(LoadLog(report));
  if (acked_ > chain_.head().seq) acked_ = chain_.head().seq;
  return absl::OkStatus();
}

absl::Status Journal::LoadLog(JournalOpenReport* report) {
  *report = JournalOpenReport{};
  const std::string path = dir_ + "/events.log";
  ASSIGN_OR_RETURN(log_, env_->OpenReadWrite(path));
  ASSIGN_OR_RETURN(const uint64_t file_size, log_->Size());
  if (file_size == 0) {
    RETURN_IF_ERROR(log_->Write(0, kJournalMagic, sizeof(kJournalMagic)));
    size_ = sizeof(kJournalMagic);
    return absl::OkStatus();
  }
  std::string image(file_size, '\0');
  RETURN_IF_ERROR(log_->Read(0, file_size, image.data()));
  auto reader = RecordReader::Open(image);
  if (!reader.ok())
    return absl::DataLossError(absl::StrCat(path, " is ", reader.status().message()));
  Record record;
  while (reader->Next(&record)) {
    if (auto why = Replay(record); !why.empty()) reader->Reject(record, std::move(why));
  }
  size_ = reader->end();
  report->intact_events = events_.size();
  if (reader->damaged()) {
    report->damaged_bytes = file_size - size_;
    report->damage = reader->damage();
    report->damaged_copy = absl::StrCat(path, ".damaged-", NowUnixMs());
    // Kept aside durably before the log is cut: the damaged bytes are evidence too.
    RETURN_IF_ERROR(env_->WriteFileAtomically(report->damaged_copy, image.substr(size_), true));
    RETURN_IF_ERROR(log_->Truncate(size_));
    RETURN_IF_ERROR(log_->Sync());
  }
  return absl::OkStatus();
}

std::string Journal::Replay(const Record& record) {
  if (record.type == RecordType::kRebase) {
    auto head = DecodeRebasePayload(record.payload);
    if (!head.ok()) return absl::StrCat(head.status().message(), " at byte ", record.offset);
    if (head->seq <= chain_.head().seq || !chain_.Rebase(*head).ok()) {
      return absl::StrCat("a rebase record goes backwards at byte ", record.offset);
    }
    acked_ = std::max(acked_, head->seq);
    return "";
  }
  auto event = DecodeEventPayload(record.payload);
  if (!event.ok()) {
    return absl::StrCat("an event cannot be decoded at byte ", record.offset, ": ",
                        event.status().message());
  }
  if (!chain_.Append(event->event, event->hash).ok()) {
    return absl::StrCat("the hash chain breaks at seq ", event->event.seq);
  }
  events_[event->event.seq] =
      Location{record.payload_offset, static_cast<uint32_t>(record.payload.size()), event->hash,
               event->event.at_ms};
  last_at_ms_ = event->event.at_ms;
  return "";
}

absl::StatusOr<SignedEvent> Journal::ReadAt(const Location& location) const {
  std::string payload(location.size, '\0');
  RETURN_IF_ERROR(log_->Read(location.offset, location.size, payload.data()));
  ASSIGN_OR_RETURN(SignedEvent event, DecodeEventPayload(payload));
  // The bytes changed on disk since the journal was opened (a bad disk, another process): say
  // so here rather than send an event the server can only refuse as a broken chain.
  if (event.hash != location.hash) {
    return absl::DataLossError(absl::StrCat("journal ", dir_, ": event ", event.event.seq,
                                            " changed on disk since it was written"));
  }
  return event;
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
  RETURN_IF_ERROR(env_->WriteFileAtomically(dir_ + "/session.json", EncodeMeta(meta), true));
  meta_ = meta;
  return absl::OkStatus();
}

absl::Status Journal::AppendRecord(RecordType type, const std::string& payload,
                                   uint64_t* payload_offset) {
  const std::string record = EncodeRecord(type, payload);
  if (auto status = log_->Write(size_, record.data(), record.size()); !status.ok()) {
    // Leave no half record behind: the next append would start after it.
    (void)log_->Truncate(size_);
    return status;
  }
  *payload_offset = size_ + kRecordHeaderSize;
  size_ += record.size();
  return absl::OkStatus();
}

absl::Status Journal::Unappend(uint64_t size_before, absl::Status why) {
  size_ = size_before;
  (void)log_->Truncate(size_before);
  return why;
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
    const std::string payload = EncodeEventPayload(e);
    uint64_t offset = 0;
    auto status = AppendRecord(RecordType::kEvent, payload, &offset);
    if (!status.ok()) return Unappend(size_before, status);
    added.push_back({e.event.seq, Location{offset, static_cast<uint32_t>(payload.size()), e.hash,
                                           e.event.at_ms}});
  }
  // Not written unless synced: the uplink may send only what a crash cannot take back.
  if (auto status = log_->Sync(); !status.ok()) return Unappend(size_before, status);
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
  uint64_t offset = 0;
  const uint64_t size_before = size_;
  RETURN_IF_ERROR(AppendRecord(RecordType::kRebase, EncodeRebasePayload({seq, hash}), &offset));
  if (auto status = log_->Sync(); !status.ok()) return Unappend(size_before, status);
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
  return env_->WriteFileAtomically(dir_ + "/state.json",
                                   EncodeState({acked_, closed_, verdict_, risk_score_}), durable);
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
  // The events first: a crash after this leaves a closed session with none, which the next run
  // clears again; the other way round it would leave events no session can deliver.
  RETURN_IF_ERROR(log_->Truncate(0));
  RETURN_IF_ERROR(log_->Write(0, kJournalMagic, sizeof(kJournalMagic)));
  RETURN_IF_ERROR(log_->Sync());
  // Then every file that holds a secret, a template or evidence: the session's metadata, its
  // state, damaged tails kept aside, half-written replacements.
  ASSIGN_OR_RETURN(const std::vector<std::string> files, env_->ListFiles(dir_));
  for (const std::string& name : files) {
    if (name == "session.json" || name == "state.json" ||
        name.rfind("events.log.damaged-", 0) == 0 ||
        (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0)) {
      RETURN_IF_ERROR(env_->RemoveFile(dir_ + "/" + name));
    }
  }
  RETURN_IF_ERROR(env_->SyncDir(dir_));
  size_ = sizeof(kJournalMagic);
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
