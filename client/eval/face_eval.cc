#include "client/eval/face_eval.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "biometrics/image_codec.h"
#include "protocol/identity_rule.h"

namespace proctor::eval {
namespace {

namespace fs = std::filesystem;

enum class Source { kLabelled, kPairs, kGroup };

struct Photo {
  std::string path;
  std::string person;  // labelled photos only
  Source source = Source::kLabelled;
  int group = -1;
  std::vector<size_t> faces;  // indices into EvalResult::faces
};

struct ExplicitPair {
  size_t a, b;  // photo indices
  bool same;
};

std::vector<fs::path> SortedEntries(const fs::path& dir, bool directories, std::error_code& ec) {
  std::vector<fs::path> out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (directories ? it->is_directory() : it->is_regular_file()) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class Collector {
 public:
  absl::Status AddLabelled(const std::string& dir, const std::vector<std::string>& ignore) {
    std::error_code ec;
    const std::vector<fs::path> people = SortedEntries(dir, true, ec);
    if (ec) return absl::NotFoundError(absl::StrCat(dir, ": ", ec.message()));
    for (const fs::path& person : people) {
      const std::string name = person.filename().string();
      if (std::find(ignore.begin(), ignore.end(), name) != ignore.end()) continue;
      const std::vector<fs::path> files = SortedEntries(person, false, ec);
      if (ec) return absl::NotFoundError(absl::StrCat(person.string(), ": ", ec.message()));
      for (const fs::path& f : files) {
        if (f.filename() == "LICENSE" || f.extension() == ".txt" || f.extension() == ".md")
          continue;
        photos_.push_back({f.string(), name, Source::kLabelled, -1, {}});
        index_[f.lexically_normal().string()] = photos_.size() - 1;
      }
      ++people_;
    }
    return absl::OkStatus();
  }

  absl::Status AddPairs(const std::string& file) {
    std::ifstream in(file);
    if (!in) return absl::NotFoundError(absl::StrCat(file, ": cannot open the pairs file"));
    const fs::path base = fs::path(file).parent_path();
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      const std::string uncommented = line.substr(0, line.find('#'));
      const absl::string_view text = absl::StripAsciiWhitespace(uncommented);
      if (text.empty()) continue;
      std::vector<std::string> fields = absl::StrSplit(text, ',');
      for (std::string& f : fields) f = std::string(absl::StripAsciiWhitespace(f));
      const std::string label = fields.size() == 3 ? absl::AsciiStrToLower(fields[2]) : "";
      if (fields.size() != 3 || fields[0].empty() || fields[1].empty() ||
          (label != "same" && label != "different" && label != "1" && label != "0")) {
        return absl::InvalidArgumentError(
            absl::StrCat(file, ":", number, ": expected \"photo_a,photo_b,same|different\", got \"",
                         text, "\""));
      }
      pairs_.push_back(
          {PhotoFor(base, fields[0]), PhotoFor(base, fields[1]), label == "same" || label == "1"});
    }
    return absl::OkStatus();
  }

  absl::Status AddGroups(const std::string& dir) {
    std::error_code ec;
    if (fs::is_regular_file(dir, ec)) {
      photos_.push_back({dir, "", Source::kGroup, groups_++, {}});
      return absl::OkStatus();
    }
    const std::vector<fs::path> files = SortedEntries(dir, false, ec);
    if (ec) return absl::NotFoundError(absl::StrCat(dir, ": ", ec.message()));
    for (const fs::path& f : files) {
      const std::string ext = f.extension().string();
      if (ext != ".jpg" && ext != ".jpeg" && ext != ".png" && ext != ".webp" && ext != ".tif" &&
          ext != ".tiff" && ext != ".bmp") {
        continue;  // a demo folder also holds scripts and pages
      }
      photos_.push_back({f.string(), "", Source::kGroup, groups_++, {}});
    }
    return absl::OkStatus();
  }

  std::vector<Photo>& photos() { return photos_; }
  const std::vector<ExplicitPair>& pairs() const { return pairs_; }
  int people() const { return people_; }
  int groups() const { return groups_; }

 private:
  size_t PhotoFor(const fs::path& base, const std::string& relative) {
    const fs::path path = fs::path(relative).is_absolute() ? fs::path(relative) : base / relative;
    const std::string key = path.lexically_normal().string();
    if (auto it = index_.find(key); it != index_.end()) return it->second;
    photos_.push_back({key, "", Source::kPairs, -1, {}});
    return index_[key] = photos_.size() - 1;
  }

  std::vector<Photo> photos_;
  std::map<std::string, size_t> index_;
  std::vector<ExplicitPair> pairs_;
  int people_ = 0;
  int groups_ = 0;
};

double Distance(const biometrics::Descriptor& reference, const biometrics::Descriptor& probe) {
  const protocol::Template templ(reference.begin(), reference.end());
  return *protocol::IdentityDistance(probe, absl::MakeConstSpan(&templ, 1));
}

size_t Largest(const std::vector<biometrics::FaceAnalysis>& faces) {
  size_t best = 0;
  for (size_t i = 1; i < faces.size(); ++i) {
    if (int64_t{faces[i].detection.box.width} * faces[i].detection.box.height >
        int64_t{faces[best].detection.box.width} * faces[best].detection.box.height) {
      best = i;
    }
  }
  return best;
}

// Reads each photo once and turns its faces into EvalFaces; failures to acquire are recorded.
absl::Status AcquireFaces(biometrics::FaceAnalyzer& analyzer, std::vector<Photo>& photos,
                          EvalResult& result,
                          const std::function<void(const std::string&)>& progress) {
  for (size_t i = 0; i < photos.size(); ++i) {
    Photo& photo = photos[i];
    if (progress) progress(absl::StrCat("photo ", i + 1, "/", photos.size(), ": ", photo.path));
    if (photo.source != Source::kGroup) ++result.clean.attempts;
    auto image = biometrics::ReadImageFile(photo.path, {});
    if (!image.ok()) {
      if (image.status().code() == absl::StatusCode::kNotFound) return image.status();
      result.not_acquired.push_back(std::string(image.status().message()));
      if (photo.source != Source::kGroup) ++result.clean.failed_to_acquire;
      continue;
    }
    auto faces = analyzer.Analyze(*image);
    if (!faces.ok()) return faces.status();
    if (faces->empty()) {
      result.not_acquired.push_back(absl::StrCat(photo.path, ": no face found"));
      if (photo.source != Source::kGroup) ++result.clean.failed_to_acquire;
      continue;
    }
    std::vector<size_t> chosen;
    if (photo.source == Source::kGroup) {
      for (size_t k = 0; k < faces->size(); ++k) chosen.push_back(k);
    } else {
      chosen.push_back(Largest(*faces));
    }
    for (size_t k : chosen) {
      const biometrics::FaceAnalysis& f = (*faces)[k];
      if (!f.descriptor) return absl::InternalError("the analyzer computed no descriptor");
      EvalFace face;
      face.photo = photo.path;
      face.label = photo.source == Source::kGroup
                       ? absl::StrCat(photo.path, " [face ", k + 1, " of ", faces->size(), "]")
                       : photo.path;
      face.person = photo.person;
      face.group = photo.group;
      face.box = f.detection.box;
      face.descriptor = *f.descriptor;
      if (f.chip) face.chip = *f.chip;
      face.crop = CropAroundFace(*image, f.detection.box, f.landmarks);
      photo.faces.push_back(result.faces.size());
      result.faces.push_back(std::move(face));
    }
  }
  return absl::OkStatus();
}

// The pairs of faces to compare (a < b by face index), each once, with its ground truth.
std::vector<std::pair<std::pair<size_t, size_t>, bool>> PairsToCompare(
    const std::vector<Photo>& photos, const std::vector<ExplicitPair>& explicit_pairs,
    const std::vector<EvalFace>& faces) {
  std::vector<std::pair<std::pair<size_t, size_t>, bool>> pairs;
  std::set<std::pair<size_t, size_t>> seen;
  auto add = [&](size_t a, size_t b, bool same) {
    if (a == b) return;
    const auto key = std::minmax(a, b);
    if (seen.insert(key).second) pairs.push_back({key, same});
  };
  for (size_t a = 0; a < faces.size(); ++a) {
    for (size_t b = a + 1; b < faces.size(); ++b) {
      if (!faces[a].person.empty() && !faces[b].person.empty()) {
        add(a, b, faces[a].person == faces[b].person);
      } else if (faces[a].group >= 0 && faces[a].group == faces[b].group) {
        add(a, b, false);
      }
    }
  }
  for (const ExplicitPair& p : explicit_pairs) {
    if (photos[p.a].faces.empty() || photos[p.b].faces.empty()) continue;  // not acquired
    add(photos[p.a].faces.front(), photos[p.b].faces.front(), p.same);
  }
  return pairs;
}

void Score(ConditionResult& condition) {
  std::vector<double> genuine, impostor;
  for (const Comparison& c : condition.comparisons) {
    (c.genuine ? genuine : impostor).push_back(c.distance);
  }
  condition.scores = ScoreSet(std::move(genuine), std::move(impostor));
}

absl::StatusOr<ConditionResult> RunDegraded(
    biometrics::FaceAnalyzer& analyzer, const EvalResult& result, Degradation d,
    const std::vector<std::pair<std::pair<size_t, size_t>, bool>>& pairs) {
  ConditionResult condition;
  condition.name = DegradationName(d);
  condition.key = DegradationKey(d);
  std::vector<std::optional<biometrics::Descriptor>> degraded(result.faces.size());
  for (size_t i = 0; i < result.faces.size(); ++i) {
    ++condition.attempts;
    auto image = Degrade(result.faces[i].crop, d);
    if (!image.ok()) return image.status();
    auto faces = analyzer.Analyze(*image);
    if (!faces.ok()) return faces.status();
    if (faces->empty()) {
      ++condition.failed_to_acquire;
      continue;
    }
    degraded[i] = (*faces)[Largest(*faces)].descriptor;
  }
  // The enrolled side stays clean, as an enrollment photo is; each face of a pair is the
  // degraded probe once.
  for (const auto& [ab, same] : pairs) {
    const auto [a, b] = ab;
    if (degraded[b]) {
      condition.comparisons.push_back(
          {a, b, same, Distance(result.faces[a].descriptor, *degraded[b])});
    }
    if (degraded[a]) {
      condition.comparisons.push_back(
          {b, a, same, Distance(result.faces[b].descriptor, *degraded[a])});
    }
  }
  Score(condition);
  return condition;
}

}  // namespace

absl::StatusOr<EvalResult> Evaluate(biometrics::FaceAnalyzer& analyzer, const EvalInputs& inputs,
                                    bool degrade,
                                    const std::function<void(const std::string&)>& progress) {
  if (inputs.labelled_dir.empty() && inputs.pairs_file.empty() && inputs.group_dirs.empty()) {
    return absl::InvalidArgumentError(
        "nothing to evaluate: give a labelled folder, --pairs FILE or --groups DIR");
  }
  Collector collector;
  if (!inputs.labelled_dir.empty()) {
    if (auto s = collector.AddLabelled(inputs.labelled_dir, inputs.ignore); !s.ok()) return s;
  }
  if (!inputs.pairs_file.empty()) {
    if (auto s = collector.AddPairs(inputs.pairs_file); !s.ok()) return s;
  }
  for (const std::string& dir : inputs.group_dirs) {
    if (auto s = collector.AddGroups(dir); !s.ok()) return s;
  }
  EvalResult result;
  result.people = collector.people();
  result.group_photos = collector.groups();
  result.pairs_file_pairs = static_cast<int>(collector.pairs().size());
  for (const Photo& p : collector.photos()) result.labelled_photos += p.source != Source::kGroup;
  result.clean.name = result.clean.key = "clean";
  if (auto s = AcquireFaces(analyzer, collector.photos(), result, progress); !s.ok()) return s;
  const auto pairs = PairsToCompare(collector.photos(), collector.pairs(), result.faces);
  for (const auto& [ab, same] : pairs) {
    result.clean.comparisons.push_back(
        {ab.first, ab.second, same,
         Distance(result.faces[ab.first].descriptor, result.faces[ab.second].descriptor)});
  }
  Score(result.clean);
  if (!degrade) return result;
  for (Degradation d : AllDegradations()) {
    if (progress)
      progress(absl::StrCat("condition ", result.degraded.size() + 1, "/", AllDegradations().size(),
                            ": ", DegradationName(d)));
    auto condition = RunDegraded(analyzer, result, d, pairs);
    if (!condition.ok()) return condition.status();
    result.degraded.push_back(std::move(*condition));
  }
  return result;
}

}  // namespace proctor::eval
