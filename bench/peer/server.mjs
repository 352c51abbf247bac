// node oidc-provider, configured as Portcullis is in bench/run: one confidential client
// using client_secret_basic for the client-credentials grant, JWT access tokens for one
// resource (RFC 8707), signed RS256 with a 2048-bit RSA key or ES256 with a P-256 key.
// Usage: node server.mjs PORT CLIENT_SECRET [RS256|ES256]
import { generateKeyPairSync } from "node:crypto";
import Provider from "oidc-provider";

const [port, secret, alg = "RS256"] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } =
  alg === "ES256"
    ? generateKeyPairSync("ec", { namedCurve: "P-256" })
    : generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: "jwk" }), kid: "bench", use: "sig", alg };
const resource = "https://api.bench.test";

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "bench",
      client_secret: secret,
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: alg,
    },
  ],
  jwks: { keys: [jwk] },
  scopes: ["bench.read"],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: "bench.read",
        audience: resource,
        accessTokenTTL: 600,
        accessTokenFormat: "jwt",
        jwt: { sign: { alg } },
      }),
    },
  },
});
provider.listen(Number(port), "127.0.0.1", () => console.log(`oidc-provider listening on ${issuer}`));
