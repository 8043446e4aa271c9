// Unbounded and NUL-bearing input at every entry point that took it (issue 14,
// items 7 and 8): JSON nested 100,000 deep, a CCS condition of a million
// parentheses, a search text past SQLite's LIKE pattern limit, and a NUL in a
// field stored in PostgreSQL text. Each is a permanent client error in its
// interface's vocabulary (HTTP 400, a NACK INVALID_JSON or a stanza error),
// never a 500 or an INTERNAL_SERVER_ERROR NACK, which clients retry. Once on
// a SQLite file and once on a PostgreSQL database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { cloudApi, createUser, oauthToken, registerAndClaim, registerPrinter, type ClaimedPrinter, type TestUser } from '../helpers/cloud.ts';
import { newDevice, rawApp, startCcsServer, type RawApp, type TestDevice } from '../ccs/helpers.ts';
import { StreamClient } from '../../src/xmpp/client/stream-client.ts';
import { gcmStanza, gcmText } from '../../src/protocol/gcm-stanza.ts';
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
          // Brackets inside strings, after an escaped quote too, are text, not nesting.
          const inText = await gcmSend(JSON.stringify({ to: device.registration.registration_id, data: { x: '\\"' + '[{'.repeat(500) } }));
          assert.equal(JSON.parse(inText.text).success, 1);
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
    test('a condition of a million parentheses, or nested 100 deep, is a 400 on /gcm/send', async () => {
      const nestedParens = '('.repeat(100) + "'news' in topics" + ')'.repeat(100);
      assert.deepEqual(await gcmSend(JSON.stringify({ condition: MILLION_PARENS, data: { x: '1' } })), { status: 400, text: 'INVALID_PARAMETERS : Invalid condition: longer than 4820 characters\n' });
      assert.deepEqual(await gcmSend(JSON.stringify({ condition: nestedParens, data: { x: '1' } })), { status: 400, text: 'INVALID_PARAMETERS : Invalid condition: parentheses nested deeper than 16\n' });
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

    // Item 8: a NUL in a field that reaches the database; PostgreSQL answered 500 with its own error text.
    const nulEntries: Array<{ entry: string; check(): Promise<void> }> = [
      {
        entry: '/oauth2/token username and client_id',
        async check() {
          const forms: Array<Record<string, string>> = [{ username: 'a\0b@example.com', password: 'x' }, { username: owner.email, password: owner.password, client_id: 'cli\0ent' }];
          for (const form of forms) {
            const reply = await oauthToken(server, { grant_type: 'password', ...form });
            assert.equal(reply.status, 400);
            assert.equal(reply.body.error, 'invalid_request');
            assert.match(reply.body.error_description, /contains a NUL character/);
          }
        },
      },
      {
        entry: 'the claim page email',
        async check() {
          const response = await post('/cloudprint/claimprinter.html', new URLSearchParams({ token: 'ABCDE', email: 'a\0b@example.com', password: 'x' }).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
          assert.equal(response.status, 400);
          assert.match(await response.text(), /email contains a NUL character/);
        },
      },
      {
        entry: '/ccs/register sender and app',
        async check() {
          for (const fields of [{ sender: `${server.senderId}\0`, app: 'com.example.app' }, { sender: server.senderId, app: 'com.example\0app' }]) {
            const response = await post('/ccs/register', new URLSearchParams(fields).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
            assert.equal(response.status, 400);
            assert.deepEqual(await response.json(), { error: 'INVALID_PARAMETERS', error_description: `${fields.sender.includes('\0') ? 'sender' : 'app'} contains a NUL character` });
          }
        },
      },
      {
        entry: '/ccs/topics registration_id',
        async check() {
          const authorization = `Bearer ${device.registration.password}`;
          const read = await fetch(`${server.url}/ccs/topics?registration_id=a%00b`, { headers: { authorization } });
          const subscribe = await post('/ccs/topics', JSON.stringify({ registration_id: 'a\0b', topic: 'news' }), { authorization, 'content-type': 'application/json' });
          for (const response of [read, subscribe]) {
            assert.equal(response.status, 400);
            assert.deepEqual(await response.json(), { error: 'INVALID_PARAMETERS', error_description: 'registration_id contains a NUL character' });
          }
        },
      },
      {
        entry: '/gcm/send to, collapse_key and registration_ids',
        async check() {
          const token = device.registration.registration_id;
          for (const [field, json] of [['to', { to: `${token}\0` }], ['collapse_key', { to: token, collapse_key: 'a\0b' }], ['registration_ids', { registration_ids: [token, 'x\0'] }]] as const) {
            assert.deepEqual(await gcmSend(JSON.stringify(json)), { status: 400, text: `INVALID_PARAMETERS : Field "${field}" contains a NUL character\n` });
          }
        },
      },
      {
        entry: 'CCS downstream message_id, to and collapse_key over XMPP',
        async check() {
          const token = device.registration.registration_id;
          for (const [field, json] of [['message_id', { message_id: 'm\0', to: token }], ['to', { message_id: 'm2', to: `${token}\0` }], ['collapse_key', { message_id: 'm3', to: token, collapse_key: 'c\0' }]] as const) {
            const { json: nack } = await appSend(JSON.stringify(json));
            assert.deepEqual(nack, { message_type: 'nack', message_id: json.message_id, from: json.to, error: 'INVALID_JSON', error_description: `InvalidJson: INVALID_PARAMETERS : Field "${field}" contains a NUL character` });
          }
        },
      },
      {
        entry: 'CCS upstream message_id and to over XMPP (device)',
        async check() {
          for (const [field, json] of [['message_id', { message_id: 'u\0', to: server.senderId }], ['to', { message_id: 'u2', to: `${server.senderId}\0` }]] as const) {
            deviceStream.client.send(gcmStanza(JSON.stringify(json)));
            const nack = await deviceStream.answer();
            assert.deepEqual(nack, { message_type: 'nack', message_id: json.message_id, error: 'INVALID_JSON', error_description: `InvalidJson: INVALID_PARAMETERS : Field "${field}" contains a NUL character` });
          }
        },
      },
    ];
    for (const { entry, check } of nulEntries) test(`a NUL character is a client error: ${entry}`, check);
  });
}
