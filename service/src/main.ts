import { createServer } from 'node:http';
import { createApp } from './app';
import { type BinaryPolicy, binaryPolicy } from './admission/binary-policy';
import { type AppModule, AppModuleError, loadAppModule } from './app-module';
import { EnvConfigError, loadConfig } from './config';
import { startDrainSignal } from './drain/drain-signal';
import { applyServerTimeouts } from './http/server-timeouts';
import { capTcpConnections } from './http/tcp-connections';
import { createLogger } from './logger';
import { resolveNodeId } from './node-id';

/** Entrypoint: reads the config, picks the log destination, and handles signals. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof EnvConfigError) fatal(err.message, 78); // EX_CONFIG
    throw err;
  }
  const nodeId = await resolveNodeId({
    override: config.nodeId,
    port: config.port,
    metadataUri: process.env.ECS_CONTAINER_METADATA_URI_V4,
  });
  const logger = createLogger({ level: config.logLevel, nodeId });
  let appModule: AppModule;
  let binary: BinaryPolicy;
  try {
    appModule = loadAppModule(config.appModule);
    // The app's settings within the node's limits, before anything listens.
    binary = binaryPolicy(appModule.settings, config, appModule.file);
  } catch (err) {
    if (err instanceof AppModuleError) fatal(err.message, 78);
    throw err;
  }

  // A failed Redis command under overload must cost one message, not the node.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

  const server = createServer();
  applyServerTimeouts(server, config.http);
  capTcpConnections(server, config.http.maxTcpConnections, logger, config.logRefusalsPerS);
  const app = createApp(server, config, { logger, nodeId, app: appModule, binary });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port, keepAliveTimeoutMs: server.keepAliveTimeout, maxTcpConnections: server.maxConnections }, 'listening');
  app.ready.then(
    () => logger.info('ready'),
    (err: unknown) => {
      // An app that cannot start stops the node in one line; the platform's own start failures are logged in full.
      if (!(err instanceof AppModuleError)) return logger.error({ err }, 'start failed');
      logger.flush();
      fatal(err.message, 1);
    },
  );

  // ECS deregisters the target and waits out the deregistration delay before SIGTERM: the drain begins when the target drains.
  const drainSignal = startDrainSignal(config.drain, {
    logger,
    port,
    metadataUri: process.env.ECS_CONTAINER_METADATA_URI_V4,
    onDraining: () => void app.drain('target draining'),
  });

  const shutdown = (signal: string) => {
    logger.info({ signal, drainTimeoutMs: config.drainTimeoutMs }, 'draining');
    drainSignal.stop();
    const hardStop = setTimeout(() => {
      logger.error('drain did not finish within DRAIN_TIMEOUT_MS, exiting');
      logger.flush();
      process.exit(1);
    }, config.drainTimeoutMs);
    hardStop.unref();
    app.close(signal).then(
      () => {
        logger.flush();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'close failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

/** Ends the process with one line on stderr (the log's JSON lines are for machines; this one is for the person starting it). */
function fatal(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
