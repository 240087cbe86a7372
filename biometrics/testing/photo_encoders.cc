#include "biometrics/testing/photo_encoders.h"

#include <libexif/exif-data.h>
#include <png.h>
#include <tiffio.h>
#include <unistd.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

// After <cstddef> and <cstdio>: jpeglib.h uses size_t and FILE without including them.
#include <jpeglib.h>

namespace proctor::biometrics::testing {
namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "photo_encoders: %s\n", what.c_str());
  std::abort();
}

// Ink amounts of the naive conversion viewers invert: K = 255 - max(R,G,B), C = (255-R-K)...
void RgbToCmyk(const uint8_t* rgb, uint8_t* cmyk) {
  const int max = std::max({rgb[0], rgb[1], rgb[2]});
  const int k = 255 - max;
  for (int c = 0; c < 3; ++c) cmyk[c] = max == 0 ? 0 : (max - rgb[c]) * 255 / max;
  cmyk[3] = static_cast<uint8_t>(k);
}

uint8_t Grey(const uint8_t* rgb) { return (rgb[0] * 299 + rgb[1] * 587 + rgb[2] * 114) / 1000; }

}  // namespace

Bytes ExifWithOrientation(int orientation) {
  ExifData* exif = exif_data_new();
  exif_data_set_byte_order(exif, EXIF_BYTE_ORDER_MOTOROLA);
  ExifEntry* entry = exif_entry_new();
  exif_content_add_entry(exif->ifd[EXIF_IFD_0], entry);
  exif_entry_initialize(entry, EXIF_TAG_ORIENTATION);
  exif_set_short(entry->data, EXIF_BYTE_ORDER_MOTOROLA, static_cast<ExifShort>(orientation));
  unsigned char* data = nullptr;
  unsigned int size = 0;
  exif_data_save_data(exif, &data, &size);
  exif_entry_unref(entry);
  exif_data_unref(exif);
  if (data == nullptr) Fail("libexif could not save an EXIF block");
  Bytes out(data, data + size);
  std::free(data);
  return out;
}

Bytes WriteJpeg(const Image& image, const JpegVariant& variant) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = image.width;
  cinfo.image_height = image.height;
  const bool cmyk = variant.colour == JpegColour::kCmykAdobe ||
                    variant.colour == JpegColour::kCmykPlain || variant.colour == JpegColour::kYcck;
  const bool grey = variant.colour == JpegColour::kGrey;
  cinfo.input_components = cmyk ? 4 : grey ? 1 : 3;
  cinfo.in_color_space = cmyk ? JCS_CMYK : grey ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  if (variant.colour == JpegColour::kYcck) jpeg_set_colorspace(&cinfo, JCS_YCCK);
  // Without the Adobe segment a CMYK JPEG's values are plain ink amounts.
  if (variant.colour == JpegColour::kCmykPlain) cinfo.write_Adobe_marker = FALSE;
  jpeg_set_quality(&cinfo, variant.quality, TRUE);
  if (variant.progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  if (variant.exif_orientation != 0) {
    const Bytes exif = ExifWithOrientation(variant.exif_orientation);
    jpeg_write_marker(&cinfo, JPEG_APP0 + 1, exif.data(), static_cast<unsigned>(exif.size()));
  }
  std::vector<uint8_t> row(static_cast<size_t>(image.width) * 4);
  while (cinfo.next_scanline < cinfo.image_height) {
    const uint8_t* src = image.rgb.data() + cinfo.next_scanline * image.stride();
    for (int x = 0; x < image.width; ++x) {
      if (cmyk) {
        RgbToCmyk(src + x * 3, &row[x * 4]);
        if (variant.colour != JpegColour::kCmykPlain) {
          for (int c = 0; c < 4; ++c) row[x * 4 + c] = 255 - row[x * 4 + c];  // Adobe: inverted
        }
      } else if (grey) {
        row[x] = Grey(src + x * 3);
      } else {
        std::memcpy(&row[x * 3], src + x * 3, 3);
      }
    }
    JSAMPROW p = row.data();
    jpeg_write_scanlines(&cinfo, &p, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  Bytes out(buffer, buffer + size);
  std::free(buffer);
  return out;
}

Bytes WritePng(const Image& image, PngKind kind) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = image.width;
  png.height = image.height;
  std::vector<uint8_t> pixels;
  std::vector<uint16_t> wide;
  std::vector<uint8_t> colormap;
  const void* buffer = nullptr;
  const size_t n = static_cast<size_t>(image.width) * image.height;
  switch (kind) {
    case PngKind::kRgb8:
      png.format = PNG_FORMAT_RGB;
      buffer = image.rgb.data();
      break;
    case PngKind::kRgb16:
      // libpng's 16-bit formats are linear light; the decoder's sRGB output must match anyway.
      png.format = PNG_FORMAT_LINEAR_RGB;
      wide.resize(n * 3);
      for (size_t i = 0; i < n * 3; ++i) {
        wide[i] = static_cast<uint16_t>(65535.0 * std::pow(image.rgb[i] / 255.0, 2.2) + 0.5);
      }
      buffer = wide.data();
      break;
    case PngKind::kGrey8:
      png.format = PNG_FORMAT_GRAY;
      for (size_t i = 0; i < n; ++i) pixels.push_back(Grey(&image.rgb[i * 3]));
      buffer = pixels.data();
      break;
    case PngKind::kPalette:
      // A 216-colour cube palette; each pixel the nearest entry.
      png.format = PNG_FORMAT_RGB_COLORMAP;
      png.colormap_entries = 216;
      for (int i = 0; i < 216; ++i) {
        colormap.insert(colormap.end(),
                        {uint8_t(i / 36 * 51), uint8_t(i / 6 % 6 * 51), uint8_t(i % 6 * 51)});
      }
      for (size_t i = 0; i < n; ++i) {
        const uint8_t* p = &image.rgb[i * 3];
        pixels.push_back(((p[0] + 25) / 51) * 36 + ((p[1] + 25) / 51) * 6 + (p[2] + 25) / 51);
      }
      buffer = pixels.data();
      break;
    case PngKind::kRgbaHalfTransparent:
      png.format = PNG_FORMAT_RGBA;
      for (size_t i = 0; i < n; ++i) {
        const bool right = static_cast<int>(i % image.width) >= image.width / 2;
        pixels.insert(pixels.end(), {image.rgb[i * 3], image.rgb[i * 3 + 1], image.rgb[i * 3 + 2],
                                     uint8_t(right ? 0 : 255)});
      }
      buffer = pixels.data();
      break;
  }
  png_alloc_size_t size = 0;
  const void* map = colormap.empty() ? nullptr : colormap.data();
  if (!png_image_write_get_memory_size(png, size, 0, buffer, 0, map)) Fail(png.message);
  Bytes out(size);
  if (!png_image_write_to_memory(&png, out.data(), &size, 0, buffer, 0, map)) Fail(png.message);
  out.resize(size);
  return out;
}

Bytes WriteWebp(const Image& image, const WebpVariant& variant) {
  uint8_t* encoded = nullptr;
  size_t size = 0;
  if (variant.alpha) {
    std::vector<uint8_t> rgba;
    for (int y = 0; y < image.height; ++y) {
      for (int x = 0; x < image.width; ++x) {
        const uint8_t* p = &image.rgb[(static_cast<size_t>(y) * image.width + x) * 3];
        rgba.insert(rgba.end(), {p[0], p[1], p[2], uint8_t(x >= image.width / 2 ? 0 : 255)});
      }
    }
    size = variant.lossless ? WebPEncodeLosslessRGBA(rgba.data(), image.width, image.height,
                                                     image.width * 4, &encoded)
                            : WebPEncodeRGBA(rgba.data(), image.width, image.height,
                                             image.width * 4, 90, &encoded);
  } else {
    size = variant.lossless ? WebPEncodeLosslessRGB(image.rgb.data(), image.width, image.height,
                                                    image.stride(), &encoded)
                            : WebPEncodeRGB(image.rgb.data(), image.width, image.height,
                                            image.stride(), 90, &encoded);
  }
  if (size == 0) Fail("libwebp could not encode");
  Bytes out(encoded, encoded + size);
  WebPFree(encoded);
  if (variant.exif_orientation == 0) return out;
  // WebP's EXIF chunk holds the TIFF structure without JPEG's "Exif\0\0" prefix.
  const Bytes exif = ExifWithOrientation(variant.exif_orientation);
  WebPMux* mux = WebPMuxNew();
  const WebPData bitstream{out.data(), out.size()};
  const WebPData chunk{exif.data() + 6, exif.size() - 6};
  WebPData assembled{nullptr, 0};
  if (WebPMuxSetImage(mux, &bitstream, 1) != WEBP_MUX_OK ||
      WebPMuxSetChunk(mux, "EXIF", &chunk, 1) != WEBP_MUX_OK ||
      WebPMuxAssemble(mux, &assembled) != WEBP_MUX_OK) {
    Fail("libwebpmux could not add the EXIF chunk");
  }
  WebPMuxDelete(mux);
  out.assign(assembled.bytes, assembled.bytes + assembled.size);
  WebPDataClear(&assembled);
  return out;
}

Bytes WriteAnimatedWebp(const Image& image) {
  WebPAnimEncoderOptions options;
  WebPConfig config;
  if (!WebPAnimEncoderOptionsInit(&options) || !WebPConfigInit(&config)) Fail("libwebp init");
  WebPAnimEncoder* encoder = WebPAnimEncoderNew(image.width, image.height, &options);
  // Two different frames (the encoder would merge identical ones into a still picture).
  const Image frames[2] = {image, MirrorHorizontally(image)};
  int timestamp = 0;
  for (const Image& frame : frames) {
    WebPPicture picture;
    WebPPictureInit(&picture);
    picture.width = frame.width;
    picture.height = frame.height;
    if (!WebPPictureImportRGB(&picture, frame.rgb.data(), static_cast<int>(frame.stride()))) {
      Fail("libwebp could not import the frame");
    }
    if (!WebPAnimEncoderAdd(encoder, &picture, timestamp, &config)) Fail("WebPAnimEncoderAdd");
    WebPPictureFree(&picture);
    timestamp += 100;
  }
  WebPAnimEncoderAdd(encoder, nullptr, timestamp, nullptr);
  WebPData assembled{nullptr, 0};
  if (!WebPAnimEncoderAssemble(encoder, &assembled)) Fail("WebPAnimEncoderAssemble");
  Bytes out(assembled.bytes, assembled.bytes + assembled.size);
  WebPDataClear(&assembled);
  WebPAnimEncoderDelete(encoder);
  return out;
}

Bytes WriteTiff(const Image& image, const TiffVariant& variant) {
  char path[] = "/tmp/proctor_photo_encoders_XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) Fail("mkstemp");
  ::close(fd);
  TIFF* tif = TIFFOpen(path, "w");
  if (tif == nullptr) Fail("TIFFOpen");
  const bool sixteen = variant.kind == TiffKind::kRgb16;
  const int samples = variant.kind == TiffKind::kGrey8   ? 1
                      : variant.kind == TiffKind::kCmyk8 ? 4
                                                         : 3;
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, image.width);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, image.height);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, samples);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, sixteen ? 16 : 8);
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC,
               samples == 1   ? PHOTOMETRIC_MINISBLACK
               : samples == 4 ? PHOTOMETRIC_SEPARATED
                              : PHOTOMETRIC_RGB);
  TIFFSetField(tif, TIFFTAG_COMPRESSION, variant.lzw ? COMPRESSION_LZW : COMPRESSION_NONE);
  TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 16);
  if (variant.orientation != 0) TIFFSetField(tif, TIFFTAG_ORIENTATION, variant.orientation);
  std::vector<uint8_t> row(static_cast<size_t>(image.width) * samples * (sixteen ? 2 : 1));
  for (int y = 0; y < image.height; ++y) {
    const uint8_t* src = image.rgb.data() + y * image.stride();
    for (int x = 0; x < image.width; ++x) {
      if (sixteen) {
        auto* wide = reinterpret_cast<uint16_t*>(row.data());
        for (int c = 0; c < 3; ++c) wide[x * 3 + c] = static_cast<uint16_t>(src[x * 3 + c] * 257);
      } else if (samples == 1) {
        row[x] = Grey(src + x * 3);
      } else if (samples == 4) {
        RgbToCmyk(src + x * 3, &row[x * 4]);
      } else {
        std::memcpy(&row[x * 3], src + x * 3, 3);
      }
    }
    if (TIFFWriteScanline(tif, row.data(), y, 0) < 0) Fail("TIFFWriteScanline");
  }
  TIFFClose(tif);
  std::ifstream in(path, std::ios::binary);
  Bytes out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(path);
  return out;
}

Bytes WriteBmp(const Image& image) {
  cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  Bytes out;
  if (!cv::imencode(".bmp", bgr, out)) Fail("OpenCV could not encode a BMP");
  return out;
}

Image StoreForOrientation(const Image& upright, int orientation) {
  // Every orientation is its own inverse but the two quarter turns, which undo each other.
  const int inverse = orientation == 6 ? 8 : orientation == 8 ? 6 : orientation;
  return ApplyExifOrientation(upright, inverse);
}

}  // namespace proctor::biometrics::testing
