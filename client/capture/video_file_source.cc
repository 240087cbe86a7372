// OpenVideo: a video file through OpenCV's VideoCapture. The OpenCV adapter for files.
#include <algorithm>
#include <cmath>
#include <memory>
#include <opencv2/videoio.hpp>

#include "absl/strings/str_cat.h"
#include "client/capture/frame_source.h"
#include "client/capture/opencv_frame.h"
#include "client/capture/sampling_clock.h"
#include "common/i18n.h"
#include "common/platform.h"

namespace proctor::client {
namespace {

// Frames between two samples are only grab()-ed (demuxed and decoded by the backend) and never
// retrieve()-d, which skips the colour conversion and the copy into an Image.
class VideoFileSource : public FrameSource {
 public:
  VideoFileSource(std::string path, std::unique_ptr<cv::VideoCapture> capture,
                  const FrameSourceOptions& options)
      : path_(std::move(path)),
        capture_(std::move(capture)),
        fps_(capture_->get(cv::CAP_PROP_FPS)),
        // OpenCV's own MJPEG AVI reader (the Windows build's) reports the position of the next
        // frame, not of the one just grabbed: for its constant-rate files, index / fps is exact.
        by_index_(capture_->getBackendName() == "CV_MJPEG" && fps_ > 0 && std::isfinite(fps_)),
        sampler_(options.sample_fps) {}

  absl::StatusOr<std::optional<Frame>> Next() override {
    try {
      while (capture_->grab()) {
        const double at = MediaTimeOfGrabbedFrame();
        ++index_;
        if (!sampler_.Take(at)) continue;
        cv::Mat mat;
        if (!capture_->retrieve(mat)) {
          return absl::DataLossError(
              absl::StrCat(Describe(), ": frame ", index_ - 1, " could not be decoded"));
        }
        auto image = internal::MatToImage(mat);
        if (!image.ok()) {
          return absl::DataLossError(
              absl::StrCat(Describe(), ": frame ", index_ - 1, ": ", image.status().message()));
        }
        last_at_ms_ = std::max(last_at_ms_, static_cast<int64_t>(std::llround(at)));
        return Frame{std::move(*image), last_at_ms_};
      }
    } catch (const cv::Exception& e) {
      return absl::DataLossError(absl::StrCat(Describe(), ": ", e.what()));
    }
    return std::nullopt;
  }
  absl::Status SetSampleFps(double fps) override {
    if (auto s = internal::ValidateSampleFps(fps); !s.ok()) return s;
    sampler_.SetFps(fps);
    return absl::OkStatus();
  }
  bool realtime() const override { return false; }
  std::string Describe() const override { return i18n::Trf("video $0", path_); }

 private:
  // Media time of the frame just grabbed: the container's timestamp, or index / fps where the
  // backend reports none (0 past the first frame).
  double MediaTimeOfGrabbedFrame() {
    if (by_index_) return static_cast<double>(index_) * 1000.0 / fps_;
    const double pos = capture_->get(cv::CAP_PROP_POS_MSEC);
    if (std::isfinite(pos) && (pos > 0 || index_ == 0)) return std::max(pos, 0.0);
    if (fps_ > 0 && std::isfinite(fps_)) return static_cast<double>(index_) * 1000.0 / fps_;
    return static_cast<double>(last_at_ms_);
  }

  std::string path_;
  std::unique_ptr<cv::VideoCapture> capture_;
  double fps_;
  bool by_index_;
  internal::SamplingClock sampler_;
  int64_t index_ = 0;  // frames grabbed so far
  int64_t last_at_ms_ = 0;
};

#ifdef _WIN32
// Windows' OpenCV is built without FFmpeg. OpenCV's own reader takes MJPEG AVI (what
// proctor-sample-video writes) first: its frames are decoded with libjpeg-turbo, and it needs no
// codec from Windows (nor from Wine). Anything else goes to Media Foundation: MP4
// (H.264), WMV and AVI with the codecs Windows has. OpenCV takes narrow paths, so a path with
// letters outside ASCII (C:\Users\Мария\...) goes by its 8.3 alias.
bool OpenVideoCapture(cv::VideoCapture& capture, const std::string& path) {
  const std::string narrow = platform::PathForNarrowApis(path);
  return capture.open(narrow, cv::CAP_OPENCV_MJPEG) || capture.open(narrow, cv::CAP_MSMF);
}
#else
bool OpenVideoCapture(cv::VideoCapture& capture, const std::string& path) {
  return capture.open(path, cv::CAP_FFMPEG);
}
#endif

}  // namespace

absl::StatusOr<std::unique_ptr<FrameSource>> OpenVideo(const std::string& path,
                                                       const FrameSourceOptions& options) {
  if (auto s = ValidateFrameSourceOptions(options); !s.ok()) return s;
  const platform::FileKind kind = platform::KindOf(path);
  if (kind == platform::FileKind::kMissing) {
    return absl::NotFoundError(i18n::Trf("video file $0 does not exist", path));
  }
  if (kind != platform::FileKind::kRegular) {
    return absl::InvalidArgumentError(i18n::Trf("$0 is not a regular file", path));
  }
  auto capture = std::make_unique<cv::VideoCapture>();
  try {
    if (!OpenVideoCapture(*capture, path) || capture->get(cv::CAP_PROP_FRAME_WIDTH) <= 0) {
#ifdef _WIN32
      return absl::InvalidArgumentError(i18n::Trf(
          "$0 is not a readable video (on Windows the client reads MJPEG AVI files, such as "
          "proctor-sample-video writes)",
          path));
#else
      return absl::InvalidArgumentError(
          i18n::Trf("$0 is not a readable video (OpenCV/FFmpeg could not open it)", path));
#endif
    }
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(i18n::Trf("$0 is not a readable video: $1", path, e.what()));
  }
  return std::unique_ptr<FrameSource>(new VideoFileSource(path, std::move(capture), options));
}

}  // namespace proctor::client
