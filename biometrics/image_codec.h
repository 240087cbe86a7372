// Decoding untrusted photo bytes into an Image, as a photo viewer shows them, and encoding
// evidence JPEGs.
//
// Formats are recognised by content, never by file name: JPEG (baseline, progressive, grey,
// CMYK and YCCK, Adobe's inverted CMYK included), PNG (1-16 bits, grey, palette, alpha), WebP
// (lossy, lossless, alpha; not animated), TIFF (first page) and BMP. The EXIF/TIFF Orientation
// (JPEG, WebP, TIFF) is applied, so a phone photo comes out upright. Transparent areas become
// white. Formats known but not decoded (GIF, HEIC/HEIF, AVIF, JPEG 2000, PDF) are refused by name.
//
// Every input is treated as hostile: dimensions are checked against ImageLimits from the header
// of every format before any pixel buffer is allocated, and a truncated or corrupt stream is an
// error rather than a half-grey picture. All functions are thread-safe.
#ifndef PROCTOR_BIOMETRICS_IMAGE_CODEC_H_
#define PROCTOR_BIOMETRICS_IMAGE_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "biometrics/image.h"

namespace proctor::biometrics {

struct ImageLimits {
  // Largest accepted file, bytes; default 64 MiB.
  size_t max_bytes = size_t{64} << 20;
  // Largest accepted width or height, pixels; default 16384.
  int max_side = 16384;
  // Largest accepted width * height, pixels; default 40 megapixels (120 MB decoded).
  int64_t max_pixels = 40'000'000;
};

enum class ImageFormat {
  kUnknown,
  kJpeg,
  kPng,
  kWebp,
  kTiff,
  kBmp,
  // Recognised so that the refusal can say what the file is; never decoded.
  kGif,
  kHeif,  // HEIC/HEIF (iPhone photos) and AVIF
  kJpeg2000,
  kPdf,
};

// Recognises the format from the first bytes (magic numbers), not from a file name.
ImageFormat SniffImageFormat(const uint8_t* data, size_t size);

// "JPEG", "PNG", "WebP", ...; "unknown" for kUnknown.
const char* ImageFormatName(ImageFormat format);

// Decodes a photo to upright RGB. INVALID_ARGUMENT for an empty, unrecognised, unsupported,
// truncated or corrupt stream, with the cause in the message; RESOURCE_EXHAUSTED when the file
// or the size in its header is larger than `limits` allow.
absl::StatusOr<Image> DecodeImage(const uint8_t* data, size_t size, const ImageLimits& limits);

// Reads and decodes a file; errors name the path.
absl::StatusOr<Image> ReadImageFile(const std::string& path, const ImageLimits& limits);

// Encodes `image` as a baseline JPEG; quality 1-100.
absl::StatusOr<std::vector<uint8_t>> EncodeJpeg(const Image& image, int quality);

}  // namespace proctor::biometrics

#endif  // PROCTOR_BIOMETRICS_IMAGE_CODEC_H_
