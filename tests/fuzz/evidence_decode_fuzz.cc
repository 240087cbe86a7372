// libFuzzer target: arbitrary bytes as an image in any format DecodeImage reads, decoded with the limits
// the server applies to evidence. Must never crash, hang or allocate beyond the limits; a
// decoded image must be consistent and within them.
#include <cstdint>
#include <cstdlib>

#include "biometrics/image_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  proctor::biometrics::ImageLimits limits;
  limits.max_bytes = 256 * 1024;
  limits.max_side = 2048;
  limits.max_pixels = 2048 * 2048;
  auto image = proctor::biometrics::DecodeImage(data, size, limits);
  if (!image.ok()) return 0;
  if (!image->IsConsistent() || image->empty()) abort();
  if (image->width > limits.max_side || image->height > limits.max_side) abort();
  return 0;
}
