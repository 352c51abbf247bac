// An independent client (openid-client, panva) completes the device authorization grant
// (RFC 8628) against Portcullis.
// Usage: node device.mjs ISSUER CLIENT_ID
// Prints {"user_code", "verification_uri", "interval"}; polls the token endpoint as the
// library does (waiting the interval, slowing down when told) while the test approves on
// /device; then prints the results as one JSON line.
import * as client from 'openid-client'

const [issuer, clientId] = process.argv.slice(2)
const out = (value) => process.stdout.write(JSON.stringify(value) + '\n')

const config = await client.discovery(
  new URL(issuer),
  clientId,
  undefined,
  client.None(),
  { execute: [client.allowInsecureRequests] },
)
const started = await client.initiateDeviceAuthorization(config, { scope: 'openid profile' })
out({
  user_code: started.user_code,
  verification_uri: started.verification_uri,
  interval: started.interval,
})
const tokens = await client.pollDeviceAuthorizationGrant(config, started)
out({
  token_type: tokens.token_type,
  access_token: tokens.access_token,
  sub: tokens.claims()?.sub,
})
