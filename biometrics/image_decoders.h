// The per-format decoders behind DecodeImage (image_codec.h); internal to biometrics. Each one
// reads the size from its header and calls CheckImageDimensions before it allocates a pixel
// buffer, returns RGB rows as stored, and reports the orientation the file asks a viewer to
// apply, which DecodeImage applies. Errors name the real cause; DecodeImage adds the format.
#ifndef PROCTOR_BIOMETRICS_IMAGE_DECODERS_H_
#define PROCTOR_BIOMETRICS_IMAGE_DECODERS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "biometrics/image.h"
#include "biometrics/image_codec.h"

namespace proctor::biometrics::internal {

struct StoredImage {
  Image image;          // rows as stored in the file
  int orientation = 1;  // EXIF/TIFF Orientation, 1-8 (1: as stored)
};

// INVALID_ARGUMENT for an empty size, RESOURCE_EXHAUSTED past `limits`.
absl::Status CheckImageDimensions(int64_t width, int64_t height, const ImageLimits& limits);

// The Orientation tag of an EXIF block (an APP1 payload beginning "Exif\0\0", or a bare TIFF
// structure as WebP stores it); 1 when there is none or the block is unreadable (a damaged EXIF
// block does not make the picture unusable).
int ExifOrientation(const uint8_t* data, size_t size);

absl::StatusOr<StoredImage> DecodeJpeg(const uint8_t* data, size_t size, const ImageLimits& limits);
absl::StatusOr<StoredImage> DecodePng(const uint8_t* data, size_t size, const ImageLimits& limits);
absl::StatusOr<StoredImage> DecodeWebp(const uint8_t* data, size_t size, const ImageLimits& limits);
absl::StatusOr<StoredImage> DecodeTiff(const uint8_t* data, size_t size, const ImageLimits& limits);
absl::StatusOr<StoredImage> DecodeBmp(const uint8_t* data, size_t size, const ImageLimits& limits);

}  // namespace proctor::biometrics::internal

#endif  // PROCTOR_BIOMETRICS_IMAGE_DECODERS_H_
