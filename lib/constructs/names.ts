/** `rollup-writer` -> `RollupWriter`: construct ids and alarm names stay readable in the console. */
export function pascal(id: string): string {
  return id.replace(/(^|-)(\w)/g, (_m, _dash, c: string) => c.toUpperCase());
}
