// The demo single-page app (served only by `portcullis serve --demo`): authorization code
// with PKCE (RFC 7636) from the browser, then the tokens decoded, UserInfo, a refresh and
// RP-initiated logout. Tokens live in sessionStorage: a demo, not a pattern for real apps.
(() => {
  "use strict";
  const root = document.getElementById("demo");
  const cfg = JSON.parse(document.getElementById("demo-config").textContent);
  const b64url = (bytes) =>
    btoa(String.fromCharCode(...new Uint8Array(bytes)))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));
  const fromB64url = (s) => {
    const b = atob(s.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(s.length / 4) * 4, "="));
    return new TextDecoder().decode(Uint8Array.from(b, (c) => c.charCodeAt(0)));
  };
  const decode = (jwt) => {
    const [h, p] = jwt.split(".");
    return { header: JSON.parse(fromB64url(h)), claims: JSON.parse(fromB64url(p)) };
  };
  const show = (id, value) => {
    const el = document.getElementById(id);
    el.textContent = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  };
  const fail = (message) => {
    const el = document.getElementById("demo-error");
    el.textContent = message;
    el.hidden = false;
  };

  async function start() {
    const verifier = random(32);
    const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
    const state = random(16);
    const nonce = random(16);
    sessionStorage.setItem("demo-request", JSON.stringify({ verifier, state, nonce }));
    const q = new URLSearchParams({
      response_type: "code", client_id: cfg.client_id, redirect_uri: cfg.redirect_uri,
      scope: cfg.scope, state, nonce, code_challenge: challenge, code_challenge_method: "S256",
    });
    location.assign("/authorize?" + q);
  }

  async function token(params) {
    const res = await fetch("/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(params),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(`${body.error}: ${body.error_description || ""}`);
    return body;
  }

  function render(tokens) {
    const id = decode(tokens.id_token);
    const at = decode(tokens.access_token);
    show("id-token-sub", id.claims.sub);
    show("id-token-header", id.header);
    show("id-token-claims", id.claims);
    show("access-token-header", at.header);
    show("access-token-claims", at.claims);
    show("access-token-expiry", new Date(at.claims.exp * 1000).toISOString());
    show("refresh-token", tokens.refresh_token ? "present (rotated at each refresh)" : "none");
    document.getElementById("demo-result").hidden = false;
  }

  async function userinfo(tokens) {
    const res = await fetch("/userinfo", { headers: { Authorization: "Bearer " + tokens.access_token } });
    show("userinfo", await res.json());
  }

  async function callback() {
    const q = new URLSearchParams(location.search);
    let tokens = JSON.parse(sessionStorage.getItem("demo-tokens") || "null");
    if (q.get("error")) {
      fail(`${q.get("error")}: ${q.get("error_description") || ""}`);
      return;
    }
    if (q.get("code")) {
      const sent = JSON.parse(sessionStorage.getItem("demo-request") || "null");
      sessionStorage.removeItem("demo-request");
      if (!sent || sent.state !== q.get("state")) {
        fail("The state does not match the request this browser sent: start again from /demo.");
        return;
      }
      tokens = await token({
        grant_type: "authorization_code", code: q.get("code"), redirect_uri: cfg.redirect_uri,
        client_id: cfg.client_id, code_verifier: sent.verifier,
      });
      if (decode(tokens.id_token).claims.nonce !== sent.nonce) {
        fail("The ID token's nonce is not the one this browser sent.");
        return;
      }
      sessionStorage.setItem("demo-tokens", JSON.stringify(tokens));
      history.replaceState(null, "", location.pathname);
    }
    if (!tokens) {
      fail("No tokens yet: start at /demo.");
      return;
    }
    render(tokens);
    await userinfo(tokens);
    document.getElementById("demo-refresh").addEventListener("click", async () => {
      try {
        const current = JSON.parse(sessionStorage.getItem("demo-tokens"));
        const next = await token({
          grant_type: "refresh_token", refresh_token: current.refresh_token, client_id: cfg.client_id,
        });
        next.id_token = next.id_token || current.id_token;
        sessionStorage.setItem("demo-tokens", JSON.stringify(next));
        render(next);
        await userinfo(next);
        show("demo-status", "Refreshed at " + new Date().toISOString());
      } catch (e) {
        fail(e.message);
      }
    });
    document.getElementById("demo-userinfo").addEventListener("click", async () => {
      await userinfo(JSON.parse(sessionStorage.getItem("demo-tokens")));
      show("demo-status", "UserInfo read at " + new Date().toISOString());
    });
    document.getElementById("demo-logout").addEventListener("click", () => {
      const current = JSON.parse(sessionStorage.getItem("demo-tokens"));
      sessionStorage.removeItem("demo-tokens");
      location.assign("/logout?" + new URLSearchParams({
        id_token_hint: current.id_token, client_id: cfg.client_id,
        post_logout_redirect_uri: cfg.post_logout_redirect_uri,
      }));
    });
  }

  if (root.dataset.page === "start") {
    document.getElementById("demo-sign-in").addEventListener("click", () => start().catch((e) => fail(e.message)));
  } else {
    callback().catch((e) => fail(e.message));
  }
})();
