// proctor-client: the learner's side of a proctored exam.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "client/cli/run_command.h"

int main(int argc, char** argv) {
  try {
    CLI::App app{
        "proctor-client: proctors an online exam from the webcam (or a video) and sends "
        "signed attestation events to the proctoring server"};
    app.footer(
        "Exit codes: 0 every event acknowledged and the session closed; 1 the camera, video, "
        "models or journal cannot be used, or the server refused the events; 2 bad arguments; "
        "3 the pass was refused (unknown, used or expired); 4 events are still in the journal "
        "(server unreachable): run again with the same --pass and --journal to deliver them.");
    app.require_subcommand(1);
    proctor::cli::RunOptions o;
    CLI::App* run = app.add_subcommand(
        "run", "Run the proctored session until the video ends, --duration, or Ctrl-C");
    run->add_option("--server", o.server,
                    "Proctoring server host:port; several, comma-separated, are tried in turn")
        ->required();
    run->add_option("--pass", o.pass, "Your one-time exam pass")->required();
    auto* camera =
        run->add_option("--camera", o.camera, "Camera index (default 0)")->check(CLI::Range(0, 63));
    auto* video = run->add_option("--video", o.video, "Proctor a video file instead of a camera");
    auto* images = run->add_option("--images", o.images,
                                   "Proctor a directory of images (one per --image-interval)");
    camera->excludes(video)->excludes(images);
    video->excludes(images);
    run->add_option("--journal", o.journal_dir,
                    "Directory of the local event journal (default "
                    "$XDG_STATE_HOME/proctor/journal or ~/.local/state/proctor/journal)");
    run->add_flag("--headless", o.headless, "No preview window (status in the terminal only)");
    run->add_option("--duration", o.duration_s, "Stop after this many seconds of media time")
        ->check(CLI::PositiveNumber);
    run->add_option("--models", o.models_dir,
                    "Model directory (default: $PROCTOR_MODELS, else the repository's models/)");
    run->add_option("--fps", o.analysis_fps, "Frames analysed per second")
        ->check(CLI::Range(0.1, 30.0))
        ->capture_default_str();
    run->add_option("--image-interval", o.image_interval_ms, "With --images: ms per image")
        ->check(CLI::Range(int64_t{1}, int64_t{3'600'000}))
        ->capture_default_str();
    run->add_option("--liveness-window", o.liveness_window_ms,
                    "Blink and head-turn check at the start, ms (0 disables)")
        ->check(CLI::Range(int64_t{0}, int64_t{600'000}))
        ->capture_default_str();
    run->add_option("--connect-timeout", o.connect_timeout_s,
                    "Seconds to wait for a server when the session opens")
        ->check(CLI::Range(int64_t{1}, int64_t{3600}))
        ->capture_default_str();
    run->add_option("--drain-timeout", o.drain_timeout_s,
                    "Seconds to spend delivering what is left at the end")
        ->check(CLI::Range(int64_t{1}, int64_t{3600}))
        ->capture_default_str();
    run->add_option("--tls-ca", o.tls_ca, "PEM file of the CA of the server's TLS certificate")
        ->check(CLI::ExistingFile);
    run->add_flag("--json", o.json, "Print the summary as one JSON document on stdout");
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      const int rc = app.exit(e);
      return rc == 0 ? proctor::cli::kRunOk : proctor::cli::kRunBadArguments;
    }
    return proctor::cli::RunSession(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "proctor-client: unexpected error: %s\n", e.what());
    return proctor::cli::kRunFailure;
  }
}
