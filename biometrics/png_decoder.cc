// PNG through libpng's simplified API, which converts every PNG colour type and bit depth
// (grey, palette, 16-bit, alpha) to 8-bit RGB.
#include <png.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "biometrics/image_decoders.h"

namespace proctor::biometrics::internal {

absl::StatusOr<StoredImage> DecodePng(const uint8_t* data, size_t size, const ImageLimits& limits) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, data, size)) {
    return absl::InvalidArgumentError(absl::StrCat("corrupt PNG: ", png.message));
  }
  if (absl::Status status = CheckImageDimensions(png.width, png.height, limits); !status.ok()) {
    png_image_free(&png);
    return status;
  }
  png.format = PNG_FORMAT_RGB;
  StoredImage out;
  out.image.width = static_cast<int>(png.width);
  out.image.height = static_cast<int>(png.height);
  out.image.rgb.resize(PNG_IMAGE_SIZE(png));
  png_color white{255, 255, 255};  // transparent areas become white, as a viewer shows them
  if (!png_image_finish_read(&png, &white, out.image.rgb.data(), 0, nullptr)) {
    return absl::InvalidArgumentError(absl::StrCat("corrupt or truncated PNG: ", png.message));
  }
  return out;
}

}  // namespace proctor::biometrics::internal
