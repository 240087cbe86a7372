// ProctorSession: one learner's proctored session on this machine, from the pass to the close —
// the life cycle that proctor-client runs, as a library over seams (the journal's FileEnv, the
// FrameSource, the uplink's ServerConnection, a Clock, a SessionView), so it is tested in
// process (proctor_session_test.cc).
//
//   1. open or resume: a journal holding this pass's session is resumed (another pass's is
//      refused); otherwise the pass is redeemed (OpenSession) and the session recorded;
//   2. after a restart, reconcile with the server (it may hold more than the journal, or have
//      closed the session; offline is fine);
//   3. proctor: frames -> ProctorMonitor -> events sealed into the chain, journaled (synced)
//      BEFORE the uplink may send them; states open at a restart are ended first;
//   4. deliver what is left, close the session, and delete the journal once everything is
//      acknowledged and the session closed.
#ifndef PROCTOR_CLIENT_SESSION_PROCTOR_SESSION_H_
#define PROCTOR_CLIENT_SESSION_PROCTOR_SESSION_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "biometrics/face_analyzer.h"
#include "client/capture/frame_source.h"
#include "client/journal/journal.h"
#include "client/session/session_view.h"
#include "client/uplink/uplink.h"
#include "common/clock.h"
#include "protocol/consent.h"

namespace proctor::client {

// How a session ended; proctor-client's exit codes are these values.
enum class SessionOutcome {
  kDone = 0,          // every event acknowledged, the session closed
  kFailure = 1,       // source, models or journal unusable; the server refused the events
  kBadArguments = 2,  // bad options
  kPassRefused = 3,   // pass unknown, used or expired, or the journal holds another pass's session
  kUndelivered = 4,   // events still journaled: run again to deliver them
  kConsentDeclined = 5,  // the learner did not agree to the consent notice (nothing captured)
};

struct SessionConfig {
  std::string server;  // the --server text, for messages and the journal
  std::string pass;    // the one-time exam pass
  UplinkOptions uplink;
  double analysis_fps = 3.0;            // frames analysed per second, (0, 30]
  int64_t liveness_window_ms = 15000;   // 0 disables the liveness check
  std::optional<double> duration_s;     // stop after this much media time, s
  int64_t connect_timeout_ms = 30'000;  // waiting for a server at the start
  int64_t drain_timeout_ms = 30'000;    // delivering what is left at the end
  // The learner's agreement to the notice, asked before the camera opened; required to open a
  // new session (a resumed one carries its own in the journal).
  std::optional<protocol::ConsentRecord> consent;
};

// Everything the session works with; all pointers must outlive Run().
struct SessionParts {
  Journal* journal = nullptr;
  FrameSource* source = nullptr;
  biometrics::FaceAnalyzer* analyzer = nullptr;
  SessionView* view = nullptr;
  ConnectionFactory connect;  // empty: gRPC
  const Clock* clock = &Clock::Real();
  std::function<int()> interrupts = [] { return 0; };  // Ctrl-C presses so far
};

struct SessionSummary {
  SessionOutcome outcome = SessionOutcome::kFailure;
  std::string error;      // why it failed, for stderr; empty on success
  bool reported = false;  // the fields below are filled (the session got that far)
  std::string session_id;
  bool resumed = false;
  uint64_t events = 0;
  uint64_t events_this_run = 0;
  uint64_t acknowledged = 0;
  uint64_t pending = 0;
  uint64_t duplicates = 0;
  uint64_t reconnects = 0;
  std::map<std::string, int> kinds;  // events of this run by kind name
  int64_t ended_at_ms = 0;
  bool closed = false;
  std::string verdict;  // once closed
  double risk_score = 0;
  std::string journal_dir;
};

class ProctorSession {
 public:
  ProctorSession(SessionConfig config, SessionParts parts);
  SessionSummary Run();

 private:
  SessionOutcome Steps();
  SessionOutcome Fail(SessionOutcome outcome, std::string message);
  SessionOutcome OpenOrResume();
  SessionOutcome ReconcileWithServer();
  std::vector<Event> EndStatesOpenAtRestart();
  absl::Status Emit(std::vector<Event> events);
  // The monitor, started (or resumed: states open at the restart ended first).
  absl::StatusOr<std::unique_ptr<ProctorMonitor>> StartMonitor();
  SessionOutcome Proctor();
  SessionOutcome Deliver();
  SessionOutcome Finish(SessionOutcome outcome, const std::string& verdict, double risk);
  DeliveryView Delivery() const;

  const SessionConfig config_;
  const SessionParts parts_;
  Journal* const journal_;
  FrameSource* const source_;
  SessionView* const view_;
  const Clock* const clock_;
  std::unique_ptr<Uplink> uplink_;
  std::unique_ptr<protocol::ChainSealer> sealer_;
  JournalMeta meta_;
  bool resumed_ = false;
  bool analysis_done_ = false;  // the journal already ends with SESSION_ENDED
  int64_t resume_at_ms_ = 0;
  int64_t ended_at_ms_ = 0;
  uint64_t events_this_run_ = 0;
  std::map<std::string, int> kinds_;
  std::string source_error_;
  SessionSummary summary_;
};

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_SESSION_PROCTOR_SESSION_H_
