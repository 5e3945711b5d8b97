import { createLogger } from '../../service/src/logger';

/** A logger whose JSON lines are kept: `at(level)` the lines of a level, `messages(level)` their messages. */
export function captureLogs() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'debug',
    nodeId: 'test-node',
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  const at = (level: string) => lines.filter((l) => l.level === level);
  return { logger, lines, at, messages: (level: string) => at(level).map((l) => l.msg) };
}
