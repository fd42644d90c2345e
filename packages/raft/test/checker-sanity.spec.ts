/**
 * The simulation's invariant checks are not vacuous: with a deliberately broken voting rule
 * (a voter ignores §5.4.1 and grants votes to candidates with stale logs), seeded runs must
 * report a safety violation.
 */
import { RaftLog } from '../src';
import { SafetyViolation } from './sim/cluster';
import { runSimulation } from './sim/run';

// Seeded runs are CPU-bound; on a heavily shared machine they can take far longer than usual.
jest.setTimeout(120_000);

test('BROKEN on purpose: ignoring the §5.4.1 up-to-date check is caught as a safety violation', () => {
  const original = RaftLog.prototype.isUpToDate;
  RaftLog.prototype.isUpToDate = () => true;
  const caught: string[] = [];
  try {
    for (const seed of [11, 12, 13, 14, 15, 16]) {
      if (caught.length > 0) break;
      try {
        runSimulation({ seed, size: 3, steps: 3000 });
      } catch (e) {
        if (!(e instanceof SafetyViolation)) throw e;
        caught.push(e.message);
      }
    }
  } finally {
    RaftLog.prototype.isUpToDate = original;
  }
  expect(caught.length).toBeGreaterThan(0);
  expect(caught.join('\n')).toMatch(/leader completeness|log matching|state machine safety|commit safety/);
});
