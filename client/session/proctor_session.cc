#include "client/session/proctor_session.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/analysis/proctor_monitor.h"
#include "common/i18n.h"

namespace proctor::client {

using i18n::Tr;
using i18n::Trf;

std::string FormatMediaTime(int64_t ms) {
  const int64_t s = ms / 1000;
  return absl::StrFormat("%02d:%02d:%02d.%d", s / 3600, (s / 60) % 60, s % 60, (ms % 1000) / 100);
}

ProctorSession::ProctorSession(SessionConfig config, SessionParts parts)
    : config_(std::move(config)),
      parts_(std::move(parts)),
      journal_(parts_.journal),
      source_(parts_.source),
      view_(parts_.view),
      clock_(parts_.clock) {}

SessionSummary ProctorSession::Run() {
  summary_.outcome = Steps();
  return summary_;
}

SessionOutcome ProctorSession::Fail(SessionOutcome outcome, std::string message) {
  summary_.error = std::move(message);
  return outcome;
}

DeliveryView ProctorSession::Delivery() const {
  DeliveryView view;
  view.events = journal_->last_seq();
  view.pending = journal_->pending();
  if (uplink_) {
    const auto stats = uplink_->stats();
    view.connected = stats.connected;
    view.last_error = stats.last_error;
  }
  return view;
}

SessionOutcome ProctorSession::OpenOrResume() {
  if (journal_->has_session()) {
    auto meta = journal_->meta();
    if (!meta.ok()) return Fail(SessionOutcome::kFailure, std::string(meta.status().message()));
    meta_ = *meta;
    if (meta_.pass_hash != SecretHash(config_.pass)) {
      return Fail(SessionOutcome::kPassRefused,
                  Trf("the journal $0 holds session $1, opened with another pass: run with that "
                      "pass to deliver it, or use another --journal",
                      journal_->dir(), meta_.session_id));
    }
    resumed_ = true;
    resume_at_ms_ = journal_->last_at_ms();
    auto last = journal_->Read(journal_->last_seq(), 1, 1 << 20);
    analysis_done_ =
        last.ok() && !last->empty() && last->front().event.kind == EventKind::kSessionEnded;
    view_->Message(Trf("resuming session $0 from $1: events journaled: $2, not yet "
                       "acknowledged: $3",
                       meta_.session_id, journal_->dir(), journal_->last_seq(),
                       journal_->pending()));
    return SessionOutcome::kDone;
  }
  if (!config_.consent) {
    return Fail(SessionOutcome::kConsentDeclined,
                Tr("no consent to the notice: the session was not opened and the pass is still "
                   "valid"));
  }
  const SigningKey key = SigningKey::Generate();
  view_->Message(Trf("opening the session at $0 ...", config_.server));
  auto opened =
      OpenSessionWithPass(config_.uplink, config_.pass, key.public_key(),
                          config_.consent->notice_sha256_hex, config_.connect_timeout_ms,
                          parts_.connect);
  if (!opened.ok()) {
    const auto& s = opened.status();
    if (s.code() == absl::StatusCode::kUnauthenticated) {
      return Fail(SessionOutcome::kPassRefused,
                  Trf("the server refused the pass (unknown, already used or expired): $0",
                      s.message()));
    }
    if (s.code() == absl::StatusCode::kUnavailable) {
      return Fail(SessionOutcome::kUndelivered,
                  Trf("cannot reach the server $0: $1; nothing was recorded, the pass is still "
                      "valid",
                      config_.server, s.message()));
    }
    return Fail(SessionOutcome::kFailure, std::string(s.message()));
  }
  meta_.server = config_.server;
  meta_.session_id = opened->session_id;
  meta_.session_token = opened->session_token;
  meta_.signing_key = key.SecretBytes();
  meta_.pass_hash = SecretHash(config_.pass);
  meta_.templates = opened->templates;
  meta_.match_threshold = opened->match_threshold;
  meta_.identity_interval_ms = opened->identity_interval_ms;
  meta_.opened_at_unix_ms = clock_->NowUnixMs();
  meta_.consent_detail = protocol::ConsentDetail(*config_.consent);
  meta_.liveness_nonce = opened->liveness_nonce;
  if (auto s = journal_->BeginSession(meta_); !s.ok()) {
    return Fail(SessionOutcome::kFailure, Trf("journal: $0", s.message()));
  }
  const i18n::Translator& t = i18n::Process();
  view_->Message(t.TrNf("session $0 opened (identity threshold $1, $2 enrolled template)",
                        "session $0 opened (identity threshold $1, $2 enrolled templates)",
                        static_cast<int64_t>(meta_.templates.size()), meta_.session_id,
                        t.Number(meta_.match_threshold, 2), meta_.templates.size()));
  return SessionOutcome::kDone;
}

// After a restart: the server may hold more than the journal (its tail was damaged) or have
// closed the session. Offline is fine: proctoring goes on and events wait in the journal.
SessionOutcome ProctorSession::ReconcileWithServer() {
  auto head = uplink_->FetchHead(std::min<int64_t>(config_.connect_timeout_ms, 10'000));
  if (!head.ok()) {
    if (head.status().code() == absl::StatusCode::kUnavailable ||
        head.status().code() == absl::StatusCode::kDeadlineExceeded) {
      view_->Message(Trf("server unreachable ($0): proctoring goes on, events wait in the journal",
                         head.status().message()));
      return SessionOutcome::kDone;
    }
    return Fail(SessionOutcome::kFailure, std::string(head.status().message()));
  }
  if (head->last_seq > journal_->last_seq()) {
    view_->Message(Trf("the server holds events up to #$0 that this journal lost; continuing "
                       "after them",
                       head->last_seq));
    if (auto s = journal_->Rebase(head->last_seq, head->head_hash); !s.ok()) {
      return Fail(SessionOutcome::kFailure, Trf("journal: $0", s.message()));
    }
  }
  if (head->closed) {
    if (auto s = journal_->MarkClosed(head->verdict, head->risk_score); !s.ok()) {
      return Fail(SessionOutcome::kFailure, Trf("journal: $0", s.message()));
    }
  }
  return SessionOutcome::kDone;
}

absl::Status ProctorSession::Emit(std::vector<Event> events) {
  if (events.empty()) return absl::OkStatus();
  std::vector<SignedEvent> sealed = sealer_->SealAll(std::move(events));
  if (auto s = journal_->Append(sealed); !s.ok()) return s;
  uplink_->Notify();
  events_this_run_ += sealed.size();
  for (const auto& e : sealed) ++kinds_[EventKindName(e.event.kind)];
  view_->OnEvents(sealed);
  return absl::OkStatus();
}

// States (FACE_ABSENT, ...) that began before a crash and never ended: what happened while the
// client was down is unknown, so they end at the restart and the monitor starts afresh.
std::vector<Event> ProctorSession::EndStatesOpenAtRestart() {
  std::map<EventKind, int64_t> open;
  for (uint64_t seq = journal_->first_seq(); seq != 0 && seq <= journal_->last_seq();) {
    auto chunk = journal_->Read(seq, 256, 8 << 20);
    if (!chunk.ok() || chunk->empty()) break;
    for (const auto& e : *chunk) {
      if (e.event.phase == EventPhase::kBegin) open[e.event.kind] = e.event.at_ms;
      if (e.event.phase == EventPhase::kEnd) open.erase(e.event.kind);
    }
    seq = chunk->back().event.seq + 1;
  }
  std::vector<Event> out;
  for (const auto& [kind, began] : open) {
    Event end;
    end.kind = kind;
    end.phase = EventPhase::kEnd;
    end.at_ms = resume_at_ms_;
    end.duration_ms = std::max<int64_t>(0, resume_at_ms_ - began);
    end.detail = "ended at the client's restart (unknown while it was down)";
    out.push_back(end);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ProctorMonitor>> ProctorSession::StartMonitor() {
  MonitorOptions options;
  options.templates = meta_.templates;
  options.match_threshold = meta_.match_threshold;
  if (meta_.identity_interval_ms > 0) {
    options.identity_interval_ms =
        std::min(options.identity_interval_ms, meta_.identity_interval_ms);
  }
  options.liveness_window_ms = config_.liveness_window_ms;
  options.analysis_fps = config_.analysis_fps;
  if (!meta_.liveness_nonce.empty()) {
    auto challenge = protocol::ChallengeFromNonce(meta_.liveness_nonce);
    if (!challenge.ok()) return absl::DataLossError(Trf("journal: $0", challenge.status().message()));
    options.challenge = *challenge;
  }
  auto monitor = ProctorMonitor::Create(parts_.analyzer, options);
  if (!monitor.ok()) return monitor.status();
  std::vector<Event> start = (*monitor)->Start(resume_at_ms_);
  if (resumed_) {
    // One SESSION_STARTED per session: a restart is a heartbeat that says so.
    Event note;
    note.kind = EventKind::kHeartbeat;
    note.at_ms = resume_at_ms_;
    note.detail = "client restarted: proctoring resumed";
    start = EndStatesOpenAtRestart();
    start.push_back(note);
  }
  if (auto s = Emit(std::move(start)); !s.ok()) {
    return absl::InternalError(Trf("journal: $0", s.message()));
  }
  return monitor;
}

SessionOutcome ProctorSession::Proctor() {
  auto monitor = StartMonitor();
  if (!monitor.ok()) return Fail(SessionOutcome::kFailure, std::string(monitor.status().message()));
  auto& m = **monitor;
  const int64_t offset = source_->realtime() ? resume_at_ms_ : 0;
  ended_at_ms_ = resume_at_ms_;
  const int64_t started_ms = clock_->SteadyMs();
  double sample_fps = config_.analysis_fps;
  view_->Message(
      resumed_ && !source_->realtime()
          ? Trf("proctoring from $0 (continuing after $1)", source_->Describe(),
                FormatMediaTime(resume_at_ms_))
          : Trf("proctoring from $0", source_->Describe()));
  while (parts_.interrupts() == 0) {
    auto next = source_->Next();
    if (!next.ok()) {
      if (next.status().code() == absl::StatusCode::kUnavailable) {
        const int64_t at = std::max(ended_at_ms_, offset + clock_->SteadyMs() - started_ms);
        ended_at_ms_ = at;
        if (auto s = Emit(m.OnNoFrame(at, std::string(next.status().message()))); !s.ok()) {
          return Fail(SessionOutcome::kFailure, Trf("journal: $0", s.message()));
        }
        continue;
      }
      source_error_ = std::string(next.status().message());
      view_->Message(Trf("the source failed: $0; ending the session", source_error_));
      break;
    }
    if (!next->has_value()) break;  // end of the media
    Frame& frame = **next;
    frame.at_ms += offset;
    if (resumed_ && frame.at_ms <= resume_at_ms_) continue;  // analysed before the restart
    if (config_.duration_s && frame.at_ms >= static_cast<int64_t>(*config_.duration_s * 1000))
      break;
    auto events = m.OnFrame(frame);
    if (!events.ok()) return Fail(SessionOutcome::kFailure, std::string(events.status().message()));
    if (auto s = Emit(std::move(*events)); !s.ok()) {
      return Fail(SessionOutcome::kFailure, Trf("journal: $0", s.message()));
    }
    ended_at_ms_ = std::max(ended_at_ms_, frame.at_ms);
    const LiveStatus status = m.status();
    if (status.wanted_fps != sample_fps) {
      // The liveness check wants frames faster (a blink lasts 100-300 ms), then slower again.
      if (source_->SetSampleFps(status.wanted_fps).ok()) sample_fps = status.wanted_fps;
    }
    view_->Update(status, Delivery());
    view_->ShowFrame(frame, status);
  }
  if (parts_.interrupts() > 0) view_->Message(Tr("interrupted: ending the session"));
  if (auto s = Emit(m.Finish(ended_at_ms_)); !s.ok()) {
    return Fail(SessionOutcome::kFailure, Trf("journal: $0", s.message()));
  }
  view_->Finish();
  return SessionOutcome::kDone;
}

SessionOutcome ProctorSession::Deliver() {
  view_->Message(Trf("delivering: events pending: $0 ...", journal_->pending()));
  const int64_t deadline_ms = config_.drain_timeout_ms;
  bool drained = false;
  for (int64_t waited = 0; waited < deadline_ms && parts_.interrupts() < 2; waited += 500) {
    drained = uplink_->WaitDrained(500);
    if (drained || !uplink_->fatal_error().ok()) break;
  }
  if (!uplink_->fatal_error().ok()) {
    return Fail(SessionOutcome::kFailure,
                Trf("the server refused the events: $0; events kept in $1: $2",
                    uplink_->fatal_error().message(), journal_->dir(), journal_->pending()));
  }
  if (!drained) {
    uplink_->Stop();
    return SessionOutcome::kUndelivered;
  }
  if (journal_->closed()) return SessionOutcome::kDone;
  auto closed = uplink_->Close(ended_at_ms_, 60'000);
  if (!closed.ok()) {
    view_->Message(Trf("closing the session failed: $0", closed.status().message()));
    return closed.status().code() == absl::StatusCode::kUnavailable ||
                   closed.status().code() == absl::StatusCode::kDeadlineExceeded
               ? SessionOutcome::kUndelivered
               : SessionOutcome::kFailure;
  }
  return SessionOutcome::kDone;
}

SessionOutcome ProctorSession::Finish(SessionOutcome outcome, const std::string& verdict,
                                      double risk) {
  const auto stats = uplink_ ? uplink_->stats() : UplinkStats{};
  summary_.reported = true;
  summary_.session_id = meta_.session_id;
  summary_.resumed = resumed_;
  summary_.events = journal_->last_seq();
  summary_.events_this_run = events_this_run_;
  summary_.acknowledged = journal_->acked_seq();
  summary_.pending = journal_->pending();
  summary_.duplicates = stats.duplicates;
  summary_.reconnects = stats.reconnects;
  summary_.kinds = kinds_;
  summary_.ended_at_ms = ended_at_ms_;
  summary_.closed = journal_->closed();
  summary_.verdict = verdict;
  summary_.risk_score = risk;
  summary_.journal_dir = journal_->dir();
  return outcome;
}

SessionOutcome ProctorSession::Steps() {
  if (SessionOutcome rc = OpenOrResume(); rc != SessionOutcome::kDone) return rc;
  auto key = SigningKey::FromBytes(meta_.signing_key);
  if (!key.ok()) return Fail(SessionOutcome::kFailure, Tr("journal: the session key is damaged"));
  uplink_ = std::make_unique<Uplink>(journal_, config_.uplink, meta_.session_token, parts_.connect);
  if (resumed_) {
    if (SessionOutcome rc = ReconcileWithServer(); rc != SessionOutcome::kDone) return rc;
  }
  if (journal_->closed() && journal_->pending() == 0) {
    view_->Message(Trf("session $0 is already closed", meta_.session_id));
    const std::string verdict = journal_->closed_verdict();
    const double risk = journal_->closed_risk_score();
    const SessionOutcome rc = Finish(SessionOutcome::kDone, verdict, risk);
    if (auto s = journal_->Clear(); !s.ok()) view_->Message(std::string(s.message()));
    return rc;
  }
  sealer_ = std::make_unique<protocol::ChainSealer>(
      meta_.session_id, std::move(*key),
      protocol::ChainHead{journal_->last_seq(), journal_->head_hash()});
  if (journal_->last_seq() == 0 && !meta_.consent_detail.empty()) {
    // The learner's agreement heads the session: signed, chained and journaled like any event.
    Event consent;
    consent.kind = EventKind::kConsentGiven;
    consent.detail = meta_.consent_detail;
    if (auto s = Emit({consent}); !s.ok()) {
      return Fail(SessionOutcome::kFailure, Trf("journal: $0", s.message()));
    }
  }
  uplink_->Start();
  if (!analysis_done_ && !journal_->closed()) {
    if (SessionOutcome rc = Proctor(); rc != SessionOutcome::kDone) {
      uplink_->Stop();
      return Finish(rc, "", 0);
    }
  }
  SessionOutcome rc = Deliver();
  uplink_->Stop();
  const std::string verdict = journal_->closed_verdict();
  const double risk = journal_->closed_risk_score();
  // Already told (the view said the source failed and the session ended there).
  if (rc == SessionOutcome::kDone && !source_error_.empty()) rc = SessionOutcome::kFailure;
  rc = Finish(rc, verdict, risk);
  if (journal_->closed() && journal_->pending() == 0) {
    // Delivered and closed: evidence and secrets leave the learner's disk.
    if (auto s = journal_->Clear(); !s.ok()) view_->Message(std::string(s.message()));
  }
  return rc;
}

}  // namespace proctor::client
