/**
 * `surgeline serve [flags]`: runs a node on this machine (SIP, RTP, the API) until SIGINT
 * or SIGTERM. Its flags are the node's configuration (src/config.ts), not the API options.
 * The node itself (src/app.ts) is imported only here, when serving, so the API commands
 * and `flow validate` start fast and do not load SIP, media or the store.
 */
import { loadConfig, configHelp } from '../../config.ts';
import { createLogger } from '../../log.ts';

export const SERVE_SUMMARY = 'Run a node: SIP, RTP, flows and the API (the default).';

export const SERVE_USAGE = `usage: surgeline [serve] [options]

${SERVE_SUMMARY}
Options (flag, environment variable):
${configHelp()}

Environment: SURGELINE_DEMO_PASSWORD fixes the SIP password of demo agents 1001-1004;
SURGELINE_ADMIN_KEY is imported as the demo tenant's admin key (else a new key is printed once).`;

export async function serve(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return;
  }
  const config = loadConfig(argv);
  const logger = createLogger({ level: config.logLevel });
  const { startApp } = await import('../../app.ts');
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
