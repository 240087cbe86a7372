// The pictures `proctor-face eval --plot PREFIX` writes, each as PNG and SVG from one drawing:
//   PREFIX.png/.svg — left, the genuine and impostor distance histograms with the INTERMEDIATE
//   and FINAL thresholds; right, the DET curve (FNMR against FMR, both on log axes, as NIST's
//   FRVT reports draw it) with the two operating points marked. A rate of 0 is drawn at the
//   axis floor, 1 / (2 x comparisons), and the legend says so.
//   PREFIX-worst.png — the worst genuine pairs (largest distance) and the worst impostor pairs
//   (smallest distance) side by side as their aligned face chips, with the distance under each.
#ifndef PROCTOR_CLIENT_EVAL_EVAL_PLOT_H_
#define PROCTOR_CLIENT_EVAL_EVAL_PLOT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/eval/face_eval.h"

namespace proctor::eval {

absl::Status WriteScorePlots(const ScoreSet& scores, const std::string& title,
                             const std::string& prefix);

absl::Status WriteWorstPairsSheet(const std::vector<EvalFace>& faces,
                                  const std::vector<Comparison>& worst_genuine,
                                  const std::vector<Comparison>& worst_impostor,
                                  const std::string& path);

}  // namespace proctor::eval

#endif  // PROCTOR_CLIENT_EVAL_EVAL_PLOT_H_
