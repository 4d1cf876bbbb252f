// Shared helpers for the scripts' self-tests (node:test, no dependencies).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const scriptsDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(scriptsDir, '..');

/**
 * Starts `cargo run -q --locked -p <pkg> --example <example> -- ...args` in the repository (a
 * fixture that prints one JSON line, then serves until its stdin closes). Resolves with the
 * parsed line and `stop()`, which closes the fixture's stdin and resolves with
 * `{ code, stderr }` once it exits.
 */
export function startFixture(pkg, example, args = []) {
  const child = spawn('cargo', ['run', '-q', '--locked', '-p', pkg, '--example', example, '--', ...args], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const line = new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    exited.then((code) => reject(new Error(`${example} exited (${code}) before its first line:\n${stderr}`)));
  });
  return line.then((text) => ({
    json: JSON.parse(text),
    stop: async () => {
      child.stdin.end();
      const code = await exited;
      return { code, stderr };
    },
  }));
}

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `walrus-${prefix}-`));
}

/** Writes `files` (relative path -> text) below `dir`. */
export function writeTree(dir, files) {
  for (const [rel, text] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
}

export function run(cmd, args, options = {}) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  return { code: res.status, out: `${res.stdout ?? ''}${res.stderr ?? ''}` };
}

/** True when the Move runner can find framework sources without the network. */
export function frameworkAvailable() {
  const dir = process.env.SUI_FRAMEWORK_DIR ?? join(homedir(), '.cache', 'walrus', 'sui-framework');
  return existsSync(join(dir, 'crates/sui-framework/packages/sui-framework/Move.toml'));
}

/** A one-module Move package whose test `adds` passes or fails, or that does not compile. */
export function movePackage(name, kind) {
  const body = { 'compile-error': 'a + b +', warning: 'let unused = 1u64; a + b' }[kind] ?? 'a + b';
  const expected = kind === 'failing' ? 4 : 3;
  const testPrefix = kind === 'test-warning' ? 'let unused_in_test = 1u64; ' : '';
  return {
    'Move.toml': `[package]\nname = "${name}"\nedition = "2024"\n\n[addresses]\n${name} = "0x0"\n`,
    [`sources/${name}.move`]: `module ${name}::m;\n\npublic fun add(a: u64, b: u64): u64 { ${body} }\n`,
    [`tests/${name}_tests.move`]:
      `#[test_only]\nmodule ${name}::m_tests;\n\n#[test]\nfun adds() { ${testPrefix}std::unit_test::assert_eq!(${name}::m::add(1, 2), ${expected}); }\n`,
  };
}
