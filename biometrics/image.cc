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

Image ApplyExifOrientation(const Image& image, int orientation) {
  if (orientation < 2 || orientation > 8) return image;
  const int w = image.width;
  const int h = image.height;
  const bool swaps = orientation >= 5;
  Image out = Image::Blank(swaps ? h : w, swaps ? w : h);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      // The stored pixel that the viewer shows at (x, y).
      int sx = x, sy = y;
      switch (orientation) {
        case 2:
          sx = w - 1 - x;
          break;
        case 3:
          sx = w - 1 - x;
          sy = h - 1 - y;
          break;
        case 4:
          sy = h - 1 - y;
          break;
        case 5:
          sx = y;
          sy = x;
          break;
        case 6:
          sx = y;
          sy = h - 1 - x;
          break;
        case 7:
          sx = w - 1 - y;
          sy = h - 1 - x;
          break;
        case 8:
          sx = w - 1 - y;
          sy = x;
          break;
      }
      std::memcpy(out.rgb.data() + y * out.stride() + x * 3,
                  image.rgb.data() + sy * image.stride() + sx * 3, 3);
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
