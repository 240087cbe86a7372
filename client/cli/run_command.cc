#include "client/cli/run_command.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "biometrics/face_analyzer.h"
#include "biometrics/model_files.h"
#include "client/analysis/proctor_monitor.h"
#include "client/capture/frame_source.h"
#include "client/cli/live_display.h"
#include "client/journal/journal.h"
#include "client/uplink/uplink.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "nlohmann/json.hpp"

namespace proctor::cli {
namespace {

using client::Journal;
using client::JournalMeta;
using client::SignedEvent;
using client::Uplink;

volatile std::sig_atomic_t g_interrupts = 0;

extern "C" void OnInterrupt(int) { g_interrupts = g_interrupts + 1; }

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "proctor-client: %s\n", message.c_str());
  return code;
}

absl::Status ValidateRunOptions(const RunOptions& o) {
  const int sources = (o.camera ? 1 : 0) + (o.video.empty() ? 0 : 1) + (o.images.empty() ? 0 : 1);
  if (sources > 1) return absl::InvalidArgumentError("give one of --camera, --video, --images");
  if (o.pass.empty()) return absl::InvalidArgumentError("--pass is required");
  if (o.analysis_fps <= 0 || o.analysis_fps > 30) {
    return absl::InvalidArgumentError("--fps must be within (0, 30]");
  }
  if (o.duration_s && *o.duration_s <= 0)
    return absl::InvalidArgumentError("--duration must be > 0");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<client::FrameSource>> OpenSource(const RunOptions& o) {
  client::FrameSourceOptions options;
  options.sample_fps = o.analysis_fps;
  options.image_interval_ms = o.image_interval_ms;
  if (!o.video.empty()) return client::OpenVideo(o.video, options);
  if (!o.images.empty()) return client::OpenImageDirectory(o.images, options);
  return client::OpenCamera(o.camera.value_or(0), options);
}

// Everything one run holds; the steps below are its methods so each stays short.
class SessionRun {
 public:
  explicit SessionRun(const RunOptions& options) : o_(options), display_(!options.headless) {}
  int Run();

 private:
  int Prepare();
  int OpenOrResume();
  int ReconcileWithServer();
  std::vector<Event> EndStatesOpenAtRestart();
  absl::Status Emit(std::vector<Event> events);
  int Proctor();
  int Deliver();
  int Summary(int code, const std::string& verdict, double risk);
  DeliveryView Delivery() const;

  const RunOptions& o_;
  LiveDisplay display_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<biometrics::FaceAnalyzer> analyzer_;
  std::unique_ptr<client::FrameSource> source_;
  std::unique_ptr<Uplink> uplink_;
  std::unique_ptr<protocol::ChainSealer> sealer_;
  client::UplinkOptions uplink_options_;
  JournalMeta meta_;
  bool resumed_ = false;
  bool analysis_done_ = false;  // the journal already ends with SESSION_ENDED
  int64_t resume_at_ms_ = 0;
  int64_t ended_at_ms_ = 0;
  uint64_t events_this_run_ = 0;
  std::map<std::string, int> kinds_;
  std::string source_error_;
};

DeliveryView SessionRun::Delivery() const {
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

int SessionRun::Prepare() {
  client::JournalOpenReport report;
  const std::string dir = o_.journal_dir.empty() ? DefaultJournalDir() : o_.journal_dir;
  auto journal = Journal::Open(dir, &report);
  if (!journal.ok())
    return Fail(kRunFailure, absl::StrCat("journal: ", journal.status().message()));
  journal_ = std::move(*journal);
  if (report.damaged_bytes > 0) {
    display_.Message(absl::StrCat("journal ", dir, " was damaged: ", report.damage, "; kept the ",
                                  report.intact_events, " intact events, moved the damaged ",
                                  report.damaged_bytes, " bytes to ", report.damaged_copy));
  }
  // Open the source and the models before the pass is spent: a wrong --video must not cost the
  // learner their one-time pass.
  auto source = OpenSource(o_);
  if (!source.ok()) return Fail(kRunFailure, std::string(source.status().message()));
  source_ = std::move(*source);
  biometrics::FaceAnalyzerOptions analyzer;
  analyzer.models_dir = biometrics::ResolveModelsDir(o_.models_dir);
  analyzer.keep_chips = true;
  auto created = biometrics::FaceAnalyzer::Create(analyzer);
  if (!created.ok()) return Fail(kRunFailure, std::string(created.status().message()));
  analyzer_ = std::move(*created);
  auto servers = client::ParseServerList(o_.server);
  if (!servers.ok()) return Fail(kRunBadArguments, std::string(servers.status().message()));
  uplink_options_.servers = *servers;
  uplink_options_.tls_ca_file = o_.tls_ca;
  if (auto s = client::ValidateUplinkOptions(uplink_options_); !s.ok()) {
    return Fail(kRunBadArguments, std::string(s.message()));
  }
  return kRunOk;
}

int SessionRun::OpenOrResume() {
  if (journal_->has_session()) {
    auto meta = journal_->meta();
    if (!meta.ok()) return Fail(kRunFailure, std::string(meta.status().message()));
    meta_ = *meta;
    if (meta_.pass_hash != SecretHash(o_.pass)) {
      return Fail(kRunPassRefused,
                  absl::StrCat("the journal ", journal_->dir(), " holds session ", meta_.session_id,
                               ", opened with another pass: run with that pass to deliver it, or "
                               "use another --journal"));
    }
    resumed_ = true;
    resume_at_ms_ = journal_->last_at_ms();
    auto last = journal_->Read(journal_->last_seq(), 1, 1 << 20);
    analysis_done_ =
        last.ok() && !last->empty() && last->front().event.kind == EventKind::kSessionEnded;
    display_.Message(absl::StrCat("resuming session ", meta_.session_id, " from ", journal_->dir(),
                                  ": ", journal_->last_seq(), " events journaled, ",
                                  journal_->pending(), " not yet acknowledged"));
    return kRunOk;
  }
  const SigningKey key = SigningKey::Generate();
  display_.Message(absl::StrCat("opening the session at ", o_.server, " ..."));
  auto opened = client::OpenSessionWithPass(uplink_options_, o_.pass, key.public_key(),
                                            o_.connect_timeout_s * 1000);
  if (!opened.ok()) {
    const auto& s = opened.status();
    if (s.code() == absl::StatusCode::kUnauthenticated) {
      return Fail(kRunPassRefused, absl::StrCat("the server refused the pass (unknown, already "
                                                "used or expired): ",
                                                s.message()));
    }
    if (s.code() == absl::StatusCode::kUnavailable) {
      return Fail(kRunUndelivered,
                  absl::StrCat("cannot reach the server ", o_.server, ": ", s.message(),
                               "; nothing was recorded, the pass "
                               "is still valid"));
    }
    return Fail(kRunFailure, std::string(s.message()));
  }
  meta_.server = o_.server;
  meta_.session_id = opened->session_id;
  meta_.session_token = opened->session_token;
  meta_.signing_key = key.SecretBytes();
  meta_.pass_hash = SecretHash(o_.pass);
  meta_.templates = opened->templates;
  meta_.match_threshold = opened->match_threshold;
  meta_.identity_interval_ms = opened->identity_interval_ms;
  meta_.opened_at_unix_ms = NowUnixMs();
  if (auto s = journal_->BeginSession(meta_); !s.ok()) {
    return Fail(kRunFailure, absl::StrCat("journal: ", s.message()));
  }
  display_.Message(absl::StrCat("session ", meta_.session_id, " opened (identity threshold ",
                                absl::StrFormat("%.2f", meta_.match_threshold), ", ",
                                meta_.templates.size(), " enrolled template(s))"));
  return kRunOk;
}

// After a restart: the server may hold more than the journal (its tail was damaged) or have
// closed the session. Offline is fine: proctoring goes on and events wait in the journal.
int SessionRun::ReconcileWithServer() {
  auto head = uplink_->FetchHead(std::min<int64_t>(o_.connect_timeout_s * 1000, 10'000));
  if (!head.ok()) {
    if (head.status().code() == absl::StatusCode::kUnavailable ||
        head.status().code() == absl::StatusCode::kDeadlineExceeded) {
      display_.Message(absl::StrCat("server unreachable (", head.status().message(),
                                    "): proctoring goes on, events wait in the journal"));
      return kRunOk;
    }
    return Fail(kRunFailure, std::string(head.status().message()));
  }
  if (head->last_seq > journal_->last_seq()) {
    display_.Message(absl::StrCat("the server holds events up to #", head->last_seq,
                                  " that this journal lost; continuing after them"));
    if (auto s = journal_->Rebase(head->last_seq, head->head_hash); !s.ok()) {
      return Fail(kRunFailure, absl::StrCat("journal: ", s.message()));
    }
  }
  if (head->closed) {
    if (auto s = journal_->MarkClosed(head->verdict, head->risk_score); !s.ok()) {
      return Fail(kRunFailure, absl::StrCat("journal: ", s.message()));
    }
  }
  return kRunOk;
}

absl::Status SessionRun::Emit(std::vector<Event> events) {
  if (events.empty()) return absl::OkStatus();
  std::vector<SignedEvent> sealed = sealer_->SealAll(std::move(events));
  if (auto s = journal_->Append(sealed); !s.ok()) return s;
  uplink_->Notify();
  events_this_run_ += sealed.size();
  for (const auto& e : sealed) ++kinds_[EventKindName(e.event.kind)];
  display_.OnEvents(sealed);
  return absl::OkStatus();
}

// States (FACE_ABSENT, ...) that began before a crash and never ended: what happened while the
// client was down is unknown, so they end at the restart and the monitor starts afresh.
std::vector<Event> SessionRun::EndStatesOpenAtRestart() {
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

int SessionRun::Proctor() {
  client::MonitorOptions options;
  options.templates = meta_.templates;
  options.match_threshold = meta_.match_threshold;
  if (meta_.identity_interval_ms > 0) {
    options.identity_interval_ms =
        std::min(options.identity_interval_ms, meta_.identity_interval_ms);
  }
  options.liveness_window_ms = o_.liveness_window_ms;
  options.analysis_fps = o_.analysis_fps;
  auto monitor = client::ProctorMonitor::Create(analyzer_.get(), options);
  if (!monitor.ok()) return Fail(kRunFailure, std::string(monitor.status().message()));
  auto& m = **monitor;
  std::vector<Event> start = m.Start(resume_at_ms_);
  if (resumed_) {
    // One SESSION_STARTED per session: a restart is a heartbeat that says so.
    Event note;
    note.kind = EventKind::kHeartbeat;
    note.at_ms = resume_at_ms_;
    note.detail = "client restarted: proctoring resumed";
    start = EndStatesOpenAtRestart();
    start.push_back(note);
  }
  if (auto s = Emit(std::move(start)); !s.ok())
    return Fail(kRunFailure, absl::StrCat("journal: ", s.message()));
  const int64_t offset = source_->realtime() ? resume_at_ms_ : 0;
  ended_at_ms_ = resume_at_ms_;
  const int64_t started_ms = SteadyMs();
  double sample_fps = o_.analysis_fps;
  display_.Message(
      absl::StrCat("proctoring from ", source_->Describe(),
                   resumed_ && !source_->realtime()
                       ? absl::StrCat(" (continuing after ", FormatMediaTime(resume_at_ms_), ")")
                       : std::string()));
  while (g_interrupts == 0) {
    auto next = source_->Next();
    if (!next.ok()) {
      if (next.status().code() == absl::StatusCode::kUnavailable) {
        const int64_t at = std::max(ended_at_ms_, offset + SteadyMs() - started_ms);
        ended_at_ms_ = at;
        if (auto s = Emit(m.OnNoFrame(at, std::string(next.status().message()))); !s.ok()) {
          return Fail(kRunFailure, absl::StrCat("journal: ", s.message()));
        }
        continue;
      }
      source_error_ = std::string(next.status().message());
      display_.Message(absl::StrCat("the source failed: ", source_error_, "; ending the session"));
      break;
    }
    if (!next->has_value()) break;  // end of the media
    client::Frame& frame = **next;
    frame.at_ms += offset;
    if (resumed_ && frame.at_ms <= resume_at_ms_) continue;  // analysed before the restart
    if (o_.duration_s && frame.at_ms >= static_cast<int64_t>(*o_.duration_s * 1000)) break;
    auto events = m.OnFrame(frame);
    if (!events.ok()) return Fail(kRunFailure, std::string(events.status().message()));
    if (auto s = Emit(std::move(*events)); !s.ok()) {
      return Fail(kRunFailure, absl::StrCat("journal: ", s.message()));
    }
    ended_at_ms_ = std::max(ended_at_ms_, frame.at_ms);
    const client::LiveStatus status = m.status();
    if (status.wanted_fps != sample_fps) {
      // The liveness check wants frames faster (a blink lasts 100-300 ms), then slower again.
      if (source_->SetSampleFps(status.wanted_fps).ok()) sample_fps = status.wanted_fps;
    }
    display_.Update(status, Delivery());
    display_.ShowFrame(frame, status);
  }
  if (g_interrupts > 0) display_.Message("interrupted: ending the session");
  if (auto s = Emit(m.Finish(ended_at_ms_)); !s.ok()) {
    return Fail(kRunFailure, absl::StrCat("journal: ", s.message()));
  }
  display_.Finish();
  return kRunOk;
}

int SessionRun::Deliver() {
  display_.Message(absl::StrCat("delivering: ", journal_->pending(), " events pending ..."));
  const int64_t deadline_ms = o_.drain_timeout_s * 1000;
  bool drained = false;
  for (int64_t waited = 0; waited < deadline_ms && g_interrupts < 2; waited += 500) {
    drained = uplink_->WaitDrained(500);
    if (drained || !uplink_->fatal_error().ok()) break;
  }
  if (!uplink_->fatal_error().ok()) {
    return Fail(kRunFailure,
                absl::StrCat("the server refused the events: ", uplink_->fatal_error().message(),
                             "; ", journal_->pending(), " events stay in ", journal_->dir()));
  }
  if (!drained) {
    uplink_->Stop();
    return kRunUndelivered;
  }
  if (journal_->closed()) return kRunOk;
  auto closed = uplink_->Close(ended_at_ms_, 60'000);
  if (!closed.ok()) {
    display_.Message(absl::StrCat("closing the session failed: ", closed.status().message()));
    return closed.status().code() == absl::StatusCode::kUnavailable ||
                   closed.status().code() == absl::StatusCode::kDeadlineExceeded
               ? kRunUndelivered
               : kRunFailure;
  }
  return kRunOk;
}

int SessionRun::Summary(int code, const std::string& verdict, double risk) {
  const uint64_t pending = journal_->pending();
  const auto stats = uplink_ ? uplink_->stats() : client::UplinkStats{};
  if (o_.json) {
    nlohmann::json j;
    j["session_id"] = meta_.session_id;
    j["resumed"] = resumed_;
    j["events"] = journal_->last_seq();
    j["events_this_run"] = events_this_run_;
    j["acknowledged"] = journal_->acked_seq();
    j["pending"] = pending;
    j["duplicates"] = stats.duplicates;
    j["reconnects"] = stats.reconnects;
    j["kinds"] = kinds_;
    j["ended_at_ms"] = ended_at_ms_;
    j["closed"] = journal_->closed();
    if (journal_->closed()) {
      j["verdict"] = verdict;
      j["risk_score"] = risk;
    }
    j["journal"] = journal_->dir();
    j["exit_code"] = code;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("session %s: %llu events (%llu this run), %llu acknowledged, %llu pending\n",
                meta_.session_id.c_str(), static_cast<unsigned long long>(journal_->last_seq()),
                static_cast<unsigned long long>(events_this_run_),
                static_cast<unsigned long long>(journal_->acked_seq()),
                static_cast<unsigned long long>(pending));
    for (const auto& [kind, count] : kinds_) std::printf("  %-20s %d\n", kind.c_str(), count);
    if (journal_->closed()) std::printf("verdict: %s (risk %.2f)\n", verdict.c_str(), risk);
  }
  if (code == kRunUndelivered) {
    std::fprintf(stderr,
                 "proctor-client: %llu events are still journaled in %s: run again with the same "
                 "--pass and --journal to deliver them\n",
                 static_cast<unsigned long long>(pending), journal_->dir().c_str());
  }
  return code;
}

int SessionRun::Run() {
  if (int rc = Prepare(); rc != kRunOk) return rc;
  if (int rc = OpenOrResume(); rc != kRunOk) return rc;
  auto key = SigningKey::FromBytes(meta_.signing_key);
  if (!key.ok()) return Fail(kRunFailure, "journal: the session key is damaged");
  uplink_ = std::make_unique<Uplink>(journal_.get(), uplink_options_, meta_.session_token);
  if (resumed_) {
    if (int rc = ReconcileWithServer(); rc != kRunOk) return rc;
  }
  if (journal_->closed() && journal_->pending() == 0) {
    display_.Message(absl::StrCat("session ", meta_.session_id, " is already closed"));
    const std::string verdict = journal_->closed_verdict();
    const double risk = journal_->closed_risk_score();
    const int rc = Summary(kRunOk, verdict, risk);
    if (auto s = journal_->Clear(); !s.ok()) display_.Message(std::string(s.message()));
    return rc;
  }
  sealer_ = std::make_unique<protocol::ChainSealer>(
      meta_.session_id, std::move(*key),
      protocol::ChainHead{journal_->last_seq(), journal_->head_hash()});
  uplink_->Start();
  if (!analysis_done_ && !journal_->closed()) {
    if (int rc = Proctor(); rc != kRunOk) {
      uplink_->Stop();
      return Summary(rc, "", 0);
    }
  }
  int rc = Deliver();
  uplink_->Stop();
  const std::string verdict = journal_->closed_verdict();
  const double risk = journal_->closed_risk_score();
  if (rc == kRunOk && !source_error_.empty()) rc = kRunFailure;
  rc = Summary(rc, verdict, risk);
  if (journal_->closed() && journal_->pending() == 0) {
    // Delivered and closed: evidence and secrets leave the learner's disk.
    if (auto s = journal_->Clear(); !s.ok()) display_.Message(std::string(s.message()));
  }
  return rc;
}

}  // namespace

std::string DefaultJournalDir() {
  const char* state = std::getenv("XDG_STATE_HOME");
  if (state != nullptr && *state != '\0') return absl::StrCat(state, "/proctor/journal");
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : ".", "/.local/state/proctor/journal");
}

int RunSession(const RunOptions& options) {
  if (auto s = ValidateRunOptions(options); !s.ok()) {
    return Fail(kRunBadArguments, std::string(s.message()));
  }
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  SessionRun run(options);
  return run.Run();
}

}  // namespace proctor::cli
