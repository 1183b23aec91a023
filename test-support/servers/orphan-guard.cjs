// Preloaded into every test server (node --require): exits when the test process that
// started it is gone (its parent pid changes), so a killed test run leaves no servers behind.
'use strict';
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1000).unref();
