// proctor-client: the learner's side of a proctored exam.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "client/cli/check_command.h"
#include "client/cli/proctor_link.h"
#include "client/cli/run_command.h"
#include "common/i18n.h"
#include "common/platform.h"

using proctor::i18n::Tr;

int main(int argc, char** argv) {
  try {
    // Windows: UTF-8 in the console, and the arguments as typed whatever the ANSI code page
    // (C:\Users\Мария\... on an English Windows).
    proctor::platform::UseUtf8Console();
    std::vector<std::string> args = proctor::platform::Utf8Arguments(argc, argv);
    std::vector<char*> utf8_argv;
    for (auto& arg : args) utf8_argv.push_back(arg.data());
    utf8_argv.push_back(nullptr);
    argc = static_cast<int>(args.size());
    argv = utf8_argv.data();
    // The language comes first: the help texts below are in it.
    if (auto s = proctor::i18n::ChooseProcessLanguage(argc, argv); !s.ok()) {
      std::fprintf(stderr, "proctor-client: %s\n", std::string(s.message()).c_str());
      return proctor::cli::kRunBadArguments;
    }
    CLI::App app{
        Tr("proctor-client: proctors an online exam from the webcam (or a video) and sends "
           "signed attestation events to the proctoring server")};
    app.footer(
        Tr("Exit codes: 0 every event acknowledged and the session closed; 1 the camera, video, "
           "models or journal cannot be used, or the server refused the events; 2 bad arguments; "
           "3 the pass was refused (unknown, used or expired); 4 events are still in the journal "
           "(server unreachable): run again with the same --pass and --journal to deliver them; "
           "5 the learner did not agree to the consent notice (nothing captured, the pass still "
           "valid)."));
    std::string lang;
    app.add_option("--lang", lang,
                   Tr("Language of the messages: en or ru (default: from LANGUAGE, LC_ALL, "
                      "LC_MESSAGES, LANG)"));
    app.require_subcommand(1);
    app.fallthrough();  // --lang may also follow `run`
    // What `run` and `open` share: the capture, the journal, the models, the connection.
    auto add_session_options = [](CLI::App* sub, proctor::cli::RunOptions& opt) {
      auto* camera = sub->add_option("--camera", opt.camera, Tr("Camera index (default 0)"))
                         ->check(CLI::Range(0, 63));
      auto* video =
          sub->add_option("--video", opt.video, Tr("Proctor a video file instead of a camera"));
      auto* images = sub->add_option(
          "--images", opt.images, Tr("Proctor a directory of images (one per --image-interval)"));
      camera->excludes(video)->excludes(images);
      video->excludes(images);
      sub->add_option("--journal", opt.journal_dir,
                      Tr("Directory of the local event journal (default "
                         "$XDG_STATE_HOME/proctor/journal or ~/.local/state/proctor/journal)"));
      sub->add_flag("--headless", opt.headless,
                    Tr("No preview window (status in the terminal only)"));
      sub->add_option("--duration", opt.duration_s,
                      Tr("Stop after this many seconds of media time"))
          ->check(CLI::PositiveNumber);
      sub->add_option(
          "--models", opt.models_dir,
          Tr("Model directory (default: $PROCTOR_MODELS, else the repository's models/)"));
      sub->add_option("--fps", opt.analysis_fps, Tr("Frames analysed per second"))
          ->check(CLI::Range(0.1, 30.0))
          ->capture_default_str();
      sub->add_option("--image-interval", opt.image_interval_ms, Tr("With --images: ms per image"))
          ->check(CLI::Range(int64_t{1}, int64_t{3'600'000}))
          ->capture_default_str();
      sub->add_option("--liveness-window", opt.liveness_window_ms,
                      Tr("Blink and head-turn check at the start, ms (0 disables)"))
          ->check(CLI::Range(int64_t{0}, int64_t{600'000}))
          ->capture_default_str();
      sub->add_option("--connect-timeout", opt.connect_timeout_s,
                      Tr("Seconds to wait for a server when the session opens"))
          ->check(CLI::Range(int64_t{1}, int64_t{3600}))
          ->capture_default_str();
      sub->add_option("--drain-timeout", opt.drain_timeout_s,
                      Tr("Seconds to spend delivering what is left at the end"))
          ->check(CLI::Range(int64_t{1}, int64_t{3600}))
          ->capture_default_str();
      sub->add_option("--tls-ca", opt.tls_ca,
                      Tr("PEM file of the CA of the server's TLS certificate"))
          ->check(CLI::ExistingFile);
      sub->add_flag("--json", opt.json, Tr("Print the summary as one JSON document on stdout"));
    };
    proctor::cli::RunOptions o;
    CLI::App* run = app.add_subcommand(
        "run", Tr("Run the proctored session until the video ends, --duration, or Ctrl-C"));
    run->add_option("--server", o.server,
                    Tr("Proctoring server host:port; several, comma-separated, are tried in turn"))
        ->required();
    run->add_option("--pass", o.pass, Tr("Your one-time exam pass"))->required();
    add_session_options(run, o);
    run->add_flag("--consent", o.consent,
                  Tr("The learner has read the consent notice (printed first) and agrees: do not "
                     "ask (kiosks, scripts; without it the answer is read from standard input)"));

    proctor::cli::RunOptions lo;
    std::string link;
    CLI::App* open = app.add_subcommand(
        "open", Tr("Run the proctored session from a proctor:// link (what the course page's "
                   "Start button opens); asks for consent like run, never without it"));
    open->add_option("link", link, Tr("The link: proctor://run?server=HOST:PORT&pass=PASS"))
        ->required();
    add_session_options(open, lo);

    proctor::cli::CheckOptions c;
    CLI::App* check = app.add_subcommand(
        "check",
        Tr("Check this computer before the exam: camera, light, processor, server, clock and "
           "disk. Spends no pass; exit 0 only when every check passes"));
    check->add_option("--server", c.server, Tr("Proctoring server host:port (as for run)"))
        ->required();
    auto* check_camera = check->add_option("--camera", c.camera, Tr("Camera index (default 0)"))
                             ->check(CLI::Range(0, 63));
    auto* check_video =
        check->add_option("--video", c.video, Tr("Check a video file instead of a camera"));
    auto* check_images =
        check->add_option("--images", c.images, Tr("Check a directory of images instead"));
    check_camera->excludes(check_video)->excludes(check_images);
    check_video->excludes(check_images);
    check->add_option("--journal", c.journal_dir, Tr("Journal directory to check (as for run)"));
    check->add_option("--models", c.models_dir, Tr("Model directory (as for run)"));
    check->add_option("--fps", c.analysis_fps, Tr("Frames analysed per second"))
        ->check(CLI::Range(0.1, 30.0))
        ->capture_default_str();
    check->add_option("--seconds", c.seconds, Tr("How long to watch the camera, seconds"))
        ->check(CLI::Range(1.0, 60.0))
        ->capture_default_str();
    check->add_option("--min-free-mb", c.min_free_mb, Tr("Free disk space the journal needs, MiB"))
        ->check(CLI::Range(int64_t{0}, int64_t{1'000'000}))
        ->capture_default_str();
    check
        ->add_option("--max-clock-offset", c.max_clock_offset_s,
                     Tr("Largest allowed difference from the server's clock, seconds"))
        ->check(CLI::Range(int64_t{1}, int64_t{86'400}))
        ->capture_default_str();
    check
        ->add_option("--tls-ca", c.tls_ca, Tr("PEM file of the CA of the server's TLS certificate"))
        ->check(CLI::ExistingFile);
    check->add_flag("--json", c.json, Tr("Print the checks as one JSON document on stdout"));
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      const int rc = app.exit(e);
      return rc == 0 ? proctor::cli::kRunOk : proctor::cli::kRunBadArguments;
    }
    if (check->parsed()) return proctor::cli::RunCheck(c);
    if (open->parsed()) {
      auto parsed = proctor::cli::ParseProctorLink(link);
      if (!parsed.ok()) {
        std::fprintf(stderr, "proctor-client: %s\n",
                     std::string(parsed.status().message()).c_str());
        return proctor::cli::kRunBadArguments;
      }
      lo.server = parsed->server;
      lo.pass = parsed->pass;
      lo.from_link = true;
      return proctor::cli::RunSession(lo);
    }
    return proctor::cli::RunSession(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n",
                 proctor::i18n::Trf("proctor-client: unexpected error: $0", e.what()).c_str());
    return proctor::cli::kRunFailure;
  }
}
