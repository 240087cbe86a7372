// proctor-face as a user runs it: a real process, its stdout, stderr and exit code.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "biometrics/image.h"
#include "biometrics/image_codec.h"
#include "biometrics/testing/photo_encoders.h"
#include "tests/support/test_data.h"

namespace proctor {
namespace {

using ::proctor::testing::DemoPhotosDir;
using ::proctor::testing::LabelledFacesDir;

struct RunResult {
  int exit_code = -1;
  bool crashed = false;  // killed by a signal
  std::string out;
  std::string err;
};

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/proctor_face_cli_" + std::to_string(::getpid()) + "_" + name;
}

RunResult RunFace(const std::string& args) {
  const std::string err_path = TempPath("stderr");
  const std::string command = std::string(PROCTOR_FACE_BINARY) + " " + args + " 2>" + err_path;
  RunResult r;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
  const int status = ::pclose(pipe);
  r.crashed = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) >= 128);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  std::stringstream ss;
  ss << err.rdbuf();
  r.err = ss.str();
  return r;
}

std::string WriteFile(const std::string& name, const std::string& bytes) {
  const std::string path = TempPath(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Demo(int n) { return DemoPhotosDir() + "/sample" + std::to_string(n) + ".jpg"; }

TEST(ProctorFaceCliTest, HelpExitsZero) {
  const RunResult r = RunFace("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("embed"), std::string::npos);
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
}

TEST(ProctorFaceCliTest, EmbedJsonFollowsTheContractInInputOrder) {
  const RunResult r = RunFace("embed --upsample 0 --json " + Demo(2) + " " + Demo(1));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);  // stdout is one JSON document
  ASSERT_EQ(doc.at("images").size(), 2u);
  EXPECT_EQ(doc["images"][0]["path"], Demo(2));
  EXPECT_EQ(doc["images"][1]["path"], Demo(1));
  EXPECT_EQ(doc["images"][0]["faces"].size(), 1u);
  EXPECT_GE(doc["images"][1]["faces"].size(), 2u);
  for (const auto& face : doc["images"][1]["faces"]) {
    ASSERT_EQ(face.at("box").size(), 4u);
    EXPECT_GT(face["box"][2].get<int>(), 0);
    ASSERT_EQ(face.at("descriptor").size(), 128u);
    for (const auto& v : face["descriptor"]) EXPECT_TRUE(v.is_number());
  }
}

TEST(ProctorFaceCliTest, EmbedMarksAnUnreadableImageAndExitsNonZero) {
  const std::string text = WriteFile("notes.jpg", "these are my exam notes, not a photo");
  const RunResult r = RunFace("embed --upsample 0 --json " + Demo(2) + " " + text);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(r.crashed);
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["images"].size(), 2u);
  EXPECT_TRUE(doc["images"][0].contains("faces"));
  ASSERT_TRUE(doc["images"][1].contains("error"));
  EXPECT_FALSE(doc["images"][1].contains("faces"));
  EXPECT_NE(doc["images"][1]["error"].get<std::string>().find("not a photo in a known format"),
            std::string::npos);
  EXPECT_NE(r.err.find("notes.jpg"), std::string::npos);
}

TEST(ProctorFaceCliTest, CompareSamePersonAndDifferentPeople) {
  PROCTOR_REQUIRE_LABELLED_PHOTOS();
  const std::string dir = LabelledFacesDir();
  RunResult same =
      RunFace("compare --json " + dir + "/obama/obama1.jpg " + dir + "/obama/obama2.jpg");
  ASSERT_EQ(same.exit_code, 0) << same.err;
  nlohmann::json j = nlohmann::json::parse(same.out);
  EXPECT_TRUE(j.at("match").get<bool>());
  EXPECT_LT(j.at("distance").get<double>(), 0.6);
  EXPECT_DOUBLE_EQ(j.at("threshold").get<double>(), 0.6);
  EXPECT_EQ(j.at("reference_faces"), 1);
  EXPECT_EQ(j.at("probe_faces"), 1);

  RunResult other =
      RunFace("compare --json " + dir + "/obama/obama1.jpg " + dir + "/biden/biden1.jpg");
  ASSERT_EQ(other.exit_code, 0) << other.err;
  j = nlohmann::json::parse(other.out);
  EXPECT_FALSE(j.at("match").get<bool>());
  EXPECT_GE(j.at("distance").get<double>(), 0.6);
}

TEST(ProctorFaceCliTest, CompareThresholdIsConfigurable) {
  const RunResult r =
      RunFace("compare --upsample 0 --json --threshold 0.05 " + Demo(2) + " " + Demo(2));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_DOUBLE_EQ(j["threshold"].get<double>(), 0.05);
  EXPECT_TRUE(j["match"].get<bool>());  // identical image: distance 0
  EXPECT_EQ(RunFace("compare --threshold 7 " + Demo(2) + " " + Demo(2)).exit_code, 2);
}

TEST(ProctorFaceCliTest, CompareWithNoFaceExitsThree) {
  biometrics::Image grey = biometrics::Image::Blank(320, 240);
  std::fill(grey.rgb.begin(), grey.rgb.end(), 128);
  auto jpeg = biometrics::EncodeJpeg(grey, 90);
  ASSERT_TRUE(jpeg.ok());
  const std::string empty_room =
      WriteFile("empty_room.jpg", std::string(jpeg->begin(), jpeg->end()));
  const RunResult r = RunFace("compare --upsample 0 --json " + Demo(2) + " " + empty_room);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(r.out.empty()) << "no JSON result when there is nothing to compare";
  EXPECT_NE(r.err.find("no face found in " + empty_room), std::string::npos) << r.err;
  EXPECT_EQ(RunFace("embed --upsample 0 " + empty_room).exit_code, 3);
}

std::string AsString(const std::vector<uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

// The files an enrollment desk actually receives: a print shop's CMYK JPEG, a WebP saved with a
// .jpg name, a phone photo that is upright only through its EXIF orientation, a scan as TIFF, a
// 16-bit PNG, a BMP. Each is read as a photo viewer shows it: the same face, in the same place.
TEST(ProctorFaceCliTest, RealWorldPhotoFormatsAreReadAsAViewerShowsThem) {
  namespace bt = biometrics::testing;
  auto upright = biometrics::ReadImageFile(Demo(2), {});
  ASSERT_TRUE(upright.ok()) << upright.status();
  const biometrics::Image& p = *upright;
  const biometrics::Image sideways = bt::StoreForOrientation(p, 6);  // a phone held upright
  const std::vector<std::pair<std::string, std::vector<uint8_t>>> files = {
      {"upright.jpg", bt::WriteJpeg(p)},
      {"cmyk.jpg", bt::WriteJpeg(p, {.colour = bt::JpegColour::kCmykAdobe})},
      {"saved-as.jpg", bt::WriteWebp(p)},
      {"phone.jpg", bt::WriteJpeg(sideways, {.exif_orientation = 6})},
      {"phone.webp", bt::WriteWebp(sideways, {.exif_orientation = 6})},
      {"scan.tif", bt::WriteTiff(p, {.lzw = true})},
      {"deep.png", bt::WritePng(p, bt::PngKind::kRgb16)},
      {"paint.bmp", bt::WriteBmp(p)},
  };
  std::string args;
  for (const auto& [name, bytes] : files) args += " " + WriteFile(name, AsString(bytes));
  const RunResult r = RunFace("embed --upsample 0 --json" + args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["images"].size(), files.size());
  const nlohmann::json& reference = doc["images"][0]["faces"];
  ASSERT_EQ(reference.size(), 1u);
  for (size_t i = 1; i < files.size(); ++i) {
    const nlohmann::json& faces = doc["images"][i]["faces"];
    ASSERT_EQ(faces.size(), 1u) << files[i].first;
    for (int k = 0; k < 4; ++k) {
      EXPECT_NEAR(faces[0]["box"][k].get<int>(), reference[0]["box"][k].get<int>(), 3)
          << files[i].first << " box[" << k << "]";
    }
    double squared = 0;
    for (int k = 0; k < 128; ++k) {
      const double d =
          faces[0]["descriptor"][k].get<double>() - reference[0]["descriptor"][k].get<double>();
      squared += d * d;
    }
    EXPECT_LT(std::sqrt(squared), 0.15) << files[i].first;  // the same person; threshold is 0.6
  }
  // The control: the phone's pixels without the EXIF tag are a face on its side, which the
  // frontal detector does not find.
  const std::string bare = WriteFile("phone-no-exif.jpg", AsString(bt::WriteJpeg(sideways)));
  EXPECT_EQ(RunFace("embed --upsample 0 " + bare).exit_code, 3);
}

// eval on a labelled folder made from the demo photos: each person a folder with two photos of
// one face (the photo and a copy at 120% of its size, which must match), plus a group photo.
TEST(ProctorFaceCliTest, EvalReportsRatesWithCountsAndRefusesBadInput) {
  namespace bt = biometrics::testing;
  const std::string dir = TempPath("labelled");
  std::string make = "rm -rf " + dir;
  ASSERT_EQ(std::system(make.c_str()), 0);
  for (int n : {2, 4}) {
    auto photo = biometrics::ReadImageFile(Demo(n), {});
    ASSERT_TRUE(photo.ok()) << photo.status();
    const std::string person = dir + "/person" + std::to_string(n);
    ASSERT_EQ(std::system(("mkdir -p " + person).c_str()), 0);
    std::ofstream(person + "/a.jpg", std::ios::binary) << AsString(bt::WriteJpeg(*photo));
    std::ofstream(person + "/b.png", std::ios::binary) << AsString(
        bt::WritePng(biometrics::ResizeImage(*photo, photo->width * 6 / 5, photo->height * 6 / 5),
                     bt::PngKind::kRgb8));
  }
  const RunResult r = RunFace("eval --upsample 0 --json " + dir + " --groups " + Demo(1));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("people"), 2);
  EXPECT_EQ(j.at("photos"), 4);
  EXPECT_EQ(j.at("genuine"), 2);  // a-b of each person
  const int group_faces = j.at("faces").get<int>() - 4;
  ASSERT_GE(group_faces, 2);
  // 4 cross-person pairs among the labelled photos, and every two faces of the group photo.
  EXPECT_EQ(j.at("impostor"), 4 + group_faces * (group_faces - 1) / 2);
  ASSERT_EQ(j.at("operating_points").size(), 2u);
  EXPECT_EQ(j["operating_points"][0]["policy"], "INTERMEDIATE");
  EXPECT_DOUBLE_EQ(j["operating_points"][1]["threshold"].get<double>(), 0.55);
  EXPECT_EQ(j["operating_points"][0]["fnmr"]["errors"], 0);  // a smaller copy is the same face
  EXPECT_EQ(j["operating_points"][0]["fnmr"]["trials"], 2);
  EXPECT_TRUE(j["operating_points"][0]["fmr"].contains("ci95"));
  EXPECT_LT(j["genuine_distances"]["max"].get<double>(), 0.3);

  const std::string pairs = WriteFile("pairs.csv", "a.jpg,b.jpg,same\nthis line is wrong\n");
  const RunResult bad = RunFace("eval --pairs " + pairs);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find(pairs + ":2: expected"), std::string::npos) << bad.err;
  const std::string empty = TempPath("empty_dir");
  ASSERT_EQ(std::system(("mkdir -p " + empty + "/nobody").c_str()), 0);
  EXPECT_EQ(RunFace("eval " + empty).exit_code, 3);
  EXPECT_EQ(RunFace("eval").exit_code, 2);  // nothing to evaluate
}

struct BadInput {
  std::string name;
  std::string bytes;
  std::string message;  // expected in stderr
};

TEST(ProctorFaceCliTest, BadInputsGetAClearMessageAndExitTwoNeverACrash) {
  const std::string photo = Slurp(Demo(2));
  ASSERT_FALSE(photo.empty());
  std::string huge = Slurp(Demo(2));
  // Patch the first SOF0 header to claim 30000 x 30000 pixels.
  const size_t sof = huge.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  huge[sof + 5] = static_cast<char>(30000 >> 8);
  huge[sof + 6] = static_cast<char>(30000 & 0xFF);
  huge[sof + 7] = static_cast<char>(30000 >> 8);
  huge[sof + 8] = static_cast<char>(30000 & 0xFF);
  const std::vector<BadInput> inputs = {
      {"zero.jpg", "", "empty file"},
      {"text.jpg", "hello world, not a picture", "not a photo in a known format"},
      {"truncated.jpg", photo.substr(0, photo.size() / 2), "truncated JPEG"},
      {"huge.jpg", huge, "30000x30000"},
      {"animation.gif", "GIF89a\x10\0\x10\0\0\0\0 more bytes", "GIF is not supported"},
      {"iphone.jpg",
       std::string("\0\0\0\x18"
                   "ftypheic\0\0\0\0mif1heic",
                   24),
       "HEIC"},
  };
  for (const BadInput& in : inputs) {
    const std::string path = WriteFile(in.name, in.bytes);
    for (const std::string& cmd :
         {"embed --upsample 0 " + path, "compare --upsample 0 " + Demo(2) + " " + path}) {
      const RunResult r = RunFace(cmd);
      EXPECT_FALSE(r.crashed) << cmd;
      EXPECT_EQ(r.exit_code, 2) << cmd << "\n" << r.err;
      EXPECT_NE(r.err.find(in.message), std::string::npos) << cmd << "\n" << r.err;
      EXPECT_NE(r.err.find(path), std::string::npos) << "error should name the file";
    }
  }
  const RunResult missing = RunFace("embed /nonexistent/photo.jpg");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("/nonexistent/photo.jpg"), std::string::npos);
}

TEST(ProctorFaceCliTest, MissingModelsExitOneWithInstructions) {
  const RunResult r = RunFace("embed --models /nonexistent/models " + Demo(2));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("fetch-models.sh"), std::string::npos) << r.err;
}

TEST(ProctorFaceCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunFace("").exit_code, 2);
  EXPECT_EQ(RunFace("embed").exit_code, 2);
  EXPECT_EQ(RunFace("compare onlyone.jpg").exit_code, 2);
  EXPECT_EQ(RunFace("embed --upsample 9 x.jpg").exit_code, 2);
}

}  // namespace
}  // namespace proctor
