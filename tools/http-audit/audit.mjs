#!/usr/bin/env node
// Run the graphql-http GraphQL-over-HTTP compliance audit against a server.
//
// Usage: node audit.mjs http://127.0.0.1:8000/graphql
//
// Prints one line per audit result, then a summary line
//   audit: N ok, N warn, N error[, N notice]
// Exit code: 0 if every audit is `ok`; 1 if any result is not `ok`
// (`warn` for failed SHOULDs, `error` for failed MUSTs, `notice` for failed
// MAYs all count as failures); 2 on usage errors or if the audit could not
// run at all (e.g. server unreachable).
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url || process.argv.length > 3) {
  console.error('usage: node audit.mjs <graphql-endpoint-url>');
  process.exit(2);
}

// Do not follow redirects: e.g. Starlette's Mount("/graphql") answers /graphql
// with a 307 to /graphql/, which fetch would silently follow and so hide.
const fetchFn = (input, init) => fetch(input, { ...init, redirect: 'manual' });

let results;
try {
  results = await auditServer({ url, fetchFn });
} catch (err) {
  console.error(`audit: could not run against ${url}: ${err?.stack ?? err}`);
  process.exit(2);
}

const counts = { ok: 0, warn: 0, error: 0, notice: 0 };
for (const result of results) {
  counts[result.status] = (counts[result.status] ?? 0) + 1;
  let line = `${result.status.padEnd(6)} ${result.id} ${result.name}`;
  if (result.status !== 'ok') {
    line += ` -- ${result.reason}`;
    const location = result.response?.headers?.get('location');
    if (location) line += ` (redirected to ${location})`;
  }
  console.log(line);
}

let summary = `audit: ${counts.ok} ok, ${counts.warn} warn, ${counts.error} error`;
if (counts.notice) summary += `, ${counts.notice} notice`;
console.log(summary);

process.exit(results.every((r) => r.status === 'ok') ? 0 : 1);
