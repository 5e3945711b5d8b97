/**
 * How the constructs reject bad props, and the shapes of the limits they share with the
 * deployment config's schema: a construct owns a limit, its own check and the config's
 * schema both read it, so a range or format is written once.
 */
import { IConstruct } from 'constructs';

/** An inclusive range of numbers. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** A string format: the pattern, and how a message describes it ("an ElastiCache node type such as …"). */
export interface Format {
  readonly pattern: RegExp;
  readonly text: string;
}

/** What is wrong with one or more props, naming them; undefined when nothing is. */
export type Problem = string | undefined;

/** `name must be from min to max, got value`, or undefined when value is a number in range. */
export function rangeProblem(name: string, value: number, range: Range): Problem {
  if (Number.isFinite(value) && value >= range.min && value <= range.max) return undefined;
  return `${name} must be from ${range.min} to ${range.max}, got ${value}`;
}

/** `name must be an integer from min to max (why), got value`, or undefined when value is one. */
export function intRangeProblem(name: string, value: number, range: Range, why?: string): Problem {
  if (Number.isInteger(value) && value >= range.min && value <= range.max) return undefined;
  return `${name} must be an integer from ${range.min} to ${range.max}${why ? ` (${why})` : ''}, got ${value}`;
}

/** `name must be <format>, got "value"`, or undefined when value matches. */
export function formatProblem(name: string, value: string, format: Format): Problem {
  return format.pattern.test(value) ? undefined : `${name} must be ${format.text}, got "${value}"`;
}

/**
 * Thrown when a construct's props break its rules. Like aws-cdk-lib's (internal) ValidationError,
 * the message starts with the construct and names the props; the construct's path comes along.
 */
export class PropsValidationError extends Error {
  override name = 'ValidationError';
  /** Path of the construct whose props were rejected. */
  readonly constructPath: string;

  constructor(scope: IConstruct, message: string) {
    super(`${scope.constructor.name}: ${message}`);
    this.constructPath = scope.node.path;
  }
}

/** Throws the first of `problems` that is set, as a PropsValidationError of `scope`. */
export function throwPropsProblems(scope: IConstruct, problems: readonly Problem[]): void {
  const first = problems.find((p) => p !== undefined);
  if (first !== undefined) throw new PropsValidationError(scope, first);
}
