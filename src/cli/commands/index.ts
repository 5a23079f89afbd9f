// Each import registers one subcommand (see program.ts). Keep one line per command.
import './disasm.js';
import './compile.js';
import './devices.js';
import './lint.js';
import './explain.js';
import './check.js';
import './run.js';
import './run-device.js';
