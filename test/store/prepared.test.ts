import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { preparedQuery } from '../../src/store/prepared.ts';
import { openStore } from '../../src/store/db.ts';
import { describeEachDialect } from '../helpers/dialects.ts';

describeEachDialect('prepared queries', (store) => {
  const insertAccount = preparedQuery<{ id: string; email: string; created: number }, never>((db, param) =>
    db.insertInto('accounts').values({ id: param('id'), kind: 'user', email: param('email'), password_hash: null, jid_local: param('id'), created_at: param('created') }),
  );
  // A constant ('user') and an array of constants sit between the named values.
  const usersCreatedAfter = preparedQuery<{ after: number; domain: string }, { id: string }>((db, param) =>
    db
      .selectFrom('accounts')
      .select('id')
      .where('kind', 'in', ['user', 'robot'])
      .where('created_at', '>', param('after'))
      .where('email', 'like', param('domain'))
      .orderBy('id'),
  );

  test('each run binds its own values, keeps the query constants, and counts changed rows', async () => {
    const db = store.current.db;
    assert.equal(await insertAccount(db).run({ id: 'prep-a', email: 'a@one.example', created: 10 }), 1);
    assert.equal(await insertAccount(db).run({ id: 'prep-b', email: 'b@two.example', created: 20 }), 1);
    assert.equal(await insertAccount(db).run({ id: 'prep-c', email: 'c@two.example', created: 30 }), 1);
    assert.deepEqual(await usersCreatedAfter(db).all({ after: 15, domain: '%@two.example' }), [{ id: 'prep-b' }, { id: 'prep-c' }]);
    assert.deepEqual(await usersCreatedAfter(db).first({ after: 25, domain: '%@two.example' }), { id: 'prep-c' });
    assert.equal(await usersCreatedAfter(db).first({ after: 5, domain: '%@three.example' }), undefined);
    const rename = preparedQuery<{ id: string; email: string }, never>((db, param) => db.updateTable('accounts').set({ email: param('email') }).where('id', '=', param('id')));
    assert.equal(await rename(db).run({ id: 'prep-a', email: 'a@two.example' }), 1);
    assert.equal(await rename(db).run({ id: 'nobody', email: 'x@two.example' }), 0);
    assert.deepEqual(await usersCreatedAfter(db).all({ after: 0, domain: '%@two.example' }), [{ id: 'prep-a' }, { id: 'prep-b' }, { id: 'prep-c' }]);
  });

  test('a query made outside a transaction neither sees nor joins a transaction that is open meanwhile', async () => {
    const db = store.current.db;
    const accountById = preparedQuery<{ id: string }, { id: string; email: string }>((db, param) => db.selectFrom('accounts').select(['id', 'email']).where('id', '=', param('id')));
    let lookup: Promise<unknown> | undefined;
    const rolledBack = db.transaction().execute(async (tx) => {
      await insertAccount(tx).run({ id: 'prep-tx', email: 'tx@one.example', created: 40 });
      // On SQLite the transaction holds the one connection: the lookup has to wait for it, not run inside it.
      lookup = accountById(db).first({ id: 'prep-tx' });
      lookup.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('roll back');
    });
    await assert.rejects(rolledBack, /roll back/);
    assert.equal(await lookup, undefined);
    assert.equal(await insertAccount(db).run({ id: 'prep-tx', email: 'tx@one.example', created: 40 }), 1);
  });

  test('a literal LIMIT and OFFSET page the rows', async () => {
    const secondOldest = preparedQuery<{ domain: string }, { id: string }>((db, param) =>
      db.selectFrom('accounts').select('id').where('email', 'like', param('domain')).orderBy('created_at').limit(sql.lit(1)).offset(sql.lit(1)),
    );
    assert.deepEqual(await secondOldest(store.current.db).all({ domain: '%@two.example' }), [{ id: 'prep-b' }]);
  });
});

test('a parameter that does not end up as a bound value (here, a column name) is refused when the query is compiled', async () => {
  const sortedBy = preparedQuery<{ column: 'id' }, { id: string }>((db, param) => db.selectFrom('accounts').select('id').orderBy(param('column')));
  const store = await openStore({ database: 'sqlite::memory:', dataDir: '' });
  try {
    assert.throws(() => sortedBy(store.db), /parameter column did not become a bound value/);
  } finally {
    await store.close();
  }
});

test('a LIMIT or OFFSET given as a bound value is refused when the query is compiled (SQLite would compile it again on every run)', async () => {
  const store = await openStore({ database: 'sqlite::memory:', dataDir: '' });
  try {
    const limitedBy = preparedQuery<{ n: number }, { id: string }>((db, param) => db.selectFrom('accounts').select('id').limit(param('n')));
    assert.throws(() => limitedBy(store.db), /LIMIT and OFFSET must be literals/);
    // A constant is bound too, unless it is written as a literal.
    const firstFive = preparedQuery<{ email: string }, { id: string }>((db, param) => db.selectFrom('accounts').select('id').where('email', '=', param('email')).offset(5));
    assert.throws(() => firstFive(store.db), /LIMIT and OFFSET must be literals/);
  } finally {
    await store.close();
  }
});
