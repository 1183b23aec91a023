// The scenarios (scenarios.cjs) with the packages loaded through their ES-module entries.
import * as core from '@backupkit/core';
import * as adapter from '@backupkit/http-adapter';
import { backupRouter } from '@backupkit/http-adapter/express';
import { backupFrameworkErrors, backupPlugin } from '@backupkit/http-adapter/fastify';
import express from 'express';
import Fastify from 'fastify';
import scenarios from './scenarios.cjs';

await scenarios.runAll(
  { core, adapter, backupRouter, backupPlugin, backupFrameworkErrors, express, Fastify },
  'esm',
);
