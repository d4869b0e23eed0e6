// The BullMQ side of bench/run_vs_bullmq.sh: how many job lifecycles (added, taken, completed)
// per second BullMQ gets through one Redis, and the Redis CPU each costs. Usage:
//
//   node bullmq_yardstick.mjs --socket PATH [--jobs 60000] [--warmup-jobs 5000]
//        [--in-flight 50] [--concurrency 50] [--max-priority 1000] [--mode concurrent|phased]
//        [--remove-on-complete] [--before-measure CMD] [--after-measure CMD]
//
// run_vs_bullmq.sh copies this file next to the node_modules it installs in a temp dir: an ES
// module resolves `bullmq` from its own directory, and nothing is installed anywhere else.
//
// Three processes, as ticketd's run has three (loadgen, ticketd, Redis): this one, which only
// coordinates and reads INFO; a producer, which keeps --in-flight queue.add() calls in flight,
// each job with a random priority 1..max; a Worker with --concurrency and a no-op processor.
//   concurrent  the producer and the worker run at once, from one INFO snapshot to the next,
//               until the worker has completed every job: the rate of whole lifecycles with both
//               sides busy, as loadgen's create -> next -> resolve runs;
//   phased      the worker is paused while the producer adds every job, then drains them: the
//               two sides never compete for the cores (and the queue holds every job at once).
// Warmup jobs go through first (the same way) and are not measured: JIT, connections, scripts.
// --before-measure and --after-measure run a shell command right before the measured jobs and
// right after the last of them completes (run_redis_cost.sh zeroes and dumps callgrind's
// counters of Redis with them).
//
// Prints what it does on stderr and one line on stdout:
//   RESULT lifecycles=N seconds=S rate=R redis_cpu_s=C redis_us_per_lifecycle=U
//          add_seconds=A producer_us_per_lifecycle=P worker_us_per_lifecycle=W
//          machine_busy_pct=B others_pct=O failed=F
// redis_cpu_s is used_cpu_user + used_cpu_sys of INFO cpu over the window (the whole
// redis-server: commands, networking, AOF); producer and worker CPU are the Node processes';
// machine_busy_pct is how much of one core the whole machine was busy (as run_load.sh reports
// it), others_pct how much of that was neither Redis nor these three processes: when it is more
// than a few percent, something else was running and the numbers are tainted.
import { execSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';

const queueName = 'yardstick';

const { values: opt } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    socket: { type: 'string' },
    jobs: { type: 'string', default: '60000' },
    'warmup-jobs': { type: 'string', default: '5000' },
    'in-flight': { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '50' },
    'max-priority': { type: 'string', default: '1000' },
    mode: { type: 'string', default: 'concurrent' },
    'remove-on-complete': { type: 'boolean', default: false },
    'before-measure': { type: 'string' },
    'after-measure': { type: 'string' },
  },
});
const num = (name, min) => {
  const v = Number(opt[name]);
  if (!Number.isInteger(v) || v < min) usage(`--${name} must be an integer >= ${min}`);
  return v;
};
function usage(msg) {
  console.error(`bullmq_yardstick: ${msg}`);
  process.exit(2);
}
if (!opt.socket) usage('--socket PATH is required');
if (opt.mode !== 'concurrent' && opt.mode !== 'phased') usage('--mode is concurrent or phased');
const o = {
  socket: opt.socket,
  jobs: num('jobs', 1),
  warmup: num('warmup-jobs', 0),
  inFlight: num('in-flight', 1),
  concurrency: num('concurrency', 1),
  maxPriority: num('max-priority', 1),
  mode: opt.mode,
  removeOnComplete: opt['remove-on-complete'],
};
// BullMQ's blocking commands need maxRetriesPerRequest: null.
const connection = () => ({ path: o.socket, maxRetriesPerRequest: null });
// Busy jiffies of the whole machine (user nice system irq softirq), as run_load.sh counts.
const machineBusy = () => {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    return f[1] + f[2] + f[3] + f[6] + f[7];
  } catch {
    return NaN;
  }
};
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

// Children answer each request {id, op, ...} from the main process with {id, ...result}.
function serve(handlers) {
  process.on('message', async (m) => {
    try {
      process.send({ id: m.id, ...(await handlers[m.op](m)), cpu: cpuSeconds() });
    } catch (err) {
      process.send({ id: m.id, error: String(err?.stack ?? err) });
    }
  });
  // The coordinator is gone (killed, or failed): nothing is left to report to.
  process.on('disconnect', () => process.exit(1));
}

async function producer() {
  const queue = new Queue(queueName, { connection: connection() });
  queue.on('error', (err) => console.error(`producer: ${err}`));
  await queue.waitUntilReady();
  const jobOpts = o.removeOnComplete ? { removeOnComplete: true } : {};
  let serial = 0;
  serve({
    ready: async () => ({}),
    add: async ({ count }) => {
      const t0 = performance.now();
      let left = count;
      const lane = async () => {
        while (left > 0) {
          left--;
          // A ticket-sized payload: loadgen creates {"id","channel"}.
          await queue.add('ticket', { id: `T-${++serial}`, channel: 'email' },
            { ...jobOpts, priority: 1 + Math.floor(Math.random() * o.maxPriority) });
        }
      };
      await Promise.all(Array.from({ length: Math.min(o.inFlight, count) }, lane));
      return { seconds: (performance.now() - t0) / 1000 };
    },
    close: async () => {
      await queue.close();
      setImmediate(() => process.exit(0));
      return {};
    },
  });
}

async function worker() {
  let completed = 0;
  let failed = 0;
  let waiting = null; // { target, resolve }
  const w = new Worker(queueName, async () => {}, {
    connection: connection(),
    concurrency: o.concurrency,
    autorun: false,
  });
  const check = () => {
    if (waiting && completed + failed >= waiting.target) {
      const { resolve } = waiting;
      waiting = null;
      resolve();
    }
  };
  w.on('completed', () => { completed++; check(); });
  w.on('failed', () => { failed++; check(); });
  w.on('error', (err) => console.error(`worker: ${err}`));
  await w.waitUntilReady();
  serve({
    ready: async () => ({}),
    // Starts the worker the first time (autorun is off), and after a pause.
    run: async () => {
      await w.resume();
      return {};
    },
    pause: async () => {
      await w.pause();
      return {};
    },
    // Resolves once `target` jobs have finished since the worker started.
    until: ({ target }) => new Promise((resolve) => {
      waiting = { target, resolve };
      check();
    }).then(() => ({ completed, failed })),
    close: async () => {
      await w.close();
      setImmediate(() => process.exit(0));
      return {};
    },
  });
}

function child(role) {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--role'));
  const proc = fork(new URL(import.meta.url).pathname, [...args, `--role=${role}`]);
  const pending = new Map();
  let next = 0;
  proc.on('message', (m) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error) p.reject(new Error(`${role}: ${m.error}`));
    else p.resolve(m);
  });
  proc.on('exit', (code, signal) => {
    for (const p of pending.values()) p.reject(new Error(`${role} exited (${code ?? signal})`));
    pending.clear();
  });
  const call = (op, args = {}) => new Promise((resolve, reject) => {
    const id = ++next;
    pending.set(id, { resolve, reject });
    proc.send({ id, op, ...args });
  });
  return { call, proc };
}

async function main() {
  const redis = new IORedis(connection());
  const redisCpu = async () => {
    const info = await redis.info('cpu');
    const field = (k) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(info)[1]);
    return field('used_cpu_user') + field('used_cpu_sys');
  };
  const policy = (await redis.config('GET', 'maxmemory-policy'))[1];
  if (policy !== 'noeviction') throw new Error(`maxmemory-policy is ${policy}; BullMQ needs noeviction`);

  const prod = child('producer');
  const work = child('worker');
  await Promise.all([prod.call('ready'), work.call('ready')]);

  // One batch of jobs through both sides, in the chosen mode. Returns when the worker has
  // finished `done` jobs in all.
  let done = 0;
  const batch = async (count) => {
    done += count;
    if (o.mode === 'concurrent') {
      await work.call('run');
      const [added] = await Promise.all([prod.call('add', { count }), work.call('until', { target: done })]);
      return added;
    }
    await work.call('pause');
    const added = await prod.call('add', { count });
    await work.call('run');
    await work.call('until', { target: done });
    return added;
  };

  if (o.warmup > 0) {
    console.error(`warmup: ${o.warmup} jobs`);
    await batch(o.warmup);
  }
  if (o.mode === 'phased') await work.call('pause');
  const hook = (cmd) => { if (cmd) execSync(cmd, { stdio: 'inherit' }); };
  hook(opt['before-measure']);
  const p0 = (await prod.call('ready')).cpu;
  const w0 = (await work.call('ready')).cpu;
  const c0 = await redisCpu();
  const m0 = machineBusy();
  const self0 = cpuSeconds();
  const t0 = performance.now();
  console.error(`measured: ${o.jobs} jobs, ${o.inFlight} adds in flight, worker concurrency ` +
    `${o.concurrency}, priorities 1..${o.maxPriority}, ${o.mode}`);
  const added = await batch(o.jobs);
  const seconds = (performance.now() - t0) / 1000;
  hook(opt['after-measure']);
  const m1 = machineBusy();
  const self1 = cpuSeconds();
  const c1 = await redisCpu();
  const fin = await work.call('ready');
  const p1 = (await prod.call('ready')).cpu;
  const counts = await work.call('until', { target: done });

  await Promise.all([prod.call('close'), work.call('close')]);
  await redis.quit();

  const n = o.jobs;
  const us = (s) => (1e6 * s / n).toFixed(1);
  console.log(`RESULT lifecycles=${n} seconds=${seconds.toFixed(3)} rate=${(n / seconds).toFixed(1)} ` +
    `redis_cpu_s=${(c1 - c0).toFixed(3)} redis_us_per_lifecycle=${us(c1 - c0)} ` +
    `add_seconds=${added.seconds.toFixed(3)} producer_us_per_lifecycle=${us(p1 - p0)} ` +
    `worker_us_per_lifecycle=${us(fin.cpu - w0)} ` +
    // USER_HZ is 100 on every Linux Node runs on.
    `machine_busy_pct=${((m1 - m0) / seconds).toFixed(0)} ` +
    `others_pct=${((m1 - m0) / seconds - 100 * (c1 - c0 + p1 - p0 + fin.cpu - w0 + self1 - self0) / seconds).toFixed(0)} ` +
    `failed=${counts.failed}`);
}

const roles = { main, producer, worker };
if (!roles[opt.role]) usage(`unknown --role ${opt.role}`);
roles[opt.role]().catch((err) => {
  console.error(`bullmq_yardstick (${opt.role}): ${err?.stack ?? err}`);
  process.exit(1);
});
