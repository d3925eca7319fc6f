/**
 * What a self-contained repository never names: the design notes beside our own checkouts (a `shared` folder one
 * level up) and the internal file names of the source documents (three digits, an underscore, 16 hex digits,
 * `.txt`). The patterns are written so that this file does not match them itself.
 */
import assert from 'node:assert/strict';
import { DOCS } from '../../support/checks/sources.ts';

export const INTERNAL_NAMES: ReadonlyArray<{ what: string; pattern: RegExp }> = [
  { what: 'the design notes beside the checkout', pattern: new RegExp(String.raw`\.\./shared/`) },
  { what: 'an internal source-document file name', pattern: new RegExp(String.raw`\d{3}_[0-9a-f]{16}\.txt`) },
];

export function assertNoInternalNames(text: string, where: string): void {
  for (const { what, pattern } of INTERNAL_NAMES) {
    const m = pattern.exec(text);
    assert.equal(m, null, `${where} names ${what}: "${m?.[0]}"`);
  }
}

/** the published pages of the documents the catalogue cites */
export const PUBLIC_PAGES: readonly string[] = Object.values(DOCS).map((d) => d.url);

export function isPublicSourceUrl(url: string): boolean {
  return PUBLIC_PAGES.some((page) => url === page || url.startsWith(`${page}#`));
}
