// Text helpers for the console's server-rendered pages and exports: HTML escaping (every value
// that reaches a page goes through Html), CSV fields, base64 and human-readable times.
// Pure functions, thread-safe.
#ifndef PROCTOR_SERVER_HTTP_HTML_H_
#define PROCTOR_SERVER_HTTP_HTML_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/i18n.h"

namespace proctor::server::http {

// Escapes & < > " ' so that `text` is inert both in element content and in quoted attributes.
std::string Html(std::string_view text);

// One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A field that a
// spreadsheet would run as a formula (starting with = + - @, tab or CR) gets a leading '.
std::string CsvField(std::string_view text);

std::string Base64(const std::vector<uint8_t>& bytes);

// Media time as "m:ss.s" (or "h:mm:ss" past an hour): 65300 -> "1:05.3".
std::string MediaTime(int64_t ms);
// A duration in words: 10000 -> "10.0 s", 125000 -> "2 min 5 s".
std::string Duration(int64_t ms,
                     const i18n::Translator& t = i18n::Translator::For(i18n::Language::kEnglish));
// Unix milliseconds as "2026-11-23 15:04:05 UTC"; "-" for 0.
std::string UtcTime(int64_t unix_ms);

// Constant-time comparison of two secrets (tokens, CSRF values).
bool SecretsEqual(std::string_view a, std::string_view b);

}  // namespace proctor::server::http

#endif  // PROCTOR_SERVER_HTTP_HTML_H_
