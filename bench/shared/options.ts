/** A bench's `--name=value` options, with their defaults. */
export function option(name: string, fallback: string): string {
  return process.argv.find((value) => value.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
}

export function numberOption(name: string, fallback: number): number {
  return Number(option(name, String(fallback)));
}
