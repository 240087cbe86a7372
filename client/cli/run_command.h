// `proctor-client run`: one proctored session from a camera, a video or images, with the
// journal and the uplink, a live status for the learner and a summary at the end.
#ifndef PROCTOR_CLIENT_CLI_RUN_COMMAND_H_
#define PROCTOR_CLIENT_CLI_RUN_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>

namespace proctor::cli {

// proctor-client exit codes (documented in --help and README).
inline constexpr int kRunOk = 0;            // every event acknowledged, the session closed
inline constexpr int kRunFailure = 1;       // source, models or journal unusable; server refused
inline constexpr int kRunBadArguments = 2;  // bad command line
inline constexpr int kRunPassRefused = 3;   // pass unknown, used or expired (or another pass's
                                            // session waits in the journal)
inline constexpr int kRunUndelivered = 4;   // events still in the journal: run again to deliver
inline constexpr int kRunConsentDeclined = 5;  // the learner did not agree to the consent notice:
                                               // nothing captured, the pass still valid

struct RunOptions {
  std::string server;                  // --server: host:port[,host:port...], tried in turn
  std::string pass;                    // --pass: the one-time exam pass
  std::optional<int> camera;           // --camera N
  std::string video;                   // --video FILE
  std::string images;                  // --images DIR (one image per --image-interval)
  std::string journal_dir;             // --journal; default $XDG_STATE_HOME/proctor/journal
  bool headless = false;               // --headless: no preview window
  std::optional<double> duration_s;    // --duration: stop after this much media time, s
  std::string models_dir;              // --models; default $PROCTOR_MODELS, else the repo's models/
  double analysis_fps = 3.0;           // --fps: frames analysed per second, (0, 30]
  int64_t image_interval_ms = 1000;    // --image-interval, ms
  int64_t liveness_window_ms = 15000;  // --liveness-window, ms; 0 disables
  int64_t connect_timeout_s = 30;      // --connect-timeout: waiting for a server at start, s
  int64_t drain_timeout_s = 30;        // --drain-timeout: delivering what is left at the end, s
  std::string tls_ca;                  // --tls-ca: PEM of the server's CA; empty: plaintext
  bool json = false;                   // --json: the summary as one JSON document on stdout
  bool consent = false;                // --consent: the learner has read the notice and agrees
  bool from_link = false;  // started by `open` from a proctor:// link: say so before consent
};

// Default journal directory: $XDG_STATE_HOME/proctor/journal, else ~/.local/state/proctor/journal.
std::string DefaultJournalDir();

int RunSession(const RunOptions& options);

}  // namespace proctor::cli

#endif  // PROCTOR_CLIENT_CLI_RUN_COMMAND_H_
