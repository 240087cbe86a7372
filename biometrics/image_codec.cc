#include "biometrics/image_codec.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "biometrics/image_decoders.h"
#include "common/file_io.h"

namespace proctor::biometrics {
namespace {

bool StartsWith(const uint8_t* data, size_t size, size_t at, const char* magic, size_t n) {
  return size >= at + n && std::memcmp(data + at, magic, n) == 0;
}

// ISO base media files (HEIC, AVIF) begin with an "ftyp" box whose major brand says which.
bool IsHeifFamily(const uint8_t* data, size_t size) {
  if (!StartsWith(data, size, 4, "ftyp", 4) || size < 12) return false;
  for (const char* brand :
       {"heic", "heix", "hevc", "heim", "heis", "mif1", "msf1", "avif", "avis"}) {
    if (std::memcmp(data + 8, brand, 4) == 0) return true;
  }
  return false;
}

absl::Status Refusal(ImageFormat format) {
  switch (format) {
    case ImageFormat::kGif:
      return absl::InvalidArgumentError(
          "GIF is not supported for photos (at most 256 colours); save the photo as JPEG or PNG");
    case ImageFormat::kHeif:
      return absl::InvalidArgumentError(
          "HEIC/HEIF or AVIF photo (as iPhones save them) is not supported; export it as JPEG "
          "(on an iPhone: Settings > Camera > Formats > Most Compatible)");
    case ImageFormat::kJpeg2000:
      return absl::InvalidArgumentError(
          "JPEG 2000 is not supported; save the photo as JPEG or PNG");
    case ImageFormat::kPdf:
      return absl::InvalidArgumentError(
          "this is a PDF document, not a photo; export the photo from it as JPEG or PNG");
    default:
      return absl::InvalidArgumentError(
          "not a photo in a known format (JPEG, PNG, WebP, TIFF or BMP): unrecognised file "
          "signature");
  }
}

absl::StatusOr<internal::StoredImage> DecodeStored(ImageFormat format, const uint8_t* data,
                                                   size_t size, const ImageLimits& limits) {
  switch (format) {
    case ImageFormat::kJpeg:
      return internal::DecodeJpeg(data, size, limits);
    case ImageFormat::kPng:
      return internal::DecodePng(data, size, limits);
    case ImageFormat::kWebp:
      return internal::DecodeWebp(data, size, limits);
    case ImageFormat::kTiff:
      return internal::DecodeTiff(data, size, limits);
    case ImageFormat::kBmp:
      return internal::DecodeBmp(data, size, limits);
    default:
      return Refusal(format);
  }
}

}  // namespace

namespace internal {

absl::Status CheckImageDimensions(int64_t width, int64_t height, const ImageLimits& limits) {
  if (width <= 0 || height <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("image header gives an empty size ", width, "x", height));
  }
  if (width > limits.max_side || height > limits.max_side || width * height > limits.max_pixels) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "image is ", width, "x", height, " pixels, larger than the limit of ", limits.max_side,
        " pixels a side and ", limits.max_pixels, " pixels in all; refusing to decode it"));
  }
  return absl::OkStatus();
}

}  // namespace internal

ImageFormat SniffImageFormat(const uint8_t* data, size_t size) {
  if (StartsWith(data, size, 0, "\xFF\xD8\xFF", 3)) return ImageFormat::kJpeg;
  if (StartsWith(data, size, 0, "\x89PNG\r\n\x1A\n", 8)) return ImageFormat::kPng;
  if (StartsWith(data, size, 0, "RIFF", 4) && StartsWith(data, size, 8, "WEBP", 4)) {
    return ImageFormat::kWebp;
  }
  if (StartsWith(data, size, 0, "II*\0", 4) || StartsWith(data, size, 0, "MM\0*", 4) ||
      StartsWith(data, size, 0, "II+\0", 4) || StartsWith(data, size, 0, "MM\0+", 4)) {
    return ImageFormat::kTiff;  // classic and BigTIFF, either byte order
  }
  if (StartsWith(data, size, 0, "BM", 2) && size >= 18) return ImageFormat::kBmp;
  if (StartsWith(data, size, 0, "GIF87a", 6) || StartsWith(data, size, 0, "GIF89a", 6)) {
    return ImageFormat::kGif;
  }
  if (IsHeifFamily(data, size)) return ImageFormat::kHeif;
  if (StartsWith(data, size, 0, "\0\0\0\x0CjP  \r\n\x87\n", 12) ||
      StartsWith(data, size, 0, "\xFF\x4F\xFF\x51", 4)) {
    return ImageFormat::kJpeg2000;  // JP2 container or a bare codestream
  }
  if (StartsWith(data, size, 0, "%PDF-", 5)) return ImageFormat::kPdf;
  return ImageFormat::kUnknown;
}

const char* ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kWebp:
      return "WebP";
    case ImageFormat::kTiff:
      return "TIFF";
    case ImageFormat::kBmp:
      return "BMP";
    case ImageFormat::kGif:
      return "GIF";
    case ImageFormat::kHeif:
      return "HEIF";
    case ImageFormat::kJpeg2000:
      return "JPEG 2000";
    case ImageFormat::kPdf:
      return "PDF";
    case ImageFormat::kUnknown:
      break;
  }
  return "unknown";
}

absl::StatusOr<Image> DecodeImage(const uint8_t* data, size_t size, const ImageLimits& limits) {
  if (size == 0) return absl::InvalidArgumentError("empty file (0 bytes), not an image");
  if (size > limits.max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("image data is ", size, " bytes, more than the limit of ", limits.max_bytes));
  }
  auto stored = DecodeStored(SniffImageFormat(data, size), data, size, limits);
  if (!stored.ok()) return stored.status();
  if (stored->orientation == 1) return std::move(stored->image);
  return ApplyExifOrientation(stored->image, stored->orientation);
}

absl::StatusOr<Image> ReadImageFile(const std::string& path, const ImageLimits& limits) {
  auto bytes = ReadFileBytes(path, limits.max_bytes);
  if (!bytes.ok()) return bytes.status();
  auto image = DecodeImage(bytes->data(), bytes->size(), limits);
  if (!image.ok()) {
    return absl::Status(image.status().code(), absl::StrCat(path, ": ", image.status().message()));
  }
  return image;
}

}  // namespace proctor::biometrics
