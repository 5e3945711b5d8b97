/**
 * What AWS documents about a region's Availability Zones, for the checks synth can make without
 * credentials (the stacks never look zones up; NetworkStack takes them from Fn::GetAZs at deploy).
 *
 * - Every region has at least three AZs:
 *   https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html
 * - Linux containers on Fargate run only in some AZ IDs of a few regions:
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AWS_Fargate-Regions.html
 *
 * AZ IDs name the same physical zone in every account; AZ names (us-west-1a) are mapped per account
 * in the older regions (https://docs.aws.amazon.com/global-infrastructure/latest/regions/az-ids.html),
 * so which name is usw1-az1 cannot be known at synth. Where Fargate is limited, the subnets are
 * therefore placed by AZ ID (AWS::EC2::Subnet AvailabilityZoneId), not by name.
 */
import { Token } from 'aws-cdk-lib';
import { Problem } from './validation';

/** The zones AWS documents for every region: the most a created VPC can rely on without knowing the region. */
export const DOCUMENTED_MIN_AZS = 3;

/**
 * The only AZ IDs where Fargate runs Linux tasks, for the regions where AWS lists them (every other
 * region: all of its zones). cn-north-1's IDs are from an earlier revision of the page.
 */
export const FARGATE_AZ_IDS: Readonly<Record<string, readonly string[]>> = {
  'us-west-1': ['usw1-az1', 'usw1-az3'],
  'ap-northeast-1': ['apne1-az1', 'apne1-az2', 'apne1-az4'],
  'cn-north-1': ['cnn1-az1', 'cnn1-az2'],
};

/** How many zones of `region` a created VPC may span, and whether AWS's documentation settles it. */
export function usableZones(region: string): { readonly count: number; readonly known: boolean; readonly azIds?: readonly string[] } {
  const azIds = FARGATE_AZ_IDS[region];
  return azIds ? { count: azIds.length, known: true, azIds } : { count: DOCUMENTED_MIN_AZS, known: false };
}

/**
 * maxAzs above the zones where Fargate runs in the region fails at deploy (Fn::Select past the
 * end of the list, or tasks that cannot be placed): caught here instead. An env-agnostic region
 * (a token) is not checked.
 */
export function zoneCountProblem(maxAzs: number, region: string, names = { maxAzs: 'maxAzs', region: 'region' }): Problem {
  if (Token.isUnresolved(region)) return undefined;
  const zones = usableZones(region);
  return zones.known && maxAzs > zones.count
    ? `${names.maxAzs} (${maxAzs}) is above the ${zones.count} Availability Zones where Fargate runs in ${names.region} ` +
        `${region} (${zones.azIds?.join(', ')}): lower ${names.maxAzs} or choose another ${names.region}`
    : undefined;
}

/** maxAzs above what AWS documents for every region: synth cannot confirm the region has that many. */
export function unverifiedZonesWarning(maxAzs: number, region: string): string | undefined {
  if (Token.isUnresolved(region) || usableZones(region).known || maxAzs <= DOCUMENTED_MIN_AZS) return undefined;
  return (
    `maxAzs (${maxAzs}) is above the ${DOCUMENTED_MIN_AZS} Availability Zones AWS documents for every region; ` +
    `synth cannot confirm that ${region} has ${maxAzs} (the deploy fails if it has fewer)`
  );
}
