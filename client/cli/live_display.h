// What the learner sees while proctor-client runs: one line per event as it happens, a status
// line redrawn in place when stderr is a terminal, and an optional preview window (OpenCV) with
// the face box and the status drawn on the frame, all in the process's language (common/i18n.h). Not thread-safe: the analysis thread owns it.
#ifndef PROCTOR_CLIENT_CLI_LIVE_DISPLAY_H_
#define PROCTOR_CLIENT_CLI_LIVE_DISPLAY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/analysis/proctor_monitor.h"
#include "client/capture/frame_source.h"
#include "client/journal/journal.h"
#include "client/session/session_view.h"

namespace proctor::cli {

using client::DeliveryView;
using client::FormatMediaTime;

class LiveDisplay : public client::SessionView {
 public:
  // `preview`: open a window (only when a display is available; otherwise says so once).
  explicit LiveDisplay(bool preview);
  ~LiveDisplay() override;

  void Message(const std::string& text) override;  // a line for the learner (stderr)
  void OnEvents(const std::vector<client::SignedEvent>& events) override;
  void Update(const client::LiveStatus& status, const DeliveryView& delivery) override;
  void ShowFrame(const client::Frame& frame, const client::LiveStatus& status) override;
  void Finish() override;  // ends the status line

 private:
  std::string StatusLine(const client::LiveStatus& status, const DeliveryView& delivery) const;
  // The preview's TrueType font (Cyrillic needs one); left empty when none is found.
  void LoadPreviewFont();
  struct PreviewFont;  // OpenCV's FreeType renderer, kept out of this header

  bool tty_ = false;
  bool preview_ = false;
  bool line_shown_ = false;
  int64_t last_draw_ms_ = 0;
  std::unique_ptr<PreviewFont> font_;
};

// What the preview window would show for `frame` and `status`, as PNG bytes, in the process
// language; `truetype` (may be null) tells whether a TrueType font drew the text (else Hershey's
// ASCII letters, and the English words). For tests and screenshots; needs no display.
absl::StatusOr<std::vector<uint8_t>> RenderPreviewPng(const client::Frame& frame,
                                                      const client::LiveStatus& status,
                                                      bool* truetype);

}  // namespace proctor::cli

#endif  // PROCTOR_CLIENT_CLI_LIVE_DISPLAY_H_
