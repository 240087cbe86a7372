#include "server/loadgen/loadgen_run.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/ctl/client_connection.h"
#include "server/loadgen/latency_stats.h"
#include "server/loadgen/session_lifecycle.h"
#include "server/loadgen/session_streamer.h"

namespace proctor::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

struct TimedOutcome {
  int64_t sent = 0;
  int64_t acked = 0;
  int64_t made = 0;  // distinct events sent at least once
  int64_t resent = 0;
  int64_t reconnects = 0;
  double seconds = 0;
  double setup_s = 0;  // the untimed setup before it
  LatencySummary latency;
  std::vector<MinuteLatency> per_minute;
  int failed_streams = 0;
};

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One channel per connection: a local subchannel pool keeps the channels from sharing one.
// With several servers (--server A,B: replicas on one database), options.channels connections
// to each, interleaved A, B, A, B, ... so that session i streams to server i % count. The first
// channel (server A) does the setup.
absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> MakeChannels(
    const LoadgenOptions& options) {
  const std::vector<std::string> servers = absl::StrSplit(options.server, ',', absl::SkipEmpty());
  if (servers.empty()) return absl::InvalidArgumentError("--server names no address");
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < options.channels; ++i) {
    for (const std::string& server : servers) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      auto channel = ctl::MakeChannel(server, options.tls_ca, args);
      if (!channel.ok()) return channel.status();
      channels.push_back(std::move(*channel));
    }
  }
  return channels;
}

void PrintProgress(const LoadgenOptions& options, const LoadCounters& counters, int streams_done,
                   double seconds) {
  const int64_t acked = counters.events_acked.load();
  const int64_t reconnects = counters.reconnects.load();
  std::fprintf(
      stderr, "[%6.1f s] sessions streaming %d, done %d/%d; events acked %lld (%.0f/s)%s\n",
      seconds, counters.streams_open.load(), streams_done, options.sessions,
      static_cast<long long>(acked), seconds > 0 ? static_cast<double>(acked) / seconds : 0.0,
      reconnects > 0 ? absl::StrCat("; ", reconnects, " reconnects").c_str() : "");
}

// Waits for every stream to end, printing progress each second (human mode) and cancelling all
// streams when no ack arrived for options.timeout_s.
// Returns whether it cancelled.
bool WaitForStreams(const LoadgenOptions& options, LoadCounters& counters,
                    std::vector<std::unique_ptr<SessionStreamer>>& streamers,
                    Clock::time_point start) {
  int64_t last_acked = 0;
  Clock::time_point last_ack_change = start;
  Clock::time_point next_report = start + std::chrono::seconds(1);
  bool cancelled = false;
  std::unique_lock<std::mutex> lock(counters.mu);
  const auto all_done = [&] { return counters.streams_done == options.sessions; };
  while (!counters.done_cv.wait_until(lock, next_report, all_done)) {
    next_report += std::chrono::seconds(1);
    // On stderr also with --json (stdout holds only the document): a long run shows it lives.
    PrintProgress(options, counters, counters.streams_done, SecondsSince(start));
    const int64_t acked = counters.events_acked.load();
    if (acked != last_acked) last_acked = acked, last_ack_change = Clock::now();
    if (!cancelled && SecondsSince(last_ack_change) > options.timeout_s) {
      std::fprintf(stderr,
                   "proctor-loadgen: no ack for %g s (--timeout); cancelling every stream\n",
                   options.timeout_s);
      cancelled = true;
      lock.unlock();  // a stream's OnDone takes the lock
      for (auto& streamer : streamers) streamer->Cancel();
      lock.lock();
    }
  }
  return cancelled;
}

// Prints each distinct stream failure once, with how many sessions it ended; returns the count.
// `cancelled`: the streams were cancelled for want of acks, which explains their CANCELLED.
int ReportStreamFailures(const std::vector<std::unique_ptr<SessionStreamer>>& streamers,
                         bool cancelled) {
  std::map<std::string, int> failures;
  for (const auto& streamer : streamers) {
    if (!streamer->protocol_error().empty()) {
      ++failures[streamer->protocol_error()];
    } else if (cancelled && streamer->status().error_code() == grpc::StatusCode::CANCELLED) {
      ++failures["CANCELLED: no ack within --timeout"];
    } else if (!streamer->status().ok()) {
      ++failures[absl::StrCat(ctl::StatusCodeName(streamer->status().error_code()), ": ",
                              streamer->status().error_message())];
    }
  }
  int total = 0;
  for (const auto& [what, count] : failures) {
    std::fprintf(stderr, "proctor-loadgen: %d stream%s failed: %s\n", count, count == 1 ? "" : "s",
                 what.c_str());
    total += count;
  }
  return total;
}

// When session i of n starts: spread over the ramp, else (paced) over one batch interval, as
// independent learners are; unpaced and without a ramp, at once.
Clock::duration StartOffset(const LoadgenOptions& options, size_t i, size_t n) {
  double window_s = options.ramp_s;
  if (window_s <= 0 && options.rate > 0) window_s = options.batch / options.rate;
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(window_s * static_cast<double>(i) / static_cast<double>(n)));
}

TimedOutcome StreamAll(const LoadgenOptions& options,
                       const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                       const std::vector<std::unique_ptr<SyntheticSession>>& sessions) {
  std::vector<std::unique_ptr<v1::SessionService::Stub>> stubs;
  std::vector<v1::SessionService::StubInterface*> stub_ptrs;
  for (const auto& channel : channels) {
    stubs.push_back(v1::SessionService::NewStub(channel));
    stub_ptrs.push_back(stubs.back().get());
  }
  LoadCounters counters;
  // Outlives the streamers: a session's last callbacks may still be due on it.
  Pacer pacer;
  std::vector<std::unique_ptr<SessionStreamer>> streamers;
  const Clock::time_point start = Clock::now();
  for (size_t i = 0; i < sessions.size(); ++i) {
    StreamPlan plan;
    plan.events_per_s = options.rate;
    plan.origin = start;
    plan.start = start + StartOffset(options, i, sessions.size());
    if (options.duration_s > 0) {
      plan.stop = start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(options.duration_s));
    }
    plan.retry = options.retry;
    streamers.push_back(std::make_unique<SessionStreamer>(sessions[i].get(), options.batch,
                                                          &counters, &pacer, stub_ptrs, i, plan));
  }
  for (auto& streamer : streamers) streamer->Start();
  const bool cancelled = WaitForStreams(options, counters, streamers, start);
  TimedOutcome outcome;
  outcome.seconds = SecondsSince(start);
  outcome.sent = counters.events_sent.load();
  outcome.acked = counters.events_acked.load();
  outcome.resent = counters.events_resent.load();
  outcome.reconnects = counters.reconnects.load();
  outcome.failed_streams = ReportStreamFailures(streamers, cancelled);
  std::vector<BatchLatency> latencies;
  for (auto& streamer : streamers) {
    outcome.made += streamer->events_made();
    latencies.insert(latencies.end(), streamer->latencies().begin(), streamer->latencies().end());
  }
  outcome.per_minute = SummarizePerMinute(latencies);
  outcome.latency = Summarize(latencies);
  return outcome;
}

nlohmann::json MinutesJson(const std::vector<MinuteLatency>& minutes) {
  nlohmann::json out = nlohmann::json::array();
  for (const MinuteLatency& m : minutes) {
    out.push_back({{"minute", m.minute},
                   {"acked", m.latency.events},
                   {"p50_ms", m.latency.p50_ms},
                   {"p99_ms", m.latency.p99_ms},
                   {"p999_ms", m.latency.p999_ms},
                   {"max_ms", m.latency.max_ms}});
  }
  return out;
}

void PrintReport(const LoadgenOptions& options, const TimedOutcome& outcome, int close_failures) {
  const double rate =
      outcome.seconds > 0 ? static_cast<double>(outcome.acked) / outcome.seconds : 0;
  const LatencySummary& l = outcome.latency;
  if (options.json) {
    const nlohmann::json report = {{"sent", outcome.sent},
                                   {"acked", outcome.acked},
                                   {"made", outcome.made},
                                   {"resent", outcome.resent},
                                   {"reconnects", outcome.reconnects},
                                   {"events_per_s", rate},
                                   {"p50_ms", l.p50_ms},
                                   {"p99_ms", l.p99_ms},
                                   {"p999_ms", l.p999_ms},
                                   {"p90_ms", l.p90_ms},
                                   {"max_ms", l.max_ms},
                                   {"seconds", outcome.seconds},
                                   {"setup_s", outcome.setup_s},
                                   {"sessions", options.sessions},
                                   {"events_per_session", options.events},
                                   {"batch", options.batch},
                                   {"rate_per_session", options.rate},
                                   {"duration_s", options.duration_s},
                                   {"ramp_s", options.ramp_s},
                                   {"per_minute", MinutesJson(outcome.per_minute)},
                                   {"evidence_every", options.evidence_every},
                                   {"stream_errors", outcome.failed_streams},
                                   {"close_errors", close_failures}};
    std::cout << report.dump() << "\n";
    return;
  }
  if (options.duration_s > 0) {
    std::printf(
        "%d sessions for %g s (arriving over %g s) at %g events/s, batches of %d, "
        "evidence every %d\n",
        options.sessions, options.duration_s, options.ramp_s, options.rate, options.batch,
        options.evidence_every);
  } else {
    std::printf("%d sessions x %lld events, batches of %d, evidence every %d\n", options.sessions,
                static_cast<long long>(options.events), options.batch, options.evidence_every);
  }
  std::printf("made %lld events, acked %lld in %.2f s: %.0f events/s\n",
              static_cast<long long>(outcome.made), static_cast<long long>(outcome.acked),
              outcome.seconds, rate);
  std::printf("written %lld (%lld resent after %lld reconnects)\n",
              static_cast<long long>(outcome.sent), static_cast<long long>(outcome.resent),
              static_cast<long long>(outcome.reconnects));
  std::printf(
      "ack latency per event: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n",
      l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms);
  if (outcome.per_minute.size() > 1) {
    std::printf("minute    acked   p50 ms   p99 ms p99.9 ms   max ms\n");
    for (const MinuteLatency& m : outcome.per_minute) {
      std::printf("%6d %8lld %8.1f %8.1f %8.1f %8.1f\n", m.minute,
                  static_cast<long long>(m.latency.events), m.latency.p50_ms, m.latency.p99_ms,
                  m.latency.p999_ms, m.latency.max_ms);
    }
  }
  std::printf("stream errors: %d, close errors: %d\n", outcome.failed_streams, close_failures);
}

int ReportSetupFailure(const RpcFailure& failure, const LoadgenOptions& options,
                       grpc::Channel* channel) {
  const bool unreachable = ctl::IsUnreachable(failure.status, channel);
  std::fprintf(
      stderr, "proctor-loadgen: setup: %s\n",
      ctl::DescribeRpcError(failure.what, failure.status, options.server, unreachable).c_str());
  return unreachable ? ctl::kExitUnreachable : ctl::kExitServerError;
}

}  // namespace

int RunLoadgen(const LoadgenOptions& options) {
  auto token = ctl::ResolveToken(options.token);
  if (!token.ok()) {
    std::fprintf(stderr, "proctor-loadgen: %s\n", std::string(token.status().message()).c_str());
    return ctl::kExitUsage;
  }
  auto channels = MakeChannels(options);
  if (!channels.ok()) {
    std::fprintf(stderr, "proctor-loadgen: %s\n", std::string(channels.status().message()).c_str());
    return ctl::kExitUsage;
  }
  std::vector<std::unique_ptr<SyntheticSession>> sessions;
  for (int i = 0; i < options.sessions; ++i) {
    sessions.push_back(std::make_unique<SyntheticSession>(options.events, options.evidence_every));
  }
  const Clock::time_point setup_start = Clock::now();
  if (auto failure = PrepareSessions(options, *token, channels->front(), sessions)) {
    return ReportSetupFailure(*failure, options, channels->front().get());
  }
  const double setup_s = SecondsSince(setup_start);
  std::fprintf(stderr, "setup: %d sessions opened in %.1f s; streaming\n", options.sessions,
               setup_s);
  TimedOutcome outcome = StreamAll(options, *channels, sessions);
  outcome.setup_s = setup_s;
  const std::vector<RpcFailure> close_failures =
      CloseSessions(options, channels->front(), sessions);
  for (size_t i = 0; i < close_failures.size() && i < 10; ++i) {
    std::fprintf(stderr, "proctor-loadgen: %s: %s: %s\n", close_failures[i].what.c_str(),
                 ctl::StatusCodeName(close_failures[i].status.error_code()).c_str(),
                 close_failures[i].status.error_message().c_str());
  }
  PrintReport(options, outcome, static_cast<int>(close_failures.size()));
  const bool every_event =
      options.duration_s > 0 || outcome.made == options.sessions * options.events;
  const bool complete = every_event && outcome.acked == outcome.made && outcome.failed_streams == 0;
  return complete && close_failures.empty() ? ctl::kExitOk : ctl::kExitServerError;
}

}  // namespace proctor::loadgen
