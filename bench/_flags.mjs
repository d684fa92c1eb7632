import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir, bin, CLIENT_ID, median, runnerEnv } from './lib.mjs';
const dir = benchDir({ delayMs: 0 });
const env = runnerEnv(dir, { BWDC_DATA_JSON: join(dir, 'data.json'), BW_CLIENTID: CLIENT_ID, BW_CLIENTSECRET_FILE: join(dir, 'client_secret'), LOG_LEVEL: 'warn', BWDC_NICE: '0', ...(process.env.CC ? { NODE_COMPILE_CACHE: join(dir, 'cc') } : {}) });
function childCpuMs() { const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' '); return (Number(f[13]) + Number(f[14])) * 10; }
async function time(args) { const c0 = childCpuMs(); const t0 = performance.now(); await new Promise((r) => spawn(process.execPath, [...args, bin, 'run'], { env, stdio: 'ignore' }).on('close', r)); return [performance.now() - t0, childCpuMs() - c0]; }
const variants = { flags: ['--max-semi-space-size=1', '--optimize-for-size'], semi: ['--max-semi-space-size=1'], none: [] };
const res = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let i = 0; i < Number(process.argv[2] ?? 8); i++) for (const [k, a] of Object.entries(variants)) res[k].push(await time(a));
for (const [k, xs] of Object.entries(res)) console.log(k, 'wall', Math.round(median(xs.map((x) => x[0]))), 'cpu', median(xs.map((x) => x[1])));
process.exit(0);
