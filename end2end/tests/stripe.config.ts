// Where the end-to-end Stripe peer listens (playwright.config.ts starts it;
// serve.sh points the "stripe" server at it).
export const STRIPE_PORT = 8421;
