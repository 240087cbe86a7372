#include "client/cli/run_command.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "biometrics/face_analyzer.h"
#include "biometrics/model_files.h"
#include "client/capture/frame_source.h"
#include "client/cli/live_display.h"
#include "client/journal/journal.h"
#include "client/session/proctor_session.h"
#include "client/session/self_enrollment.h"
#include "client/uplink/uplink.h"
#include "common/clock.h"
#include "common/i18n.h"
#include "common/platform.h"
#include "nlohmann/json.hpp"

namespace proctor::cli {
namespace {

using client::Journal;
using client::SessionOutcome;
using i18n::Tr;
using i18n::Trf;
using i18n::TrNf;

// The exit codes are the session's outcomes (documented in run_command.h and the README).
static_assert(static_cast<int>(SessionOutcome::kDone) == kRunOk);
static_assert(static_cast<int>(SessionOutcome::kFailure) == kRunFailure);
static_assert(static_cast<int>(SessionOutcome::kBadArguments) == kRunBadArguments);
static_assert(static_cast<int>(SessionOutcome::kPassRefused) == kRunPassRefused);
static_assert(static_cast<int>(SessionOutcome::kUndelivered) == kRunUndelivered);
static_assert(static_cast<int>(SessionOutcome::kConsentDeclined) == kRunConsentDeclined);

// Ctrl+C (or SIGTERM, or closing the console window) counts here: common/platform.h calls
// OnInterrupt from a signal handler or a system thread, so it only touches this lock-free atomic.
std::atomic<int> g_interrupts{0};
static_assert(std::atomic<int>::is_always_lock_free);

void OnInterrupt() { g_interrupts.fetch_add(1); }

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "proctor-client: %s\n", message.c_str());
  return code;
}

absl::Status ValidateRunOptions(const RunOptions& o) {
  const int sources = (o.camera ? 1 : 0) + (o.video.empty() ? 0 : 1) + (o.images.empty() ? 0 : 1);
  if (sources > 1) {
    return absl::InvalidArgumentError(Tr("give one of --camera, --video, --images"));
  }
  if (o.pass.empty()) return absl::InvalidArgumentError(Tr("--pass is required"));
  if (o.analysis_fps <= 0 || o.analysis_fps > 30) {
    return absl::InvalidArgumentError(Tr("--fps must be within (0, 30]"));
  }
  if (o.duration_s && *o.duration_s <= 0) {
    return absl::InvalidArgumentError(Tr("--duration must be > 0"));
  }
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

// The summary proctor-client prints: one JSON document with --json, else lines for people.
void PrintSummary(const RunOptions& o, const client::SessionSummary& s) {
  const int code = static_cast<int>(s.outcome);
  if (o.json) {
    nlohmann::json j;
    j["session_id"] = s.session_id;
    j["resumed"] = s.resumed;
    j["events"] = s.events;
    j["events_this_run"] = s.events_this_run;
    j["acknowledged"] = s.acknowledged;
    j["pending"] = s.pending;
    j["duplicates"] = s.duplicates;
    j["reconnects"] = s.reconnects;
    j["kinds"] = s.kinds;
    j["ended_at_ms"] = s.ended_at_ms;
    j["closed"] = s.closed;
    if (s.closed) {
      j["verdict"] = s.verdict;
      j["risk_score"] = s.risk_score;
    }
    j["journal"] = s.journal_dir;
    j["exit_code"] = code;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    const i18n::Translator& t = i18n::Process();
    std::printf("%s\n",
                t.TrNf("session $0: $1 event ($2 this run), $3 acknowledged, $4 pending",
                       "session $0: $1 events ($2 this run), $3 acknowledged, $4 pending", s.events,
                       s.session_id, s.events, s.events_this_run, s.acknowledged, s.pending)
                    .c_str());
    for (const auto& [kind, count] : s.kinds) std::printf("  %-20s %d\n", kind.c_str(), count);
    if (s.closed) {
      std::printf("%s\n",
                  t.Trf("verdict: $0 (risk $1)", s.verdict, t.Number(s.risk_score, 2)).c_str());
    }
  }
  if (code == kRunUndelivered) {
    Fail(0, TrNf("$0 event is still journaled in $1: run again with the same --pass and "
                 "--journal to deliver it",
                 "$0 events are still journaled in $1: run again with the same --pass and "
                 "--journal to deliver them",
                 s.pending, s.pending, s.journal_dir));
  }
}

// What one run opens before the pass is spent: a wrong --video must not cost the learner their
// one-time pass.
struct OpenedParts {
  std::unique_ptr<Journal> journal;
  std::unique_ptr<client::FrameSource> source;
  std::unique_ptr<biometrics::FaceAnalyzer> analyzer;
  client::UplinkOptions uplink;
  std::optional<protocol::ConsentRecord> consent;  // asked when a new session is to be opened
  bool self_enrollment_needed = false;             // the server has no template of the learner yet
};

// The notice as the server wrote it, without terminal control sequences (a line break and a tab
// stay): the text is shown on the learner's terminal.
std::string PrintableNotice(const std::string& text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\t' || (u >= 0x20 && u != 0x7f)) out.push_back(c);
  }
  return out;
}

bool IsYes(std::string answer) {
  answer = std::string(absl::StripAsciiWhitespace(answer));
  static const std::set<std::string> kYes = {"yes", "y",  "YES", "Yes", "Y",
                                             "да",  "Да", "ДА",  "д",   "Д"};
  return kYes.count(answer) > 0;
}

// Shows the assessment's consent notice (the pass is not spent) and asks the learner to agree
// before the camera opens. --consent answers yes for a learner who has read it elsewhere.
int AskConsent(const RunOptions& o, const client::UplinkOptions& uplink,
               std::optional<protocol::ConsentRecord>* consent, bool* self_enrollment_needed) {
  auto notice = client::FetchConsentNotice(uplink, o.pass, o.connect_timeout_s * 1000);
  if (!notice.ok()) {
    const auto& s = notice.status();
    if (s.code() == absl::StatusCode::kUnauthenticated) {
      return Fail(
          kRunPassRefused,
          Trf("the server refused the pass (unknown, already used or expired): $0", s.message()));
    }
    if (s.code() == absl::StatusCode::kUnavailable) {
      return Fail(kRunUndelivered, Trf("cannot reach the server $0: $1; nothing was recorded, "
                                       "the pass is still valid",
                                       o.server, s.message()));
    }
    return Fail(kRunFailure, std::string(s.message()));
  }
  FILE* out = o.json ? stderr : stdout;
  if (o.from_link) {
    std::fprintf(out, "%s\n\n",
                 Trf("Started from a link: the proctoring server is $0. Agree below only if your "
                     "course has just asked you to start proctoring.",
                     o.server)
                     .c_str());
  }
  std::fprintf(
      out, "%s\n\n%s\n\n",
      Tr("Before the camera opens, read what proctoring collects and agree to it:").c_str(),
      PrintableNotice(notice->text).c_str());
  if (notice->self_enrollment_needed) {
    std::fprintf(out, "%s\n\n",
                 Tr("You have no reference photo yet. If you agree, the client first takes 3 "
                    "photos of your face and sends them to the server, which keeps your face "
                    "template and one photo. An examiner compares that photo with your "
                    "institution's record and then deletes it; until then your sessions are "
                    "reviewed by a person.")
                     .c_str());
  }
  bool agreed = o.consent;
  if (agreed) {
    std::fprintf(out, "%s\n", Tr("consent given with --consent").c_str());
  } else {
    std::fprintf(out, "%s",
                 Tr("Do you agree? Type yes (or да) to start, anything else to stop: ").c_str());
    std::fflush(out);
    std::string answer;
    if (!platform::ReadInputLine(&answer)) {
      std::fprintf(out, "\n");
      return Fail(kRunConsentDeclined,
                  Tr("no answer to the consent question (standard input is closed): nothing was "
                     "recorded and the pass is still valid; run proctor-client in a terminal, or "
                     "add --consent once the learner has read the notice and agreed"));
    }
    agreed = IsYes(answer);
  }
  std::fflush(out);
  if (!agreed) {
    return Fail(kRunConsentDeclined,
                Tr("you did not agree: the camera was not opened, nothing was recorded or sent, "
                   "and the pass is still valid. Run again to agree, or ask your institution for "
                   "another way to sit the exam"));
  }
  *consent = protocol::ConsentRecord{notice->version, notice->sha256_hex,
                                     proctor::Clock::Real().NowUnixMs()};
  *self_enrollment_needed = notice->self_enrollment_needed;
  return kRunOk;
}

// The learner has no template: takes the reference photos from the session's own source and
// sends them (the pass is not spent). A learner who cannot be photographed is told why.
int SelfEnroll(const RunOptions& o, LiveDisplay& display, OpenedParts* parts) {
  display.Message(
      Tr("Taking your reference photos: look straight at the camera, alone, in good "
         "light."));
  client::EnrollmentPhotoOptions options;
  int shown_taken = 0;
  auto photos = client::TakeEnrollmentPhotos(
      *parts->source, *parts->analyzer, options, [&](const client::EnrollmentProgress& p) {
        if (p.taken != shown_taken) {
          shown_taken = p.taken;
          display.Message(Trf("reference photo $0 of $1 taken", p.taken, p.wanted));
        }
      });
  if (!photos.ok()) {
    return Fail(kRunFailure,
                Trf("the reference photos could not be taken: $0; nothing was sent and the pass "
                    "is still valid",
                    photos.status().message()));
  }
  const int64_t timeout_ms = o.connect_timeout_s * 1000;
  auto sent = client::SendSelfEnrollment(parts->uplink, o.pass, *photos,
                                         parts->consent->notice_sha256_hex, timeout_ms);
  if (!sent.ok() && sent.status().code() == absl::StatusCode::kFailedPrecondition) {
    // An earlier try may have reached the server with its answer lost: ask whether it did.
    auto notice = client::FetchConsentNotice(parts->uplink, o.pass, timeout_ms);
    if (notice.ok() && !notice->self_enrollment_needed) sent = 0;
  }
  if (!sent.ok()) {
    const auto& s = sent.status();
    if (s.code() == absl::StatusCode::kUnavailable) {
      return Fail(kRunUndelivered, Trf("cannot reach the server $0 to enroll you: $1; the pass is "
                                       "still valid, run again",
                                       o.server, s.message()));
    }
    if (s.code() == absl::StatusCode::kUnauthenticated ||
        s.code() == absl::StatusCode::kFailedPrecondition) {
      return Fail(kRunPassRefused,
                  Trf("the server refused your reference photos: $0", s.message()));
    }
    return Fail(kRunFailure, Trf("the server refused your reference photos: $0", s.message()));
  }
  display.Message(Tr("Reference photos accepted: starting the session."));
  return kRunOk;
}

int Prepare(const RunOptions& o, LiveDisplay& display, OpenedParts* parts) {
  client::JournalOpenReport report;
  const std::string dir = o.journal_dir.empty() ? DefaultJournalDir() : o.journal_dir;
  auto journal = Journal::Open(dir, &report);
  if (!journal.ok()) return Fail(kRunFailure, Trf("journal: $0", journal.status().message()));
  parts->journal = std::move(*journal);
  if (report.damaged_bytes > 0) {
    display.Message(
        Trf("journal $0 was damaged: $1; kept the $2 intact events, moved the "
            "damaged $3 bytes to $4",
            dir, report.damage, report.intact_events, report.damaged_bytes, report.damaged_copy));
  }
  auto servers = client::ParseServerList(o.server);
  if (!servers.ok()) return Fail(kRunBadArguments, std::string(servers.status().message()));
  parts->uplink.servers = *servers;
  parts->uplink.tls_ca_file = o.tls_ca;
  if (auto s = client::ValidateUplinkOptions(parts->uplink); !s.ok()) {
    return Fail(kRunBadArguments, std::string(s.message()));
  }
  // A new session needs the learner's consent, asked before a camera opens (a video or images
  // are checked first, so that a wrong path is told before the question).
  const bool ask = !parts->journal->has_session();
  const bool camera = o.video.empty() && o.images.empty();
  if (ask && camera) {
    if (int rc = AskConsent(o, parts->uplink, &parts->consent, &parts->self_enrollment_needed);
        rc != kRunOk) {
      return rc;
    }
  }
  auto source = OpenSource(o);
  if (!source.ok()) return Fail(kRunFailure, std::string(source.status().message()));
  parts->source = std::move(*source);
  if (ask && !camera) {
    if (int rc = AskConsent(o, parts->uplink, &parts->consent, &parts->self_enrollment_needed);
        rc != kRunOk) {
      return rc;
    }
  }
  biometrics::FaceAnalyzerOptions analyzer;
  analyzer.models_dir = biometrics::ResolveModelsDir(o.models_dir);
  analyzer.keep_chips = true;
  auto created = biometrics::FaceAnalyzer::Create(analyzer);
  if (!created.ok()) return Fail(kRunFailure, std::string(created.status().message()));
  parts->analyzer = std::move(*created);
  if (parts->self_enrollment_needed) return SelfEnroll(o, display, parts);
  return kRunOk;
}

int Run(const RunOptions& o) {
  LiveDisplay display(!o.headless);
  OpenedParts opened;
  if (int rc = Prepare(o, display, &opened); rc != kRunOk) return rc;
  client::SessionConfig config;
  config.server = o.server;
  config.pass = o.pass;
  config.uplink = opened.uplink;
  config.analysis_fps = o.analysis_fps;
  config.liveness_window_ms = o.liveness_window_ms;
  config.duration_s = o.duration_s;
  config.connect_timeout_ms = o.connect_timeout_s * 1000;
  config.drain_timeout_ms = o.drain_timeout_s * 1000;
  config.consent = opened.consent;
  client::SessionParts parts;
  parts.journal = opened.journal.get();
  parts.source = opened.source.get();
  parts.analyzer = opened.analyzer.get();
  parts.view = &display;
  parts.interrupts = [] { return g_interrupts.load(); };
  const client::SessionSummary summary = client::ProctorSession(config, parts).Run();
  if (!summary.error.empty()) Fail(0, summary.error);
  if (summary.reported) PrintSummary(o, summary);
  return static_cast<int>(summary.outcome);
}

}  // namespace

std::string DefaultJournalDir() {
  absl::StatusOr<std::string> state = platform::UserStateDir();
  if (!state.ok()) return ".local/state/proctor/journal";  // no HOME: below the current folder
  return platform::PathToUtf8(platform::PathFromUtf8(*state) / "journal");
}

int RunSession(const RunOptions& options) {
  if (auto s = ValidateRunOptions(options); !s.ok()) {
    return Fail(kRunBadArguments, std::string(s.message()));
  }
  platform::OnStopRequest(OnInterrupt);
  return Run(options);
}

}  // namespace proctor::cli
