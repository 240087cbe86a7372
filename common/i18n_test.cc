#include "common/i18n.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/testing/platform_testing.h"

namespace proctor::i18n {
namespace {

// Messages of the client's catalog (po/ru.po); the build compiles it before this test runs.
constexpr char kFace[] = "face OK";

class EnvGuard {
 public:
  explicit EnvGuard(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const auto& [name, value] : vars) {
      const char* old = std::getenv(name);
      saved_.push_back({name, old ? std::optional<std::string>(old) : std::nullopt});
      proctor::testing::SetEnv(name, value);
    }
  }
  ~EnvGuard() {
    for (const auto& [name, value] : saved_) {
      proctor::testing::SetEnv(name, value ? value->c_str() : nullptr);
    }
  }

 private:
  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
};

TEST(I18nTest, ParsesLanguageTagsAndLocaleNames) {
  EXPECT_EQ(ParseLanguage("ru"), Language::kRussian);
  EXPECT_EQ(ParseLanguage("ru_RU.UTF-8"), Language::kRussian);
  EXPECT_EQ(ParseLanguage("ru-RU"), Language::kRussian);
  EXPECT_EQ(ParseLanguage(" RU "), Language::kRussian);
  EXPECT_EQ(ParseLanguage("en_GB"), Language::kEnglish);
  EXPECT_EQ(ParseLanguage("C.UTF-8"), Language::kEnglish);
  EXPECT_EQ(ParseLanguage("POSIX"), Language::kEnglish);
  EXPECT_EQ(ParseLanguage("de_DE.UTF-8"), std::nullopt);
  EXPECT_EQ(ParseLanguage(""), std::nullopt);
  EXPECT_EQ(LanguageCode(Language::kRussian), "ru");
}

TEST(I18nTest, EnvironmentFollowsGettextsOrder) {
  {
    EnvGuard env({{"LANGUAGE", nullptr},
                  {"LC_ALL", nullptr},
                  {"LC_MESSAGES", nullptr},
                  {"LANG", "ru_RU.UTF-8"}});
    EXPECT_EQ(LanguageFromEnvironment(), Language::kRussian);
  }
  {
    EnvGuard env({{"LANGUAGE", nullptr},
                  {"LC_ALL", "en_US.UTF-8"},
                  {"LC_MESSAGES", nullptr},
                  {"LANG", "ru_RU.UTF-8"}});
    EXPECT_EQ(LanguageFromEnvironment(), Language::kEnglish) << "LC_ALL wins over LANG";
  }
  {
    EnvGuard env({{"LANGUAGE", "de:ru:en"},
                  {"LC_ALL", nullptr},
                  {"LC_MESSAGES", nullptr},
                  {"LANG", "en_US.UTF-8"}});
    EXPECT_EQ(LanguageFromEnvironment(), Language::kRussian) << "LANGUAGE's first known entry";
  }
  {
    EnvGuard env(
        {{"LANGUAGE", "ru"}, {"LC_ALL", nullptr}, {"LC_MESSAGES", nullptr}, {"LANG", "C"}});
    EXPECT_EQ(LanguageFromEnvironment(), Language::kEnglish) << "LANGUAGE is ignored in C";
  }
  {
    EnvGuard env(
        {{"LANGUAGE", nullptr}, {"LC_ALL", nullptr}, {"LC_MESSAGES", nullptr}, {"LANG", nullptr}});
    EXPECT_EQ(LanguageFromEnvironment(), Language::kEnglish);
  }
}

TEST(I18nTest, AcceptLanguageHonoursQValues) {
  EXPECT_EQ(LanguageFromAcceptLanguage("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"), Language::kRussian);
  EXPECT_EQ(LanguageFromAcceptLanguage("en;q=0.5, ru;q=0.8"), Language::kRussian);
  EXPECT_EQ(LanguageFromAcceptLanguage("ru;q=0.3, en"), Language::kEnglish);
  EXPECT_EQ(LanguageFromAcceptLanguage("de-DE,de;q=0.9,ru;q=0.1"), Language::kRussian);
  EXPECT_EQ(LanguageFromAcceptLanguage("de, fr"), Language::kEnglish);
  EXPECT_EQ(LanguageFromAcceptLanguage(""), Language::kEnglish);
  EXPECT_EQ(LanguageFromAcceptLanguage("ru;q=0"), Language::kEnglish) << "q=0 means not wanted";
  EXPECT_EQ(LanguageFromAcceptLanguage("ru;q=oops, en;q=0.2"), Language::kEnglish);
}

TEST(I18nTest, RussianCatalogTranslatesAndEnglishIsTheMessageId) {
  const Translator& ru = Translator::For(Language::kRussian);
  ASSERT_TRUE(ru.CatalogLoaded()) << "no catalog in " << LocaleDir();
  EXPECT_EQ(ru.Tr(kFace), "лицо в кадре");
  EXPECT_EQ(Translator::For(Language::kEnglish).Tr(kFace), kFace);
  EXPECT_EQ(ru.Tr("a message nobody translated"), "a message nobody translated");
  EXPECT_EQ(ru.Trf("camera $0", 2), "камера 2");
}

TEST(I18nTest, PluralFormsFollowEachLanguagesRule) {
  const Translator& ru = Translator::For(Language::kRussian);
  const Translator& en = Translator::For(Language::kEnglish);
  auto faces = [](const Translator& t, int n) {
    return t.TrNf("several people ($0 face)", "several people ($0 faces)", n, n);
  };
  EXPECT_EQ(faces(ru, 1), "несколько человек (1 лицо)");
  EXPECT_EQ(faces(ru, 2), "несколько человек (2 лица)");
  EXPECT_EQ(faces(ru, 4), "несколько человек (4 лица)");
  EXPECT_EQ(faces(ru, 5), "несколько человек (5 лиц)");
  EXPECT_EQ(faces(ru, 11), "несколько человек (11 лиц)");
  EXPECT_EQ(faces(ru, 12), "несколько человек (12 лиц)");
  EXPECT_EQ(faces(ru, 21), "несколько человек (21 лицо)");
  EXPECT_EQ(faces(ru, 22), "несколько человек (22 лица)");
  EXPECT_EQ(faces(ru, 111), "несколько человек (111 лиц)");
  EXPECT_EQ(faces(ru, 0), "несколько человек (0 лиц)");
  EXPECT_EQ(faces(en, 1), "several people (1 face)");
  EXPECT_EQ(faces(en, 2), "several people (2 faces)");
  EXPECT_EQ(faces(en, 0), "several people (0 faces)");
  EXPECT_EQ(en.TrNf("$0 event", "$0 events", 3000000001, 3000000001), "3000000001 events");
  EXPECT_EQ(ru.TrNf("$0 event", "$0 events", 3000000001, 3000000001), "3000000001 событие");
}

TEST(I18nTest, NumbersAndDatesAreWrittenAsEachLanguageWritesThem) {
  const Translator& ru = Translator::For(Language::kRussian);
  const Translator& en = Translator::For(Language::kEnglish);
  EXPECT_EQ(en.Number(0.4213, 2), "0.42");
  EXPECT_EQ(ru.Number(0.4213, 2), "0,42");
  EXPECT_EQ(en.Number(1234.5, 1), "1,234.5");
  const std::string grouped = ru.Number(1234.5, 1);
  EXPECT_NE(grouped.find("234,5"), std::string::npos) << grouped;
  EXPECT_EQ(grouped.rfind("1", 0), 0u) << grouped;
  // 2026-12-03 17:40:05 UTC
  constexpr int64_t kMoment = 1796319605000;
  const std::string en_date = en.DateTime(kMoment);
  const std::string ru_date = ru.DateTime(kMoment);
  EXPECT_NE(en_date.find("2026"), std::string::npos) << en_date;
  EXPECT_NE(en_date.find("17:40:05"), std::string::npos) << en_date;
#ifndef _WIN32
  // Month names come from ICU. The Windows build's Boost.Locale (its Windows backend, no ICU)
  // writes dates as numbers ("03.12.2026"); only the server and the console, on Linux, write
  // dates for people.
  EXPECT_NE(en_date.find("Dec"), std::string::npos) << en_date;
  EXPECT_NE(ru_date.find("дек"), std::string::npos) << ru_date;
#endif
  EXPECT_NE(ru_date.find("17:40:05"), std::string::npos) << ru_date;
  EXPECT_NE(ru_date.find("UTC"), std::string::npos) << ru_date;
}

TEST(I18nTest, AMissingCatalogFallsBackToEnglishAndSaysSo) {
  const std::string empty = ::testing::TempDir() + "/no-catalogs";
  std::filesystem::create_directories(empty);
  auto ru = Translator::Load(Language::kRussian, empty);
  EXPECT_FALSE(ru->CatalogLoaded());
  EXPECT_EQ(ru->Tr(kFace), kFace);
  EXPECT_EQ(ru->Number(0.5, 2), "0,50") << "formats do not need the catalog";
  EXPECT_TRUE(Translator::Load(Language::kEnglish, empty)->CatalogLoaded());
}

TEST(I18nTest, LangFlagChoosesTheProcessLanguageAndRefusesOthers) {
  EnvGuard env({{"LANGUAGE", nullptr},
                {"LC_ALL", nullptr},
                {"LC_MESSAGES", nullptr},
                {"LANG", "ru_RU.UTF-8"}});
  const char* none[] = {"tool", "run"};
  ASSERT_TRUE(ChooseProcessLanguage(2, none).ok());
  EXPECT_EQ(ProcessLanguage(), Language::kRussian);
  const char* english[] = {"tool", "--lang", "en", "run"};
  ASSERT_TRUE(ChooseProcessLanguage(4, english).ok());
  EXPECT_EQ(ProcessLanguage(), Language::kEnglish);
  const char* equals[] = {"tool", "run", "--lang=ru"};
  ASSERT_TRUE(ChooseProcessLanguage(3, equals).ok());
  EXPECT_EQ(Tr(kFace), "лицо в кадре");
  const char* german[] = {"tool", "--lang", "de"};
  const absl::Status s = ChooseProcessLanguage(3, german);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("de"), std::string::npos) << s;
  EXPECT_EQ(ProcessLanguage(), Language::kRussian) << "the environment's language stays";
  SetProcessLanguage(Language::kEnglish);
}

TEST(I18nTest, PadRightCountsCharactersNotBytes) {
  EXPECT_EQ(PadRight("abc", 5), "abc  ");
  EXPECT_EQ(PadRight("сессия", 8), "сессия  ");
  EXPECT_EQ(PadRight("toolong", 3), "toolong");
  EXPECT_EQ(PadRight("", 2), "  ");
}

}  // namespace
}  // namespace proctor::i18n
