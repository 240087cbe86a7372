// The small, valid JPEG proctor-loadgen attaches to events as evidence.
#ifndef PROCTOR_SERVER_LOADGEN_EVIDENCE_JPEG_H_
#define PROCTOR_SERVER_LOADGEN_EVIDENCE_JPEG_H_

#include <cstdint>
#include <vector>

namespace proctor::loadgen {

// A 16x16 grey baseline JPEG of a few hundred bytes; thread-safe, never destroyed.
const std::vector<uint8_t>& EvidenceJpeg();

}  // namespace proctor::loadgen

#endif  // PROCTOR_SERVER_LOADGEN_EVIDENCE_JPEG_H_
