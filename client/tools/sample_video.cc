#include "client/tools/sample_video.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "absl/strings/str_cat.h"
#include "biometrics/image_codec.h"

namespace proctor::client {
namespace {

void Paste(const biometrics::Image& src, int x0, int y0, biometrics::Image* dst) {
  for (int y = 0; y < src.height; ++y) {
    const int dy = y0 + y;
    if (dy < 0 || dy >= dst->height) continue;
    for (int x = 0; x < src.width; ++x) {
      const int dx = x0 + x;
      if (dx < 0 || dx >= dst->width) continue;
      const size_t s = (static_cast<size_t>(y) * src.width + x) * 3;
      const size_t d = (static_cast<size_t>(dy) * dst->width + dx) * 3;
      std::copy(&src.rgb[s], &src.rgb[s] + 3, &dst->rgb[d]);
    }
  }
}

}  // namespace

absl::StatusOr<biometrics::Image> ComposeFrame(const std::vector<biometrics::Image>& photos,
                                               int width, int height, int background) {
  if (width < 16 || height < 16 || width > 4096 || height > 4096 || background < 0 ||
      background > 255) {
    return absl::InvalidArgumentError(absl::StrCat("frame size ", width, "x", height,
                                                   " or background ", background, " out of range"));
  }
  biometrics::Image frame = biometrics::Image::Blank(width, height);
  // A tiled wall rather than a flat one: a flat frame has no detail at all, and the monitor
  // rightly reads that as "could not tell" (too blurred) instead of "nobody there".
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const bool dark_tile = ((x / 20) + (y / 20)) % 2 == 1;
      const int v = std::clamp(background - (dark_tile ? 25 : 0), 0, 255);
      std::fill_n(&frame.rgb[(static_cast<size_t>(y) * width + x) * 3], 3, static_cast<uint8_t>(v));
    }
  }
  if (photos.empty()) return frame;
  const int n = static_cast<int>(photos.size());
  const int gap = width / 32;
  const double cell_w = static_cast<double>(width - gap * (n + 1)) / n;
  const double cell_h = height * 0.75;
  // One scale for all photos, so people of equal size in their photos stay equal.
  double scale = 3.0;
  int total_w = 0;
  for (const biometrics::Image& p : photos) {
    if (p.empty() || !p.IsConsistent()) return absl::InvalidArgumentError("empty photo");
    scale = std::min({scale, cell_w / p.width, cell_h / p.height});
  }
  std::vector<biometrics::Image> scaled;
  for (const biometrics::Image& p : photos) {
    const int w = std::max(1, static_cast<int>(p.width * scale));
    const int h = std::max(1, static_cast<int>(p.height * scale));
    scaled.push_back(biometrics::ResizeImage(p, w, h));
    total_w += w;
  }
  int x = (width - total_w - gap * (n - 1)) / 2;
  for (const biometrics::Image& s : scaled) {
    Paste(s, x, (height - s.height) / 2, &frame);
    x += s.width + gap;
  }
  return frame;
}

absl::Status BuildProctoringVideo(const std::string& path,
                                  const std::vector<VideoSegment>& segments,
                                  const SampleVideoOptions& options) {
  if (!(options.fps >= 1 && options.fps <= 60)) {
    return absl::InvalidArgumentError(absl::StrCat("fps must be 1-60, got ", options.fps));
  }
  std::vector<cv::Mat> frames;  // one BGR frame per segment
  std::vector<double> ends_s;
  double t = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    const VideoSegment& seg = segments[i];
    if (!(seg.seconds > 0 && seg.seconds < 24 * 3600)) {
      return absl::InvalidArgumentError(absl::StrCat("segment ", i, ": seconds must be > 0"));
    }
    std::vector<biometrics::Image> photos;
    for (size_t k = 0; k < seg.photos.size(); ++k) {
      auto image = biometrics::DecodeImage(seg.photos[k].data(), seg.photos[k].size(), {});
      if (!image.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("segment ", i, ", photo ", k, ": ", image.status().message()));
      }
      photos.push_back(seg.mirror ? biometrics::MirrorHorizontally(*image) : std::move(*image));
    }
    auto frame = ComposeFrame(photos, options.width, options.height, options.background);
    if (!frame.ok()) return frame.status();
    cv::Mat rgb(frame->height, frame->width, CV_8UC3, frame->rgb.data());
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    frames.push_back(bgr);
    t += seg.seconds;
    ends_s.push_back(t);
  }
  try {
#ifdef _WIN32
    // The Windows build has no FFmpeg: OpenCV's own MJPEG AVI writer.
    constexpr int kWriterApi = cv::CAP_OPENCV_MJPEG;
#else
    constexpr int kWriterApi = cv::CAP_FFMPEG;
#endif
    cv::VideoWriter writer(path, kWriterApi, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'),
                           options.fps, cv::Size(options.width, options.height));
    if (!writer.isOpened()) {
      return absl::InternalError(
          absl::StrCat("cannot write video ", path, " (OpenCV refused; is the name *.avi?)"));
    }
    const int64_t total = static_cast<int64_t>(std::llround(t * options.fps));
    size_t seg = 0;
    for (int64_t f = 0; f < total; ++f) {
      const double at_s = f / options.fps;
      while (seg + 1 < ends_s.size() && at_s >= ends_s[seg] - 1e-9) ++seg;
      writer.write(frames[seg]);
    }
    writer.release();
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("writing video ", path, ": ", e.what()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::vector<uint8_t>>> CutSingleFacePhotos(
    biometrics::FaceAnalyzer& analyzer, const biometrics::Image& group_photo) {
  auto faces = analyzer.Analyze(group_photo);
  if (!faces.ok()) return faces.status();
  std::vector<std::vector<uint8_t>> out;
  for (const biometrics::FaceAnalysis& face : *faces) {
    const biometrics::Rect& b = face.detection.box;
    const int margin = b.width * 6 / 10;
    const biometrics::Rect r = biometrics::ClipToImage(
        {b.x - margin, b.y - margin, b.width + 2 * margin, b.height + 2 * margin},
        group_photo.width, group_photo.height);
    if (r.width <= 0 || r.height <= 0) continue;
    biometrics::Image crop = biometrics::Image::Blank(r.width, r.height);
    for (int y = 0; y < r.height; ++y) {
      const uint8_t* src =
          &group_photo.rgb[(static_cast<size_t>(r.y + y) * group_photo.width + r.x) * 3];
      std::copy(src, src + static_cast<size_t>(r.width) * 3, &crop.rgb[crop.stride() * y]);
    }
    auto alone = analyzer.Analyze(crop);
    if (!alone.ok() || alone->size() != 1) continue;
    auto jpeg = biometrics::EncodeJpeg(crop, 92);
    if (!jpeg.ok()) return jpeg.status();
    out.push_back(std::move(*jpeg));
  }
  return out;
}

std::vector<VideoSegment> DemoScript(const std::vector<uint8_t>& learner_photo,
                                     const std::vector<uint8_t>& other_photo) {
  return {
      {{learner_photo}, 12.0, false},
      {{}, 6.0, false},
      {{learner_photo, other_photo}, 6.0, false},
      {{other_photo}, 6.0, false},
      {{learner_photo}, 10.0, false},
  };
}

}  // namespace proctor::client
