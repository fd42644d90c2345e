/**
 * Data-driven interaction tests in the style of etcd-io/raft's `testdata/*.txt`: each file is a
 * script of commands, each followed by `----` and the expected output (a blank line ends it).
 * The output of every Ready and every dropped message is printed, so a script reads like a
 * trace of the protocol.
 *
 * Regenerate expected output after an intended change (then review the diff):
 *   REWRITE=1 npx jest -c packages/raft/jest.config.js interaction
 *
 * Commands:
 *   cluster <id>... [seed=N] [prevote=false] [checkquorum=false] [snapshot-every=N] [lease=true]
 *   campaign <id> | tick <id|all> [n] | stabilize | isolate <id> | heal | crash <id> | restart <id>
 *   put <id> <key> <value> | get <id> <key> | transfer <leader> <to>
 *   add-learner <leader> <id> | add-node <leader> <id> | remove <leader> <id>
 *   status <id> | log <id> | kv <id>
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Entry, type Message, type Ready, ProposalDroppedError, decodeConfChange } from '../src';
import { SimCluster } from './sim/cluster';

const dec = new TextDecoder();
const dir = join(__dirname, '..', 'testdata');

function fmtEntry(e: Entry): string {
  let what: string;
  if (e.type === 'ConfChange') {
    const cc = decodeConfChange(e.data);
    what = `${cc.type} ${cc.nodeId}`;
  } else if (e.data.length === 0) what = 'no-op';
  else {
    const cmd = JSON.parse(dec.decode(e.data)) as { key: string; value: string };
    what = `put ${cmd.key}=${cmd.value}`;
  }
  return `${e.term}/${e.index} ${what}`;
}

function fmtMsg(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case 'MsgApp':
      s += ` prev=${m.logTerm}/${m.index} commit=${m.commit}`;
      if (m.entries.length) s += ` [${m.entries.map(fmtEntry).join(', ')}]`;
      break;
    case 'MsgAppResp':
      s += ` index=${m.index}`;
      if (m.reject) s += ` rejected hint=${m.logTerm}/${m.rejectHint}`;
      break;
    case 'MsgVote':
    case 'MsgPreVote':
      s += ` last=${m.logTerm}/${m.index}`;
      break;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      s += m.reject ? ' rejected' : ' granted';
      break;
    case 'MsgHeartbeat':
      s += ` commit=${m.commit}`;
      break;
    case 'MsgSnap':
      s += ` snapshot=${m.snapshot!.metadata.term}/${m.snapshot!.metadata.index}`;
      break;
    case 'MsgReadIndex':
    case 'MsgReadIndexResp':
      s += ` index=${m.index}`;
      break;
  }
  if (m.context.length && m.type !== 'MsgVote' && m.type !== 'MsgPreVote')
    s += ` ctx=${dec.decode(m.context)}`;
  return s;
}

function fmtReady(id: string, rd: Ready): string[] {
  const out = [`${id} Ready:`];
  if (rd.softState) out.push(`  soft: ${rd.softState.raftState} lead=${rd.softState.lead || '-'}`);
  if (rd.hardState)
    out.push(
      `  hard: term=${rd.hardState.term} vote=${rd.hardState.vote || '-'} commit=${rd.hardState.commit}`,
    );
  if (rd.snapshot) out.push(`  snapshot: ${rd.snapshot.metadata.term}/${rd.snapshot.metadata.index}`);
  if (rd.entries.length) out.push(`  entries: ${rd.entries.map(fmtEntry).join(', ')}`);
  if (rd.committedEntries.length) out.push(`  committed: ${rd.committedEntries.map(fmtEntry).join(', ')}`);
  for (const m of rd.messages) out.push(`  send ${fmtMsg(m)}`);
  for (const r of rd.readStates) out.push(`  read-state index=${r.index} ctx=${dec.decode(r.requestCtx)}`);
  return out;
}

class Env {
  c: SimCluster | undefined;
  out: string[] = [];

  cluster(): SimCluster {
    if (!this.c) throw new Error('no cluster: start with `cluster <ids>`');
    return this.c;
  }

  run(cmd: string): string {
    this.out = [];
    const [verb, ...rest] = cmd.trim().split(/\s+/);
    const args = rest.filter((a) => !a.includes('='));
    const kv = Object.fromEntries(rest.filter((a) => a.includes('=')).map((a) => a.split('=')));
    try {
      this.exec(verb, args, kv);
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
      this.out.push(`error: ${e.message}`);
    }
    return this.out.length ? this.out.join('\n') : 'ok';
  }

  private exec(verb: string, args: string[], kv: Record<string, string>): void {
    if (verb === 'cluster') {
      this.c = new SimCluster({
        seed: Number(kv.seed ?? 1),
        ids: args,
        preVote: kv.prevote !== 'false',
        checkQuorum: kv.checkquorum !== 'false',
        snapshotEvery: Number(kv['snapshot-every'] ?? 0),
        keepEntries: 1,
        readOnlyOption: kv.lease === 'true' ? 'LeaseBased' : 'Safe',
      });
      this.c.observer = {
        ready: (id, rd) => this.out.push(...fmtReady(id, rd)),
        dropped: (m, why) => this.out.push(`dropped ${fmtMsg(m)} (${why})`),
      };
      // Consume the bootstrap Readies silently.
      const saved = this.c.observer;
      this.c.observer = {};
      this.c.stabilize();
      this.c.observer = saved;
      return;
    }
    const c = this.cluster();
    const [a, b, v] = args;
    switch (verb) {
      case 'campaign': {
        const before = c.node(a).raft;
        const was = `${before.state} term ${before.term}`;
        c.node(a).campaign();
        this.out.push(`${a}: ${was} -> ${before.state} term ${before.term}`);
        return;
      }
      case 'tick': {
        const n = Number(b ?? 1);
        for (let i = 0; i < n; i++) {
          if (a === 'all') c.tickAll();
          else c.node(a).tick();
        }
        return;
      }
      case 'stabilize':
        c.stabilize();
        return;
      case 'isolate':
        c.isolate(a);
        return;
      case 'heal':
        c.heal();
        return;
      case 'crash':
        c.crash(a);
        return;
      case 'restart':
        c.restart(a);
        return;
      case 'put':
        if (c.put(a, b, v) === undefined) this.out.push('refused');
        return;
      case 'get': {
        const id = c.get(a, b);
        if (id === undefined) this.out.push('refused');
        return;
      }
      case 'transfer':
        c.node(a).transferLeadership(b);
        return;
      case 'add-learner':
        if (!c.members.has(b)) c.addMember(b);
        c.node(a).proposeConfChange({ type: 'AddLearner', nodeId: b });
        return;
      case 'add-node':
        if (!c.members.has(b)) c.addMember(b);
        c.node(a).proposeConfChange({ type: 'AddNode', nodeId: b });
        return;
      case 'remove':
        c.node(a).proposeConfChange({ type: 'RemoveNode', nodeId: b });
        return;
      case 'status': {
        const s = c.node(a).status();
        this.out.push(
          `${a}: ${s.softState.raftState} term=${s.hardState.term} lead=${s.softState.lead || '-'} commit=${s.hardState.commit} applied=${s.applied} last=${s.lastIndex}`,
          `  voters=${s.config.voters.join(',')} learners=${s.config.learners.join(',') || '-'}`,
        );
        for (const [id, p] of Object.entries(s.progress ?? {})) {
          this.out.push(
            `  ${id}: match=${p.match} next=${p.next} ${p.state}${p.isLearner ? ' learner' : ''}`,
          );
        }
        return;
      }
      case 'log': {
        const l = c.node(a).raft.log;
        this.out.push(`${a}: first=${l.firstIndex()} last=${l.lastIndex()} committed=${l.committed}`);
        for (const e of l.slice(l.firstIndex(), l.lastIndex() + 1)) this.out.push(`  ${fmtEntry(e)}`);
        return;
      }
      case 'kv': {
        const sm = c.members.get(a)!.sm;
        const pairs = [...sm.data].sort().map(([k, val]) => `${k}=${val}`);
        this.out.push(`${a}: applied=${sm.applied} ${pairs.join(' ') || '(empty)'}`);
        for (const op of c.history.filter((o) => o.input.op === 'get' && o.ret !== undefined)) {
          this.out.push(`  get ${op.input.key} -> ${op.output?.value ?? '(absent)'}`);
        }
        return;
      }
      default:
        throw new Error(`unknown command ${verb}`);
    }
  }
}

interface Block {
  cmd: string;
  expected: string;
}

function parse(text: string): { blocks: Block[]; lines: string[] } {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (lines[i + 1] !== '----') throw new Error(`line ${i + 1}: expected ---- after command "${line}"`);
    const exp: string[] = [];
    let j = i + 2;
    while (j < lines.length && lines[j] !== '') exp.push(lines[j++]);
    blocks.push({ cmd: line, expected: exp.join('\n') });
    i = j;
  }
  return { blocks, lines };
}

function render(text: string, actual: string[]): string {
  // Keep comments and commands, replace every expected output.
  const lines = text.split('\n');
  const out: string[] = [];
  let k = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '' || line.startsWith('#')) {
      out.push(line);
      continue;
    }
    out.push(line, '----', actual[k++]);
    let j = i + 2;
    while (j < lines.length && lines[j] !== '') j++;
    i = j - 1;
  }
  return out.join('\n');
}

const files = readdirSync(dir).filter((f) => f.endsWith('.txt'));

describe('interaction scripts (testdata/*.txt)', () => {
  test('there are scripts', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  test.each(files)('%s', (file) => {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const { blocks } = parse(text);
    const env = new Env();
    const actual = blocks.map((b) => env.run(b.cmd));
    if (process.env.REWRITE) {
      writeFileSync(path, render(text, actual));
      return;
    }
    blocks.forEach((b, i) => {
      expect(`${b.cmd}\n----\n${actual[i]}`).toBe(`${b.cmd}\n----\n${b.expected}`);
    });
  });
});
