// usage: node check-status.mjs <access_token> <jwks_url>
// Reads the token's status reference, fetches the Status List Token, verifies it (RS256
// signature against the JWKS, typ statuslist+jwt, sub equal to the reference's uri, exp)
// and prints the token's status as JSON. No Portcullis code is involved.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { getStatusListFromJWT, getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';

const [token, jwksUrl] = process.argv.slice(2);
const { idx, uri } = getStatusListFromJWT(token);
const res = await fetch(uri, { headers: { Accept: 'application/statuslist+jwt' } });
if (!res.ok) throw new Error(`GET ${uri} -> HTTP ${res.status}`);
if (res.headers.get('content-type') !== 'application/statuslist+jwt') {
  throw new Error(`unexpected content type ${res.headers.get('content-type')}`);
}
const list = (await res.text()).trim();
const { payload } = await jwtVerify(list, createRemoteJWKSet(new URL(jwksUrl)), {
  typ: 'statuslist+jwt',
  algorithms: ['RS256'],
  subject: uri,
});
const status = getListFromStatusListJWT(list).getStatus(idx);
console.log(JSON.stringify({ idx, uri, status, ttl: payload.ttl }));
