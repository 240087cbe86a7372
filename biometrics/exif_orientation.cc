#include <libexif/exif-data.h>

#include <cstring>
#include <memory>
#include <vector>

#include "biometrics/image_decoders.h"

namespace proctor::biometrics::internal {
namespace {

struct ExifDataUnref {
  void operator()(ExifData* data) const { exif_data_unref(data); }
};

constexpr uint8_t kExifHeader[6] = {'E', 'x', 'i', 'f', 0, 0};

}  // namespace

int ExifOrientation(const uint8_t* data, size_t size) {
  // libexif wants the "Exif\0\0" prefix that JPEG's APP1 carries; WebP's EXIF chunk may omit it.
  std::vector<uint8_t> prefixed;
  if (size < sizeof kExifHeader || std::memcmp(data, kExifHeader, sizeof kExifHeader) != 0) {
    prefixed.assign(kExifHeader, kExifHeader + sizeof kExifHeader);
    prefixed.insert(prefixed.end(), data, data + size);
    data = prefixed.data();
    size = prefixed.size();
  }
  std::unique_ptr<ExifData, ExifDataUnref> exif(exif_data_new());
  if (exif == nullptr) return 1;
  // Read only: libexif must not "repair" or add tags, and must not keep the thumbnail.
  exif_data_unset_option(exif.get(), EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
  exif_data_load_data(exif.get(), data, static_cast<unsigned int>(size));
  ExifEntry* entry = exif_content_get_entry(exif->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
  if (entry == nullptr || entry->format != EXIF_FORMAT_SHORT || entry->components < 1 ||
      entry->size < 2) {
    return 1;
  }
  const int value = exif_get_short(entry->data, exif_data_get_byte_order(exif.get()));
  return value >= 1 && value <= 8 ? value : 1;
}

}  // namespace proctor::biometrics::internal
