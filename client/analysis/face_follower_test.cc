// FaceFollower against the real face models, on frames composed from single-face crops of the
// face-api demo photos: when it follows, when it keeps the last detection, and what makes it
// detect again (loss, a confidence drop, someone joining, the schedule, the caller).
#include "client/analysis/face_follower.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "biometrics/image_codec.h"
#include "client/tools/sample_video.h"
#include "tests/support/test_data.h"

namespace proctor::client {
namespace {

using biometrics::Image;
using biometrics::Rect;
using How = FoundFaces::How;

struct Fixture {
  std::unique_ptr<biometrics::FaceAnalyzer> presence;
  std::vector<Image> photos;  // single-face crops of distinct people
};

const Fixture& Shared() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture;
    biometrics::FaceAnalyzerOptions options;
    options.models_dir = testing::ModelsDir();
    options.compute_descriptors = false;
    auto analyzer = biometrics::FaceAnalyzer::Create(options);
    if (!analyzer.ok()) return f;
    f->presence = std::move(*analyzer);
    auto group = biometrics::ReadImageFile(testing::DemoPhotosDir() + "/sample1.jpg", {});
    if (!group.ok()) return f;
    auto people = CutSingleFacePhotos(*f->presence, *group);
    if (!people.ok()) return f;
    for (const auto& jpeg : *people) {
      f->photos.push_back(*biometrics::DecodeImage(jpeg.data(), jpeg.size(), {}));
    }
    return f;
  }();
  return *fixture;
}

// `dst` with the `r`-sized region of `src` at (r.x, r.y) copied to (x, y).
Image Paste(Image dst, const Image& src, const Rect& r, int x, int y) {
  for (int row = 0; row < r.height; ++row) {
    const uint8_t* from = &src.rgb[(static_cast<size_t>(r.y + row) * src.width + r.x) * 3];
    std::copy(from, from + static_cast<size_t>(r.width) * 3,
              &dst.rgb[(static_cast<size_t>(y + row) * dst.width + x) * 3]);
  }
  return dst;
}

class FaceFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Fixture& f = Shared();
    ASSERT_NE(f.presence, nullptr) << "face models missing in " << testing::ModelsDir();
    ASSERT_GE(f.photos.size(), 2u)
        << "demo photos missing in " << testing::DemoPhotosDir() << " (run scripts/setup.sh)";
    learner_ = *ComposeFrame({f.photos[0]}, 640, 480);
    other_ = *ComposeFrame({f.photos[1]}, 640, 480);
    nobody_ = *ComposeFrame({}, 640, 480);
    auto faces = f.presence->Analyze(learner_);
    ASSERT_TRUE(faces.ok());
    ASSERT_EQ(faces->size(), 1u);
    face_ = faces->front().detection.box;
    // The face and a little around it (less than the follower leaves out of its comparison).
    tight_ = {face_.x - face_.width / 5, face_.y - face_.height / 5, face_.width * 7 / 5,
              face_.height * 7 / 5};
  }

  static FaceFollowerOptions Options() {
    FaceFollowerOptions o;
    o.redetect_interval_ms = 60000;  // out of the way unless a test is about it
    return o;
  }

  // The learner's face alone (tight crop) on the empty wall, moved by (dx, dy).
  Image FaceAt(int dx, int dy, const Image& who) const {
    return Paste(nobody_, who, tight_, tight_.x + dx, tight_.y + dy);
  }

  FoundFaces Find(FaceFollower& follower, const Image& image, int64_t at, bool detect = false) {
    auto found = follower.Find(image, at, detect);
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() ? std::move(*found) : FoundFaces{};
  }

  biometrics::FaceAnalyzer* presence() const { return Shared().presence.get(); }

  Image learner_, other_, nobody_;
  Rect face_, tight_;
};

TEST_F(FaceFollowerTest, FollowsAFaceMovingAcrossFrames) {
  FaceFollower follower(presence(), Options());
  FoundFaces first = Find(follower, FaceAt(0, 0, learner_), 0);
  ASSERT_EQ(first.how, How::kDetected);
  ASSERT_EQ(first.faces.size(), 1u);
  const Rect start = first.faces[0].detection.box;
  for (int k = 1; k <= 10; ++k) {
    SCOPED_TRACE(k);
    const int dx = 10 * k, dy = 3 * k;  // a learner shifting in the chair, 3 frames/s
    FoundFaces found = Find(follower, FaceAt(dx, dy, learner_), k * 333);
    ASSERT_EQ(found.how, How::kTracked);
    ASSERT_EQ(found.faces.size(), 1u);
    const Rect& b = found.faces[0].detection.box;
    // On the face, in proportion to it: the correlation tracker's scale estimate drifts by a
    // few per cent, differently with each build's floating point (at most 4 px across, 2 down
    // and 6 px of width on Linux with OpenBLAS; 6 down and 13 px of width, 9%, on Windows
    // with dlib's own matrix code, for a face 151 px wide).
    EXPECT_NEAR(b.x, start.x + dx, start.width * 0.05);
    EXPECT_NEAR(b.y, start.y + dy, start.width * 0.05);
    EXPECT_NEAR(b.width, start.width, start.width * 0.12);
    EXPECT_GT(found.track_confidence, 12);
    // Landmarks placed on the face in its new place: the nose tip (30) inside the box.
    const biometrics::PointF nose = found.faces[0].landmarks[30];
    EXPECT_GT(nose.x, b.x + b.width / 4);
    EXPECT_LT(nose.x, b.x + b.width * 3 / 4);
  }
  EXPECT_EQ(follower.detections(), 1);
  EXPECT_EQ(follower.tracked(), 10);
}

TEST_F(FaceFollowerTest, AFaceThatLeavesIsDetectedAsGoneOnThatFrame) {
  FaceFollower follower(presence(), Options());
  EXPECT_EQ(Find(follower, learner_, 0).how, How::kDetected);
  EXPECT_EQ(Find(follower, learner_, 333).how, How::kTracked);
  FoundFaces gone = Find(follower, nobody_, 667);
  EXPECT_EQ(gone.how, How::kDetected);
  EXPECT_TRUE(gone.faces.empty());
}

TEST_F(FaceFollowerTest, AConfidenceDropTriggersDetection) {
  // Another face in exactly the learner's place: nothing else in the picture changes, so only
  // the tracker's confidence can tell.
  const Image replaced = FaceAt(0, 0, other_);
  for (double min_confidence : {12.0, 0.0}) {
    SCOPED_TRACE(min_confidence);
    FaceFollowerOptions options = Options();
    options.min_confidence = min_confidence;
    FaceFollower follower(presence(), options);
    EXPECT_EQ(Find(follower, FaceAt(0, 0, learner_), 0).how, How::kDetected);
    EXPECT_EQ(Find(follower, FaceAt(0, 0, learner_), 333).how, How::kTracked);
    FoundFaces found = Find(follower, replaced, 667);
    if (min_confidence > 0) {
      EXPECT_EQ(found.how, How::kDetected);
      EXPECT_LT(follower.tracked(), 2);
    } else {
      EXPECT_EQ(found.how, How::kTracked) << "the check on confidence is what detected again";
    }
    EXPECT_EQ(found.faces.size(), 1u);
  }
}

TEST_F(FaceFollowerTest, SomeoneJoiningIsFoundOnTheirFirstFrame) {
  // The other person in the top left corner; the learner does not move.
  const Image& o = Shared().photos[1];
  const Image small = biometrics::ResizeImage(o, 200, 200 * o.height / o.width);
  const Image joined =
      Paste(learner_, small, {0, 0, small.width, std::min(small.height, 240)}, 0, 0);
  ASSERT_EQ(presence()->Analyze(joined)->size(), 2u);
  FaceFollower follower(presence(), Options());
  EXPECT_EQ(Find(follower, learner_, 0).how, How::kDetected);
  EXPECT_EQ(Find(follower, learner_, 333).how, How::kTracked);
  FoundFaces found = Find(follower, joined, 667);
  EXPECT_EQ(found.how, How::kDetected);
  EXPECT_EQ(found.faces.size(), 2u);
  // Both stay: the picture holds still, the last detection stands.
  found = Find(follower, joined, 1000);
  EXPECT_EQ(found.how, How::kUnchanged);
  EXPECT_EQ(found.faces.size(), 2u);
}

TEST_F(FaceFollowerTest, TheScheduleDetectsWhatThePictureDoesNotShow) {
  // With the picture comparison blind (no change counts), only the schedule finds the second
  // person: at the first frame in the next redetect_interval_ms.
  const Image& o = Shared().photos[1];
  const Image small = biometrics::ResizeImage(o, 200, 200 * o.height / o.width);
  const Image joined =
      Paste(learner_, small, {0, 0, small.width, std::min(small.height, 240)}, 0, 0);
  FaceFollowerOptions options = Options();
  options.redetect_interval_ms = 1000;
  options.max_cell_change = 255;
  FaceFollower follower(presence(), options);
  EXPECT_EQ(Find(follower, learner_, 0).how, How::kDetected);
  EXPECT_EQ(Find(follower, joined, 333).faces.size(), 1u);
  EXPECT_EQ(Find(follower, joined, 667).faces.size(), 1u);
  FoundFaces found = Find(follower, joined, 1000);
  EXPECT_EQ(found.how, How::kDetected);
  EXPECT_EQ(found.faces.size(), 2u);
}

TEST_F(FaceFollowerTest, AnEmptyUnchangedRoomKeepsItsDetectionUntilSomeoneComes) {
  FaceFollower follower(presence(), Options());
  EXPECT_EQ(Find(follower, nobody_, 0).how, How::kDetected);
  for (int k = 1; k <= 3; ++k) {
    FoundFaces found = Find(follower, nobody_, k * 333);
    EXPECT_EQ(found.how, How::kUnchanged);
    EXPECT_TRUE(found.faces.empty());
  }
  FoundFaces back = Find(follower, learner_, 1333);
  EXPECT_EQ(back.how, How::kDetected);
  EXPECT_EQ(back.faces.size(), 1u);
}

TEST_F(FaceFollowerTest, DetectsWhenAskedAndEveryFrameWithTrackingOff) {
  FaceFollower follower(presence(), Options());
  EXPECT_EQ(Find(follower, learner_, 0).how, How::kDetected);
  EXPECT_EQ(Find(follower, learner_, 333, /*detect=*/true).how, How::kDetected);
  EXPECT_EQ(Find(follower, learner_, 667).how, How::kTracked);

  FaceFollowerOptions off = Options();
  off.track = false;
  FaceFollower untracked(presence(), off);
  for (int k = 0; k < 3; ++k) EXPECT_EQ(Find(untracked, learner_, k * 333).how, How::kDetected);
  EXPECT_EQ(untracked.detections(), 3);
  EXPECT_FALSE(follower.Find(Image{}, 1000, false).ok());
}

}  // namespace
}  // namespace proctor::client
