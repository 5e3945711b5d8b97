/**
 * Guards the replication group against changes that CloudFormation can only apply by replacing
 * it. A replacement creates a new group (a new primary endpoint, empty) and deletes the old one:
 * every task loses Redis until it is redeployed with the new REDIS_URL, so cross-node delivery
 * stops for the whole service.
 */

/**
 * Properties of AWS::ElastiCache::ReplicationGroup whose change means replacement: the resource
 * schema's createOnlyProperties, plus those the user guide lists as "Update requires: Replacement"
 * (Engine, TransitEncryptionEnabled) or as replacement without UseOnlineResharding (NumNodeGroups,
 * NodeGroupConfiguration).
 */
export const REPLACEMENT_PROPERTIES = [
  'ReplicationGroupId',
  'Engine',
  'AtRestEncryptionEnabled',
  'TransitEncryptionEnabled',
  'CacheSubnetGroupName',
  'KmsKeyId',
  'Port',
  'NetworkType',
  'DataTieringEnabled',
  'GlobalReplicationGroupId',
  'PreferredCacheClusterAZs',
  'SnapshotArns',
  'SnapshotName',
  'NumNodeGroups',
  'ReplicasPerNodeGroup',
  'NodeGroupConfiguration',
] as const;

export type ReplacementProperty = (typeof REPLACEMENT_PROPERTIES)[number];

/** The values of the replacement-causing properties; null where the property is not set. */
export type CreateOnlyValues = { readonly [K in ReplacementProperty]: unknown };

/** The lock file: stage name to the values deployed (or about to be). */
export type CacheLockFile = { readonly [stage: string]: CreateOnlyValues | string };

/** Picks the replacement-causing properties out of a resolved Properties object. */
export function createOnlyValues(properties: Readonly<Record<string, unknown>>): CreateOnlyValues {
  return Object.fromEntries(REPLACEMENT_PROPERTIES.map((p) => [p, properties[p] ?? null])) as CreateOnlyValues;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export interface ReplacementChange {
  readonly property: ReplacementProperty;
  readonly locked: unknown;
  readonly actual: unknown;
}

/** The replacement-causing properties whose value differs from the lock. */
export function replacementChanges(actual: CreateOnlyValues, locked: CreateOnlyValues): ReplacementChange[] {
  return REPLACEMENT_PROPERTIES.filter((p) => canonical(actual[p]) !== canonical(locked[p])).map((property) => ({
    property,
    locked: locked[property] ?? null,
    actual: actual[property] ?? null,
  }));
}

/** The error a blocked change reports: what changed, what it costs, and how to opt in. */
export function replacementMessage(stage: string, changes: readonly ReplacementChange[]): string {
  const lines = changes.map((c) => `  - ${c.property}: ${canonical(c.locked)} -> ${canonical(c.actual)}`);
  return [
    `This change would REPLACE the ${stage} ElastiCache replication group. CloudFormation can apply a change of these`,
    'create-only properties only by creating a new replication group and deleting the old one:',
    ...lines,
    'The new group has a new primary endpoint and starts empty, so every task loses Redis (cross-node messages stop)',
    'until the service is redeployed with the new endpoint: an outage.',
    'If that is intended, deploy with -c allowCacheReplacement=true, then refresh infra/replication-group.lock.json',
    '(npx tsx bin/update-cache-lock.ts) and commit it.',
  ].join('\n');
}
