# Portcullis — Deutsch (German). Dieselben Schlüssel wie en.ftl; Anrede mit „Sie“.
# Variablen: $client (Name einer Anwendung), $username, $email, $minutes, $count, $when,
# $name, $product, $url, $domains, $code.

## Gemeinsam
signed-in-as = Angemeldet als
button-allow = Zulassen
button-deny = Ablehnen
button-continue = Weiter
button-confirm = Bestätigen
button-save = Speichern
back-to-sign-in = Zurück zur Anmeldung
none-yet = Noch keine.
field-username = Benutzername
field-password = Passwort
field-email = E-Mail-Adresse
field-new-password = Neues Passwort
field-current-password = Aktuelles Passwort
link-dead = Dieser Link wurde bereits verwendet oder ist abgelaufen.
too-many-attempts = Zu viele fehlgeschlagene Versuche. Versuchen Sie es in { $count ->
    [one] einer Sekunde
   *[other] { $count } Sekunden
  } erneut.

## Anmeldung
sign-in-title = Anmelden
sign-in-to-continue = Weiter zu
sign-in-submit = Anmelden
sign-in-forgot = Passwort vergessen?
sign-in-no-account = Noch kein Konto?
sign-in-sign-up = Jetzt registrieren
sign-in-passkey = Mit Passkey anmelden
sign-in-username-too-long = Das ist kein Benutzername: höchstens { $max } Bytes, ohne Steuerzeichen.
sign-in-wrong = Der Benutzername oder das Passwort ist nicht korrekt.
sign-in-passkey-failed = Die Anmeldung mit diesem Passkey ist fehlgeschlagen. Versuchen Sie es erneut oder verwenden Sie Ihr Passwort.
sign-in-unavailable = Die Anmeldung ist derzeit nicht möglich. Bitte versuchen Sie es in Kürze erneut.

## Einwilligung
consent-title = Zugriff erlauben
consent-heading = Zugriff erlauben?
consent-asks = möchte:
scope-openid = Wissen, wer Sie sind (Ihre Konto-ID)
scope-profile = Ihren Namen und Benutzernamen sehen
scope-email = Ihre E-Mail-Adresse sehen
scope-address = Ihre Postanschrift sehen
scope-phone = Ihre Telefonnummer sehen
scope-offline-access = Auch in Ihrer Abwesenheit Zugriff behalten
scope-other = Die Berechtigung „{ $name }“ verwenden

## Zweiter Faktor
factor-title = Bestätigen Sie Ihre Identität
factor-step-up = { $client } erfordert eine stärkere Anmeldung.
factor-one-more = Nur noch ein Schritt, dann geht es weiter zu { $client }.
factor-use-passkey = Passkey verwenden
factor-totp-code = Code aus Ihrer Authenticator-App
factor-recovery-summary = Wiederherstellungscode verwenden
factor-recovery-code = Wiederherstellungscode
factor-recovery-submit = Diesen Wiederherstellungscode verwenden
factor-none = Keine Ihrer Anmeldemethoden erfüllt die Sicherheitsstufe, die diese Anwendung verlangt.
factor-wrong-code = Dieser Code ist nicht korrekt. Prüfen Sie die Uhrzeit Ihres Geräts und versuchen Sie es erneut.
factor-voided = Zu viele falsche Antworten für diese Anmeldung. Melden Sie sich erneut mit Ihrem Passwort an.
factor-passkey-refused = Der Passkey wurde nicht akzeptiert. Versuchen Sie es erneut.
factor-choose = Wählen Sie eine Anmeldemethode.
totp-title = Authenticator-App einrichten
totp-required = Ihre Organisation verlangt für jedes Konto einen zweiten Anmeldeschritt. Richten Sie ihn ein, um fortzufahren.
totp-scan = Scannen Sie diesen Code mit einer Authenticator-App oder geben Sie dort den folgenden Schlüssel ein.
totp-key = Schlüssel:
totp-code = Der 6-stellige Code, den die App gerade anzeigt
totp-already-title = Bereits eingerichtet
totp-already = Für dieses Konto ist bereits eine Authenticator-App eingerichtet. Entfernen Sie diese zuerst.
recovery-codes-title = Ihre Wiederherstellungscodes
recovery-codes-intro = Mit jedem Code können Sie sich einmal anmelden, falls Sie keinen Zugriff mehr auf Ihre anderen Anmeldemethoden haben. Bewahren Sie die Codes sicher auf: Sie werden nur jetzt angezeigt.
recovery-codes-back = Zurück zu Ihrem Konto
recovery-codes-continue = Weiter

## Geräteautorisierung
device-confirm-title = Gerät zulassen
device-confirm-heading = { $client } auf Ihrem Gerät zulassen?
device-confirm-check = Prüfen Sie, ob Ihr Gerät diesen Code anzeigt:
device-confirm-able = Die Anwendung darf dann:
device-entry-title = Gerät verbinden
device-entry-enter = Geben Sie den Code ein, den Ihr Gerät anzeigt.
device-entry-code = Code
device-code-invalid = Dieser Code ist ungültig oder abgelaufen. Überprüfen Sie Ihr Gerät.
device-start-again-title = Code ungültig
device-start-again = Kehren Sie zu Ihrem Gerät zurück und beginnen Sie von vorn.
device-undecided-title = Erlauben oder ablehnen
device-undecided = Es wurde keine Entscheidung getroffen. Gehen Sie zurück und treffen Sie erneut eine Auswahl.
device-expired-title = Code ungültig
device-expired = Dieser Code ist abgelaufen oder wurde bereits verwendet. Kehren Sie zu Ihrem Gerät zurück und beginnen Sie von vorn.
device-allowed-title = Gerät verbunden
device-allowed = Sie können zu Ihrem Gerät zurückkehren: Es fährt automatisch fort.
device-denied-title = Anfrage abgelehnt
device-denied = Das Gerät hat keinen Zugriff erhalten. Sie können diese Seite schließen.

## Abmeldung
logout-title = Abmelden
logout-heading = Abmelden?
logout-question = Möchten Sie sich von allen Anwendungen abmelden, die hier dieses Konto verwenden?
logged-out-title = Abgemeldet
logged-out-heading = Sie sind abgemeldet
logged-out-continue = Die Anwendung möchte Sie weiter zu { $host } schicken. Sie hat sich selbst bei diesem Server registriert; prüfen Sie, ob Sie dorthin wollten.
logged-out-continue-link = Weiter zu dieser Website
self-registered-notice = Diese Anwendung hat sich selbst registriert: Ihr Name ist ihre eigene Angabe und wurde vom Betreiber nicht geprüft. Nach diesem Schritt gelangen Sie zu { $host }.
self-registered-device-notice = Diese Anwendung hat sich selbst registriert: Ihr Name ist ihre eigene Angabe und wurde vom Betreiber nicht geprüft.
logged-out-close = Sie können dieses Fenster schließen.
logout-refused-title = Abmeldeanfrage abgelehnt
logout-expired = Dieses Abmeldeformular ist abgelaufen. Bitte versuchen Sie es erneut.

## Passwort vergessen und zurücksetzen
forgot-title = Passwort vergessen?
forgot-intro = Geben Sie die E-Mail-Adresse Ihres Kontos ein: Wir senden Ihnen einen Link, mit dem Sie ein neues Passwort festlegen können.
forgot-submit = Link senden
forgot-sent = Falls ein Konto mit dieser Adresse existiert, ist ein Link zum Festlegen eines neuen Passworts unterwegs. Er kann einmal verwendet werden und ist { $minutes ->
    [one] eine Minute
   *[other] { $minutes } Minuten
  } lang gültig.
forgot-invalid-email = Geben Sie eine E-Mail-Adresse ein.
reset-title = Passwort festlegen
reset-heading = Neues Passwort festlegen
reset-heading-invitation = Willkommen! Legen Sie Ihr Passwort fest
reset-submit = Neues Passwort speichern
reset-done = Ihr Passwort wurde festgelegt, und alle bisherigen Sitzungen wurden beendet.
reset-ask-again = Neuen Link anfordern.

## Registrierung
signup-title = Konto erstellen
signup-intro = Wir senden einen Link an Ihre E-Mail-Adresse: Ihr Konto wird erstellt, sobald Sie ihn öffnen.
signup-submit = Konto erstellen
signup-have-account = Sie haben bereits ein Konto?
signup-sent = Fast geschafft: Öffnen Sie den Link, den wir an { $email } gesendet haben, um den Vorgang abzuschließen. Er kann einmal verwendet werden und ist { $minutes ->
    [one] eine Minute
   *[other] { $minutes } Minuten
  } lang gültig.
signup-domain-refused = Konten können nur mit einer Adresse unter { $domains } erstellt werden.
signup-username-taken = Dieser Benutzername ist bereits vergeben. Wählen Sie einen anderen.
signup-confirm-title = Kontoerstellung abschließen
signup-confirm-intro = Das Konto { $username } für { $email } erstellen?
signup-confirm-submit = Mein Konto erstellen
signup-done-title = Ihr Konto ist bereit
signup-done = Ihr Konto { $username } ist bereit und seine E-Mail-Adresse ist bestätigt. Sie können sich jetzt anmelden.
signup-closed-title = Registrierung nicht möglich
signup-closed = Konten auf diesem Server werden von den Administratoren angelegt.

## Kontoseite
account-title = Ihr Konto
account-profile = Profil
account-display-name = Anzeigename (der Name, den Apps sehen)
account-email-verified = bestätigt
account-email-unverified = nicht bestätigt
account-email-label = Adresse (wird per Link bestätigt; eine neue Adresse gilt erst nach der Bestätigung)
account-email-send = Bestätigungslink senden
account-methods = Anmeldemethoden
account-totp = Authenticator-App
account-totp-on = Aktiv: Bei der Anmeldung wird ein Code aus Ihrer App abgefragt.
account-totp-off = Nicht aktiv.
account-totp-remove = Authenticator-App entfernen
account-totp-add = Authenticator-App hinzufügen
account-passkeys = Passkeys
account-passkey-name = Name
account-passkey-rename = Umbenennen
account-passkey-remove = „{ $name }“ entfernen
account-passkey-new-name = Name des neuen Passkeys
account-passkey-default-name = Passkey
account-passkey-add = Passkey hinzufügen
account-recovery = Wiederherstellungscodes
account-recovery-left = { $count ->
    [one] ein unbenutzter Code
   *[other] { $count } unbenutzte Codes
  }
account-recovery-generate = Neue Wiederherstellungscodes erzeugen
account-password-others-end = Wenn Sie das Passwort ändern, werden Ihre anderen Sitzungen beendet.
account-password-change = Passwort ändern
account-sessions = Wo Sie angemeldet sind
account-session-this = Dieser Browser
account-session-times = Angemeldet am { $when } ({ $name }).
account-session-last-seen = Zuletzt aktiv am { $when }.
account-session-end = Diese Sitzung abmelden
account-sessions-end-others = Alle anderen Sitzungen abmelden
account-apps = Verbundene Apps
account-apps-none = Keine: Keine App hat Ihre Einwilligung.
account-app-grant = darf { $name } verwenden (seit { $when }).
account-app-revoke = Zugriff von { $client } widerrufen
account-device-unknown = Unbekannter Browser
notice-totp-added = Ihre Authenticator-App ist eingerichtet.
notice-nothing-removed = Es wurde nichts entfernt.
notice-totp-removed = Die Authenticator-App wurde entfernt.
notice-passkey-removed = Der Passkey wurde entfernt.
notice-passkey-bad-name = Geben Sie dem Passkey einen Namen mit höchstens 64 Zeichen.
notice-passkey-added = Ihr Passkey wurde hinzugefügt.
notice-passkey-failed = Der Passkey konnte nicht hinzugefügt werden. Versuchen Sie es erneut.
notice-passkey-renamed = Der Passkey wurde umbenannt.
notice-nothing-renamed = Es wurde nichts umbenannt.
notice-sign-out-here = Um sich in diesem Browser abzumelden, verwenden Sie „Abmelden“.
notice-session-ended = Diese Sitzung wurde abgemeldet.
notice-session-gone = Diese Sitzung war bereits beendet.
notice-others-ended = { $count ->
    [one] Eine andere Sitzung wurde abgemeldet.
   *[other] { $count } andere Sitzungen wurden abgemeldet.
  }
notice-app-revoked = Der Zugriff der App wurde entfernt; sie muss erneut um Erlaubnis bitten.
notice-app-none = Diese App hatte keinen Zugriff.
notice-password-wrong = Das aktuelle Passwort ist nicht korrekt.
notice-password-changed = Passwort geändert; { $count ->
    [one] eine andere Sitzung wurde abgemeldet.
   *[other] { $count } andere Sitzungen wurden abgemeldet.
  }
notice-profile-saved = Profil gespeichert.
notice-email-already = Diese Adresse ist bereits bestätigt.
notice-email-sent = Ein Bestätigungslink wurde an { $email } gesendet.
email-verified-title = E-Mail-Adresse bestätigt
email-verified = Ihre Adresse { $email } ist bestätigt.
email-changed-title = E-Mail-Adresse geändert
email-changed = Ihre Adresse lautet jetzt { $email } und ist bestätigt.
email-link-dead-title = Dieser Link funktioniert nicht mehr
email-link-dead = Er wurde bereits verwendet, ist abgelaufen oder gilt für eine Adresse, die nicht mehr zu diesem Konto gehört.
email-confirm-title = E-Mail-Adresse bestätigen
email-confirm-intro = { $email } als Adresse Ihres Kontos bestätigen?
email-confirm-submit = Adresse bestätigen
account-back = Ihr Konto

## Fehlerseiten
error-not-found-title = Seite nicht gefunden
error-not-found = Unter dieser Adresse ist nichts vorhanden.
error-unavailable-title = Vorübergehend nicht verfügbar
error-unavailable = Der Dienst kann seine Datenbank nicht erreichen. Bitte versuchen Sie es in Kürze erneut.
error-unexpected-title = Etwas ist schiefgelaufen
error-unexpected = Der Server konnte diese Anfrage nicht abschließen.
error-cross-site-title = Anfrage abgelehnt
error-cross-site = Dieses Formular wurde von einer anderen Website gesendet. Beginnen Sie in der Anwendung von vorn.
error-form-title = Ungültiges Formular
error-form = Das Formular war unvollständig. Kehren Sie zur Anwendung zurück und beginnen Sie von vorn.
error-form-expired-title = Formular abgelaufen
error-form-expired = Dieses Anmeldeformular ist abgelaufen. Kehren Sie zur Anwendung zurück und beginnen Sie von vorn.
error-signed-out-title = Abgemeldet
error-too-large-title = Anfrage zu groß
error-too-large = Die Anfrage enthielt mehr Daten, als diese Seite annimmt.
error-invalid-title = Ungültige Anfrage
error-incomplete = Die Anfrage ist unvollständig angekommen. Bitte versuchen Sie es erneut.
error-no-client = Die Anfrage nennt keinen Client (client_id fehlt).
error-unknown-client-title = Unbekannte Anwendung
error-unknown-client = Die Anwendung, die Sie hierher weitergeleitet hat, ist nicht registriert.
error-redirect-title = Ungültige Weiterleitung
error-redirect-unregistered = Die Rücksprungadresse, die diese Anwendung angefordert hat, ist für sie nicht registriert.
error-redirect-missing = Die Anwendung hat nicht angegeben, wohin zurückgeleitet werden soll (redirect_uri fehlt).
error-state-too-long = Die Anfrage der Anwendung ist zu lang (ihr state-Parameter).
error-cannot-continue-title = Fortfahren nicht möglich
error-cannot-continue = Dieser Server darf Sie nicht an diese Adresse zurückleiten. Kehren Sie zur Anwendung zurück und versuchen Sie es erneut.
error-throttled-title = Zu viele Anfragen

## E-Mails
mail-link-once = Der Link kann einmal verwendet werden und ist { $minutes ->
    [one] eine Minute
   *[other] { $minutes } Minuten
  } lang gültig.
mail-verify-subject = Bestätigen Sie Ihre E-Mail-Adresse für { $product }
mail-verify-intro = Bitte bestätigen Sie, dass { $email } die Adresse von { $username } ist.
mail-verify-action = Adresse bestätigen
mail-verify-ignore = Wenn Sie dies nicht angefordert haben, ignorieren Sie diese Nachricht: Es ändert sich nichts.
mail-changed-subject = Ihre E-Mail-Adresse bei { $product } wurde geändert
mail-changed-intro = Die E-Mail-Adresse von { $username } wurde von dieser Adresse in { $email } geändert.
mail-changed-not-you = Wenn Sie das nicht waren, wenden Sie sich an Ihren Administrator: Möglicherweise kennt jemand Ihr Passwort.
mail-invite-subject = Sie wurden zu { $product } eingeladen
mail-invite-intro = Sie wurden als { $username } zu { $product } eingeladen.
mail-invite-action = Passwort festlegen
mail-invite-until = Der Link kann einmal verwendet werden und ist bis { $when } gültig.
mail-mfa-failures-subject = Ihr Passwort für { $product } wurde von jemandem benutzt, der den zweiten Schritt nicht bestand
mail-mfa-failures-intro = Das Passwort von { $username } wurde richtig eingegeben, danach schlug der zweite Schritt der Anmeldung (Code der Authenticator-App, Wiederherstellungscode oder Passkey) viele Male fehl. Wenn Sie das nicht waren, kennt jemand Ihr Passwort.
mail-mfa-failures-action = Passwort ändern
mail-mfa-failures-outro = Weitere Versuche des zweiten Schritts für Ihr Konto werden bis zu einer Stunde lang abgewiesen. Ihr Konto ist sicher, solange Ihr zweiter Faktor es ist.
mail-reset-subject = Passwort für { $product } zurücksetzen
mail-reset-intro = Jemand hat angefordert, das Passwort von { $username } zurückzusetzen.
mail-reset-action = Neues Passwort festlegen
mail-reset-ignore = Wenn Sie das nicht waren, ignorieren Sie diese Nachricht: Ihr Passwort bleibt unverändert.
mail-signup-subject = Schließen Sie die Erstellung Ihres Kontos bei { $product } ab
mail-signup-intro = Jemand hat angefordert, mit dieser Adresse das Konto { $username } bei { $product } zu erstellen.
mail-signup-action = Konto erstellen
mail-signup-ignore = Wenn Sie das nicht waren, ignorieren Sie diese Nachricht: Es wird kein Konto erstellt.
mail-signup-existing = Jemand hat angefordert, mit dieser Adresse ein Konto bei { $product } zu erstellen, doch für diese Adresse besteht bereits ein Konto. Falls Sie das Passwort vergessen haben, können Sie ein neues festlegen.
mail-signup-existing-action = Neues Passwort festlegen
mail-test-subject = { $product }: Testnachricht
mail-test-intro = Dies ist eine Testnachricht vom Server unter { $url }.
mail-test-works = Wenn Sie diese Nachricht lesen können, funktioniert der E-Mail-Versand: Bestätigungs-, Passwortrücksetzungs- und Einladungsnachrichten erreichen ihre Empfänger.
signup-invalid-username = Wählen Sie einen Benutzernamen mit 1 bis 64 Zeichen: Buchstaben a–z, Ziffern und . _ @ + -
password-too-short = Das Passwort ist zu kurz: Verwenden Sie mindestens { $count } Zeichen.
password-too-long = Das Passwort ist zu lang.
error-pushed-gone-title = Anfrage abgelaufen
error-pushed-gone = Diese Anmeldeanfrage ist abgelaufen oder wurde bereits verwendet. Kehren Sie zur Anwendung zurück und beginnen Sie von vorn.
factor-no-authenticator = Für dieses Konto ist keine Authenticator-App eingerichtet.
factor-enrolment-gone = Beginnen Sie die Einrichtung der Authenticator-App erneut.
factor-malformed = Geben Sie den 6-stelligen Code aus Ihrer Authenticator-App ein.
factor-replayed = Dieser Code wurde bereits verwendet. Warten Sie auf den nächsten.
factor-not-recovery-code = Das ist kein Wiederherstellungscode.
factor-recovery-unknown = Dieser Wiederherstellungscode ist ungültig oder wurde bereits verwendet.
account-device-label = { $name } unter { $device }
notice-name-invalid = Der Anzeigename muss aus 1 bis 200 druckbaren Zeichen bestehen.
sign-in-with = Mit { $name } anmelden
upstream-failed-title = Anmeldung nicht abgeschlossen
upstream-failed = Die Anmeldung mit { $name } wurde nicht abgeschlossen. Kehren Sie zur Anwendung zurück und versuchen Sie es erneut, oder melden Sie sich auf andere Weise an.
upstream-disabled = Dieses Konto ist deaktiviert.
account-links = Verknüpfte Anmeldungen
account-links-none = Keine: Sie melden sich direkt hier an.
account-link-item = verknüpft am { $when }, zuletzt verwendet am { $name }.
