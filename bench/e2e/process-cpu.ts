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
    if (args[0]?.endsWith('java')) {
      const main = args.find((arg) => /opensearch|DynamoDBLocal|elasticmq/i.test(arg)) ?? 'java';
      if (/opensearch/i.test(main)) return 'opensearch (java)';
      if (/DynamoDBLocal/i.test(main)) return 'dynamodb-local (java)';
      if (/elasticmq/i.test(main)) return 'elasticmq (java)';
      return 'java';
    }
    const script = args.find((arg) => /\.(c?js|ts)$/.test(arg));
    if (script?.includes('kinesalite')) return 'kinesalite (node)';
    if (script?.includes('worker') || script?.includes('runtime')) return 'function environment (node)';
    return pid === process.pid
      ? 'bench + gateways + event source mappings (node)'
      : (script ?? args[0] ?? String(pid));
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
