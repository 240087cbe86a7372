; The learner's installer: proctor-client-setup-VERSION.exe (NSIS, Debian's makensis).
; Built by scripts/build-windows.sh: makensis -DVERSION=... -DSTAGE=DIR -DOUTFILE=FILE this.nsi,
; where STAGE holds what the portable zip holds (proctor-client.exe, models\, locale\, the notes).
;
; Per-user, without administrator rights (a school PC's learner account has none): installs into
; %LOCALAPPDATA%\Programs\proctor, adds Start-menu entries, registers the proctor:// links the
; LMS's attempt page opens (HKCU\Software\Classes\proctor) and an entry in "Apps & features".
; The uninstaller removes all of that and leaves the journal (%LOCALAPPDATA%\proctor): it may
; hold events not yet delivered, and the client sends them the next time it runs.
; x64 like the client it installs (Debian's nsis has the amd64 stubs): runs under wine64 too.
Target amd64-unicode
SetCompressor /SOLID lzma
RequestExecutionLevel user
!include "MUI2.nsh"
!include "LogicLib.nsh"

!ifndef VERSION
  !error "makensis -DVERSION=X.Y.Z -DSTAGE=DIR -DOUTFILE=FILE proctor-client.nsi"
!endif

Name "Proctor"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\proctor"
InstallDirRegKey HKCU "Software\proctor" "InstallDir"
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=0 "ProductName" "Proctor"
VIAddVersionKey /LANG=0 "FileDescription" "Proctor exam client installer"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "LegalCopyright" "proctor contributors"

!define MUI_ABORTWARNING
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "Russian"
!insertmacro MUI_LANGUAGE "English"

LangString CheckLink ${LANG_RUSSIAN} "Proctor — проверить компьютер"
LangString CheckLink ${LANG_ENGLISH} "Proctor - check this computer"
LangString ShellLink ${LANG_RUSSIAN} "Proctor — командная строка"
LangString ShellLink ${LANG_ENGLISH} "Proctor - command prompt"
LangString UninstallLink ${LANG_RUSSIAN} "Удалить Proctor"
LangString UninstallLink ${LANG_ENGLISH} "Uninstall Proctor"

Function .onInit
  ; The installer speaks the desktop's language: Russian on a Russian Windows, else English.
  System::Call 'kernel32::GetUserDefaultUILanguage() i .r0'
  IntOp $0 $0 & 0x3FF
  ${If} $0 = 0x19
    StrCpy $LANGUAGE ${LANG_RUSSIAN}
  ${Else}
    StrCpy $LANGUAGE ${LANG_ENGLISH}
  ${EndIf}
FunctionEnd

Section "Proctor" SecMain
  SetOutPath "$INSTDIR"
  File /r "${STAGE}\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKCU "Software\proctor" "InstallDir" "$INSTDIR"

  ; proctor://start?... links from the LMS's attempt page (proctor-client open LINK).
  WriteRegStr HKCU "Software\Classes\proctor" "" "URL:Proctor exam link"
  WriteRegStr HKCU "Software\Classes\proctor" "URL Protocol" ""
  WriteRegStr HKCU "Software\Classes\proctor\DefaultIcon" "" "$INSTDIR\proctor-client.exe,0"
  WriteRegStr HKCU "Software\Classes\proctor\shell\open\command" "" '"$INSTDIR\proctor-client.exe" open "%1"'

  CreateDirectory "$SMPROGRAMS\Proctor"
  CreateShortCut "$SMPROGRAMS\Proctor\$(CheckLink).lnk" "$SYSDIR\cmd.exe" '/k ""$INSTDIR\proctor-client.exe" check"' "$INSTDIR\proctor-client.exe"
  CreateShortCut "$SMPROGRAMS\Proctor\$(ShellLink).lnk" "$SYSDIR\cmd.exe" '/k "cd /d "$INSTDIR" && proctor-client.exe --help"' "$INSTDIR\proctor-client.exe"
  CreateShortCut "$SMPROGRAMS\Proctor\$(UninstallLink).lnk" "$INSTDIR\uninstall.exe"

  !define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\proctor"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "Proctor"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "proctor contributors"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\proctor-client.exe,0"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  ; What the installer put there, by name: a learner's own files in the folder stay.
  Delete "$INSTDIR\proctor-client.exe"
  Delete "$INSTDIR\zlib1.dll"
  Delete "$INSTDIR\README-windows.txt"
  Delete "$INSTDIR\LICENSE.txt"
  RMDir /r "$INSTDIR\models"
  RMDir /r "$INSTDIR\locale"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  RMDir /r "$SMPROGRAMS\Proctor"
  DeleteRegKey HKCU "Software\Classes\proctor"
  DeleteRegKey HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\proctor"
  DeleteRegKey HKCU "Software\proctor"
SectionEnd
