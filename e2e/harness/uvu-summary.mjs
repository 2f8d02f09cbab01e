// Runs a uvu command and closes with the line CI reads: "N passed, N failed, N skipped".
// uvu prints Total/Passed/Skipped but no failed count, and nothing at all when a file crashes on import.
import { spawn } from 'node:child_process';

const [cmd, ...args] = process.argv.slice(2);
const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
let out = '';
child.stdout.on('data', (chunk) => {
  out += chunk;
  process.stdout.write(chunk);
});
child.on('close', (code) => {
  const text = out.replace(/\x1b\[[0-9;]*m/g, '');
  const count = (label) => Number((text.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm')) ?? [])[1] ?? NaN);
  const [total, passed, skipped] = [count('Total'), count('Passed'), count('Skipped')];
  if (Number.isNaN(total)) console.log('0 passed, 1 failed');
  else console.log(`${passed} passed, ${total - passed} failed, ${skipped} skipped`);
  process.exit(code ?? 1);
});
