#!/usr/bin/env node
// Reads vitest's JSON report and prints the line CI is judged by: `N passed, N failed`.
//
//   node scripts/ci-summary.mjs <vitest.json> [vitest exit code] [failed gate steps]
//
// Failed counts failed test cases, plus one per test file that failed without a failing test
// (a file that does not load, a failing beforeAll), plus one per failed gate step (lint,
// proto:check), plus one when vitest itself failed without any of those (unhandled errors,
// no tests found, a report that is missing or unreadable). Exits 1 when anything failed.
import { readFileSync } from 'node:fs';

const [file, exitArg = '0', gatesArg = '0'] = process.argv.slice(2);
const vitestExit = Number.parseInt(exitArg, 10) || 0;
const gateFailures = Number.parseInt(gatesArg, 10) || 0;

let passed = 0;
let failedTests = 0;
let brokenFiles = 0;
let reportOk = false;

if (file === undefined) {
  console.error('ci-summary: no report file given');
} else {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    passed = Number(report.numPassedTests) || 0;
    failedTests = Number(report.numFailedTests) || 0;
    for (const suite of report.testResults ?? []) {
      const assertions = suite.assertionResults ?? [];
      if (suite.status === 'failed' && !assertions.some((a) => a.status === 'failed')) {
        brokenFiles += 1;
        const firstLine = String(suite.message ?? '').split('\n')[0];
        console.log(`failed to run: ${suite.name}${firstLine ? ` (${firstLine})` : ''}`);
      }
    }
    reportOk = true;
    console.log(
      `tests: ${String(report.numTotalTests ?? 0)} total, ${String(passed)} passed, ` +
        `${String(failedTests)} failed, ${String(report.numPendingTests ?? 0)} skipped, ` +
        `${String(report.numTodoTests ?? 0)} todo; files: ${String((report.testResults ?? []).length)}`,
    );
  } catch (error) {
    console.error(`ci-summary: cannot read the vitest report ${file}: ${String(error)}`);
  }
}

let failed = failedTests + brokenFiles + gateFailures;
if (gateFailures > 0)
  console.log(`gate steps failed (lint / proto:check): ${String(gateFailures)}`);
if (failedTests + brokenFiles === 0 && (vitestExit !== 0 || !reportOk)) {
  console.log(`vitest run failed (exit ${String(vitestExit)}) without a failing test case`);
  failed += 1;
}

console.log(`${String(passed)} passed, ${String(failed)} failed`);
process.exit(failed > 0 ? 1 : 0);
