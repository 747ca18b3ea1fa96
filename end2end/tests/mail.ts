// The SMTP sink of the end-to-end run (aiosmtpd, started by
// playwright.config.ts): where it listens, where it keeps what it receives,
// and reading a link out of a message.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const SMTP_PORT = 2526;
export const MAILDIR = join(process.env.TMPDIR ?? "/tmp", "tenantry-e2e-mail");

function messages(): string[] {
  const out: string[] = [];
  for (const sub of ["new", "cur"]) {
    const dir = join(MAILDIR, sub);
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)) out.push(readFileSync(join(dir, file), "utf8"));
  }
  return out;
}

/** Waits for a message to `to` with a link containing `marker`; the link. */
export async function linkMailedTo(to: string, marker: string): Promise<string> {
  const pattern = new RegExp(`https?://[^\\s"<>]*${marker}[0-9a-f]{64}`);
  for (let i = 0; i < 150; i++) {
    for (const raw of messages()) {
      // Quoted-printable soft line breaks would split a long link.
      const text = raw.replace(/=\r?\n/g, "");
      if (!text.includes(`X-RcptTo: ${to}`)) continue;
      const found = text.match(pattern);
      if (found) return found[0];
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no mail to ${to} with a ${marker} link`);
}
