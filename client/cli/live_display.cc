#include "client/cli/live_display.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/freetype.hpp>
#include <opencv2/highgui.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/i18n.h"
#include "common/platform.h"

namespace proctor::cli {
namespace {

constexpr char kWindow[] = "proctor-client";

using i18n::Tr;
using i18n::Trf;
using i18n::TrNf;

std::string FaceText(const i18n::Translator& t, const client::LiveStatus& s) {
  using Face = client::LiveStatus::Face;
  switch (s.face) {
    case Face::kOk:
      return t.Tr("face OK");
    case Face::kNotVisible:
      return t.Tr("face not visible");
    case Face::kCouldNotTell:
      return t.Tr("cannot see clearly (light?)");
    case Face::kSeveral:
      return t.TrNf("several people ($0 face)", "several people ($0 faces)", s.face_count,
                    s.face_count);
    case Face::kLookingAway:
      return t.Tr("looking away");
    case Face::kUnknown:
      break;
  }
  return t.Tr("starting");
}

// What the liveness check asks the learner to do now; empty when it asks nothing.
std::string PromptText(const i18n::Translator& t, const client::LiveStatus& s) {
  using protocol::LivenessAction;
  if (s.prompt_action != LivenessAction::kUnspecified) {
    std::string what;
    switch (s.prompt_action) {
      case LivenessAction::kLookStraight:
        return t.Tr("look straight at the camera");
      case LivenessAction::kTurnLeft:
        // TRANSLATORS: the learner's own left (they see a mirror image in the preview).
        what = t.Tr("turn your head to your left");
        break;
      case LivenessAction::kTurnRight:
        what = t.Tr("turn your head to your right");
        break;
      case LivenessAction::kLookUp:
        what = t.Tr("look up");
        break;
      case LivenessAction::kBlink:
        what = t.Tr("blink");
        break;
      case LivenessAction::kUnspecified:
        break;
    }
    // TRANSLATORS: a liveness challenge step: "step 2 of 5: blink".
    return t.Trf("step $0 of $1: $2", s.prompt_step, s.prompt_steps, what);
  }
  if (s.prompt_blink && s.prompt_turn) return t.Tr("blink, then turn your head");
  if (s.prompt_blink) return t.Tr("blink");
  if (s.prompt_turn) return t.Tr("turn your head");
  return "";
}

std::string PhaseText(EventPhase phase) {
  switch (phase) {
    case EventPhase::kBegin:
      // TRANSLATORS: an event line's phase, after the event's code name: "FACE_ABSENT begin".
      return " " + Tr("begin");
    case EventPhase::kEnd:
      return " " + Tr("end");
    case EventPhase::kInstant:
      break;
  }
  return "";
}

// The preview's font: a TrueType font with Cyrillic (OpenCV's Hershey fonts are ASCII only).
// $PROCTOR_FONT, else the first of the usual system fonts that exists.
std::string FindPreviewFont() {
  if (auto chosen = platform::GetEnv("PROCTOR_FONT"); chosen && !chosen->empty()) return *chosen;
  for (const char* path :
       {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "C:/Windows/Fonts/segoeui.ttf",
        "C:/Windows/Fonts/arial.ttf"}) {
    if (std::filesystem::exists(path)) return path;
  }
  return "";
}

}  // namespace

struct LiveDisplay::PreviewFont {
  cv::Ptr<cv::freetype::FreeType2> renderer;
};

LiveDisplay::LiveDisplay(bool preview) : tty_(platform::IsTerminal(stderr)) {
#ifdef _WIN32
  const bool has_display = true;  // a Windows desktop session always has one
#else
  const auto display = platform::GetEnv("DISPLAY");
  const auto wayland = platform::GetEnv("WAYLAND_DISPLAY");
  const bool has_display = (display && !display->empty()) || (wayland && !wayland->empty());
#endif
  if (preview && !has_display) {
    Message(Tr("no display found: running without the preview window (--headless to say so)"));
  }
  preview_ = preview && has_display;
  if (preview_) {
    try {
      cv::namedWindow(kWindow, cv::WINDOW_AUTOSIZE);
    } catch (const cv::Exception& e) {
      Message(Trf("cannot open the preview window: $0", e.what()));
      preview_ = false;
    }
  }
  if (preview_) LoadPreviewFont();
}

LiveDisplay::~LiveDisplay() {
  if (preview_) {
    try {
      cv::destroyWindow(kWindow);
    } catch (const cv::Exception&) {
      // The window is gone with the process anyway.
    }
  }
}

namespace {

// The status and the liveness prompt, top left on the frame.
void DrawStatus(cv::Mat& bgr, const client::LiveStatus& status, const cv::Scalar& colour,
                const cv::Ptr<cv::freetype::FreeType2>& font) {
  // Without a TrueType font only Hershey's ASCII letters exist: the English words then.
  const i18n::Translator& t =
      font.empty() ? i18n::Translator::For(i18n::Language::kEnglish) : i18n::Process();
  std::string text = FaceText(t, status);
  if (const std::string prompt = PromptText(t, status); !prompt.empty()) text += "  - " + prompt;
  // A dark band under the text keeps it readable on a bright wall or window.
  cv::Mat band = bgr(cv::Rect(0, 0, bgr.cols, std::min(bgr.rows, 36)));
  band *= 0.35;
  if (font.empty()) {
    cv::putText(bgr, text, cv::Point(10, 24), cv::FONT_HERSHEY_SIMPLEX, 0.7, colour, 2);
  } else {
    font->putText(bgr, text, cv::Point(10, 6), 24, colour, -1, cv::LINE_AA, false);
  }
}

}  // namespace

void LiveDisplay::LoadPreviewFont() {
  const std::string path = FindPreviewFont();
  if (path.empty()) {
    if (i18n::ProcessLanguage() != i18n::Language::kEnglish) {
      Message(
          Tr("no font with Cyrillic letters found (set PROCTOR_FONT to a .ttf file): the "
             "preview window shows its text in English"));
    }
    return;
  }
  try {
    auto font = std::make_unique<PreviewFont>();
    font->renderer = cv::freetype::createFreeType2();
    font->renderer->loadFontData(path, 0);
    font_ = std::move(font);
  } catch (const cv::Exception& e) {
    Message(Trf("cannot load the font $0: $1", path, e.what()));
  }
}

void LiveDisplay::Message(const std::string& text) {
  if (line_shown_) {
    std::fputs("\r\033[K", stderr);
    line_shown_ = false;
  }
  std::fprintf(stderr, "%s\n", text.c_str());
}

void LiveDisplay::OnEvents(const std::vector<client::SignedEvent>& events) {
  for (const auto& signed_event : events) {
    const Event& e = signed_event.event;
    const i18n::Translator& t = i18n::Process();
    std::string line = absl::StrCat("  ", FormatMediaTime(e.at_ms), "  #", e.seq, " ",
                                    EventKindName(e.kind), PhaseText(e.phase));
    if (e.phase == EventPhase::kEnd) {
      absl::StrAppend(&line, " ", t.Trf("after $0 s", t.Number(e.duration_ms / 1000.0, 1)));
    }
    if (e.client_distance >= 0)
      absl::StrAppend(&line, " ", t.Trf("(distance $0)", t.Number(e.client_distance, 2)));
    // The detail is the event's own record (sent to the server as written), not translated.
    if (!e.detail.empty()) absl::StrAppend(&line, " — ", e.detail);
    if (!e.evidence_jpeg.empty()) absl::StrAppend(&line, " ", t.Tr("[evidence]"));
    Message(line);
  }
}

std::string LiveDisplay::StatusLine(const client::LiveStatus& s, const DeliveryView& d) const {
  const i18n::Translator& t = i18n::Process();
  std::string line = absl::StrCat(FormatMediaTime(s.at_ms), "  ", FaceText(t, s));
  absl::StrAppend(&line, "  ",
                  Trf("identity $0/$1 passed", s.identity_checks_passed,
                      s.identity_checks_passed + s.identity_checks_failed));
  if (const std::string prompt = PromptText(t, s); !prompt.empty()) {
    absl::StrAppend(&line, "  >> ", prompt, " <<");
  }
  absl::StrAppend(&line, "  ", TrNf("$0 event", "$0 events", d.events, d.events));
  if (d.pending > 0) absl::StrAppend(&line, " ", Trf("($0 pending)", d.pending));
  absl::StrAppend(&line, "  ",
                  d.connected ? Tr("server ok") : Tr("server unreachable, journaling"));
  return line;
}

void LiveDisplay::Update(const client::LiveStatus& status, const DeliveryView& delivery) {
  if (!tty_) return;  // logs and pipes get the event lines only
  const int64_t now = SteadyMs();
  if (now - last_draw_ms_ < 200) return;
  last_draw_ms_ = now;
  std::fprintf(stderr, "\r\033[K%s", StatusLine(status, delivery).c_str());
  std::fflush(stderr);
  line_shown_ = true;
}

namespace {

// The preview picture: the frame with the face box and the status drawn on it, BGR.
cv::Mat ComposePreview(const client::Frame& frame, const client::LiveStatus& status,
                       const cv::Ptr<cv::freetype::FreeType2>& font) {
  cv::Mat rgb(frame.image.height, frame.image.width, CV_8UC3,
              const_cast<uint8_t*>(frame.image.rgb.data()));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  const bool ok = status.face == client::LiveStatus::Face::kOk;
  const cv::Scalar colour = ok ? cv::Scalar(80, 200, 80) : cv::Scalar(40, 40, 230);
  if (status.box) {
    cv::rectangle(bgr,
                  cv::Rect(status.box->x, status.box->y, status.box->width, status.box->height),
                  colour, 2);
  }
  DrawStatus(bgr, status, colour, font);
  return bgr;
}

}  // namespace

void LiveDisplay::ShowFrame(const client::Frame& frame, const client::LiveStatus& status) {
  if (!preview_ || frame.image.empty()) return;
  try {
    cv::imshow(kWindow,
               ComposePreview(frame, status,
                              font_ ? font_->renderer : cv::Ptr<cv::freetype::FreeType2>()));
    cv::waitKey(1);
  } catch (const cv::Exception& e) {
    Message(Trf("preview window failed, closing it: $0", e.what()));
    preview_ = false;
  }
}

absl::StatusOr<std::vector<uint8_t>> RenderPreviewPng(const client::Frame& frame,
                                                      const client::LiveStatus& status,
                                                      bool* truetype) {
  if (frame.image.empty()) return absl::InvalidArgumentError("empty frame");
  cv::Ptr<cv::freetype::FreeType2> font;
  const std::string path = FindPreviewFont();
  try {
    if (!path.empty()) {
      font = cv::freetype::createFreeType2();
      font->loadFontData(path, 0);
    }
    if (truetype != nullptr) *truetype = !font.empty();
    std::vector<uint8_t> png;
    if (!cv::imencode(".png", ComposePreview(frame, status, font), png)) {
      return absl::InternalError("PNG encoding failed");
    }
    return png;
  } catch (const cv::Exception& e) {
    return absl::InternalError(e.what());
  }
}

void LiveDisplay::Finish() {
  if (line_shown_) {
    std::fputs("\n", stderr);
    line_shown_ = false;
  }
}

}  // namespace proctor::cli
