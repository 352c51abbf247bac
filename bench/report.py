#!/usr/bin/env python3
"""Renders bench/run's raw JSON as the Markdown report quoted in the README."""
import json
import sys

doc = json.load(open(sys.argv[1]))
r = doc["results"]


def num(key):
    try:
        return float(r[key])
    except (KeyError, ValueError):
        return None


def fmt(v, digits=0):
    return "—" if v is None else f"{v:,.{digits}f}"


def ratio(a, b, digits=2):
    return "—" if a is None or not b else f"{a / b:.{digits}f}"


ceiling = num("ceiling.rs256")
argon = num("ceiling.argon2")
lines = [
    f"Run {doc['date']} · {doc['cores']} cores ({doc['cpu']}) · {doc['seconds']} s per load · "
    f"{doc['wrk']} · {doc['openssl']} · node {doc['node']}"
    + (f" · oidc-provider {r['peer.version']}" if "peer.version" in r else "")
    + (" · **smoke run**" if doc["smoke"] else ""),
    "",
    f"Ceilings on this machine: RS256-2048 **{fmt(ceiling)} signs/s** "
    f"(`openssl speed -multi {doc['cores']} rsa2048`), argon2id **{fmt(argon, 1)} hashes/s** "
    "(configured parameters, one thread per core).",
    "",
    "| measurement | SQLite | PostgreSQL | oidc-provider | SQLite ÷ ceiling | SQLite ÷ peer | target |",
    "|---|---|---|---|---|---|---|",
]
for c in (1, 16, 64):
    s, p, n = num(f"sqlite.cc{c}.rps"), num(f"postgres.cc{c}.rps"), num(f"peer.cc{c}.rps")
    lat = lambda k: "" if num(f"{k}.cc{c}.p50") is None else f" ({fmt(num(f'{k}.cc{c}.p50'), 2)}/{fmt(num(f'{k}.cc{c}.p99'), 2)} ms)"
    target = "≥ 0.85 of ceiling, ≥ 1.6× peer" if c == 64 else ""
    lines.append(
        f"| client_credentials tokens/s, c={c} (p50/p99) | {fmt(s)}{lat('sqlite')} | {fmt(p)}{lat('postgres')} "
        f"| {fmt(n)}{lat('peer')} | {ratio(s, ceiling)} | {ratio(s, n)} | {target} |"
    )
rs64, es64 = num("sqlite.cc64.rps"), num("sqlite.cc64_es256.rps")
es_pg, es_peer = num("postgres.cc64_es256.rps"), num("peer.cc64_es256.rps")
lines.append(
    f"| client_credentials tokens/s, c=64, ES256 access tokens | {fmt(es64)} | {fmt(es_pg)} | {fmt(es_peer)} (ES256) "
    f"| {ratio(es64, rs64)}× RS256 | {ratio(es64, es_peer)} | ≥ 20,000, ≥ 4× RS256, ≥ 3× peer |"
)
ed64 = num("sqlite.cc64_eddsa.rps")
lines.append(
    f"| client_credentials tokens/s, c=64, EdDSA access tokens | {fmt(ed64)} | {fmt(num('postgres.cc64_eddsa.rps'))} | — "
    f"| {ratio(ed64, rs64)}× RS256 | — | reported |"
)
dp = num("sqlite.cc64_dpop.rps")
lines.append(
    f"| DPoP-bound client_credentials tokens/s, c=64, ES256 (proof checked, jti recorded) | {fmt(dp)} "
    f"| {fmt(num('postgres.cc64_dpop.rps'))} | — | {ratio(dp, es64)} of ES256 bearer | — | reported |"
)
for kind in ("valid", "revoked"):
    s, p = num(f"sqlite.introspect_{kind}.rps"), num(f"postgres.introspect_{kind}.rps")
    lines.append(f"| introspection req/s ({kind} token) | {fmt(s)} | {fmt(p)} | — | — | — | ≥ 20,000 |")
for doc_name in ("jwks", "discovery"):
    s, p, n = num(f"sqlite.{doc_name}.rps"), num(f"postgres.{doc_name}.rps"), num(f"peer.{doc_name}.rps")
    lines.append(
        f"| {'JWKS' if doc_name == 'jwks' else 'discovery'} req/s | {fmt(s)} | {fmt(p)} | {fmt(n)} | — | {ratio(s, n, 1)} | ≥ 50,000, ≥ 5× peer |"
    )
s, p = num("sqlite.logins.rps"), num("postgres.logins.rps")
lines.append(
    f"| complete logins/s (authorize → sign-in → code → token) | {fmt(s, 1)} | {fmt(p, 1)} | — "
    f"| {ratio(s, argon)} of argon2 | — | ≥ 0.8 of argon2 ceiling |"
)
for key, label, target in (
    ("rss_idle_mb", "RSS idle, MB", "≤ 20"),
    ("rss_peak_mb", "RSS peak, MB", "≤ 80"),
    ("ready_ms", "start → /readyz 200, ms (restart)", "≤ 100 (SQLite)"),
    ("first_ready_ms", "start → /readyz 200, ms (first start: generates the first RSA key)", ""),
):
    lines.append(f"| {label} | {fmt(num('sqlite.' + key))} | {fmt(num('postgres.' + key))} | — | — | — | {target} |")
off_j, on_j = num("overhead.off.jwks.rps"), num("overhead.on.jwks.rps")
off_c, on_c = num("overhead.off.cc64.rps"), num("overhead.on.cc64.rps")
lines += [
    "",
    "Instrumentation overhead (SQLite, c=64; metrics listener off, then on and scraped every "
    "second; alternating runs, best of each):",
    "",
    "| load | metrics off | metrics on | on ÷ off | target |",
    "|---|---|---|---|---|",
    f"| JWKS req/s | {fmt(off_j)} | {fmt(on_j)} | {ratio(on_j, off_j, 3)} | ≥ 0.95 |",
    f"| client_credentials tokens/s | {fmt(off_c)} | {fmt(on_c)} | {ratio(on_c, off_c, 3)} | ≥ 0.95 |",
]
fa, plain, via = num("fa.direct.rps"), num("fa.nginx_plain.rps"), num("fa.nginx_auth.rps")
if fa is not None:
    def lat(k):
        p50, p99 = num(k + ".p50"), num(k + ".p99")
        return "—" if p50 is None else f"{p50:.2f}/{p99:.2f} ms"
    lines += [
        "",
        "Forward-auth (SQLite, c=64, a valid token; nginx with the README's configuration, "
        "`worker_processes` = cores, in front of a fixed answer):",
        "",
        "| load | req/s | p50/p99 | ratio | target |",
        "|---|---|---|---|---|",
        f"| `/forward-auth` decisions, straight at Portcullis | {fmt(fa)} | {lat('fa.direct')} | — | ≥ 50,000 |",
        f"| nginx proxying the upstream, no auth | {fmt(plain)} | {lat('fa.nginx_plain')} | — | |",
        f"| nginx + `auth_request` + Portcullis | {fmt(via)} | {lat('fa.nginx_auth')} | {ratio(via, plain)} of no auth | ≥ 0.5 |",
    ]
errors = sum(int(v) for k, v in r.items() if k.endswith(".err") and v not in ("", None))
lines += ["", f"HTTP errors across all loads: {errors}. wrk runs on the same cores as the server."]
print("\n".join(lines))
