// Breaking changes of schema.graphql must be listed in CHANGELOG.md.
//
// Every commit on main is the "previous main" of the next one, so each commit after BASE that
// changed schema.graphql (first-parent history) is diffed against its parent, and the working
// tree against HEAD when schema.graphql has uncommitted changes. One process for all pairs.
// A BREAKING change passes only when CHANGELOG.md (as it is now) has a bullet starting with
// "- BREAKING" that names the change's path in backticks, e.g. - BREAKING `SendTipInput.amountCents`.
// Usage: node diff.mjs [repository root]   (default: two levels up from here)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';

// main's HEAD when the check was introduced (issue 14): history before it is not checked.
export const BASE = 'a7f091d929c382e7d76a33723c43e1e5a2ec6d85';
const SCHEMA = 'schema.graphql';
const CHANGELOG = 'CHANGELOG.md';

const root = resolve(process.argv[2] ?? resolve(dirname(fileURLToPath(import.meta.url)), '../..'));

function git(...args) {
  return execFileSync('git', ['-C', root, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function schemaAt(commit) {
  try {
    return git('show', `${commit}:${SCHEMA}`);
  } catch {
    return null; // no schema.graphql in that commit
  }
}

function parse(sdl, where) {
  if (sdl === null) return null;
  try {
    return buildSchema(sdl, { assumeValidSDL: false });
  } catch (error) {
    throw new Error(`${SCHEMA} at ${where} does not parse: ${error.message}`);
  }
}

/** Paths named in backticks on "- BREAKING" bullets (several per bullet), outside ``` blocks. */
export function listedPaths(changelog) {
  const listed = new Set();
  let fenced = false;
  for (const line of changelog.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced || !/^\s*[-*] BREAKING\b/.test(line)) continue;
    for (const match of line.matchAll(/`([^`]+)`/g)) listed.add(match[1]);
  }
  return listed;
}

function pairs() {
  try {
    git('cat-file', '-e', `${BASE}^{commit}`);
  } catch {
    throw new Error(
      `base commit ${BASE} is not in this clone: the check needs main's full history ` +
        '(git fetch --unshallow)',
    );
  }
  try {
    git('merge-base', '--is-ancestor', BASE, 'HEAD');
  } catch {
    throw new Error(`base commit ${BASE} is not an ancestor of HEAD`);
  }
  const commits = git('rev-list', '--reverse', '--first-parent', `${BASE}..HEAD`, '--', SCHEMA)
    .split('\n')
    .filter(Boolean);
  const found = commits.map((commit) => ({
    label: `${commit.slice(0, 12)} (${git('log', '-1', '--format=%s', commit).trim().slice(0, 60)})`,
    old: () => schemaAt(`${commit}^`),
    new: () => schemaAt(commit),
  }));
  const worktree = resolve(root, SCHEMA);
  if (existsSync(worktree)) {
    const current = readFileSync(worktree, 'utf8');
    const head = schemaAt('HEAD');
    if (current !== head) {
      found.push({ label: 'working tree (uncommitted)', old: () => head, new: () => current });
    }
  }
  return found;
}

async function main() {
  const changelogPath = resolve(root, CHANGELOG);
  const listed = existsSync(changelogPath)
    ? listedPaths(readFileSync(changelogPath, 'utf8'))
    : new Set();
  const unlisted = [];
  let breaking = 0;
  const todo = pairs();
  for (const pair of todo) {
    const changes = await diff(parse(pair.old(), `${pair.label}^`), parse(pair.new(), pair.label));
    for (const change of changes) {
      const level = change.criticality.level;
      if (level === CriticalityLevel.NonBreaking) continue;
      const path = change.path ?? change.message;
      const isBreaking = level === CriticalityLevel.Breaking;
      const ok = !isBreaking || listed.has(path);
      if (isBreaking) breaking += 1;
      if (!ok) unlisted.push({ pair: pair.label, path, message: change.message });
      const mark = isBreaking ? (ok ? 'BREAKING (listed)' : 'BREAKING, NOT LISTED') : level;
      console.log(`${pair.label}: ${mark}: ${path}: ${change.message}`);
    }
  }
  console.log(
    `schema-diff: ${todo.length} version pair(s) of ${SCHEMA} since ${BASE.slice(0, 12)} checked, ` +
      `${breaking} breaking, ${unlisted.length} not listed in ${CHANGELOG}`,
  );
  if (unlisted.length > 0) {
    console.error(`\nBreaking changes missing from ${CHANGELOG}:`);
    for (const item of unlisted) console.error(`  ${item.pair}: \`${item.path}\`: ${item.message}`);
    console.error(
      `\nList each under "Unreleased" in ${CHANGELOG} as a bullet like\n` +
        `  - BREAKING \`${unlisted[0].path}\`: what changed and what clients do instead.`,
    );
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error) => {
    console.error(`schema-diff: ${error.message}`);
    process.exitCode = 2;
  });
}
