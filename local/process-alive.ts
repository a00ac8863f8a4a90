/**
 * Whether a process is still running, by signal 0 (nothing is sent). `EPERM` means it exists but
 * belongs to another user: alive.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
