#!/usr/bin/env node
// Thin launcher: the CLI itself is bundled into dist/cli.js by scripts/build.mjs.
require('../dist/cli.js');
