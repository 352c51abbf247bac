# Portcullis — français (French). Mêmes clés que en.ftl ; vouvoiement.
# Variables : $client (nom d’une application), $username, $email, $minutes, $count, $when,
# $name, $product, $url, $domains, $code.

## Commun
signed-in-as = Connecté en tant que
button-allow = Autoriser
button-deny = Refuser
button-continue = Continuer
button-confirm = Confirmer
button-save = Enregistrer
back-to-sign-in = Retour à la connexion
none-yet = Aucune pour l’instant.
field-username = Nom d’utilisateur
field-password = Mot de passe
field-email = Adresse e-mail
field-new-password = Nouveau mot de passe
field-current-password = Mot de passe actuel
link-dead = Ce lien a déjà été utilisé ou a expiré.
too-many-attempts = Trop de tentatives infructueuses. Réessayez dans { $count ->
    [one] { $count } seconde
   *[other] { $count } secondes
  }.

## Connexion
sign-in-title = Se connecter
sign-in-to-continue = pour accéder à
sign-in-submit = Se connecter
sign-in-forgot = Mot de passe oublié ?
sign-in-no-account = Pas encore de compte ?
sign-in-sign-up = Créez-en un
sign-in-passkey = Se connecter avec une clé d’accès
sign-in-username-too-long = Ce n’est pas un nom d’utilisateur : { $max } octets au plus, sans caractères de contrôle.
sign-in-wrong = Le nom d’utilisateur ou le mot de passe est incorrect.
sign-in-passkey-failed = Cette clé d’accès n’a pas permis de vous connecter. Réessayez ou utilisez votre mot de passe.
sign-in-unavailable = La connexion est momentanément indisponible. Veuillez réessayer dans quelques instants.

## Consentement
consent-title = Autoriser l’accès
consent-heading = Autoriser l’accès ?
consent-asks = souhaite :
scope-openid = Savoir qui vous êtes (l’identifiant de votre compte)
scope-profile = Voir votre nom et votre nom d’utilisateur
scope-email = Voir votre adresse e-mail
scope-address = Voir votre adresse postale
scope-phone = Voir votre numéro de téléphone
scope-offline-access = Conserver l’accès en votre absence
scope-other = Utiliser l’autorisation « { $name } »

## Second facteur
factor-title = Confirmez votre identité
factor-step-up = { $client } exige une connexion renforcée.
factor-one-more = Plus qu’une étape pour accéder à { $client }.
factor-use-passkey = Utiliser une clé d’accès
factor-totp-code = Code de votre application d’authentification
factor-recovery-summary = Utiliser un code de récupération
factor-recovery-code = Code de récupération
factor-recovery-submit = Utiliser ce code de récupération
factor-none = Aucune de vos méthodes de connexion n’atteint le niveau de sécurité exigé par cette application.
factor-wrong-code = Ce code est incorrect. Vérifiez l’heure de votre appareil et réessayez.
factor-voided = Trop de réponses erronées pour cette connexion. Reconnectez-vous avec votre mot de passe.
factor-passkey-refused = La clé d’accès n’a pas été acceptée. Réessayez.
factor-choose = Choisissez une méthode de connexion.
totp-title = Configurer une application d’authentification
totp-required = Votre organisation exige une seconde étape de connexion pour tous les comptes. Configurez-la pour continuer.
totp-scan = Scannez ce code avec une application d’authentification, ou saisissez-y la clé ci-dessous.
totp-key = Clé :
totp-code = Le code à 6 chiffres actuellement affiché par l’application
totp-already-title = Déjà configurée
totp-already = Une application d’authentification est déjà configurée pour ce compte. Supprimez-la d’abord.
recovery-codes-title = Vos codes de récupération
recovery-codes-intro = Chaque code vous permet de vous connecter une seule fois si vous perdez l’accès à vos autres méthodes de connexion. Conservez-les en lieu sûr : ils ne sont affichés qu’une seule fois.
recovery-codes-back = Retour à votre compte
recovery-codes-continue = Continuer

## Autorisation d’un appareil
device-confirm-title = Autoriser un appareil
device-confirm-heading = Autoriser { $client } sur votre appareil ?
device-confirm-check = Vérifiez que votre appareil affiche
device-confirm-able = L’application pourra :
device-entry-title = Connecter un appareil
device-entry-enter = Saisissez le code affiché par votre appareil.
device-entry-code = Code
device-code-invalid = Ce code n’est pas valide ou a expiré. Vérifiez votre appareil.
device-start-again-title = Code non valide
device-start-again = Retournez sur votre appareil et recommencez.
device-undecided-title = Autoriser ou refuser
device-undecided = Aucune décision n’a été prise. Revenez en arrière et faites votre choix.
device-expired-title = Code non valide
device-expired = Ce code a expiré ou a déjà été utilisé. Retournez sur votre appareil et recommencez.
device-allowed-title = Appareil connecté
device-allowed = Vous pouvez retourner sur votre appareil : il poursuivra automatiquement.
device-denied-title = Demande refusée
device-denied = L’appareil n’a pas obtenu l’accès. Vous pouvez fermer cette page.

## Déconnexion
logout-title = Se déconnecter
logout-heading = Se déconnecter ?
logout-question = Voulez-vous vous déconnecter de toutes les applications qui utilisent ce compte ici ?
logged-out-title = Déconnexion effectuée
logged-out-heading = Vous êtes déconnecté
logged-out-continue = L’application demande à vous envoyer vers { $host }. Elle s’est enregistrée elle-même auprès de ce serveur : vérifiez que c’est bien là que vous vouliez aller.
logged-out-continue-link = Continuer vers ce site
self-registered-notice = Cette application s’est enregistrée elle-même : son nom est sa propre description, non vérifiée par l’opérateur. Après cette étape, vous irez sur { $host }.
self-registered-device-notice = Cette application s’est enregistrée elle-même : son nom est sa propre description, non vérifiée par l’opérateur.
logged-out-close = Vous pouvez fermer cette fenêtre.
logout-refused-title = Demande de déconnexion refusée
logout-expired = Ce formulaire de déconnexion a expiré. Veuillez réessayer.

## Mot de passe oublié et réinitialisation
forgot-title = Mot de passe oublié ?
forgot-intro = Saisissez l’adresse e-mail de votre compte : nous vous enverrons un lien pour choisir un nouveau mot de passe.
forgot-submit = Envoyer le lien
forgot-sent = Si un compte utilise cette adresse, un lien pour choisir un nouveau mot de passe est en route. Il n’est utilisable qu’une fois, pendant { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
  }.
forgot-invalid-email = Saisissez une adresse e-mail.
reset-title = Choisir un mot de passe
reset-heading = Choisir un nouveau mot de passe
reset-heading-invitation = Bienvenue : choisissez votre mot de passe
reset-submit = Enregistrer le nouveau mot de passe
reset-done = Votre mot de passe est défini, et toutes vos sessions ouvertes ont été fermées.
reset-ask-again = Demander un nouveau lien.

## Inscription
signup-title = Créer un compte
signup-intro = Nous allons envoyer un lien à votre adresse e-mail : votre compte sera créé dès que vous l’ouvrirez.
signup-submit = Créer le compte
signup-have-account = Vous avez déjà un compte ?
signup-sent = Vous y êtes presque : ouvrez le lien que nous avons envoyé à { $email } pour terminer. Il n’est utilisable qu’une fois, pendant { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
  }.
signup-domain-refused = Les comptes ne peuvent être créés qu’avec une adresse { $domains }.
signup-username-taken = Ce nom d’utilisateur est déjà pris. Choisissez-en un autre.
signup-confirm-title = Finaliser la création de votre compte
signup-confirm-intro = Créer le compte { $username } pour { $email } ?
signup-confirm-submit = Créer mon compte
signup-done-title = Votre compte est prêt
signup-done = Votre compte { $username } est prêt et son adresse e-mail est vérifiée. Vous pouvez maintenant vous connecter.
signup-closed-title = Inscriptions fermées
signup-closed = Les comptes de ce serveur sont créés par ses administrateurs.

## Page du compte
account-title = Votre compte
account-profile = Profil
account-display-name = Nom affiché (le nom que voient les applications)
account-email-verified = vérifiée
account-email-unverified = non vérifiée
account-email-label = Adresse (un lien permet de la confirmer ; une nouvelle adresse ne s’applique qu’une fois confirmée)
account-email-send = Envoyer le lien de confirmation
account-methods = Méthodes de connexion
account-totp = Application d’authentification
account-totp-on = Activée : chaque connexion demande un code de votre application.
account-totp-off = Désactivée.
account-totp-remove = Supprimer l’application d’authentification
account-totp-add = Ajouter une application d’authentification
account-passkeys = Clés d’accès
account-passkey-name = Nom
account-passkey-rename = Renommer
account-passkey-remove = Supprimer « { $name } »
account-passkey-new-name = Nom de la nouvelle clé d’accès
account-passkey-default-name = Clé d’accès
account-passkey-add = Ajouter une clé d’accès
account-recovery = Codes de récupération
account-recovery-left = { $count ->
    [one] { $count } code inutilisé
   *[other] { $count } codes inutilisés
  }
account-recovery-generate = Générer de nouveaux codes de récupération
account-password-others-end = Vos autres sessions seront fermées lors du changement de mot de passe.
account-password-change = Changer le mot de passe
account-sessions = Où vous êtes connecté
account-session-this = Ce navigateur
account-session-times = Connexion le { $when } ({ $name }).
account-session-last-seen = Dernière activité le { $when }.
account-session-end = Déconnecter cette session
account-sessions-end-others = Déconnecter toutes les autres sessions
account-apps = Applications connectées
account-apps-none = Aucune : aucune application n’a obtenu votre consentement.
account-app-grant = peut utiliser { $name } (depuis le { $when }).
account-app-revoke = Révoquer l’accès de { $client }
account-device-unknown = Navigateur inconnu
notice-totp-added = Votre application d’authentification est configurée.
notice-nothing-removed = Rien n’a été supprimé.
notice-totp-removed = L’application d’authentification a été supprimée.
notice-passkey-removed = La clé d’accès a été supprimée.
notice-passkey-bad-name = Donnez à la clé d’accès un nom de 64 caractères au maximum.
notice-passkey-added = Votre clé d’accès a été ajoutée.
notice-passkey-failed = La clé d’accès n’a pas pu être ajoutée. Réessayez.
notice-passkey-renamed = La clé d’accès a été renommée.
notice-nothing-renamed = Rien n’a été renommé.
notice-sign-out-here = Pour vous déconnecter de ce navigateur, utilisez « Se déconnecter ».
notice-session-ended = Cette session a été déconnectée.
notice-session-gone = Cette session était déjà terminée.
notice-others-ended = { $count ->
    [one] { $count } autre session a été déconnectée.
   *[other] { $count } autres sessions ont été déconnectées.
  }
notice-app-revoked = L’accès de l’application a été révoqué ; elle devra vous redemander l’autorisation.
notice-app-none = Cette application n’avait aucun accès.
notice-password-wrong = Le mot de passe actuel est incorrect.
notice-password-changed = Mot de passe modifié ; { $count ->
    [one] { $count } autre session déconnectée.
   *[other] { $count } autres sessions déconnectées.
  }
notice-profile-saved = Profil enregistré.
notice-email-already = Cette adresse est déjà vérifiée.
notice-email-sent = Un lien de confirmation a été envoyé à { $email }.
email-verified-title = Adresse e-mail vérifiée
email-verified = Votre adresse { $email } est vérifiée.
email-changed-title = Adresse e-mail modifiée
email-changed = Votre adresse est désormais { $email }, et elle est vérifiée.
email-link-dead-title = Ce lien ne fonctionne plus
email-link-dead = Il a déjà été utilisé, a expiré, ou concerne une adresse qui n’est plus associée au compte.
email-confirm-title = Confirmer votre adresse e-mail
email-confirm-intro = Confirmer { $email } comme adresse de votre compte ?
email-confirm-submit = Confirmer l’adresse
account-back = Votre compte

## Pages d’erreur
error-not-found-title = Page introuvable
error-not-found = Il n’y a rien à cette adresse.
error-unavailable-title = Service temporairement indisponible
error-unavailable = Le service ne parvient pas à joindre sa base de données. Veuillez réessayer dans quelques instants.
error-unexpected-title = Une erreur s’est produite
error-unexpected = Le serveur n’a pas pu traiter cette requête.
error-cross-site-title = Requête refusée
error-cross-site = Ce formulaire a été envoyé depuis un autre site. Recommencez depuis l’application.
error-form-title = Formulaire non valide
error-form = Le formulaire était incomplet. Retournez dans l’application et recommencez.
error-form-expired-title = Formulaire expiré
error-form-expired = Ce formulaire de connexion a expiré. Retournez dans l’application et recommencez.
error-signed-out-title = Déconnexion effectuée
error-too-large-title = Requête trop volumineuse
error-too-large = La requête contenait plus de données que cette page n’en accepte.
error-invalid-title = Requête non valide
error-incomplete = La requête est arrivée incomplète. Veuillez réessayer.
error-no-client = La requête ne désigne aucun client (client_id manquant).
error-unknown-client-title = Application inconnue
error-unknown-client = L’application qui vous a redirigé ici n’est pas enregistrée.
error-redirect-title = Redirection non valide
error-redirect-unregistered = L’adresse de retour demandée par cette application n’est pas enregistrée pour elle.
error-redirect-missing = L’application n’a pas indiqué où revenir (redirect_uri manquant).
error-state-too-long = La requête de l’application est trop longue (son paramètre state).
error-cannot-continue-title = Impossible de continuer
error-cannot-continue = Ce serveur n’est pas autorisé à vous renvoyer vers cette adresse. Retournez dans l’application et réessayez.
error-throttled-title = Trop de requêtes

## E-mails
mail-link-once = Ce lien n’est utilisable qu’une fois, pendant { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
  }.
mail-verify-subject = Confirmez votre adresse e-mail pour { $product }
mail-verify-intro = Veuillez confirmer que { $email } est bien l’adresse de { $username }.
mail-verify-action = Confirmer l’adresse
mail-verify-ignore = Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : rien ne sera modifié.
mail-changed-subject = Votre adresse e-mail sur { $product } a été modifiée
mail-changed-intro = L’adresse e-mail de { $username } n’est plus celle-ci : elle a été remplacée par { $email }.
mail-changed-not-you = Si vous n’êtes pas à l’origine de ce changement, contactez votre administrateur : quelqu’un connaît peut-être votre mot de passe.
mail-invite-subject = Vous êtes invité à rejoindre { $product }
mail-invite-intro = Vous êtes invité à rejoindre { $product } en tant que { $username }.
mail-invite-action = Choisir votre mot de passe
mail-invite-until = Ce lien n’est utilisable qu’une fois, jusqu’au { $when }.
mail-mfa-failures-subject = Votre mot de passe { $product } a été utilisé par quelqu’un qui n’a pas réussi la deuxième étape
mail-mfa-failures-intro = Le mot de passe de { $username } a été saisi correctement, puis la deuxième étape de la connexion (code d’application d’authentification, code de récupération ou clé d’accès) a échoué de nombreuses fois. Si ce n’était pas vous, quelqu’un connaît votre mot de passe.
mail-mfa-failures-action = Changer de mot de passe
mail-mfa-failures-outro = Les tentatives suivantes de deuxième étape sur votre compte sont refusées pendant une heure au plus. Votre compte reste sûr tant que votre deuxième facteur l’est.
mail-reset-subject = Réinitialisez votre mot de passe pour { $product }
mail-reset-intro = Quelqu’un a demandé la réinitialisation du mot de passe de { $username }.
mail-reset-action = Choisir un nouveau mot de passe
mail-reset-ignore = Si ce n’était pas vous, ignorez ce message : votre mot de passe reste inchangé.
mail-signup-subject = Finalisez la création de votre compte sur { $product }
mail-signup-intro = Quelqu’un a demandé la création du compte { $username } sur { $product } avec cette adresse.
mail-signup-action = Créer le compte
mail-signup-ignore = Si ce n’était pas vous, ignorez ce message : aucun compte ne sera créé.
mail-signup-existing = Quelqu’un a demandé la création d’un compte sur { $product } avec cette adresse, qui en possède déjà un. Si vous avez oublié son mot de passe, vous pouvez en choisir un nouveau.
mail-signup-existing-action = Choisir un nouveau mot de passe
mail-test-subject = { $product } : message de test
mail-test-intro = Ceci est un message de test envoyé par le serveur { $url }.
mail-test-works = Si vous pouvez le lire, l’envoi des e-mails fonctionne : les messages de vérification, de réinitialisation de mot de passe et d’invitation parviendront à leurs destinataires.
signup-invalid-username = Choisissez un nom d’utilisateur de 1 à 64 caractères : lettres a–z, chiffres et . _ @ + -
password-too-short = Le mot de passe est trop court : utilisez au moins { $count } caractères.
password-too-long = Le mot de passe est trop long.
error-pushed-gone-title = Requête expirée
error-pushed-gone = Cette demande de connexion a expiré ou a déjà été utilisée. Retournez dans l’application et recommencez.
factor-no-authenticator = Aucune application d’authentification n’est configurée pour ce compte.
factor-enrolment-gone = Recommencez la configuration de l’application d’authentification.
factor-malformed = Saisissez le code à 6 chiffres de votre application d’authentification.
factor-replayed = Ce code a déjà été utilisé. Attendez le suivant.
factor-not-recovery-code = Ce n’est pas un code de récupération.
factor-recovery-unknown = Ce code de récupération n’est pas valide ou a déjà été utilisé.
account-device-label = { $name } sous { $device }
notice-name-invalid = Le nom d’affichage doit comporter de 1 à 200 caractères imprimables.
sign-in-with = Se connecter avec { $name }
upstream-failed-title = Connexion non aboutie
upstream-failed = La connexion avec { $name } n’a pas abouti. Revenez à l’application et réessayez, ou connectez-vous autrement.
upstream-disabled = Ce compte est désactivé.
account-links = Connexions liées
account-links-none = Aucune : vous vous connectez directement ici.
account-link-item = liée le { $when }, dernière utilisation le { $name }.
