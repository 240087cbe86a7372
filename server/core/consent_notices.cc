#include "server/core/consent_notices.h"

#include "absl/strings/str_cat.h"
#include "protocol/consent.h"
#include "server/core/event_validation.h"

namespace proctor::server {
namespace {

// What every learner is told when the institution has not written its own notice. Russian
// first: the institutions are Russian; English for everyone else.
constexpr char kBuiltInText[] =
    "Согласие на обработку персональных данных при прокторинге\n"
    "\n"
    "Что записывается: во время экзамена программа анализирует изображение с камеры на этом "
    "компьютере — есть ли в кадре лицо, одно ли оно, смотрите ли вы на экран, совпадает ли лицо "
    "с вашим биометрическим шаблоном (лицо — это биометрические персональные данные). Видео и "
    "звук не записываются и не передаются.\n"
    "Что передаётся: события (время, вид события), числовые описания лица (дескрипторы) для "
    "проверки личности и небольшие снимки лица или кадра при проверках и при нарушениях.\n"
    "Кто видит: экзаменаторы вашей образовательной организации, если сессию нужно проверить, и "
    "администратор системы.\n"
    "Сколько хранится: снимки — до окончательного решения по экзамену и затем не дольше срока, "
    "установленного организацией (по умолчанию 180 дней); шаблон лица — не дольше года после "
    "вашей последней сессии.\n"
    "Если у вас ещё нет эталонного фото: перед экзаменом программа делает 3 снимка вашего лица и "
    "передаёт их; сервер хранит шаблон лица и один снимок. Экзаменатор сверяет снимок с данными "
    "вашей организации (студенческий билет, личное дело) и затем снимок удаляется; до этого "
    "результаты ваших экзаменов проверяет человек.\n"
    "Как отозвать согласие: обратитесь в свою образовательную организацию; шаблон и снимки будут "
    "удалены. Без согласия экзамен с прокторингом не проводится — организация предложит другой "
    "способ.\n"
    "\n"
    "Consent to processing of personal data during proctoring\n"
    "\n"
    "What is captured: during the exam the program analyses the picture from this computer's "
    "camera — whether a face is in view, whether it is only one, whether you look at the screen, "
    "whether the face matches your biometric template (a face is biometric personal data). No "
    "video or sound is recorded or sent.\n"
    "What leaves this computer: events (time, kind), numeric descriptions of the face "
    "(descriptors) for identity checks, and small pictures of the face or the frame at checks and "
    "at anomalies.\n"
    "Who sees it: examiners of your institution when the session needs review, and the system's "
    "administrator.\n"
    "How long it is kept: pictures until the exam's verdict is final, then no longer than your "
    "institution's period (180 days by default); the face template no longer than a year after "
    "your latest session.\n"
    "If you have no reference photo yet: before the exam the program takes 3 pictures of your "
    "face and sends them; the server keeps the face template and one picture. An examiner "
    "compares that picture with your institution's record (student ID, admission file) and the "
    "picture is then deleted; until then a person reviews your exams' results.\n"
    "How to withdraw: ask your institution; your template and pictures are deleted. Without "
    "consent there is no proctored exam — your institution will offer another way.\n";

}  // namespace

const ConsentNotice& ConsentNotices::BuiltIn() {
  static const ConsentNotice* const notice = [] {
    auto* n = new ConsentNotice;
    n->version = 0;
    n->text = kBuiltInText;
    n->sha256_hex = protocol::NoticeSha256Hex(n->text);
    n->created_by = "proctor-server";
    return n;
  }();
  return *notice;
}

absl::StatusOr<ConsentNotice> ConsentNotices::InForce(const std::string& assessment_id) {
  auto latest = storage_->GetConsentNotice(assessment_id, 0);
  if (latest.ok() || !absl::IsNotFound(latest.status())) return latest;
  ConsentNotice built_in = BuiltIn();
  built_in.assessment_id = assessment_id;
  return built_in;
}

absl::StatusOr<ConsentNotice> ConsentNotices::Version(const std::string& assessment_id,
                                                      int32_t version) {
  if (version < 0) return absl::InvalidArgumentError("a notice version is >= 0");
  if (version > 0) return storage_->GetConsentNotice(assessment_id, version);
  ConsentNotice built_in = BuiltIn();
  built_in.assessment_id = assessment_id;
  return built_in;
}

absl::StatusOr<ConsentNotice> ConsentNotices::Add(const std::string& assessment_id,
                                                  const std::string& text,
                                                  const std::string& created_by,
                                                  int64_t now_unix_ms) {
  if (text.empty() || text.size() > protocol::kMaxNoticeBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("a consent notice is 1-", protocol::kMaxNoticeBytes, " bytes of text"));
  }
  if (!IsUtf8(text)) return absl::InvalidArgumentError("a consent notice must be UTF-8 text");
  // Two administrators at once: the second insert of a version fails; take the next one.
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto latest = storage_->GetConsentNotice(assessment_id, 0);
    if (!latest.ok() && !absl::IsNotFound(latest.status())) return latest.status();
    ConsentNotice notice;
    notice.assessment_id = assessment_id;
    notice.version = latest.ok() ? latest->version + 1 : 1;
    notice.text = text;
    notice.sha256_hex = protocol::NoticeSha256Hex(text);
    notice.created_by = created_by;
    notice.created_at_unix_ms = now_unix_ms;
    const absl::Status stored = storage_->PutConsentNotice(notice);
    if (stored.ok()) return notice;
    if (!absl::IsAlreadyExists(stored)) return stored;
  }
  return absl::AbortedError("the notice changed five times while it was being stored; try again");
}

}  // namespace proctor::server
