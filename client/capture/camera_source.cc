// OpenCamera: a camera through OpenCV's VideoCapture. The OpenCV adapter for live capture.
//
// A grabber thread reads frames as fast as the camera delivers them and keeps only the newest,
// so a slow analysis never makes the camera fall behind: Next() waits for the next sample time
// and takes whatever frame is newest then.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <opencv2/videoio.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/capture/frame_source.h"
#include "client/capture/opencv_frame.h"
#include "client/capture/sampling_clock.h"
#include "common/i18n.h"
#include "common/platform.h"

namespace proctor::client {
namespace {

using Clock = std::chrono::steady_clock;

class CameraSource : public FrameSource {
 public:
  CameraSource(int index, std::unique_ptr<cv::VideoCapture> capture,
               const FrameSourceOptions& options)
      : index_(index),
        capture_(std::move(capture)),
        interval_(std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double, std::milli>(1000.0 / options.sample_fps))),
        stall_(std::chrono::milliseconds(options.camera_stall_ms)),
        opened_(Clock::now()),
        last_frame_time_(opened_) {
    grabber_ = std::thread([this] { GrabLoop(); });
  }

  ~CameraSource() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    grabber_.join();
    try {
      capture_->release();
    } catch (const cv::Exception&) {
      // Nothing to report from a destructor; the device is closed either way.
    }
  }

  absl::StatusOr<std::optional<Frame>> Next() override {
    // Pace to sample_fps: the next sample is due one interval after the last one returned.
    if (returned_any_) std::this_thread::sleep_until(last_return_ + interval_);
    cv::Mat mat;
    Clock::time_point frame_time;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // After a stall was reported, wait a whole camera_stall_ms again before the next report,
      // so a caller that retries at once does not spin.
      const Clock::time_point deadline = std::max(last_frame_time_, last_stall_report_) + stall_;
      const bool fresh =
          new_frame_.wait_until(lock, deadline, [this] { return frames_ > frames_taken_; });
      if (!fresh) {
        last_stall_report_ = Clock::now();
        return absl::UnavailableError(i18n::Trf(
            "$0: no frame for $1 ms", Describe(),
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - last_frame_time_)
                .count()));
      }
      frames_taken_ = frames_;
      mat = std::move(newest_);
      newest_ = cv::Mat();
      frame_time = last_frame_time_;
    }
    last_return_ = Clock::now();
    returned_any_ = true;
    auto image = internal::MatToImage(mat);
    if (!image.ok()) {
      return absl::DataLossError(absl::StrCat(Describe(), ": ", image.status().message()));
    }
    const int64_t at_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(frame_time - opened_).count();
    last_at_ms_ = std::max(last_at_ms_, at_ms);
    return Frame{std::move(*image), last_at_ms_};
  }

  absl::Status SetSampleFps(double fps) override {
    if (auto s = internal::ValidateSampleFps(fps); !s.ok()) return s;
    interval_ = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double, std::milli>(1000.0 / fps));
    return absl::OkStatus();
  }
  bool realtime() const override { return true; }
  std::string Describe() const override { return i18n::Trf("camera $0", index_); }

 private:
  void GrabLoop() {
    cv::Mat mat;
    while (true) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_) return;
      }
      bool ok = false;
      try {
        ok = capture_->read(mat) && !mat.empty();
      } catch (const cv::Exception&) {
        ok = false;  // reported by Next() as a stall
      }
      if (!ok) {
        // An unplugged camera fails at once: do not spin.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      newest_ = mat.clone();  // the backend may reuse `mat`'s buffer on the next read
      last_frame_time_ = Clock::now();
      ++frames_;
      new_frame_.notify_one();
    }
  }

  const int index_;
  std::unique_ptr<cv::VideoCapture> capture_;  // used by the grabber thread only, then released
  Clock::duration interval_;                   // Next()'s thread only
  const Clock::duration stall_;
  const Clock::time_point opened_;

  std::mutex mu_;
  std::condition_variable new_frame_;
  bool stop_ = false;                  // guarded by mu_
  cv::Mat newest_;                     // guarded by mu_
  Clock::time_point last_frame_time_;  // guarded by mu_; `opened_` until the first frame
  uint64_t frames_ = 0;                // guarded by mu_; frames grabbed
  uint64_t frames_taken_ = 0;          // guarded by mu_; frames_ when Next() last took one

  // Next()'s own state (one caller thread).
  Clock::time_point last_stall_report_;
  Clock::time_point last_return_;
  bool returned_any_ = false;
  int64_t last_at_ms_ = 0;
  std::thread grabber_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<FrameSource>> OpenCamera(int index,
                                                        const FrameSourceOptions& options) {
  if (auto s = ValidateFrameSourceOptions(options); !s.ok()) return s;
  if (index < 0) {
    return absl::InvalidArgumentError(i18n::Trf("camera index must be >= 0, got $0", index));
  }
#ifdef _WIN32
  // Media Foundation first (every Windows 10/11 camera), DirectShow for older drivers. Windows
  // has no device file to look at first: a missing camera and a busy one both fail to open.
  auto capture = std::make_unique<cv::VideoCapture>();
  try {
    if (!capture->open(index, cv::CAP_MSMF) && !capture->open(index, cv::CAP_DSHOW)) {
      return absl::NotFoundError(
          i18n::Trf("camera $0 could not be opened: none connected, used by another program, "
                    "or camera access is off in Windows Settings > Privacy > Camera",
                    index));
    }
#else
  const std::string device = absl::StrCat("/dev/video", index);
  if (platform::KindOf(device) == platform::FileKind::kMissing) {
    return absl::NotFoundError(i18n::Trf(
        "no camera at index $0: $1 does not exist (is a camera connected?)", index, device));
  }
  auto capture = std::make_unique<cv::VideoCapture>();
  try {
    if (!capture->open(index, cv::CAP_V4L2)) {
      return absl::FailedPreconditionError(
          i18n::Trf("camera $0 ($1) could not be opened: busy, not a capture device, or no "
                    "permission",
                    index, device));
    }
#endif
    capture->set(cv::CAP_PROP_FRAME_WIDTH, options.camera_width);
    capture->set(cv::CAP_PROP_FRAME_HEIGHT, options.camera_height);
    // Ask the driver for a short queue so the newest frame is close to "now".
    capture->set(cv::CAP_PROP_BUFFERSIZE, 1);
  } catch (const cv::Exception& e) {
    return absl::FailedPreconditionError(
        i18n::Trf("camera $0 could not be opened: $1", index, e.what()));
  }
  return std::unique_ptr<FrameSource>(new CameraSource(index, std::move(capture), options));
}

}  // namespace proctor::client
