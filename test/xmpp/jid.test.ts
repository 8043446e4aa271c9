// JIDs (RFC 7622), the pure rules of src/xmpp/jid.ts: how a JID splits into
// its parts, which parts are case-folded, and what is malformed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bareJid, parseJid, type Jid } from '../../src/xmpp/jid.ts';

const jid = (local: string, domain: string, resource = ''): Jid => ({ local, domain, resource });

test('RFC 7622 §3.1: the first @ ends the localpart and the first / after the domain starts the resourcepart', () => {
  const cases: Array<[text: string, parts: Jid]> = [
    ['example.com', jid('', 'example.com')],
    ['juliet@example.com', jid('juliet', 'example.com')],
    ['juliet@example.com/balcony', jid('juliet', 'example.com', 'balcony')],
    ['example.com/resource', jid('', 'example.com', 'resource')],
    // A resourcepart may hold / and @ itself (§3.4).
    ['juliet@example.com/a/b@c', jid('juliet', 'example.com', 'a/b@c')],
  ];
  for (const [text, parts] of cases) assert.deepEqual(parseJid(text), parts, text);
});

test('RFC 7622 §3.2, §3.3, §3.4: domainpart and localpart are case-folded, the resourcepart is kept as sent', () => {
  const cases: Array<[text: string, parts: Jid]> = [
    ['Juliet@Example.COM/Balcony', jid('juliet', 'example.com', 'Balcony')],
    ['EXAMPLE.com', jid('', 'example.com')],
    // §3.2: a domainpart's final dot is not part of it.
    ['juliet@example.com.', jid('juliet', 'example.com')],
    ['juliet@example.com./r', jid('juliet', 'example.com', 'r')],
  ];
  for (const [text, parts] of cases) assert.deepEqual(parseJid(text), parts, text);
});

test('RFC 7622 §3.2–§3.4: empty parts, parts over 1023 octets and a localpart\'s forbidden characters are malformed', () => {
  const malformed: Array<[text: string, why: string]> = [
    ['', 'no domainpart (§3.2)'],
    ['@example.com', 'empty localpart (§3.3)'],
    ['juliet@', 'empty domainpart (§3.2)'],
    ['juliet@example.com/', 'empty resourcepart (§3.4)'],
    ['/resource', 'no domainpart (§3.2)'],
    ['exa mple.com', 'space in the domainpart'],
    [`${'a'.repeat(1024)}@example.com`, 'localpart over 1023 (§3.3)'],
    [`${'a'.repeat(1020)}.com`, 'domainpart over 1023 (§3.2)'],
    [`juliet@example.com/${'é'.repeat(512)}`, 'resourcepart of 1024 octets (§3.4)'],
    // §3.3.1: characters the localpart may not hold (a "/" or "@" there splits the JID elsewhere, §3.1).
    ...['"', '&', "'", ':', '<', '>', ' '].map((c): [string, string] => [`ju${c}liet@example.com`, `localpart with ${JSON.stringify(c)} (§3.3.1)`]),
    ['ju@liet@example.com', 'second @ in the domainpart'],
  ];
  for (const [text, why] of malformed) assert.equal(parseJid(text), undefined, why);

  const longest: Array<[text: string, why: string]> = [
    [`${'a'.repeat(1023)}@example.com`, 'localpart of 1023'],
    [`juliet@example.com/${'é'.repeat(511)}x`, 'resourcepart of 1023 octets'],
  ];
  for (const [text, why] of longest) assert.ok(parseJid(text), why);
  // §3.1: the first "/" comes before the "@", so this is domain "ju" with a resource.
  assert.deepEqual(parseJid('ju/liet@example.com'), jid('', 'ju', 'liet@example.com'));
});

test('RFC 7622 §3.1: a bare JID is the localpart and domainpart without the resource', () => {
  assert.equal(bareJid(parseJid('Juliet@Example.com/balcony')!), 'juliet@example.com');
  assert.equal(bareJid(parseJid('example.com/r')!), 'example.com');
});
