#include "client/cli/eval_command.h"

#include <cstdio>

#include "client/eval/eval_plot.h"

namespace proctor::cli {

int RunEval(const FaceCliOptions& options, const EvalCommandOptions& eval) {
  auto base = MakeAnalyzer(options);
  if (!base.ok()) {
    std::fprintf(stderr, "proctor-face: %s\n", std::string(base.status().message()).c_str());
    return kExitFailure;
  }
  auto analyzer = (*base)->CloneWith(/*compute_descriptors=*/true, /*keep_chips=*/true);
  if (!analyzer.ok()) {
    std::fprintf(stderr, "proctor-face: %s\n", std::string(analyzer.status().message()).c_str());
    return kExitFailure;
  }
  auto progress = [](const std::string& line) { std::fprintf(stderr, "eval: %s\n", line.c_str()); };
  auto result = eval::Evaluate(**analyzer, eval.inputs, eval.degrade, progress);
  if (!result.ok()) {
    std::fprintf(stderr, "proctor-face eval: %s\n", std::string(result.status().message()).c_str());
    return result.status().code() == absl::StatusCode::kInternal ? kExitFailure : kExitBadInput;
  }
  if (result->clean.comparisons.empty()) {
    std::fprintf(stderr,
                 "proctor-face eval: no comparison could be made (%d of %d photos held no "
                 "readable face; a labelled folder needs two photos, a group photo two faces)\n",
                 static_cast<int>(result->clean.failed_to_acquire),
                 static_cast<int>(result->clean.attempts));
    return kExitNoFace;
  }
  if (!eval.plot_prefix.empty()) {
    const std::string title = "proctor-face eval: distances and DET (clean photos)";
    absl::Status s = eval::WriteScorePlots(result->clean.scores, title, eval.plot_prefix);
    if (s.ok() || s.code() == absl::StatusCode::kFailedPrecondition) {
      if (!s.ok())
        std::fprintf(stderr, "proctor-face eval: %s\n", std::string(s.message()).c_str());
      s = eval::WriteWorstPairsSheet(
          result->faces, eval::WorstGenuine(result->clean, eval.report.worst),
          eval::WorstImpostor(result->clean, eval.report.worst), eval.plot_prefix + "-worst.png");
      if (s.code() == absl::StatusCode::kFailedPrecondition) s = absl::OkStatus();
    }
    if (!s.ok()) {
      std::fprintf(stderr, "proctor-face eval: %s\n", std::string(s.message()).c_str());
      return kExitFailure;
    }
    std::fprintf(stderr, "eval: wrote %s.png, %s.svg and %s-worst.png\n", eval.plot_prefix.c_str(),
                 eval.plot_prefix.c_str(), eval.plot_prefix.c_str());
  }
  if (options.json) {
    std::printf("%s\n", eval::ReportJson(*result, eval.report).dump(2).c_str());
  } else {
    std::fputs(eval::ReportText(*result, eval.report).c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace proctor::cli
