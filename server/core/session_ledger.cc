#include "server/core/session_ledger.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "protocol/chain.h"
#include "protocol/consent.h"
#include "protocol/event_details.h"
#include "protocol/liveness.h"
#include "server/core/consent_notices.h"
#include "server/core/event_validation.h"
#include "server/core/session_policy.h"

namespace proctor::server {
namespace {

constexpr size_t kMaxQueuedRechecks = 512;

// The identity rule's distance as stored (float, as the client's travels); -1 when the learner
// has no template.
float StoredIdentityDistance(const std::vector<float>& descriptor,
                             const std::vector<protocol::Template>& templates) {
  const auto distance = protocol::IdentityDistance(descriptor, templates);
  return distance ? static_cast<float>(*distance) : -1.0f;
}

}  // namespace

std::vector<uint8_t> DescriptorBytes(const std::vector<float>& descriptor) {
  std::vector<uint8_t> out(descriptor.size() * 4);
  for (size_t i = 0; i < descriptor.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &descriptor[i], 4);
    for (int k = 0; k < 4; ++k) out[i * 4 + k] = static_cast<uint8_t>(bits >> (8 * k));
  }
  return out;
}

absl::StatusOr<std::vector<float>> DescriptorFromBytes(const std::vector<uint8_t>& bytes) {
  if (bytes.size() != kDescriptorSize * 4) {
    return absl::DataLossError(absl::StrCat("stored descriptor has ", bytes.size(),
                                            " bytes, expected ", kDescriptorSize * 4));
  }
  std::vector<float> out(kDescriptorSize);
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t bits = 0;
    for (int k = 0; k < 4; ++k) bits |= uint32_t{bytes[i * 4 + k]} << (8 * k);
    std::memcpy(&out[i], &bits, 4);
  }
  return out;
}

std::string TemplateAd(const std::string& learner_id) {
  return absl::StrCat("template:", learner_id);
}
std::string EvidenceAd(const std::string& session_id, uint64_t seq) {
  return absl::StrCat("evidence:", session_id, ":", seq);
}
std::string SelfEnrollmentPhotoAd(const std::string& learner_id) {
  return absl::StrCat("self-enrollment-photo:", learner_id);
}

struct SessionLedger::LiveSession {
  std::mutex mu;
  std::string id;
  std::string learner_id;
  std::string assessment_id;
  PublicKey key{};
  Policy policy;
  std::vector<std::vector<float>> templates;
  uint64_t last_seq = 0;         // guarded by mu
  Hash32 head{};                 // guarded by mu
  bool in_flight = false;        // guarded by mu
  bool closed = false;           // guarded by mu
  bool consented = false;        // the stored seq 1 is CONSENT_GIVEN; guarded by mu
  bool consent_required = true;  // SessionRecord::consent_required
};

struct SessionLedger::Recheck {
  std::string session_id;
  std::string learner_id;
  uint64_t seq = 0;
  int64_t at_ms = 0;
  EventKind claimed_kind = EventKind::kUnspecified;
  std::vector<float> claimed;
  std::vector<uint8_t> jpeg;
  std::vector<std::vector<float>> templates;
  Policy policy;
  std::string claimed_detail;  // FACE_ABSENT BEGIN: the client's "could not tell: ..."
  // The client's liveness claim: judge the session's challenge (nothing else of this is used
  // but the ids, templates and policy).
  bool liveness = false;
};

struct SessionLedger::Prepared {
  AppendBatch batch;
  uint64_t new_last_seq = 0;
  Hash32 new_head{};
  uint32_t duplicates = 0;
  bool consent = false;  // the batch stores the session's CONSENT_GIVEN
  std::vector<Recheck> rechecks;
};

SessionLedger::SessionLedger(Storage* storage, GroupCommitter* committer, const SealedBox* box,
                             EvidenceInspector* inspector, const Clock* clock)
    : storage_(storage),
      committer_(committer),
      box_(box),
      inspector_(inspector),
      clock_(clock),
      recheck_thread_([this] { RecheckLoop(); }) {}

SessionLedger::~SessionLedger() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  recheck_cv_.notify_all();
  recheck_thread_.join();
}

LedgerStats SessionLedger::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  LedgerStats out = stats_;
  out.ingest_latency = ingest_latency_.snapshot();
  return out;
}

// Only the refusals of Prepare and of a resend after close come here, where each code has one
// cause: the signature, a fork, the chain (gap or prev_hash), an unreadable evidence JPEG.
void SessionLedger::CountRefusal(const absl::Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (absl::IsUnauthenticated(status)) ++stats_.bad_signatures;
  if (absl::IsAlreadyExists(status)) ++stats_.forks;
  if (absl::IsFailedPrecondition(status)) ++stats_.broken_chains;
  if (absl::IsInvalidArgument(status)) ++stats_.unreadable_evidence;
}

absl::StatusOr<std::shared_ptr<SessionLedger::LiveSession>> SessionLedger::Load(
    const std::string& session_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(session_id);
    if (it != sessions_.end()) return it->second;
  }
  auto record = storage_->GetSession(session_id);
  if (!record.ok()) return record.status();
  auto assessment = storage_->GetAssessment(record->assessment_id);
  if (!assessment.ok()) return assessment.status();
  auto sealed = storage_->GetTemplates(record->learner_id);
  if (!sealed.ok()) return sealed.status();
  auto live = std::make_shared<LiveSession>();
  live->id = record->id;
  live->learner_id = record->learner_id;
  live->assessment_id = record->assessment_id;
  live->consent_required = record->consent_required;
  if (record->client_public_key.size() != live->key.size()) {
    return absl::DataLossError("stored session key is not 32 bytes");
  }
  std::copy(record->client_public_key.begin(), record->client_public_key.end(), live->key.begin());
  live->policy = PolicyFor(assessment->kind);
  for (const auto& blob : *sealed) {
    auto plain = box_->Open(blob, TemplateAd(record->learner_id));
    if (!plain.ok()) return plain.status();
    auto descriptor = DescriptorFromBytes(*plain);
    if (!descriptor.ok()) return descriptor.status();
    live->templates.push_back(std::move(*descriptor));
  }
  live->last_seq = record->last_seq;
  live->head = record->head_hash;
  live->closed = record->state == SessionState::kClosed;
  if (auto s = LoadConsent(*live); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.emplace(session_id, std::move(live)).first->second;
}

absl::Status SessionLedger::Refresh(LiveSession& live) {
  auto record = storage_->GetSession(live.id);
  if (!record.ok()) return record.status();
  if (record->last_seq > live.last_seq) {
    live.last_seq = record->last_seq;
    live.head = record->head_hash;
  }
  live.closed = live.closed || record->state == SessionState::kClosed;
  return LoadConsent(live);
}

absl::Status SessionLedger::LoadConsent(LiveSession& live) {
  if (live.consented || live.last_seq == 0) return absl::OkStatus();
  auto first = storage_->GetEvent(live.id, 1);
  if (!first.ok()) return first.status();
  live.consented = first->event.kind == EventKind::kConsentGiven;
  return absl::OkStatus();
}

absl::Status SessionLedger::CheckConsent(const LiveSession& live, const Event& e) {
  ASSIGN_OR_RETURN(protocol::ConsentRecord consent, protocol::ParseConsentDetail(e.detail));
  ConsentNotices notices(storage_);
  auto notice = notices.Version(live.assessment_id, consent.notice_version);
  if (absl::IsNotFound(notice.status()) ||
      (notice.ok() && notice->sha256_hex != consent.notice_sha256_hex)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event seq ", e.seq, ": CONSENT_GIVEN names consent notice v", consent.notice_version,
        " with a digest this assessment's notices do not have"));
  }
  return notice.status();
}

void SessionLedger::Evict(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(session_id);
}

void SessionLedger::Ingest(const std::string& caller_session_id, std::vector<Event> events,
                           const Signature& head_signature, IngestDone done_callback) {
  const auto started = std::chrono::steady_clock::now();
  IngestDone done = [this, started,
                     inner = std::move(done_callback)](absl::StatusOr<IngestAck> result) {
    if (result.ok()) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
      std::lock_guard<std::mutex> lock(mu_);
      ingest_latency_.Observe(took.count());
    }
    inner(std::move(result));
  };
  auto reject = [&](absl::Status status) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.batches_rejected;
    }
    done(std::move(status));
  };
  for (const Event& e : events) {
    if (e.session_id != caller_session_id) {
      return reject(absl::PermissionDeniedError(
          absl::StrCat("event seq ", e.seq, " names session '", e.session_id,
                       "', but this stream belongs to session '", caller_session_id, "'")));
    }
  }
  if (auto s = ValidateBatch(events); !s.ok()) return reject(s);
  auto live = Load(caller_session_id);
  if (!live.ok()) return reject(live.status());
  std::unique_lock<std::mutex> lock((*live)->mu);
  if ((*live)->closed) {
    // A client that missed its last ack resends after the close: identical events are
    // acknowledged (the contract), anything new is refused.
    if (events.back().seq <= (*live)->last_seq) {
      std::vector<Hash32> hashes(events.size());
      for (size_t i = 0; i < events.size(); ++i) hashes[i] = EventDigest(events[i]);
      absl::Status same = CheckResends(**live, events, hashes, events.size());
      const IngestAck ack{(*live)->last_seq, static_cast<uint32_t>(events.size())};
      lock.unlock();
      if (same.ok()) return done(ack);
      CountRefusal(same);
      return reject(same);
    }
    lock.unlock();
    return reject(absl::FailedPreconditionError("the session is closed; no more events"));
  }
  if ((*live)->in_flight) {
    lock.unlock();
    return reject(absl::UnavailableError(
        "another batch of this session is being stored; resend after its acknowledgement"));
  }
  auto prepared = Prepare(**live, events, head_signature);
  if (!prepared.ok() && absl::IsFailedPrecondition(prepared.status()) &&
      events.front().seq > (*live)->last_seq + 1) {
    // A gap against this cache may be no gap at all: another replica on the same database may
    // have stored the events in between (a learner that moved to it and back). Look once.
    if (auto refreshed = Refresh(**live); !refreshed.ok()) {
      prepared = refreshed;
    } else if ((*live)->closed) {
      prepared = absl::FailedPreconditionError("the session is closed; no more events");
    } else {
      prepared = Prepare(**live, events, head_signature);
    }
  }
  if (!prepared.ok()) {
    lock.unlock();
    CountRefusal(prepared.status());
    return reject(prepared.status());
  }
  if (prepared->batch.events.empty()) {
    const IngestAck ack{(*live)->last_seq, prepared->duplicates};
    lock.unlock();
    {
      std::lock_guard<std::mutex> stats_lock(mu_);
      stats_.events_duplicate += ack.duplicates;
    }
    return done(ack);
  }
  (*live)->in_flight = true;
  lock.unlock();
  AppendBatch batch = std::move(prepared->batch);
  auto shared = std::make_shared<Prepared>(std::move(*prepared));
  committer_->Submit(std::move(batch), [this, live = *live, shared, done](absl::Status status) {
    OnCommitted(live, std::move(*shared), std::move(status), done);
  });
}

absl::StatusOr<SessionLedger::Prepared> SessionLedger::Prepare(LiveSession& live,
                                                               std::vector<Event>& events,
                                                               const Signature& signature) {
  std::vector<Hash32> hashes(events.size());
  for (size_t i = 0; i < events.size(); ++i) hashes[i] = EventDigest(events[i]);
  if (!protocol::VerifyBatchHead(live.key, hashes.back(), signature)) {
    return absl::UnauthenticatedError(absl::StrCat("the signature over the batch head (seq ",
                                                   events.back().seq,
                                                   ") does not verify with this session's key"));
  }
  size_t resent = 0;
  while (resent < events.size() && events[resent].seq <= live.last_seq) ++resent;
  if (auto s = CheckResends(live, events, hashes, resent); !s.ok()) return s;
  if (auto s = CheckNewEvents(live, events, hashes, resent); !s.ok()) return s;
  Prepared out;
  out.duplicates = static_cast<uint32_t>(resent);
  out.batch.session_id = live.id;
  out.batch.expected_last_seq = live.last_seq;
  // Verified above over the hash of the batch's last event, which is the last new one whenever
  // there are new events (resent events can only lead a batch); kept for the session's report.
  out.batch.head_signature = signature;
  out.new_last_seq = live.last_seq;
  out.new_head = live.head;
  const int64_t now = clock_->NowUnixMs();
  for (size_t i = resent; i < events.size(); ++i) {
    Event& e = events[i];
    StoredEvent stored;
    stored.hash = hashes[i];
    stored.received_at_unix_ms = now;
    if (IsIdentityKind(e.kind))
      stored.server_distance = StoredIdentityDistance(e.descriptor, live.templates);
    if (!e.evidence_jpeg.empty()) {
      stored.has_evidence = true;
      stored.sealed_evidence = box_->Seal(e.evidence_jpeg, EvidenceAd(live.id, e.seq));
      // Random, not positional, sampling: a client cannot know which chips will be re-checked.
      // Every "could not tell" is checked: it takes a span out of the risk.
      const bool could_not_tell = e.kind == EventKind::kFaceAbsent &&
                                  e.phase == EventPhase::kBegin &&
                                  absl::StartsWith(e.detail, protocol::kCouldNotTellPrefix);
      if (could_not_tell ||
          (IsIdentityKind(e.kind) &&
           RandomBelow(static_cast<uint32_t>(live.policy.evidence_recheck_every)) == 0)) {
        out.rechecks.push_back({live.id, live.learner_id, e.seq, e.at_ms, e.kind, e.descriptor,
                                std::move(e.evidence_jpeg), live.templates, live.policy,
                                could_not_tell ? e.detail : std::string()});
      }
      e.evidence_jpeg.clear();
    }
    if (e.kind == EventKind::kLivenessPassed || e.kind == EventKind::kLivenessFailed) {
      // The client says its challenge is over: the server judges the frames itself, now rather
      // than at close, so the examiner (and an LMS waiting for it) hears early.
      Recheck judge;
      judge.session_id = live.id;
      judge.learner_id = live.learner_id;
      judge.seq = e.seq;
      judge.at_ms = e.at_ms;
      judge.claimed_kind = e.kind;
      judge.templates = live.templates;
      judge.policy = live.policy;
      judge.liveness = true;
      out.rechecks.push_back(std::move(judge));
    }
    stored.event = std::move(e);
    out.batch.events.push_back(std::move(stored));
  }
  if (!out.batch.events.empty()) {
    out.new_last_seq = events.back().seq;
    out.new_head = hashes.back();
    out.consent = out.batch.events.front().event.kind == EventKind::kConsentGiven;
  }
  return out;
}

absl::Status SessionLedger::CheckResends(LiveSession& live, const std::vector<Event>& events,
                                         const std::vector<Hash32>& hashes, size_t resent) {
  if (resent == 0) return absl::OkStatus();
  auto stored = storage_->EventHashes(live.id, events.front().seq, events[resent - 1].seq);
  if (!stored.ok()) return stored.status();
  if (stored->size() != resent) {
    return absl::DataLossError(absl::StrCat("session ", live.id, ": stored events ",
                                            events.front().seq, "..", events[resent - 1].seq,
                                            " are incomplete"));
  }
  for (size_t i = 0; i < resent; ++i) {
    if ((*stored)[i] != hashes[i]) {
      return absl::AlreadyExistsError(
          absl::StrCat("seq ", events[i].seq,
                       " was already recorded with different content (a fork of the "
                       "session's hash chain); it cannot be replaced"));
    }
  }
  return absl::OkStatus();
}

absl::Status SessionLedger::CheckNewEvents(LiveSession& live, std::vector<Event>& events,
                                           const std::vector<Hash32>& hashes, size_t first_new) {
  if (first_new == events.size()) return absl::OkStatus();
  // Resent events were checked against the stored hashes: the first new one continues the head.
  protocol::ChainVerifier chain({live.last_seq, live.head});
  for (size_t i = first_new; i < events.size(); ++i) {
    RETURN_IF_ERROR(chain.Append(events[i], hashes[i]));
  }
  // Biometric data only from a session that begins with the learner's consent.
  bool consented = live.consented;
  for (size_t i = first_new; i < events.size(); ++i) {
    if (events[i].kind == EventKind::kConsentGiven) {
      RETURN_IF_ERROR(CheckConsent(live, events[i]));
      consented = true;
    } else if (!consented && consent_required_ && live.consent_required &&
               protocol::NeedsConsent(events[i])) {
      return absl::PermissionDeniedError(absl::StrCat(
          "event seq ", events[i].seq, ": ", EventKindName(events[i].kind),
          " carries biometric data, and this session does not begin with the learner's "
          "CONSENT_GIVEN"));
    }
  }
  for (size_t i = first_new; i < events.size(); ++i) {
    if (events[i].evidence_jpeg.empty()) continue;
    if (auto s = inspector_->CheckJpeg(events[i].evidence_jpeg); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("event seq ", events[i].seq, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

void SessionLedger::OnCommitted(const std::shared_ptr<LiveSession>& live, Prepared prepared,
                                absl::Status status, const IngestDone& done) {
  std::unique_lock<std::mutex> lock(live->mu);
  if (!status.ok()) {
    live->in_flight = false;
    lock.unlock();
    if (absl::IsAborted(status)) Evict(live->id);  // another writer moved on: reload
    {
      std::lock_guard<std::mutex> stats_lock(mu_);
      ++stats_.batches_rejected;
    }
    return done(status);
  }
  // Counted from the seqs: the batch's events were moved to the committer, so
  // prepared.batch.events is empty here.
  const uint64_t stored = prepared.new_last_seq - live->last_seq;
  live->last_seq = prepared.new_last_seq;
  live->consented = live->consented || prepared.consent;
  live->head = prepared.new_head;
  // Queued before in_flight clears, so a Close waiting on in_flight then waits for these too.
  QueueRechecks(*live, std::move(prepared.rechecks));
  live->in_flight = false;
  const IngestAck ack{live->last_seq, prepared.duplicates};
  lock.unlock();
  {
    std::lock_guard<std::mutex> stats_lock(mu_);
    ++stats_.batches_accepted;
    stats_.events_stored += stored;
    stats_.events_duplicate += prepared.duplicates;
  }
  done(ack);
}

void SessionLedger::QueueRechecks(LiveSession& live, std::vector<Recheck> rechecks) {
  if (rechecks.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Recheck& r : rechecks) {
      if (rechecks_.size() >= kMaxQueuedRechecks) {
        ++stats_.chips_skipped;
        continue;
      }
      ++pending_rechecks_[live.id];
      rechecks_.push_back(std::move(r));
    }
  }
  recheck_cv_.notify_one();
}

void SessionLedger::RecheckLoop() {
  for (;;) {
    Recheck recheck;
    {
      std::unique_lock<std::mutex> lock(mu_);
      recheck_cv_.wait(lock, [this] { return stopping_ || !rechecks_.empty(); });
      if (stopping_) return;
      recheck = std::move(rechecks_.front());
      rechecks_.pop_front();
    }
    RunRecheck(recheck);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.chips_rechecked;
      if (--pending_rechecks_[recheck.session_id] <= 0) {
        pending_rechecks_.erase(recheck.session_id);
      }
    }
    recheck_done_cv_.notify_all();
  }
}

void SessionLedger::RunRecheck(const Recheck& r) {
  if (r.liveness) {
    JudgeLiveness(r.session_id, r.templates, r.policy);
    return;
  }
  Finding finding;
  finding.session_id = r.session_id;
  finding.kind = EventKind::kEvidenceMismatch;
  finding.at_ms = r.at_ms;
  finding.event_seq = r.seq;
  if (r.claimed_kind == EventKind::kFaceAbsent) {
    // The client could not tell whether anyone was there; the server looks at the frame.
    auto clarity = inspector_->AssessFrame(r.jpeg);
    if (!clarity.ok()) {
      finding.detail = absl::StrCat("evidence frame of seq ", r.seq,
                                    " could not be checked: ", clarity.status().message());
    } else if (clarity->clear) {
      finding.detail = absl::StrFormat(
          "the client could not tell whether anyone was there (%s), but its frame of seq %d is "
          "clear "
          "(brightness %.0f, sharpness %.0f)",
          r.claimed_detail.substr(std::strlen(protocol::kCouldNotTellPrefix)), r.seq,
          clarity->brightness, clarity->sharpness);
    } else {
      return;  // confirmed: the frame is as unclear as the client said
    }
    RecordFinding(r, std::move(finding));
    return;
  }
  auto chip = inspector_->EmbedChip(r.jpeg);
  if (!chip.ok()) {
    finding.detail = absl::StrCat("evidence chip of seq ", r.seq,
                                  " could not be re-checked: ", chip.status().message());
  } else {
    const double drift = protocol::DescriptorDistance(*chip, r.claimed);
    const float nearest = StoredIdentityDistance(*chip, r.templates);
    if (drift > r.policy.chip_tolerance) {
      finding.distance = static_cast<float>(drift);
      finding.detail = absl::StrFormat(
          "evidence chip of seq %d re-embeds %.3f away from the descriptor the client sent "
          "(tolerance %.2f)",
          r.seq, drift, r.policy.chip_tolerance);
    } else if (r.claimed_kind == EventKind::kIdentityVerified && nearest >= 0 &&
               !protocol::SamePerson(nearest, r.policy.match_threshold)) {
      finding.distance = nearest;
      finding.detail = absl::StrFormat(
          "evidence chip of seq %d is %.3f from the enrolled template (threshold %.2f)", r.seq,
          nearest, r.policy.match_threshold);
    } else {
      return;
    }
  }
  RecordFinding(r, std::move(finding));
}

std::string LivenessNonceFor(const SealedBox& box, const std::string& session_id) {
  const std::vector<uint8_t> tag =
      box.KeyedTag("livenonc", session_id, protocol::kLivenessNonceBytes);
  return ToHex(tag.data(), tag.size());
}

protocol::LivenessChallengeSpec LivenessChallengeFor(const SealedBox& box,
                                                     const std::string& session_id) {
  // The nonce is 32 hex digits by construction, so the spec always exists.
  return *protocol::ChallengeFromNonce(LivenessNonceFor(box, session_id));
}

void SessionLedger::JudgeLiveness(const std::string& session_id,
                                  const std::vector<protocol::Template>& templates,
                                  const Policy& policy) {
  std::lock_guard<std::mutex> serial(liveness_mu_);
  auto findings = storage_->ListFindings(session_id);
  if (!findings.ok()) return;  // best effort, as every finding: Close judges again
  for (const Finding& f : *findings) {
    if (f.kind == EventKind::kLivenessPassed || f.kind == EventKind::kLivenessFailed) return;
  }
  auto events = storage_->ListEvents(session_id);
  if (!events.ok()) return;
  const StoredEvent* claim = nullptr;
  // Each step's event with its parsed detail.
  std::vector<std::pair<const StoredEvent*, protocol::LivenessStepClaim>> steps;
  std::set<int> indices;
  for (const StoredEvent& s : *events) {
    if (s.event.kind == EventKind::kLivenessPassed || s.event.kind == EventKind::kLivenessFailed) {
      claim = &s;
    } else if (s.event.kind == EventKind::kLivenessStep) {
      auto parsed = protocol::ParseLivenessStepDetail(s.event.detail);
      if (!parsed.ok()) continue;
      // A client restarted mid-session runs the challenge again from step 0: the last run is
      // judged (the order is the session's, so another run is no second chance at guessing it).
      if (parsed->index == 0) {
        steps.clear();
        indices.clear();
      }
      // The first frame of each step counts; a few more are tolerated, not measured (a client
      // cannot make the server analyse hundreds of frames).
      if (indices.insert(parsed->index).second && steps.size() < 16) {
        steps.emplace_back(&s, std::move(*parsed));
      }
    }
  }
  if (claim == nullptr && steps.empty()) return;  // no challenge was run: nothing to judge
  const protocol::LivenessChallengeSpec spec = LivenessChallengeFor(*box_, session_id);
  std::vector<protocol::StepMeasure> measures;
  for (const auto& [s, claimed] : steps) {
    protocol::StepMeasure m;
    m.index = claimed.index;
    m.at_ms = s->event.at_ms;
    m.claimed_nonce_hex = claimed.nonce_hex;
    m.claimed = claimed.action;
    auto sealed = storage_->GetEvidence(session_id, s->event.seq);
    absl::StatusOr<std::vector<uint8_t>> jpeg =
        sealed.ok() ? box_->Open(*sealed, EvidenceAd(session_id, s->event.seq)) : sealed.status();
    absl::StatusOr<LivenessFrame> frame =
        jpeg.ok() ? inspector_->MeasureLivenessFrame(*jpeg) : jpeg.status();
    if (!frame.ok()) {
      m.problem = absl::StrCat("its frame could not be measured: ", frame.status().message());
    } else {
      m.faces = frame->faces;
      m.yaw_deg = frame->yaw_deg;
      m.pitch_deg = frame->pitch_deg;
      m.eye_aspect_ratio = frame->eye_aspect_ratio;
      m.problem = frame->problem;
      if (!frame->descriptor.empty()) {
        m.identity_distance = protocol::IdentityDistance(frame->descriptor, templates);
      }
    }
    measures.push_back(std::move(m));
  }
  protocol::LivenessJudgement judgement = protocol::JudgeLiveness(
      spec, measures,
      templates.empty() ? std::nullopt : std::optional<double>(policy.match_threshold));
  if (steps.empty()) {
    judgement.detail = absl::StrCat(
        "the client sent no frame of the server's challenge (a client older than the challenge, "
        "or one that skipped it); its own ",
        EventKindName(claim->event.kind), " is not evidence");
  }
  Finding decided;
  decided.session_id = session_id;
  decided.kind = judgement.passed ? EventKind::kLivenessPassed : EventKind::kLivenessFailed;
  const StoredEvent* anchor = claim != nullptr ? claim : steps.back().first;
  decided.at_ms = anchor->event.at_ms;
  decided.event_seq = anchor->event.seq;
  decided.detail = judgement.detail;
  if (!storage_->AddFinding(decided).ok()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++(judgement.passed ? stats_.liveness_passed : stats_.liveness_failed);
  }
  // A pass claimed over frames that do not show it is a client not telling the truth. A claim
  // with no frames at all is a client that predates the server's challenge (or skipped it): no
  // pass, but no accusation either.
  if (claim != nullptr && claim->event.kind == EventKind::kLivenessPassed && !judgement.passed &&
      !steps.empty()) {
    Recheck r;
    r.session_id = session_id;
    Finding mismatch;
    mismatch.session_id = session_id;
    mismatch.kind = EventKind::kEvidenceMismatch;
    mismatch.at_ms = claim->event.at_ms;
    mismatch.event_seq = claim->event.seq;
    mismatch.detail = absl::StrCat(
        "the client reported LIVENESS_PASSED, but its frames do not show the challenge: ",
        judgement.detail);
    RecordFinding(r, std::move(mismatch));
  }
}

void SessionLedger::RecordFinding(const Recheck& r, Finding finding) {
  // Best effort: a lost finding is re-derivable from the stored evidence by a later re-check.
  if (!storage_->AddFinding(finding).ok()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.evidence_mismatches;
  }
  // A finding that arrives after the session was auto-accepted sends it back to review.
  auto record = storage_->GetSession(r.session_id);
  if (record.ok() && record->state == SessionState::kClosed &&
      record->verdict == Verdict::kAutoAccepted) {
    record->verdict = Verdict::kPendingReview;
    record->risk_score = std::min(1.0, record->risk_score + 0.5);
    (void)storage_->UpdateSessionOutcome(*record);
  }
}

void SessionLedger::ForgetLearner(const std::string& learner_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = it->second->learner_id == learner_id ? sessions_.erase(it) : std::next(it);
  }
  for (auto it = rechecks_.begin(); it != rechecks_.end();) {
    if (it->learner_id != learner_id) {
      ++it;
      continue;
    }
    if (--pending_rechecks_[it->session_id] <= 0) pending_rechecks_.erase(it->session_id);
    it = rechecks_.erase(it);
  }
  recheck_done_cv_.notify_all();
}

absl::StatusOr<Scorecard> SessionLedger::Close(const std::string& session_id, int64_t ended_at_ms,
                                               int64_t wait_ms) {
  std::lock_guard<std::mutex> serial(close_mu_);
  // Refuse new batches first, then let the one in flight (if any) finish its commit, so that no
  // event lands after the session is scored.
  if (auto live = Load(session_id); live.ok()) {
    std::unique_lock<std::mutex> lock((*live)->mu);
    (*live)->closed = true;
    while ((*live)->in_flight) {
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      lock.lock();
    }
  }
  {
    std::unique_lock<std::mutex> lock(mu_);
    recheck_done_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] {
      return pending_rechecks_.find(session_id) == pending_rechecks_.end();
    });
  }
  auto card = ScoreAndStore(session_id, ended_at_ms);
  Evict(session_id);  // the next Load reads the stored outcome
  return card;
}

absl::StatusOr<Scorecard> SessionLedger::ScoreAndStore(const std::string& session_id,
                                                       int64_t ended_at_ms) {
  auto record = storage_->GetSession(session_id);
  if (!record.ok()) return record.status();
  auto assessment = storage_->GetAssessment(record->assessment_id);
  if (!assessment.ok()) return assessment.status();
  auto events = storage_->ListEvents(session_id);
  if (!events.ok()) return events.status();
  if (record->state != SessionState::kClosed) {
    // The liveness judgement normally ran when the client's claim arrived; a client that never
    // claimed (or a judgement lost to a crash) is judged here, before the score.
    if (auto live = Load(session_id); live.ok()) {
      JudgeLiveness(session_id, (*live)->templates, (*live)->policy);
    }
  }
  auto findings = storage_->ListFindings(session_id);
  if (!findings.ok()) return findings.status();
  // The client names the end, but never earlier than its last event: a state still open or the
  // last identity gap cannot be hidden by closing "at 0".
  int64_t end = std::max<int64_t>(ended_at_ms, 0);
  if (!events->empty()) end = std::max(end, events->back().event.at_ms);
  if (record->state == SessionState::kClosed) end = record->ended_at_ms;
  auto policy = SessionPolicy(*storage_, record->learner_id, *assessment);
  if (!policy.ok()) return policy.status();
  Scorecard card = ScoreSession(*events, *findings, *policy, end);
  if (record->state == SessionState::kClosed) {
    card.verdict = record->verdict;
    card.risk_score = record->risk_score;
    return card;
  }
  record->state = SessionState::kClosed;
  record->ended_at_ms = end;
  record->closed_at_unix_ms = clock_->NowUnixMs();
  record->risk_score = card.risk_score;
  // A learner who enrolled themselves is not known to be who the institution enrolled until an
  // examiner has compared the kept photo with its record: their sessions are reviewed meanwhile.
  // (Rejected meanwhile: its templates are gone, and what the session matched was someone
  // else's own photo.) A learner with no template at all was never checked by the server: the
  // client's word alone accepts nobody.
  bool self_enrolled = false;
  bool no_template = false;
  if (card.verdict == Verdict::kAutoAccepted) {
    auto enrollment = storage_->GetSelfEnrollment(record->learner_id);
    if (!enrollment.ok() && !absl::IsNotFound(enrollment.status())) return enrollment.status();
    self_enrolled = enrollment.ok() && enrollment->state != SelfEnrollmentState::kConfirmed;
    if (!self_enrolled) {
      auto learner = storage_->GetLearner(record->learner_id);
      if (!learner.ok()) return learner.status();
      no_template = learner->template_count == 0;
    }
    if (self_enrolled || no_template) card.verdict = Verdict::kPendingReview;
  }
  // Quality control of the automatic decisions: a random share is reviewed anyway.
  const bool sampled = card.verdict == Verdict::kAutoAccepted && qc_sample_percent_ > 0 &&
                       RandomBelow(10000) < static_cast<uint32_t>(qc_sample_percent_ * 100);
  if (sampled) card.verdict = Verdict::kPendingReview;
  record->verdict = card.verdict;
  if (auto s = storage_->UpdateSessionOutcome(*record); !s.ok()) return s;
  if (self_enrolled) {
    (void)storage_->AppendAudit(
        {clock_->NowUnixMs(), "proctor-server", "review.self_enrolled", session_id,
         "the policy would have accepted it; the learner's self-enrollment is not confirmed"});
  }
  if (no_template) {
    (void)storage_->AppendAudit({clock_->NowUnixMs(), "proctor-server", "review.no_template",
                                 session_id,
                                 "the policy would have accepted it; the learner has no enrolled "
                                 "template, so the server could not check who it was"});
  }
  if (sampled) {
    (void)storage_->AppendAudit(
        {clock_->NowUnixMs(), "proctor-server", "review.sampled", session_id,
         absl::StrFormat("auto-accepted by the policy, sampled for quality control (%g%% of such "
                         "sessions)",
                         qc_sample_percent_)});
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const FlagSpan& flag : card.flags) {
      const int kind = static_cast<int>(flag.kind);
      if (kind >= 0 && kind <= kMaxEventKind) ++stats_.flags_by_kind[kind];
    }
  }
  return card;
}

}  // namespace proctor::server
