// Self-tests of scripts/move-test: exit codes and reports for passing, failing, broken and
// unreachable-framework cases.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { frameworkAvailable, movePackage, run, scriptsDir, tempDir, writeTree } from './helpers.mjs';

const runner = join(scriptsDir, 'move-test');
const noFramework = !frameworkAvailable() && 'no local Sui framework copy';

function pkg(kind) {
  const dir = tempDir('move');
  writeTree(dir, movePackage('demo', kind));
  return dir;
}

test('a passing package exits 0 and counts its tests', { skip: noFramework }, () => {
  const { code, out } = run('node', [runner, pkg('passing')]);
  assert.equal(code, 0, out);
  assert.match(out, /\[ PASS +\] demo::m_tests::adds/);
  assert.match(out, /^Move tests: 1 passed, 0 failed$/m);
});

test('a failing Move test exits 1 and names the test', { skip: noFramework }, () => {
  const { code, out } = run('node', [runner, pkg('failing')]);
  assert.equal(code, 1, out);
  assert.match(out, /\[ FAIL +\] demo::m_tests::adds/);
  assert.match(out, /^Move tests: 0 passed, 1 failed$/m);
});

test('a compile error exits 1 and prints the diagnostics', { skip: noFramework }, () => {
  const { code, out } = run('node', [runner, pkg('compile-error')]);
  assert.equal(code, 1, out);
  assert.match(out, /error\[E\d+\]/);
  assert.match(out, /^Move tests: 0 passed, 1 failed$/m);
});

test('a compiler warning in sources fails the package', { skip: noFramework }, () => {
  const { code, out } = run('node', [runner, pkg('warning')]);
  assert.equal(code, 1, out);
  assert.match(out, /warning\[W\d+\]: unused variable/);
  assert.match(out, /builds with warnings/);
  assert.match(out, /^Move tests: 1 passed, 1 failed$/m);
});

test('a compiler warning in test code fails the package', { skip: noFramework }, () => {
  const { code, out } = run('node', [runner, pkg('test-warning')]);
  assert.equal(code, 1, out);
  assert.match(out, /warning\[W\d+\]: unused variable/);
  assert.match(out, /test code compiles with 1 warning/);
  assert.doesNotMatch(out, /walrus_warning_probe/);
});

test('no reachable framework is SKIPPED and fails unless optional', () => {
  const dir = pkg('passing');
  const env = { ...process.env, SUI_FRAMEWORK_DIR: join(dir, 'nowhere') };
  delete env.MOVE_TESTS_OPTIONAL;
  const strict = run('node', [runner, dir], { env });
  assert.equal(strict.code, 2, strict.out);
  assert.match(strict.out, /^Move tests SKIPPED: SUI_FRAMEWORK_DIR=/m);
  const optional = run('node', [runner, dir], { env: { ...env, MOVE_TESTS_OPTIONAL: '1' } });
  assert.equal(optional.code, 0, optional.out);
  assert.match(optional.out, /^Move tests SKIPPED: .*\(MOVE_TESTS_OPTIONAL=1\)$/m);
});

test('a directory without Move.toml is an error, not an empty pass', () => {
  const { code, out } = run('node', [runner, tempDir('empty')]);
  assert.equal(code, 1, out);
  assert.match(out, /not a Move package/);
});

test('move-reference-tests names a directory that is not the reference package', () => {
  const dir = tempDir('not-reference');
  const { code, out } = run('bash', [join(scriptsDir, 'move-reference-tests'), dir]);
  assert.equal(code, 1, out);
  assert.match(out, /test_utils\.move not found \(is .* the reference's walrus package\?\)/);
});

test('move-reference-tests without an argument prints its usage', () => {
  const { code, out } = run('bash', [join(scriptsDir, 'move-reference-tests')]);
  assert.notEqual(code, 0, out);
  assert.match(out, /usage: scripts\/move-reference-tests REF_WALRUS_DIR/);
});
