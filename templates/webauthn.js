(function () {
  "use strict";
  var b64 = function (buf) {
    var s = "", bytes = new Uint8Array(buf);
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  var unb64 = function (text) {
    var s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out.buffer;
  };
  var creationOptions = function (o) {
    var pk = o.publicKey;
    pk.challenge = unb64(pk.challenge);
    pk.user.id = unb64(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = unb64(c.id); });
    return { publicKey: pk };
  };
  var requestOptions = function (o) {
    var pk = o.publicKey;
    pk.challenge = unb64(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = unb64(c.id); });
    return { publicKey: pk };
  };
  var encode = function (cred) {
    var r = cred.response, response = { clientDataJSON: b64(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = b64(r.attestationObject);
      if (r.getTransports) response.transports = r.getTransports();
    } else {
      response.authenticatorData = b64(r.authenticatorData);
      response.signature = b64(r.signature);
      response.userHandle = r.userHandle ? b64(r.userHandle) : null;
    }
    return JSON.stringify({
      id: cred.id, rawId: b64(cred.rawId), type: cred.type, response: response,
      extensions: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
    });
  };
  document.querySelectorAll("[data-webauthn]").forEach(function (button) {
    var form = document.getElementById(button.getAttribute("data-form"));
    var options = document.getElementById(button.getAttribute("data-options"));
    if (!form || !options || !window.PublicKeyCredential) { button.hidden = true; return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var o = JSON.parse(options.textContent);
      var call = button.getAttribute("data-webauthn") === "create"
        ? navigator.credentials.create(creationOptions(o))
        : navigator.credentials.get(requestOptions(o));
      call.then(function (cred) {
        form.querySelector("input[name=credential]").value = encode(cred);
        form.submit();
      }).catch(function (e) {
        var note = document.getElementById("webauthn-error");
        if (note) { note.hidden = false; note.textContent = "The passkey was not used: " + e.message; }
      });
    });
  });
})();
