/**
 * CPU time of this process and every process under it (the emulators, the function environments),
 * from /proc, so bench:e2e can show where the pipeline's time goes when the emulators cap it.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

interface ProcessCpu {
  pid: number;
  name: string;
  seconds: number;
}

function stat(pid: number): { ppid: number; seconds: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces, in parentheses.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** What a process is, in a few words: the emulator's main class or script, or the command. */
function nameOf(pid: number): string {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    if (pid === process.pid) return 'bench + gateways + event source mappings (node)';
    // A function environment's arguments hold its configuration, which names the other services.
    const program = args.slice(0, 3).join(' ');
    if (/local-lambda-worker|function-worker/.test(program)) return 'function environments (node)';
    const line = args.join(' ');
    if (/opensearch/i.test(line)) return 'opensearch (java)';
    if (/dynamodb/i.test(line)) return 'dynamodb-local (java)';
    if (/elasticmq/i.test(line)) return 'elasticmq (java)';
    if (/kinesalite/i.test(line)) return 'kinesalite (node)';
    return line.slice(0, 60);
  } catch {
    return String(pid);
  }
}

/** CPU seconds so far of this process and its descendants. */
export function processTreeCpu(): ProcessCpu[] {
  const all = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .flatMap((pid) => {
      const found = stat(pid);
      return found ? [{ pid, ...found }] : [];
    });
  const inTree = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const entry of all) {
      if (!inTree.has(entry.pid) && inTree.has(entry.ppid)) {
        inTree.add(entry.pid);
        grew = true;
      }
    }
  }
  return all
    .filter((entry) => inTree.has(entry.pid))
    .map((entry) => ({ pid: entry.pid, name: nameOf(entry.pid), seconds: entry.seconds }));
}

/** CPU seconds spent between two snapshots, summed by process name. */
export function cpuBetween(before: ProcessCpu[], after: ProcessCpu[]): Record<string, number> {
  const start = new Map(before.map((entry) => [entry.pid, entry.seconds]));
  const byName: Record<string, number> = {};
  for (const entry of after) {
    byName[entry.name] = (byName[entry.name] ?? 0) + entry.seconds - (start.get(entry.pid) ?? 0);
  }
  return byName;
}
