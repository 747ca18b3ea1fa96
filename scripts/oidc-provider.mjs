// A real OpenID Connect provider for the single sign-on tests:
// oauth2-mock-server (npm) with one RS256 key, on 127.0.0.1:<port> (0: any
// free port). It prints "issuer <url>" once it listens.
//
// The person signing in is chosen with the standard `login_hint` parameter
// of the authorization request, which the id_token then carries as `email`
// (and `sub`). A hint `aud:<client id>:<email>` also replaces the token's
// audience, to test a token minted for another client.
import { OAuth2Server } from "oauth2-mock-server";

const port = Number(process.argv[2] ?? 0);
const server = new OAuth2Server();
await server.issuer.keys.generate("RS256");
const hints = new Map();

server.service.on("beforeAuthorizeRedirect", (redirect, req) => {
  const code = redirect.url.searchParams.get("code");
  if (code && typeof req.query.login_hint === "string") hints.set(code, req.query.login_hint);
});

server.service.on("beforeTokenSigning", (token, req) => {
  const hint = hints.get(req.body.code);
  // Fired for the access token first, then the id_token (which has `aud`).
  if (!hint || token.payload.aud === undefined) return;
  let email = hint;
  const parts = hint.split(":");
  if (parts[0] === "aud" && parts.length === 3) {
    token.payload.aud = parts[1];
    email = parts[2];
  }
  token.payload.email = email;
  token.payload.email_verified = true;
  token.payload.sub = `user-${email}`;
});

await server.start(port, "127.0.0.1");
const address = server.address();
server.issuer.url = `http://127.0.0.1:${address.port}`;
console.log(`issuer ${server.issuer.url}`);
