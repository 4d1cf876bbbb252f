// Self-test of scripts/pg.sh: with no usable server it initialises and starts a private cluster on
// loopback, databases created from its URL are separate, and `stop` stops it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { run, scriptsDir, tempDir } from './helpers.mjs';

const pg = join(scriptsDir, 'pg.sh');

test('pg.sh starts, serves and stops a private cluster', { timeout: 180_000 }, () => {
  const dir = join(tempDir('pg'), 'cluster');
  const env = { ...process.env, WALRUS_PG_FORCE_PRIVATE: '1' };
  const started = run(pg, ['url', dir], { env });
  try {
    assert.equal(started.code, 0, started.out);
    const url = started.out.split('\n').find((l) => l.startsWith('postgres://'));
    assert.match(url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    assert.match(started.out, /# started /);
    assert.equal(run(pg, ['status', dir]).code, 0);

    // Two databases from the same server do not see each other's tables.
    for (const db of ['walrus_a', 'walrus_b']) {
      const r = run('psql', [url, '-XqAtc', `create database ${db}`]);
      assert.equal(r.code, 0, r.out);
    }
    const urlA = url.replace(/\/postgres$/, '/walrus_a');
    const urlB = url.replace(/\/postgres$/, '/walrus_b');
    assert.equal(run('psql', [urlA, '-XqAtc', 'create table t (x int); insert into t values (7)']).code, 0);
    assert.equal(run('psql', [urlA, '-XqAtc', 'select x from t']).out.trim(), '7');
    const inB = run('psql', [urlB, '-XqAtc', 'select x from t']);
    assert.notEqual(inB.code, 0, 'table t must not exist in the other database');

    // A second call reuses the running cluster.
    const again = run(pg, ['url', dir], { env });
    assert.equal(again.code, 0, again.out);
    assert.ok(again.out.includes(url), again.out);
  } finally {
    const stopped = run(pg, ['stop', dir]);
    assert.equal(stopped.code, 0, stopped.out);
  }
  assert.notEqual(run(pg, ['status', dir]).code, 0, 'cluster still running after stop');
});
