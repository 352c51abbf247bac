// node oidc-provider (panva) as an upstream OpenID provider for Portcullis's federation
// tests: one confidential client (ours), dev interactions (any login, any password), and
// back-channel logout. Usage:
//   node server.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI BACKCHANNEL_URI
// Prints "listening <issuer>" once it serves.
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri, backchannelUri] = process.argv.slice(2);
const issuer = `http://localhost:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    backchannel_logout_uri: backchannelUri,
    backchannel_logout_session_required: true,
  }],
  features: {
    devInteractions: { enabled: true },
    backchannelLogout: { enabled: true },
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', 'groups'],
  },
  // Everything the scopes allow goes into the ID token too.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: { keys: ['portcullis-test-only-cookie-key'] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: `${id}@oidc.example`,
          email_verified: true,
          name: `${id} from oidc-provider`,
          preferred_username: id,
          groups: ['staff', 'ops'],
        };
      },
    };
  },
});

// Logout without the confirmation form's extra step is not needed: tests post it.
provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
