// Test-only writers of photos in every format and variant DecodeImage reads, each made with the
// format's own library (libjpeg, libpng, libwebp, libtiff, libexif, OpenCV for BMP), so that the
// decoder's tests need no files. Failures abort the test binary with a message.
#ifndef PROCTOR_BIOMETRICS_TESTING_PHOTO_ENCODERS_H_
#define PROCTOR_BIOMETRICS_TESTING_PHOTO_ENCODERS_H_

#include <cstdint>
#include <vector>

#include "biometrics/image.h"

namespace proctor::biometrics::testing {

using Bytes = std::vector<uint8_t>;

// An EXIF block (APP1 payload, "Exif\0\0" first) holding only the Orientation tag.
Bytes ExifWithOrientation(int orientation);

enum class JpegColour { kRgb, kGrey, kCmykAdobe, kCmykPlain, kYcck };
struct JpegVariant {
  int quality = 92;
  bool progressive = false;
  JpegColour colour = JpegColour::kRgb;
  int exif_orientation = 0;  // 0: no EXIF block
};
Bytes WriteJpeg(const Image& image, const JpegVariant& variant = {});

enum class PngKind { kRgb8, kRgb16, kGrey8, kPalette, kRgbaHalfTransparent };
Bytes WritePng(const Image& image, PngKind kind);

struct WebpVariant {
  bool lossless = false;
  bool alpha = false;  // the right half fully transparent
  int exif_orientation = 0;
};
Bytes WriteWebp(const Image& image, const WebpVariant& variant = {});
// Two frames of `image`, 100 ms each.
Bytes WriteAnimatedWebp(const Image& image);

enum class TiffKind { kRgb8, kRgb16, kGrey8, kCmyk8 };
struct TiffVariant {
  TiffKind kind = TiffKind::kRgb8;
  bool lzw = false;
  int orientation = 0;  // 0: no Orientation tag
};
Bytes WriteTiff(const Image& image, const TiffVariant& variant = {});

Bytes WriteBmp(const Image& image);

// The stored pixels that a viewer shows as `upright` under EXIF `orientation` (the inverse of
// ApplyExifOrientation, computed by trying each of the eight transforms' inverses).
Image StoreForOrientation(const Image& upright, int orientation);

}  // namespace proctor::biometrics::testing

#endif  // PROCTOR_BIOMETRICS_TESTING_PHOTO_ENCODERS_H_
