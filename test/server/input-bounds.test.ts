// Unbounded input at every entry point that took it (issue 14, item 7): JSON
// nested 100,000 deep, a CCS condition of a million parentheses, and a search
// text past SQLite's LIKE pattern limit. Each is a permanent client error in its
// interface's vocabulary (HTTP 400, a NACK INVALID_JSON or a stanza error),
// never a 500 or an INTERNAL_SERVER_ERROR NACK, which clients retry. Once on
// a SQLite file and once on a PostgreSQL database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { cloudApi, createUser, registerAndClaim, registerPrinter, type ClaimedPrinter, type TestUser } from '../helpers/cloud.ts';
import { newDevice, rawApp, startCcsServer, type RawApp, type TestDevice } from '../ccs/helpers.ts';
import { StreamClient } from '../../src/ccs/stream-client.ts';
import { gcmStanza, gcmText } from '../../src/ccs/gcm-stanza.ts';
import { MAX_SEARCH_TEXT_BYTES } from '../../src/cloud/text-search.ts';

type Server = Awaited<ReturnType<typeof startCcsServer>>;

/** `[[[…]]]` nested `depth` deep: two bytes a level, so 100,000 levels fit in one default-sized stanza. */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const DEEP = nested(100_000);
const MILLION_PARENS = '('.repeat(1_000_000) + "'news' in topics" + ')'.repeat(1_000_000);

/** A device's raw XMPP stream: the server's answers (ACK, NACK) to what it sends, in order; downstream messages are passed over. */
async function rawDevice(server: Server, device: TestDevice) {
  const inbox: Record<string, unknown>[] = [];
  const [local = ''] = device.registration.jid.split('@');
  const client = await StreamClient.connect(
    { host: '127.0.0.1', port: server.ports.xmpps!, ca: server.ca, domain: 'localhost', username: local, password: device.registration.password! },
    (stanza: Element) => {
      const json = JSON.parse(gcmText(stanza) ?? 'null') as Record<string, unknown>;
      if (json.message_type === 'ack' || json.message_type === 'nack') inbox.push(json);
    },
  );
  return {
    client,
    async answer(): Promise<Record<string, unknown>> {
      const deadline = Date.now() + 5000;
      while (!inbox.length) {
        if (Date.now() > deadline) throw new Error('no reply from the server');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return inbox.shift()!;
    },
  };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`unbounded and NUL input [${dialect}]`, () => {
    let server: Server;
    let pgdb: TestDatabase | undefined;
    let owner: TestUser;
    let printer: ClaimedPrinter;
    let device: TestDevice;
    let app: RawApp;
    let deviceStream: Awaited<ReturnType<typeof rawDevice>>;

    before(async () => {
      if (dialect === 'postgres') pgdb = await createTestDatabase();
      server = await startCcsServer(pgdb ? { database: pgdb.url } : {});
      owner = await createUser(server);
      printer = await registerAndClaim(server, owner, { name: 'Office' });
      device = await newDevice(server, { connect: false });
      app = await rawApp(server);
      deviceStream = await rawDevice(server, device);
    });
    after(async () => {
      app.client.close();
      deviceStream.client.close();
      await server.stop();
      await pgdb?.drop();
    });

    const gcmSend = async (body: string, contentType = 'application/json') => {
      const response = await fetch(`${server.url}/gcm/send`, { method: 'POST', headers: { authorization: `key=${server.apiKey}`, 'content-type': contentType }, body });
      return { status: response.status, text: await response.text() };
    };
    const post = (path: string, body: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { method: 'POST', headers, body });
    /** A downstream request over the app server's XMPP stream, and the CCS's answer. */
    const appSend = async (json: string) => {
      app.send(json);
      const stanza = await app.nextStanza();
      return { stanza, json: JSON.parse(gcmText(stanza) ?? 'null') as Record<string, unknown> };
    };

    // Item 7: JSON nested 100,000 deep, refused by a scan of the raw text before JSON.parse.
    const deepEntries: Array<{ entry: string; check(): Promise<void> }> = [
      {
        entry: '/cloudprint/submit ticket',
        async check() {
          const reply = await cloudApi(server, 'submit', { printerid: printer.printerId, title: 't', contentType: 'text/plain', ticket: `{"version":"1.0","print":{"x":${DEEP}}}`, content: new Blob(['x']) }, { as: 'multipart', token: owner.token });
          assert.deepEqual([reply.status, reply.body.errorCode], [400, 3]);
          assert.match(reply.body.message, /ticket is not valid JSON: JSON nested deeper than 64 levels/);
        },
      },
      {
        entry: '/cloudprint/register capabilities (CDD)',
        async check() {
          const reply = await registerPrinter(server, { extra: { capabilities: `{"version":"1.0","printer":{"x":${DEEP}}}` } });
          assert.deepEqual([reply.status, reply.body.errorCode], [400, 3]);
          assert.match(reply.body.message, /capabilities is not valid JSON: JSON nested deeper/);
        },
      },
      {
        entry: '/cloudprint/update with a JSON body',
        async check() {
          const response = await post('/cloudprint/update', `{"printerid":"${printer.printerId}","tag":${DEEP}}`, { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' });
          const body = (await response.json()) as Record<string, unknown>;
          assert.deepEqual([response.status, body.errorCode], [400, 3]);
        },
      },
      {
        entry: '/ccs/register with a JSON body',
        async check() {
          const response = await post('/ccs/register', `{"sender":"${server.senderId}","app":"com.example.app","extra":${DEEP}}`, { 'content-type': 'application/json' });
          assert.equal(response.status, 400);
          assert.match(await response.text(), /JSON nested deeper than 64 levels/);
        },
      },
      {
        entry: '/gcm/send',
        async check() {
          const reply = await gcmSend(`{"to":"${device.registration.registration_id}","data":{"x":${DEEP}}}`);
          assert.deepEqual(reply, { status: 400, text: 'JSON_PARSING_ERROR: JSON nested deeper than 64 levels\n' });
          // At the limit (the object, data, and 62 levels inside) the message goes through.
          const atLimit = await gcmSend(`{"to":"${device.registration.registration_id}","data":{"x":${nested(62)}}}`);
          assert.equal(atLimit.status, 200);
          assert.equal(JSON.parse(atLimit.text).success, 1);
        },
      },
      {
        entry: 'CCS downstream over XMPP',
        async check() {
          // §4.3: a payload that cannot be read is answered with a stanza error, as malformed JSON is.
          const { stanza } = await appSend(`{"message_id":"deep","to":"${device.registration.registration_id}","data":{"x":${DEEP}}}`);
          assert.equal(stanza.attrs.type, 'error');
          assert.ok(stanza.getChild('error')?.getChild('bad-request'));
          assert.equal(stanza.getChild('error')?.getChildText('text'), 'InvalidJson: JSON_PARSING_ERROR : JSON nested deeper than 64 levels\n');
        },
      },
      {
        entry: 'CCS upstream over XMPP (device)',
        async check() {
          deviceStream.client.send(gcmStanza(`{"message_id":"deep","to":"${server.senderId}@gcm.googleapis.com","data":{"x":${DEEP}}}`));
          const nack = await deviceStream.answer();
          assert.deepEqual([nack.message_type, nack.error, nack.error_description], ['nack', 'INVALID_JSON', 'InvalidJson: JSON_PARSING_ERROR : JSON nested deeper than 64 levels']);
        },
      },
    ];
    for (const { entry, check } of deepEntries) test(`JSON nested 100,000 deep is a client error: ${entry}`, check);

    // Item 7: a condition is capped in length before it is tokenized, and in nesting while parsed.
    test('a condition of a million parentheses, or nested 100 deep, is InvalidParameters on /gcm/send', async () => {
      for (const condition of [MILLION_PARENS, '('.repeat(100) + "'news' in topics" + ')'.repeat(100)]) {
        const reply = await gcmSend(JSON.stringify({ condition, data: { x: '1' } }));
        assert.deepEqual([reply.status, JSON.parse(reply.text).results], [200, [{ error: 'InvalidParameters' }]]);
      }
      const fine = await gcmSend(JSON.stringify({ condition: "(('news' in topics))", data: { x: '1' } }));
      assert.equal(fine.status, 200);
      assert.ok(JSON.parse(fine.text).message_id);
    });

    test('a condition of a million parentheses is NACKed INVALID_JSON over XMPP', async () => {
      // A million parentheses do not fit in a stanza; 100,000 do.
      const { json } = await appSend(JSON.stringify({ message_id: 'parens', condition: '('.repeat(100_000) + "'news' in topics" + ')'.repeat(100_000) }));
      assert.deepEqual([json.message_type, json.error], ['nack', 'INVALID_JSON']);
      assert.match(String(json.error_description), /^InvalidJson: INVALID_PARAMETERS : Invalid condition: longer than 4820 characters/);
    });

    // Item 7: SQLite refuses a LIKE pattern over 50,000 bytes; both dialects answer alike.
    test('a search text past the LIKE pattern limit is INVALID_PARAMETER on /jobs and /search', async () => {
      for (const path of ['jobs', 'search']) {
        const long = await cloudApi(server, path, { q: 'a'.repeat(MAX_SEARCH_TEXT_BYTES + 1) }, { token: owner.token });
        assert.deepEqual([long.status, long.body.errorCode], [400, 2], path);
        assert.match(long.body.message, /q is longer than 24999 bytes/);
        // The longest text, every character escaped, is still a pattern SQLite takes.
        const longest = await cloudApi(server, path, { q: '%'.repeat(MAX_SEARCH_TEXT_BYTES) }, { token: owner.token });
        assert.deepEqual([longest.status, longest.body.success], [200, true], path);
      }
    });
  });
}
