// What a person reads, in their language: English (the message ids themselves) or Russian.
//
// The catalogs are GNU gettext's: po/ru.po, compiled by the build with msgfmt into
// LOCALE_DIR/ru/LC_MESSAGES/proctor.mo, and read with Boost.Locale. Boost.Locale rather than
// glibc's gettext() because the review console answers each request in the language its reader
// asked for: a Translator is an immutable object per language, not process-wide state, and it
// needs no system locale installed (Debian's minimal images have only C.UTF-8). Its ICU backend
// formats numbers and dates the way each language writes them.
//
// Messages that take values use absl::Substitute placeholders ($0, $1, ...), so a translation
// may reorder them; scripts/i18n.sh check (a ctest) fails when a translation is missing, fuzzy,
// or uses other placeholders than its message id. Mark every string a person reads with Tr,
// Trf, TrN, TrNf or N_ so that xgettext extracts it.
//
// Thread safety: Translator objects are immutable and may be used from any thread.
#ifndef PROCTOR_COMMON_I18N_H_
#define PROCTOR_COMMON_I18N_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/strings/substitute.h"

namespace proctor::i18n {

enum class Language { kEnglish, kRussian };

// Every language there is a catalog for, English first.
inline constexpr Language kLanguages[] = {Language::kEnglish, Language::kRussian};

// "en" or "ru".
absl::string_view LanguageCode(Language language);
// The language's own name: "English", "Русский".
absl::string_view LanguageName(Language language);

// A language tag or locale name to a language: "ru", "ru-RU", "ru_RU.UTF-8", "RU" -> Russian;
// "en", "en_GB", "C", "POSIX", "C.UTF-8" -> English; nullopt for anything else (e.g. "de").
std::optional<Language> ParseLanguage(absl::string_view tag);

// The language the environment asks for, as gettext reads it: LANGUAGE's first known entry
// (unless the locale is C/POSIX), else LC_ALL, LC_MESSAGES, LANG in that order; English when
// none names a known language.
Language LanguageFromEnvironment();

// The preferred language of an HTTP Accept-Language header ("ru-RU,ru;q=0.9,en;q=0.8"),
// honouring q-values; English when it names none we have.
Language LanguageFromAcceptLanguage(absl::string_view header);

// One language's catalog and formats.
class Translator {
 public:
  // The translator for `language`, loaded once from LocaleDir(). When the catalog file is
  // missing, translations fall back to the English message ids (CatalogLoaded() says so).
  static const Translator& For(Language language);
  // A translator of its own from the catalogs in `locale_dir` (tests, tools).
  static std::unique_ptr<Translator> Load(Language language, const std::string& locale_dir);

  Language language() const { return language_; }
  // False when the language needs a catalog that was not found.
  bool CatalogLoaded() const { return catalog_loaded_; }

  std::string Tr(absl::string_view msgid) const;
  // The plural form for `n` ("1 face", "2 faces"; "1 лицо", "2 лица", "5 лиц").
  std::string TrN(absl::string_view singular, absl::string_view plural, int64_t n) const;
  // Tr, then absl::Substitute's $0, $1, ... replaced by `args`.
  template <typename... Args>
  std::string Trf(absl::string_view msgid, const Args&... args) const {
    return absl::Substitute(Tr(msgid), args...);
  }
  // TrN, then substitution. `n` is usually also one of `args`.
  template <typename... Args>
  std::string TrNf(absl::string_view singular, absl::string_view plural, int64_t n,
                   const Args&... args) const {
    return absl::Substitute(TrN(singular, plural, n), args...);
  }

  // `value` with `decimals` digits after the separator, grouped as the language writes numbers
  // ("1,234.50" / "1 234,50").
  std::string Number(double value, int decimals) const;
  // A moment as date and time in UTC, "3 Dec 2026, 17:40:05 UTC" / "3 дек. 2026 г., 17:40:05 UTC".
  std::string DateTime(int64_t unix_ms) const;

  Translator(const Translator&) = delete;
  Translator& operator=(const Translator&) = delete;
  ~Translator();

 private:
  struct Impl;
  Translator(Language language, const std::string& locale_dir);
  Language language_;
  bool catalog_loaded_ = false;
  std::unique_ptr<Impl> impl_;
};

// The folder with the compiled catalogs: $PROCTOR_LOCALE_DIR when set and not empty, else the
// build tree's locale/ folder compiled into the binary.
std::string LocaleDir();

// The language of this process's messages (command-line tools set it once, from --lang or the
// environment, before their first message; English until then).
void SetProcessLanguage(Language language);
Language ProcessLanguage();
// For a command-line tool, before it builds its help texts: the language of `--lang X` (or
// `--lang=X`) among the arguments, else LanguageFromEnvironment(); made the process language.
// INVALID_ARGUMENT naming the languages there are when --lang names another.
absl::Status ChooseProcessLanguage(int argc, const char* const* argv);

// The process language's translator.
const Translator& Process();

// Shorthands on the process language, for command-line tools.
inline std::string Tr(absl::string_view msgid) { return Process().Tr(msgid); }
inline std::string TrN(absl::string_view singular, absl::string_view plural, int64_t n) {
  return Process().TrN(singular, plural, n);
}
template <typename... Args>
std::string Trf(absl::string_view msgid, const Args&... args) {
  return Process().Trf(msgid, args...);
}
template <typename... Args>
std::string TrNf(absl::string_view singular, absl::string_view plural, int64_t n,
                 const Args&... args) {
  return Process().TrNf(singular, plural, n, args...);
}

// `text` padded with spaces to `width` characters (UTF-8 code points, so Cyrillic columns line
// up in a terminal where printf's %-20s counts bytes); longer text is returned whole.
std::string PadRight(absl::string_view text, size_t width);

// Marks a message id for extraction where it is translated later (tables of names).
constexpr const char* N_(const char* msgid) { return msgid; }

}  // namespace proctor::i18n

#endif  // PROCTOR_COMMON_I18N_H_
