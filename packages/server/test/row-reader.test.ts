import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { rowReader } from '../src/store/row-reader.js';

describe('rowReader: rows built in JavaScript from raw statements', () => {
  const connection = new Database(':memory:');
  connection.exec(`
    create table t (id integer primary key, name text, score real, note text, data blob);
    insert into t values (1, 'one', 1.5, null, x'00ff'), (2, 'two', -2, 'a "note"', null);
  `);
  const reader = rowReader(connection);
  afterAll(() => connection.close());

  const queries: [string, unknown[]][] = [
    ['select * from t order by id', []],
    ['select id, name from t where id in (select value from json_each(?)) order by id', ['[2,1,7]']],
    ['select count(*) as n, max(score) as top from t', []],
    // Same name twice: the later value wins, as in better-sqlite3's own rows.
    ['select 1 as a, 2 as a', []],
    ['select * from t where id = ?', [99]],
  ];

  it.each(queries)('all: the same rows as better-sqlite3 gives (%s)', (sql, parameters) => {
    expect(reader.all(sql, parameters)).toEqual(connection.prepare(sql).all(parameters));
  });

  it.each(queries)('first: the same row as better-sqlite3 gives (%s)', (sql, parameters) => {
    expect(reader.first(sql, parameters)).toEqual(connection.prepare(sql).get(parameters));
  });

  it('an UPDATE ... RETURNING is read like a query', () => {
    const row = reader.first("update t set name = 'uno' where id = ? returning id, name", [1]);
    expect(row).toEqual({ id: 1, name: 'uno' });
  });
});
