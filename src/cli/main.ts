/**
 * The `surgeline` command. `serve` (the default) runs a node; more commands arrive with
 * the API (flows, announcements, planning).
 */
import { loadConfig, configHelp, ConfigError } from '../config.ts';
import { createLogger } from '../log.ts';
import { startApp } from '../app.ts';

const USAGE = `usage: surgeline [serve] [options]

Runs surgeline on this machine. Options (flag, environment variable):
${configHelp()}

Environment: SURGELINE_DEMO_PASSWORD fixes the SIP password of demo agents 1001-1004.`;

async function serve(argv: string[]): Promise<void> {
  const config = loadConfig(argv);
  const logger = createLogger({ level: config.logLevel });
  const app = await startApp({
    config,
    logger,
    ...(process.env.SURGELINE_DEMO_PASSWORD ? { demoPassword: process.env.SURGELINE_DEMO_PASSWORD } : {}),
    announce: (line) => process.stderr.write(`${line}\n`),
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(args: string[]): Promise<void> {
  const [first, ...rest] = args;
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (first === undefined || first.startsWith('-')) return serve(args);
  if (first === 'serve') return serve(rest);
  throw new ConfigError(`unknown command "${first}"\n${USAGE}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`surgeline: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
