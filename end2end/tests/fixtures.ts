// The Playwright `test` every spec uses: it watches every browser context a
// test opens (the default one, and any from `browser.newContext()` or
// `browser.newPage()`) for Content-Security-Policy violations, and fails the
// test if there was one. A page that needs an inline script without the
// response's nonce, or a script source the policy does not name, fails here.
// It also closes the contexts a test opened when the test ends, so no page of
// one test keeps running (and holding connections to a server) in the next.
import { test as base, expect, Browser, BrowserContext } from "@playwright/test";

export * from "@playwright/test";

function watchFor(violations: string[], context: BrowserContext) {
  context.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) {
      violations.push(message.text());
    }
  });
}

export const test = base.extend<{ cspViolations: string[] }>({
  cspViolations: [
    async ({ browser, context }, use) => {
      const violations: string[] = [];
      const opened: BrowserContext[] = [];
      watchFor(violations, context);
      const b = browser as Browser;
      const newContext = b.newContext.bind(b);
      const newPage = b.newPage.bind(b);
      b.newContext = async (options) => {
        const created = await newContext(options);
        opened.push(created);
        watchFor(violations, created);
        return created;
      };
      b.newPage = async (options) => {
        const page = await newPage(options);
        opened.push(page.context());
        watchFor(violations, page.context());
        return page;
      };
      try {
        await use(violations);
      } finally {
        b.newContext = newContext;
        b.newPage = newPage;
        await Promise.all(opened.map((c) => c.close().catch(() => {})));
      }
      expect(violations, "Content-Security-Policy violations").toEqual([]);
    },
    { auto: true },
  ],
});
