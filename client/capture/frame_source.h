// FrameSource: where the learner's frames come from — a camera, a video file or a directory of
// images — behind one interface, so analysis never sees OpenCV (only the adapters include it).
//
// Time: every frame carries `at_ms`, milliseconds since the source opened. For files it is media
// time (a video frame's timestamp; image i of a directory at i * interval), so a run over a file
// is reproducible. A camera runs in real time (steady clock) and drops frames rather than falling
// behind: Next() returns the newest frame, never a queue of old ones.
#ifndef PROCTOR_CLIENT_CAPTURE_FRAME_SOURCE_H_
#define PROCTOR_CLIENT_CAPTURE_FRAME_SOURCE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "biometrics/image.h"

namespace proctor::client {

struct Frame {
  biometrics::Image image;  // RGB
  int64_t at_ms = 0;        // since the source opened; never decreasing
};

struct FrameSourceOptions {
  // Frames per second handed to analysis, > 0, default 3. Files: frames in between are skipped
  // (grabbed, not converted). Cameras: the newest frame at this rate.
  double sample_fps = 3.0;
  // Directories only: how long each image stands for, ms, > 0, default 1000.
  int64_t image_interval_ms = 1000;
  // Cameras only: Next() reports UNAVAILABLE when no frame arrived for this long, ms, default 2000.
  int64_t camera_stall_ms = 2000;
  // Cameras only: requested capture size (the driver may pick another), default 640x480.
  int camera_width = 640;
  int camera_height = 480;
};

absl::Status ValidateFrameSourceOptions(const FrameSourceOptions& options);

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // The next frame to analyse. std::nullopt: the media ended (files only). UNAVAILABLE: a camera
  // gave no frame for camera_stall_ms (the caller may call again: frames may come back). Other
  // errors: the source is broken (unreadable file), with a message naming it.
  virtual absl::StatusOr<std::optional<Frame>> Next() = 0;
  // Changes the rate set by FrameSourceOptions::sample_fps from the next frame on (the client
  // raises it while the monitor's liveness check wants more frames: LiveStatus::wanted_fps).
  // INVALID_ARGUMENT unless 0 < fps <= 1000. Call from the thread that calls Next().
  virtual absl::Status SetSampleFps(double fps) = 0;
  // True for cameras (real time), false for files.
  virtual bool realtime() const = 0;
  // "camera 0", "video exam.avi", "images in dir/" — for status lines and errors.
  virtual std::string Describe() const = 0;
};

// NOT_FOUND / FAILED_PRECONDITION with a clear message when the camera cannot be opened
// ("no camera at index 0: ...").
absl::StatusOr<std::unique_ptr<FrameSource>> OpenCamera(int index,
                                                        const FrameSourceOptions& options);
// NOT_FOUND when the file does not exist, INVALID_ARGUMENT when it is not a readable video.
absl::StatusOr<std::unique_ptr<FrameSource>> OpenVideo(const std::string& path,
                                                       const FrameSourceOptions& options);
// Images (*.jpg, *.jpeg, *.png) in name order. NOT_FOUND when the directory does not exist or
// holds no image; an unreadable image is an error from Next() naming the file.
absl::StatusOr<std::unique_ptr<FrameSource>> OpenImageDirectory(const std::string& dir,
                                                                const FrameSourceOptions& options);

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_CAPTURE_FRAME_SOURCE_H_
