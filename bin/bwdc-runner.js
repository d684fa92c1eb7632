#!/usr/bin/env node
// The published entry point runs the compiled JavaScript: no tsx at run time, so start-up stays
// close to `node -e 0` (see bench/README.md).
import '../dist/cli/main.js';
