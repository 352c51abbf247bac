// An independent client library (openid-client, panva) registers itself with Portcullis
// (RFC 7591, with an initial access token), then completes the authorization code flow
// with the credentials it was given, and reads its registration back (RFC 7592).
// Usage: node register.mjs ISSUER INITIAL_ACCESS_TOKEN REDIRECT_URI
// Prints {"authorize": URL, "client_id", …} and reads the callback URL (the test signs the
// user in), then prints the results as one JSON line.
import * as client from 'openid-client'
import { createInterface } from 'node:readline'

const [issuer, initialAccessToken, redirectUri] = process.argv.slice(2)
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
const out = (value) => process.stdout.write(JSON.stringify(value) + '\n')

const config = await client.dynamicClientRegistration(
  new URL(issuer),
  {
    client_name: 'openid-client interop',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    // The library authenticates with client_secret_post unless told otherwise.
    token_endpoint_auth_method: 'client_secret_post',
    contacts: ['interop@example.org'],
  },
  undefined,
  { initialAccessToken, execute: [client.allowInsecureRequests] },
)
const registered = config.clientMetadata()
const verifier = client.randomPKCECodeVerifier()
const state = client.randomState()
const nonce = client.randomNonce()
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: 'openid profile',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
  nonce,
})
out({
  authorize: url.href,
  client_id: registered.client_id,
  has_secret: typeof registered.client_secret === 'string',
  registration_access_token: registered.registration_access_token,
  registration_client_uri: registered.registration_client_uri,
})

const callback = (await lines.next()).value
const tokens = await client.authorizationCodeGrant(
  config,
  new URL(callback),
  { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true },
)
// RFC 7592 §2.1: read the registration back with the registration access token.
const read = await client.fetchProtectedResource(
  config,
  registered.registration_access_token,
  new URL(registered.registration_client_uri),
  'GET',
)
out({
  token_type: tokens.token_type,
  sub: tokens.claims().sub,
  aud: tokens.claims().aud,
  read_status: read.status,
  read: await read.json(),
})
process.exit(0)
