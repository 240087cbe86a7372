// A TCP proxy on a free loopback port that a test controls: it forwards to a target address
// until the test cuts the network, then forwards again after Restore(). Two ways to cut:
//   kReset     — every connection is closed and new ones are closed at once (a cable pulled
//                with the machine noticing: the peer sees a reset);
//   kBlackhole — connections stay open but no byte goes through either way (a dead Wi-Fi: the
//                peer notices only by its own timeouts and keepalives).
#ifndef PROCTOR_TESTS_SUPPORT_TCP_PROXY_H_
#define PROCTOR_TESTS_SUPPORT_TCP_PROXY_H_

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace proctor::testing {

class TcpProxy {
 public:
  enum class Cut { kReset, kBlackhole };

  // Forwards to 127.0.0.1:target_port.
  explicit TcpProxy(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::string address() const;  // "127.0.0.1:PORT" to give the client
  void CutNetwork(Cut how);
  void Restore();
  int connections_accepted() const { return accepted_.load(); }

 private:
  void AcceptLoop();
  void Pump(int client_fd, int server_fd);

  const int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> mode_{0};  // 0 open, 1 reset, 2 blackhole
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<int> open_fds_;       // guarded by mu_
  std::vector<std::thread> pumps_;  // guarded by mu_
  std::thread acceptor_;
};

}  // namespace proctor::testing

#endif  // PROCTOR_TESTS_SUPPORT_TCP_PROXY_H_
