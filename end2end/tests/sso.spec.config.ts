// Where the end-to-end OpenID Connect provider listens (playwright.config.ts
// starts it; the SSO spec configures tenants with it).
export const OIDC_PORT = 8089;
export const OIDC_ISSUER = `http://127.0.0.1:${OIDC_PORT}`;
