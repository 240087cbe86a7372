// ValidateFrameSourceOptions and the image-directory source (no OpenCV here: images are decoded
// with biometrics' own codec).
#include "client/capture/frame_source.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "biometrics/image_codec.h"
#include "client/capture/sampling_clock.h"
#include "common/i18n.h"

namespace proctor::client {

namespace internal {

absl::Status ValidateSampleFps(double fps) {
  if (!(fps > 0) || !std::isfinite(fps) || fps > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("sample_fps must be within (0, 1000], got ", fps));
  }
  return absl::OkStatus();
}

}  // namespace internal

absl::Status ValidateFrameSourceOptions(const FrameSourceOptions& options) {
  if (auto s = internal::ValidateSampleFps(options.sample_fps); !s.ok()) return s;
  if (options.image_interval_ms <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("image_interval_ms must be > 0, got ", options.image_interval_ms));
  }
  if (options.camera_stall_ms <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("camera_stall_ms must be > 0, got ", options.camera_stall_ms));
  }
  if (options.camera_width <= 0 || options.camera_height <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "camera size must be positive, got ", options.camera_width, "x", options.camera_height));
  }
  return absl::OkStatus();
}

namespace {

bool IsImageName(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// Image i stands for media time i * image_interval_ms; images that fall between two samples
// are skipped without being decoded.
class ImageDirectorySource : public FrameSource {
 public:
  ImageDirectorySource(std::string dir, std::vector<std::string> files,
                       const FrameSourceOptions& options)
      : dir_(std::move(dir)),
        files_(std::move(files)),
        interval_ms_(options.image_interval_ms),
        sampler_(options.sample_fps) {}

  absl::StatusOr<std::optional<Frame>> Next() override {
    while (next_ < files_.size()) {
      const size_t i = next_++;
      const int64_t at_ms = static_cast<int64_t>(i) * interval_ms_;
      if (!sampler_.Take(static_cast<double>(at_ms))) continue;
      auto image = biometrics::ReadImageFile(files_[i], biometrics::ImageLimits{});
      if (!image.ok()) {
        return absl::Status(image.status().code(),
                            absl::StrCat(Describe(), ": ", image.status().message()));
      }
      return Frame{std::move(*image), at_ms};
    }
    return std::nullopt;
  }
  absl::Status SetSampleFps(double fps) override {
    if (auto s = internal::ValidateSampleFps(fps); !s.ok()) return s;
    sampler_.SetFps(fps);
    return absl::OkStatus();
  }
  bool realtime() const override { return false; }
  std::string Describe() const override { return i18n::Trf("images in $0", dir_); }

 private:
  std::string dir_;
  std::vector<std::string> files_;  // full paths, name order
  int64_t interval_ms_;
  internal::SamplingClock sampler_;
  size_t next_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<FrameSource>> OpenImageDirectory(const std::string& dir,
                                                                const FrameSourceOptions& options) {
  if (auto s = ValidateFrameSourceOptions(options); !s.ok()) return s;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::NotFoundError(i18n::Trf("image directory $0 does not exist", dir));
  }
  std::vector<std::string> files;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && IsImageName(it->path())) files.push_back(it->path().string());
  }
  if (ec) {
    return absl::NotFoundError(i18n::Trf("listing image directory $0: $1", dir, ec.message()));
  }
  if (files.empty()) {
    return absl::NotFoundError(
        i18n::Trf("image directory $0 holds no *.jpg, *.jpeg or *.png file", dir));
  }
  std::sort(files.begin(), files.end());
  return std::unique_ptr<FrameSource>(new ImageDirectorySource(dir, std::move(files), options));
}

}  // namespace proctor::client
