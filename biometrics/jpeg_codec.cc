// JPEG decoding (every colour space libjpeg-turbo reads, CMYK/YCCK included) and the evidence
// JPEG encoder.
//
// libjpeg reports fatal errors by calling error_exit, which must not return: the only way back
// into C++ is longjmp. Every function below that calls libjpeg declares its C++ objects before
// setjmp so that a longjmp never skips a destructor.
#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

// After <cstddef> and <cstdio>: jpeglib.h uses size_t and FILE without including them.
#include <jpeglib.h>
// After jpeglib.h.
#include <jerror.h>

#include "absl/strings/str_cat.h"
#include "biometrics/image_decoders.h"

namespace proctor::biometrics {
namespace {

struct JpegErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  int code = 0;
};

[[noreturn]] void OnJpegError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  err->code = cinfo->err->msg_code;
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

// What went wrong, in words a person can act on.
std::string DescribeJpegError(const JpegErrorManager& err) {
  switch (err.code) {
    case JWRN_JPEG_EOF:
    case JERR_INPUT_EOF:
      return "truncated JPEG: the file ends before the picture does";
    case JERR_BAD_PRECISION:
      return absl::StrCat("JPEG with a sample precision this build cannot decode (", err.message,
                          "); save it as an ordinary 8-bit JPEG");
    case JERR_CONVERSION_NOTIMPL:
    case JERR_BAD_J_COLORSPACE:
      return absl::StrCat("JPEG in a colour space that cannot be converted to RGB (", err.message,
                          ")");
    default:
      return absl::StrCat("corrupt JPEG: ", err.message);
  }
}

int OrientationFromMarkers(const jpeg_decompress_struct& cinfo) {
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m != nullptr; m = m->next) {
    if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 &&
        std::memcmp(m->data, "Exif\0\0", 6) == 0) {
      return internal::ExifOrientation(m->data, m->data_length);
    }
  }
  return 1;
}

// CMYK to RGB without a colour profile, as viewers do without one. Adobe's applications (and
// libjpeg behind ImageMagick) write CMYK JPEGs inverted (0 = full ink) and mark them with an
// Adobe APP14 segment; without that segment the values are plain ink amounts.
void CmykRowToRgb(const uint8_t* cmyk, int width, bool inverted, uint8_t* rgb) {
  for (int x = 0; x < width; ++x, cmyk += 4, rgb += 3) {
    const int k = inverted ? cmyk[3] : 255 - cmyk[3];
    for (int c = 0; c < 3; ++c) {
      const int v = inverted ? cmyk[c] : 255 - cmyk[c];
      rgb[c] = static_cast<uint8_t>((v * k + 127) / 255);
    }
  }
}

}  // namespace

namespace internal {

absl::StatusOr<StoredImage> DecodeJpeg(const uint8_t* data, size_t size,
                                       const ImageLimits& limits) {
  StoredImage out;
  absl::Status status;
  std::vector<uint8_t> cmyk_row;
  jpeg_decompress_struct cinfo;
  JpegErrorManager err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = OnJpegError;
  err.pub.emit_message = OnJpegMessage;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return absl::InvalidArgumentError(DescribeJpegError(err));
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);  // EXIF
  jpeg_read_header(&cinfo, TRUE);
  status = CheckImageDimensions(cinfo.image_width, cinfo.image_height, limits);
  if (!status.ok()) {
    jpeg_destroy_decompress(&cinfo);
    return status;
  }
  out.orientation = OrientationFromMarkers(cinfo);
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  Image& image = out.image;
  image.width = static_cast<int>(cinfo.output_width);
  image.height = static_cast<int>(cinfo.output_height);
  image.rgb.resize(image.stride() * image.height);
  if (cmyk) cmyk_row.resize(static_cast<size_t>(image.width) * 4);
  while (cinfo.output_scanline < cinfo.output_height) {
    uint8_t* rgb_row = image.rgb.data() + cinfo.output_scanline * image.stride();
    JSAMPROW row = cmyk ? cmyk_row.data() : rgb_row;
    jpeg_read_scanlines(&cinfo, &row, 1);
    if (cmyk) CmykRowToRgb(cmyk_row.data(), image.width, cinfo.saw_Adobe_marker, rgb_row);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return out;
}

}  // namespace internal

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
