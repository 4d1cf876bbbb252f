// Self-tests of scripts/move-surface: how a compiled package is described, how two surfaces are
// compared, and that our packages differ from Walrus mainnet's surface by exactly the listed keys.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareSurfaces } from '../lib/move-surface.mjs';
import { frameworkAvailable, repoRoot, run, scriptsDir, tempDir, writeTree } from './helpers.mjs';

const cli = join(scriptsDir, 'move-surface');
const noFramework = !frameworkAvailable() && 'no local Sui framework copy';
const surfaceDir = join(repoRoot, 'move', 'surface');

const module = (over = {}) => ({ structs: {}, enums: {}, functions: {}, errors: {}, ...over });

test('compare: missing and differing items are differences, extra ones are additions', () => {
  const reference = {
    modules: {
      'p::a': module({
        structs: { S: 'public struct S has key { id: sui::object::UID }' },
        functions: { f: 'public fun f(u64)' },
        errors: { EOne: 1, ETwo: 2 },
      }),
      'p::gone': module({ functions: { g: 'public fun g()' } }),
    },
  };
  const ours = {
    modules: {
      'p::a': module({
        structs: { S: 'public struct S has key { id: sui::object::UID, extra: u8 }' },
        functions: { f: 'public fun f(u64)', mine: 'public fun mine()' },
        errors: { EOne: 1, ETwo: 3 },
      }),
      'p::ours_only': module(),
    },
  };
  const { differences, additions } = compareSurfaces(ours, reference);
  assert.deepEqual(
    differences.map((d) => d.key).sort(),
    ['differs error p::a::ETwo', 'differs struct p::a::S', 'missing function p::gone::g'],
  );
  assert.match(differences.find((d) => d.key === 'differs error p::a::ETwo').detail, /ours: +3\n +reference: 2/);
  assert.deepEqual(additions.sort(), ['function p::a::mine', 'module p::ours_only']);
});

test('describe: abilities, phantoms, fields, enums, public and entry functions, abort constants', { skip: noFramework }, () => {
  const dir = tempDir('surface');
  writeTree(dir, {
    'Move.toml': '[package]\nname = "demo"\nedition = "2024"\n\n[addresses]\ndemo = "0x0"\n',
    'sources/m.move': [
      'module demo::m;',
      'use sui::balance::Balance;',
      '/// An abort.',
      'const ETooSmall: u64 = 7;',
      'const NOT_AN_ERROR: u64 = 9;',
      'public struct Pool<phantom T> has key, store { id: UID, funds: Balance<T>, tags: vector<u8> }',
      'public enum Kind has copy, drop { Plain, Rich { level: u8 } }',
      'public fun check(x: u64): u64 { assert!(x > NOT_AN_ERROR, ETooSmall); x }',
      'public fun kind<T: copy + drop>(_p: &mut Pool<T>, _t: T): (Kind, bool) { (Kind::Plain, true) }',
      'entry fun poke(_ctx: &mut TxContext) {}',
      'public(package) fun internal() {}',
      '',
    ].join('\n'),
  });
  const { code, out } = run('node', [cli, 'describe', dir]);
  assert.equal(code, 0, out);
  const m = JSON.parse(out).modules['demo::m'];
  assert.equal(
    m.structs.Pool,
    'public struct Pool<phantom T0> has store, key { id: sui::object::UID, funds: sui::balance::Balance<T0>, tags: vector<u8> }',
  );
  assert.equal(m.enums.Kind, 'public enum Kind has copy, drop { Plain, Rich { level: u8 } }');
  assert.equal(m.functions.check, 'public fun check(u64): u64');
  assert.equal(
    m.functions.kind,
    'public fun kind<T0: copy + drop>(&mut demo::m::Pool<T0>, T0): (demo::m::Kind, bool)',
  );
  assert.equal(m.functions.poke, 'entry fun poke(&mut sui::tx_context::TxContext)');
  assert.equal(m.functions.internal, undefined);
  assert.deepEqual(m.errors, { ETooSmall: 7 });
});

test('check: our packages differ from mainnet by exactly the listed keys', { skip: noFramework }, () => {
  const { code, out } = run('node', [cli, 'check']);
  assert.equal(code, 0, out);
  assert.match(out, /^Move surface: ok, \d+ known differences left$/m);
});

test('check: a difference that is not listed, or a listed one that is gone, fails', { skip: noFramework }, () => {
  const dir = tempDir('surface-check');
  const reference = JSON.parse(readFileSync(join(surfaceDir, 'mainnet.json'), 'utf8'));
  // A reference item that our package does not have: a new difference.
  reference.modules['walrus::blob'].functions.not_in_ours = 'public fun not_in_ours()';
  writeFileSync(join(dir, 'ref.json'), JSON.stringify(reference));
  copyFileSync(join(surfaceDir, 'known-differences.txt'), join(dir, 'known.txt'));
  const fresh = run('node', [cli, 'check', '--reference', join(dir, 'ref.json'), '--known', join(dir, 'known.txt')]);
  assert.equal(fresh.code, 1, fresh.out);
  assert.match(fresh.out, /^NEW DIFFERENCE \(not in known-differences.txt\): missing function walrus::blob::not_in_ours$/m);

  // A listed difference that no longer exists.
  writeFileSync(join(dir, 'known2.txt'), `${readFileSync(join(dir, 'known.txt'), 'utf8')}missing function walrus::blob::fixed_long_ago\n`);
  const stale = run('node', [cli, 'check', '--known', join(dir, 'known2.txt')]);
  assert.equal(stale.code, 1, stale.out);
  assert.match(stale.out, /^FIXED \(remove from known-differences.txt, or run --update\): missing function walrus::blob::fixed_long_ago$/m);
});

test('the abort-code table in move/walrus/README.md is the one the sources give', async () => {
  const { abortTable } = await import('../move-surface');
  const readme = readFileSync(join(repoRoot, 'move', 'walrus', 'README.md'), 'utf8');
  const table = abortTable();
  assert.ok(table.split('\n').length > 40, 'the table lists the package constants');
  assert.ok(
    readme.includes(`-->\n${table}\n<!-- abort-codes:end -->`),
    'README abort-code table is stale: run node scripts/move-surface abort-table --write',
  );
});
