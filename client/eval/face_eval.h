// `proctor-face eval`: how often the face checks are wrong on a set of labelled photos.
//
// Inputs (any combination):
//   - a labelled folder, DIR/<person>/<photo>: the largest face of each photo is that person;
//     every two photos form a genuine (same folder) or an impostor (different folders) pair;
//   - a pairs file, one "A,B,same|different" per line (paths relative to the file; '#' starts a
//     comment): those comparisons, largest face of each;
//   - group photos, given one by one or as GROUP_DIR/<photo>: the faces in one photo are different
//     people, so every two of them are an impostor pair (the face-api package's sample*.jpg demo
//     photos are such photos; its screenshots are not: they show one face several times).
// A photo without a face is a failure to acquire and takes part in no comparison. Comparisons
// use protocol::IdentityDistance and SamePerson, as the server does.
// Not thread-safe (one FaceAnalyzer).
#ifndef PROCTOR_CLIENT_EVAL_FACE_EVAL_H_
#define PROCTOR_CLIENT_EVAL_FACE_EVAL_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "biometrics/face_analyzer.h"
#include "client/eval/degradation.h"
#include "client/eval/error_rates.h"

namespace proctor::eval {

struct EvalInputs {
  std::string labelled_dir;             // DIR/<person>/<photo>; empty: none
  std::vector<std::string> ignore;      // sub-folders of labelled_dir that are not people
  std::string pairs_file;               // empty: none
  std::vector<std::string> group_dirs;  // group photos, or folders of them
};

// One face that takes part in comparisons.
struct EvalFace {
  std::string photo;   // the path as given
  std::string label;   // the path, and for a group photo's face which one: "P [face 2 of 5]"
  std::string person;  // empty for a face of a group photo (known only to differ from the others)
  int group = -1;      // index of its group photo, or -1
  biometrics::Rect box;
  biometrics::Descriptor descriptor{};
  biometrics::Image chip;  // 150x150 aligned chip, for the worst-pairs sheet
  FaceCrop crop;           // for the degraded runs
};

struct Comparison {
  size_t a = 0, b = 0;  // indices into EvalResult::faces; b's side is the degraded one
  bool genuine = false;
  double distance = 0;
};

// What the evaluation found under one condition (the clean photos, or a degradation).
struct ConditionResult {
  std::string name;      // "clean", or DegradationName
  std::string key;       // "clean", or DegradationKey
  int64_t attempts = 0;  // photos (clean) or faces (degraded) that should yield a face
  int64_t failed_to_acquire = 0;
  std::vector<Comparison> comparisons;
  ScoreSet scores{{}, {}};
};

struct EvalResult {
  int people = 0;
  int labelled_photos = 0;
  int group_photos = 0;
  int pairs_file_pairs = 0;
  std::vector<std::string> not_acquired;  // photos without a face, and why
  std::vector<EvalFace> faces;
  ConditionResult clean;
  std::vector<ConditionResult> degraded;  // with --degrade, in AllDegradations() order
};

// `progress` (may be empty) is told each photo as it is read: "photo 3/14: DIR/obama/obama1.jpg".
absl::StatusOr<EvalResult> Evaluate(biometrics::FaceAnalyzer& analyzer, const EvalInputs& inputs,
                                    bool degrade,
                                    const std::function<void(const std::string&)>& progress);

}  // namespace proctor::eval

#endif  // PROCTOR_CLIENT_EVAL_FACE_EVAL_H_
