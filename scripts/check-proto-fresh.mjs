#!/usr/bin/env node
// Fails when the committed ts-proto output is not what `npm run proto` produces from proto/.
//
// How: snapshot src/adapters/inbound/grpc/generated, empty it, run `npm run proto` (buf generate +
// prettier, exactly what developers run), compare the fresh output with the snapshot file by
// file, then put the snapshot back so the check never changes the working tree. Generated files
// that git does not track yet fail the check too (a clean clone would not have them).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const generatedRel = 'src/adapters/inbound/grpc/generated';
const generated = join(root, generatedRel);

/** @param {string} dir @returns {Map<string, Buffer>} relative path -> contents */
function readTree(dir) {
  const files = new Map();
  if (!existsSync(dir)) return files;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    files.set(relative(dir, full), readFileSync(full));
  }
  return files;
}

/** @param {string} cmd @param {string[]} args */
function run(cmd, args, capture = false) {
  return spawnSync(cmd, args, {
    cwd: root,
    stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    encoding: 'utf8',
  });
}

const work = mkdtempSync(join(tmpdir(), 'proto-check-'));
const before = join(work, 'before');
const after = join(work, 'after');
let exitCode = 0;

try {
  if (existsSync(generated)) cpSync(generated, before, { recursive: true });
  const committed = readTree(generated);

  // buf does not delete outputs whose proto is gone: start from an empty folder.
  rmSync(generated, { recursive: true, force: true });
  const gen = run('npm', ['run', '--silent', 'proto']);
  if (gen.error !== undefined || gen.status !== 0) {
    console.error(
      `proto:check: \`npm run proto\` failed (${gen.error?.message ?? `exit ${String(gen.status)}`})`,
    );
    exitCode = 2;
  } else {
    const fresh = readTree(generated);
    cpSync(generated, after, { recursive: true });

    const missing = [...fresh.keys()].filter((f) => !committed.has(f)).sort();
    const stale = [...committed.keys()].filter((f) => !fresh.has(f)).sort();
    const changed = [...fresh.keys()]
      .filter((f) => committed.has(f) && !committed.get(f).equals(fresh.get(f)))
      .sort();

    if (missing.length + stale.length + changed.length > 0) {
      exitCode = 1;
      console.error(`proto:check: ${generatedRel} is out of date with proto/.`);
      for (const f of changed) console.error(`  changed:   ${f}`);
      for (const f of missing) console.error(`  missing:   ${f} (generated, but not in the tree)`);
      for (const f of stale) console.error(`  leftover:  ${f} (in the tree, but not generated)`);
      const diff = run(
        'git',
        ['--no-pager', 'diff', '--no-index', '--no-color', '--', before, after],
        true,
      );
      const lines = (diff.stdout ?? '').split('\n');
      if (lines.length > 1) {
        console.error('\nFirst lines of the difference (committed -> regenerated):');
        console.error(lines.slice(0, 60).join('\n'));
        if (lines.length > 60) console.error(`... (${String(lines.length - 60)} more lines)`);
      }
      console.error('\nFix: run `npm run proto` and commit the result.');
    } else {
      const untracked = run(
        'git',
        ['ls-files', '--others', '--exclude-standard', '--', generatedRel],
        true,
      );
      const names = (untracked.stdout ?? '').split('\n').filter((l) => l !== '');
      if (untracked.status === 0 && names.length > 0) {
        exitCode = 1;
        console.error('proto:check: generated files are not tracked by git:');
        for (const n of names) console.error(`  untracked: ${n}`);
        console.error('\nFix: `git add` them (a clean clone would not have them).');
      }
    }
  }
} finally {
  // Leave the working tree exactly as we found it.
  rmSync(generated, { recursive: true, force: true });
  if (existsSync(before)) cpSync(before, generated, { recursive: true });
  rmSync(work, { recursive: true, force: true });
}

if (exitCode === 0) console.log(`proto:check: ${generatedRel} is up to date.`);
process.exit(exitCode);
