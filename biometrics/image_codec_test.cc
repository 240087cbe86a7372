#include "biometrics/image_codec.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace proctor::biometrics {
namespace {

Image Gradient(int width, int height) {
  Image image = Image::Blank(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &image.rgb[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = static_cast<uint8_t>(x * 255 / width);
      p[1] = static_cast<uint8_t>(y * 255 / height);
      p[2] = 128;
    }
  }
  return image;
}

std::vector<uint8_t> EncodePngWithOpenCv(const Image& image) {
  cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> png;
  EXPECT_TRUE(cv::imencode(".png", bgr, png));
  return png;
}

void PutBigEndian16(std::vector<uint8_t>& bytes, size_t at, uint16_t v) {
  bytes[at] = static_cast<uint8_t>(v >> 8);
  bytes[at + 1] = static_cast<uint8_t>(v);
}

TEST(ImageCodecTest, JpegRoundTripKeepsSizeAndRoughColours) {
  const Image original = Gradient(64, 48);
  auto jpeg = EncodeJpeg(original, 90);
  ASSERT_TRUE(jpeg.ok()) << jpeg.status();
  EXPECT_EQ(SniffImageFormat(jpeg->data(), jpeg->size()), ImageFormat::kJpeg);
  auto decoded = DecodeImage(jpeg->data(), jpeg->size(), ImageLimits{});
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->width, 64);
  EXPECT_EQ(decoded->height, 48);
  ASSERT_TRUE(decoded->IsConsistent());
  double total_error = 0;
  for (size_t i = 0; i < original.rgb.size(); ++i) {
    total_error += std::abs(int{original.rgb[i]} - int{decoded->rgb[i]});
  }
  EXPECT_LT(total_error / original.rgb.size(), 4.0);
}

TEST(ImageCodecTest, PngDecodesExactly) {
  const Image original = Gradient(33, 17);
  const std::vector<uint8_t> png = EncodePngWithOpenCv(original);
  auto decoded = DecodeImage(png.data(), png.size(), ImageLimits{});
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->rgb, original.rgb);
}

TEST(ImageCodecTest, EmptyInputIsInvalid) {
  const uint8_t nothing[1] = {0};
  auto decoded = DecodeImage(nothing, 0, ImageLimits{});
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(decoded.status().message().find("empty"), std::string::npos);
}

TEST(ImageCodecTest, NonImageIsInvalid) {
  const std::string text = "hello, this is not an image at all";
  auto decoded = DecodeImage(reinterpret_cast<const uint8_t*>(text.data()), text.size(),
                             ImageLimits{});
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(decoded.status().message().find("not a photo in a known format"), std::string::npos);
}

TEST(ImageCodecTest, TruncatedJpegIsAnErrorNotAGreyPicture) {
  auto jpeg = EncodeJpeg(Gradient(200, 150), 90);
  ASSERT_TRUE(jpeg.ok());
  for (double keep : {0.9, 0.5, 0.1}) {
    const size_t n = static_cast<size_t>(jpeg->size() * keep);
    auto decoded = DecodeImage(jpeg->data(), n, ImageLimits{});
    ASSERT_FALSE(decoded.ok()) << "kept " << keep;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(decoded.status().message().find("JPEG"), std::string::npos);
  }
}

TEST(ImageCodecTest, TruncatedPngIsAnError) {
  const std::vector<uint8_t> png = EncodePngWithOpenCv(Gradient(100, 100));
  auto decoded = DecodeImage(png.data(), png.size() / 2, ImageLimits{});
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ImageCodecTest, HugeJpegHeaderIsRefusedBeforeDecoding) {
  auto jpeg = EncodeJpeg(Gradient(16, 16), 90);
  ASSERT_TRUE(jpeg.ok());
  // Patch the SOF0 frame header to claim 30000 x 30000 pixels (2.7 GB decoded).
  size_t sof = 0;
  for (size_t i = 2; i + 9 < jpeg->size(); ++i) {
    if ((*jpeg)[i] == 0xFF && (*jpeg)[i + 1] == 0xC0) {
      sof = i;
      break;
    }
  }
  ASSERT_NE(sof, 0u);
  PutBigEndian16(*jpeg, sof + 5, 30000);
  PutBigEndian16(*jpeg, sof + 7, 30000);
  auto decoded = DecodeImage(jpeg->data(), jpeg->size(), ImageLimits{});
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(decoded.status().message().find("30000x30000"), std::string::npos);
}

TEST(ImageCodecTest, HugePngHeaderIsRefusedBeforeDecoding) {
  std::vector<uint8_t> png = EncodePngWithOpenCv(Gradient(16, 16));
  // IHDR data starts at byte 16: width, height (big-endian 32-bit), then its CRC at 29.
  auto put32 = [&png](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) png[at + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
  };
  put32(16, 30000);
  put32(20, 30000);
  put32(29, static_cast<uint32_t>(crc32(0, png.data() + 12, 17)));
  auto decoded = DecodeImage(png.data(), png.size(), ImageLimits{});
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(ImageCodecTest, LimitsAreConfigurable) {
  auto jpeg = EncodeJpeg(Gradient(64, 64), 90);
  ASSERT_TRUE(jpeg.ok());
  ImageLimits tight;
  tight.max_side = 32;
  EXPECT_EQ(DecodeImage(jpeg->data(), jpeg->size(), tight).status().code(),
            absl::StatusCode::kResourceExhausted);
  tight = ImageLimits{};
  tight.max_bytes = 10;
  EXPECT_EQ(DecodeImage(jpeg->data(), jpeg->size(), tight).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(ImageCodecTest, EncodeRejectsBadQualityAndEmptyImages) {
  EXPECT_FALSE(EncodeJpeg(Gradient(8, 8), 0).ok());
  EXPECT_FALSE(EncodeJpeg(Gradient(8, 8), 101).ok());
  EXPECT_FALSE(EncodeJpeg(Image{}, 80).ok());
}

TEST(ImageCodecTest, ReadImageFileNamesThePathInErrors) {
  auto decoded = ReadImageFile("/nonexistent/dir/photo.jpg", ImageLimits{});
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(decoded.status().message().find("/nonexistent/dir/photo.jpg"), std::string::npos);
}

}  // namespace
}  // namespace proctor::biometrics
