// The preview window draws its status in the learner's language: Cyrillic through a TrueType
// font (OpenCV's Hershey fonts have no Cyrillic); a font that cannot be loaded is reported.
#include "client/cli/live_display.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "common/i18n.h"
#include "common/testing/platform_testing.h"

namespace proctor::cli {
namespace {

client::Frame GreyFrame() {
  client::Frame frame;
  frame.image = biometrics::Image::Blank(640, 480);
  std::fill(frame.image.rgb.begin(), frame.image.rgb.end(), uint8_t{90});
  return frame;
}

client::LiveStatus SeveralPeople() {
  client::LiveStatus status;
  status.face = client::LiveStatus::Face::kSeveral;
  status.face_count = 2;
  status.prompt_blink = true;
  return status;
}

// The status band at the top: pixels the text changed from the frame's grey.
int TextPixels(const cv::Mat& image) {
  int changed = 0;
  const cv::Mat band = image(cv::Rect(0, 0, image.cols, 40));
  for (int y = 0; y < band.rows; ++y) {
    for (int x = 0; x < band.cols; ++x) changed += band.at<cv::Vec3b>(y, x) != cv::Vec3b(90, 90, 90);
  }
  return changed;
}

cv::Mat Render(i18n::Language language, bool* truetype) {
  i18n::SetProcessLanguage(language);
  auto png = RenderPreviewPng(GreyFrame(), SeveralPeople(), truetype);
  i18n::SetProcessLanguage(i18n::Language::kEnglish);
  EXPECT_TRUE(png.ok()) << png.status();
  if (!png.ok()) return {};
  if (const char* out = std::getenv("PROCTOR_PREVIEW_SHOT"); out != nullptr && *out != '\0') {
    std::ofstream(std::string(out) + "-" + std::string(i18n::LanguageCode(language)) + ".png",
                  std::ios::binary)
        .write(reinterpret_cast<const char*>(png->data()), static_cast<std::streamsize>(png->size()));
  }
  return cv::imdecode(*png, cv::IMREAD_COLOR);
}

TEST(LiveDisplayTest, PreviewDrawsRussianWithATrueTypeFont) {
  bool truetype = false;
  const cv::Mat russian = Render(i18n::Language::kRussian, &truetype);
  ASSERT_FALSE(russian.empty());
  ASSERT_TRUE(truetype) << "no TrueType font found: install fonts-dejavu-core (setup.sh does)";
  const cv::Mat english = Render(i18n::Language::kEnglish, &truetype);
  ASSERT_FALSE(english.empty());
  EXPECT_GT(TextPixels(russian), 500) << "no text drawn";
  EXPECT_GT(TextPixels(english), 500);
  EXPECT_GT(cv::norm(russian, english, cv::NORM_L1), 0) << "both languages drew the same";
  // Below the band the frame is untouched.
  const cv::Mat below = russian(cv::Rect(0, 60, 640, 400));
  EXPECT_EQ(cv::countNonZero(below.reshape(1) != 90), 0);
}

TEST(LiveDisplayTest, AFontThatCannotBeLoadedIsReportedNotDrawnAsQuestionMarks) {
  proctor::testing::SetEnv("PROCTOR_FONT", "/nonexistent/font.ttf");
  bool truetype = true;
  i18n::SetProcessLanguage(i18n::Language::kRussian);
  auto png = RenderPreviewPng(GreyFrame(), SeveralPeople(), &truetype);
  i18n::SetProcessLanguage(i18n::Language::kEnglish);
  proctor::testing::SetEnv("PROCTOR_FONT", nullptr);
  // A font that cannot be loaded is an error, not a silent window of question marks.
  EXPECT_FALSE(png.ok());
}

}  // namespace
}  // namespace proctor::cli
