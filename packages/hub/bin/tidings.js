#!/usr/bin/env node
// The published CLI runs the compiled sources (npm start / npm test build them with `tsc -b`).
import '../dist/src/cli/main.js';
