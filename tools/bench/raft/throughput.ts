/**
 * Throughput of @keelson/raft alone: N members in one process, messages delivered in memory
 * (through the JSON wire codec), MemoryStorage as the disk. Measures proposals committed and
 * applied on every member per second of wall time and of CPU time (all members share one
 * thread, so per-CPU is the honest figure on a loaded machine), for a batch size (proposals per
 * Ready cycle).
 *
 *   node --conditions=keelson-source --import tsx tools/bench/raft/throughput.ts [members] [proposals] [batch] [bytes]
 */
import { MemoryStorage, type Message, RawNode, decodeMessage, encodeMessage } from '@keelson/raft';

const members = Number(process.argv[2] ?? 3);
const total = Number(process.argv[3] ?? 20000);
const batch = Number(process.argv[4] ?? 64);
const bytes = Number(process.argv[5] ?? 128);

const ids = Array.from({ length: members }, (_, i) => `n${i + 1}`);
const disks = new Map(ids.map((id) => [id, new MemoryStorage()]));
const nodes = new Map(ids.map((id) => [id, new RawNode({ id, storage: disks.get(id)!, peers: ids })]));
const applied = new Map(ids.map((id) => [id, 0]));
let queue: Message[] = [];

function pump(): void {
  for (;;) {
    let busy = false;
    for (const [id, n] of nodes) {
      while (n.hasReady()) {
        busy = true;
        const rd = n.ready();
        const disk = disks.get(id)!;
        if (rd.snapshot) disk.applySnapshot(rd.snapshot);
        disk.append(rd.entries);
        if (rd.hardState) disk.setHardState(rd.hardState);
        for (const m of rd.messages) queue.push(decodeMessage(encodeMessage(m)));
        for (const e of rd.committedEntries) if (e.data.length) applied.set(id, applied.get(id)! + 1);
        n.advance(rd);
        // Keep memory bounded: compact everything applied.
        const snapIndex = disk.snapshot().metadata.index;
        const a = n.status().applied;
        if (a - snapIndex > 4096) {
          disk.createSnapshot(a, n.raft.confState(), new Uint8Array());
          disk.compact(a);
        }
      }
    }
    if (queue.length) {
      busy = true;
      const q = queue;
      queue = [];
      for (const m of q) nodes.get(m.to)!.step(m);
    }
    if (!busy) return;
  }
}

pump();
nodes.get('n1')!.campaign();
pump();
const payload = new Uint8Array(bytes);
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
for (let sent = 0; sent < total;) {
  for (let i = 0; i < batch && sent < total; i++, sent++) nodes.get('n1')!.propose(payload);
  pump();
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
const done = Math.min(...applied.values());
console.log(
  `members=${members} proposals=${total} batch=${batch} bytes=${bytes}: ${done} applied on every member in ` +
    `${ms.toFixed(0)} ms wall (${Math.round((done / ms) * 1000)}/s), ${cpuMs.toFixed(0)} ms CPU (${Math.round((done / cpuMs) * 1000)}/s per CPU)`,
);
