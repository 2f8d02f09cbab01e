#!/usr/bin/env node
// The meshloom command line: each subcommand lives in ./commands/<name>.ts and exports `run(argv)`.
import { pathToFileURL } from 'node:url';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  inject: { summary: 'inject istio-proxy into workload manifests (same engine as the webhook)', load: () => import('./commands/inject.js') },
  render: { summary: 'print the exact manifests the operator would apply for a MeshInstallation', load: () => import('./commands/render.js') },
  check: { summary: 'pre-flight and health checks against the current cluster', load: () => import('./commands/check.js') },
  version: { summary: 'print the meshloom version and the Istio version catalogue', load: () => import('./commands/version.js') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `Usage: meshloom <command> [flags]\n\nCommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`meshloom: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return (await command.load()).run(rest);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`meshloom: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
