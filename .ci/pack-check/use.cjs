'use strict';
// The scenarios (scenarios.cjs) with the packages loaded through their CommonJS entries;
// pack-check.sh runs this with --no-experimental-require-module (Node 20.10–20.18 behaviour).
const core = require('@backupkit/core');
const adapter = require('@backupkit/http-adapter');
const { backupRouter } = require('@backupkit/http-adapter/express');
const { backupFrameworkErrors, backupPlugin } = require('@backupkit/http-adapter/fastify');
const express = require('express');
const Fastify = require('fastify');
const scenarios = require('./scenarios.cjs');

scenarios
  .runAll({ core, adapter, backupRouter, backupPlugin, backupFrameworkErrors, express, Fastify }, 'cjs')
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
