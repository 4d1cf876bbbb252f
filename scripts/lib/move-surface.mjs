// The on-chain surface of compiled Move packages (see scripts/move-surface for what it covers and
// how it is used), and the comparison of two surfaces.
import { basename, join } from 'node:path';
import { frameworkDir, loadBuilder, localFetcher, packageFiles, scriptsDir, SkipError } from './move-builder.mjs';

const WELL_KNOWN = {
  '0000000000000000000000000000000000000000000000000000000000000001': 'std',
  '0000000000000000000000000000000000000000000000000000000000000002': 'sui',
};

// ---------------------------------------------------------------------------------------------
// Describing a package

const ABILITIES = [
  [1, 'copy'],
  [2, 'drop'],
  [4, 'store'],
  [8, 'key'],
];

function abilityList(mask) {
  return ABILITIES.filter(([bit]) => mask & bit).map(([, name]) => name);
}

/** `name: a + b` (no constraint: just the name). */
function typeParam(name, mask, phantom = false) {
  const abilities = abilityList(mask);
  return `${phantom ? 'phantom ' : ''}${name}${abilities.length ? `: ${abilities.join(' + ')}` : ''}`;
}

function typeParams(params) {
  return params.length ? `<${params.join(', ')}>` : '';
}

/** Reads one compiled module into its surface, naming packages through `packageOf`. */
function describeModule(m, packageOf) {
  const ident = (i) => m.identifiers[i];
  const moduleName = (handleIdx) => {
    const h = m.module_handles[handleIdx];
    const address = m.address_identifiers[h.address];
    const name = ident(h.name);
    return `${WELL_KNOWN[address] ?? packageOf(address, name)}::${name}`;
  };
  const datatypeName = (idx) => {
    const h = m.datatype_handles[idx];
    return `${moduleName(h.module)}::${ident(h.name)}`;
  };
  const type = (t) => {
    if (typeof t === 'string') {
      return { Bool: 'bool', U8: 'u8', U16: 'u16', U32: 'u32', U64: 'u64', U128: 'u128', U256: 'u256', Address: 'address', Signer: 'signer' }[t] ?? t;
    }
    if ('Vector' in t) return `vector<${type(t.Vector)}>`;
    if ('Reference' in t) return `&${type(t.Reference)}`;
    if ('MutableReference' in t) return `&mut ${type(t.MutableReference)}`;
    if ('TypeParameter' in t) return `T${t.TypeParameter}`;
    if ('Datatype' in t) return datatypeName(t.Datatype);
    if ('DatatypeInstantiation' in t) {
      const [idx, args] = t.DatatypeInstantiation;
      return `${datatypeName(idx)}<${args.map(type).join(', ')}>`;
    }
    throw new Error(`unknown signature token ${JSON.stringify(t)}`);
  };
  const fields = (list) => list.map((f) => `${ident(f.name)}: ${type(f.signature)}`);
  const datatypeHeader = (kind, handle) => {
    const abilities = abilityList(handle.abilities);
    const params = handle.type_parameters.map((p, i) => typeParam(`T${i}`, p.constraints, p.is_phantom));
    return `public ${kind} ${ident(handle.name)}${typeParams(params)}${abilities.length ? ` has ${abilities.join(', ')}` : ''}`;
  };

  const structs = {};
  for (const def of m.struct_defs ?? []) {
    const handle = m.datatype_handles[def.struct_handle];
    const declared = def.field_information.Declared;
    const body = declared ? ` { ${fields(declared).join(', ')} }` : ' (native)';
    structs[ident(handle.name)] = `${datatypeHeader('struct', handle)}${body}`;
  }
  const enums = {};
  for (const def of m.enum_defs ?? []) {
    const handle = m.datatype_handles[def.enum_handle];
    const variants = def.variants.map((v) => {
      const fs = fields(v.fields);
      return fs.length ? `${ident(v.variant_name)} { ${fs.join(', ')} }` : ident(v.variant_name);
    });
    enums[ident(handle.name)] = `${datatypeHeader('enum', handle)} { ${variants.join(', ')} }`;
  }
  const functions = {};
  for (const def of m.function_defs ?? []) {
    const isPublic = def.visibility === 'Public';
    if (!isPublic && !def.is_entry) continue;
    const handle = m.function_handles[def.function];
    const params = m.signatures[handle.parameters].map(type);
    const returns = m.signatures[handle.return_].map(type);
    const tparams = handle.type_parameters.map((mask, i) => typeParam(`T${i}`, mask));
    const ret = returns.length === 0 ? '' : returns.length === 1 ? `: ${returns[0]}` : `: (${returns.join(', ')})`;
    const prefix = `${isPublic ? 'public ' : ''}${def.is_entry ? 'entry ' : ''}fun`;
    functions[ident(handle.name)] = `${prefix} ${ident(handle.name)}${typeParams(tparams)}(${params.join(', ')})${ret}`;
  }
  return { structs, enums, functions };
}

/** `const EName: u64 = N;` of every module in the package's sources: `{ module: { EName: N } }`. */
export function abortConstants(files) {
  const byModule = {};
  for (const { module, code, name } of abortConstantDocs(files)) (byModule[module] ??= {})[name] = code;
  return byModule;
}

/**
 * Every abort constant of a package's sources with its doc comment, in module then code order:
 * `[{ module, code, name, doc }]` (module without its package). The doc is the `///` lines right
 * above the constant, joined. Decimal and hex values; constants inside block comments are skipped.
 */
export function abortConstantDocs(files) {
  const rows = [];
  for (const [path, text] of Object.entries(files)) {
    if (!path.startsWith('sources/')) continue;
    const header = /^\s*module\s+\w+::(\w+)\s*[;{]/m.exec(text);
    if (!header) continue;
    const lines = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).split('\n');
    lines.forEach((line, i) => {
      const c = /^\s*const\s+(E[A-Z]\w*)\s*:\s*u64\s*=\s*([0-9_]+|0x[0-9a-fA-F_]+)\s*;/.exec(line);
      if (!c) return;
      const doc = [];
      for (let j = i - 1; j >= 0 && /^\s*\/\/\//.test(lines[j]); j--) doc.unshift(lines[j].replace(/^\s*\/\/\/\s?/, ''));
      rows.push({ module: header[1], code: Number(c[2].replace(/_/g, '')), name: c[1], doc: doc.join(' ') });
    });
  }
  return rows.sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : a.code - b.code));
}

export async function describePackages(dirs, source) {
  const builder = await loadBuilder();
  const fwDir = frameworkDir();
  if (!fwDir) throw new SkipError('no local Sui framework copy (set SUI_FRAMEWORK_DIR; see scripts/move-test)');
  const template = await import(join(scriptsDir, 'node_modules', '@mysten', 'move-bytecode-template', 'index.mjs'));

  // Modules of every package named, so that a type from a sibling package built at 0x0 (as an
  // unpublished dependency is) is named by its package.
  const built = [];
  const modulePackage = new Map();
  for (const dir of dirs) {
    const files = packageFiles(dir, { tests: false });
    const pkgName = /^\s*name\s*=\s*"([^"]+)"/m.exec(files['Move.toml'] ?? '')?.[1] ?? basename(dir);
    const result = await builder.dumpMovePackage({
      files,
      network: 'mainnet',
      fetcher: localFetcher(fwDir, dir),
      silenceWarnings: true,
    });
    if ('error' in result) throw new Error(`${dir} does not build:\n${result.error}`);
    const modules = result.modules.map((b64) => template.deserialize(Buffer.from(b64, 'base64')));
    for (const m of modules) {
      modulePackage.set(m.identifiers[m.module_handles[m.self_module_handle_idx].name], pkgName);
    }
    built.push({ pkgName, files, modules });
  }
  const packageOf = (address, moduleName) => {
    if (/^0+$/.test(address) && modulePackage.has(moduleName)) return modulePackage.get(moduleName);
    return `0x${address}`;
  };

  const modules = {};
  for (const { pkgName, files, modules: compiled } of built) {
    const errors = abortConstants(files);
    for (const m of compiled) {
      const name = m.identifiers[m.module_handles[m.self_module_handle_idx].name];
      modules[`${pkgName}::${name}`] = { ...describeModule(m, packageOf), errors: errors[name] ?? {} };
    }
  }
  const sorted = Object.fromEntries(Object.keys(modules).sort().map((k) => [k, sortKeys(modules[k])]));
  return { ...(source ? { source } : {}), modules: sorted };
}

function sortKeys(module) {
  const out = {};
  for (const kind of ['structs', 'enums', 'functions', 'errors']) {
    out[kind] = Object.fromEntries(Object.keys(module[kind]).sort().map((k) => [k, module[kind][k]]));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Comparing

const KIND_WORD = { structs: 'struct', enums: 'enum', functions: 'function', errors: 'error' };

/**
 * Differences (each a stable key plus details) and our additions, between `ours` and `reference`.
 * Exported shape: { differences: [{ key, detail }], additions: [key] }.
 */
export function compareSurfaces(ours, reference) {
  const differences = [];
  const additions = [];
  for (const [mod, ref] of Object.entries(reference.modules)) {
    const our = ours.modules[mod];
    for (const kind of Object.keys(KIND_WORD)) {
      for (const [name, want] of Object.entries(ref[kind])) {
        const have = our?.[kind][name];
        const key = `${KIND_WORD[kind]} ${mod}::${name}`;
        if (have === undefined) differences.push({ key: `missing ${key}`, detail: `  reference: ${want}` });
        else if (have !== want) differences.push({ key: `differs ${key}`, detail: `  ours:      ${have}\n  reference: ${want}` });
      }
      for (const name of Object.keys(our?.[kind] ?? {})) {
        if (!(name in ref[kind])) additions.push(`${KIND_WORD[kind]} ${mod}::${name}`);
      }
    }
  }
  for (const mod of Object.keys(ours.modules)) {
    if (!(mod in reference.modules)) additions.push(`module ${mod}`);
  }
  return { differences, additions };
}

