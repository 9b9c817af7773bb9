// Runs one of the command line's scripts (lib/bundle/*.cjs, scripts/build-cli.ts) with a V8
// code cache made after the command ran: the next start of the same command finds every
// function it needs compiled. (Node's module compile cache is made before a module runs,
// so it holds little more than the module's top level; the functions a command calls were
// compiled again at every start.) The cache is the user's: $AEGIS_CACHE_DIR, else
// $XDG_CACHE_HOME/aegis, else ~/.cache/aegis; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
// A cache V8 refuses (another Node, other flags) is made again; one that cannot be written
// (a read-only home) is simply not kept.
// Node's modules are got when a script is loaded, not when this module is: bin/aegis.js
// imports it before it checks the Node version, and an older Node has no getBuiltinModule.

function cacheDir(join) {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  if (process.env.AEGIS_CACHE_DIR) return process.env.AEGIS_CACHE_DIR;
  // $HOME is what os.homedir() gives on POSIX: node:os is not loaded for it (0.1 ms).
  const home = () => process.env.HOME || process.getBuiltinModule("node:os").homedir();
  return join(process.env.XDG_CACHE_HOME || join(home(), ".cache"), "aegis");
}

/** A short hash of a string (the script's path), to tell installations apart. */
function hashOf(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}

/**
 * Runs the CommonJS script `file` (an absolute path) and returns its exports, and `done`:
 * to call once the command has run, which keeps the code cache if there was none to use.
 */
export function loadBundle(file) {
  const { readFileSync, readdirSync, statSync, mkdirSync, writeFileSync, renameSync, rmSync } =
    process.getBuiltinModule("node:fs");
  const { join, dirname } = process.getBuiltinModule("node:path");
  const vm = process.getBuiltinModule("node:vm");
  const { createRequire, wrap } = process.getBuiltinModule("node:module");
  const source = readFileSync(file, "utf8");
  const dir = cacheDir(join);
  let cacheFile;
  let cached;
  let prefix;
  if (dir) {
    const { size, mtimeMs } = statSync(file);
    prefix = `${file
      .split(/[\\/]/)
      .pop()
      .replace(/\.cjs$/, "")}-${hashOf(file)}-`;
    cacheFile = join(
      dir,
      `${prefix}${size}-${Math.floor(mtimeMs)}-${process.version}-${process.arch}.v8`,
    );
    try {
      cached = readFileSync(cacheFile);
    } catch {
      // None yet.
    }
  }
  const script = new vm.Script(wrap(source), {
    filename: file,
    ...(cached && { cachedData: cached }),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  const done = () => {
    if (!cacheFile || (cached && !script.cachedDataRejected)) return;
    try {
      mkdirSync(dirname(cacheFile), { recursive: true, mode: 0o700 });
      const temporary = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
      renameSync(temporary, cacheFile);
      // The caches of this script before it was installed again, or of another Node; and
      // any cache unused for 30 days (an installation since removed).
      const stale = Date.now() - 30 * 24 * 3600 * 1000;
      for (const other of readdirSync(dir)) {
        const path = join(dir, other);
        if (!other.endsWith(".v8") || path === cacheFile) continue;
        if (other.startsWith(prefix) || statSync(path).atimeMs < stale)
          rmSync(path, { force: true });
      }
    } catch {
      // Not kept: the next start compiles again.
    }
  };
  return { exports: module.exports, done };
}
