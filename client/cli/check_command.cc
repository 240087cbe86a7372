#include "client/cli/check_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "biometrics/face_analyzer.h"
#include "biometrics/face_quality.h"
#include "biometrics/model_files.h"
#include "client/capture/frame_source.h"
#include "client/cli/run_command.h"
#include "client/uplink/grpc_server_connection.h"
#include "client/uplink/uplink.h"
#include "common/i18n.h"
#include "common/platform.h"
#include "nlohmann/json.hpp"

namespace proctor::cli {
namespace {

using i18n::Tr;
using i18n::Trf;
using Steady = std::chrono::steady_clock;

// Share of the frames that must show one usable face for the face check to pass.
constexpr double kGoodFrameShare = 0.6;
// The analysis may take this share of one core; beyond it the exam itself slows down.
constexpr double kMaxAnalysisLoad = 0.7;
// Frames delivered per second, as a share of the rate the analysis needs.
constexpr double kMinRateShare = 0.8;

absl::Status ValidateCheckOptions(const CheckOptions& o) {
  const int sources = (o.camera ? 1 : 0) + (o.video.empty() ? 0 : 1) + (o.images.empty() ? 0 : 1);
  if (sources > 1) return absl::InvalidArgumentError(Tr("give one of --camera, --video, --images"));
  if (o.server.empty()) return absl::InvalidArgumentError(Tr("at least one --server is needed"));
  if (o.analysis_fps <= 0 || o.analysis_fps > 30) {
    return absl::InvalidArgumentError(Tr("--fps must be within (0, 30]"));
  }
  if (o.seconds < 1 || o.seconds > 60) {
    return absl::InvalidArgumentError(Tr("--seconds must be within [1, 60]"));
  }
  return absl::OkStatus();
}

CheckResult Failed(const std::string& name, std::string detail, std::string advice) {
  return {name, false, std::move(detail), std::move(advice)};
}

CheckResult Passed(const std::string& name, std::string detail) {
  return {name, true, std::move(detail), ""};
}

// A synced probe file in the journal folder, then its free space.
CheckResult CheckJournal(const CheckOptions& o) {
  const std::string dir = o.journal_dir.empty() ? DefaultJournalDir() : o.journal_dir;
  std::error_code ec;
  std::filesystem::create_directories(platform::PathFromUtf8(dir), ec);
  if (ec) {
    return Failed("journal", Trf("cannot create $0: $1", dir, ec.message()),
                  Tr("choose a folder you may write to with --journal"));
  }
  const std::string probe = absl::StrCat(dir, "/.check-", std::random_device{}());
  std::FILE* f = platform::OpenFile(probe, "wb");
  const bool written =
      f != nullptr && std::fwrite("probe", 1, 5, f) == 5 && platform::SyncStream(f, probe).ok();
  if (f != nullptr) std::fclose(f);
  std::filesystem::remove(platform::PathFromUtf8(probe), ec);
  if (!written) {
    return Failed("journal", Trf("cannot write to $0", dir),
                  Tr("choose a folder you may write to with --journal"));
  }
  const auto space = std::filesystem::space(platform::PathFromUtf8(dir), ec);
  const int64_t free_mb = ec ? -1 : static_cast<int64_t>(space.available >> 20);
  if (free_mb >= 0 && free_mb < o.min_free_mb) {
    return Failed("journal", Trf("$0: $1 MiB free, $2 MiB needed", dir, free_mb, o.min_free_mb),
                  Tr("free some disk space, or choose another folder with --journal"));
  }
  return Passed("journal", Trf("$0 is writable, $1 MiB free", dir, free_mb));
}

absl::StatusOr<std::unique_ptr<client::FrameSource>> OpenCheckSource(const CheckOptions& o) {
  client::FrameSourceOptions options;
  options.sample_fps = o.analysis_fps;
  if (!o.video.empty()) return client::OpenVideo(o.video, options);
  if (!o.images.empty()) return client::OpenImageDirectory(o.images, options);
  return client::OpenCamera(o.camera.value_or(0), options);
}

// What the frames showed, counted per problem.
struct FaceTally {
  int frames = 0;
  int good = 0;
  int no_face = 0;
  int several = 0;
  int too_dark = 0;
  int too_bright = 0;
  int too_blurry = 0;
  int too_small = 0;
  double analysis_seconds = 0;  // wall time spent analysing
  int64_t first_ms = -1, last_ms = -1;
};

void Count(const std::vector<biometrics::FaceAnalysis>& faces, const biometrics::Image& image,
           FaceTally& t) {
  if (faces.size() > 1) {
    ++t.several;
    return;
  }
  const biometrics::QualityReport q =
      faces.empty() ? biometrics::AssessFrameQuality(image) : faces[0].quality;
  if (faces.size() == 1 && q.usable()) {
    ++t.good;
    return;
  }
  if (q.too_dark) {
    ++t.too_dark;
  } else if (q.too_bright) {
    ++t.too_bright;
  } else if (q.too_blurry) {
    ++t.too_blurry;
  } else if (faces.size() == 1 && q.too_small) {
    ++t.too_small;
  } else {
    ++t.no_face;
  }
}

// Advice for the most frequent problem.
std::string FaceAdvice(const FaceTally& t) {
  const std::pair<int, const char*> problems[] = {
      {t.too_dark, i18n::N_("more light from the front: a lamp or a window in front of you, "
                            "not behind")},
      {t.too_bright, i18n::N_("the picture is too bright: turn away from the window or lower "
                              "the light behind you")},
      {t.too_blurry, i18n::N_("the picture is blurred: clean the camera lens and hold still")},
      {t.too_small, i18n::N_("move closer to the camera: your face should fill about a third "
                             "of the picture")},
      {t.several, i18n::N_("only you should be in view of the camera")},
      {t.no_face, i18n::N_("face the camera, with your whole face in the picture")},
  };
  const auto* worst =
      std::max_element(std::begin(problems), std::end(problems),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
  return worst->first > 0 ? Tr(worst->second) : "";
}

struct SourceChecks {
  CheckResult camera, face, cpu;
};

SourceChecks CheckSource(const CheckOptions& o, biometrics::FaceAnalyzer* analyzer) {
  SourceChecks out;
  out.face = Failed("face", Tr("not checked: no frames"), "");
  out.cpu = Failed("cpu", Tr("not checked: no frames"), "");
  auto source = OpenCheckSource(o);
  if (!source.ok()) {
    out.camera = Failed("camera", std::string(source.status().message()),
                        Tr("connect the camera, close other programs that use it (video calls), "
                           "and allow camera access in the system's privacy settings"));
    return out;
  }
  FaceTally t;
  const Steady::time_point started = Steady::now();
  std::string source_error;
  while (true) {
    auto next = (*source)->Next();
    if (!next.ok()) {
      source_error = std::string(next.status().message());
      break;
    }
    if (!next->has_value()) break;
    const client::Frame& frame = **next;
    if (t.first_ms < 0) t.first_ms = frame.at_ms;
    t.last_ms = frame.at_ms;
    ++t.frames;
    if (analyzer != nullptr) {
      const Steady::time_point before = Steady::now();
      auto faces = analyzer->Analyze(frame.image);
      t.analysis_seconds += std::chrono::duration<double>(Steady::now() - before).count();
      if (faces.ok()) Count(*faces, frame.image, t);
    }
    if (frame.at_ms - t.first_ms >= static_cast<int64_t>(o.seconds * 1000)) break;
    if ((*source)->realtime() && Steady::now() - started > std::chrono::seconds(90)) break;
  }
  const double span_s = t.frames > 1 ? (t.last_ms - t.first_ms) / 1000.0 : 0;
  const double rate = span_s > 0 ? (t.frames - 1) / span_s : 0;
  const i18n::Translator& tr = i18n::Process();
  const std::string what = (*source)->Describe();
  if (t.frames < 2 || rate < kMinRateShare * o.analysis_fps) {
    out.camera =
        Failed("camera",
               source_error.empty() ? tr.Trf("$0: $1 frames per second, $2 needed", what,
                                             tr.Number(rate, 1), tr.Number(o.analysis_fps, 1))
                                    : tr.Trf("$0: $1", what, source_error),
               Tr("close other programs that use the camera, or try another camera (--camera 1)"));
  } else {
    out.camera =
        Passed("camera", tr.Trf("$0: $1 frames in $2 s ($3 per second needed)", what, t.frames,
                                tr.Number(span_s, 1), tr.Number(o.analysis_fps, 1)));
  }
  if (analyzer == nullptr || t.frames == 0) return out;
  const int percent = static_cast<int>(100.0 * t.good / t.frames + 0.5);
  const std::string seen = tr.Trf("one clear face in $0% of $1 frames", percent, t.frames);
  if (t.good >= kGoodFrameShare * t.frames) {
    out.face = Passed("face", seen);
  } else {
    out.face = Failed("face", seen, FaceAdvice(t));
  }
  const double load = t.analysis_seconds / t.frames * o.analysis_fps;
  const std::string cost = tr.Trf(
      "the analysis needs $0% of one processor core at $1 frames "
      "per second",
      static_cast<int>(load * 100 + 0.5), tr.Number(o.analysis_fps, 1));
  if (load <= kMaxAnalysisLoad) {
    out.cpu = Passed("cpu", cost);
  } else {
    out.cpu = Failed("cpu", cost,
                     Tr("close other programs during the exam, or plug the laptop in (power "
                        "saving slows the processor)"));
  }
  return out;
}

bool IsLoopback(const std::string& address) {
  return absl::StartsWith(address, "127.") || absl::StartsWith(address, "localhost:") ||
         absl::StartsWith(address, "[::1]:");
}

// Ping every --server; the check passes when one answers.
std::vector<CheckResult> CheckServer(const CheckOptions& o) {
  const i18n::Translator& tr = i18n::Process();
  auto servers = client::ParseServerList(o.server);
  if (!servers.ok()) return {Failed("server", std::string(servers.status().message()), "")};
  client::UplinkOptions uplink;
  uplink.servers = *servers;
  uplink.tls_ca_file = o.tls_ca;
  if (auto s = client::ValidateUplinkOptions(uplink); !s.ok()) {
    return {Failed("server", std::string(s.message()), "")};
  }
  client::ConnectionFactory connect = client::GrpcConnections(uplink);
  std::vector<std::string> failures;
  for (const std::string& address : *servers) {
    auto ping = connect(address)->Ping(10'000);
    if (!ping.ok()) {
      failures.push_back(std::string(ping.status().message()));
      continue;
    }
    std::vector<CheckResult> out;
    out.push_back(Passed("server", tr.Trf("$0 answered in $1 ms (version $2)", address,
                                          ping->round_trip_ms, ping->version)));
    if (!o.tls_ca.empty()) {
      out.push_back(Passed("tls", tr.Trf("the connection to $0 is encrypted (TLS)", address)));
    } else if (IsLoopback(address)) {
      out.push_back(Passed("tls", tr.Trf("$0 is on this computer: no encryption needed", address)));
    } else {
      out.push_back(Failed("tls", tr.Trf("the connection to $0 is not encrypted", address),
                           Tr("ask your institution for the server's certificate file and "
                              "give it with --tls-ca")));
    }
    const int64_t offset_s = ping->clock_offset_ms / 1000;
    const std::string clock =
        tr.Trf("this computer's clock differs from the server's by $0 s", offset_s);
    if (std::llabs(offset_s) <= o.max_clock_offset_s) {
      out.push_back(Passed("clock", clock));
    } else {
      out.push_back(
          Failed("clock", clock, Tr("set the date and time automatically in the system settings")));
    }
    return out;
  }
  return {Failed("server", absl::StrJoin(failures, "; "),
                 Tr("check the internet connection and the --server address your institution "
                    "gave you; a school network may block the port"))};
}

void Print(const CheckOptions& o, const std::vector<CheckResult>& results, bool ok) {
  if (o.json) {
    nlohmann::json checks = nlohmann::json::array();
    for (const CheckResult& r : results) {
      checks.push_back(
          {{"name", r.name}, {"ok", r.ok}, {"detail", r.detail}, {"advice", r.advice}});
    }
    nlohmann::json doc = {
        {"ok", ok}, {"checks", checks}, {"exit_code", ok ? kCheckOk : kCheckFailed}};
    std::printf("%s\n", doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return;
  }
  for (const CheckResult& r : results) {
    // TRANSLATORS: the outcome column of `proctor-client check`, at most 6 characters.
    std::printf("%s %s %s\n", i18n::PadRight(r.ok ? Tr("OK") : Tr("FAIL"), 6).c_str(),
                i18n::PadRight(r.name, 8).c_str(), r.detail.c_str());
    if (!r.advice.empty()) std::printf("       %s\n", Trf("→ $0", r.advice).c_str());
  }
  std::printf("%s\n", ok ? Tr("All checks passed: this computer is ready for the exam.").c_str()
                         : Tr("Some checks failed: fix what is marked FAIL and run the check "
                              "again.")
                               .c_str());
}

}  // namespace

int RunCheck(const CheckOptions& o) {
  if (auto s = ValidateCheckOptions(o); !s.ok()) {
    std::fprintf(stderr, "proctor-client: %s\n", std::string(s.message()).c_str());
    return kCheckBadArguments;
  }
  std::vector<CheckResult> results;
  results.push_back(CheckJournal(o));
  biometrics::FaceAnalyzerOptions analyzer_options;
  analyzer_options.models_dir = biometrics::ResolveModelsDir(o.models_dir);
  auto analyzer = biometrics::FaceAnalyzer::Create(analyzer_options);
  results.push_back(analyzer.ok() ? Passed("models", Trf("the face models load from $0",
                                                         analyzer_options.models_dir))
                                  : Failed("models", std::string(analyzer.status().message()),
                                           Tr("reinstall proctor-client")));
  SourceChecks source = CheckSource(o, analyzer.ok() ? analyzer->get() : nullptr);
  results.push_back(std::move(source.camera));
  if (analyzer.ok()) {
    results.push_back(std::move(source.face));
    results.push_back(std::move(source.cpu));
  }
  for (CheckResult& r : CheckServer(o)) results.push_back(std::move(r));
  const bool ok =
      std::all_of(results.begin(), results.end(), [](const CheckResult& r) { return r.ok; });
  Print(o, results, ok);
  return ok ? kCheckOk : kCheckFailed;
}

}  // namespace proctor::cli
