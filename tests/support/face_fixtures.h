// Faces for server tests, cut from the face-api demo group photos (always present after
// scripts/setup.sh): each sample is a single-face photo (the face with a margin, for
// enrollment), its aligned 150x150 chip as JPEG (evidence) and its descriptor. Samples cut from
// one group photo are different people.
#ifndef PROCTOR_TESTS_SUPPORT_FACE_FIXTURES_H_
#define PROCTOR_TESTS_SUPPORT_FACE_FIXTURES_H_

#include <cstdint>
#include <string>
#include <vector>

namespace proctor::testing {

struct FaceSample {
  std::string source;                      // "sample1.jpg#0"
  std::vector<uint8_t> photo_jpeg;         // one face with margin
  std::vector<uint8_t> chip_jpeg;          // 150x150 aligned chip, quality 90
  std::vector<float> descriptor;           // of the chip before JPEG
  std::vector<float> mirrored_descriptor;  // of the mirrored photo: same person, other view
};

// Distinct people from one demo photo (at least `count`); fails the calling test (ADD_FAILURE)
// and returns fewer when the models or photos are missing.
std::vector<FaceSample> DemoFaces(size_t count);

// Every distinct person of the demo group photos: no photo has more than five single-face crops
// (sample5.jpg five, sample6.jpg four, sample1.jpg three), so DemoFaces(3), (4) and (5) are
// pooled, and a face is kept only when its descriptor is at least 0.5 from every face kept
// before (the same person may be in two photos; two different people of one photo come as close
// as 0.596). 12 people with the npm package's photos.
std::vector<FaceSample> DistinctDemoPeople();

// A weaker enrollment photo of the sample's person: downscaled to 2/5 and back, darkened, JPEG
// quality 20 (what an old student-record scan looks like). Its descriptor goes to *descriptor.
// Empty (with ADD_FAILURE) when the models are missing or no single face is found in it.
std::vector<uint8_t> WeakPhoto(const FaceSample& sample, std::vector<float>* descriptor);

}  // namespace proctor::testing

#endif  // PROCTOR_TESTS_SUPPORT_FACE_FIXTURES_H_
