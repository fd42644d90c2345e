// Writes a package's jest totals to a JSON file, so one line can sum every package's results.
const fs = require('node:fs');
const path = require('node:path');

class JsonTotalsReporter {
  constructor(_globalConfig, options) {
    this.outputFile = options.outputFile;
  }
  onRunComplete(_contexts, results) {
    fs.mkdirSync(path.dirname(this.outputFile), { recursive: true });
    const totals = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
      failedSuites: results.testResults
        .filter((r) => r.numFailingTests > 0 || r.testExecError)
        .map((r) => path.relative(process.cwd(), r.testFilePath)),
    };
    fs.writeFileSync(this.outputFile, JSON.stringify(totals, null, 2));
  }
}
module.exports = JsonTotalsReporter;
