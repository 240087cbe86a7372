// Windows bitmaps (BMP/DIB: 1-32 bits, RLE, top-down or bottom-up) through OpenCV's decoder,
// after the size in the header has been checked here.
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"
#include "biometrics/image_decoders.h"

namespace proctor::biometrics::internal {
namespace {

int32_t Le32(const uint8_t* p) {
  return static_cast<int32_t>(uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 |
                              uint32_t{p[3]} << 24);
}
int Le16(const uint8_t* p) { return p[0] | p[1] << 8; }

}  // namespace

absl::StatusOr<StoredImage> DecodeBmp(const uint8_t* data, size_t size, const ImageLimits& limits) {
  // BITMAPFILEHEADER (14 bytes), then the DIB header, whose first field is its own size: 12 for
  // OS/2's BITMAPCOREHEADER (16-bit sizes), 40 or more for BITMAPINFOHEADER and its successors.
  if (size < 26) return absl::InvalidArgumentError("truncated BMP: the header is incomplete");
  const int32_t header = Le32(data + 14);
  int64_t width = 0, height = 0;
  if (header == 12) {
    width = Le16(data + 18);
    height = Le16(data + 20);
  } else if (header >= 40 && size >= 26) {
    width = Le32(data + 18);
    height = Le32(data + 22);
    if (height < 0) height = -height;  // top-down rows
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("BMP with an unknown header (", header, " bytes) is not supported"));
  }
  if (absl::Status s = CheckImageDimensions(width, height, limits); !s.ok()) return s;
  // Uncompressed rows have a known length: a short file is truncated. (OpenCV would say so on
  // stderr, which a server must not fill with its callers' mistakes.)
  const int bits = header == 12 ? Le16(data + 24) : size >= 30 ? Le16(data + 28) : 0;
  const int32_t compression = header >= 40 && size >= 34 ? Le32(data + 30) : 0;
  if (compression == 0 || compression == 3) {  // BI_RGB, BI_BITFIELDS
    const int64_t row_bytes = (width * bits + 31) / 32 * 4;
    const int64_t needed = int64_t{static_cast<uint32_t>(Le32(data + 10))} + row_bytes * height;
    if (static_cast<int64_t>(size) < needed) {
      return absl::InvalidArgumentError(
          absl::StrCat("truncated BMP: ", size, " bytes where its header needs ", needed));
    }
  }
  cv::Mat bgr;
  try {
    const cv::Mat bytes(1, static_cast<int>(size), CV_8UC1, const_cast<uint8_t*>(data));
    bgr = cv::imdecode(bytes, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("corrupt BMP: ", e.what()));
  }
  if (bgr.empty() || bgr.cols != width || bgr.rows != height) {
    return absl::InvalidArgumentError(
        "corrupt, truncated or unsupported BMP (OpenCV could not decode it)");
  }
  StoredImage out;
  out.image = Image::Blank(bgr.cols, bgr.rows);
  cv::Mat rgb(bgr.rows, bgr.cols, CV_8UC3, out.image.rgb.data());
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return out;
}

}  // namespace proctor::biometrics::internal
