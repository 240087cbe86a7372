// `proctor-client check`: the system check a learner runs days before the exam. It spends no
// pass and records nothing on the server. One line per check (or one JSON document), exit 0 only
// when every check passes:
//   journal  the journal folder is writable (a synced probe file) and has free space
//   models   the face models load
//   camera   the camera (or --video/--images) opens and delivers frames at the analysis rate
//   face     one face, found with enough light, sharpness and size (with advice when not)
//   cpu      the analysis keeps up with the rate and leaves room for the exam
//   server   a --server answers (Ping), over TLS when --tls-ca is given
//   tls      the connection is encrypted (a loopback server may go without)
//   clock    this computer's clock is within --max-clock-offset of the server's
#ifndef PROCTOR_CLIENT_CLI_CHECK_COMMAND_H_
#define PROCTOR_CLIENT_CLI_CHECK_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace proctor::cli {

inline constexpr int kCheckOk = 0;            // every check passed
inline constexpr int kCheckFailed = 1;        // at least one check failed (each line says why)
inline constexpr int kCheckBadArguments = 2;  // bad command line

struct CheckOptions {
  std::string server;              // --server: host:port[,host:port...]; required
  std::string tls_ca;              // --tls-ca: PEM of the server's CA; empty: plaintext
  std::optional<int> camera;       // --camera N (default 0 when no --video/--images)
  std::string video;               // --video FILE instead of a camera
  std::string images;              // --images DIR instead of a camera
  std::string journal_dir;         // --journal; default as for `run`
  std::string models_dir;          // --models; default $PROCTOR_MODELS, else the repo's models/
  double analysis_fps = 3.0;       // --fps: the rate the exam will analyse at, (0, 30]
  double seconds = 6.0;            // --seconds: how long to watch the camera, 1-60
  int64_t min_free_mb = 200;       // --min-free-mb: free space the journal folder needs, MiB
  int64_t max_clock_offset_s = 120;  // --max-clock-offset: allowed clock difference, s
  bool json = false;               // --json: one JSON document on stdout
};

// One check's outcome. `name` is stable (JSON); `detail` and `advice` are in the process language.
struct CheckResult {
  std::string name;
  bool ok = false;
  std::string detail;
  std::string advice;  // what to do when !ok; empty when there is nothing to do
};

int RunCheck(const CheckOptions& options);

}  // namespace proctor::cli

#endif  // PROCTOR_CLIENT_CLI_CHECK_COMMAND_H_
