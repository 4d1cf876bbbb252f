// What scripts/move-test and scripts/move-surface share: finding our Move packages, reading a
// package's files for the WASM builder (@zktx.io/sui-move-builder), locating a local copy of the
// Sui framework sources, and a fetcher that serves dependencies from disk instead of GitHub.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const scriptsDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(scriptsDir, '..');

export const FRAMEWORK_SUBDIRS = {
  'sui-framework': 'crates/sui-framework/packages/sui-framework',
  'move-stdlib': 'crates/sui-framework/packages/move-stdlib',
};

/** No framework source (or no builder) is reachable: callers report SKIPPED, never a pass. */
export class SkipError extends Error {}

/** Every directory with a Move.toml below `root` (not descending into packages or build/). */
export function findPackages(root) {
  const found = [];
  if (!existsSync(root)) return found;
  const walk = (dir) => {
    if (existsSync(join(dir, 'Move.toml'))) {
      found.push(dir);
      return;
    }
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name !== 'build' && !entry.name.startsWith('.')) {
        walk(join(dir, entry.name));
      }
    }
  };
  walk(root);
  return found.sort();
}

/** Reads every file below `dir` whose path passes `keep`, as a map relative-path -> text. */
export function readTree(dir, keep) {
  const files = {};
  const walk = (sub) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name !== 'build' && !entry.name.startsWith('.')) walk(rel);
      } else if (keep(rel)) {
        files[rel] = readFileSync(join(dir, rel), 'utf8');
      }
    }
  };
  walk('');
  return files;
}

/** The files of a package that the builder needs: manifest, sources and (optionally) tests. */
export function packageFiles(dir, { tests = true } = {}) {
  const dirs = tests ? /^(sources|tests)\// : /^sources\//;
  return readTree(dir, (rel) => rel === 'Move.toml' || (dirs.test(rel) && rel.endsWith('.move')));
}

/**
 * The local framework copy: $SUI_FRAMEWORK_DIR, else $HOME/.cache/walrus/sui-framework, else null.
 * A SUI_FRAMEWORK_DIR that lacks the packages is a SkipError (the user asked for it by name).
 */
export function frameworkDir() {
  const candidates = [];
  if (process.env.SUI_FRAMEWORK_DIR) candidates.push(['SUI_FRAMEWORK_DIR', process.env.SUI_FRAMEWORK_DIR]);
  candidates.push(['cache', join(homedir(), '.cache', 'walrus', 'sui-framework')]);
  for (const [origin, dir] of candidates) {
    const ok = Object.values(FRAMEWORK_SUBDIRS).every((sub) => existsSync(join(dir, sub, 'Move.toml')));
    if (ok) return dir;
    if (origin === 'SUI_FRAMEWORK_DIR') {
      throw new SkipError(
        `SUI_FRAMEWORK_DIR=${dir} does not contain ${Object.values(FRAMEWORK_SUBDIRS).join(' and ')}`,
      );
    }
  }
  return null;
}

/**
 * A fetcher that serves the Sui framework from `fwDir` and local dependencies from disk: first
 * relative to the root package `pkgDir`, then relative to any of our packages under move/ (the
 * builder does not say where the declaring parent lives).
 */
export function localFetcher(fwDir, pkgDir) {
  const frameworkCache = new Map();
  return {
    async fetch(gitUrl, rev, subdir) {
      const known = Object.values(FRAMEWORK_SUBDIRS).find((s) => subdir && subdir.replace(/\/$/, '') === s);
      if (!known) {
        throw new Error(`no local source for git dependency ${gitUrl}@${rev} subdir=${subdir ?? ''}`);
      }
      if (!frameworkCache.has(known)) {
        const dir = join(fwDir, known);
        frameworkCache.set(
          known,
          readTree(dir, (rel) => rel === 'Move.toml' || (rel.startsWith('sources/') && rel.endsWith('.move'))),
        );
      }
      return frameworkCache.get(known);
    },
    async fetchFile() {
      return null;
    },
    getResolvedSha() {
      return undefined;
    },
    async fetchLocal(localPath, context) {
      const candidates = [resolve(pkgDir, localPath)];
      for (const other of findPackages(join(repoRoot, 'move'))) {
        candidates.push(resolve(other, localPath));
      }
      for (const dir of candidates) {
        if (existsSync(join(dir, 'Move.toml'))) return packageFiles(dir);
      }
      throw new Error(
        `local dependency ${localPath} of ${context?.parentPackageName ?? 'package'} not found`,
      );
    },
  };
}

/** Imports and initialises the pinned WASM builder; a SkipError when `npm ci` has not run. */
export async function loadBuilder() {
  const builderPath = join(scriptsDir, 'node_modules', '@zktx.io', 'sui-move-builder', 'dist', 'full', 'index.js');
  if (!existsSync(builderPath)) {
    throw new SkipError(
      `the Move builder is not installed; run: (cd ${relative(process.cwd(), scriptsDir) || '.'} && npm ci)`,
    );
  }
  const builder = await import(builderPath);
  await builder.initMovePackageBuilder();
  return builder;
}

export function firstLine(text) {
  return String(text).split('\n').find((l) => l.trim()) ?? '';
}
