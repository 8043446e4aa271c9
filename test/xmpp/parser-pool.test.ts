// The pool of stream parsers that sessions borrow per read: a parser goes back
// only between stanzas, and a borrowed one continues another session's stream
// with that stream's namespaces and handler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { ParserPool } from '../../src/xmpp/xml/parser-pool.ts';

const HEADER = '<stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" to="localhost" version="1.0">';
const LIMITS = { maxStanzaSize: 1000, maxDepth: 5 };

function handler() {
  const stanzas: Element[] = [];
  return { stanzas, streamStarted() {}, stanza: (element: Element) => void stanzas.push(element), streamEnded() {} };
}

test('a parser goes back to the pool only between stanzas, and then serves the next session', () => {
  const pool = new ParserPool(LIMITS);
  const first = handler();
  const parser = pool.fresh(first);
  parser.write(HEADER + '<message><body>cut');
  assert.equal(pool.give(parser), false, 'a stanza cut by the read stays with its session');
  parser.write(' here</body></message>');
  assert.equal(pool.give(parser), true);

  const second = handler();
  const borrowed = pool.take(parser.streamHeader!, second);
  assert.equal(borrowed, parser, 'the idle parser is reused, not a new one resumed');
  borrowed.write('<iq type="get" id="1"><stream:error/></iq>');
  assert.equal(first.stanzas.length, 1);
  assert.equal(second.stanzas.length, 1, 'stanzas after the hand-over go to the borrower');
  assert.equal(second.stanzas[0]!.getNS(), 'jabber:client');
  assert.equal(second.stanzas[0]!.getChild('error')!.getNS(), 'http://etherx.jabber.org/streams', 'prefixes of the header resolve');
});

test('a stream with other namespace declarations gets a parser of its own', () => {
  const pool = new ParserPool(LIMITS);
  const client = pool.fresh(handler());
  client.write(HEADER);
  assert.ok(pool.give(client));
  const other = pool.fresh(handler());
  other.write('<str:stream xmlns="jabber:client" xmlns:str="http://etherx.jabber.org/streams" version="1.0">');
  const borrower = handler();
  const borrowed = pool.take(other.streamHeader!, borrower);
  assert.notEqual(borrowed, client);
  borrowed.write('<message><str:x/></message>');
  assert.equal(borrower.stanzas[0]!.getChild('x')!.getNS(), 'http://etherx.jabber.org/streams');
});

test('the pool keeps a bounded number of parsers', () => {
  const pool = new ParserPool(LIMITS);
  const parsers = Array.from({ length: 10 }, () => {
    const parser = pool.fresh(handler());
    parser.write(HEADER);
    return parser;
  });
  for (const parser of parsers) assert.ok(pool.give(parser));
  const header = parsers[0]!.streamHeader!;
  const reused = new Set(Array.from({ length: 10 }, () => pool.take(header, handler())));
  assert.equal([...reused].filter((p) => parsers.includes(p)).length, 4, 'at most four idle parsers per header shape');
});
