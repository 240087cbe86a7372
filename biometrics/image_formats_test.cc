// Every format and variant DecodeImage promises, written by the format's own library
// (biometrics/testing/photo_encoders.h), read back and compared with the picture written.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "biometrics/image_codec.h"
#include "biometrics/testing/photo_encoders.h"

namespace proctor::biometrics {
namespace {

using testing::Bytes;

// A photo-like picture, wider than high, with a red block in its top-left corner so that any
// rotation or mirror shows.
Image Picture(int width = 64, int height = 48) {
  Image image = Image::Blank(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &image.rgb[(static_cast<size_t>(y) * width + x) * 3];
      const bool block = x < width / 4 && y < height / 4;
      p[0] = block ? 230 : static_cast<uint8_t>(40 + x * 150 / width);
      p[1] = block ? 20 : static_cast<uint8_t>(60 + y * 150 / height);
      p[2] = block ? 20 : 110;
    }
  }
  return image;
}

double MeanAbsError(const Image& a, const Image& b) {
  if (a.width != b.width || a.height != b.height || a.rgb.size() != b.rgb.size()) return 1e9;
  double total = 0;
  for (size_t i = 0; i < a.rgb.size(); ++i) total += std::abs(int{a.rgb[i]} - int{b.rgb[i]});
  return total / a.rgb.size();
}

Image Greyed(const Image& image) {
  Image grey = image;
  for (size_t i = 0; i < grey.rgb.size(); i += 3) {
    const uint8_t* p = &image.rgb[i];
    const uint8_t v = (p[0] * 299 + p[1] * 587 + p[2] * 114) / 1000;
    grey.rgb[i] = grey.rgb[i + 1] = grey.rgb[i + 2] = v;
  }
  return grey;
}

Image Decode(const Bytes& bytes, const ImageLimits& limits = {}) {
  auto image = DecodeImage(bytes.data(), bytes.size(), limits);
  EXPECT_TRUE(image.ok()) << image.status();
  return image.ok() ? *image : Image{};
}

absl::Status DecodeStatus(const Bytes& bytes, const ImageLimits& limits = {}) {
  return DecodeImage(bytes.data(), bytes.size(), limits).status();
}

bool Mentions(const absl::Status& status, const std::string& text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

TEST(ImageFormatsTest, EachFormatIsRecognisedByItsContent) {
  const Image p = Picture();
  auto sniff = [](const Bytes& b) { return SniffImageFormat(b.data(), b.size()); };
  EXPECT_EQ(sniff(testing::WriteJpeg(p)), ImageFormat::kJpeg);
  EXPECT_EQ(sniff(testing::WritePng(p, testing::PngKind::kRgb8)), ImageFormat::kPng);
  EXPECT_EQ(sniff(testing::WriteWebp(p)), ImageFormat::kWebp);
  EXPECT_EQ(sniff(testing::WriteTiff(p)), ImageFormat::kTiff);
  EXPECT_EQ(sniff(testing::WriteBmp(p)), ImageFormat::kBmp);
  auto bytes = [](const std::string& s) { return Bytes(s.begin(), s.end()); };
  EXPECT_EQ(sniff(bytes("GIF89a\x10\0\x10\0")), ImageFormat::kGif);
  EXPECT_EQ(sniff(bytes(std::string("\0\0\0\x18"
                                    "ftypheic\0\0\0\0",
                                    16))),
            ImageFormat::kHeif);
  EXPECT_EQ(sniff(bytes(std::string("\0\0\0\x1C"
                                    "ftypavif\0\0\0\0",
                                    16))),
            ImageFormat::kHeif);
  EXPECT_EQ(sniff(bytes("%PDF-1.7\n")), ImageFormat::kPdf);
  EXPECT_EQ(sniff(bytes(std::string("\0\0\0\x0CjP  \r\n\x87\n", 12))), ImageFormat::kJpeg2000);
  EXPECT_EQ(sniff(bytes("RIFF\0\0\0\0WAVE")), ImageFormat::kUnknown);  // RIFF, but sound
}

TEST(ImageFormatsTest, TheFileNameDoesNotDecideTheFormat) {
  const Bytes webp = testing::WriteWebp(Picture(), {.lossless = true});
  const std::string path = "/tmp/image_formats_test_" + std::to_string(::getpid()) + ".jpg";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(webp.data()), static_cast<std::streamsize>(webp.size()));
  auto image = ReadImageFile(path, {});
  std::remove(path.c_str());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->rgb, Picture().rgb);
}

TEST(ImageFormatsTest, JpegInEveryColourSpaceAndEncoding) {
  using testing::JpegColour;
  const Image p = Picture();
  struct Case {
    const char* name;
    testing::JpegVariant variant;
    double max_error;
  };
  const Case cases[] = {
      {"baseline", {}, 4},
      {"progressive", {.progressive = true}, 4},
      {"CMYK, Adobe inverted", {.colour = JpegColour::kCmykAdobe}, 5},
      {"CMYK, plain", {.colour = JpegColour::kCmykPlain}, 5},
      {"YCCK", {.colour = JpegColour::kYcck}, 5},
  };
  for (const Case& c : cases) {
    EXPECT_LT(MeanAbsError(Decode(testing::WriteJpeg(p, c.variant)), p), c.max_error) << c.name;
  }
  const Image grey = Decode(testing::WriteJpeg(p, {.colour = JpegColour::kGrey}));
  EXPECT_LT(MeanAbsError(grey, Greyed(p)), 3);
}

TEST(ImageFormatsTest, PngOfEveryDepthAndColourType) {
  using testing::PngKind;
  const Image p = Picture();
  EXPECT_EQ(Decode(testing::WritePng(p, PngKind::kRgb8)).rgb, p.rgb);
  EXPECT_LT(MeanAbsError(Decode(testing::WritePng(p, PngKind::kRgb16)), p), 1.0);
  EXPECT_EQ(Decode(testing::WritePng(p, PngKind::kGrey8)).rgb, Greyed(p).rgb);
  EXPECT_LT(MeanAbsError(Decode(testing::WritePng(p, PngKind::kPalette)), p), 26);  // 6 levels
  const Image alpha = Decode(testing::WritePng(p, PngKind::kRgbaHalfTransparent));
  ASSERT_EQ(alpha.rgb.size(), p.rgb.size());
  EXPECT_EQ(alpha.rgb[0], p.rgb[0]);             // opaque left half as drawn
  EXPECT_EQ(alpha.rgb[(p.width - 1) * 3], 255);  // transparent right half: white
  EXPECT_EQ(alpha.rgb[(p.width - 1) * 3 + 2], 255);
}

TEST(ImageFormatsTest, WebpLossyLosslessAndTransparent) {
  const Image p = Picture();
  EXPECT_LT(MeanAbsError(Decode(testing::WriteWebp(p)), p), 6);
  EXPECT_EQ(Decode(testing::WriteWebp(p, {.lossless = true})).rgb, p.rgb);
  const Image alpha = Decode(testing::WriteWebp(p, {.lossless = true, .alpha = true}));
  ASSERT_EQ(alpha.rgb.size(), p.rgb.size());
  EXPECT_EQ(alpha.rgb[0], p.rgb[0]);
  EXPECT_EQ(alpha.rgb[(p.width - 1) * 3 + 1], 255);
}

TEST(ImageFormatsTest, AnimatedWebpIsRefusedByName) {
  const absl::Status s = DecodeStatus(testing::WriteAnimatedWebp(Picture()));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(s, "WebP with an animation is not supported")) << s;
}

TEST(ImageFormatsTest, TiffOfEveryPhotometricAndCompression) {
  using testing::TiffKind;
  const Image p = Picture();
  EXPECT_EQ(Decode(testing::WriteTiff(p)).rgb, p.rgb);
  EXPECT_EQ(Decode(testing::WriteTiff(p, {.lzw = true})).rgb, p.rgb);
  EXPECT_EQ(Decode(testing::WriteTiff(p, {.kind = TiffKind::kRgb16})).rgb, p.rgb);
  EXPECT_EQ(Decode(testing::WriteTiff(p, {.kind = TiffKind::kGrey8})).rgb, Greyed(p).rgb);
  EXPECT_LT(MeanAbsError(Decode(testing::WriteTiff(p, {.kind = TiffKind::kCmyk8})), p), 2);
}

TEST(ImageFormatsTest, BmpDecodesExactly) {
  const Image p = Picture(33, 17);  // rows padded to 4 bytes
  EXPECT_EQ(Decode(testing::WriteBmp(p)).rgb, p.rgb);
}

// A phone stores the sensor's pixels and says in EXIF how to turn them: every one of the eight
// values comes out upright, in each format that carries the tag.
TEST(ImageFormatsTest, EveryOrientationIsAppliedInEveryFormatThatCarriesIt) {
  const Image upright = Picture();
  for (int o = 1; o <= 8; ++o) {
    const Image stored = testing::StoreForOrientation(upright, o);
    EXPECT_EQ(stored.width, o >= 5 ? upright.height : upright.width);
    const Image jpeg = Decode(testing::WriteJpeg(stored, {.exif_orientation = o}));
    EXPECT_LT(MeanAbsError(jpeg, upright), 4) << "JPEG, orientation " << o;
    const Image webp =
        Decode(testing::WriteWebp(stored, {.lossless = true, .exif_orientation = o}));
    EXPECT_EQ(webp.rgb, upright.rgb) << "WebP, orientation " << o;
    const Image tiff = Decode(testing::WriteTiff(stored, {.orientation = o}));
    EXPECT_EQ(tiff.rgb, upright.rgb) << "TIFF, orientation " << o;
    EXPECT_EQ(tiff.width, upright.width) << "TIFF, orientation " << o;
  }
}

TEST(ImageFormatsTest, ADamagedExifBlockLeavesThePictureAsStored) {
  const Image p = Picture();
  Bytes jpeg = testing::WriteJpeg(p, {.exif_orientation = 6});
  // Overwrite the EXIF's TIFF header (after "Exif\0\0") with junk: no orientation can be read.
  size_t at = 0;
  for (size_t i = 0; i + 6 < jpeg.size(); ++i) {
    if (std::memcmp(&jpeg[i], "Exif\0\0", 6) == 0) at = i + 6;
  }
  ASSERT_NE(at, 0u);
  for (size_t i = at; i < at + 8; ++i) jpeg[i] = 0x5A;
  EXPECT_LT(MeanAbsError(Decode(jpeg), p), 4);
}

// The size comes from the header and is checked before any pixel is decoded: a tiny file that
// claims a huge picture is refused as too large, not read as truncated.
TEST(ImageFormatsTest, EveryFormatsHeaderIsCheckedAgainstTheLimits) {
  const Image p = Picture();
  ImageLimits tight;
  tight.max_side = 32;
  for (const Bytes& b : {testing::WriteJpeg(p), testing::WritePng(p, testing::PngKind::kRgb8),
                         testing::WriteWebp(p), testing::WriteTiff(p), testing::WriteBmp(p)}) {
    EXPECT_EQ(DecodeStatus(b, tight).code(), absl::StatusCode::kResourceExhausted)
        << ImageFormatName(SniffImageFormat(b.data(), b.size()));
  }
}

TEST(ImageFormatsTest, HugeWebpHeaderIsRefusedBeforeDecoding) {
  Bytes webp = testing::WriteWebp(Picture());
  ASSERT_EQ(std::memcmp(&webp[12], "VP8 ", 4), 0);
  ASSERT_EQ(webp[23], 0x9D);  // the key frame's start code, then 14-bit width and height
  for (size_t at : {26, 28}) {
    webp[at] = 0xFF;
    webp[at + 1] = 0x3F;
  }
  const absl::Status s = DecodeStatus(webp);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_TRUE(Mentions(s, "16383x16383")) << s;
}

TEST(ImageFormatsTest, HugeBmpHeaderIsRefusedBeforeDecoding) {
  Bytes bmp = testing::WriteBmp(Picture());
  for (size_t at : {18, 22}) {  // BITMAPINFOHEADER width, height: 30000
    bmp[at] = 0x30;
    bmp[at + 1] = 0x75;
    bmp[at + 2] = bmp[at + 3] = 0;
  }
  const absl::Status s = DecodeStatus(bmp);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_TRUE(Mentions(s, "30000x30000")) << s;
}

TEST(ImageFormatsTest, HugeTiffHeaderIsRefusedBeforeDecoding) {
  Bytes tiff = testing::WriteTiff(Picture());
  ASSERT_EQ(tiff[0], 'I');  // little-endian, as libtiff writes on this machine
  auto u16 = [&](size_t at) { return tiff[at] | tiff[at + 1] << 8; };
  const size_t ifd = tiff[4] | tiff[5] << 8 | tiff[6] << 16 | size_t{tiff[7]} << 24;
  int patched = 0;
  for (int i = 0, n = u16(ifd); i < n; ++i) {
    const size_t entry = ifd + 2 + 12 * i;
    if (u16(entry) == 256 || u16(entry) == 257) {  // ImageWidth, ImageLength
      tiff[entry + 8] = 0x30;
      tiff[entry + 9] = 0x75;
      ++patched;
    }
  }
  ASSERT_EQ(patched, 2);
  const absl::Status s = DecodeStatus(tiff);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
}

TEST(ImageFormatsTest, TruncatedFilesAreErrorsInEveryFormat) {
  const Image p = Picture(160, 120);
  for (const Bytes& whole : {testing::WriteWebp(p), testing::WriteTiff(p), testing::WriteBmp(p),
                             testing::WritePng(p, testing::PngKind::kRgb8)}) {
    const Bytes half(whole.begin(), whole.begin() + whole.size() / 2);
    const absl::Status s = DecodeStatus(half);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument)
        << ImageFormatName(SniffImageFormat(whole.data(), whole.size())) << ": " << s;
  }
  const Bytes webp = testing::WriteWebp(p);
  const absl::Status cut = DecodeStatus(Bytes(webp.begin(), webp.begin() + 200));
  EXPECT_TRUE(Mentions(cut, "truncated WebP")) << cut;
}

TEST(ImageFormatsTest, KnownButUnsupportedFormatsAreRefusedByName) {
  auto refuse = [](const std::string& s) { return DecodeStatus(Bytes(s.begin(), s.end())); };
  EXPECT_TRUE(Mentions(refuse("GIF89a\x10\0\x10\0\0\0\0"), "GIF is not supported"));
  EXPECT_TRUE(Mentions(refuse(std::string("\0\0\0\x18"
                                          "ftypheic\0\0\0\0mif1heic",
                                          24)),
                       "HEIC"));
  EXPECT_TRUE(Mentions(refuse("%PDF-1.7\n%..."), "PDF document"));
  EXPECT_TRUE(Mentions(refuse("just some text, long enough"), "not a photo in a known format"));
}

}  // namespace
}  // namespace proctor::biometrics
