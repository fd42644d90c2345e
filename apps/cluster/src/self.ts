/** How to run this CLI again as a child process (from source with tsx, or from the built bin). */

/** argv for re-running `keelson` with `args`. */
export function selfCommand(args: string[]): string[] {
  const script = process.argv[1];
  if (script.endsWith('.ts')) {
    return [process.execPath, '--conditions=keelson-source', '--import', 'tsx', script, ...args];
  }
  return [process.execPath, script, ...args];
}
