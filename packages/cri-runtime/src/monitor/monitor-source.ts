// The per-container monitor: a small detached Node.js process (plain CommonJS, no TypeScript, so
// it starts fast) that owns a container's stdio pipes and outlives the runtime. It is written to
// `<root>/monitor.cjs` at startup and run as `node monitor.cjs <container dir>/monitor.json`.
//
// It runs the OCI runtime in the foreground (`runc run --keep --pid-file ...`), so it is the
// parent that learns the exit status; writes the CRI log file; and records files in the
// container directory:
//   started.json  {"pid": <container init pid>, "startedAt": <ns since epoch>}
//   exit.json     {"exitCode": n, "finishedAt": <ns>, "oomKilled": bool, "message": "..."}
// Handshake on fd 3 (a socket pair with the runtime): one line "ok <pid>" once the pid file
// exists, or "err <message>" if the runtime failed to start the container; then fd 3 is closed.
// Pre-started ("idle") monitors: `node monitor.cjs --idle` waits for one line on fd 3 naming its
// monitor.json, then proceeds as above; if fd 3 closes first (the runtime went away) it exits.
// The runtime keeps a couple idle so that StartContainer does not wait for Node.js to boot.
// Signals: SIGUSR1 reopens the log file (CRI ReopenContainerLog); SIGTERM/SIGINT/SIGHUP are
// ignored (the container's lifetime decides the monitor's).

/** Source of monitor.cjs (see the comment at the top of this file for its contract). */
export const MONITOR_SOURCE = String.raw`'use strict';
const fs = require('fs');
const net = require('net');
const { spawn, spawnSync } = require('child_process');
const control = new net.Socket({ fd: 3, readable: true, writable: true });
control.on('error', () => {});
if (process.argv[2] === '--idle') {
  let buf = '';
  let assigned = false;
  control.on('data', (d) => {
    buf += d.toString();
    const i = buf.indexOf('\n');
    if (i >= 0 && !assigned) { assigned = true; main(buf.slice(0, i)); }
  });
  control.on('close', () => { if (!assigned) process.exit(0); });
} else {
  main(process.argv[2]);
}
function main(cfgPath) {
const cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
const dir = cfg.dir;
const baseMs = BigInt(Date.now());
const baseHr = process.hrtime.bigint();
function nowNs() { return baseMs * 1000000n + (process.hrtime.bigint() - baseHr); }
function rfc3339(ns) {
  const ms = Number(ns / 1000000n);
  const frac = (ns % 1000000000n).toString().padStart(9, '0');
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '.' + frac + 'Z');
}
function diag(msg) { try { fs.appendFileSync(dir + '/monitor.log', new Date().toISOString() + ' ' + msg + '\n'); } catch (e) {} }
function writeJson(name, obj) {
  const tmp = dir + '/' + name + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify(obj));
  fs.renameSync(tmp, dir + '/' + name);
}
let handshake = true;
function hs(line) {
  if (!handshake) return;
  handshake = false;
  try { control.end(line + '\n'); } catch (e) {}
}
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGPIPE']) process.on(s, () => {});
let logFd = -1;
function openLog() {
  if (!cfg.logPath) return;
  try { fs.mkdirSync(require('path').dirname(cfg.logPath), { recursive: true }); } catch (e) {}
  try { logFd = fs.openSync(cfg.logPath, 'a', 0o640); } catch (e) { diag('open log: ' + e.message); logFd = -1; }
}
openLog();
process.on('SIGUSR1', () => {
  const old = logFd;
  openLog();
  if (old >= 0) try { fs.closeSync(old); } catch (e) {}
});
function emit(stream, tag, text) {
  if (logFd < 0) return;
  try { fs.writeSync(logFd, rfc3339(nowNs()) + ' ' + stream + ' ' + tag + ' ' + text + '\n'); } catch (e) { diag('write log: ' + e.message); }
}
const MAX_LINE = 16 * 1024;
let earlyErr = '';
function pump(readable, stream) {
  let buf = Buffer.alloc(0);
  readable.on('data', (chunk) => {
    if (stream === 'stderr' && handshake) earlyErr = (earlyErr + chunk.toString()).slice(-4096);
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let i;
    while ((i = buf.indexOf(10)) >= 0) {
      let line = buf.subarray(0, i);
      while (line.length && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
      // However the bytes arrived, a line longer than MAX_LINE is split the same way.
      while (line.length > MAX_LINE) {
        emit(stream, 'P', line.subarray(0, MAX_LINE).toString());
        line = line.subarray(MAX_LINE);
      }
      emit(stream, 'F', line.toString());
      buf = buf.subarray(i + 1);
    }
    while (buf.length >= MAX_LINE) {
      emit(stream, 'P', buf.subarray(0, MAX_LINE).toString());
      buf = buf.subarray(MAX_LINE);
    }
  });
  return new Promise((resolve) => {
    const done = () => { if (buf.length) { emit(stream, 'F', buf.toString()); buf = Buffer.alloc(0); } resolve(); };
    readable.on('end', done);
    readable.on('close', done);
    readable.on('error', done);
  });
}
function oomKills() {
  if (!cfg.memoryCgroup) return 0;
  for (const f of ['memory.oom_control', 'memory.events']) {
    try {
      const m = /oom_kill (\d+)/.exec(fs.readFileSync(cfg.memoryCgroup + '/' + f, 'utf8'));
      if (m) return Number(m[1]);
    } catch (e) {}
  }
  return 0;
}
const args = ['--root', cfg.runtimeRoot, 'run', '--bundle', cfg.bundle, '--pid-file', dir + '/container.pid'];
if (cfg.keep) args.push('--keep');
args.push(cfg.id);
let cmd = cfg.runtime;
let argv = args;
if (cfg.tty) {
  // The OCI runtime needs a terminal for a terminal container: util-linux script provides one and
  // relays it to our pipes (-e: exit with the runtime's status). Output is then all on stdout.
  const q = (a) => "'" + a.replace(/'/g, "'\\''") + "'";
  cmd = 'script';
  argv = ['-q', '-e', '-c', [cfg.runtime].concat(args).map(q).join(' '), '/dev/null'];
}
const child = spawn(cmd, argv, { stdio: [cfg.stdin || cfg.tty ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
let attachServer = null;
if (cfg.stdin) {
  // Attach: every connection to cfg.attachSocket writes into the container's stdin; with
  // stdinOnce the first connection to end closes it.
  try { fs.unlinkSync(cfg.attachSocket); } catch (e) {}
  attachServer = net.createServer((sock) => {
    sock.on('error', () => {});
    sock.on('data', (d) => { try { child.stdin.write(d); } catch (e) {} });
    sock.on('end', () => { if (cfg.stdinOnce) try { child.stdin.end(); } catch (e) {} });
  });
  attachServer.on('error', (e) => diag('attach socket: ' + e.message));
  attachServer.listen(cfg.attachSocket);
  attachServer.unref();
}
if (child.stdin) child.stdin.on('error', () => {});
const pumps = Promise.all([pump(child.stdout, 'stdout'), pump(child.stderr, 'stderr')]);
let oomSeen = 0;
let pid = 0;
// Fast polling only until the container's pid appears (StartContainer waits on it); after that the
// OOM counter is sampled once a second (and read once more at exit), so idle containers cost ~nothing.
let oomPoll = null;
const poll = setInterval(() => {
  if (pid) return;
  try {
    const p = Number(fs.readFileSync(dir + '/container.pid', 'utf8').trim());
    if (p > 0) {
      pid = p;
      writeJson('started.json', { pid, startedAt: Number(nowNs()) });
      hs('ok ' + pid);
      clearInterval(poll);
      oomPoll = setInterval(() => { oomSeen = Math.max(oomSeen, oomKills()); }, 1000);
    }
  } catch (e) {}
}, 3);
child.on('error', (e) => { diag('spawn: ' + e.message); });
child.on('exit', async (code, signal) => {
  const finishedAt = Number(nowNs());
  clearInterval(poll);
  if (oomPoll) clearInterval(oomPoll);
  const started = pid > 0 || fs.existsSync(dir + '/container.pid');
  if (started && !pid) {
    // The container ran and exited between two polls of the pid file: it did start.
    try { pid = Number(fs.readFileSync(dir + '/container.pid', 'utf8').trim()) || -1; } catch (e) { pid = -1; }
    writeJson('started.json', { pid, startedAt: finishedAt });
    hs('ok ' + pid);
  }
  oomSeen = Math.max(oomSeen, oomKills());
  let exitCode = code === null ? 128 + (require('os').constants.signals[signal] || 9) : code;
  await Promise.race([pumps, new Promise((r) => setTimeout(r, 2000))]);
  if (cfg.keep) spawnSync(cfg.runtime, ['--root', cfg.runtimeRoot, 'delete', '--force', cfg.id], { stdio: 'ignore' });
  const message = started ? '' : earlyErr.trim().split('\n').slice(-2).join(' ');
  if (!started) exitCode = 128;
  writeJson('exit.json', { exitCode, finishedAt, oomKilled: oomSeen > 0, started, message });
  if (!started) hs('err ' + (message || 'the OCI runtime exited with ' + code).replace(/\n/g, ' '));
  if (attachServer) try { attachServer.close(); fs.unlinkSync(cfg.attachSocket); } catch (e) {}
  if (logFd >= 0) try { fs.closeSync(logFd); } catch (e) {}
  // Let the handshake line reach the runtime before exiting (the socket write may be pending).
  if (control.writableLength > 0 && !control.destroyed) {
    control.once('close', () => process.exit(0));
    setTimeout(() => process.exit(0), 2000);
  } else {
    process.exit(0);
  }
});
}
`;
