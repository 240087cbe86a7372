#include "biometrics/image_codec.h"

// libjpeg reports fatal errors by calling error_exit, which must not return: the only way back
// into C++ is longjmp. Every function below that calls libjpeg declares its C++ objects before
// setjmp so that a longjmp never skips a destructor.
#include <csetjmp>
#include <cstdio>
#include <cstring>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/file_io.h"

namespace proctor::biometrics {
namespace {

absl::Status CheckDimensions(int64_t width, int64_t height, const ImageLimits& limits) {
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

struct JpegErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void OnJpegError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// libjpeg only warns about a truncated or damaged stream and fills the rest with grey. For
// evidence that is not acceptable, so damage warnings become errors; the harmless ones stay
// warnings.
void OnJpegMessage(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  switch (cinfo->err->msg_code) {
    case JWRN_EXTRANEOUS_DATA:
    case JWRN_JFIF_MAJOR:
    case JWRN_ADOBE_XFORM:
    case JWRN_TOO_MUCH_DATA:
      return;
    default:
      OnJpegError(cinfo);
  }
}

absl::StatusOr<Image> DecodeJpeg(const uint8_t* data, size_t size, const ImageLimits& limits) {
  Image image;
  absl::Status status;
  jpeg_decompress_struct cinfo;
  JpegErrorManager err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = OnJpegError;
  err.pub.emit_message = OnJpegMessage;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return absl::InvalidArgumentError(absl::StrCat("corrupt or truncated JPEG: ", err.message));
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  status = CheckDimensions(cinfo.image_width, cinfo.image_height, limits);
  if (!status.ok()) {
    jpeg_destroy_decompress(&cinfo);
    return status;
  }
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  image.width = static_cast<int>(cinfo.output_width);
  image.height = static_cast<int>(cinfo.output_height);
  image.rgb.resize(image.stride() * image.height);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = image.rgb.data() + cinfo.output_scanline * image.stride();
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return image;
}

absl::StatusOr<Image> DecodePng(const uint8_t* data, size_t size, const ImageLimits& limits) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, data, size)) {
    return absl::InvalidArgumentError(absl::StrCat("corrupt PNG: ", png.message));
  }
  if (absl::Status status = CheckDimensions(png.width, png.height, limits); !status.ok()) {
    png_image_free(&png);
    return status;
  }
  png.format = PNG_FORMAT_RGB;
  Image image;
  image.width = static_cast<int>(png.width);
  image.height = static_cast<int>(png.height);
  image.rgb.resize(PNG_IMAGE_SIZE(png));
  png_color white{255, 255, 255};  // transparent areas become white, as a viewer shows them
  if (!png_image_finish_read(&png, &white, image.rgb.data(), 0, nullptr)) {
    return absl::InvalidArgumentError(absl::StrCat("corrupt or truncated PNG: ", png.message));
  }
  return image;
}

}  // namespace

ImageFormat SniffImageFormat(const uint8_t* data, size_t size) {
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return ImageFormat::kJpeg;
  static const uint8_t kPngMagic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size >= 8 && std::memcmp(data, kPngMagic, 8) == 0) return ImageFormat::kPng;
  return ImageFormat::kUnknown;
}

absl::StatusOr<Image> DecodeImage(const uint8_t* data, size_t size, const ImageLimits& limits) {
  if (size == 0) return absl::InvalidArgumentError("empty file (0 bytes), not an image");
  if (size > limits.max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("image data is ", size, " bytes, more than the limit of ", limits.max_bytes));
  }
  switch (SniffImageFormat(data, size)) {
    case ImageFormat::kJpeg:
      return DecodeJpeg(data, size, limits);
    case ImageFormat::kPng:
      return DecodePng(data, size, limits);
    case ImageFormat::kUnknown:
      break;
  }
  return absl::InvalidArgumentError("not a JPEG or PNG image (unrecognised file signature)");
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

absl::StatusOr<std::vector<uint8_t>> EncodeJpeg(const Image& image, int quality) {
  if (quality < 1 || quality > 100) {
    return absl::InvalidArgumentError(absl::StrCat("JPEG quality ", quality, " is not in 1-100"));
  }
  if (image.empty() || !image.IsConsistent()) {
    return absl::InvalidArgumentError("cannot encode an empty or inconsistent image");
  }
  std::vector<uint8_t> out;
  unsigned char* buffer = nullptr;
  unsigned long buffer_size = 0;
  jpeg_compress_struct cinfo;
  JpegErrorManager err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = OnJpegError;
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&cinfo);
    std::free(buffer);
    return absl::InternalError(absl::StrCat("JPEG encoding failed: ", err.message));
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &buffer, &buffer_size);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    // libjpeg's API is not const-correct; it does not write through the row pointer.
    JSAMPROW row = const_cast<uint8_t*>(image.rgb.data()) + cinfo.next_scanline * image.stride();
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  out.assign(buffer, buffer + buffer_size);
  std::free(buffer);
  return out;
}

}  // namespace proctor::biometrics
