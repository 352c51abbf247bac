# Portcullis — English (the reference catalogue: every other language has exactly these keys).
# Variables: $client (an application's name), $username, $email, $minutes, $count, $when,
# $name, $product, $url, $domains, $code.

## Shared
signed-in-as = Signed in as
button-allow = Allow
button-deny = Deny
button-continue = Continue
button-confirm = Confirm
button-save = Save
back-to-sign-in = Back to sign-in
none-yet = None yet.
field-username = Username
field-password = Password
field-email = Email address
field-new-password = New password
field-current-password = Current password
link-dead = This link has already been used or has expired.
too-many-attempts = Too many failed attempts. Try again in { $count ->
    [one] one second
   *[other] { $count } seconds
  }.

## Sign-in
sign-in-title = Sign in
sign-in-to-continue = to continue to
sign-in-submit = Sign in
sign-in-forgot = Forgot your password?
sign-in-no-account = No account yet?
sign-in-sign-up = Create one
sign-in-passkey = Sign in with a passkey
sign-in-username-too-long = That is not a username: at most { $max } bytes, without control characters.
sign-in-wrong = The username or password is not correct.
sign-in-passkey-failed = That passkey did not sign you in. Try again, or use your password.
sign-in-unavailable = Sign-in is unavailable right now. Please try again shortly.

## Consent
consent-title = Allow access
consent-heading = Allow access?
consent-asks = asks to:
scope-openid = Know who you are (your account identifier)
scope-profile = See your name and username
scope-email = See your email address
scope-address = See your postal address
scope-phone = See your phone number
scope-offline-access = Stay signed in to it while you are away
scope-other = Use the permission “{ $name }”

## Second factor
factor-title = Confirm it’s you
factor-step-up = { $client } asks for a stronger sign-in.
factor-one-more = One more step to continue to { $client }.
factor-use-passkey = Use a passkey
factor-totp-code = Code from your authenticator app
factor-recovery-summary = Use a recovery code
factor-recovery-code = Recovery code
factor-recovery-submit = Use this recovery code
factor-none = None of your sign-in methods can reach the level this application asks for.
factor-wrong-code = That code is not correct. Check the time on your device and try again.
factor-voided = Too many wrong answers for this sign-in. Sign in again with your password.
factor-passkey-refused = The passkey was not accepted. Try again.
factor-choose = Choose a sign-in method.
totp-title = Set up an authenticator app
totp-required = Your organisation asks every account for a second sign-in step. Set one up to continue.
totp-scan = Scan this code with an authenticator app, or type the key below into it.
totp-key = Key:
totp-code = The 6-digit code the app shows now
totp-already-title = Already set up
totp-already = An authenticator app is already set up for this account. Remove it first.
recovery-codes-title = Your recovery codes
recovery-codes-intro = Each code signs you in once if you lose your other sign-in methods. Keep them somewhere safe: they are shown only now.
recovery-codes-back = Back to your account
recovery-codes-continue = Continue

## Device grant
device-confirm-title = Allow a device
device-confirm-heading = Allow { $client } on your device?
device-confirm-check = Check that your device shows
device-confirm-able = It will be able to:
device-entry-title = Connect a device
device-entry-enter = Enter the code your device shows.
device-entry-code = Code
device-code-invalid = That code is not valid or has expired. Check your device.
device-start-again-title = Code not valid
device-start-again = Go back to your device and start again.
device-undecided-title = Choose allow or deny
device-undecided = Nothing was decided. Go back and choose again.
device-expired-title = Code not valid
device-expired = This code has expired or was already used. Go back to your device and start again.
device-allowed-title = Device connected
device-allowed = You can return to your device: it continues on its own.
device-denied-title = Request denied
device-denied = The device was not given access. You can close this page.

## Sign-out
logout-title = Sign out
logout-heading = Sign out?
logout-question = Do you want to sign out of all applications that use this account here?
logged-out-title = Signed out
logged-out-heading = You are signed out
logged-out-continue = The application asks to send you on to { $host }. It registered itself with this server, so check that this is where you meant to go.
logged-out-continue-link = Continue to that site
self-registered-notice = This application registered itself: its name is its own description, not checked by the operator. After this step you go to { $host }.
self-registered-device-notice = This application registered itself: its name is its own description, not checked by the operator.
logged-out-close = You can close this window.
logout-refused-title = Sign-out request refused
logout-expired = This sign-out form has expired. Please try again.

## Forgot password and reset
forgot-title = Forgot your password?
forgot-intro = Enter the email address of your account: we will send a link to choose a new password.
forgot-submit = Send the link
forgot-sent = If an account has this address, a link to choose a new password is on its way. It works once, for { $minutes ->
    [one] one minute
   *[other] { $minutes } minutes
  }.
forgot-invalid-email = Enter an email address.
reset-title = Choose a password
reset-heading = Choose a new password
reset-heading-invitation = Welcome: choose your password
reset-submit = Save the new password
reset-done = Your password is set, and any session you had has ended.
reset-ask-again = Ask for a new one.

## Sign-up
signup-title = Create an account
signup-intro = We will send a link to your email address: your account exists once you open it.
signup-submit = Create the account
signup-have-account = Already have an account?
signup-sent = Almost there: open the link we sent to { $email } to finish. It works once, for { $minutes ->
    [one] one minute
   *[other] { $minutes } minutes
  }.
signup-domain-refused = Accounts can only be created with an address at { $domains }.
signup-username-taken = That username is taken. Choose another.
signup-confirm-title = Finish creating your account
signup-confirm-intro = Create the account { $username } for { $email }?
signup-confirm-submit = Create my account
signup-done-title = Your account is ready
signup-done = Your account { $username } is ready and its email address is verified. You can sign in now.
signup-closed-title = Sign-up is closed
signup-closed = Accounts on this server are created by its administrators.

## Account page
account-title = Your account
account-profile = Profile
account-display-name = Display name (the name apps see)
account-email-verified = verified
account-email-unverified = not verified
account-email-label = Address (a link confirms it; a new one takes effect when confirmed)
account-email-send = Send the confirmation link
account-methods = Sign-in methods
account-totp = Authenticator app
account-totp-on = On: sign-ins ask for a code from your app.
account-totp-off = Off.
account-totp-remove = Remove the authenticator app
account-totp-add = Add an authenticator app
account-passkeys = Passkeys
account-passkey-name = Name
account-passkey-rename = Rename
account-passkey-remove = Remove “{ $name }”
account-passkey-new-name = Name of the new passkey
account-passkey-default-name = Passkey
account-passkey-add = Add a passkey
account-recovery = Recovery codes
account-recovery-left = { $count ->
    [one] one unused
   *[other] { $count } unused
  }
account-recovery-generate = Generate new recovery codes
account-password-others-end = Your other sessions end when the password changes.
account-password-change = Change the password
account-sessions = Where you are signed in
account-session-this = This browser
account-session-times = Signed in { $when } ({ $name }).
account-session-last-seen = Last seen { $when }.
account-session-end = Sign this one out
account-sessions-end-others = Sign out everywhere else
account-apps = Connected apps
account-apps-none = None: no app has your consent.
account-app-grant = may use { $name } (since { $when }).
account-app-revoke = Remove access for { $client }
account-device-unknown = Unknown browser
notice-totp-added = Your authenticator app is set up.
notice-nothing-removed = Nothing was removed.
notice-totp-removed = The authenticator app was removed.
notice-passkey-removed = The passkey was removed.
notice-passkey-bad-name = Give the passkey a name of up to 64 characters.
notice-passkey-added = Your passkey was added.
notice-passkey-failed = The passkey could not be added. Try again.
notice-passkey-renamed = The passkey was renamed.
notice-nothing-renamed = Nothing was renamed.
notice-sign-out-here = To sign out of this browser, use Sign out.
notice-session-ended = That session is signed out.
notice-session-gone = That session had already ended.
notice-others-ended = { $count ->
    [one] One other session was signed out.
   *[other] { $count } other sessions were signed out.
  }
notice-app-revoked = The app’s access is removed; it must ask again.
notice-app-none = That app had no access.
notice-password-wrong = The current password is not correct.
notice-password-changed = Password changed; { $count ->
    [one] one other session signed out.
   *[other] { $count } other sessions signed out.
  }
notice-profile-saved = Profile saved.
notice-email-already = That address is already verified.
notice-email-sent = A link is on its way to { $email }; the address counts once you open it.
email-verified-title = Email address verified
email-verified = Your address { $email } is verified.
email-changed-title = Email address changed
email-changed = Your address is now { $email }, verified.
email-link-dead-title = This link no longer works
email-link-dead = It has already been used, has expired, or is for an address the account no longer has.
email-confirm-title = Confirm your email address
email-confirm-intro = Confirm { $email } as the address of your account?
email-confirm-submit = Confirm the address
account-back = Your account

## Error pages
error-not-found-title = Page not found
error-not-found = There is nothing at this address.
error-unavailable-title = Temporarily unavailable
error-unavailable = The service cannot reach its database. Please try again shortly.
error-unexpected-title = Something went wrong
error-unexpected = The server could not complete this request.
error-cross-site-title = Request refused
error-cross-site = This form was sent from another site. Start again from the application.
error-form-title = Invalid form
error-form = The form was incomplete. Go back to the application and start again.
error-form-expired-title = Form expired
error-form-expired = This sign-in form has expired. Go back to the application and start again.
error-signed-out-title = Signed out
error-too-large-title = Request too large
error-too-large = The request carried more data than this page accepts.
error-invalid-title = Invalid request
error-incomplete = The request arrived incomplete. Please try again.
error-no-client = The request does not name a client (client_id is missing).
error-unknown-client-title = Unknown application
error-unknown-client = The application that sent you here is not registered.
error-redirect-title = Invalid redirect
error-redirect-unregistered = The address this application asked to return to is not registered for it.
error-redirect-missing = The application did not say where to return to (redirect_uri is missing).
error-state-too-long = The application’s request is too long (its state parameter).
error-cannot-continue-title = Cannot continue
error-cannot-continue = This server may not send you back to that address. Go back to the application and try again.
error-throttled-title = Too many requests

## Mail
mail-link-once = The link works once, for { $minutes ->
    [one] one minute
   *[other] { $minutes } minutes
  }.
mail-verify-subject = Confirm your email address for { $product }
mail-verify-intro = Please confirm that { $email } is the address of { $username }.
mail-verify-action = Confirm the address
mail-verify-ignore = If you did not ask for this, ignore this message: nothing changes.
mail-changed-subject = Your email address at { $product } was changed
mail-changed-intro = The email address of { $username } was changed from this address to { $email }.
mail-changed-not-you = If you did not do this, contact your administrator: someone may have your password.
mail-invite-subject = You are invited to { $product }
mail-invite-intro = You are invited to { $product } as { $username }.
mail-invite-action = Choose your password
mail-invite-until = The link works once, until { $when }.
mail-mfa-failures-subject = Your { $product } password was used by someone who could not pass the second step
mail-mfa-failures-intro = The password of { $username } was entered correctly, then the second step of the sign-in (authenticator code, recovery code or passkey) failed many times. If this was not you, someone knows your password.
mail-mfa-failures-action = Change your password
mail-mfa-failures-outro = Further second-step attempts on your account are refused for up to an hour. Your account is safe as long as your second factor is.
mail-reset-subject = Reset your password for { $product }
mail-reset-intro = Someone asked to reset the password of { $username }.
mail-reset-action = Choose a new password
mail-reset-ignore = If it was not you, ignore this message: your password stays as it is.
mail-signup-subject = Finish creating your account at { $product }
mail-signup-intro = Someone asked to create the account { $username } at { $product } with this address.
mail-signup-action = Create the account
mail-signup-ignore = If it was not you, ignore this message: no account is created.
mail-signup-existing = Someone asked to create an account at { $product } with this address, which already has one. If you forgot its password, you can choose a new one.
mail-signup-existing-action = Choose a new password
mail-test-subject = { $product }: test message
mail-test-intro = This is a test message from the server at { $url }.
mail-test-works = If you can read it, outgoing mail works: verification, password reset and invitation messages will reach people.
signup-invalid-username = Choose a username of 1 to 64 characters: letters a–z, digits and . _ @ + -
password-too-short = The password is too short: use at least { $count } characters.
password-too-long = The password is too long.
error-pushed-gone-title = Request expired
error-pushed-gone = This sign-in request has expired or was already used. Go back to the application and start again.
factor-no-authenticator = No authenticator app is set up for this account.
factor-enrolment-gone = Start setting up the authenticator app again.
factor-malformed = Enter the 6-digit code from your authenticator app.
factor-replayed = That code was already used. Wait for the next one.
factor-not-recovery-code = That is not a recovery code.
factor-recovery-unknown = That recovery code is not valid or was already used.
account-device-label = { $name } on { $device }
notice-name-invalid = The display name must be 1 to 200 printable characters.
sign-in-with = Sign in with { $name }
upstream-failed-title = Sign-in did not complete
upstream-failed = The sign-in with { $name } did not complete. Go back to the application and try again, or sign in another way.
upstream-disabled = This account is disabled.
account-links = Linked sign-ins
account-links-none = None: you sign in here directly.
account-link-item = linked { $when }, last used { $name }.
