// A real proctor-server process on a free loopback port for integration tests, and a minimal
// learner that signs and chains events the way the client does.
#ifndef PROCTOR_TESTS_SUPPORT_SERVER_HARNESS_H_
#define PROCTOR_TESTS_SUPPORT_SERVER_HARNESS_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <csignal>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "common/event.h"
#include "proctor/v1/admin.grpc.pb.h"
#include "proctor/v1/results.grpc.pb.h"
#include "proctor/v1/review.grpc.pb.h"
#include "proctor/v1/session.grpc.pb.h"

namespace proctor::testing {

class ServerProcess {
 public:
  // A fresh temporary data dir; the process starts in Start().
  ServerProcess();
  ~ServerProcess();  // SIGKILLs a running server, removes the data dir
  // Starts proctor-server on a free port (the same port, data dir and database on a restart); waits
  // until it answers; false (with the log tail in *why) when it does not within 60 s.
  bool Start(std::string* why);
  // Before Start: store in this database (--db, e.g. postgresql://...) instead of the data dir's
  // SQLite file, and/or use another server's data dir (replicas share its storage.key and
  // admin.token; the directory then stays with its owner).
  void set_db(std::string db) { db_ = std::move(db); }
  void ShareDataDir(const ServerProcess& owner);
  // Before Start: run on this existing data dir (a restored backup); it stays with the caller.
  void UseDataDir(std::string dir) { data_dir_ = std::move(dir); }
  // Before Start: more proctor-server flags.
  void add_args(std::vector<std::string> args) {
    extra_args_.insert(extra_args_.end(), args.begin(), args.end());
  }
  void Kill();  // SIGKILL, waits for the exit
  // Sends `signal` (default SIGTERM), waits; returns the wait status (WIFEXITED, WEXITSTATUS).
  int Stop(int signal = SIGTERM);
  std::string address() const;
  // The HTTP listener (review console, /healthz, /metrics): "127.0.0.1:PORT".
  std::string http_address() const;
  int http_port() const { return http_port_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string admin_token() const;
  std::shared_ptr<grpc::Channel> channel() const;

 private:
  std::string data_dir_;
  std::string own_data_dir_;  // created by this object, removed with it
  std::string db_;            // --db; empty: the default (SQLite in the data dir)
  std::vector<std::string> extra_args_;
  int port_ = 0;
  int http_port_ = 0;
  pid_t pid_ = -1;
};

// Adds "authorization: Bearer <token>".
void Authorize(grpc::ClientContext* context, const std::string& token);

// One learner's session as the client would run it: signing key, chain head, next seq.
class LearnerSession {
 public:
  LearnerSession(std::shared_ptr<grpc::Channel> channel);
  grpc::Status Open(const std::string& pass);
  // An event with the next seq, chained to the previous one (not yet sent); `fill` sets the
  // other fields before the event is hashed.
  Event Next(EventKind kind, int64_t at_ms, EventPhase phase = EventPhase::kInstant,
             const std::function<void(Event&)>& fill = {});
  // The learner's CONSENT_GIVEN naming the notice OpenSession returned, as Next builds it: the
  // session's first event, before any biometric one (the server refuses those without it).
  Event Consent();
  // Sends the batch on a fresh stream, signed over its last event; fills *ack when acknowledged.
  grpc::Status Send(const std::vector<Event>& events, v1::BatchAck* ack);
  // As Send, with a caller-chosen signature.
  grpc::Status SendSigned(const std::vector<Event>& events, const std::string& signature,
                          v1::BatchAck* ack);
  grpc::Status Close(int64_t ended_at_ms, v1::CloseSessionResponse* response);
  std::string Sign(const std::vector<Event>& events) const;
  // Like the real client after a server restart: calls wait for the channel to reconnect
  // (within their deadline) instead of failing fast during reconnect backoff.
  void set_wait_for_ready(bool wait) { wait_for_ready_ = wait; }
  // Forgets the last `n` events built by Next (to build a different event at a used seq).
  void Rewind(const std::vector<Event>& sent_before);

  const std::string& session_id() const { return session_id_; }
  const std::string& token() const { return token_; }
  const v1::OpenSessionResponse& opened() const { return opened_; }
  uint64_t next_seq() const { return next_seq_; }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SessionService::Stub> stub_;
  SigningKey key_;
  v1::OpenSessionResponse opened_;
  std::string session_id_;
  std::string token_;
  uint64_t next_seq_ = 1;
  bool wait_for_ready_ = false;
  Hash32 head_{};
};

}  // namespace proctor::testing

#endif  // PROCTOR_TESTS_SUPPORT_SERVER_HARNESS_H_
