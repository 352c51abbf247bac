// node oidc-provider, configured as Portcullis is in bench/run: one confidential client
// using client_secret_basic for the client-credentials grant, RS256 JWT access tokens for
// one resource (RFC 8707), a 2048-bit RSA key. Usage: node server.mjs PORT CLIENT_SECRET
import { generateKeyPairSync } from "node:crypto";
import Provider from "oidc-provider";

const [port, secret] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: "jwk" }), kid: "bench", use: "sig", alg: "RS256" };
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
        jwt: { sign: { alg: "RS256" } },
      }),
    },
  },
});
provider.listen(Number(port), "127.0.0.1", () => console.log(`oidc-provider listening on ${issuer}`));
