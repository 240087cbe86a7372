// What an event's `detail` text means where both ends act on it (otherwise it is free text for
// people, written by the client and shown as recorded).
#ifndef PROCTOR_PROTOCOL_EVENT_DETAILS_H_
#define PROCTOR_PROTOCOL_EVENT_DETAILS_H_

namespace proctor::protocol {

// How a FACE_ABSENT begins when no frame of it was clear enough to see that nobody was there:
// "could not tell: frame too dark (brightness 12)". The client sends such a BEGIN with the frame
// as evidence; the server checks that frame's quality itself, scores the span as a condition it
// could not measure (no misconduct risk of its own) and records EVIDENCE_MISMATCH when the frame
// is in fact clear.
inline constexpr char kCouldNotTellPrefix[] = "could not tell: ";

}  // namespace proctor::protocol

#endif  // PROCTOR_PROTOCOL_EVENT_DETAILS_H_
