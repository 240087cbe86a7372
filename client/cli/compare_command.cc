#include "client/cli/compare_command.h"

#include <cstdio>
#include <iostream>

#include "biometrics/face_matcher.h"

namespace proctor::cli {

int RunCompare(const FaceCliOptions& options, const std::string& reference,
               const std::string& probe) {
  auto matcher = biometrics::FaceMatcher::Create(options.threshold);
  if (!matcher.ok()) {
    std::fprintf(stderr, "proctor-face: %s\n", std::string(matcher.status().message()).c_str());
    return kExitBadInput;
  }
  auto analyzer = MakeAnalyzer(options);
  if (!analyzer.ok()) {
    std::fprintf(stderr, "proctor-face: %s\n", std::string(analyzer.status().message()).c_str());
    return kExitFailure;
  }
  const ImageResult ref = AnalyzeImageFile(**analyzer, reference);
  const ImageResult pro = AnalyzeImageFile(**analyzer, probe);
  bool unreadable = false;
  for (const ImageResult* r : {&ref, &pro}) {
    if (!r->status.ok()) {
      unreadable = true;
      std::fprintf(stderr, "proctor-face: %s\n", std::string(r->status.message()).c_str());
    }
  }
  if (unreadable) return kExitBadInput;
  for (const ImageResult* r : {&ref, &pro}) {
    if (r->faces.empty()) {
      std::fprintf(stderr, "proctor-face: no face found in %s; nothing to compare\n",
                   r->path.c_str());
    }
  }
  if (ref.faces.empty() || pro.faces.empty()) return kExitNoFace;

  const biometrics::Descriptor& reference_descriptor =
      *ref.faces[LargestFace(ref.faces)].descriptor;
  std::vector<biometrics::Descriptor> probes;
  for (const auto& face : pro.faces) probes.push_back(*face.descriptor);
  const biometrics::MatchDecision decision = matcher->BestOf(reference_descriptor, probes);

  if (options.json) {
    std::cout << nlohmann::json{{"distance", decision.distance},
                                {"match", decision.match},
                                {"threshold", protocol::ShortDouble(decision.threshold)},
                                {"reference_faces", ref.faces.size()},
                                {"probe_faces", pro.faces.size()}}
                     .dump()
              << "\n";
  } else {
    std::printf("distance %.3f %s threshold %.3f: %s\n", decision.distance,
                decision.match ? "<=" : ">", protocol::ShortDouble(decision.threshold),
                decision.match ? "same person" : "different people");
    std::printf("(reference: %zu face%s, largest used; probe: %zu face%s, closest used)\n",
                ref.faces.size(), ref.faces.size() == 1 ? "" : "s", pro.faces.size(),
                pro.faces.size() == 1 ? "" : "s");
  }
  return kExitOk;
}

}  // namespace proctor::cli
