// WebP (lossy, lossless, with alpha) through libwebp; the EXIF chunk through its demuxer.
#include <webp/decode.h>
#include <webp/demux.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "biometrics/image_decoders.h"

namespace proctor::biometrics::internal {
namespace {

std::string DescribeVp8Status(VP8StatusCode code) {
  switch (code) {
    case VP8_STATUS_NOT_ENOUGH_DATA:
      return "truncated WebP: the file ends before the picture does";
    case VP8_STATUS_UNSUPPORTED_FEATURE:
      return "WebP with a feature libwebp does not support";
    case VP8_STATUS_OUT_OF_MEMORY:
      return "out of memory decoding the WebP";
    default:
      return absl::StrCat("corrupt WebP (libwebp status ", static_cast<int>(code), ")");
  }
}

struct DemuxDelete {
  void operator()(WebPDemuxer* demux) const { WebPDemuxDelete(demux); }
};

int WebpOrientation(const uint8_t* data, size_t size) {
  const WebPData webp{data, size};
  std::unique_ptr<WebPDemuxer, DemuxDelete> demux(WebPDemux(&webp));
  if (demux == nullptr || !(WebPDemuxGetI(demux.get(), WEBP_FF_FORMAT_FLAGS) & EXIF_FLAG)) {
    return 1;
  }
  WebPChunkIterator chunk;
  if (!WebPDemuxGetChunk(demux.get(), "EXIF", 1, &chunk)) return 1;
  const int orientation = ExifOrientation(chunk.chunk.bytes, chunk.chunk.size);
  WebPDemuxReleaseChunkIterator(&chunk);
  return orientation;
}

}  // namespace

absl::StatusOr<StoredImage> DecodeWebp(const uint8_t* data, size_t size,
                                       const ImageLimits& limits) {
  WebPBitstreamFeatures features;
  if (VP8StatusCode code = WebPGetFeatures(data, size, &features); code != VP8_STATUS_OK) {
    return absl::InvalidArgumentError(DescribeVp8Status(code));
  }
  if (features.has_animation) {
    return absl::InvalidArgumentError(
        "WebP with an animation is not supported; save one frame of it as a still photo");
  }
  if (absl::Status s = CheckImageDimensions(features.width, features.height, limits); !s.ok()) {
    return s;
  }
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) return absl::InternalError("libwebp version mismatch");
  StoredImage out;
  out.image = Image::Blank(features.width, features.height);
  std::vector<uint8_t> rgba;
  if (features.has_alpha) rgba.resize(static_cast<size_t>(features.width) * features.height * 4);
  config.output.colorspace = features.has_alpha ? MODE_RGBA : MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = features.has_alpha ? rgba.data() : out.image.rgb.data();
  config.output.u.RGBA.stride = features.width * (features.has_alpha ? 4 : 3);
  config.output.u.RGBA.size = features.has_alpha ? rgba.size() : out.image.rgb.size();
  const VP8StatusCode code = WebPDecode(data, size, &config);
  WebPFreeDecBuffer(&config.output);  // external memory: frees nothing of ours
  if (code != VP8_STATUS_OK) return absl::InvalidArgumentError(DescribeVp8Status(code));
  // Transparent areas become white, as a viewer shows them.
  for (size_t i = 0, n = out.image.rgb.size() / 3; features.has_alpha && i < n; ++i) {
    const int a = rgba[i * 4 + 3];
    for (int c = 0; c < 3; ++c) {
      out.image.rgb[i * 3 + c] =
          static_cast<uint8_t>((rgba[i * 4 + c] * a + 255 * (255 - a)) / 255);
    }
  }
  out.orientation = WebpOrientation(data, size);
  return out;
}

}  // namespace proctor::biometrics::internal
