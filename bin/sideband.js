#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli by `npm run build`.
import { main } from '../dist/src/cli/main.js';
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code ?? 0;
  },
  (err) => {
    console.error(`sideband: ${err?.message ?? err}`);
    process.exitCode = 1;
  },
);
