// Self-test of scripts/test.sh: in a scratch project with one failing Rust test and one failing
// Move test, the test command exits non-zero, shows both failures, and its closing line counts them.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { frameworkAvailable, movePackage, run, scriptsDir, tempDir, writeTree } from './helpers.mjs';

test('test.sh fails on a failing Rust test and a failing Move test', { timeout: 600_000 }, (t) => {
  const proj = tempDir('proj');
  writeTree(proj, {
    'Cargo.toml': '[workspace]\nresolver = "3"\nmembers = ["demo"]\n',
    'demo/Cargo.toml': '[package]\nname = "demo"\nversion = "0.1.0"\nedition = "2024"\n',
    'demo/src/lib.rs': [
      '//! Scratch crate for the test runner self-test.',
      '',
      '/// Adds two numbers.',
      'pub fn add(a: u64, b: u64) -> u64 {',
      '    a + b',
      '}',
      '',
      '#[cfg(test)]',
      'mod tests {',
      '    #[test]',
      '    fn passing_on_purpose() {',
      '        assert_eq!(super::add(1, 2), 3);',
      '    }',
      '',
      '    #[test]',
      '    fn failing_on_purpose() {',
      '        assert_eq!(super::add(1, 2), 4);',
      '    }',
      '}',
      '',
    ].join('\n'),
  });
  const withMove = frameworkAvailable();
  if (withMove) writeTree(join(proj, 'move', 'demo'), movePackage('demo', 'failing'));
  mkdirSync(join(proj, 'scripts'), { recursive: true });
  for (const f of ['test.sh', 'move-test', 'pg.sh', 'package.json', 'package-lock.json']) {
    copyFileSync(join(scriptsDir, f), join(proj, 'scripts', f));
    chmodSync(join(proj, 'scripts', f), 0o755);
  }
  mkdirSync(join(proj, 'scripts', 'lib'), { recursive: true });
  for (const f of readdirSync(join(scriptsDir, 'lib'))) {
    copyFileSync(join(scriptsDir, 'lib', f), join(proj, 'scripts', 'lib', f));
  }
  // The scratch project gets its own node_modules directory whose entries link to ours, with
  // test.sh's install stamp for the copied lock file: test.sh then finds the packages installed
  // and never runs `npm ci` there (which, through a link to our whole node_modules, would wipe
  // it; with links per entry it could only remove the links).
  const modules = join(proj, 'scripts', 'node_modules');
  mkdirSync(modules);
  const ours = join(scriptsDir, 'node_modules');
  if (existsSync(ours)) {
    for (const entry of readdirSync(ours)) {
      if (entry !== '.walrus-lock-sha256') symlinkSync(join(ours, entry), join(modules, entry));
    }
  }
  const lock = readFileSync(join(scriptsDir, 'package-lock.json'));
  writeFileSync(join(modules, '.walrus-lock-sha256'), `${createHash('sha256').update(lock).digest('hex')}\n`);
  assert.equal(run('cargo', ['generate-lockfile', '--offline'], { cwd: proj }).code, 0);

  const env = {
    ...process.env,
    CARGO_TARGET_DIR: join(proj, 'target'),
    WALRUS_TEST_STAGES: 'fmt clippy rust move',
  };
  delete env.MOVE_TESTS_OPTIONAL;
  const { code, out } = run('bash', [join(proj, 'scripts', 'test.sh')], { cwd: proj, env });
  assert.notEqual(code, 0, out);
  assert.match(out, /failing_on_purpose/);
  assert.match(out, /== rust \(.*\): FAILED: 1 passed, 1 failed/);
  if (withMove) {
    assert.match(out, /\[ FAIL +\] demo::m_tests::adds/);
    assert.match(out, /== move: FAILED: 0 passed, 1 failed/);
    assert.match(out, /\n1 passed, 2 failed\n?$/);
  } else {
    t.diagnostic('no local Sui framework: Move half not exercised');
    assert.match(out, /\n1 passed, 1 failed\n?$/);
  }
});
