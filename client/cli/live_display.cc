#include "client/cli/live_display.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <opencv2/core.hpp>
#include <opencv2/highgui.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/clock.h"

namespace proctor::cli {
namespace {

constexpr char kWindow[] = "proctor-client";

std::string FaceText(const client::LiveStatus& s) {
  using Face = client::LiveStatus::Face;
  switch (s.face) {
    case Face::kOk:
      return "face OK";
    case Face::kNotVisible:
      return "face not visible";
    case Face::kCouldNotTell:
      return "cannot see clearly (light?)";
    case Face::kSeveral:
      return absl::StrCat("several people (", s.face_count, ")");
    case Face::kLookingAway:
      return "looking away";
    case Face::kUnknown:
      break;
  }
  return "starting";
}

std::string PhaseText(EventPhase phase) {
  switch (phase) {
    case EventPhase::kBegin:
      return " begin";
    case EventPhase::kEnd:
      return " end";
    case EventPhase::kInstant:
      break;
  }
  return "";
}

}  // namespace

LiveDisplay::LiveDisplay(bool preview) : tty_(::isatty(STDERR_FILENO) == 1) {
  const char* display = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  const bool has_display =
      (display != nullptr && *display != '\0') || (wayland != nullptr && *wayland != '\0');
  if (preview && !has_display) {
    Message("no display found: running without the preview window (--headless to say so)");
  }
  preview_ = preview && has_display;
  if (preview_) {
    try {
      cv::namedWindow(kWindow, cv::WINDOW_AUTOSIZE);
    } catch (const cv::Exception& e) {
      Message(absl::StrCat("cannot open the preview window: ", e.what()));
      preview_ = false;
    }
  }
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
    std::string line = absl::StrCat("  ", FormatMediaTime(e.at_ms), "  #", e.seq, " ",
                                    EventKindName(e.kind), PhaseText(e.phase));
    if (e.phase == EventPhase::kEnd) {
      absl::StrAppend(&line, absl::StrFormat(" after %.1f s", e.duration_ms / 1000.0));
    }
    if (e.client_distance >= 0)
      absl::StrAppend(&line, absl::StrFormat(" (distance %.2f)", e.client_distance));
    if (!e.detail.empty()) absl::StrAppend(&line, " — ", e.detail);
    if (!e.evidence_jpeg.empty()) absl::StrAppend(&line, " [evidence]");
    Message(line);
  }
}

std::string LiveDisplay::StatusLine(const client::LiveStatus& s, const DeliveryView& d) const {
  std::string line = absl::StrCat(FormatMediaTime(s.at_ms), "  ", FaceText(s));
  absl::StrAppend(&line, "  identity ", s.identity_checks_passed, "/",
                  s.identity_checks_passed + s.identity_checks_failed, " passed");
  if (!s.prompt.empty()) absl::StrAppend(&line, "  >> ", s.prompt, " <<");
  absl::StrAppend(&line, "  events ", d.events);
  if (d.pending > 0) absl::StrAppend(&line, " (", d.pending, " pending)");
  absl::StrAppend(&line, d.connected ? "  server ok" : "  server unreachable, journaling");
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

void LiveDisplay::ShowFrame(const client::Frame& frame, const client::LiveStatus& status) {
  if (!preview_ || frame.image.empty()) return;
  try {
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
    std::string text = FaceText(status);
    if (!status.prompt.empty()) text += "  - " + status.prompt;
    cv::putText(bgr, text, cv::Point(10, 24), cv::FONT_HERSHEY_SIMPLEX, 0.7, colour, 2);
    cv::imshow(kWindow, bgr);
    cv::waitKey(1);
  } catch (const cv::Exception& e) {
    Message(absl::StrCat("preview window failed, closing it: ", e.what()));
    preview_ = false;
  }
}

void LiveDisplay::Finish() {
  if (line_shown_) {
    std::fputs("\n", stderr);
    line_shown_ = false;
  }
}

}  // namespace proctor::cli
