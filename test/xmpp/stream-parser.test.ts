// The strict stream parser on its own: restricted XML, limits, namespaces,
// and resuming a stream from its header. The pool that shares parsers between
// sessions has its own tests in parser-pool.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { Element } from 'ltx';
import { StreamParser, type StreamHeader } from '../../src/xmpp/xml/stream-parser.ts';
import { StreamError } from '../../src/xmpp/stream-error.ts';

const HEADER = '<stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" to="localhost" version="1.0">';
const LIMITS = { maxStanzaSize: 1000, maxDepth: 5 };

function collect() {
  const seen = { headers: [] as Record<string, string>[], stanzas: [] as Element[], ended: false };
  const handler = {
    streamStarted: (header: StreamHeader) => void seen.headers.push(header.attrs),
    stanza: (element: Element) => void seen.stanzas.push(element),
    streamEnded: () => void (seen.ended = true),
  };
  return { seen, handler };
}

function streamErrorOf(input: string[], limits = LIMITS): string | undefined {
  const { handler } = collect();
  const parser = new StreamParser(handler, limits);
  try {
    for (const chunk of input) parser.write(chunk);
  } catch (error) {
    assert.ok(error instanceof StreamError, String(error));
    return error.condition;
  }
  return undefined;
}

test('stanzas are handed over whole, with the stream default namespace, across arbitrary chunking', () => {
  const { seen, handler } = collect();
  const parser = new StreamParser(handler, LIMITS);
  const input = `<?xml version='1.0'?>${HEADER}<message to="a@b"><body>x &amp; y</body></message> <iq type="get" id="1"><ping xmlns="urn:xmpp:ping"/></iq></stream:stream>`;
  for (let i = 0; i < input.length; i += 7) parser.write(input.slice(i, i + 7));
  assert.equal(seen.headers.length, 1);
  assert.equal(seen.stanzas.length, 2);
  assert.equal(seen.stanzas[0]!.getNS(), 'jabber:client');
  assert.equal(seen.stanzas[0]!.getChildText('body'), 'x & y');
  assert.equal(seen.stanzas[1]!.getChild('ping')!.getNS(), 'urn:xmpp:ping');
  assert.ok(seen.ended);
});

test('restricted XML ends the stream: DTD, billion laughs, PI, comment, undeclared entity', () => {
  const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>${HEADER}<message><body>&lol2;</body></message>`;
  assert.equal(streamErrorOf([laughs]), 'restricted-xml');
  assert.equal(streamErrorOf([HEADER, '<?evil data?>']), 'restricted-xml');
  assert.equal(streamErrorOf([HEADER, '<!-- hi -->']), 'restricted-xml');
  assert.equal(streamErrorOf([HEADER, '<message><body>&nbsp;</body></message>']), 'restricted-xml');
});

test('not well-formed input ends the stream with not-well-formed', () => {
  assert.equal(streamErrorOf([HEADER, '<message><body></message>']), 'not-well-formed');
  assert.equal(streamErrorOf([HEADER, '<message a="1" a="2"/>']), 'not-well-formed');
  assert.equal(streamErrorOf([HEADER, '<x:message/>']), 'not-well-formed'); // unbound prefix
  assert.equal(streamErrorOf([HEADER, '<message>\u0001</message>']), 'not-well-formed');
  assert.equal(streamErrorOf(['garbage']), 'not-well-formed');
});

test('text between stanzas, wrong encodings and a wrong root are refused', () => {
  assert.equal(streamErrorOf([HEADER, 'hello<message/>']), 'bad-format');
  assert.equal(streamErrorOf([`<?xml version="1.0" encoding="ISO-8859-1"?>${HEADER}`]), 'unsupported-encoding');
  assert.equal(streamErrorOf(['<html xmlns="http://www.w3.org/1999/xhtml">']), 'invalid-namespace');
});

test('stanza size and nesting limits', () => {
  assert.equal(streamErrorOf([HEADER, `<message><body>${'x'.repeat(2000)}</body></message>`]), 'policy-violation');
  // Also when the stanza never ends, before it is complete.
  assert.equal(streamErrorOf([HEADER, '<message><body>', 'x'.repeat(600), 'x'.repeat(600)]), 'policy-violation');
  assert.equal(streamErrorOf([HEADER, '<message><body>', 'x'.repeat(600), '</body></message>', '<message><body>', 'x'.repeat(600), '</body></message>']), undefined);
  assert.equal(streamErrorOf([HEADER, '<a><b><c><d><e>deep</e></d></c></b></a>']), undefined);
  assert.equal(streamErrorOf([HEADER, '<a><b><c><d><e><f>too deep</f></e></d></c></b></a>']), 'policy-violation');
});

test('any stream prefix; prefixes declared on the header still resolve inside stanzas', () => {
  const { seen, handler } = collect();
  const parser = new StreamParser(handler, LIMITS);
  parser.write('<str:stream xmlns:str="http://etherx.jabber.org/streams" xmlns="jabber:client" xmlns:g="google:push" version="1.0">');
  parser.write('<message><g:push channel="c"/></message>');
  assert.equal(seen.stanzas[0]!.getChild('push', 'google:push')?.attrs.channel, 'c');
});

test('idle between stanzas; a resumed parser continues the stream with the header namespaces', () => {
  const { seen, handler } = collect();
  const parser = new StreamParser(handler, LIMITS);
  parser.write(HEADER);
  assert.ok(parser.idle);
  parser.write('<message><body>part');
  assert.ok(!parser.idle);
  parser.write('</body></message>  ');
  assert.ok(parser.idle);
  parser.write('<message a="x');
  assert.ok(!parser.idle);
  parser.write('  ');
  assert.ok(!parser.idle, 'whitespace inside an open tag is not idle');

  const resumed = StreamParser.resumeAfter(parser.streamHeader!, handler, LIMITS);
  resumed.write('<iq type="get" id="2"><stream:error/></iq>');
  assert.equal(seen.headers.length, 1, 'the header is not reported twice');
  const iq = seen.stanzas.at(-1)!;
  assert.equal(iq.getNS(), 'jabber:client');
  assert.equal(iq.getChild('error')!.getNS(), 'http://etherx.jabber.org/streams');
});

test('the saxes parser keeps fast properties (a dictionary-mode parser parses about 3 times slower)', () => {
  // V8's %HasFastProperties needs --allow-natives-syntax, so the check runs in a child process.
  const script = `
    import { StreamParser } from ${JSON.stringify(new URL('../../src/xmpp/xml/stream-parser.ts', import.meta.url).href)};
    const parser = new StreamParser({ streamStarted() {}, stanza() {}, streamEnded() {} }, { maxStanzaSize: 1000, maxDepth: 5 });
    parser.write(${JSON.stringify(HEADER + '<message><body>x</body></message>')});
    process.stdout.write(String(%HasFastProperties(parser.sax)));`;
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(out, 'true');
});
