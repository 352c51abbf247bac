// An independent relying party (openid-client, panva) against Portcullis: authorization
// code + PKCE + PAR + DPoP, then a refresh and UserInfo, all with the same DPoP key.
// Usage: node flow.mjs ISSUER CLIENT_ID REDIRECT_URI
// Prints {"authorize": URL} and reads the callback URL (the test signs the user in), then
// prints the results as one JSON line.
import * as client from 'openid-client'
import * as jose from 'jose'
import { createInterface } from 'node:readline'

const [issuer, clientId, redirectUri] = process.argv.slice(2)
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
const out = (value) => process.stdout.write(JSON.stringify(value) + '\n')

const config = await client.discovery(
  new URL(issuer),
  clientId,
  { id_token_signed_response_alg: 'ES256' },
  client.None(),
  { execute: [client.allowInsecureRequests] },
)
const keys = await client.randomDPoPKeyPair('ES256')
const DPoP = client.getDPoPHandle(config, keys)
const verifier = client.randomPKCECodeVerifier()
const state = client.randomState()
const nonce = client.randomNonce()
const url = await client.buildAuthorizationUrlWithPAR(
  config,
  {
    redirect_uri: redirectUri,
    scope: 'openid profile offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  },
  { DPoP },
)
out({ authorize: url.href })

const callback = (await lines.next()).value
const tokens = await client.authorizationCodeGrant(
  config,
  new URL(callback),
  { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true },
  undefined,
  { DPoP },
)
const claims = tokens.claims()
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP })
const userinfo = await client.fetchUserInfo(config, refreshed.access_token, claims.sub, { DPoP })
out({
  token_type: tokens.token_type,
  refreshed_token_type: refreshed.token_type,
  rotated: refreshed.refresh_token !== tokens.refresh_token,
  sub: claims.sub,
  userinfo,
  access_token: refreshed.access_token,
  jkt: await jose.calculateJwkThumbprint(await jose.exportJWK(keys.publicKey)),
})
process.exit(0)
