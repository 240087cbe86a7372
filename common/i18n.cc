#include "common/i18n.h"

#include <algorithm>
#include <atomic>
#include <boost/locale.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/platform.h"

#ifndef PROCTOR_BUILD_LOCALE_DIR
#define PROCTOR_BUILD_LOCALE_DIR "locale"
#endif

namespace proctor::i18n {
namespace {

constexpr char kDomain[] = "proctor";

// ICU's locale names for the catalogs' languages (British English: 24-hour times, day first).
const char* IcuLocale(Language language) {
  return language == Language::kRussian ? "ru_RU.UTF-8" : "en_GB.UTF-8";
}

std::string Getenv(const char* name) { return platform::GetEnv(name).value_or(""); }

std::atomic<Language> g_process_language{Language::kEnglish};

}  // namespace

absl::string_view LanguageCode(Language language) {
  return language == Language::kRussian ? "ru" : "en";
}

absl::string_view LanguageName(Language language) {
  return language == Language::kRussian ? "Русский" : "English";
}

std::optional<Language> ParseLanguage(absl::string_view tag) {
  tag = absl::StripAsciiWhitespace(tag);
  if (tag == "C" || tag == "POSIX" || absl::StartsWith(tag, "C.")) return Language::kEnglish;
  const size_t end = tag.find_first_of("-_.@");
  const std::string primary = absl::AsciiStrToLower(tag.substr(0, end));
  if (primary == "ru") return Language::kRussian;
  if (primary == "en") return Language::kEnglish;
  return std::nullopt;
}

Language LanguageFromEnvironment() {
  std::string locale;
  for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    locale = Getenv(name);
    if (!locale.empty()) break;
  }
  const bool c_locale = locale.empty() || locale == "C" || locale == "POSIX";
  if (!c_locale) {
    // gettext's LANGUAGE: a colon-separated list of preferences, ignored in the C locale.
    for (absl::string_view entry : absl::StrSplit(Getenv("LANGUAGE"), ':', absl::SkipEmpty())) {
      if (auto language = ParseLanguage(entry)) return *language;
    }
  }
  if (locale.empty()) {
    // Windows sets no LANG: the desktop's own language ("ru-RU") decides there.
    locale = platform::DesktopLanguage();
  }
  return ParseLanguage(locale).value_or(Language::kEnglish);
}

Language LanguageFromAcceptLanguage(absl::string_view header) {
  std::optional<Language> best;
  double best_q = 0;
  for (absl::string_view item : absl::StrSplit(header, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> parts = absl::StrSplit(item, ';');
    double q = 1.0;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view param = absl::StripAsciiWhitespace(parts[i]);
      if (absl::ConsumePrefix(&param, "q=") && !absl::SimpleAtod(param, &q)) q = 0;
    }
    auto language = ParseLanguage(parts[0]);
    // "C" is no browser's language; only real tags count here.
    if (absl::StripAsciiWhitespace(parts[0]).size() < 2) language.reset();
    if (language && q > best_q) {
      best = language;
      best_q = q;
    }
  }
  return best.value_or(Language::kEnglish);
}

struct Translator::Impl {
  std::locale locale;
};

Translator::Translator(Language language, const std::string& dir)
    : language_(language), impl_(new Impl) {
  boost::locale::generator generator;
  generator.add_messages_path(dir);
  generator.add_messages_domain(kDomain);
  impl_->locale = generator(IcuLocale(language));
  catalog_loaded_ =
      language == Language::kEnglish ||
      std::filesystem::exists(std::filesystem::path(dir) / std::string(LanguageCode(language)) /
                              "LC_MESSAGES" / (std::string(kDomain) + ".mo"));
}

Translator::~Translator() = default;

std::unique_ptr<Translator> Translator::Load(Language language, const std::string& locale_dir) {
  return std::unique_ptr<Translator>(new Translator(language, locale_dir));
}

const Translator& Translator::For(Language language) {
  static const Translator* const english = Load(Language::kEnglish, LocaleDir()).release();
  static const Translator* const russian = Load(Language::kRussian, LocaleDir()).release();
  return language == Language::kRussian ? *russian : *english;
}

std::string Translator::Tr(absl::string_view msgid) const {
  return boost::locale::translate(std::string(msgid)).str(impl_->locale);
}

std::string Translator::TrN(absl::string_view singular, absl::string_view plural, int64_t n) const {
  // Plural rules look at the last digits only; very large counts keep them and stay plural.
  const int64_t magnitude = n < 0 ? -n : n;
  const int count =
      static_cast<int>(magnitude > 1000000 ? magnitude % 1000000 + 1000000 : magnitude);
  return boost::locale::translate(std::string(singular), std::string(plural), count)
      .str(impl_->locale);
}

std::string Translator::Number(double value, int decimals) const {
  std::ostringstream out;
  out.imbue(impl_->locale);
  out.setf(std::ios::fixed);
  out.precision(std::clamp(decimals, 0, 12));
  out << boost::locale::as::number << value;
  return out.str();
}

std::string Translator::DateTime(int64_t unix_ms) const {
  std::ostringstream out;
  out.imbue(impl_->locale);
  out << boost::locale::as::time_zone("UTC") << boost::locale::as::date_medium
      << boost::locale::as::datetime << boost::locale::as::time_medium
      << static_cast<double>(unix_ms / 1000) << " UTC";
  return out.str();
}

std::string LocaleDir() {
  std::string dir = Getenv("PROCTOR_LOCALE_DIR");
  if (!dir.empty()) return dir;
#ifdef _WIN32
  // An installed client (the installer, the portable zip) keeps locale/ beside itself.
  const std::string beside = platform::ExecutableDir();
  if (!beside.empty() && platform::KindOf(beside + "/locale") == platform::FileKind::kDirectory) {
    return beside + "/locale";
  }
#endif
  return PROCTOR_BUILD_LOCALE_DIR;
}

void SetProcessLanguage(Language language) { g_process_language.store(language); }

Language ProcessLanguage() { return g_process_language.load(); }

absl::Status ChooseProcessLanguage(int argc, const char* const* argv) {
  std::optional<std::string> flag;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "--lang" && i + 1 < argc) flag = argv[i + 1];
    if (absl::ConsumePrefix(&arg, "--lang=")) flag = std::string(arg);
  }
  Language language = LanguageFromEnvironment();
  if (flag) {
    auto parsed = ParseLanguage(*flag);
    if (!parsed) {
      SetProcessLanguage(language);
      return absl::InvalidArgumentError(
          Translator::For(language).Trf("--lang $0: the languages are en and ru", *flag));
    }
    language = *parsed;
  }
  SetProcessLanguage(language);
  return absl::OkStatus();
}

std::string PadRight(absl::string_view text, size_t width) {
  size_t characters = 0;
  for (unsigned char c : text) characters += (c & 0xC0) != 0x80;  // not a continuation byte
  std::string out(text);
  if (characters < width) out.append(width - characters, ' ');
  return out;
}

const Translator& Process() { return Translator::For(ProcessLanguage()); }

}  // namespace proctor::i18n
