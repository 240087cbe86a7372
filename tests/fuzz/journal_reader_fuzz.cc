// libFuzzer target: arbitrary bytes as the client's events.log (after a valid header, so the
// fuzzer explores records rather than the magic). First the record reader alone, in memory:
// records must tile the intact prefix exactly. Then Journal::Open on the file, as after a crash.
// Must never crash, hang or leak; whatever it keeps must be a contiguous, correctly chained run
// of events that reads back, and the damaged rest must be accounted for byte for byte.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "client/journal/journal.h"
#include "client/journal/journal_record.h"

namespace fs = std::filesystem;

// The reader in memory: every record starts where the previous one ended, payloads lie inside
// the image, and the intact part ends where the records end.
void CheckRecordReader(const uint8_t* data, size_t size) {
  std::string image("PRJNL001");
  image.append(reinterpret_cast<const char*>(data), size);
  auto reader = proctor::client::RecordReader::Open(image);
  if (!reader.ok()) abort();
  proctor::client::Record record;
  uint64_t expected = 8;
  while (reader->Next(&record)) {
    if (record.offset != expected) abort();
    if (record.payload_offset != record.offset + proctor::client::kRecordHeaderSize) abort();
    if (record.payload_offset + record.payload.size() > image.size()) abort();
    expected = record.payload_offset + record.payload.size();
  }
  if (reader->end() != expected || reader->end() > image.size()) abort();
  if (reader->damaged() != (reader->end() < image.size())) abort();
  if (reader->damaged() && reader->damage().empty()) abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckRecordReader(data, size);
  static const fs::path dir =
      fs::temp_directory_path() / ("journal_fuzz_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream log(dir / "events.log", std::ios::binary);
    log.write("PRJNL001", 8);
    log.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  proctor::client::JournalOpenReport report;
  auto journal = proctor::client::Journal::Open(dir.string(), &report);
  if (!journal.ok()) abort();  // a damaged log is cut, never refused
  auto& j = **journal;
  if (report.damaged_bytes > size) abort();
  if (fs::file_size(dir / "events.log") != 8 + size - report.damaged_bytes) abort();
  if (j.event_count() != report.intact_events) abort();
  if (j.acked_seq() > j.last_seq()) abort();
  proctor::Hash32 previous{};
  bool first = true;
  for (uint64_t seq = j.first_seq(); seq != 0 && seq <= j.last_seq();) {
    auto events = j.Read(seq, 64, 1 << 20);
    if (!events.ok() || events->empty()) abort();
    for (const auto& e : *events) {
      if (e.event.seq != seq) abort();
      if (!first && e.event.prev_hash != previous) abort();
      if (proctor::EventDigest(e.event) != e.hash) abort();
      previous = e.hash;
      first = false;
      ++seq;
    }
  }
  if (!first && previous != j.head_hash()) abort();
  return 0;
}
