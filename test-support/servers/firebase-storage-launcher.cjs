// Runs the Firebase Storage emulator (a GCS JSON API server inside firebase-tools) as a
// child process of the tests. Started through firebase-tools' own emulator registry,
// with the Java rules runtime (it needs Java 21 and a downloaded jar) replaced by an
// allow-all stub: the drivers under test talk the GCS API, not Firebase security rules.
// Usage: node firebase-storage-launcher.cjs <firebase-tools dir> <port> <project id>
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const [firebaseDir, portText, projectId] = process.argv.slice(2);
if (!firebaseDir || !portText || !projectId) {
  process.stderr.write('usage: firebase-storage-launcher.cjs <firebase-tools dir> <port> <project id>\n');
  process.exit(2);
}
const lib = (p) => require(path.join(firebaseDir, 'lib', p));
const { StorageEmulator } = lib('emulator/storage/index.js');
const { EmulatorRegistry } = lib('emulator/registry.js');

const noIssues = { exist: () => false, all: [], errors: [], warnings: [] };
const allowAll = {
  alive: true,
  start: async () => {},
  stop: async () => {},
  loadRuleset: async () => ({
    ruleset: { verify: async () => ({ permitted: true, issues: noIssues }) },
    issues: noIssues,
  }),
};

class AllowAllStorageEmulator extends StorageEmulator {
  createRulesManager(rules) {
    this._rulesRuntime = allowAll;
    return super.createRulesManager(rules);
  }
}

async function main() {
  const rulesFile = path.join(os.tmpdir(), 'storage.rules');
  const content =
    "rules_version = '2';\nservice firebase.storage { match /b/{bucket}/o { match /{all=**} { allow read, write: if true; } } }\n";
  fs.writeFileSync(rulesFile, content);
  const emulator = new AllowAllStorageEmulator({
    projectId,
    host: '127.0.0.1',
    port: Number(portText),
    rules: { name: rulesFile, content },
    auto_download: false,
  });
  await EmulatorRegistry.start(emulator);
  process.stdout.write(`storage emulator listening on 127.0.0.1:${portText}\n`);
  const stop = () => {
    EmulatorRegistry.stop(emulator.getName()).finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error) => {
  process.stderr.write(`storage emulator failed to start: ${error?.stack ?? String(error)}\n`);
  process.exit(1);
});
