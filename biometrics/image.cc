#include "biometrics/image.h"

#include <algorithm>
#include <cstring>

namespace proctor::biometrics {

Image Image::Blank(int width, int height) {
  Image image;
  image.width = width;
  image.height = height;
  image.rgb.assign(static_cast<size_t>(width) * height * 3, 0);
  return image;
}

bool Image::IsConsistent() const {
  return width >= 0 && height >= 0 && rgb.size() == static_cast<size_t>(width) * height * 3;
}

Image MirrorHorizontally(const Image& image) {
  Image out = Image::Blank(image.width, image.height);
  for (int y = 0; y < image.height; ++y) {
    const uint8_t* src = image.rgb.data() + y * image.stride();
    uint8_t* dst = out.rgb.data() + y * out.stride();
    for (int x = 0; x < image.width; ++x) {
      std::memcpy(dst + (image.width - 1 - x) * 3, src + x * 3, 3);
    }
  }
  return out;
}

Rect ClipToImage(const Rect& rect, int width, int height) {
  const int left = std::clamp(rect.x, 0, width);
  const int top = std::clamp(rect.y, 0, height);
  const int right = std::clamp(rect.x + rect.width, 0, width);
  const int bottom = std::clamp(rect.y + rect.height, 0, height);
  return Rect{left, top, std::max(0, right - left), std::max(0, bottom - top)};
}

}  // namespace proctor::biometrics
