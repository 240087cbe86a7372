// What a proctored session shows the learner while it runs, as an interface: the terminal and
// preview window of proctor-client (client/cli/live_display.h) implement it, tests record it.
// Called from the session's thread only.
#ifndef PROCTOR_CLIENT_SESSION_SESSION_VIEW_H_
#define PROCTOR_CLIENT_SESSION_SESSION_VIEW_H_

#include <cstdint>
#include <string>
#include <vector>

#include "client/analysis/proctor_monitor.h"
#include "client/capture/frame_source.h"
#include "protocol/chain.h"

namespace proctor::client {

struct DeliveryView {
  uint64_t events = 0;   // journaled in this session
  uint64_t pending = 0;  // not yet acknowledged
  bool connected = false;
  std::string last_error;
};

class SessionView {
 public:
  virtual ~SessionView() = default;
  virtual void Message(const std::string& text) = 0;  // a line for the learner
  virtual void OnEvents(const std::vector<protocol::SignedEvent>& events) = 0;
  virtual void Update(const LiveStatus& status, const DeliveryView& delivery) = 0;
  virtual void ShowFrame(const Frame& frame, const LiveStatus& status) = 0;
  virtual void Finish() = 0;  // proctoring ended (delivery may go on)
};

// "00:01:02.5" for 62 500 ms.
std::string FormatMediaTime(int64_t ms);

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_SESSION_SESSION_VIEW_H_
