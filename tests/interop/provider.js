// oidc-provider (OpenID Certified), set up the way GOV.UK One Login is, for the interop test
// (tests/conformance/tests/it/interop.rs): private_key_jwt clients whose keys come from their
// own JWKS route, PKCE S256 required, signed request objects accepted (not required), ES256 ID
// tokens with `vot`/`vtm`, `vtr` accepted as an extra parameter, userinfo with the email and
// phone claims, the end-session endpoint and back-channel logout.
//
// Usage: INTEROP_CLIENTS='[{"client_id": …, "redirect_uri": …, "post_logout_redirect_uri": …,
// "backchannel_logout_uri": …, "jwks_uri": …}]' node provider.js
//
// It listens on 127.0.0.1, on a port the system picks, and prints `ONE_LOGIN_ISSUER=<issuer>`
// then `# ready` on stdout. Sign-in needs no page: the interaction signs the fixed test user in
// and grants what was asked at once. `GET /interop/authorizations` lists what each
// authorization request that got a code asked for, as the provider read it (its `vtr` and its parsed `claims`),
// and `GET /interop/logouts` the back-channel logouts delivered, for the test to assert on.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const clients = JSON.parse(process.env.INTEROP_CLIENTS ?? 'null');
if (!Array.isArray(clients) || clients.length === 0) {
  console.error('error: set INTEROP_CLIENTS to a JSON array of clients');
  process.exit(2);
}

// The fixed test account.
const USER = {
  sub: 'urn:fdc:gov.uk:2022:interop-test-user',
  email: 'interop@example.com',
  email_verified: true,
  phone_number: '+447700900000',
  phone_number_verified: true,
};

// The ES256 key the ID tokens and logout tokens are signed with, new at each start.
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `interop-${Date.now()}`, alg: 'ES256', use: 'sig' };

// What each authorization asked for, and the `vot` of the latest one, by grant id.
const authorizations = [];
const votByGrant = new Map();

/// The credential part of a vector of trust, as One Login's `vot` gives it: `Cl.Cm.P2` -> `Cl.Cm`.
function votFor(vtr) {
  let list = vtr;
  if (typeof list === 'string') {
    try {
      list = JSON.parse(list);
    } catch {
      list = [list];
    }
  }
  const first = Array.isArray(list) ? String(list[0] ?? '') : String(list ?? '');
  const credentials = first.split('.').filter((part) => part.startsWith('C'));
  return credentials.length >= 2 ? 'Cl.Cm' : 'Cl';
}

const configuration = {
  clients: clients.map((c) => ({
    client_id: c.client_id,
    redirect_uris: [c.redirect_uri],
    post_logout_redirect_uris: [c.post_logout_redirect_uri],
    backchannel_logout_uri: c.backchannel_logout_uri,
    backchannel_logout_session_required: true,
    jwks_uri: c.jwks_uri,
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'RS256',
    request_object_signing_alg: 'RS256',
    id_token_signed_response_alg: 'ES256',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    scope: 'openid email phone',
  })),
  jwks: { keys: [signingKey] },
  clientAuthMethods: ['private_key_jwt'],
  enabledJWA: {
    clientAuthSigningAlgValues: ['RS256', 'PS256'],
    requestObjectSigningAlgValues: ['RS256', 'PS256'],
    idTokenSigningAlgValues: ['ES256'],
  },
  pkce: { methods: ['S256'], required: () => true },
  scopes: ['openid', 'email', 'phone'],
  // `vot` and `vtm` as claims of the openid scope, which every request has; the account gives
  // them for the ID token alone, and the email and phone claims for userinfo alone, so the ID
  // token holds no more of the user than One Login's does. With conformIdTokenClaims (the
  // default) an ID token issued with an access token would carry none of them.
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub', 'vot', 'vtm'],
    email: ['email', 'email_verified'],
    phone: ['phone_number', 'phone_number_verified'],
  },
  extraParams: ['vtr'],
  cookies: { keys: ['interop-test-cookie-key-not-secret'] },
  features: {
    devInteractions: { enabled: false },
    requestObjects: { request: true, requestUri: false, requireSignedRequestObject: false },
    claimsParameter: { enabled: true },
    userinfo: { enabled: true },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // The confirmation page as a plain form, which the test posts as a browser would.
      async logoutSource(ctx, form) {
        ctx.body = `<!doctype html><html><body><h1>Sign out</h1>${form}<button form="op.logoutForm" name="logout" value="yes">Sign out</button></body></html>`;
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub, token) {
    if (sub !== USER.sub) {
      return undefined;
    }
    return {
      accountId: sub,
      async claims(use) {
        if (use === 'id_token') {
          const vot = votByGrant.get(token?.grantId) ?? 'Cl';
          return { sub, vot, vtm: `${issuer}/trustmark` };
        }
        return { ...USER };
      },
    };
  },
};

// The interaction: signs the test user in, then grants what the client asked for.
async function interaction(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: USER.sub } }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) {
    grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  }
  if (prompt.details.missingOIDCClaims) {
    grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

let provider;
let handler;
let issuer;
const server = createServer((req, res) => {
  const path = req.url.split('?')[0];
  const json = (value) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  if (req.method === 'GET' && path === '/interop/authorizations') {
    json(authorizations);
  } else if (req.method === 'GET' && path === '/interop/logouts') {
    json(logouts);
  } else if (path.startsWith('/interaction/')) {
    interaction(provider, req, res).catch((error) => {
      console.error(`interaction failed: ${error}`);
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`interaction failed: ${error.message}`);
    });
  } else {
    handler(req, res);
  }
});

// The back-channel logouts delivered, and each one's answer.
const logouts = [];

server.listen(0, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  provider = new Provider(issuer, configuration);
  handler = provider.callback();
  // Each authorization request that got a code, as the provider read it (after the request
  // object): its `claims` parsed, or null.
  provider.on('authorization.success', (ctx) => {
    const { params } = ctx.oidc;
    const claims = params.claims === undefined ? null : JSON.parse(params.claims);
    authorizations.push({ client_id: params.client_id, vtr: params.vtr ?? null, claims, scope: params.scope });
    // The code just issued carries this grant: its ID token's `vot` is this request's level.
    votByGrant.set(ctx.oidc.entities.Grant?.jti, votFor(params.vtr));
  });
  provider.on('backchannel.success', (ctx, client, accountId, sid) => {
    logouts.push({ client_id: client.clientId, sub: accountId, sid, ok: true });
  });
  provider.on('backchannel.error', (ctx, error, client, accountId, sid) => {
    logouts.push({ client_id: client.clientId, sub: accountId, sid, ok: false, error: String(error) });
    console.error(`back-channel logout to ${client.clientId} failed: ${error}`);
  });
  for (const event of ['server_error', 'authorization.error', 'grant.error', 'end_session.error', 'userinfo.error']) {
    provider.on(event, (ctx, error) => console.error(`${event}: ${error} ${error.error_description ?? ''}`));
  }
  console.log(`ONE_LOGIN_ISSUER=${issuer}`);
  console.log('# ready');
});
