import { DescribeAlarmsCommand, type CloudWatchClient, type StateValue } from '@aws-sdk/client-cloudwatch';
import { listStackAlarmNames, type OncallClients } from './aws';
import { formatAge, formatUtc, trimText } from './format';

/** DescribeAlarms accepts at most 100 names per call. */
const NAMES_PER_CALL = 100;
const REASON_MAX = 160;
const STATE_ORDER: Record<string, number> = { ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2 };

export interface AlarmRow {
  name: string;
  kind: 'metric' | 'composite';
  state: StateValue | 'UNKNOWN';
  since?: Date;
  reason: string;
  runbook?: string;
}

/** The alarms construct ends every AlarmDescription with `Runbook: docs/runbooks/<slug>.md`. */
export function extractRunbook(description: string | undefined): string | undefined {
  if (!description) return undefined;
  const matches = [...description.matchAll(/^\s*Runbook:\s*(\S+)\s*$/gm)];
  return matches.at(-1)?.[1];
}

export async function describeAlarms(cw: CloudWatchClient, names: readonly string[]): Promise<AlarmRow[]> {
  const rows: AlarmRow[] = [];
  for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
    const AlarmNames = names.slice(i, i + NAMES_PER_CALL);
    let NextToken: string | undefined;
    do {
      const page = await cw.send(new DescribeAlarmsCommand({ AlarmNames, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken }));
      for (const a of page.MetricAlarms ?? []) {
        rows.push(toRow('metric', a));
      }
      for (const a of page.CompositeAlarms ?? []) {
        rows.push(toRow('composite', a));
      }
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return rows;
}

function toRow(
  kind: AlarmRow['kind'],
  a: { AlarmName?: string; StateValue?: StateValue; StateUpdatedTimestamp?: Date; StateReason?: string; AlarmDescription?: string },
): AlarmRow {
  return {
    name: a.AlarmName ?? '?',
    kind,
    state: a.StateValue ?? 'UNKNOWN',
    since: a.StateUpdatedTimestamp,
    reason: a.StateReason ?? '',
    runbook: extractRunbook(a.AlarmDescription),
  };
}

/** Firing first, then INSUFFICIENT_DATA, then OK; newest change first within a state. */
export function sortAlarms(rows: readonly AlarmRow[]): AlarmRow[] {
  return [...rows].sort(
    (a, b) =>
      (STATE_ORDER[a.state] ?? 3) - (STATE_ORDER[b.state] ?? 3) ||
      (b.since?.getTime() ?? 0) - (a.since?.getTime() ?? 0) ||
      a.name.localeCompare(b.name),
  );
}

export function renderStatus(stack: string, rows: readonly AlarmRow[], now: Date): string[] {
  if (rows.length === 0) return [`${stack}: no CloudWatch alarms in this stack`];
  const sorted = sortAlarms(rows);
  const count = (s: string) => sorted.filter((r) => r.state === s).length;
  const lines = [
    `${stack}: ${sorted.length} alarms, ${count('ALARM')} ALARM, ${count('INSUFFICIENT_DATA')} INSUFFICIENT_DATA, ${count('OK')} OK`,
  ];
  const cells = sorted.map((r) => [
    r.state,
    r.since ? `${formatAge(r.since, now)} ago (${formatUtc(r.since)})` : '-',
    r.kind === 'composite' ? `${r.name} (composite)` : r.name,
    r.runbook ?? '-',
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...cells.map((c) => c[i].length)));
  sorted.forEach((r, i) => {
    const padded = cells[i].map((c, j) => c.padEnd(widths[j]));
    lines.push([...padded, trimText(r.reason, REASON_MAX)].join('  ').trimEnd());
  });
  return lines;
}

export async function runStatus(clients: OncallClients, stack: string, now: Date): Promise<string[]> {
  const names = await listStackAlarmNames(clients.cloudformation, stack);
  const rows = names.length > 0 ? await describeAlarms(clients.cloudwatch, names) : [];
  return renderStatus(stack, rows, now);
}
