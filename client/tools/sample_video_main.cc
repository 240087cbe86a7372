// proctor-sample-video: writes the demo's scripted proctoring video from the face-api demo
// photos, and the enrolled learner's enrollment photo.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "biometrics/face_analyzer.h"
#include "biometrics/image_codec.h"
#include "biometrics/model_files.h"
#include "client/tools/sample_video.h"

namespace {

struct Flags {
  std::string out = "sample-session.avi";
  std::string enroll_photo_out;
  std::string demo_dir;
  std::string photo = "sample1.jpg";
  std::string models_dir;
  double fps = 10.0;
  int learner = 0;
  int other = 1;
};

std::string DefaultDemoDir() {
  const char* cache = std::getenv("PROCTOR_CACHE");
  const std::string root = cache != nullptr && *cache != '\0' ? cache : PROCTOR_DEFAULT_CACHE_DIR;
  return root + "/face-api-1.7.15/package/demo";
}

int Fail(const std::string& what, int code) {
  std::fprintf(stderr, "proctor-sample-video: %s\n", what.c_str());
  return code;
}

int Run(const Flags& flags) {
  namespace bio = proctor::biometrics;
  bio::FaceAnalyzerOptions options;
  options.models_dir = bio::ResolveModelsDir(flags.models_dir);
  options.compute_descriptors = false;
  auto analyzer = bio::FaceAnalyzer::Create(options);
  if (!analyzer.ok()) return Fail(absl::StrCat("face models: ", analyzer.status().message()), 1);
  const std::string demo_dir = flags.demo_dir.empty() ? DefaultDemoDir() : flags.demo_dir;
  const std::string path = demo_dir + "/" + flags.photo;
  auto group = bio::ReadImageFile(path, bio::ImageLimits{});
  if (!group.ok()) {
    return Fail(absl::StrCat(group.status().message(), " (run scripts/setup.sh to fetch the demo ",
                             "photos, or pass --demo-dir)"),
                2);
  }
  auto people = proctor::client::CutSingleFacePhotos(**analyzer, *group);
  if (!people.ok()) return Fail(std::string(people.status().message()), 1);
  const int n = static_cast<int>(people->size());
  if (flags.learner >= n || flags.other >= n || flags.learner == flags.other) {
    return Fail(absl::StrCat(path, " gave ", n, " single-face crops; --learner and --other must ",
                             "be different indexes below that"),
                2);
  }
  const std::vector<uint8_t>& learner = (*people)[flags.learner];
  const std::vector<uint8_t>& other = (*people)[flags.other];
  proctor::client::SampleVideoOptions video;
  video.fps = flags.fps;
  if (auto s = proctor::client::BuildProctoringVideo(
          flags.out, proctor::client::DemoScript(learner, other), video);
      !s.ok()) {
    return Fail(std::string(s.message()), 1);
  }
  if (!flags.enroll_photo_out.empty()) {
    // Enrolled from the mirrored photo: the same person seen from another side, so the video's
    // identity checks compare two different pictures of one face, not one picture with itself.
    auto image = bio::DecodeImage(learner.data(), learner.size(), bio::ImageLimits{});
    if (!image.ok()) return Fail(std::string(image.status().message()), 1);
    auto jpeg = bio::EncodeJpeg(bio::MirrorHorizontally(*image), 92);
    if (!jpeg.ok()) return Fail(std::string(jpeg.status().message()), 1);
    std::ofstream file(flags.enroll_photo_out, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(jpeg->data()),
               static_cast<std::streamsize>(jpeg->size()));
    file.close();
    if (!file) return Fail(absl::StrCat("cannot write ", flags.enroll_photo_out), 1);
  }
  std::printf("%s: 40 s, 640x480, %.0f fps, MJPG\n", flags.out.c_str(), flags.fps);
  std::printf(
      "  0-12 s learner alone | 12-18 s nobody | 18-24 s learner + other | "
      "24-30 s other alone | 30-40 s learner alone\n");
  std::printf(
      "  learner = face %d of %s, other = face %d%s%s\n", flags.learner, path.c_str(), flags.other,
      flags.enroll_photo_out.empty() ? "" : "; enrollment photo: ", flags.enroll_photo_out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    CLI::App app{
        "proctor-sample-video: write the demo's 40 s proctoring video (learner alone, nobody, "
        "learner + another person, the other person alone, learner again) from the face-api "
        "demo photos"};
    app.footer(
        "Exit codes: 0 ok; 1 models missing or the video cannot be written; 2 bad "
        "arguments or demo photos missing.");
    Flags flags;
    app.add_option("--out", flags.out, "Video to write (.avi, MJPG)")->capture_default_str();
    app.add_option("--enroll-photo-out", flags.enroll_photo_out,
                   "Also write the learner's enrollment photo (JPEG) here");
    app.add_option("--demo-dir", flags.demo_dir,
                   "Directory of the face-api demo photos (default: $PROCTOR_CACHE or the "
                   "repository's .cache, /face-api-1.7.15/package/demo)");
    app.add_option("--photo", flags.photo, "Group photo in the demo directory to cut people from")
        ->capture_default_str();
    app.add_option("--learner", flags.learner, "Which face of the photo is the learner")
        ->check(CLI::Range(0, 64))
        ->capture_default_str();
    app.add_option("--other", flags.other, "Which face is the other person")
        ->check(CLI::Range(0, 64))
        ->capture_default_str();
    app.add_option("--fps", flags.fps, "Frames per second of the video")
        ->check(CLI::Range(1.0, 60.0))
        ->capture_default_str();
    app.add_option("--models", flags.models_dir,
                   "Model directory (default: $PROCTOR_MODELS, else the repository's models/)");
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      const int rc = app.exit(e);
      return rc == 0 ? 0 : 2;
    }
    return Run(flags);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "proctor-sample-video: unexpected error: %s\n", e.what());
    return 1;
  }
}
