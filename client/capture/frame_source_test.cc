#include "client/capture/frame_source.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "common/testing/platform_testing.h"

namespace proctor::client {
namespace {

class FrameSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("frame_source_test_" + std::to_string(proctor::testing::ProcessId()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Frame i is filled with grey level (i * 7) % 256 in its blue channel and i % 256 in red, so a
  // test can tell which frame it got.
  static cv::Mat NumberedFrame(int i, int width = 160, int height = 120) {
    return cv::Mat(height, width, CV_8UC3, cv::Scalar((i * 7) % 256, 128, i % 256));
  }

  std::string WriteVideo(const std::string& name, int frames, double fps) {
    const std::string path = (dir_ / name).string();
    cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps,
                           cv::Size(160, 120));
    EXPECT_TRUE(writer.isOpened()) << path;
    for (int i = 0; i < frames; ++i) writer.write(NumberedFrame(i));
    return path;
  }

  std::filesystem::path dir_;
};

std::vector<Frame> ReadAll(FrameSource& source) {
  std::vector<Frame> frames;
  while (true) {
    auto next = source.Next();
    EXPECT_TRUE(next.ok()) << next.status();
    if (!next.ok() || !next->has_value()) break;
    frames.push_back(std::move(**next));
  }
  return frames;
}

TEST_F(FrameSourceTest, VideoFramesCarryMediaTimeAtTheSampleRate) {
  const std::string path = WriteVideo("ten_seconds.avi", 300, 30.0);  // 10 s
  FrameSourceOptions options;
  options.sample_fps = 3;
  auto source = OpenVideo(path, options);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_FALSE((*source)->realtime());
  EXPECT_EQ((*source)->Describe(), "video " + path);
  const std::vector<Frame> frames = ReadAll(**source);
  ASSERT_EQ(frames.size(), 30u);
  for (size_t i = 0; i < frames.size(); ++i) {
    // Frame 10 * i of the file, at its own media time.
    EXPECT_NEAR(frames[i].at_ms, i * 1000.0 / 3.0, 1.0) << i;
    EXPECT_EQ(frames[i].image.width, 160);
    EXPECT_EQ(frames[i].image.height, 120);
    ASSERT_TRUE(frames[i].image.IsConsistent());
    // RGB order: red carries the frame number (MJPG is lossy: a few grey levels of slack).
    EXPECT_NEAR(frames[i].image.rgb[0], (10 * i) % 256, 4) << i;
    EXPECT_NEAR(frames[i].image.rgb[2], (70 * i) % 256, 4) << i;
  }
}

TEST_F(FrameSourceTest, VideoEndsWithNulloptAndStaysEnded) {
  const std::string path = WriteVideo("short.avi", 10, 10.0);
  auto source = OpenVideo(path, FrameSourceOptions{});
  ASSERT_TRUE(source.ok()) << source.status();
  const std::vector<Frame> frames = ReadAll(**source);
  ASSERT_EQ(frames.size(), 3u);  // 0, 400, 700 ms at 3 fps from a 10 fps file
  EXPECT_EQ(frames[0].at_ms, 0);
  EXPECT_EQ(frames[1].at_ms, 400);
  EXPECT_EQ(frames[2].at_ms, 700);
  auto again = (*source)->Next();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
}

TEST_F(FrameSourceTest, SampleRateAboveTheFileRateGivesEveryFrame) {
  const std::string path = WriteVideo("slow.avi", 8, 4.0);
  FrameSourceOptions options;
  options.sample_fps = 25;
  auto source = OpenVideo(path, options);
  ASSERT_TRUE(source.ok()) << source.status();
  const std::vector<Frame> frames = ReadAll(**source);
  ASSERT_EQ(frames.size(), 8u);
  for (size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(frames[i].at_ms, 250 * i);
}

TEST_F(FrameSourceTest, SampleRateCanChangeMidVideo) {
  const std::string path = WriteVideo("thirty.avi", 90, 30.0);  // 3 s
  auto source = OpenVideo(path, FrameSourceOptions{});
  ASSERT_TRUE(source.ok()) << source.status();
  std::vector<int64_t> times;
  for (int i = 0; i < 6; ++i) {
    if (i == 3) {
      ASSERT_TRUE((*source)->SetSampleFps(10).ok());
    }
    auto frame = (*source)->Next();
    ASSERT_TRUE(frame.ok() && frame->has_value());
    times.push_back((*frame)->at_ms);
  }
  // 3 per second, then (after the frame already due at 1000 ms) 10 per second.
  EXPECT_EQ(times, (std::vector<int64_t>{0, 333, 667, 1000, 1100, 1200}));
  EXPECT_EQ((*source)->SetSampleFps(0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*source)->SetSampleFps(-3).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(FrameSourceTest, MissingVideoIsNotFound) {
  auto source = OpenVideo((dir_ / "nope.avi").string(), FrameSourceOptions{});
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(source.status().message().find("nope.avi"), std::string::npos);
}

TEST_F(FrameSourceTest, NonVideoFileIsInvalidArgument) {
  const std::string path = (dir_ / "notes.avi").string();
  std::ofstream(path) << "this is not a video, just some text\n";
  auto source = OpenVideo(path, FrameSourceOptions{});
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument) << source.status();
  EXPECT_NE(source.status().message().find("notes.avi"), std::string::npos);
}

TEST_F(FrameSourceTest, InvalidOptionsAreRefused) {
  const std::string path = WriteVideo("any.avi", 3, 10.0);
  FrameSourceOptions options;
  options.sample_fps = 0;
  EXPECT_EQ(OpenVideo(path, options).status().code(), absl::StatusCode::kInvalidArgument);
  options = {};
  options.image_interval_ms = 0;
  EXPECT_EQ(OpenImageDirectory(dir_.string(), options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = {};
  options.camera_stall_ms = -1;
  EXPECT_EQ(OpenCamera(0, options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(FrameSourceTest, CameraThatIsNotThereGivesAClearError) {
  // This machine has no camera; a high index is absent on any machine.
  auto source = OpenCamera(63, FrameSourceOptions{});
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kNotFound) << source.status();
#ifdef _WIN32
  // Windows has no device file to look at: the camera is simply not there to open.
  EXPECT_NE(source.status().message().find("camera 63 could not be opened"), std::string::npos)
      << source.status();
#else
  EXPECT_NE(source.status().message().find("no camera at index 63"), std::string::npos)
      << source.status();
#endif
  if (!std::filesystem::exists("/dev/video0")) {  // as on this machine
    auto first = OpenCamera(0, FrameSourceOptions{});
    ASSERT_FALSE(first.ok());
    EXPECT_EQ(first.status().code(), absl::StatusCode::kNotFound);
#ifndef _WIN32
    EXPECT_NE(first.status().message().find("no camera at index 0"), std::string::npos);
#endif
  }
  EXPECT_EQ(OpenCamera(-1, FrameSourceOptions{}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FrameSourceTest, ImageDirectoryInNameOrderAtTheInterval) {
  const std::filesystem::path images = dir_ / "images";
  std::filesystem::create_directories(images);
  cv::imwrite((images / "b.png").string(), NumberedFrame(1, 32, 24));
  cv::imwrite((images / "a.jpg").string(), NumberedFrame(0, 32, 24));
  cv::imwrite((images / "c.JPEG").string(), NumberedFrame(2, 32, 24));
  std::ofstream(images / "readme.txt") << "not an image";
  FrameSourceOptions options;
  options.image_interval_ms = 500;
  options.sample_fps = 10;
  auto source = OpenImageDirectory(images.string(), options);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_FALSE((*source)->realtime());
  const std::vector<Frame> frames = ReadAll(**source);
  ASSERT_EQ(frames.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(frames[i].at_ms, 500 * i);
    EXPECT_EQ(frames[i].image.width, 32);
    EXPECT_NEAR(frames[i].image.rgb[0], i, 4);  // red = frame number
  }
}

TEST_F(FrameSourceTest, ImageDirectorySkipsImagesBetweenSamples) {
  const std::filesystem::path images = dir_ / "burst";
  std::filesystem::create_directories(images);
  for (int i = 0; i < 10; ++i) {
    cv::imwrite((images / ("f" + std::to_string(i) + ".png")).string(), NumberedFrame(i, 8, 8));
  }
  FrameSourceOptions options;
  options.image_interval_ms = 100;  // 10 images per second, sampled at 4
  options.sample_fps = 4;
  auto source = OpenImageDirectory(images.string(), options);
  ASSERT_TRUE(source.ok()) << source.status();
  const std::vector<Frame> frames = ReadAll(**source);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[0].at_ms, 0);
  EXPECT_EQ(frames[1].at_ms, 300);  // first image at or after 250 ms
  EXPECT_EQ(frames[2].at_ms, 500);
  EXPECT_EQ(frames[3].at_ms, 800);  // first at or after 750 ms
}

TEST_F(FrameSourceTest, ImageDirectoryErrors) {
  EXPECT_EQ(OpenImageDirectory((dir_ / "absent").string(), {}).status().code(),
            absl::StatusCode::kNotFound);
  const std::filesystem::path empty = dir_ / "empty";
  std::filesystem::create_directories(empty);
  EXPECT_EQ(OpenImageDirectory(empty.string(), {}).status().code(), absl::StatusCode::kNotFound);
  const std::filesystem::path broken = dir_ / "broken";
  std::filesystem::create_directories(broken);
  std::ofstream(broken / "x.jpg") << "not a jpeg";
  auto source = OpenImageDirectory(broken.string(), {});
  ASSERT_TRUE(source.ok()) << source.status();
  auto next = (*source)->Next();
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("x.jpg"), std::string::npos) << next.status();
}

}  // namespace
}  // namespace proctor::client
